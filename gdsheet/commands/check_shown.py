"""What an application shows beyond the named areas' recalculated values (part of `gdsheet check`).

The named areas' values are recalculated and compared with the reference in
:mod:`gdsheet.commands.check`. A user does not always see those values:

- an application that does not recalculate on open shows each formula's **cached value**, so a
  cache that differs from its formula's recalculation (stale or forged) is a mismatch naming the
  cell; a formula without a cached value (a lesson gdsheet built and never ran) is fine;
- a **number typed** on a lesson sheet that no lesson name covers is shown and checked by nobody
  (a wrong constant beside a moved name): it is reported as unchecked;
- a formula whose value gdsheet's engine cannot vouch for as Excel computes it (a function
  outside the set the engine implements and tests, evaluated by `formulas` instead; a formula
  the parser rejects; an array formula) is **unverified**, never silently agreeing with itself;
- the **epoch log** shows numbers no formula computes: its epochs numbered 1, 2, …, each row's
  loss (and accuracy) the one at its parameters, and each row one epoch of the lesson's rule (at
  the schedule's rate of the row's epoch; optimizer state replayed from the reset values) from
  the row above (see :func:`log_problems`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection, Iterable, Mapping

import numpy as np

from gdsheet.commands.recalc import agree
from gdsheet.engine import xlvalues as xl
from gdsheet.engine.compiled import plain
from gdsheet.engine.evaluator import Evaluator
from gdsheet.engine.shapes import Unsupported, walk
from gdsheet.errors import GdsheetError
from gdsheet.lesson.contract import reset_name, start_name
from gdsheet.lesson.schedules import EPOCH
from gdsheet.lesson.spec import Lesson
from gdsheet.reference.oracle import lesson_epoch_ends, model_accuracy, model_loss
from gdsheet.xlsx.display import (
    TEXT,
    Layout,
    colour_problem,
    colours,
    drawings,
    format_colours,
    format_problem,
    number_formats,
    styles,
)
from gdsheet.xlsx.ranges import Range, RangeError, a1, column_letters, split_range

Mismatch = dict[str, object]
CellKey = tuple[str, int, int]

REL_TOL = 1e-9
ABS_TOL = 1e-12
MAX_REPORTED_RULES = 100
"""Conditional-format rules reported at most (each costs a search of the lesson's cells)."""


def _shown(value: object) -> str:
    return str(value).upper() if isinstance(value, bool) else repr(value)


def cache_mismatches(ev: Evaluator, computed: Mapping[CellKey, object]) -> list[Mismatch]:
    """Formula cells whose cached value is not their recalculated value (as ``recalc --check``
    holds them: :func:`gdsheet.commands.recalc.agree`); volatile cells (RAND) are not compared."""
    is_volatile = getattr(ev.engine, "is_volatile", lambda cell: False)
    found = []
    for index, sheet in enumerate(ev.book.sheets):
        for (col, row), stored in (sheet.cached or {}).items():
            key = (sheet.name, col, row)
            if stored is None or key not in computed or is_volatile((index, col, row)):
                continue  # no cached value (a lesson not yet run), or one that changes on every recalculation
            value, cached = computed[key], plain(stored)
            if not agree(cached, value):
                address = f"{sheet.name}!{a1(col, row)}"
                found.append({
                    "cell": address, "name": None, "kind": "cache", "got": cached, "want": value,
                    "message": f"{address}: its cached value {_shown(cached)} is not its formula's value "
                               f"{_shown(value)} (an application that shows the cache shows another number)",
                })  # fmt: skip
    return found


def unverified(ev: Evaluator) -> list[Mismatch]:
    """Formula runs whose value the compiled engine does not compute itself, as Excel does."""
    book = ev.book
    found = []
    seen: dict[int, str | None] = {}
    for run in book.runs():
        if run.shape not in seen:
            seen[run.shape] = _why_unverified(ev, run.shape)
        why = seen[run.shape]
        if why is None:
            continue
        sheet = book.sheets[run.sheet].name
        cells = a1(run.col, run.first) + ("" if run.first == run.last else f":{a1(run.col, run.last)}")
        found.append({
            "cell": f"{sheet}!{a1(run.col, run.first)}", "name": None, "kind": "unverified", "got": None, "want": None,
            "message": f"{sheet}!{cells}: unverified: {why}",
        })  # fmt: skip
    found += [
        {"cell": None, "name": None, "kind": "unverified", "got": None, "want": None, "message": f"unverified: {why}"}
        for why in book.unsupported
    ]
    return found


def _why_unverified(ev: Evaluator, shape: int) -> str | None:
    try:
        tree = ev.book.shapes.tree(shape)
    except Unsupported as why:
        return f"gdsheet's engine cannot parse the formula ({why})"
    functions = sorted({node[1] for node in walk(tree) if node[0] == "fn" and node[1] not in xl.FUNCTIONS})
    if functions:
        return (
            f"{', '.join(functions)} {'is' if len(functions) == 1 else 'are'} outside the functions gdsheet's engine "
            "evaluates as Excel does, so its value is not vouched for"
        )
    return None


def uncovered_numbers(ev: Evaluator, covered: set[CellKey], sheets: Iterable[str]) -> list[str]:
    """Numbers typed on the lesson's sheets (``sheets``) that no lesson name covers, as Sheet!A1."""
    found = []
    wanted = set(sheets)
    for sheet in ev.book.sheets:
        if sheet.name not in wanted:
            continue
        for col, rows in sorted(sheet.constants.items()):
            for row, value in sorted(rows.items()):
                number = isinstance(value, float) and not isinstance(value, bool)
                if number and (sheet.name, col, row) not in covered:
                    found.append((row, col, f"{sheet.name}!{a1(col, row)}"))
    found.sort()
    return [address for _, _, address in found]


def live_epoch_labels(ev: Evaluator, lesson: Lesson) -> tuple[set[CellKey], list[Mismatch]]:
    """The Live sheet's epoch column (left of ``live_descent``: epoch k beside each of its rows),
    as checked cells, and a mismatch for each label that is not its epoch."""
    if "live_descent" not in ev.names or not lesson.descent_x:
        return set(), []
    area = ev.area("live_descent")
    col, samples = area.min_col - 1, len(lesson.descent_x)
    cells, found = set(), []
    for row in range(area.min_row, area.max_row + 1):
        want = float((row - area.min_row) // samples + 1)
        got = ev.stored(area.sheet, col, row)
        cells.add((area.sheet, col, row))
        if got != want:
            address = f"{area.sheet}!{a1(col, row)}"
            message = f"{address} (the live table's epoch label): got {got!r}, want {want!r}"
            found.append({"cell": address, "name": "live_descent", "kind": "value", "got": got, "want": want,
                          "message": message})  # fmt: skip
    return cells, found


def _log_problem(row: int, address: str, what: str) -> Mismatch:
    return {"cell": address, "name": "epoch_log", "kind": "log", "got": None, "want": None,
            "message": f"epoch_log row {row} ({address}): {what}"}  # fmt: skip


def _close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _log_origin(ev: Evaluator, lesson: Lesson) -> tuple[dict[str, float], dict[str, float]] | None:
    """Where a log begins: the parameters and optimizer state `reset` restores (the build's
    values), which the first run after a build or a reset starts from; None when a reset cell is
    missing or holds no number (the names' check reports it)."""
    names = [*(reset_name(p) for p in lesson.params), *(reset_name(x) for x in lesson.state)]
    values = {}
    for name in names:
        got = ev.stored(ev.area(name).sheet, ev.area(name).min_col, ev.area(name).min_row) if name in ev.names else None
        if not isinstance(got, float) or isinstance(got, bool) or not math.isfinite(got):
            return None
        values[name] = got
    return ({p: values[reset_name(p)] for p in lesson.params}, {x: values[reset_name(x)] for x in lesson.state})


def log_problems(ev: Evaluator, lesson: Lesson) -> tuple[list[Mismatch], list[str]]:
    """The first row of the epoch log that no run of this lesson produces, as a one-item list
    (empty when every row holds), and the log rows check cannot verify (as Sheet!A1:D1).

    Each row (epoch, each parameter, the loss, a classifier's accuracy) must be numbered 1, 2, …
    (empty rows skipped), hold the loss (and accuracy) at its parameters, and follow from the row
    above by one epoch of the lesson's rule (:func:`gdsheet.reference.oracle.lesson_epoch_ends`: the
    model, the gradient rule, mini-batches, the optimizer). The log records no optimizer state,
    but the state is derivable: a log starts at the first run after a build or a reset, from the
    reset values (state 0), so the first row is one epoch from there, and each later row's state
    is the replayed state of the row above. A first row that does not follow from the reset
    values (the start values were edited before the first run) leaves the log's origin unknown:
    that row, and for an optimizer with state every row, cannot be verified and are returned as
    such (they fail the check unless ``--allow-unchecked``). The ``--record`` columns beyond these
    are replayed too (:func:`_record_problems`)."""
    if "epoch_log" not in ev.names:
        return [], []
    log = ev.area("epoch_log")
    params = lesson.params
    scored = lesson.spec.classes
    width = len(params) + 2 + (1 if scored else 0)
    if log.shape[1] < width:
        where = f"{log.sheet}!{log.ref()}"
        columns = f"epoch, {', '.join(params)}, loss{', accuracy' if scored else ''}"
        return [_log_problem(log.min_row, where, f"the log has fewer than {width} columns ({columns})")], []
    x, y = lesson.x_columns, lesson.samples_y
    replayed: list[tuple[int, int, dict[str, float], dict[str, float] | None]] = []  # for the --record columns
    origin = _log_origin(ev, lesson)
    epoch_end = lesson_epoch_ends(lesson)  # set up once: a long log replays a million epochs
    previous: tuple[dict[str, float], dict[str, float]] | None = origin  # parameters and state before this row
    unverified_rows: list[str] = []
    expected_epoch = 1
    for row in range(log.min_row, log.max_row + 1):
        values = [ev.stored(log.sheet, log.min_col + i, row) for i in range(width)]
        if all(value is None for value in values):
            continue
        address = f"{log.sheet}!{a1(log.min_col, row)}"
        if not all(isinstance(v, float) and math.isfinite(v) for v in values):
            return [_log_problem(row, address, "the epoch, the parameters and the loss must all be finite numbers")], []
        epoch, *numbers = (float(v) for v in values)  # type: ignore[arg-type]
        got = dict(zip(params, numbers[: len(params)], strict=True))
        loss = numbers[len(params)]
        if epoch != expected_epoch:
            return [_log_problem(row, address, f"epoch {epoch:g} where epoch {expected_epoch} follows")], []
        with np.errstate(all="ignore"):
            want_loss = model_loss(lesson.model_key, got, x, y, lesson.loss)
            want_accuracy = model_accuracy(lesson.model_key, got, x, y)
        if not _close(loss, want_loss):
            what = f"the loss {loss!r} is not the loss at its parameters ({want_loss!r})"
            return [_log_problem(row, address, what)], []
        if want_accuracy is not None and not _close(numbers[-1], want_accuracy):
            what = f"the accuracy {numbers[-1]!r} is not the accuracy at its parameters ({want_accuracy!r})"
            return [_log_problem(row, address, what)], []
        state: dict[str, float] | None = None
        if previous is not None:
            with np.errstate(all="ignore"):
                want, state = epoch_end(previous[0], previous[1], expected_epoch)  # the schedule's rate
            if not all(_close(got[p], want[p]) for p in params):
                if expected_epoch == 1:
                    state = None  # the start values were edited before the first run: the origin is unknown
                else:
                    shown = ", ".join(f"{p} = {got[p]!r}" for p in params)
                    wanted = ", ".join(repr(want[p]) for p in params)
                    return [_log_problem(row, address, (
                        f"{shown} do not follow from the row above by one epoch of the lesson's rule "
                        f"(that gives {wanted})"
                    ))], []  # fmt: skip
        if state is None and (expected_epoch == 1 or lesson.state):
            unverified_rows.append(f"{log.sheet}!{a1(log.min_col, row)}:{a1(log.min_col + width - 1, row)}")
        replayed.append((row, expected_epoch, got, state if state is not None or lesson.state else {}))
        previous = (got, dict(state or {})) if state is not None or not lesson.state else None
        expected_epoch += 1
    problems, unknown = _record_problems(ev, lesson, log, width, replayed)
    return problems, unverified_rows + unknown


def filled_cells(ev: Evaluator, cells: Iterable[CellKey]) -> set[CellKey]:
    """The cells of ``cells`` that hold something to show (a constant or a formula): an empty
    lesson cell (a log's rows not yet run) shows nothing, whatever is drawn over it or hidden."""
    sheets = {sheet.name: sheet for sheet in ev.book.sheets}
    filled = set()
    for key in cells:
        sheet = sheets.get(key[0])
        if sheet is not None and (key[2] in sheet.constants.get(key[1], {}) or sheet.formula_at(key[1], key[2])):
            filled.add(key)
    return filled


def share_cells(ev: Evaluator, lesson: Lesson) -> set[CellKey]:
    """The cells holding a classifier's accuracy (the ``accuracy`` cell, and the last column of the
    epoch log and of the Live log), which the lesson shows as percentages."""
    if not lesson.spec.classes:
        return set()
    column = len(lesson.params) + 2  # epoch, each parameter, the loss, then the accuracy
    cells: set[CellKey] = set()
    for name, offset in (("accuracy", 0), ("epoch_log", column), ("live_log", column)):
        if name in ev.names and ev.area(name).shape[1] > offset:
            area = ev.area(name)
            cells |= {(area.sheet, area.min_col + offset, row) for row in range(area.min_row, area.max_row + 1)}
    return cells


def format_problems(ev: Evaluator, cells: Iterable[CellKey], shares: Collection[CellKey] = ()) -> list[Mismatch]:
    """Lesson cells whose number format shows another number than their value (see
    :func:`gdsheet.xlsx.display.format_problem`; ``shares`` may show as percentages), one
    mismatch per cell."""
    formats = number_formats(ev.path)
    problems: dict[tuple[int, bool], str | None] = {}
    sheets = {sheet.name: sheet for sheet in ev.book.sheets}
    found = []
    for key in sorted(cells, key=lambda key: (key[0], key[2], key[1])):
        sheet_name, col, row = key
        sheet = sheets.get(sheet_name)
        if sheet is None:
            continue
        style = sheet.styles.get(col, {}).get(row, 0)  # a cell without ``s`` has the default style, 0
        if style == 0 and row not in sheet.constants.get(col, {}) and sheet.formula_at(col, row) is None:
            continue  # an empty cell shows nothing, whatever its format
        kind = (style, key in shares)
        if kind not in problems:
            problems[kind] = format_problem(formats.get(style, "General"), share=kind[1])
        if (why := problems[kind]) is not None:
            address = f"{sheet_name}!{a1(col, row)}"
            message = f"{address}: its number format shows another number than its value: {why}"
            found.append({"cell": address, "name": None, "kind": "format", "got": formats.get(style), "want": None,
                          "message": message})  # fmt: skip
    return found


def conditional_problems(ev: Evaluator, cells: set[CellKey], shares: Collection[CellKey] = ()) -> list[Mismatch]:
    """Conditional-format rules over lesson cells whose differential style sets a number format
    that shows another number than the value (``[<0]`` rules, a colour scale with a format…), one
    mismatch per rule, naming the first lesson cell it covers: when the rule's condition holds,
    the cell shows what the format says, not the checked value."""
    _, differential = styles(ev.path)
    found = []
    for sheet in ev.book.sheets:
        for sqref, dxf in sheet.conditional:
            code = dxf if isinstance(dxf, str) else differential.get(dxf)  # an Excel 2010 rule's own, or a dxf's
            if code is None or (format_problem(code, share=True) is None and format_problem(code) is None):
                continue  # colours, fonts, borders or a harmless format: the number shows as it is
            if len(found) >= MAX_REPORTED_RULES:
                break
            covered = _first_covered(sheet.name, sqref, cells)
            if covered is None:
                continue
            why = format_problem(code, share=covered in shares)
            if why is None:
                continue
            address = f"{sheet.name}!{a1(covered[1], covered[2])}"
            message = (f"{address}: a conditional format over {sqref[:80]} shows another number than its "
                       f"value when its rule holds: {why}")  # fmt: skip
            found.append({"cell": address, "name": None, "kind": "format", "got": code, "want": None,
                          "message": message})  # fmt: skip
    return found


def _first_covered(sheet: str, sqref: str, cells: set[CellKey], accept: Callable[[CellKey], bool] | None = None
                   ) -> CellKey | None:  # fmt: skip
    """The first lesson cell (by row, then column) among the ranges of ``sqref`` (``A1:B2 D4``)
    that ``accept`` takes (any, without it)."""
    areas = []
    for ref in sqref.split():
        try:
            areas.append(split_range(ref)[1])
        except RangeError:
            continue
    return _first_in(sheet, areas, cells, accept)


def _first_in(sheet: str, areas: Iterable[Range], cells: set[CellKey], accept: Callable[[CellKey], bool] | None = None
              ) -> CellKey | None:  # fmt: skip
    """The first lesson cell (by row, then column) inside any of ``areas`` on ``sheet`` that
    ``accept`` takes; each area costs the smaller of its size and the lesson's cells."""
    best: tuple[int, int] | None = None
    for area in areas:
        if area.size <= len(cells):
            inside = ((row, col) for row, col in area.cells() if (sheet, col, row) in cells)
        else:
            inside = ((row, col) for name, col, row in cells if name == sheet and (row, col) in area)
        if accept is not None:
            inside = (cell for cell in inside if accept((sheet, cell[1], cell[0])))
        first = min(inside, default=None)
        if first is not None and (best is None or first < best):
            best = first
    return None if best is None else (sheet, best[1], best[0])


DRAWN = {"sp": "a shape or text box", "pic": "a picture", "graphicFrame": "a chart", "grpSp": "a group of shapes",
         "cxnSp": "a connector"}  # fmt: skip


def drawing_problems(ev: Evaluator, cells: set[CellKey]) -> list[Mismatch]:
    """Shapes, text boxes, pictures and charts drawn over lesson cells, one mismatch each,
    naming the first lesson cell the drawing's rectangle overlaps (through the sheet's real
    column widths and row heights, :class:`gdsheet.xlsx.display.Layout`)."""
    parts = {sheet.name: sheet.part for sheet in ev.book.sheets if sheet.part}
    layouts = {sheet.name: sheet.layout for sheet in ev.book.sheets if sheet.layout is not None}
    found = []
    for sheet, drawn in drawings(ev.path, parts, layouts).items():
        reported: set[int] = set()
        for item in drawn:
            area = Range(sheet, item.min_row, item.min_col, item.max_row, item.max_col)
            covered = None if item.anchor in reported else _first_in(sheet, [area], cells)
            if covered is None:
                continue
            reported.add(item.anchor)
            address = f"{sheet}!{a1(covered[1], covered[2])}"
            what = DRAWN.get(item.kind, "a drawing")
            message = f"{address}: {what} is drawn over this lesson cell, hiding what it shows"
            found.append({"cell": address, "name": None, "kind": "drawing", "got": item.kind, "want": None,
                          "message": message})  # fmt: skip
    return found


MAX_HIDDEN_REPORTED = 100
"""Hidden rows, columns and sheets, and invisible colours, reported at most (each one mismatch)."""


def _mismatch(address: str, kind: str, message: str, got: object = None) -> Mismatch:
    return {"cell": address, "name": None, "kind": kind, "got": got, "want": None, "message": message}


def hidden_problems(ev: Evaluator, cells: set[CellKey]) -> list[Mismatch]:
    """Lesson cells an application does not show: on a hidden or very hidden sheet (while
    another sheet shows numbers), in a hidden row (``hidden``, height 0, ``zeroHeight``, a
    collapsed outline) or a hidden column (``hidden``, width 0). One mismatch per sheet, row or
    column, naming its first lesson cell that holds something."""
    layouts = {sheet.name: sheet.layout for sheet in ev.book.sheets if sheet.layout is not None}
    if not _any_hidden(layouts, cells):  # the usual lesson: one pass over the cells, no sorting
        return []
    found: list[Mismatch] = []
    seen: set[tuple[str, str, int]] = set()
    for sheet, col, row in sorted(cells, key=lambda key: (key[0], key[2], key[1])):
        layout = layouts.get(sheet)
        if layout is None or len(found) >= MAX_HIDDEN_REPORTED:
            continue
        address = f"{sheet}!{a1(col, row)}"
        if layout.state != "visible" and (sheet, "sheet", 0) not in seen:
            seen.add((sheet, "sheet", 0))
            found.append(_mismatch(address, "hidden", (
                f"{address}: the sheet {sheet!r} is {layout.state}: its lesson cells are not shown, while another "
                "sheet's are"), layout.state))  # fmt: skip
        if layout.hidden_row(row) and (sheet, "row", row) not in seen:
            seen.add((sheet, "row", row))
            found.append(
                _mismatch(address, "hidden", f"{address}: row {row} is hidden (or 0 high): its number is not shown")
            )
        if layout.hidden_column(col) and (sheet, "column", col) not in seen:
            seen.add((sheet, "column", col))
            message = f"{address}: column {column_letters(col)} is hidden (or 0 wide): its number is not shown"
            found.append(_mismatch(address, "hidden", message))
    return found


def _any_hidden(layouts: dict[str, Layout], cells: set[CellKey]) -> bool:
    """Whether any of ``cells`` is on a sheet that is not visible, or in a hidden row or column
    (each distinct row and column asked once)."""
    by_sheet: dict[str, tuple[set[int], set[int]]] = {}
    for sheet, col, row in cells:
        if sheet in layouts:
            columns, rows = by_sheet.setdefault(sheet, (set(), set()))
            columns.add(col)
            rows.add(row)
    return any(
        layouts[sheet].state != "visible"
        or any(map(layouts[sheet].hidden_column, columns))
        or any(map(layouts[sheet].hidden_row, rows))
        for sheet, (columns, rows) in by_sheet.items()
    )


def colour_problems(ev: Evaluator, cells: set[CellKey]) -> list[Mismatch]:
    """Lesson cells whose number is painted in (about) the colour of its fill: the cell style's
    font and fill, the colours of its number format's sections (``[White]``), and each
    conditional-format rule's differential font and fill over it (a rule is taken as holding, as
    for number formats). Theme, indexed and tinted colours are resolved
    (:func:`gdsheet.xlsx.display.colours`). One mismatch per cell style and per rule, naming the
    first lesson cell that holds something."""
    paint = colours(ev.path)
    formats = number_formats(ev.path)
    sheets = {sheet.name: sheet for sheet in ev.book.sheets}
    problems: dict[int, str | None] = {}

    def style_of(key: CellKey) -> int:
        return sheets[key[0]].styles.get(key[1], {}).get(key[2], 0)

    def why(style: int, font: str | None = None, fill: str | None = None) -> str | None:
        own_font, own_fill = paint.cells.get(style, (TEXT, None))
        ground = fill if fill is not None else own_fill
        inks = [font] if font is not None else [own_font, *format_colours(formats.get(style, "General"), paint.palette)]
        return next((problem for ink in inks if (problem := colour_problem(ink, ground)) is not None), None)

    found: list[Mismatch] = []
    reported: set[int] = set()
    for style in {style_of(key) for key in cells if key[0] in sheets}:  # each distinct style judged once
        problems[style] = why(style)
    painted = any(problem is not None for problem in problems.values())
    for key in sorted(cells, key=lambda key: (key[0], key[2], key[1])) if painted else ():  # naming its first cell
        if key[0] not in sheets or len(found) >= MAX_HIDDEN_REPORTED:
            continue
        style = style_of(key)
        if problems[style] is not None and style not in reported:
            reported.add(style)
            address = f"{key[0]}!{a1(key[1], key[2])}"
            found.append(_mismatch(address, "colour", f"{address}: {problems[style]}"))
    for sheet in ev.book.sheets:
        for sqref, dxf in sheet.conditional[:MAX_REPORTED_RULES]:
            if not isinstance(dxf, int) or dxf not in paint.differential or len(found) >= MAX_HIDDEN_REPORTED:
                continue
            font, fill = paint.differential[dxf]
            clashes = functools.partial(lambda key, ink, ground: why(style_of(key), ink, ground) is not None,
                                        ink=font, ground=fill)  # fmt: skip
            hit = _first_covered(sheet.name, sqref, cells, clashes)
            if hit is not None:
                address = f"{sheet.name}!{a1(hit[1], hit[2])}"
                message = (f"{address}: a conditional format over {sqref[:80]} paints it so that "
                           f"{why(style_of(hit), font, fill)} when its rule holds")  # fmt: skip
                found.append(_mismatch(address, "colour", message))
    return found


def _record_problems(ev: Evaluator, lesson: Lesson, log: Range, width: int,
                     replayed: list[tuple[int, int, dict[str, float], dict[str, float] | None]]
                     ) -> tuple[list[Mismatch], list[str]]:  # fmt: skip
    """The ``--record`` columns (right of the lesson's own, headed by the recorded cell's text):
    each row's value must be that cell evaluated (by the compiled engine) at the row's state, the
    parameters of the row and the optimizer state replayed to it, the epoch after it (what a run
    carries into the start cells before it records). Every row is evaluated (a step of the
    compiled engine each). Returns the first row whose value is not, and the cells that cannot be
    verified (a header that is no cell, a row whose state is unknown)."""
    columns = range(log.min_col + width, log.max_col + 1)
    if not columns or not replayed:
        return [], []
    unknown: list[str] = []
    headers = {}
    for col in columns:
        text = ev.stored(log.sheet, col, log.min_row - 1) if log.min_row > 1 else None
        try:
            if isinstance(text, str) and ev.area(text).shape == (1, 1):
                headers[col] = text
                continue
        except GdsheetError:
            pass
        unknown.append(f"{log.sheet}!{a1(col, log.min_row)}:{a1(col, log.max_row)}")
    if not headers:
        return [], unknown
    targets = [start_name(p) for p in lesson.params] + [start_name(x) for x in lesson.state]
    epoch_input = start_name(EPOCH) in ev.names
    try:
        step = ev.stepper([*targets, *([start_name(EPOCH)] if epoch_input else [])], list(headers.values()))
    except GdsheetError as why:
        return [], [*unknown, *(f"{log.sheet}!{a1(c, log.min_row)}:{a1(c, log.max_row)} ({why})" for c in headers)]
    for row, epoch, params, state in replayed:
        if state is None:
            unknown += [f"{log.sheet}!{a1(col, row)}" for col in headers if ev.stored(log.sheet, col, row) is not None]
            continue
        inputs = [*(params[p] for p in lesson.params), *(state.get(x, 0.0) for x in lesson.state)]
        with np.errstate(all="ignore"):
            values = step([*inputs, *([float(epoch + 1)] if epoch_input else [])])
        for (col, text), want in zip(headers.items(), values, strict=True):
            got = ev.stored(log.sheet, col, row)
            if got is None:
                continue  # a later run that did not record this cell leaves it empty
            if not (isinstance(got, float) and isinstance(want, float) and _close(got, want)):
                address = f"{log.sheet}!{a1(col, row)}"
                what = f"the recorded {text} {got!r} is not {text} at the row's state ({want!r})"
                return [_log_problem(row, address, what)], unknown
    return [], unknown
