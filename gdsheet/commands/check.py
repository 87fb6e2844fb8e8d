"""`gdsheet check`: every derived cell of a lesson, evaluated, against the numpy reference.

The reference is computed from the workbook's own inputs (:mod:`gdsheet.commands.lesson_reader`);
each defined name in :func:`expected_by_name` is a *derived* area and says which reference
quantity its cells must equal. So that a workbook cannot pass by hiding or faking work:

- every cell of a derived area must hold a formula; a constant (even the right number) or an
  empty cell there is a mismatch. The only constants allowed inside a derived area are cells
  that an input name also covers (the descent table's x and y columns are the samples);
- a formula cell that no derived name covers is *unchecked*, and makes the result not ok
  unless the caller allows it (``allow_unchecked``);
- a non-finite reference value (a diverged lesson) is matched by a non-finite workbook value
  (inf, NaN, ``#NUM!``, ``#DIV/0!``), and numpy's overflow warnings are silenced;
- mismatches are listed root cause first: constants first (they depend on nothing), then
  formula cells in evaluation order, so the first line is the edited cell, not a victim.

Everything here is one pass over the areas' cells with dict and set look-ups: linear in cells.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Container, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gdsheet.commands.check_names import is_lesson_name, lesson_cells, name_problems
from gdsheet.commands.check_shown import (
    cache_mismatches,
    colour_problems,
    conditional_problems,
    drawing_problems,
    filled_cells,
    format_problems,
    hidden_problems,
    live_epoch_labels,
    log_problems,
    share_cells,
    uncovered_numbers,
    unverified,
)
from gdsheet.commands.lesson_reader import lesson_from_workbook
from gdsheet.engine import DEFAULT_ENGINE
from gdsheet.engine.book import read_book
from gdsheet.engine.evaluator import Evaluator
from gdsheet.lesson.contract import Quantity, contract
from gdsheet.lesson.spec import Lesson
from gdsheet.reference.oracle import LessonValues, lesson_values
from gdsheet.xlsx.cellvalue import is_overflow, json_number
from gdsheet.xlsx.ranges import Range, a1

REL_TOL = 1e-9
ABS_TOL = 1e-12

CellKey = tuple[str, int, int]  # (sheet, column, row)


@dataclass
class CheckReport:
    """What `check` found: cells compared, the worst relative error, every mismatch, and the
    formula cells no derived name covers (which fail the check unless ``allow_unchecked``).

    ``max_rel_error`` is over the cells more than the absolute tolerance (1e-12) from the
    reference, where the relative error is what decides: a cell holding 1e-17 where the reference
    has 0 agrees, and its relative error of 1 would only mislead."""

    cells: int = 0
    max_rel_error: float = 0.0
    unchecked: list[str] = field(default_factory=list)
    mismatches: list[dict[str, object]] = field(default_factory=list)
    allow_unchecked: bool = False

    @property
    def ok(self) -> bool:
        return not self.mismatches and (self.allow_unchecked or not self.unchecked)

    def as_json(self) -> dict[str, object]:
        """The report as JSON-safe data: non-finite numbers are the strings "inf", "-inf", "nan"."""
        return {
            "ok": self.ok,
            "cells": self.cells,
            "max_rel_error": self.max_rel_error,
            "unchecked": self.unchecked,
            "mismatches": [{key: json_number(value) for key, value in m.items()} for m in self.mismatches],
        }


def expected_by_name(ev: Evaluator) -> dict[str, np.ndarray]:
    """Reference values for every derived named area of a gdsheet lesson, shaped like the area."""
    return expected_for(lesson_from_workbook(ev), ev.names)


def expected_for(lesson: Lesson, names: Collection[str]) -> dict[str, np.ndarray]:
    """Reference values of ``lesson`` for each derived area among ``names`` (the workbook's names),
    as the contract (:mod:`gdsheet.lesson.contract`) says.

    `grade` calls this with the lesson a student was *assigned* (and perturbed copies of it),
    not the one their workbook holds."""
    with np.errstate(all="ignore"):  # a diverged lesson overflows; that is compared, not warned about
        ref = lesson_values(lesson)
    return {
        name: np.asarray(reference_quantity(ref, entry.quantity), dtype=float)
        for name, entry in contract(lesson).items()
        if entry.kind == "derived" and entry.quantity is not None and name in names
    }


def reference_quantity(ref: LessonValues, quantity: Quantity) -> object:
    """The contract's quantity read from the reference's values."""
    value = getattr(ref, quantity.field)
    if quantity.key is not None:  # an entry of a mapping (next_values["m"], the sweep's tables)
        value = value[quantity.key]
    return value.block(quantity.columns) if quantity.columns else value


def label_columns(lesson: Lesson) -> dict[str, tuple[int, ...]]:
    """Columns of derived areas that hold labels, not results (the live log's epoch numbers are
    constants, and must equal the reference's), by name."""
    return {name: entry.label_columns for name, entry in contract(lesson).items() if entry.label_columns}


def left_empty(ev: Evaluator, lesson: Lesson) -> set[CellKey]:
    """Cells of derived areas that the lesson leaves empty by design (the Live sheet's columns
    that only finite differences read, when they do not drive the update)."""
    cells: set[CellKey] = set()
    for name, entry in contract(lesson).items():
        if entry.empty_columns and name in ev.names:
            area = ev.area(name)
            rows = range(area.min_row, area.max_row + 1)
            cells |= {(area.sheet, area.min_col + offset, row) for offset in entry.empty_columns for row in rows}
    return cells


def _rel_error(got: float, want: float) -> float:
    """|got − want| relative to the larger; finite for any two finite floats (no overflow)."""
    if got == want:
        return 0.0
    scale = max(abs(got), abs(want))
    return abs(got / scale - want / scale)


def agrees(got: object, want: float, gaps: bool = False) -> bool:
    """Whether a workbook value matches the reference value (non-finite matches non-finite; in an
    area with ``gaps``, a NaN of the reference is a chart's gap, which ``#N/A`` shows too)."""
    if gaps and math.isnan(want) and got == "#N/A":
        return True
    if not math.isfinite(want):
        if isinstance(got, float) and math.isinf(got) and math.isinf(want):
            return got == want  # both infinite: the sign must agree
        return is_overflow(got)
    return (
        isinstance(got, float)
        and not isinstance(got, bool)
        and math.isfinite(got)
        and math.isclose(got, want, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    )


def _shown(value: object) -> str:
    """A stored constant as a user would type it: 12.5, 'text', TRUE."""
    if isinstance(value, bool):
        return str(value).upper()
    return repr(value)


def _input_cells(ev: Evaluator, derived: dict[str, Range]) -> set[CellKey]:
    """Cells inside a derived area that an input name also covers (where constants are data).

    Only the overlaps are enumerated, so a large input area (the epoch log) costs nothing."""
    cells: set[CellKey] = set()
    for name, area in ev.names.items():
        if name in derived:
            continue
        for other in derived.values():
            if other.sheet != area.sheet:
                continue
            rows = range(max(area.min_row, other.min_row), min(area.max_row, other.max_row) + 1)
            columns = range(max(area.min_col, other.min_col), min(area.max_col, other.max_col) + 1)
            cells.update((area.sheet, column, row) for row in rows for column in columns)
    return cells


def check_workbook(
    path: str | Path, engine: str = DEFAULT_ENGINE, verbose: bool = False, allow_unchecked: bool = False
) -> CheckReport:
    """Compare every derived cell of the workbook at ``path`` with the reference, and everything
    else a user sees of the lesson with what the lesson says (:func:`shown_problems`)."""
    ev = Evaluator(path, engine, verbose, book=read_book(path, cached=True))
    lesson = lesson_from_workbook(ev)
    expected = expected_for(lesson, ev.names)
    with np.errstate(all="ignore"):
        computed = ev.all_values()
    report = compare_areas(ev, expected, computed, allow_unchecked)
    shown_problems(ev, lesson, computed, report)
    return report


def shown_problems(ev: Evaluator, lesson: Lesson, computed: Mapping[CellKey, object], report: CheckReport) -> None:
    """Add to ``report`` what the named areas' values alone do not show: the names' contract
    (first: a broken name explains the rest), the Live sheet's epoch labels, cached values,
    unverified formulas and the epoch log as mismatches; numbers typed on a lesson sheet that
    no lesson name covers as unchecked (see :mod:`.check_names`, :mod:`.check_shown`)."""
    labels, label_problems = live_epoch_labels(ev, lesson)
    named = lesson_cells(ev, lesson)
    log_mismatches, log_unverified = log_problems(ev, lesson)
    shares = share_cells(ev, lesson)
    filled = filled_cells(ev, named)
    report.mismatches = [
        *name_problems(ev, lesson),
        *report.mismatches,
        *label_problems,
        *cache_mismatches(ev, computed),
        *unverified(ev),
        *log_mismatches,
        *format_problems(ev, named, shares),
        *conditional_problems(ev, named, shares),
        *drawing_problems(ev, filled),
        *hidden_problems(ev, filled),
        *colour_problems(ev, filled),
    ]
    lesson_sheets = {area.sheet for name, area in ev.names.items() if is_lesson_name(name, lesson)}
    covered = named | labels
    report.unchecked += uncovered_numbers(ev, covered, lesson_sheets) + log_unverified


def compare_areas(
    ev: Evaluator,
    expected: Mapping[str, np.ndarray],
    computed: Mapping[CellKey, object],
    allow_unchecked: bool = False,
    cells: Container[CellKey] | None = None,
) -> CheckReport:
    """Compare ``computed`` (formula cells' values, in evaluation order) with ``expected`` by area.

    ``cells``, when given, limits the comparison to those cells (the rest count as covered):
    `grade` compares one graded column at a time, under inputs it chose."""
    order = {cell: i for i, cell in enumerate(computed)}  # evaluation order (compiled engine)
    derived = {name: ev.area(name) for name in expected}
    inputs = _input_cells(ev, derived)
    lesson = lesson_from_workbook(ev)
    empty_by_design, labels = left_empty(ev, lesson), label_columns(lesson)
    gapped = {name for name, entry in contract(lesson).items() if entry.gaps}
    report = CheckReport(allow_unchecked=allow_unchecked)
    found: list[tuple[tuple[int, int], dict[str, object]]] = []  # (root-cause rank, mismatch)
    covered: set[CellKey] = set()
    reported: set[CellKey] = set()
    for name, want in expected.items():
        area = derived[name]
        want = want.reshape(area.shape) if want.size == area.shape[0] * area.shape[1] else want
        if want.shape != area.shape:
            message = f"{name}: area {area.sheet}!{area.ref()} is not {want.shape[0]}x{want.shape[1]}"
            found.append(((0, len(found)), {"name": name, "kind": "shape", "message": message}))
            continue
        for (row, column), value in zip(area.cells(), want.ravel(), strict=True):
            key = (area.sheet, column, row)
            if cells is not None and key not in cells:
                covered.add(key)
                continue
            want_value = float(value)
            address = f"{area.sheet}!{a1(column, row)}"
            if key in empty_by_design:
                stored = ev.stored(area.sheet, column, row)
                if (key in computed or stored is not None) and key not in reported:
                    what = "a formula" if key in computed else f"the constant {_shown(stored)}"
                    message = f"{address} holds {what} where the lesson leaves the cell empty"
                    mismatch = {"cell": address, "name": name, "kind": "constant", "got": stored, "want": None,
                                "message": message}  # fmt: skip
                    found.append(((0, len(found)), mismatch))
                    reported.add(key)
                continue
            if key not in computed:  # a constant or an empty cell
                if key in inputs or key in reported:
                    continue
                if column - area.min_col in labels.get(name, ()):
                    stored = ev.stored(area.sheet, column, row)
                    if stored != want_value:
                        mismatch = {"cell": address, "name": name, "kind": "value", "got": stored, "want": want_value,
                                    "message": f"{address} ({name}): got {stored!r}, want {want_value!r}"}  # fmt: skip
                        found.append(((0, len(found)), mismatch))
                        reported.add(key)
                    continue
                stored = ev.stored(area.sheet, column, row)
                what = "is empty" if stored is None else f"holds the constant {_shown(stored)}"
                mismatch = {"cell": address, "name": name, "kind": "constant", "got": stored, "want": want_value,
                            "message": f"{address} {what} where a formula belongs"}  # fmt: skip
                found.append(((0, len(found)), mismatch))
                reported.add(key)
                continue
            covered.add(key)
            got = computed[key]
            finite = isinstance(got, float) and math.isfinite(got) and math.isfinite(want_value)
            if finite and abs(got - want_value) > ABS_TOL:  # nearer, a cell agrees: its relative error misleads
                report.max_rel_error = max(report.max_rel_error, _rel_error(got, want_value))
            if not agrees(got, want_value, name in gapped) and key not in reported:
                message = f"{address} ({name}): got {got!r}, want {want_value!r}"
                mismatch = {"cell": address, "name": name, "kind": "value", "got": got, "want": want_value,
                            "message": message}  # fmt: skip
                found.append(((1, order.get(key, len(order))), mismatch))
                reported.add(key)
    found.sort(key=lambda item: item[0])
    report.mismatches = [mismatch for _, mismatch in found]
    report.cells = len(covered)
    report.unchecked = [f"{sheet}!{a1(c, r)}" for sheet, c, r in computed if (sheet, c, r) not in covered]
    return report
