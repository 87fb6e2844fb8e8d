"""The ``Live`` sheet: N epochs of the descent table unrolled as formulas, and their log.

No macro and no `gdsheet run` is needed to see training: epoch k+1's first row starts from
epoch k's last row (m, b and the optimizer state), so editing ``learn``, a hyper-parameter, a
sample or a start value on the Lesson sheet redraws every epoch at once, in any spreadsheet.
The columns are the lesson table's, found by name, in the same letters as on the Lesson sheet,
and the log has one column per parameter of the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.contract import live_empty_columns, start_name
from gdsheet.lesson.schedules import EPOCH, LIVE_RATE, scheduled
from gdsheet.lesson.spec import Lesson, loss_key
from gdsheet.limits import EXCEL_ROWS
from gdsheet.writer.cells import (
    ACCURACY,
    GENERAL,
    HEADING_FONT,
    INTEGER,
    SHEET,
    WRAP_TOP,
    accuracy_formula,
    loss_formula,
    put,
)
from gdsheet.writer.descent_rows import (
    batch_start,
    column_formats,
    first_row_sources,
    mark_batch_end,
    row_formulas,
    sources_above,
)
from gdsheet.writer.layout import FIRST_COL, TEXT_COL, Layout, cell, col, layout_for
from gdsheet.writer.models import MODELS
from gdsheet.writer.schedule import rate_formula

LIVE_SHEET = "Live"
EPOCH_COL = FIRST_COL - 1  # B: which epoch a table row belongs to


EXPLANATION = (
    "Each block of rows below is one epoch of the Lesson sheet's descent table, and each block "
    "starts where the one above it stopped. Everything here is a formula: change learn, a "
    "hyper-parameter, a start value or a sample on the Lesson sheet and every epoch follows at "
    "once, no button needed. "
    "The log gives m, b and the loss after each epoch."
)


@dataclass(frozen=True)
class LiveLayout:
    """Rows of the Live sheet: the title, the log (one row per epoch), then the unrolled table."""

    epochs: int
    samples: int
    title_row: int = 1
    text_row: int = 2
    log_header: int = 4

    @property
    def log_first(self) -> int:
        return self.log_header + 1

    @property
    def table_header(self) -> int:
        return self.log_first + self.epochs + 2

    @property
    def table_first(self) -> int:
        return self.table_header + 1

    @property
    def table_last(self) -> int:
        return self.table_first + self.epochs * self.samples - 1


def live_epochs_that_fit(samples: int, rows: int = EXCEL_ROWS) -> int:
    """The most epochs a Live sheet of ``samples`` rows per epoch holds within a sheet's rows."""
    fixed = LiveLayout(0, samples).table_first  # rows above the table with an empty log
    return max((rows - fixed + 1) // (samples + 1), 0)


def _ref(column: int, row: int, last_column: int | None = None, last_row: int | None = None) -> str:
    first = f"{LIVE_SHEET}!{cell(column, row, absolute=True)}"
    return first if last_column is None else f"{first}:{cell(last_column, last_row or row, absolute=True)}"


def _live_columns(lesson: Lesson, at: Layout) -> tuple[str, ...]:
    """The table columns the Live sheet fills, in the Lesson sheet's order: the columns only the
    estimates read are left out (empty and hidden) unless they drive the update, since every cell
    unrolled N times costs recalculation time (:func:`gdsheet.lesson.contract.live_empty_columns`)."""
    if lesson.gradient == "finite-difference":
        return at.table_columns
    skipped = (*live_empty_columns(lesson), *lesson.estimates)
    return tuple(name for name in at.table_columns if name not in skipped)


def unroll(
    ws: Worksheet,
    lesson: Lesson,
    at: Layout,
    first_row: int,
    column_of: Callable[[str], int],
    columns: Sequence[str],
    rate_of: Callable[[int], str],
    epoch_col: int | None = None,
    fresh_state: bool = False,
) -> list[int]:
    """Write ``lesson``'s live epochs of table rows from ``first_row`` on; returns each epoch's last row.

    Epoch k+1's first row starts from epoch k's last row (parameters and state); the inputs and y
    are the Lesson sheet's samples (``at`` is its layout). ``column_of`` places each table column by
    name, only ``columns`` are written, ``rate_of(k)`` is the rate epoch k steps by, and
    ``epoch_col`` (when given) labels each row with its epoch; ``fresh_state`` starts the optimizer
    state at 0 instead of its ``X_start`` cells (a sweep variant). The Live sheet and the Sweep sheet
    (once per variant) unroll their epochs here."""
    names = layout_for(lesson).table_columns  # the lesson's (or a variant's) columns, by name
    formats = column_formats(lesson)
    before = first_row_sources(lesson) | ({name: "0" for name in lesson.state} if fresh_state else {})
    last_rows = []
    for epoch in range(1, lesson.live_epochs + 1):
        for k in range(at.n_samples):
            row = first_row + (epoch - 1) * at.n_samples + k
            here = {name: cell(column_of(name), row) for name in names}
            top = row - k

            def cells(j: int, top: int = top) -> dict[str, str]:
                return {name: cell(column_of(name), top + j) for name in names}

            formulas = row_formulas(lesson, here, before, batch_start(lesson, k, at.n_samples, cells), rate_of(epoch))
            lesson_row = at.descent_first + k
            for name in (*lesson.features, "y"):
                formulas[name] = f"={SHEET}!{cell(at.descent_col(name), lesson_row)}"
            if epoch_col is not None:
                put(ws, epoch_col, row, epoch, INTEGER)
            for name in columns:
                put(ws, column_of(name), row, formulas[name], formats[name])
            mark_batch_end(ws, lesson, k, at.n_samples, row, [column_of(name) for name in columns])
            before = sources_above(lesson, here)
        last_rows.append(first_row + epoch * at.n_samples - 1)
    return last_rows


def epoch_loss(lesson: Lesson, params: Mapping[str, str]) -> str:
    """The loss over the descent samples at the parameters in the cells ``params`` (an epoch's end)."""
    inputs = [f"descent_{feature}" for feature in lesson.features]
    squares = f"SUMPRODUCT({MODELS[lesson.model_key].error(inputs, params, None, 'descent_y', None)})"
    return loss_formula(lesson.loss, squares, inputs[0])


def write_live_sheet(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """Write the unrolled epochs and the live log on ``ws``; returns the defined names."""
    live = LiveLayout(lesson.live_epochs, at.n_samples)
    put(ws, TEXT_COL, live.title_row, "Live epochs")
    ws[cell(TEXT_COL, live.title_row)].font = HEADING_FONT
    put(ws, TEXT_COL, live.text_row, EXPLANATION)
    ws[cell(TEXT_COL, live.text_row)].alignment = WRAP_TOP
    ws.merge_cells(f"{cell(TEXT_COL, live.text_row)}:{cell(at.log_col, live.text_row)}")
    ws.row_dimensions[live.text_row].height = 48
    columns, formats = _live_columns(lesson, at), column_formats(lesson)
    scores = ("accuracy",) if lesson.spec.classes else ()
    headers = ("epoch", *lesson.params, loss_key(lesson.loss), *scores)
    rate_col = FIRST_COL + len(headers)  # a schedule's rate of each epoch, right of the log
    log_last = rate_col if scheduled(lesson.schedule) else rate_col - 1
    put(ws, EPOCH_COL, live.table_header, "epoch", header=True)
    for name in at.table_columns:
        if name in columns:
            put(ws, at.descent_col(name), live.table_header, name, header=True)
        elif at.descent_col(name) > log_last:  # a column the live log above uses stays shown (its rates)
            ws.column_dimensions[col(at.descent_col(name))].hidden = True

    def rate_of(epoch: int) -> str:
        """The learning rate epoch ``epoch``'s rows step by: ``learn``, or its scheduled rate's cell."""
        return cell(rate_col, live.log_first + epoch - 1, absolute=True) if scheduled(lesson.schedule) else "learn"

    last_rows = unroll(ws, lesson, at, live.table_first, at.descent_col, columns, rate_of, EPOCH_COL)
    log_cols = range(FIRST_COL, FIRST_COL + len(headers))
    for column, header in zip(log_cols, headers, strict=True):
        put(ws, column, live.log_header, header, header=True)
    epoch_col, loss_col, last_col = log_cols[0], log_cols[1 + len(lesson.params)], log_cols[-1]
    inputs = [f"descent_{feature}" for feature in lesson.features]
    for epoch, last in enumerate(last_rows, start=1):
        row = live.log_first + epoch - 1
        put(ws, epoch_col, row, epoch, INTEGER)
        params = {
            p: put(ws, column, row, f"={cell(at.descent_col(f'new_{p}'), last)}", formats[p])
            for p, column in zip(lesson.params, log_cols[1:], strict=False)
        }
        squares = f"SUMPRODUCT({MODELS[lesson.model_key].error(inputs, params, None, 'descent_y', None)})"
        put(ws, loss_col, row, loss_formula(lesson.loss, squares, inputs[0]), lesson.loss_format)
        put(ws, loss_col, row, epoch_loss(lesson, params), lesson.loss_format)
        if scores:
            put(ws, last_col, row, accuracy_formula(lesson, inputs, params), ACCURACY)
        if scheduled(lesson.schedule):  # epoch k of the Live sheet is epoch epoch_start + k − 1
            put(ws, rate_col, row, rate_formula(lesson, f"({start_name(EPOCH)}+{cell(epoch_col, row)}-1)"), GENERAL)
    first, last = live.table_first, live.table_last
    names = {
        "live_log": _ref(epoch_col, live.log_first, last_col, live.log_first + live.epochs - 1),
        "live_descent": _ref(
            at.descent_col(at.descent_columns[0]), first, at.descent_col(at.descent_columns[-1]), last
        ),
    }
    if scheduled(lesson.schedule):
        put(ws, rate_col, live.log_header, "rate", header=True)
        names[LIVE_RATE] = _ref(rate_col, live.log_first, rate_col, live.log_first + live.epochs - 1)
    for name, band in (("live_state", at.state_columns), ("live_estimates", at.estimate_columns)):
        if band and band[0] in columns:
            names[name] = _ref(at.descent_col(band[0]), first, at.descent_col(band[-1]), last)
    return names
