"""The first three blocks: the data on the line, the guess's predictions, and their errors."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import Lesson
from gdsheet.writer.cells import INTEGER, THOUSANDS, loss_formula, name_ref, put
from gdsheet.writer.layout import FIRST_COL, Layout, cell

X, Y, Z = FIRST_COL, FIRST_COL + 1, FIRST_COL + 2


def write_data_block(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """x values (inputs) and y = m_actual·x + b_actual (formulas); returns the defined names."""
    put(ws, X, at.data_header, "x", header=True)
    put(ws, Y, at.data_header, "y", header=True)
    put(ws, Y, at.m_actual_row, lesson.m_actual, editable=True)
    put(ws, Y, at.m_actual_row + 1, lesson.b_actual, editable=True)
    put(ws, X, at.m_actual_row, "m_actual")
    put(ws, X, at.m_actual_row + 1, "b_actual")
    for i, x in enumerate(lesson.data_x):
        row = at.data_first + i
        x_cell = put(ws, X, row, x, INTEGER, editable=True)
        put(ws, Y, row, f"=m_actual*{x_cell}+b_actual", INTEGER)
    last = at.data_first + at.n_data - 1
    return {
        "data_x": name_ref(X, at.data_first, X, last),
        "data_y": name_ref(Y, at.data_first, Y, last),
        "m_actual": name_ref(Y, at.m_actual_row),
        "b_actual": name_ref(Y, at.m_actual_row + 1),
    }


def write_guess_block(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """The same x values and the y each would get under the guess (m_guess, b_guess)."""
    put(ws, X, at.guess_header, "x", header=True)
    put(ws, Y, at.guess_header, "y_pred", header=True)
    put(ws, X, at.m_guess_row, "m_guess")
    put(ws, X, at.m_guess_row + 1, "b_guess")
    put(ws, Y, at.m_guess_row, lesson.m_guess, editable=True)
    put(ws, Y, at.m_guess_row + 1, lesson.b_guess, editable=True)
    for i in range(at.n_data):
        row = at.guess_first + i
        x_cell = put(ws, X, row, f"={cell(X, at.data_first + i)}", INTEGER)
        put(ws, Y, row, f"=m_guess*{x_cell}+b_guess", INTEGER)
    last = at.guess_first + at.n_data - 1
    return {
        "m_guess": name_ref(Y, at.m_guess_row),
        "b_guess": name_ref(Y, at.m_guess_row + 1),
        "guess_x": name_ref(X, at.guess_first, X, last),
        "guess_pred": name_ref(Y, at.guess_first, Y, last),
    }


def write_error_block(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """y beside y_pred, the squared error of each, and the guess's loss."""
    put(ws, X, at.error_header, "y", header=True)
    put(ws, Y, at.error_header, "y_pred", header=True)
    put(ws, Z, at.error_header, "(y_pred - y)^2", header=True)
    for i in range(at.n_data):
        row = at.error_first + i
        y = put(ws, X, row, f"={cell(Y, at.data_first + i)}", INTEGER)
        y_pred = put(ws, Y, row, f"={cell(Y, at.guess_first + i)}", INTEGER)
        put(ws, Z, row, f"=({y_pred}-{y})^2", THOUSANDS)
    last = at.error_first + at.n_data - 1
    squares = f"{cell(Z, at.error_first)}:{cell(Z, last)}"
    put(ws, Y, at.guess_loss_row, lesson.loss_label, header=True)
    put(ws, Z, at.guess_loss_row, loss_formula(lesson.loss, f"SUM({squares})", squares), lesson.loss_format)
    return {
        "error_y": name_ref(X, at.error_first, X, last),
        "error_pred": name_ref(Y, at.error_first, Y, last),
        "guess_err_sq": name_ref(Z, at.error_first, Z, last),
        "guess_rmse": name_ref(Z, at.guess_loss_row),
    }
