"""`gdsheet grade`: every submitted workbook of an assignment, marked against the numpy reference.

For one workbook (whatever application saved it: the formulas are evaluated, cached values
are never trusted):

1. the student is identified by the defined name ``student_id``; a workbook whose samples are
   another student's is reported as such, naming whose;
2. its inputs are compared with the assigned ones (the ``inputs`` item);
3. its formulas are evaluated with the compiled engine under *scenarios*: the assigned inputs,
   then perturbed copies (other start values, learning rate, line and samples, drawn from the
   assignment's seed and the id), and every derived cell is compared with the reference
   (:func:`gdsheet.commands.check.expected_for` of the scenario's lesson) by
   :func:`gdsheet.commands.check.compare_areas`. A formula right only at today's inputs
   (``=IF(learn=0.0001,-311,0)``, a constant plus ``0*A1``) fails a perturbed scenario;
4. each graded item is judged *on its own*: when anything is wrong, a blank column is
   re-evaluated with the student's other columns replaced by the reference's values
   (:meth:`~gdsheet.engine.evaluator.Evaluator.with_constants`), and the lesson's own areas with
   all the student's columns replaced, so a wrong de/dm costs de/dm's points, not new_m's too.

An item scores its points times the share of its cells that hold formulas agreeing with the
reference in every scenario (a typed number scores 0). Its first wrong cell is the root cause:
constants first, then cells in evaluation order, the assigned inputs before perturbed ones.

The batch grades each file in a forked process bounded in time and memory
(:data:`~gdsheet.limits.GRADE_SECONDS`, :data:`~gdsheet.limits.GRADE_MEMORY_MB`), ``jobs`` at a
time; a file that cannot be read, is hostile, too large, too slow or crashes is one record with
its reason, and the batch goes on.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

import numpy as np

from gdsheet.commands.assign import INPUTS_ITEM, TABLE_AREAS, Assignment, column_cells, read_assignment
from gdsheet.commands.check import _input_cells, compare_areas, expected_for, left_empty
from gdsheet.commands.lesson_reader import lesson_from_workbook
from gdsheet.engine import DEFAULT_ENGINE
from gdsheet.engine.evaluator import Evaluator
from gdsheet.errors import GdsheetError
from gdsheet.lesson.optimizers import HYPER_PARAMETERS
from gdsheet.lesson.samples_generated import student_rng
from gdsheet.lesson.spec import Lesson
from gdsheet.limits import GRADE_MEMORY_MB, GRADE_SECONDS
from gdsheet.xlsx.archive import check_workbook_archive
from gdsheet.xlsx.ranges import a1, quote_sheet

Record = dict[str, object]
CellKey = tuple[str, int, int]
PERTURBATIONS = 2
STATUSES = ("graded", "unreadable", "unknown-id", "other-students-inputs")
SCALAR_INPUTS = ("m_actual", "b_actual", "m_start", "b_start", "learn", *HYPER_PARAMETERS)
"""Single-cell inputs a scenario sets (those the workbook has), by defined name = lesson field."""
COMPARED_INPUTS = (
    "m_actual", "b_actual", "data_x", "m_guess", "b_guess", "grid_m", "grid_b", "descent_x", "samples_y",
    "m_start", "b_start", "learn", "epochs", "fd_step", "gradient", "loss", "optimizer", *HYPER_PARAMETERS,
    "live_epochs",
)  # fmt: skip
"""What a workbook must hold as assigned (the ``inputs`` item)."""
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Scenario:
    """Inputs under which a workbook's formulas are evaluated, and their reference lesson."""

    label: str
    lesson: Lesson


