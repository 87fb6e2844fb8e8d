"""The decision chart of a classifier of two inputs: the samples by class, x1 against x2, and the
line where the model says p = 0.5 (z = w1·x1 + w2·x2 + b = 0) at the start values.

A scatter series shows every cell of its range, so each class gets a column of its own beside the
data block: a sample's x2 in its class's column and ``NA()`` in the other's, a gap every
spreadsheet leaves out of a chart. The line is two formula points, x2 = −(w1·x1 + b)/w2 at the
data's smallest and largest x1, or, where w2 = 0, the vertical x1 = −b/w1 over the data's x2
range, or none (``NA()``) where w1 = w2 = 0 (p = 0.5 everywhere); editing a start weight or a
sample redraws it. The axes are fixed to the data's ranges (a little wider), so a steep line is
cut at the plot's edge instead of stretching the axes away from the samples. The reference
computes the same points on its own (:func:`gdsheet.reference.oracle.lesson_values`'s
``decision_line``).
"""

from __future__ import annotations

import math

from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.axis import ChartLines
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.contract import draws_decision_line
from gdsheet.lesson.spec import Lesson
from gdsheet.writer.cells import GENERAL, name_ref, put
from gdsheet.writer.charts import (
    Box,
    _scatter,
    _show_axes,
    _size,
    chart_boxes,
    fit_line_cols,
)
from gdsheet.writer.layout import FIRST_COL, Layout, cell

CLASS_COLOURS = ("4472C4", "ED7D31")
LINE_COLOUR = "404040"


def _columns(lesson: Lesson) -> tuple[int, int]:
    """The two class columns (x2 of class 0, of class 1): where a one-input lesson has its curve."""
    return fit_line_cols(lesson)


def line_rows(at: Layout) -> tuple[int, int]:
    """The line's header row and first point row: under the class columns, a blank row between."""
    header = at.data_first + at.n_data + 1
    return header, header + 1


def write_decision_cells(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """The class columns and the line's two points; returns their defined names."""
    zero, one = _columns(lesson)
    x2, y = FIRST_COL + 1, FIRST_COL + 2
    put(ws, zero, at.data_header, "x2, y = 0", header=True)
    put(ws, one, at.data_header, "x2, y = 1", header=True)
    for row in range(at.data_first, at.data_first + at.n_data):
        put(ws, zero, row, f"=IF({cell(y, row)}<0.5,{cell(x2, row)},NA())", GENERAL)
        put(ws, one, row, f"=IF({cell(y, row)}>=0.5,{cell(x2, row)},NA())", GENERAL)
    header, first = line_rows(at)
    put(ws, zero, header, "line x1", header=True)
    put(ws, one, header, "line x2", header=True)
    for i, end in enumerate(("MIN", "MAX")):
        row = first + i
        # w1 = w2 = 0: p = 0.5 everywhere, no line (NA(): the chart draws nothing)
        vertical = "IF(w1_start=0,NA(),-b_start/w1_start)"
        across = put(ws, zero, row, f"=IF(w2_start=0,{vertical},{end}(data_x1))", GENERAL)
        rising = f"-(w1_start*{across}+b_start)/w2_start"
        put(ws, one, row, f"=IF(w2_start=0,IF(w1_start=0,NA(),{end}(data_x2)),{rising})", GENERAL)
    last = at.data_first + at.n_data - 1
    return {
        "decision_classes": name_ref(zero, at.data_first, one, last),
        "decision_line": name_ref(zero, first, one, first + 1),
    }


def nice_bounds(low: float, high: float) -> tuple[float, float, float]:
    """Axis bounds a little outside [low, high], on a round major unit: (min, max, unit)."""
    span = high - low if high > low else max(abs(high), 1.0)
    raw = span / 8
    power = 10 ** math.floor(math.log10(raw))
    unit = next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= raw)
    return math.floor((low - span * 0.05) / unit) * unit, math.ceil((high + span * 0.05) / unit) * unit, unit


def decision_chart(ws: Worksheet, lesson: Lesson, at: Layout, box: Box) -> ScatterChart:
    """The samples of each class as markers, and the decision line through the start values."""
    chart = _scatter()
    chart.title = "The samples by class; the decision line (p = 0.5)"
    x1_ref = Reference(ws, min_col=FIRST_COL, min_row=at.data_first, max_row=at.data_first + at.n_data - 1)
    for k, column in enumerate(_columns(lesson)):
        samples = Series(
            Reference(ws, min_col=column, min_row=at.data_first, max_row=at.data_first + at.n_data - 1),
            x1_ref,
            title=f"y = {k}",
        )
        samples.marker.symbol = ("circle", "triangle")[k]
        samples.marker.size = 7
        samples.marker.graphicalProperties.solidFill = CLASS_COLOURS[k]  # without a fill LibreOffice draws none
        samples.marker.graphicalProperties.line.solidFill = CLASS_COLOURS[k]
        samples.graphicalProperties.line.noFill = True
        samples.smooth = False
        chart.series.append(samples)
    zero, one = _columns(lesson)
    _, first = line_rows(at)
    line = Series(
        Reference(ws, min_col=one, min_row=first, max_row=first + 1),
        Reference(ws, min_col=zero, min_row=first, max_row=first + 1),
        title="decision line",
    )
    line.marker.symbol = "none"
    line.smooth = False
    line.graphicalProperties.line.solidFill = LINE_COLOUR
    line.graphicalProperties.line.width = 28575  # 2.25 pt
    chart.series.append(line)
    for axis, values in ((chart.x_axis, lesson.data_columns[0]), (chart.y_axis, lesson.data_columns[1])):
        axis.scaling.min, axis.scaling.max, axis.majorUnit = nice_bounds(min(values), max(values))
        axis.crosses = "min"  # each axis along the plot's edge, not through 0 inside it
        axis.number_format = "General"  # the data's own digits, not two decimals on every label
    _show_axes(chart, "x1", "x2")
    chart.x_axis.majorGridlines = ChartLines()
    chart.legend.position = "b"  # below: the plot keeps the box's width
    _size(chart, box)
    return chart


def add_decision_chart(wb: Workbook, lesson: Lesson, at: Layout) -> dict[str, str]:
    """The chart and its cells on the Lesson sheet, where a one-input lesson has its fit chart;
    returns the defined names (none for other lessons)."""
    if not draws_decision_line(lesson):
        return {}
    ws = wb.worksheets[0]
    names = write_decision_cells(ws, lesson, at)
    box = chart_boxes(lesson, at, ws.page_setup.scale)["fit"]  # the page setup is written first
    ws.add_chart(decision_chart(ws, lesson, at, box), box.anchor)
    return names
