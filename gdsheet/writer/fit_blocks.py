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
"""The error block's columns (y, y_pred, squared error), and the parameters' label and value columns."""


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
    return MODELS[lesson.model_key].number_format or default


def _predicted(lesson: Lesson, x_cells: list[str], kind: str) -> str:
    """The model's prediction at ``x_cells`` from the parameters' ``kind`` cells, as a formula."""
    return f"={MODELS[lesson.model_key].prediction(x_cells, {p: f'{p}_{kind}' for p in lesson.params}, None)}"


def write_data_block(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """The inputs (one column per feature) and y: the samples' y, or the model at the actual
    parameters (formulas, under which the actual parameters are shaded inputs); returns the names."""
    features, y_col = lesson.features, FIRST_COL + lesson.n_features
    for j, name in enumerate((*features, "y")):
        put(ws, FIRST_COL + j, at.data_header, name, header=True)
    names = _param_inputs(ws, lesson, "actual", at.m_actual_row) if lesson.actual_known else {}
    last = at.data_first + at.n_data - 1
    formats = [sample_format(column) for column in lesson.data_columns]
    y_format = INTEGER if lesson.data_y is None else sample_format(lesson.data_y)
    for i, inputs in enumerate(zip(*lesson.data_columns, strict=True)):
        row = at.data_first + i
        x_cells = [put(ws, FIRST_COL + j, row, x, formats[j], editable=True) for j, x in enumerate(inputs)]
        if lesson.data_y is None:
            put(ws, y_col, row, _predicted(lesson, x_cells, "actual"), _fmt(lesson, INTEGER))
        else:
            put(ws, y_col, row, lesson.data_y[i], y_format, editable=True)
    for j, name in enumerate(features):
        names[f"data_{name}"] = name_ref(FIRST_COL + j, at.data_first, FIRST_COL + j, last)
    return names | {"data_y": name_ref(y_col, at.data_first, y_col, last)}


def write_guess_block(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """The same inputs and the y each would get under the guessed parameters."""
    features, y_col = lesson.features, FIRST_COL + lesson.n_features
    for j, name in enumerate(features):
        put(ws, FIRST_COL + j, at.guess_header, name, header=True)
    put(ws, y_col, at.guess_header, "y_pred", header=True)
    names = _param_inputs(ws, lesson, "guess", at.m_guess_row)
    formats = [sample_format(column) for column in lesson.data_columns]
    for i in range(at.n_data):
        row = at.guess_first + i
        copies = [f"={cell(FIRST_COL + j, at.data_first + i)}" for j in range(len(features))]
        x_cells = [put(ws, FIRST_COL + j, row, copy, formats[j]) for j, copy in enumerate(copies)]
        put(ws, y_col, row, _predicted(lesson, x_cells, "guess"), _fmt(lesson, INTEGER))
    last = at.guess_first + at.n_data - 1
    for j, name in enumerate(features):
        names[f"guess_{name}"] = name_ref(FIRST_COL + j, at.guess_first, FIRST_COL + j, last)
    return names | {"guess_pred": name_ref(y_col, at.guess_first, y_col, last)}


def write_error_block(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """y beside y_pred, the squared error of each, and the guess's loss."""
    y_col = FIRST_COL + lesson.n_features
    put(ws, X, at.error_header, "y", header=True)
    put(ws, Y, at.error_header, "y_pred", header=True)
    put(ws, Z, at.error_header, MODELS[lesson.model_key].hints(lesson.params)["error_sq"], header=True)
    guesses = {p: f"{p}_guess" for p in lesson.params}
    for i in range(at.n_data):
        row = at.error_first + i
        y = put(ws, X, row, f"={cell(y_col, at.data_first + i)}", _fmt(lesson, INTEGER))
        y_pred = put(ws, Y, row, f"={cell(y_col, at.guess_first + i)}", _fmt(lesson, INTEGER))
        x_cells = [cell(FIRST_COL + j, at.guess_first + i) for j in range(lesson.n_features)]
        error = MODELS[lesson.model_key].error(x_cells, guesses, None, y, y_pred)
        put(ws, Z, row, f"={error}", _fmt(lesson, THOUSANDS))
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