def perturbed(assignment: Assignment, student_id: str, lesson: Lesson, k: int) -> Scenario:
    """The ``k``-th perturbation of a student's lesson: other start values, learning rate, line
    and samples (still a lesson that does not overflow), the same on any machine."""
    from gdsheet.commands.build import overflow

    rng = student_rng(assignment.seed, f"{student_id} perturbed", k)
    sign = rng.choice([-1.0, 1.0], 2)
    x = np.round(np.asarray(lesson.descent_x) + rng.uniform(-1.5, 1.5, len(lesson.descent_x)), 2)
    y = np.round(np.asarray(lesson.samples_y) + rng.normal(0.0, 2.0, len(x)), 2)
    changes: dict[str, object] = {
        "m_start": round(lesson.m_start + sign[0] * rng.uniform(0.3, 1.5), 3),
        "b_start": round(lesson.b_start + sign[1] * rng.uniform(1.0, 5.0), 3),
        "learn": float(f"{lesson.learn * rng.uniform(0.3, 0.8):.3g}"),
        "m_actual": round(lesson.m_actual + rng.uniform(-0.5, 0.5), 3),
        "b_actual": round(lesson.b_actual + rng.uniform(-3.0, 3.0), 3),
        "descent_x": tuple(float(v) for v in x),
        "descent_y": tuple(float(v) for v in y),
    }
    for name in ("momentum", "alpha", "beta1", "beta2"):
        changes[name] = float(f"{getattr(lesson, name) * rng.uniform(0.85, 0.97):.4g}")
    changed = lesson.with_overrides(**changes)
    while overflow(changed) is not None:  # keep the scenario a lesson that converges
        changed = changed.with_overrides(learn=changed.learn / 4)
    label = (
        f"changed inputs {k + 1} (m_start {changed.m_start:g}, b_start {changed.b_start:g}, learn {changed.learn:g}, "
        "other line and samples)"
    )
    return Scenario(label, changed)


def _address(key: CellKey) -> str:
    return f"{key[0]}!{a1(key[1], key[2])}"


def _target(key: CellKey) -> str:
    return f"{quote_sheet(key[0])}!{a1(key[1], key[2])}"


def scenario_inputs(ev: Evaluator, lesson: Lesson) -> dict[str, float]:
    """The workbook's input cells set to ``lesson``'s values (cells holding formulas are left)."""
    inputs: dict[str, float] = {}
    vectors = {"descent_x": lesson.descent_x, "descent_y": lesson.samples_y}
    for name in (*SCALAR_INPUTS, *vectors):
        if name not in ev.names:
            continue
        area = ev.area(name)
        values = vectors.get(name) or (getattr(lesson, name),)
        for (row, column), value in zip(area.cells(), values, strict=False):
            if not ev.is_formula(area.sheet, column, row):
                inputs[_target((area.sheet, column, row))] = float(value)
    return inputs


def reference_at(ev: Evaluator, expected: Mapping[str, np.ndarray], cells: set[CellKey]) -> dict[str, float]:
    """The reference value of each of ``cells`` (cells of the descent tables), as inputs."""
    values = {}
    for name in TABLE_AREAS:
        if name not in expected or name not in ev.names:
            continue
        area = ev.area(name)
        want = expected[name].reshape(area.shape)
        for row, column in area.cells():
            if (area.sheet, column, row) in cells:
                values[_target((area.sheet, column, row))] = float(want[row - area.min_row, column - area.min_col])
    return values


def _differences(got: Lesson, want: Lesson) -> list[str]:
    """The inputs ``got`` holds that are not the assigned ones, in words."""

    def same(a: object, b: object) -> bool:
        if isinstance(a, tuple) and isinstance(b, tuple):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, float) and isinstance(b, (int, float)):
            return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
        return a == b

    found = []
    for field in COMPARED_INPUTS:
        a, b = getattr(got, field), getattr(want, field)
        if not same(a, b):
            shown = "other values" if isinstance(a, tuple) else repr(a)
            found.append(f"{'descent_y' if field == 'samples_y' else field} is {shown}, assigned {b!r}"[:200])
    if {k: v for k, v in got.state_start.items() if v} != {k: v for k, v in want.state_start.items() if v}:
        found.append("the optimizer state's start values are not the assigned ones (zeros)")
    return found


