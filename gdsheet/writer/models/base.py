"""What a model is on the writer's side: the formula text of its prediction and its slopes.

The descent table, the Live sheet, the data, guess and fit blocks and the loss grid are written
once (:mod:`gdsheet.writer.descent_rows` and the block modules); they ask the model only for these
texts, given the cells (or names, or ranges) that hold the inputs and the parameters. The numpy
side computes the same on its own (:mod:`gdsheet.reference.models`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Prediction = Callable[[Sequence[str], Mapping[str, str], "str | None"], str]
"""``prediction(x, params, shift)``: the formula text (no leading ``=``) of the prediction from the
inputs ``x`` (one reference per feature: cells, or ranges inside SUMPRODUCT) and the parameters
``params`` (references by name); with ``shift`` that parameter is raised by ``fd_step``."""

Slope = Callable[..., str]
"""``slope(param, x, residual, here)``: the formula text of d(per-sample loss)/d(param) at one
sample, ``residual`` being the text of (y_pred − y) and ``here`` the row's cells by column name
(which a network's slopes read: its backward pass; other models need only the first three)."""

Columns = Callable[[Sequence[str], Mapping[str, str], Mapping[str, str]], dict[str, str]]
"""``columns(x, params, here)``: the formulas (with ``=``) of the model's own table columns of one
row (a network's forward and backward pass; y_pred too when it reads them), from the row's inputs,
its parameter cells and all its cells by column name."""

Error = Callable[[Sequence[str], Mapping[str, str], "str | None", str, "str | None"], str]
"""``error(x, params, shift, y, predicted)``: the formula text of one sample's loss (the table's
``error_sq``) at the inputs ``x`` and the label ``y`` (cells, or ranges inside SUMPRODUCT);
``predicted``, when given, is a cell already holding the unshifted prediction, which a model may
reuse."""


def squared_error(prediction: Prediction) -> Error:
    """The per-sample loss (y_pred − y)² of a regression model, from the prediction's cell when
    there is one (the descent table's y_pred), else from the model's formula (the loss grid)."""

    def error(x: Sequence[str], p: Mapping[str, str], shift: str | None, y: str, predicted: str | None) -> str:
        return f"({predicted or prediction(x, p, shift)}-{y})^2"

    return error


Hints = Callable[[Sequence[str]], Mapping[str, str]]
"""``hints(params)``: what y_pred, error_sq, each err_p1 and each de/dp compute, in words."""


@dataclass(frozen=True)
class FormulaModel:
    """One model's formula templates (see :data:`Prediction`, :data:`Slope`, :data:`Error`,
    :data:`Hints`); ``curve`` names the curve the fit chart draws through the start values."""

    name: str
    prediction: Prediction
    slope: Slope
    hints: Hints
    error: Error
    curve: str
    number_format: str | None = None
    """The number format of predictions and per-sample losses (None: the lesson's defaults, whole
    numbers for the line's y)."""
    columns: Columns | None = None
    """The model's own table columns (see :data:`Columns`); None: it has none."""
