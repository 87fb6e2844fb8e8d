"""The ``Sweep`` sheet: the live epochs unrolled once per variant (a rate, an optimizer, or both).

Each variant's table is the Lesson sheet's descent table unrolled like the Live sheet's
(:func:`gdsheet.writer.live.unroll`), side by side in its own block of columns, from the lesson's
start values with fresh optimizer state (zeros), at a constant rate: its own ``sweep_rates`` cell,
or ``learn`` when only optimizers are compared. The log above (``sweep_log``) gives each variant's
loss after every epoch, and its chart (:mod:`gdsheet.writer.sweep_chart`) draws one series per
variant. Hyper-parameters a compared optimizer reads and the lesson's own does not are named
inputs here. Editing learn, a rate, a hyper-parameter or a sample redraws every curve.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.contract import sweep_columns
from gdsheet.lesson.spec import Lesson
from gdsheet.lesson.sweep import (
    LOG_NAME,
    OPTIMIZERS_NAME,
    RATES_NAME,
    SHEET,
    extra_hypers,
    label,
    table_name,
    variant_lesson,
)
from gdsheet.limits import EXCEL_COLUMNS, EXCEL_ROWS
from gdsheet.reference.oracle import sweep_diverged
from gdsheet.writer.cells import GENERAL, HEADER_FONT, HEADER_WRAP, HEADING_FONT, INTEGER, WRAP_TOP, put
from gdsheet.writer.layout import Layout, cell, col
from gdsheet.writer.live import epoch_loss, unroll

LABEL_COL = 2  # B: labels, the log's epochs, the first table block
CHART_ROWS = 20


@dataclass(frozen=True)
class SweepLayout:
    """Rows and columns of the Sweep sheet: text, the extra hyper-parameters, each variant's
    optimizer and rate, the log, then the tables side by side."""

    epochs: int
    samples: int
    hypers: int
    widths: tuple[int, ...]
    """Each variant's table columns."""

    @property
    def variants_row(self) -> int:
        return 4 + self.hypers + (1 if self.hypers else 0)

    @property
    def log_header(self) -> int:
        return self.variants_row + 3

    @property
    def log_first(self) -> int:
        return self.log_header + 1

    @property
    def table_label(self) -> int:
        return max(self.log_first + self.epochs + 2, self.variants_row + CHART_ROWS + 2)

    @property
    def table_first(self) -> int:
        return self.table_label + 2

    @property
    def table_last(self) -> int:
        return self.table_first + self.epochs * self.samples - 1

    def block(self, k: int) -> int:
        """The first column of variant ``k``'s table (from 1): blocks one empty column apart."""
        return LABEL_COL + sum(width + 1 for width in self.widths[: k - 1])

    @property
    def last_col(self) -> int:
        return self.block(len(self.widths)) + self.widths[-1] - 1

    @property
    def chart_col(self) -> int:
        return LABEL_COL + len(self.widths) + 2


def sweep_layout(lesson: Lesson) -> SweepLayout:
    widths = tuple(len(sweep_columns(variant_lesson(lesson, v))) for v in lesson.sweep)
    return SweepLayout(lesson.live_epochs, len(lesson.descent_x), len(extra_hypers(lesson)), widths)


def sweep_problem(lesson: Lesson) -> str | None:
    """Why the Sweep sheet would not fit Excel's grid (naming the option to change), or None."""
    if not lesson.sweep:
        return None
    at = sweep_layout(lesson)
    if at.last_col > EXCEL_COLUMNS or at.log_first + len(lesson.sweep) > EXCEL_COLUMNS:
        return (
            f"--sweep/--compare: {len(lesson.sweep)} variants of {max(at.widths)} columns each would pass "
            f"Excel's last column XFD ({EXCEL_COLUMNS:,} columns); sweep fewer rates or optimizers"
        )
    if at.table_last > EXCEL_ROWS:
        return (
            f"--live-epochs {lesson.live_epochs}: the Sweep sheet's {lesson.live_epochs:,} epochs of "
            f"{len(lesson.descent_x):,} samples would pass Excel's last row ({EXCEL_ROWS:,}); give fewer"
        )
    return None


def explanation(lesson: Lesson) -> str:
    """What the sheet shows, and which variants diverged (by the reference, at the built inputs)."""
    labels = [label(v, lesson) for v in lesson.sweep]
    diverged, overshot = ([labels[k - 1] for k in ks] for ks in sweep_diverged(lesson))
    text = (
        f"Each block of columns below is the Lesson sheet's descent table unrolled over "
        f"{lesson.live_epochs} epochs, once per variant: {', '.join(labels)}. Every variant starts at the "
        "lesson's start values with fresh optimizer state, on the same samples, at a constant rate. "
        "The log gives each variant's loss after every epoch and the chart draws it; change learn, a rate "
        "or a sample and every curve follows. "
    )
    verdicts = []
    if diverged:
        verdicts.append(
            f"Diverged at the built inputs (the loss grows past where it started, or overflows to #NUM!, "
            f"which the chart leaves out): {', '.join(diverged)}."
        )
    if overshot:
        verdicts.append(
            f"Overshot (still above the starting loss after {lesson.live_epochs} epochs, though falling): "
            f"{', '.join(overshot)}."
        )
    return text + (" ".join(verdicts) or "No variant diverged at the built inputs: every loss ends below its start.")