def _record(path: str | Path, assignment: Assignment, status: str, message: str = "") -> Record:
    return {
        "id": None,
        "name": None,
        "file": str(path),
        "status": status,
        "score": 0.0,
        "max": float(sum(assignment.points.values())),
        "items": [],
        "message": message,
    }


def grade_workbook(assignment: Assignment, path: str | Path, engine: str = DEFAULT_ENGINE) -> Record:
    """The grade of one workbook (a record as in ``--json``); never raises for a bad workbook."""
    record = _record(path, assignment, "unreadable")
    try:
        return _grade(assignment, Path(path), engine, record)
    except GdsheetError as exc:
        record["message"] = _unreadable_reason(Path(path), str(exc))
        return record


def _unreadable_reason(path: Path, text: str) -> str:
    """Why a workbook cannot be read; an encrypted (password-protected) one says so."""
    try:
        with path.open("rb") as handle:
            if handle.read(8) == OLE_MAGIC:
                return f"{path}: password-protected (encrypted) or an old .xls, not an .xlsx workbook"
    except OSError:
        pass
    return text


def _grade(assignment: Assignment, path: Path, engine: str, record: Record) -> Record:
    if not path.is_file():
        raise GdsheetError(f"{path}: no such file")
    check_workbook_archive(path)
    ev = Evaluator(path, engine)
    if "student_id" not in ev.names:
        return record | {"status": "unknown-id", "message": "no defined name student_id: not from this assignment"}
    area = ev.area("student_id")
    student_id = ev.stored(area.sheet, area.min_col, area.min_row)
    student = assignment.student(student_id) if isinstance(student_id, str) else None
    if student is None:
        shown = repr(student_id)[:80]
        return record | {"status": "unknown-id", "message": f"student_id {shown} is not on the assignment's roster"}
    record |= {"id": student.id, "name": student.name}
    held = lesson_from_workbook(ev)
    assigned = assignment.lesson_of(student.id)
    if (held.descent_x, held.samples_y) != (assigned.descent_x, assigned.samples_y):
        owner = assignment.owner_of(held.descent_x, held.samples_y)
        if owner is not None and owner.id != student.id:
            message = f"the samples are those assigned to {owner.id} ({owner.name}), not to {student.id}"
            return record | {"status": "other-students-inputs", "message": message}
    scenarios = [Scenario("the assigned inputs", assigned)]
    scenarios += [perturbed(assignment, student.id, assigned, k) for k in range(PERTURBATIONS)]
    items = _grade_items(assignment, ev, scenarios)
    differences = _differences(held, assigned)
    inputs_item = {
        "name": INPUTS_ITEM,
        "points": 0.0 if differences else assignment.points.get(INPUTS_ITEM, 0.0),
        "max": assignment.points.get(INPUTS_ITEM, 0.0),
        "first_wrong_cell": None,
        "message": "; ".join(differences) if differences else "the assigned inputs",
    }
    missing = [name for name in assignment.points if name not in assignment.blank and name != INPUTS_ITEM
               and name not in ev.names]  # fmt: skip
    items += [
        {"name": name, "points": 0.0, "max": assignment.points[name], "first_wrong_cell": None,
         "message": f"the workbook has no defined name {name!r}", "wrong_cells": 0, "cells": 0}
        for name in missing
    ]  # fmt: skip
    if INPUTS_ITEM in assignment.points:
        items = [inputs_item, *items]
    score = round(sum(float(item["points"]) for item in items), 2)  # type: ignore[arg-type]
    return record | {"status": "graded", "score": score, "items": items, "message": ""}


def _item_cells(assignment: Assignment, ev: Evaluator) -> dict[str, set[CellKey]]:
    """The cells each graded item covers: a blank column's on both sheets, an area's outside them."""
    by_design = left_empty(ev, assignment.base)
    cells = {
        name: {cell for cell in column_cells(ev.names, assignment.base, name) if cell not in by_design}
        for name in assignment.blank
    }
    blank = set().union(*cells.values())
    derived_names = [n for n in assignment.points if n not in cells and n != INPUTS_ITEM and n in ev.names]
    derived = {name: ev.area(name) for name in derived_names}
    inputs = _input_cells(ev, derived)
    for name, area in derived.items():
        keys = {(area.sheet, c, r) for r, c in area.cells()}
        cells[name] = keys - blank - inputs - by_design
    return cells


