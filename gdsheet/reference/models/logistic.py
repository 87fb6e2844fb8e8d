"""Logistic regression on the reference side: p = σ(z), z = w1·x1 + … + wk·xk + b, log loss.

Written from the textbook, not from the workbook's formulas: the per-sample loss is
−(y·ln p + (1−y)·ln(1−p)), with ln p = −softplus(−z) and ln(1−p) = −softplus(z) taken from
numpy's ``logaddexp`` (log(1 + e^u) without overflow), and the slopes are (p − y)·xj and (p − y).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from gdsheet.reference.models import linear
from gdsheet.reference.models.base import ReferenceModel


def _weights(p: Mapping[str, Any]) -> list[str]:
    return sorted((name for name in p if name.startswith("w") and name[1:].isdigit()), key=lambda n: int(n[1:]))


logit = linear.predict
"""z = Σ wj·xj + b, with the parameter ``shift`` raised by ``h``: the linear model's prediction."""


def predict(p: Mapping[str, Any], x: Sequence[Any], shift: str | None = None, h: float = 0.0) -> Any:
    """p = 1/(1 + e^(−z)), written as exp(−softplus(−z)) so that it never overflows."""
    return np.exp(-np.logaddexp(0.0, -logit(p, x, shift, h)))


def error(p: Mapping[str, Any], x: Sequence[Any], y: Any, shift: str | None = None, h: float = 0.0) -> Any:
    """−(y·ln p + (1−y)·ln(1−p)) = y·softplus(−z) + (1−y)·softplus(z); finite for every finite z."""
    z = logit(p, x, shift, h)
    return y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)


def slopes(p: Mapping[str, float], x: Sequence[float], residual: float) -> dict[str, float]:
    """d(loss)/dwj = (p − y)·xj, d(loss)/db = (p − y), ``residual`` being p − y."""
    return {name: x[j] * residual for j, name in enumerate(_weights(p))} | {"b": residual}


def correct(p: Mapping[str, Any], x: Sequence[Any], y: Any) -> Any:
    """1 where the predicted class (p ≥ 0.5) is y, else 0."""
    return ((np.asarray(predict(p, x)) >= 0.5) == (np.asarray(y, dtype=float) == 1)).astype(float)


MODEL = ReferenceModel("logistic", predict, slopes, error, correct)
