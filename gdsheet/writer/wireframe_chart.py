"""The Surface sheet's chart: the projected grid as a mesh of straight lines, the descent path on it.

One scatter series per grid row and one per grid column (thin grey lines, no markers), then the
path (a red line with markers) and the epoch log's path (a dark line with diamonds, once a run has
filled the log). A scatter chart of straight lines renders the same in Excel,
LibreOffice and Google Sheets, unlike a 3D surface chart. The axes are hidden: page coordinates
mean nothing to a reader.
"""

from __future__ import annotations

from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.contract import WIRE_LOG_POINTS
from gdsheet.lesson.spec import Lesson
from gdsheet.writer.charts import Box, _scatter, _size
from gdsheet.writer.wireframe import CHART_COLUMNS, CHART_ROW, CHART_ROWS, LABEL_COL, SURFACE_SHEET, surface_layout

MESH = "8C8C8C"
PATH = "C00000"
LOG_PATH = "1F1F1F"


def _line(ws: Worksheet, ys: tuple[int, int, int, int], xs: tuple[int, int, int, int], colour: str, width: int
          ) -> Series:  # fmt: skip
    """A straight-line series over the rectangles ``ys`` and ``xs`` (min_col, min_row, max_col, max_row)."""
    series = Series(
        Reference(ws, min_col=ys[0], min_row=ys[1], max_col=ys[2], max_row=ys[3]),
        Reference(ws, min_col=xs[0], min_row=xs[1], max_col=xs[2], max_row=xs[3]),
    )
    series.marker.symbol = "none"
    series.smooth = False
    series.graphicalProperties.line.solidFill = colour
    series.graphicalProperties.line.width = width
    return series


def _path(ws: Worksheet, x_col: int, first: int, points: int, colour: str, symbol: str, width: int) -> Series:
    """A path's series: page x in ``x_col`` and page y beside it, ``points`` rows from ``first``,
    a line with markers in one colour."""
    last = first + points - 1
    path = _line(ws, (x_col + 1, first, x_col + 1, last), (x_col, first, x_col, last), colour, width)
    path.marker.symbol = symbol
    path.marker.size = 5
    path.marker.graphicalProperties.solidFill = colour
    path.marker.graphicalProperties.line.solidFill = colour
    return path


def wireframe_chart(ws: Worksheet, lesson: Lesson) -> ScatterChart:
    at = surface_layout(lesson)
    rows_p, cols_p = lesson.landscape
    chart = _scatter()
    chart.title = f"The loss over ({rows_p}, {cols_p}) as a wireframe, the descent path (red) and the log's (dark)"
    first, last = LABEL_COL + 1, LABEL_COL + at.columns
    for i in range(at.rows):  # a grid row: the row parameter fixed, the column parameter varying
        x_row, y_row = at.x_first + i, at.y_first + i
        chart.series.append(_line(ws, (first, y_row, last, y_row), (first, x_row, last, x_row), MESH, 9525))
    for j in range(first, last + 1):  # a grid column
        ys = (j, at.y_first, j, at.y_first + at.rows - 1)
        xs = (j, at.x_first, j, at.x_first + at.rows - 1)
        chart.series.append(_line(ws, ys, xs, MESH, 9525))
    chart.series.append(_path(ws, LABEL_COL + 3, at.path_first, at.points, PATH, "circle", 28575))
    log = _path(ws, LABEL_COL + 4, at.log_first, WIRE_LOG_POINTS, LOG_PATH, "diamond", 22225)
    chart.series.append(log)  # #N/A throughout until `gdsheet run` fills the log: drawn as nothing
    chart.x_axis.delete = chart.y_axis.delete = True
    chart.x_axis.majorGridlines = chart.y_axis.majorGridlines = None
    chart.legend = None
    _size(chart, Box(LABEL_COL, CHART_ROW, CHART_COLUMNS, CHART_ROWS))
    return chart


def add_wireframe_chart(wb: Workbook, lesson: Lesson) -> None:
    """The wireframe on the Surface sheet, below the view inputs."""
    if lesson.has_wireframe:
        ws = wb[SURFACE_SHEET]
        ws.add_chart(wireframe_chart(ws, lesson), f"B{CHART_ROW}")
