"""The formulas of one descent-table row, wherever the table sits (the Lesson sheet or Live).

A row is written from two maps of cell addresses by column name: ``here`` (this row's cells)
and ``before`` (what each parameter and each optimizer state start from: the row above, or the
``p_start``/``X_start`` names on a table's first row). Nothing here knows a column's position,
and nothing here knows the model's mathematics: the prediction and the slopes come from the
model's formula templates (:mod:`gdsheet.writer.models`), so the same rows serve every model,
the lesson's table and the unrolled epochs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from openpyxl.styles import Border, Side
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import Lesson
from gdsheet.writer.cells import INTEGER, PARAM, PREDICTION
from gdsheet.writer.formats import table_formats
from gdsheet.writer.layout import cell
from gdsheet.writer.models import MODELS
from gdsheet.writer.optimizers import TEMPLATES, RowCells


def column_hints(lesson: Lesson) -> dict[str, str]:
    """The hint above each column, for this lesson's model, gradient rule and optimizer.

    The published (swapped) rule shows each slope under the other parameter's column."""
    params = lesson.params
    hints = dict(MODELS[lesson.model_key].hints(params))
    if lesson.gradient == "swapped":
        slopes = [hints[f"de/d{p}"] for p in params]
        hints |= {f"de/d{p}": slope for p, slope in zip(params, reversed(slopes), strict=True)}
    hints |= {f"est de/d{p}": f"(err_{p}1-error_sq)/h" for p in params}
    steps = TEMPLATES[lesson.optimizer].column_hints(params)
    if lesson.schedule != "constant":  # the rows step by the scheduled rate
        steps = {name: hint.replace("learn", "rate") for name, hint in steps.items()}
    return hints | steps


def column_formats(lesson: Lesson) -> dict[str, str]:
    """The number format of each column, the optimizer's state columns included: the published
    ones for the seed, formats that show the data otherwise (:mod:`gdsheet.writer.formats`)."""
    formats = {name: INTEGER for name in (*lesson.features, "y", "error_sq")}
    formats |= {name: PARAM for name in lesson.params} | {"y_pred": PREDICTION}
    k, hidden = lesson.n_features, lesson.hidden
    formats |= {name: PREDICTION for name in (*lesson.spec.forward(k, hidden), *lesson.spec.backward(k, hidden))}
    for p in lesson.params:
        formats |= {f"err_{p}1": INTEGER, f"de/d{p}": INTEGER, f"new_{p}": PARAM, f"est de/d{p}": INTEGER}
    return table_formats(lesson, formats | TEMPLATES[lesson.optimizer].column_formats(lesson.params))


def first_row_sources(lesson: Lesson) -> dict[str, str]:
    """What a table's first row starts from: the named start cells of the parameters and the state."""
    return {name: f"{name}_start" for name in (*lesson.params, *lesson.state)}


def sources_above(lesson: Lesson, above: Mapping[str, str]) -> dict[str, str]:
    """What a later row starts from: the row above's new parameters and state, by column name."""
    return {p: above[f"new_{p}"] for p in lesson.params} | {name: above[name] for name in lesson.state}


def batch_of(lesson: Lesson, k: int, n: int) -> tuple[int, bool]:
    """Where sample ``k`` (of ``n``, counted from 0 in its epoch) sits in its mini-batch: the batch's
    first sample, and whether ``k`` ends the batch (consecutive batches of ``batch_size``, the last
    possibly smaller)."""
    first = k - k % lesson.batch_size
    return first, k == min(first + lesson.batch_size, n) - 1


def batch_start(lesson: Lesson, k: int, n: int, cells: Callable[[int], Mapping[str, str]]) -> Mapping[str, str] | None:
    """The cells of the first row of sample ``k``'s batch when ``k`` ends it, else None
    (``cells(j)`` gives sample j's row cells by column name), for :func:`row_formulas`."""
    first, ends = batch_of(lesson, k, n)
    return cells(first) if ends else None


BATCH_END = Border(bottom=Side(style="medium", color="4472C4"))
"""The rule under the last row of each mini-batch (batches of more than one sample)."""


def mark_batch_end(ws: Worksheet, lesson: Lesson, k: int, n: int, row: int, columns: Sequence[int]) -> None:
    """Rule off sample ``k``'s row when it ends a batch of more than one sample."""
    if lesson.batch_size > 1 and batch_of(lesson, k, n)[1]:
        for column in columns:
            ws[cell(column, row)].border = BATCH_END


def row_formulas(
    lesson: Lesson,
    here: Mapping[str, str],
    before: Mapping[str, str],
    batch_first: Mapping[str, str] | None = None,
    lr: str = "learn",
) -> dict[str, str]:
    """Every formula of one row by column name (all columns but the inputs; y from the actual parameters).

    ``batch_first`` is the cells of the first row of this row's mini-batch when this row ends the
    batch (its update then reads the mean of the batch's slopes, ``AVERAGE`` over the rows); None
    when the row does not end its batch: it hands its parameters and state on unchanged. With
    batches of one (the default) every row updates from its own slopes."""
    model, params = MODELS[lesson.model_key], lesson.params
    x = [here[name] for name in lesson.features]
    cells = {p: here[p] for p in params}
    residual = f"({here['y_pred']}-{here['y']})"
    slopes = [f"={model.slope(p, x, residual, here)}" for p in params]
    if lesson.gradient == "swapped":
        slopes.reverse()
    formulas = {
        "y": f"={model.prediction(x, {p: f'{p}_actual' for p in params}, None)}",
        **{p: f"={before[p]}" for p in params},
        "y_pred": f"={model.prediction(x, cells, None)}",
        "error_sq": f"={model.error(x, cells, None, here['y'], here['y_pred'])}",
    }
    if model.columns is not None:  # a network's forward and backward pass, and y_pred from them
        formulas |= model.columns(x, cells, here)
    for p, slope in zip(params, slopes, strict=True):
        formulas[f"err_{p}1"] = f"={model.error(x, cells, p, here['y'], None)}"
        formulas[f"de/d{p}"] = slope
        formulas[f"est de/d{p}"] = f"=({here[f'err_{p}1']}-{here['error_sq']})/fd_step"
    drives = "est de/d" if lesson.gradient == "finite-difference" else "de/d"
    if lesson.batch_size > 1 and batch_first is None:
        formulas |= {f"new_{p}": f"={here[p]}" for p in params}
        return formulas | {name: f"={before[name]}" for name in lesson.state}
    grad = {p: here[f"{drives}{p}"] for p in params}
    if batch_first is not None and batch_first[f"{drives}{params[0]}"] != grad[params[0]]:
        grad = {p: f"AVERAGE({batch_first[f'{drives}{p}']}:{cell})" for p, cell in grad.items()}
    return formulas | TEMPLATES[lesson.optimizer].rows(RowCells(params, here, before, grad, lr))
