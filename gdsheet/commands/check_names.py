"""The lesson's defined names as a contract, checked before any value (part of `gdsheet check`).

`check` finds every lesson cell through the workbook's defined names, so a name that points
elsewhere makes the cell a user sees a cell nobody checks. Excel resolves names
case-insensitively, prefers a sheet-level name over the workbook-level one for the formulas of
its sheet, and lets a name be a union of rectangles; gdsheet's engine and `check` read one
workbook-level rectangle per name. Every way those can differ is a mismatch naming the name:

- a lesson name defined twice (``RMSE`` and ``rmse``: Excel keeps one, and not necessarily ours);
- a sheet-level name that shadows a lesson name (a local ``learn`` that the sheet's formulas
  read instead of the checked one): refused rather than guessed;
- a lesson name that is not one rectangle of one sheet (a union, ``#REF!``, a formula);
- a name the lesson's contract (:mod:`gdsheet.lesson.contract`) lists that the workbook lacks
  (``grid`` deleted, so its cells would only be "unchecked");
- a name that is no lesson name (hidden or not) over a cell of the lesson's names: it would make
  a typed constant look like an input;
- a name moved out of its place relative to the others (``descent_x`` is the table's first
  column, ``next_m`` its last row's new_m, the grid's axes border the grid, …).
"""

from __future__ import annotations

import re
from collections import defaultdict

from gdsheet.engine.evaluator import Evaluator, parse_area
from gdsheet.errors import WorkbookError
from gdsheet.lesson.contract import contract
from gdsheet.lesson.spec import Lesson
from gdsheet.xlsx.ranges import a1

Mismatch = dict[str, object]

BUILT_IN = re.compile(r"^_xlnm\.", re.IGNORECASE)
"""Excel's own names (print area, print titles, filter database), which lessons may carry."""


def is_lesson_name(name: str, lesson: Lesson) -> bool:
    """Whether ``name`` (any case) is one ``lesson``'s contract lists."""
    return name.lower() in contract(lesson)


def _mismatch(name: str, message: str) -> Mismatch:
    return {"cell": None, "name": name, "kind": "name", "got": None, "want": None, "message": message}


def name_problems(ev: Evaluator, lesson: Lesson) -> list[Mismatch]:
    """Every way the workbook's names differ from the lesson's contract, one mismatch each."""
    found: list[Mismatch] = []
    scopes: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    for entry in ev.book.defined:
        scopes[(entry.sheet, entry.name.lower())].append(entry.name)
    for (sheet, lowered), spellings in scopes.items():
        if len(spellings) > 1 and not BUILT_IN.match(lowered):
            where = "" if sheet is None else f" on sheet {sheet}"
            found.append(_mismatch(lowered, f"the name {spellings[0]!r} is defined {len(spellings)} times{where} "
                                            f"({', '.join(map(repr, spellings))}); Excel treats names "
                                            "case-insensitively and keeps one"))  # fmt: skip
    for entry in ev.book.defined:
        if (
            entry.sheet is not None
            and not BUILT_IN.match(entry.name)
            and (is_lesson_name(entry.name, lesson) or entry.name.lower() in ev.names)
        ):
            found.append(_mismatch(entry.name.lower(), (
                f"a sheet-level name {entry.name!r} on sheet {entry.sheet} shadows the "
                f"workbook-level one: that sheet's formulas read {entry.text!r} instead"
            )))  # fmt: skip
    for entry in ev.book.defined:
        if entry.sheet is None and is_lesson_name(entry.name, lesson) and entry.name.lower() not in ev.names:
            found.append(_mismatch(entry.name.lower(), (
                f"the name {entry.name!r} refers to {entry.text!r}, not one rectangle of one sheet "
                "(a union, a deleted range or a formula)"
            )))  # fmt: skip
    missing = [name for name in contract(lesson) if name not in ev.names]
    found += [
        _mismatch(name, f"the lesson's name {name!r} is missing, so its cells would be checked against nothing")
        for name in missing
        if not any(m["name"] == name for m in found)
    ]
    found += _extra_names(ev, lesson)
    found += _misplaced(ev, lesson)
    return found


def _extra_names(ev: Evaluator, lesson: Lesson) -> list[Mismatch]:
    """Names that are no lesson name over a cell some lesson name covers."""
    lesson_areas = [area for name, area in ev.names.items() if is_lesson_name(name, lesson)]
    found = []
    for entry in ev.book.defined:
        if is_lesson_name(entry.name, lesson) or BUILT_IN.match(entry.name):
            continue
        try:
            area = parse_area(entry.text, ev.sheets)
        except WorkbookError:
            continue  # not a rectangle: it cannot make a cell look like an input
        for other in lesson_areas:
            if other.sheet == area.sheet and _overlap(area, other):
                row = max(area.min_row, other.min_row)
                col = max(area.min_col, other.min_col)
                cell = f"{area.sheet}!{a1(col, row)}"
                hidden = "a hidden " if entry.hidden else "a "
                found.append(_mismatch(entry.name.lower(), (
                    f"{hidden}name {entry.name!r} that no lesson defines covers {cell}, a lesson cell "
                    "(it could make a typed constant look like an input)"
                )))  # fmt: skip
                break
    return found


