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

Slope = Callable[[str, Sequence[str], str], str]
"""``slope(param, x, residual)``: the formula text of d(residual²)/d(param) at one sample,
``residual`` being the text of (y_pred − y)."""

Hints = Callable[[Sequence[str]], Mapping[str, str]]
"""``hints(params)``: what y_pred, error_sq, each err_p1 and each de/dp compute, in words."""


@dataclass(frozen=True)
class FormulaModel:
    """One model's formula templates (see :data:`Prediction`, :data:`Slope`, :data:`Hints`)."""

    name: str
    prediction: Prediction
    slope: Slope
    hints: Hints