def _grade_items(assignment: Assignment, ev: Evaluator, scenarios: Sequence[Scenario]) -> list[Record]:
    """Every item but the inputs: points, first wrong cell and message."""
    item_cells = _item_cells(assignment, ev)
    blank_cells = {name: item_cells[name] for name in assignment.blank if name in item_cells}
    all_blank = set().union(*blank_cells.values()) if blank_cells else set()
    expected = [expected_for(s.lesson, ev.names) for s in scenarios]
    inputs = [scenario_inputs(ev, s.lesson) for s in scenarios]
    wrong: dict[str, list[list[dict[str, object]]]] = {name: [] for name in item_cells}
    with np.errstate(all="ignore"):
        whole = [compare_areas(ev, e, ev.all_values(i), True) for e, i in zip(expected, inputs, strict=True)]
        if not any(report.mismatches for report in whole):
            return [_item(name, assignment.points[name], item_cells[name], [], scenarios) for name in item_cells]
        # Something is wrong: judge each item on its own, the other items' cells set to the reference.
        groups = [(all_blank - cells, {name}) for name, cells in blank_cells.items()]
        groups.append((all_blank, {name for name in item_cells if name not in blank_cells}))
        for others, names in groups:
            judged = set().union(*(item_cells[name] for name in names))
            isolated = ev.with_constants(others) if others else ev
            for e, i in zip(expected, inputs, strict=True):
                values = isolated.all_values(i | reference_at(ev, e, others))
                report = compare_areas(isolated, e, values, True, cells=judged)
                for name in names:
                    own = {_address(key) for key in item_cells[name]}
                    wrong[name].append([m for m in report.mismatches if m.get("cell") in own or _shape(m, name)])
    return [_item(name, assignment.points[name], item_cells[name], wrong[name], scenarios) for name in item_cells]


def _shape(mismatch: Mapping[str, object], name: str) -> bool:
    return mismatch.get("kind") == "shape" and mismatch.get("name") == name


def _item(
    name: str, points: float, cells: set[CellKey], found: list[list[dict[str, object]]], scenarios: Sequence[Scenario]
) -> Record:
    """One item's record from its mismatches in each scenario (empty lists: all right)."""
    runs = f"{len(scenarios)} sets of inputs" if len(scenarios) > 1 else "the assigned inputs"
    first, message, bad = None, f"right ({len(cells)} cell(s), {runs})", set()
    right_at_assigned = {str(m.get("cell")) for m in (found[0] if found else [])}
    for k, mismatches in enumerate(found):
        for mismatch in mismatches:
            bad.add(str(mismatch.get("cell")))
            if first is None and message.startswith("right"):
                first = mismatch.get("cell")
                message = str(mismatch["message"])
                if k > 0 and first not in right_at_assigned:
                    got, want = mismatch.get("got"), mismatch.get("want")
                    label = scenarios[k].label
                    message = f"{first}: right with the assigned inputs, but with {label} got {got!r}, want {want!r}"
    if any(m.get("kind") == "shape" for ms in found for m in ms):
        fraction = 0.0
    else:
        fraction = (len(cells) - len(bad)) / len(cells) if cells else 1.0
    if bad and len(bad) > 1:
        message = f"{message} ({len(bad) - 1} more of its {len(cells)} cells wrong)"
    return {
        "name": name,
        "points": round(points * fraction, 2),
        "max": points,
        "first_wrong_cell": first,
        "message": message,
        "wrong_cells": len(bad),
        "cells": len(cells),
    }


# --- the batch: one forked, bounded process per file ------------------------------------------


