"""What a model is on the reference side: its prediction, its per-sample loss and its slopes.

Written from the model's mathematics, never from the writer's formulas (the two sides share only
the names in :mod:`gdsheet.lesson.models`), so that the reference checking a workbook means something.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Predict = Callable[[Mapping[str, Any], Sequence[Any], "str | None", float], Any]
"""``predict(params, x, shift, h)``: the prediction from the parameters and the inputs (one value
per feature; floats, or numpy arrays that broadcast, for a whole grid at once); with ``shift`` the
parameter of that name is raised by ``h`` (a finite-difference step), written as the lesson's
text says: (m+h)·x + b, m·x + b + h."""

Slopes = Callable[[Mapping[str, float], Sequence[float], float], dict[str, float]]
"""``slopes(params, x, residual)``: d(per-sample loss)/dp for every parameter, at one sample, given
``residual`` = prediction − y (for squared error, d(residual²)/dp)."""

Error = Callable[[Mapping[str, Any], Sequence[Any], Any, "str | None", float], Any]
"""``error(params, x, y, shift, h)``: the per-sample loss (the table's ``error_sq`` column), with
the same ``shift``/``h`` as :data:`Predict`; arrays broadcast as there."""

Correct = Callable[[Mapping[str, Any], Sequence[Any], Any], Any]
"""``correct(params, x, y)``: 1 where a classifier's predicted class is y, else 0 (classifiers only)."""


Columns = Callable[[Mapping[str, float], Sequence[float], float], dict[str, float]]
"""``columns(params, x, y)``: the values of the model's ``forward`` and ``backward`` table columns at
one sample (see :class:`gdsheet.lesson.models.ModelSpec`)."""


def squared_error(predict: Predict) -> Error:
    """The per-sample loss (prediction − y)² of a regression model."""

    def error(p: Mapping[str, Any], x: Sequence[Any], y: Any, shift: str | None = None, h: float = 0.0) -> Any:
        return (predict(p, x, shift, h) - y) ** 2

    return error


@dataclass(frozen=True)
class ReferenceModel:
    """One model's numpy reference (see :data:`Predict`, :data:`Slopes`, :data:`Error`, :data:`Correct`)."""

    name: str
    predict: Predict
    slopes: Slopes
    error: Error
    correct: Correct | None = None
    columns: Columns | None = None
    """A model's intermediate table columns of one sample by name (a network's forward and
    backward pass, ``columns(params, x, y)``); None: it has none."""
