"""The ``Live`` sheet: N epochs of the descent table unrolled as formulas, and their log.

No macro and no `gdsheet run` is needed to see training: epoch k+1's first row starts from
epoch k's last row (m, b and the optimizer state), so editing ``learn``, a hyper-parameter, a
sample or a start value on the Lesson sheet redraws every epoch at once, in any spreadsheet.
The columns are the lesson table's, found by name, in the same letters as on the Lesson sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import OPTIMIZER_STATE, Lesson, loss_key
from gdsheet.limits import EXCEL_ROWS
from gdsheet.writer.cells import HEADING_FONT, INTEGER, PARAM, SHEET, WRAP_TOP, loss_formula, put
from gdsheet.writer.descent_rows import column_formats, first_row_sources, row_formulas, sources_above
from gdsheet.writer.layout import FIRST_COL, TEXT_COL, Layout, cell, col

LIVE_SHEET = "Live"
EPOCH_COL = FIRST_COL - 1  # B: which epoch a table row belongs to
ONLY_FOR_ESTIMATES = ("error_sq", "err_m1", "err_b1", "est de/dm", "est de/db")
"""Columns the update reads only when the estimates drive it: elsewhere the Live sheet leaves
them out (empty and hidden), since every cell unrolled N times costs recalculation time."""

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
    """The table columns the Live sheet fills, in the Lesson sheet's order."""
    if lesson.gradient == "finite-difference":
        return at.table_columns
    return tuple(name for name in at.table_columns if name not in ONLY_FOR_ESTIMATES)


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
            formulas = row_formulas(lesson, here, before)
            lesson_row = at.descent_first + k
            formulas["x"] = f"={SHEET}!{cell(at.descent_col('x'), lesson_row)}"
            formulas["y"] = f"={SHEET}!{cell(at.descent_col('y'), lesson_row)}"
            put(ws, EPOCH_COL, row, epoch, INTEGER)
            for name in columns:
                put(ws, at.descent_col(name), row, formulas[name], formats[name])
            before = sources_above(lesson, here)
        last_rows.append(live.table_first + epoch * at.n_samples - 1)
    log_cols = range(FIRST_COL, FIRST_COL + 4)
    for column, header in zip(log_cols, ("epoch", "m", "b", loss_key(lesson.loss)), strict=True):
        put(ws, column, live.log_header, header, header=True)
    epoch_col, m_col, b_col, loss_col = log_cols
    for epoch, last in enumerate(last_rows, start=1):
        row = live.log_first + epoch - 1
        put(ws, epoch_col, row, epoch, INTEGER)
        m = put(ws, m_col, row, f"={cell(at.descent_col('new_m'), last)}", PARAM)
        b = put(ws, b_col, row, f"={cell(at.descent_col('new_b'), last)}", PARAM)
        squares = f"SUMPRODUCT(({m}*descent_x+{b}-descent_y)^2)"
        put(ws, loss_col, row, loss_formula(lesson.loss, squares, "descent_x"), lesson.loss_format)
    first, last = live.table_first, live.table_last
    names = {
        "live_log": _ref(epoch_col, live.log_first, loss_col, live.log_first + live.epochs - 1),
        "live_descent": _ref(at.descent_col("x"), first, at.descent_col("new_b"), last),
    }
    state = OPTIMIZER_STATE[lesson.optimizer]
    if state:
        names["live_state"] = _ref(at.descent_col(state[0]), first, at.descent_col(state[-1]), last)
    if "est de/dm" in columns:
        names["live_estimates"] = _ref(at.descent_col("est de/dm"), first, at.descent_col("est de/db"), last)
    return names
