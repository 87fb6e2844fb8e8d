"""What a model is on the reference side: its prediction and its slopes, in numpy and float maths.

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
"""``slopes(params, x, residual)``: d(residual²)/dp for every parameter, at one sample."""


@dataclass(frozen=True)
class ReferenceModel:
    """One model's numpy reference: ``predict`` and ``slopes`` (see :data:`Predict`, :data:`Slopes`)."""

    name: str
    predict: Predict
    slopes: Slopes