def _limit_memory(megabytes: int) -> None:
    """Cap this process's address space at what it maps now plus ``megabytes`` (Linux)."""
    try:
        with open("/proc/self/statm") as handle:
            mapped = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return
    limit = mapped + megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _child(conn: Connection, assignment: Assignment, path: str, engine: str, memory_mb: int) -> None:
    _limit_memory(memory_mb)
    try:
        record = grade_workbook(assignment, path, engine)
    except MemoryError:
        record = _record(path, assignment, "unreadable", f"{path}: needs more than {memory_mb} MB of memory")
    except Exception as exc:  # a bug of ours: one record, the batch goes on
        record = _record(path, assignment, "unreadable", f"{path}: internal error ({type(exc).__name__}: {exc})")
    conn.send(record)
    conn.close()


def grade_files(
    assignment: Assignment,
    files: Sequence[str | Path],
    *,
    jobs: int = 1,
    timeout: float = GRADE_SECONDS,
    memory_mb: int = GRADE_MEMORY_MB,
    engine: str = DEFAULT_ENGINE,
    progress: Callable[[int, int], None] | None = None,
) -> list[Record]:
    """One record per file, in the order given; ``jobs`` files are graded at a time."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= 64:
        raise GdsheetError(f"--jobs must be a whole number from 1 to 64, got {jobs!r}")
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise GdsheetError(f"--timeout must be a number of seconds > 0, got {timeout!r}")
    if isinstance(memory_mb, bool) or not isinstance(memory_mb, int) or memory_mb < 1:
        raise GdsheetError(f"--max-memory must be a whole number of MB >= 1, got {memory_mb!r}")
    assignment.lesson_of(assignment.students[0].id)  # every student's samples, computed once before forking
    context = multiprocessing.get_context("fork")
    records: list[Record | None] = [None] * len(files)
    pending = list(enumerate(files))
    running: dict[Connection, tuple[int, multiprocessing.process.BaseProcess, float]] = {}
    done = 0
    while pending or running:
        while pending and len(running) < jobs:
            index, path = pending.pop(0)
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_child, args=(send, assignment, str(path), engine, memory_mb))
            process.start()
            send.close()
            running[receive] = (index, process, time.monotonic() + timeout)
        soonest = min(deadline for _, _, deadline in running.values())
        for conn in wait(list(running), timeout=max(0.0, soonest - time.monotonic())):
            index, process, _ = running.pop(conn)  # type: ignore[call-overload]
            try:
                records[index] = conn.recv()
            except (EOFError, OSError):
                process.join()
                why = f"the grading process died (exit {process.exitcode}), most likely out of memory"
                records[index] = _record(files[index], assignment, "unreadable", f"{files[index]}: {why}")
            process.join()
            conn.close()
            done += 1
            if progress:
                progress(done, len(files))
        now = time.monotonic()
        for conn, (index, process, deadline) in list(running.items()):
            if now >= deadline:
                process.kill()
                process.join()
                conn.close()
                del running[conn]
                why = f"took longer than {timeout:g} s to grade"
                records[index] = _record(files[index], assignment, "unreadable", f"{files[index]}: {why}")
                done += 1
                if progress:
                    progress(done, len(files))
    return [record for record in records if record is not None]


def grade(
    assignment: str | Path,
    files: Sequence[str | Path],
    *,
    jobs: int = 1,
    timeout: float = GRADE_SECONDS,
    memory_mb: int = GRADE_MEMORY_MB,
    engine: str = DEFAULT_ENGINE,
    progress: Callable[[int, int], None] | None = None,
) -> list[Record]:
    """Grade ``files`` against the assignment file ``assignment``; one record per file (the
    ``students`` list of ``--json``)."""
    if not files:
        raise GdsheetError("grade: give the workbooks to grade")
    return grade_files(
        read_assignment(assignment), files, jobs=jobs, timeout=timeout, memory_mb=memory_mb, engine=engine,
        progress=progress,
    )  # fmt: skip
