"""Native charts (no images): what the numbers look like, redrawn by the spreadsheet itself.

- ``fit``: the descent samples as markers and the line through (m_start, b_start), drawn from two
  formula points (the ``fit_line`` name) so it moves when m_start or b_start do;
- ``live``: the loss after each unrolled epoch (the Live sheet's ``live_log``), a line chart on a
  log scale when the loss spans two decades or more;
- ``log``: the epoch log's loss per epoch; `gdsheet run` grows its ranges with the log
  (:func:`gdsheet.xlsx.chart_ranges.grow_log_ranges`);
- ``surface``: the grid as a 3D surface chart beside the heat map (Excel draws a surface,
  LibreOffice draws the same part as 3D columns);

(A classifier of two inputs has, in ``fit``'s place, the decision chart of
:mod:`gdsheet.writer.decision_chart`; the Surface and Sweep sheets' charts have their modules.)

Charts are added with ``ws.add_chart`` only, so they do not depend on how the workbook is saved.
(The "you are here" marker on the grid is the landscape's: :mod:`gdsheet.writer.landscape`.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from openpyxl.chart import Reference, ScatterChart, Series, SurfaceChart3D
from openpyxl.chart.axis import ChartLines
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.contract import draws_decision_line
from gdsheet.lesson.spec import Lesson, loss_key
from gdsheet.reference.oracle import run_epochs
from gdsheet.writer.cells import PREDICTION, name_ref, put
from gdsheet.writer.layout import FIRST_COL, Layout, cell
from gdsheet.writer.live import LIVE_SHEET, LiveLayout
from gdsheet.writer.models import MODELS
from gdsheet.writer.print_setup import rows_per_page

CM_PER_COLUMN = 1.9
"""About how wide a 10-character column prints, so a chart fits the columns it is anchored over."""
CM_PER_ROW = 0.53
TALLEST = 1.25
"""The fit chart's greatest height over its width (the default lesson's is about 1.1)."""
LEGEND_ROWS = 4
"""Rows a chart with its legend below adds to a square plot (the decision chart's)."""

LOG_SCALE_RATIO = 100.0
"""The live chart uses a log axis when its largest loss is at least this many times its smallest."""


@dataclass(frozen=True)
class Box:
    """Where a chart sits: its top-left cell and its size in columns and rows."""

    column: int
    row: int
    columns: int
    rows: int

    @property
    def anchor(self) -> str:
        return cell(self.column, self.row)


def fit_line_cols(lesson: Lesson) -> tuple[int, int]:
    """The two columns of the fitted line's points (x, y): right of the data block (one gap column)."""
    return FIRST_COL + lesson.n_features + 2, FIRST_COL + lesson.n_features + 3


def chart_boxes(lesson: Lesson, at: Layout, scale: int) -> dict[str, Box]:
    """Where each chart goes on the Lesson sheet (the layout decides the rows it leaves free).

    The fit chart sits right of the data, guess and error blocks; the surface beside the heat
    map; the live and log charts right of the descent section's text, side by side. Each ends at
    or starts right of the printed pages' split (:attr:`Layout.page_split`), so none is cut in two.
    """
    fit_y = fit_line_cols(lesson)[1]
    top = at.data_header
    fit_columns = at.page_split - fit_y - 1
    # no taller than a printed page (a section of many samples flows over several pages), nor
    # much taller than wide (a 60-sample lesson drew a thin strip)
    width = fit_columns * CM_PER_COLUMN
    tallest = int(TALLEST * width / CM_PER_ROW)
    if draws_decision_line(lesson):  # the decision chart in its place: a plane of two inputs, about square
        tallest = min(tallest, round(width / CM_PER_ROW) + LEGEND_ROWS)
    fit_rows = min(rows_per_page(scale) - top + 1, tallest)
    right = at.page_split + 2  # two columns right of the grid, on the right-hand pages
    text_last = at.descent_text_last_col
    boxes = {
        "fit": Box(fit_y + 2, top, fit_columns, min(at.guess_loss_row - top + 1, fit_rows)),
        # a row below the section's first: LibreOffice otherwise prints a sliver of it on the page above
        "surface": Box(
            right, at.landscape_text_row + 1, 6, at.grid_first + len(lesson.grid_m) - at.landscape_text_row - 1
        ),
    }
    first = at.descent_title_row + 1
    rows = at.controls_header - 1 - first
    left = Box(text_last + 2, first, at.page_split - text_last - 1, rows)
    if lesson.live_epochs:
        boxes["live"] = left
        boxes["log"] = Box(right, first, 6, rows)
    else:
        boxes["log"] = left
    return boxes


def _size(chart: ScatterChart | SurfaceChart3D, box: Box) -> None:
    chart.width = box.columns * CM_PER_COLUMN
    chart.height = box.rows * CM_PER_ROW


def _show_axes(chart: ScatterChart, x_title: str, y_title: str) -> None:
    """openpyxl 3.1 marks axes as deleted unless told otherwise; Excel would then hide them."""
    chart.x_axis.title, chart.y_axis.title = x_title, y_title
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.y_axis.majorGridlines = ChartLines()


def write_fit_line(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """Formula points on the model's curve at its start values (the line's y = m_start·x + b_start
    at the smallest and largest sample x; a curve's ``curve_points`` evenly spaced between them)."""
    x_col, y_col = fit_line_cols(lesson)
    n = lesson.spec.curve_points
    put(ws, x_col, at.data_header, "line x" if n == 2 else "curve x", header=True)
    put(ws, y_col, at.data_header, "line y" if n == 2 else "curve y", header=True)
    starts = {p: f"{p}_start" for p in lesson.params}
    xs = f"descent_{lesson.features[0]}"
    fmt = MODELS[lesson.model_key].number_format or PREDICTION
    for i in range(n):
        # the reference's arithmetic exactly (min + (max - min)·i/(n-1)), even where max - min cancels
        at_x = f"MIN({xs})+(MAX({xs})-MIN({xs}))*{i}/{n - 1}"
        x = put(ws, x_col, at.data_first + i, f"={at_x}", PREDICTION)
        put(ws, y_col, at.data_first + i, f"={MODELS[lesson.model_key].prediction([x], starts, None)}", fmt)
    return {"fit_line": name_ref(x_col, at.data_first, y_col, at.data_first + n - 1)}


def _scatter() -> ScatterChart:
    """A scatter chart with its ``c:scatterStyle``, which the schema requires and openpyxl omits."""
    chart = ScatterChart(scatterStyle="lineMarker")
    chart.style = 13
    return chart


def _fit_chart(ws: Worksheet, lesson: Lesson, at: Layout, box: Box) -> ScatterChart:
    chart = _scatter()
    chart.title = f"The samples, and {MODELS[lesson.model_key].curve}"
    x_col, y_col = at.descent_col(lesson.features[0]), at.descent_col("y")
    samples = Series(
        Reference(ws, min_col=y_col, min_row=at.descent_first, max_row=at.descent_last),
        Reference(ws, min_col=x_col, min_row=at.descent_first, max_row=at.descent_last),
        title="samples",
    )
    samples.marker.symbol = "circle"
    samples.marker.size = 6
    samples.marker.graphicalProperties.solidFill = "4472C4"  # without a fill LibreOffice draws none
    samples.marker.graphicalProperties.line.solidFill = "4472C4"
    samples.graphicalProperties.line.noFill = True
    line_x, line_y = fit_line_cols(lesson)
    line = Series(
        Reference(ws, min_col=line_y, min_row=at.data_first, max_row=at.data_first + lesson.spec.curve_points - 1),
        Reference(ws, min_col=line_x, min_row=at.data_first, max_row=at.data_first + lesson.spec.curve_points - 1),
        title=MODELS[lesson.model_key].curve,
    )
    line.marker.symbol = "none"
    line.smooth = samples.smooth = False
    line.graphicalProperties.line.width = 28575  # 2.25 pt
    chart.series += [samples, line]
    if lesson.spec.classes:  # probabilities and labels: LibreOffice's automatic axis would reach 2
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        chart.y_axis.majorUnit = 0.25
        chart.y_axis.number_format = "0.00"  # not the labels' whole-number format, which shows 0.5 as 1
    _show_axes(chart, lesson.features[0], "y")
    _size(chart, box)
    return chart


def _loss_values(lesson: Lesson, epochs: int) -> np.ndarray:
    return np.array([record.rmse for record in run_epochs(lesson, epochs)])


def spans_decades(losses: np.ndarray) -> bool:
    """True when a log axis shows the curve better: all positive, max/min ≥ LOG_SCALE_RATIO."""
    finite = losses[np.isfinite(losses)]
    return finite.size > 1 and finite.min() > 0 and finite.max() / finite.min() >= LOG_SCALE_RATIO


def _epoch_axis(chart: ScatterChart, epochs: int) -> None:
    """Whole epochs on a value axis, about five labels whatever the count (a category axis ran its
    labels together: "1011121314…"), and the loss axis from 0, so the fall is not exaggerated."""
    chart.x_axis.scaling.min = 1 if epochs else 0
    chart.x_axis.majorUnit = max(1, round(epochs / 5)) if epochs else 1
    chart.x_axis.number_format = "0"
    chart.y_axis.scaling.min = 0


def _live_chart(live: Worksheet, lesson: Lesson, log_first: int, box: Box) -> ScatterChart:
    """The live log's loss column against its epochs (header row included as the series name)."""
    chart = _scatter()
    chart.title = f"{lesson.loss_label} after each live epoch (the Live sheet's formulas)"
    last = log_first + lesson.live_epochs - 1
    series = Series(
        Reference(live, min_col=FIRST_COL + 1 + len(lesson.params), min_row=log_first - 1, max_row=last),
        Reference(live, min_col=FIRST_COL, min_row=log_first, max_row=last),
        title_from_data=True,
    )
    series.marker.symbol = "circle"
    series.marker.size = 4
    series.smooth = False
    chart.series.append(series)
    _show_axes(chart, "epoch", lesson.loss_label)
    _epoch_axis(chart, lesson.live_epochs)
    chart.x_axis.scaling.max = lesson.live_epochs
    if spans_decades(_loss_values(lesson, lesson.live_epochs)):
        chart.y_axis.scaling.logBase = 10
        chart.y_axis.scaling.min = None  # a log axis has no 0
        chart.y_axis.title = f"{lesson.loss_label} (log scale)"
    chart.legend = None
    _size(chart, box)
    return chart


def _log_chart(ws: Worksheet, lesson: Lesson, at: Layout, box: Box) -> ScatterChart:
    """The epoch log's loss against its epoch, over the log's rows (grown by `gdsheet run`)."""
    chart = _scatter()
    chart.title = f"Epoch log: {lesson.loss_label} after each epoch of gdsheet run (no points before the first run)"
    first = at.descent_first
    series = Series(
        Reference(ws, min_col=at.log_col + 1 + len(lesson.params), min_row=first, max_row=first),  # epoch, p…, loss
        Reference(ws, min_col=at.log_col, min_row=first, max_row=first),
        title=_loss_key(lesson),
    )
    series.marker.symbol = "circle"
    series.marker.size = 4
    series.smooth = False  # straight segments: a smoothed curve would invent values between epochs
    chart.series.append(series)
    _show_axes(chart, "epoch", lesson.loss_label)
    _epoch_axis(chart, lesson.epochs)
    chart.legend = None
    _size(chart, box)
    return chart


def _surface_chart(ws: Worksheet, lesson: Lesson, at: Layout, box: Box) -> SurfaceChart3D:
    """The grid as a surface: one series per b column, over the m rows."""
    chart = SurfaceChart3D()
    rows_p, cols_p = lesson.landscape
    chart.title = f"The loss surface: {lesson.loss_label} for each ({rows_p}, {cols_p}) of the grid"
    last_row = at.grid_first + len(lesson.grid_m) - 1
    first_b = FIRST_COL + 1
    last_b = first_b + len(lesson.grid_b) - 1
    chart.add_data(
        Reference(ws, min_col=first_b, max_col=last_b, min_row=at.grid_header, max_row=last_row),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=FIRST_COL, min_row=at.grid_first, max_row=last_row))
    chart.x_axis.title, chart.y_axis.title = rows_p, lesson.loss_label
    chart.x_axis.delete = chart.y_axis.delete = chart.z_axis.delete = False
    chart.view3D.rotX, chart.view3D.rotY = 20, 40
    chart.legend = None
    _size(chart, box)
    return chart


def _loss_key(lesson: Lesson) -> str:
    return loss_key(lesson.loss)


def add_charts(wb: Workbook, lesson: Lesson, at: Layout) -> dict[str, str]:
    """Every chart; returns the defined names of the cells added (the fitted line's points)."""
    ws = wb.worksheets[0]
    names: dict[str, str] = {}
    boxes = chart_boxes(lesson, at, ws.page_setup.scale)  # the page setup is written first
    if lesson.n_features == 1:  # a line through the samples needs one input to draw against
        names = write_fit_line(ws, lesson, at)
        ws.add_chart(_fit_chart(ws, lesson, at, boxes["fit"]), boxes["fit"].anchor)
    ws.add_chart(_surface_chart(ws, lesson, at, boxes["surface"]), boxes["surface"].anchor)
    ws.add_chart(_log_chart(ws, lesson, at, boxes["log"]), boxes["log"].anchor)
    if lesson.live_epochs:
        log_first = LiveLayout(lesson.live_epochs, at.n_samples).log_first
        ws.add_chart(_live_chart(wb[LIVE_SHEET], lesson, log_first, boxes["live"]), boxes["live"].anchor)
    return names
