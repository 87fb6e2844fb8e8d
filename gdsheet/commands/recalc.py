"""`gdsheet recalc`: every formula's cached value recalculated and written into the file, or
(``--check``) compared with what the file holds.

A workbook saved by a program that does not calculate (openpyxl, a generator) has no cached
values, so previews, pandas and ``openpyxl(data_only=True)`` see nothing; one whose inputs were
edited without recalculating shows stale numbers. ``recalc`` writes the engine's values through
the same patcher as ``run`` (everything else byte for byte, atomic, under the same lock);
``recalc --check`` writes nothing and holds each cached value to its formula, which is what a
test suite calls to keep a workbook's saved numbers honest. Volatile cells (RAND, RANDBETWEEN
and whatever reads them) are counted, never compared: they change at every recalculation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gdsheet.commands.run import _cached_reader
from gdsheet.engine import DEFAULT_ENGINE
from gdsheet.engine.book import read_book
from gdsheet.engine.compiled import plain
from gdsheet.engine.evaluator import Evaluator
from gdsheet.xlsx.archive import check_workbook_archive
from gdsheet.xlsx.cellvalue import json_number
from gdsheet.xlsx.locking import workbook_lock
from gdsheet.xlsx.patch import patch_workbook
from gdsheet.xlsx.ranges import a1, quote_sheet

REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-12


@dataclass
class RecalcReport:
    """What a recalculation found: counts, and the cells whose cached value is not their formula's."""

    path: Path
    cells: int = 0
    native: int = 0
    fallback: int = 0
    volatile: int = 0
    mismatches: list[dict[str, object]] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        """Every compared cell agrees and every value is one the engine vouches for."""
        return not self.mismatches and not self.unverified

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "cells": self.cells,
            "native": self.native,
            "fallback": self.fallback,
            "volatile": self.volatile,
            "mismatches": self.mismatches,
            "unverified": self.unverified,
        }


def agree(cached: object, got: object) -> bool:
    """Whether a cached value is the recalculated one: numbers within rel 1e-9 (abs 1e-12),
    errors equal as errors, text and booleans equal."""
    if isinstance(cached, bool) or isinstance(got, bool):
        return type(cached) is type(got) and cached == got
    if isinstance(cached, float) and isinstance(got, float):
        if math.isnan(cached) or math.isnan(got):
            return math.isnan(cached) and math.isnan(got)
        return abs(cached - got) <= max(ABS_TOLERANCE, REL_TOLERANCE * max(abs(cached), abs(got)))
    return cached == got


def _json_value(value: object) -> object:
    return json_number(value) if isinstance(value, float) else value


def recalc(
    path: str | Path,
    check: bool = False,
    *,
    force: bool = False,
    engine: str = DEFAULT_ENGINE,
    verbose: bool = False,
    seed: int = 0,
) -> RecalcReport:
    """Recalculate the workbook at ``path``: write every formula's cached value (``check=False``),
    or compare them with the recalculation and write nothing (``check=True``). ``seed`` starts
    the stream of RAND and RANDBETWEEN draws, so the same seed writes the same numbers."""
    path = Path(path)
    if check:
        check_workbook_archive(path)
        ev = Evaluator(path, engine, verbose, book=read_book(path, cached=True), seed=seed)
        return _compare(ev)
    with workbook_lock(path, force=force) as locked:
        check_workbook_archive(locked)
        ev = Evaluator(locked, engine, verbose, seed=seed)
        report = _counts(ev)
        readers = ev.formula_readers()
        cached_at = {sheet: _cached_reader(_as_excel_writes(read)) for sheet, read in readers.items()}
        patch_workbook(locked, locked, cached_at=cached_at, full_calc_on_load=False)
        report.written = True
        return report


def _as_excel_writes(read: Callable[[int, int], object]) -> Callable[[int, int], object]:
    """Whole numbers as Excel writes them (``<v>4</v>``, not ``4.0``), so that a recalculated
    file reads back as Excel's would: RANDBETWEEN's draws are integers to openpyxl and pandas."""

    def value(row: int, col: int) -> object:
        got = read(row, col)
        if isinstance(got, float) and got.is_integer() and abs(got) < 2**53:
            return int(got)
        return got

    return value


def _counts(ev: Evaluator) -> RecalcReport:
    report = RecalcReport(ev.path)
    is_native = getattr(ev.engine, "is_native", lambda cell: False)
    is_volatile = getattr(ev.engine, "is_volatile", lambda cell: False)
    for cell in ev.engine.formula_cells():
        report.cells += 1
        if is_native(cell):
            report.native += 1
        else:
            report.fallback += 1
        if is_volatile(cell):
            report.volatile += 1
    return report


def _compare(ev: Evaluator) -> RecalcReport:
    report = _counts(ev)
    read = ev.engine.evaluate({})
    engine = ev.engine
    is_native = getattr(engine, "is_native", lambda cell: False)
    is_volatile = getattr(engine, "is_volatile", lambda cell: False)
    unstable = getattr(engine, "unstable", False)
    for cell in engine.formula_cells():
        sheet_index, col, row = cell
        sheet = ev.book.sheets[sheet_index]
        name = f"{quote_sheet(sheet.name)}!{a1(col, row)}"
        if is_volatile(cell):
            continue
        if not is_native(cell) or unstable:
            report.unverified.append(name)
        cached = plain((sheet.cached or {}).get((col, row)))
        got = plain(read(cell))
        if not agree(cached, got):
            run = sheet.formula_at(col, row)
            formula = ev.book.shapes.shapes[run.shape].text_at(row, col) if run is not None else None
            formula = None if formula is None or formula.startswith("\x00") else "=" + formula  # an array's cell
            report.mismatches.append(
                {"cell": name, "formula": formula, "cached": _json_value(cached), "got": _json_value(got)}
            )
    return report
