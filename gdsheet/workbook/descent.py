"""The descent section: controls, the per-sample SGD table, and the (empty) epoch log.

Row 1 of the table starts from m_start and b_start; row k+1 starts from row k's new_m and
new_b, so one recalculation plays one epoch. `gdsheet run` plays more epochs by copying
``next_m``/``next_b`` back into ``m_start``/``b_start``: that is all the Run Epoch button did.
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson import Lesson
from gdsheet.workbook.cells import HINT_FONT, INTEGER, PARAM, PREDICTION, loss_formula, name_ref, put
from gdsheet.workbook.layout import (
    DESCENT_HEADERS,
    ESTIMATE_HEADERS,
    FIRST_COL,
    LOG_COL,
    LOSS_COLS,
    PARAM_COLS,
    Layout,
    cell,
)

# What each column computes, shown in small italics above its header. The two derivative
# hints depend on the rule: the published sheet swaps them.
HINTS = {
    "y_pred": "(mx+b)",
    "error_sq": "(mx+b-y)^2",
    "err_m1": "((m+h)x+b-y)^2",
    "err_b1": "(mx+b+h-y)^2",
    "new_m": "m - learn·de/dm",
    "new_b": "b - learn·de/db",
    "est de/dm": "(err_m1-error_sq)/h",
    "est de/db": "(err_b1-error_sq)/h",
}
TRUE_SLOPES = {"de/dm": "2x(mx+b-y)", "de/db": "2(mx+b-y)"}
SWAPPED_SLOPES = {"de/dm": "2(mx+b-y)", "de/db": "2x(mx+b-y)"}

FORMATS = {
    "x": INTEGER,
    "y": INTEGER,
    "m": PARAM,
    "b": PARAM,
    "y_pred": PREDICTION,
    "error_sq": INTEGER,
    "err_m1": INTEGER,
    "de/dm": INTEGER,
    "new_m": PARAM,
    "err_b1": INTEGER,
    "de/db": INTEGER,
    "new_b": PARAM,
    "est de/dm": INTEGER,
    "est de/db": INTEGER,
}


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
    for row, param, start in ((m_row, "m", lesson.m_start), (b_row, "b", lesson.b_start)):
        put(ws, label, row, param)
        put(ws, actual, row, f"={param}_actual")
        put(ws, current, row, start, PARAM, editable=True)
        put(ws, reset, row, start, PARAM)
    loss_label, loss_value = LOSS_COLS
    # The rules are shown (and named) so a reader, and `gdsheet check`, know what the formulas do.
    put(ws, label, rows["h"], "rule")
    put(ws, actual, rows["h"], lesson.gradient)
    put(ws, loss_label, rows["h"], "loss")
    put(ws, loss_value, rows["h"], lesson.loss)
    put(ws, loss_label, m_row, lesson.loss_label, text=True)
    squares = "SUMPRODUCT((m_start*descent_x+b_start-descent_y)^2)"
    put(ws, loss_value, m_row, loss_formula(lesson.loss, squares, "descent_x"), lesson.loss_format)
    return {
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


def _row_formulas(lesson: Lesson, at: Layout, row: int) -> dict[str, str]:
    """The formulas of one table row, by header; cells are named by their header's column."""
    c = {h: cell(at.descent_col(h), row) for h in DESCENT_HEADERS + ESTIMATE_HEADERS}
    above = {h: cell(at.descent_col(h), row - 1) for h in ("new_m", "new_b")}
    x, y, m, b = c["x"], c["y"], c["m"], c["b"]
    residual = f"({c['y_pred']}-{y})"
    true_dm, true_db = f"=2*{x}*{residual}", f"=2*{residual}"
    swapped = lesson.gradient == "swapped"
    if lesson.gradient == "finite-difference":
        step_m, step_b = c["est de/dm"], c["est de/db"]
    else:
        step_m, step_b = c["de/dm"], c["de/db"]
    first = row == at.descent_first
    formulas = {
        "y": f"=m_actual*{x}+b_actual",
        "m": "=m_start" if first else f"={above['new_m']}",
        "b": "=b_start" if first else f"={above['new_b']}",
        "y_pred": f"={m}*{x}+{b}",
        "error_sq": f"={residual}^2",
        "err_m1": f"=(({m}+fd_step)*{x}+{b}-{y})^2",
        "de/dm": true_db if swapped else true_dm,
        "new_m": f"={m}-learn*{step_m}",
        "err_b1": f"=({m}*{x}+{b}+fd_step-{y})^2",
        "de/db": true_dm if swapped else true_db,
        "new_b": f"={b}-learn*{step_b}",
        "est de/dm": f"=({c['err_m1']}-{c['error_sq']})/fd_step",
        "est de/db": f"=({c['err_b1']}-{c['error_sq']})/fd_step",
    }
    return formulas


def write_descent_table(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """Hints, headers and one row per sample; x (and y from a CSV) are inputs, the rest formulas."""
    headers = DESCENT_HEADERS + (ESTIMATE_HEADERS if at.with_estimates else ())
    hints = HINTS | (SWAPPED_SLOPES if lesson.gradient == "swapped" else TRUE_SLOPES)
    for header in headers:
        column = at.descent_col(header)
        put(ws, column, at.descent_header, header, header=True)
        if header in hints:
            put(ws, column, at.hints_row, hints[header])
            ws[cell(column, at.hints_row)].font = HINT_FONT
    for k, x in enumerate(lesson.descent_x):
        row = at.descent_first + k
        formulas = _row_formulas(lesson, at, row)
        if lesson.descent_y is not None:
            formulas["y"] = lesson.descent_y[k]
        put(ws, at.descent_col("x"), row, x, FORMATS["x"], editable=True)
        for header in headers[1:]:
            put(ws, at.descent_col(header), row, formulas[header], FORMATS[header])
    first, last = at.descent_first, at.descent_last
    x_col, y_col = at.descent_col("x"), at.descent_col("y")
    names = {
        "descent": name_ref(x_col, first, at.descent_col("new_b"), last),
        "descent_x": name_ref(x_col, first, x_col, last),
        "descent_y": name_ref(y_col, first, y_col, last),
        "next_m": name_ref(at.descent_col("new_m"), last),
        "next_b": name_ref(at.descent_col("new_b"), last),
    }
    if at.with_estimates:
        names["descent_estimates"] = name_ref(at.descent_col("est de/dm"), first, at.descent_col("est de/db"), last)
    return names


def write_epoch_log(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """An empty log (epoch, m, b, loss) that `gdsheet run` fills and `gdsheet reset` clears.

    ``epoch_log`` always names at least one row; rows with an empty epoch cell are unused.
    The first body row carries the number formats that the rows added later inherit.
    """
    headers = ("epoch", "m", "b", lesson.loss_label)
    formats = (INTEGER, PARAM, PARAM, lesson.loss_format)
    put(ws, LOG_COL, at.hints_row, "Epoch log")
    for i, (header, fmt) in enumerate(zip(headers, formats, strict=True)):
        put(ws, LOG_COL + i, at.descent_header, header, header=True)
        put(ws, LOG_COL + i, at.descent_first, None, fmt)
    return {"epoch_log": name_ref(LOG_COL, at.descent_first, LOG_COL + 3, at.descent_first)}