def _overlap(a: object, b: object) -> bool:
    return (
        a.min_row <= b.max_row and b.min_row <= a.max_row and a.min_col <= b.max_col and b.min_col <= a.max_col  # type: ignore[attr-defined]
    )


def _misplaced(ev: Evaluator, lesson: Lesson) -> list[Mismatch]:
    """Names out of their place relative to the table, the grid and the data they belong to."""
    expected: list[tuple[str, str, tuple[int, int, int, int]]] = []  # (name, relation, rows and columns)
    names = ev.names
    if "descent" in names:
        d = names["descent"]
        new = {column: d.min_col + i for i, column in enumerate(lesson.columns)}
        expected += [
            (
                f"descent_{column}",
                f"the descent table's {column} column",
                (d.min_row, new[column], d.max_row, new[column]),
            )
            for column in (*lesson.features, "y")
        ]
        expected += [
            (f"next_{p}", f"the descent table's last new_{p}", (d.max_row, new[f"new_{p}"], d.max_row, new[f"new_{p}"]))
            for p in lesson.params
        ]
        if "descent_estimates" in names:
            width = len(lesson.estimates)
            e = names["descent_estimates"]
            expected.append(("descent_estimates", "beside the descent table, on its rows",
                             (d.min_row, e.min_col, d.max_row, e.min_col + width - 1)))  # fmt: skip
        state = lesson.state
        if state and "descent_state" in names:
            s = names["descent_state"]
            expected.append(("descent_state", "beside the descent table, on its rows",
                             (d.min_row, s.min_col, d.max_row, s.min_col + len(state) - 1)))  # fmt: skip
            for i, column in enumerate(state):
                expected.append((f"next_{column}", f"the last row's {column}",
                                 (d.max_row, s.min_col + i, d.max_row, s.min_col + i)))  # fmt: skip
    if {"grid", "grid_m", "grid_b"} <= names.keys():
        g = names["grid"]
        expected += [
            ("grid_m", "left of the grid, on its rows", (g.min_row, g.min_col - 1, g.max_row, g.min_col - 1)),
            ("grid_b", "above the grid, over its columns", (g.min_row - 1, g.min_col, g.min_row - 1, g.max_col)),
        ]
    if "m_start" in names:
        m = names["m_start"]
        at = {  # the controls block: m and b as actual, current and reset-to, the loss beside m
            "b_start": ("below m_start", (m.min_row + 1, m.min_col)),
            "m_reset": ("right of m_start", (m.min_row, m.min_col + 1)),
            "b_reset": ("right of b_start", (m.min_row + 1, m.min_col + 1)),
        }
        expected += [(name, relation, (row, col, row, col)) for name, (relation, (row, col)) in at.items()]
        if "actual_shown" in names:
            expected.append(("actual_shown", "left of m_start and b_start",
                             (m.min_row, m.min_col - 1, m.min_row + 1, m.min_col - 1)))  # fmt: skip
        if "rmse" in names:  # its column is the layout's; its row is m_start's
            r = names["rmse"]
            expected.append(
                ("rmse", "the loss beside m_start, on its row", (m.min_row, r.min_col, m.min_row, r.min_col))
            )
    if {"data_x", "data_y"} <= names.keys():
        x = names["data_x"]
        expected.append(("data_y", "the column right of data_x, on its rows",
                         (x.min_row, x.min_col + 1, x.max_row, x.min_col + 1)))  # fmt: skip
    found = []
    for name, relation, (row1, col1, row2, col2) in expected:
        area = names.get(name)
        if area is None:
            continue
        anchor = next(iter(n for n in ("descent", "grid", "m_start", "data_x") if n in names))
        same_sheet = area.sheet == names[anchor].sheet
        if not same_sheet or (area.min_row, area.min_col, area.max_row, area.max_col) != (row1, col1, row2, col2):
            want = f"{a1(col1, row1)}" + ("" if (row1, col1) == (row2, col2) else f":{a1(col2, row2)}")
            if name == "rmse":
                want = f"row {row1}"
            found.append(_mismatch(name, f"the name {name!r} points at {area.sheet}!{area.ref()}, not at {want} "
                                         f"({relation})"))  # fmt: skip
    return found


def lesson_cells(ev: Evaluator, lesson: Lesson) -> set[tuple[str, int, int]]:
    """Every (sheet, column, row) a lesson name covers (bounded by the names' size limit)."""
    cells: set[tuple[str, int, int]] = set()
    for name, area in ev.names.items():
        if is_lesson_name(name, lesson):
            cells.update(
                (area.sheet, col, row)
                for row in range(area.min_row, area.max_row + 1)
                for col in range(area.min_col, area.max_col + 1)
            )
    return cells