def write_sweep_sheet(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """The Sweep sheet; returns its defined names (``at`` is the Lesson sheet's layout)."""
    sweep = sweep_layout(lesson)
    put(ws, LABEL_COL, 1, "Sweep")
    ws[cell(LABEL_COL, 1)].font = HEADING_FONT
    last_text_col = max(sweep.chart_col + 9, LABEL_COL + 12)
    put(ws, LABEL_COL, 2, explanation(lesson), text=True)
    ws[cell(LABEL_COL, 2)].alignment = WRAP_TOP
    ws.merge_cells(f"{cell(LABEL_COL, 2)}:{cell(last_text_col, 2)}")
    ws.row_dimensions[2].height = 64
    names: dict[str, str] = {}
    for i, hyper in enumerate(extra_hypers(lesson)):
        put(ws, LABEL_COL, 4 + i, hyper)
        put(ws, LABEL_COL + 1, 4 + i, getattr(lesson, hyper), GENERAL, editable=True)
        names[hyper] = _ref(LABEL_COL + 1, 4 + i)
    first, v = LABEL_COL + 1, len(lesson.sweep)
    put(ws, LABEL_COL, sweep.variants_row, "optimizer")
    rated = any(rate is not None for _, rate in lesson.sweep)
    if rated:
        put(ws, LABEL_COL, sweep.variants_row + 1, "rate")
    put(ws, LABEL_COL, sweep.log_header, "epoch", header=True)
    for k, variant in enumerate(lesson.sweep, start=1):
        column = first + k - 1
        put(ws, column, sweep.variants_row, variant[0], text=True)
        if variant[1] is not None:
            put(ws, column, sweep.variants_row + 1, variant[1], GENERAL, editable=True)
        put(ws, column, sweep.log_header, label(variant, lesson), header=True)
        ws[cell(column, sweep.log_header)].alignment = HEADER_WRAP  # "momentum" over "lr=0.0001"
    ws.row_dimensions[sweep.log_header].height = 27  # two lines: a label wider than its column wraps
    names[OPTIMIZERS_NAME] = _ref(first, sweep.variants_row, first + v - 1)
    if rated:
        names[RATES_NAME] = _ref(first, sweep.variants_row + 1, first + v - 1)
    for epoch in range(1, lesson.live_epochs + 1):
        put(ws, LABEL_COL, sweep.log_first + epoch - 1, epoch, INTEGER)
    for k in range(1, v + 1):
        names[table_name(k)] = _variant_table(ws, lesson, at, sweep, k)
    last_log = sweep.log_first + lesson.live_epochs - 1
    names[LOG_NAME] = _ref(LABEL_COL, sweep.log_first, first + v - 1, last_log)
    # printed: the text, the log and the chart on one page (the tables are the sheet's working)
    ws.print_area = f"A1:{cell(last_text_col, sweep.table_label - 1)}"
    ws.column_dimensions[col(LABEL_COL)].width = 12
    for column in range(first, sweep.last_col + 1):
        ws.column_dimensions[col(column)].width = max(ws.column_dimensions[col(column)].width or 0, 11)
    return names


def _variant_table(ws: Worksheet, lesson: Lesson, at: Layout, sweep: SweepLayout, k: int) -> str:
    """Variant ``k``'s unrolled table and its log column; returns the table's refers-to text."""
    variant = lesson.sweep[k - 1]
    played = variant_lesson(lesson, variant)
    columns = sweep_columns(played)
    base = sweep.block(k)

    def column_of(name: str) -> int:
        # a column only the estimates read is not written (nor is any formula reading it): the
        # gap right of the block stands in for it
        return base + columns.index(name) if name in columns else base + len(columns)

    put(ws, base, sweep.table_label, label(variant, lesson), text=True)
    ws[cell(base, sweep.table_label)].font = HEADER_FONT
    for name in columns:
        put(ws, column_of(name), sweep.table_label + 1, name, header=True)
    rate = "learn" if variant[1] is None else cell(LABEL_COL + k, sweep.variants_row + 1, absolute=True)
    last_rows = unroll(ws, played, at, sweep.table_first, column_of, columns, lambda epoch: rate, fresh_state=True)
    for epoch, last in enumerate(last_rows, start=1):
        params = {p: cell(column_of(f"new_{p}"), last) for p in played.params}
        put(ws, LABEL_COL + k, sweep.log_first + epoch - 1, epoch_loss(played, params), GENERAL)
    return _ref(base, sweep.table_first, base + len(columns) - 1, sweep.table_last)


def _ref(column: int, row: int, last_column: int | None = None, last_row: int | None = None) -> str:
    first = f"{SHEET}!{cell(column, row, absolute=True)}"
    return first if last_column is None else f"{first}:{cell(last_column, last_row or row, absolute=True)}"
