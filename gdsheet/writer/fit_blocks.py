"""The first three blocks: the data on the model's curve, the guess's predictions, and their errors.

The predictions are the model's formula (:mod:`gdsheet.writer.models`) over the actual or the
guessed parameters, one shaded, named input cell each (``p_actual``, ``p_guess``)."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import Lesson
from gdsheet.writer.cells import INTEGER, THOUSANDS, loss_formula, name_ref, put
from gdsheet.writer.formats import sample_format
from gdsheet.writer.layout import FIRST_COL, Layout, cell
from gdsheet.writer.models import MODELS

X, Y, Z = FIRST_COL, FIRST_COL + 1, FIRST_COL + 2


def _param_inputs(ws: Worksheet, lesson: Lesson, kind: str, first_row: int) -> dict[str, str]:
    """One labelled, shaded input cell per parameter (``m_actual``, ``b_actual`` ...), from ``first_row``."""
    names = {}
    for row, (param, value) in enumerate(lesson.values_of(kind).items(), start=first_row):
        put(ws, X, row, f"{param}_{kind}")
        put(ws, Y, row, value, editable=True)
        names[f"{param}_{kind}"] = name_ref(Y, row)
    return names


def _fmt(lesson: Lesson, default: str) -> str:
    """The model's number format for predictions and losses, else ``default``."""
    return MODELS[lesson.model].number_format or default


def _predicted(lesson: Lesson, x_cell: str, kind: str) -> str:
    """The model's prediction at ``x_cell`` from the parameters' ``kind`` cells, as a formula."""
    return f"={MODELS[lesson.model].prediction([x_cell], {p: f'{p}_{kind}' for p in lesson.params}, None)}"


def write_data_block(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """x values (inputs) and y from the actual parameters (formulas); returns the defined names."""
    put(ws, X, at.data_header, "x", header=True)
    put(ws, Y, at.data_header, "y", header=True)
    names = _param_inputs(ws, lesson, "actual", at.m_actual_row)
    for i, x in enumerate(lesson.data_x):
        row = at.data_first + i
        x_cell = put(ws, X, row, x, sample_format(lesson.data_x), editable=True)
        put(ws, Y, row, _predicted(lesson, x_cell, "actual"), _fmt(lesson, INTEGER))
    last = at.data_first + at.n_data - 1
    return names | {"data_x": name_ref(X, at.data_first, X, last), "data_y": name_ref(Y, at.data_first, Y, last)}


def write_guess_block(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """The same x values and the y each would get under the guessed parameters."""
    put(ws, X, at.guess_header, "x", header=True)
    put(ws, Y, at.guess_header, "y_pred", header=True)
    names = _param_inputs(ws, lesson, "guess", at.m_guess_row)
    for i in range(at.n_data):
        row = at.guess_first + i
        x_cell = put(ws, X, row, f"={cell(X, at.data_first + i)}", sample_format(lesson.data_x))
        put(ws, Y, row, _predicted(lesson, x_cell, "guess"), _fmt(lesson, INTEGER))
    last = at.guess_first + at.n_data - 1
    return names | {"guess_x": name_ref(X, at.guess_first, X, last), "guess_pred": name_ref(Y, at.guess_first, Y, last)}


def write_error_block(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """y beside y_pred, the squared error of each, and the guess's loss."""
    put(ws, X, at.error_header, "y", header=True)
    put(ws, Y, at.error_header, "y_pred", header=True)
    put(ws, Z, at.error_header, MODELS[lesson.model].hints(lesson.params)["error_sq"], header=True)
    guesses = {p: f"{p}_guess" for p in lesson.params}
    for i in range(at.n_data):
        row = at.error_first + i
        y = put(ws, X, row, f"={cell(Y, at.data_first + i)}", _fmt(lesson, INTEGER))
        y_pred = put(ws, Y, row, f"={cell(Y, at.guess_first + i)}", _fmt(lesson, INTEGER))
        x = cell(X, at.guess_first + i)
        put(ws, Z, row, f"={MODELS[lesson.model].error([x], guesses, None, y, y_pred)}", _fmt(lesson, THOUSANDS))
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
