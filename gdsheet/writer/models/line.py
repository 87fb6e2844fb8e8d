"""The line y = m·x + b as formulas: m*x+b, and its slopes 2x(mx+b−y) and 2(mx+b−y)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gdsheet.writer.models.base import FormulaModel, squared_error


def prediction(x: Sequence[str], p: Mapping[str, str], shift: str | None = None) -> str:
    """``m*x+b``; ``(m+fd_step)*x+b`` or ``m*x+b+fd_step`` when m or b is shifted."""
    m = f"({p['m']}+fd_step)" if shift == "m" else p["m"]
    text = f"{m}*{x[0]}+{p['b']}"
    return f"{text}+fd_step" if shift == "b" else text


def slope(param: str, x: Sequence[str], residual: str, here: Mapping[str, str] | None = None) -> str:
    """de/dm = 2·x·(y_pred − y), de/db = 2·(y_pred − y)."""
    return f"2*{x[0]}*{residual}" if param == "m" else f"2*{residual}"


def hints(params: Sequence[str]) -> Mapping[str, str]:
    return {
        "y_pred": "(mx+b)",
        "error_sq": "(mx+b-y)^2",
        "err_m1": "((m+h)x+b-y)^2",
        "err_b1": "(mx+b+h-y)^2",
        "de/dm": "2x(mx+b-y)",
        "de/db": "2(mx+b-y)",
    }


MODEL = FormulaModel(
    "line", prediction, slope, hints, squared_error(prediction), "the line through the current m and b"
)
