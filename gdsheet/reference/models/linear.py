"""Multiple linear regression y = w1·x1 + … + wk·xk + b on the reference side.

The sum is taken left to right, term by term, as a spreadsheet evaluates ``w1*x1+w2*x2+b``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gdsheet.reference.models.base import ReferenceModel, squared_error


def predict(p: Mapping[str, Any], x: Sequence[Any], shift: str | None = None, h: float = 0.0) -> Any:
    """w1·x1 + … + wk·xk + b; with ``shift`` one weight (wj + h)·xj, or b + h added last (also the
    logistic model's score z)."""
    total: Any = 0.0
    for j, xj in enumerate(x, start=1):
        name = f"w{j}"
        w = p[name] + h if shift == name else p[name]
        total = w * xj if j == 1 else total + w * xj
    total = total + p["b"]
    return total + h if shift == "b" else total


def slopes(p: Mapping[str, float], x: Sequence[float], residual: float) -> dict[str, float]:
    """d(residual²)/dwj = 2·xj·residual, d(residual²)/db = 2·residual."""
    return {**{f"w{j}": 2 * xj * residual for j, xj in enumerate(x, start=1)}, "b": 2 * residual}


MODEL = ReferenceModel("linear", predict, slopes, squared_error(predict))
