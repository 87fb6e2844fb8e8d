"""The Sweep sheet's chart: each variant's loss after every live epoch, one line per variant.

A log axis when the converging curves span two decades or more. A diverging variant must not
squash the others into the floor: when any variant diverges (by the reference, at the built
inputs) the loss axis stops at ten times the starting loss, so its curve leaves the top of the
chart, and the cells where it overflowed (``#NUM!``) are left out of the line.
"""

from __future__ import annotations

import math

import numpy as np
from openpyxl.chart import Reference, Series
from openpyxl.workbook.workbook import Workbook

from gdsheet.lesson.spec import Lesson
from gdsheet.lesson.sweep import SHEET
from gdsheet.reference.oracle import model_loss, sweep_diverged, sweep_log
from gdsheet.writer.charts import Box, _epoch_axis, _scatter, _show_axes, _size, spans_decades
from gdsheet.writer.sweep import LABEL_COL, sweep_layout

COLOURS = ("4472C4", "ED7D31", "A5A5A5", "FFC000", "5B9BD5", "70AD47", "264478", "9E480E", "636363", "997300")
"""One colour per series (Office's palette; the chart style's would draw every line in one hue)."""

CAP = 10.0
"""With a diverging variant, the loss axis ends at this many times the starting loss."""


def axis_range(lesson: Lesson) -> tuple[bool, float | None, float | None]:
    """(log axis, min, max) of the loss axis: None leaves a bound to the application."""
    with np.errstate(all="ignore"):
        losses = sweep_log(lesson)[:, 1:]
        start = model_loss(lesson.model_key, lesson.values_of("start"), lesson.x_columns, lesson.samples_y, lesson.loss)
    cap = CAP * start if sweep_diverged(lesson)[0] and math.isfinite(start) and start > 0 else None
    shown = losses[np.isfinite(losses)]
    if cap is not None:
        shown = shown[shown <= cap]
    if spans_decades(np.append(shown, start)):
        low = min(float(shown.min()), start) if shown.size else start
        top = cap if cap is not None else float(shown.max())
        return True, 10.0 ** math.floor(math.log10(low)), 10.0 ** math.ceil(math.log10(top))
    return False, 0.0, cap


def add_sweep_chart(wb: Workbook, lesson: Lesson) -> None:
    """The chart, right of the sweep's log (series names are the log's headers)."""
    if not lesson.sweep:
        return
    ws = wb[SHEET]
    at = sweep_layout(lesson)
    chart = _scatter()
    chart.title = f"{lesson.loss_label} after each epoch, one line per variant"
    first, last = at.log_first, at.log_first + lesson.live_epochs - 1
    for k in range(1, len(lesson.sweep) + 1):
        series = Series(
            Reference(ws, min_col=LABEL_COL + k, min_row=first - 1, max_row=last),
            Reference(ws, min_col=LABEL_COL, min_row=first, max_row=last),
            title_from_data=True,
        )
        colour = COLOURS[(k - 1) % len(COLOURS)]
        series.marker.symbol = ("circle", "square", "triangle", "diamond")[(k - 1) // len(COLOURS) % 4]
        series.marker.size = 5
        series.marker.graphicalProperties.solidFill = colour
        series.marker.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.solidFill = colour
        series.smooth = False
        chart.series.append(series)
    _show_axes(chart, "epoch", lesson.loss_label)
    _epoch_axis(chart, lesson.live_epochs)
    chart.x_axis.scaling.max = lesson.live_epochs
    log, low, high = axis_range(lesson)
    if log:
        chart.y_axis.scaling.logBase = 10
        chart.y_axis.title = f"{lesson.loss_label} (log scale)"
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = low, high
    chart.legend.position = "b"  # below: on the right LibreOffice cut "sgd lr=0.0001" to "sgd lr=0.000"
    box = Box(at.chart_col, at.variants_row, 9, 20)
    _size(chart, box)
    ws.add_chart(chart, box.anchor)
