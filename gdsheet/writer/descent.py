"""The descent section: controls, the per-sample descent table, and the (empty) epoch log.

Row 1 of the table starts from m_start and b_start; row k+1 starts from row k's new_m and
new_b, so one recalculation plays one epoch. `gdsheet run` plays more epochs by copying
``next_m``/``next_b`` back into ``m_start``/``b_start``: that is all the Run Epoch button did.
An optimizer's state (velocity, running means, Adam's step count) rides along the same way:
each state column has a ``next_X`` cell (the last row) and an ``X_start`` cell (the controls).
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import Lesson, loss_key
from gdsheet.writer.cells import HINT_FONT, INTEGER, loss_formula, name_ref, put
from gdsheet.writer.descent_rows import (
    column_formats,
    column_hints,
    first_row_sources,
    row_formulas,
    sources_above,
)
from gdsheet.writer.formats import param_format
from gdsheet.writer.layout import FIRST_COL, HYPER_COLS, LOSS_COLS, PARAM_COLS, STATE_COLS, Layout, cell
from gdsheet.writer.optimizers import TEMPLATES


def write_controls(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """epochs, learn and h; m and b as actual, current and reset-to; the loss at the current m, b."""
    label, actual, current, reset = PARAM_COLS
    for header, column in (("actual", actual), ("current", current), ("reset to", reset)):
        put(ws, column, at.controls_header, header, header=True)
    rows = {"epochs": at.epochs_row, "learn": at.epochs_row + 1, "h": at.epochs_row + 2}
    put(ws, FIRST_COL, rows["epochs"], "epochs")
    put(ws, FIRST_COL + 1, rows["epochs"], lesson.epochs, editable=True)
    put(ws, FIRST_COL, rows["learn"], "learn")
    put(ws, FIRST_COL + 1, rows["learn"], lesson.learn, editable=True)
    put(ws, FIRST_COL, rows["h"], "h")
    put(ws, FIRST_COL + 1, rows["h"], lesson.fd_step, editable=True)
    m_row, b_row = at.epochs_row, at.epochs_row + 1
    params = param_format(lesson)
    for row, param, start in ((m_row, "m", lesson.m_start), (b_row, "b", lesson.b_start)):
        put(ws, label, row, param)
        put(ws, actual, row, f"={param}_actual")
        put(ws, current, row, start, params, editable=True)
        put(ws, reset, row, start, params)
    loss_label, loss_value = LOSS_COLS
    # The rules are shown (and named) so a reader, and `gdsheet check`, know what the formulas do.
    put(ws, label, rows["h"], "rule")
    put(ws, actual, rows["h"], lesson.gradient)
    put(ws, loss_label, rows["h"], "loss")
    put(ws, loss_value, rows["h"], lesson.loss)
    put(ws, loss_label, m_row, lesson.loss_label, text=True)
    squares = "SUMPRODUCT((m_start*descent_x+b_start-descent_y)^2)"
    put(ws, loss_value, m_row, loss_formula(lesson.loss, squares, "descent_x"), lesson.loss_format)
    return _optimizer_controls(ws, lesson, at) | {
        "epochs": name_ref(FIRST_COL + 1, rows["epochs"]),
        "learn": name_ref(FIRST_COL + 1, rows["learn"]),
        "fd_step": name_ref(FIRST_COL + 1, rows["h"]),
        "m_start": name_ref(current, m_row),
        "b_start": name_ref(current, b_row),
        "m_reset": name_ref(reset, m_row),
        "b_reset": name_ref(reset, b_row),
        "rmse": name_ref(loss_value, m_row),
        "actual_shown": name_ref(actual, m_row, actual, b_row),
        "gradient": name_ref(actual, rows["h"]),
        "loss": name_ref(loss_value, rows["h"]),
    }


def _optimizer_controls(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """The optimizer's name, its hyper-parameters (editable, named) and its state's start and reset values.

    The start cells are what the table's first row reads and what a run carries each state
    into (``next_X`` -> ``X_start``); `gdsheet reset` copies the reset column back (zeros).
    """
    template = TEMPLATES[lesson.optimizer]
    label, value = HYPER_COLS
    put(ws, label, at.controls_header, "optimizer", header=True)
    put(ws, value, at.controls_header, lesson.optimizer, header=True)
    names = {"optimizer": name_ref(value, at.controls_header)}
    for i, hyper in enumerate(template.hypers):
        put(ws, label, at.epochs_row + i, hyper)
        put(ws, value, at.epochs_row + i, getattr(lesson, hyper), editable=True)
        names[hyper] = name_ref(value, at.epochs_row + i)
    if template.state:
        state_label, start, reset = STATE_COLS
        for header, column in (("state", state_label), ("start", start), ("reset to", reset)):
            put(ws, column, at.controls_header, header, header=True)
        formats = column_formats(lesson)
        for i, state in enumerate(template.state):
            row = at.epochs_row + i
            put(ws, state_label, row, state)
            put(ws, start, row, float(lesson.state_start.get(state, 0.0)), formats[state], editable=True)
            put(ws, reset, row, 0.0, formats[state])
            names[f"{state}_start"] = name_ref(start, row)
            names[f"{state}_reset"] = name_ref(reset, row)
    return names


def write_descent_table(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """Hints, headers and one row per sample; x (and y from a CSV) are inputs, the rest formulas."""
    columns = at.table_columns
    hints, formats = column_hints(lesson), column_formats(lesson)
    for header in columns:
        column = at.descent_col(header)
        put(ws, column, at.descent_header, header, header=True)
        if header in hints:
            put(ws, column, at.hints_row, hints[header])
            ws[cell(column, at.hints_row)].font = HINT_FONT
    before = first_row_sources(lesson)
    for k, x in enumerate(lesson.descent_x):
        row = at.descent_first + k
        here = {name: cell(at.descent_col(name), row) for name in columns}
        formulas = row_formulas(lesson, here, before)
        if lesson.descent_y is not None:
            formulas["y"] = lesson.descent_y[k]
        put(ws, at.descent_col("x"), row, x, formats["x"], editable=True)
        for header in columns[1:]:
            put(ws, at.descent_col(header), row, formulas[header], formats[header])
        before = sources_above(lesson, here)
    first, last = at.descent_first, at.descent_last
    x_col, y_col = at.descent_col("x"), at.descent_col("y")
    names = {
        "descent": name_ref(x_col, first, at.descent_col("new_b"), last),
        "descent_x": name_ref(x_col, first, x_col, last),
        "descent_y": name_ref(y_col, first, y_col, last),
        "next_m": name_ref(at.descent_col("new_m"), last),
        "next_b": name_ref(at.descent_col("new_b"), last),
    }
    state = TEMPLATES[lesson.optimizer].state
    if state:
        names["descent_state"] = name_ref(at.descent_col(state[0]), first, at.descent_col(state[-1]), last)
        names |= {f"next_{name}": name_ref(at.descent_col(name), last) for name in state}
    if at.with_estimates:
        names["descent_estimates"] = name_ref(at.descent_col("est de/dm"), first, at.descent_col("est de/db"), last)
    return names


def write_epoch_log(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """An empty log (epoch, m, b, loss) that `gdsheet run` fills and `gdsheet reset` clears.

    ``epoch_log`` always names at least one row; rows with an empty epoch cell are unused.
    The first body row carries the number formats that the rows added later inherit.
    """
    headers = ("epoch", "m", "b", loss_key(lesson.loss))
    formats = (INTEGER, param_format(lesson), param_format(lesson), lesson.loss_format)
    log = at.log_col
    put(ws, log, at.hints_row, "Epoch log")
    for i, (header, fmt) in enumerate(zip(headers, formats, strict=True)):
        put(ws, log + i, at.descent_header, header, header=True)
        put(ws, log + i, at.descent_first, None, fmt)
    return {"epoch_log": name_ref(log, at.descent_first, log + 3, at.descent_first)}
