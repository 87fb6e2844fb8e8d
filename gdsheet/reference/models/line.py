"""The line y = m·x + b on the reference side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gdsheet.reference.models.base import ReferenceModel, squared_error


def predict(p: Mapping[str, Any], x: Sequence[Any], shift: str | None = None, h: float = 0.0) -> Any:
    """m·x + b; (m+h)·x + b with ``shift="m"``, m·x + b + h with ``shift="b"``."""
    m = p["m"] + h if shift == "m" else p["m"]
    y = m * x[0] + p["b"]
    return y + h if shift == "b" else y


def slopes(p: Mapping[str, float], x: Sequence[float], residual: float) -> dict[str, float]:
    """d(residual²)/dm = 2x·residual, d(residual²)/db = 2·residual."""
    return {"m": 2 * x[0] * residual, "b": 2 * residual}


MODEL = ReferenceModel("line", predict, slopes, squared_error(predict))
