"""The ``Live`` sheet: N epochs of the descent table unrolled as formulas, and their log.

No macro and no `gdsheet run` is needed to see training: epoch k+1's first row starts from
epoch k's last row (m, b and the optimizer state), so editing ``learn``, a hyper-parameter, a
sample or a start value on the Lesson sheet redraws every epoch at once, in any spreadsheet.
The columns are the lesson table's, found by name, in the same letters as on the Lesson sheet,
and the log has one column per parameter of the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.contract import live_empty_columns
from gdsheet.lesson.spec import Lesson, loss_key
from gdsheet.limits import EXCEL_ROWS
from gdsheet.writer.cells import ACCURACY, HEADING_FONT, INTEGER, SHEET, WRAP_TOP, accuracy_formula, loss_formula, put
from gdsheet.writer.descent_rows import (
    batch_start,
    column_formats,
    first_row_sources,
    mark_batch_end,
    row_formulas,
    sources_above,
)
from gdsheet.writer.layout import FIRST_COL, TEXT_COL, Layout, cell, col
from gdsheet.writer.models import MODELS

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
    put(ws, EPOCH_COL, live.table_header, "epoch", header=True)
    for name in at.table_columns:
        if name in columns:
            put(ws, at.descent_col(name), live.table_header, name, header=True)
        else:
            ws.column_dimensions[col(at.descent_col(name))].hidden = True
    before = first_row_sources(lesson)
    last_rows = []
    for epoch in range(1, live.epochs + 1):
        for k in range(at.n_samples):
            row = live.table_first + (epoch - 1) * at.n_samples + k
            here = {name: cell(at.descent_col(name), row) for name in at.table_columns}
            top = row - k

            def cells(j: int, top: int = top) -> dict[str, str]:
                return {name: cell(at.descent_col(name), top + j) for name in at.table_columns}

            formulas = row_formulas(lesson, here, before, batch_start(lesson, k, at.n_samples, cells))
            lesson_row = at.descent_first + k
            for name in (*lesson.features, "y"):
                formulas[name] = f"={SHEET}!{cell(at.descent_col(name), lesson_row)}"
            put(ws, EPOCH_COL, row, epoch, INTEGER)
            for name in columns:
                put(ws, at.descent_col(name), row, formulas[name], formats[name])
            mark_batch_end(ws, lesson, k, at.n_samples, row, [at.descent_col(name) for name in columns])
            before = sources_above(lesson, here)
        last_rows.append(live.table_first + epoch * at.n_samples - 1)
    scores = ("accuracy",) if lesson.spec.classes else ()
    headers = ("epoch", *lesson.params, loss_key(lesson.loss), *scores)
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
        if scores:
            put(ws, last_col, row, accuracy_formula(lesson, inputs, params), ACCURACY)
    first, last = live.table_first, live.table_last
    names = {
        "live_log": _ref(epoch_col, live.log_first, last_col, live.log_first + live.epochs - 1),
        "live_descent": _ref(
            at.descent_col(at.descent_columns[0]), first, at.descent_col(at.descent_columns[-1]), last
        ),
    }
    for name, band in (("live_state", at.state_columns), ("live_estimates", at.estimate_columns)):
        if band and band[0] in columns:
            names[name] = _ref(at.descent_col(band[0]), first, at.descent_col(band[-1]), last)
    return names
