"""Multiple linear regression as formulas: w1*x1+…+wk*xk+b, its slopes 2·xj·(ŷ−y) and 2·(ŷ−y)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gdsheet.writer.models.base import FormulaModel, squared_error


def prediction(x: Sequence[str], p: Mapping[str, str], shift: str | None = None) -> str:
    """``w1*x1+w2*x2+b``; ``(wj+fd_step)*xj`` for a shifted weight, ``+fd_step`` last for b (also
    the logistic model's score z)."""
    terms = []
    for j, xj in enumerate(x, start=1):
        name = f"w{j}"
        w = f"({p[name]}+fd_step)" if shift == name else p[name]
        terms.append(f"{w}*{xj}")
    text = "+".join(terms) + f"+{p['b']}"
    return f"{text}+fd_step" if shift == "b" else text


def slope(param: str, x: Sequence[str], residual: str, here: Mapping[str, str] | None = None) -> str:
    """de/dwj = 2·xj·(y_pred − y), de/db = 2·(y_pred − y)."""
    return f"2*{residual}" if param == "b" else f"2*{x[int(param[1:]) - 1]}*{residual}"


def hints(params: Sequence[str]) -> Mapping[str, str]:
    weights = [p for p in params if p != "b"]
    hints = {"y_pred": "(w·x+b)", "error_sq": "(w·x+b-y)^2", "err_b1": "(w·x+b+h-y)^2", "de/db": "2(w·x+b-y)"}
    for w in weights:
        j = w[1:]
        hints |= {f"err_{w}1": f"(w·x+h·x{j}+b-y)^2", f"de/d{w}": f"2x{j}(w·x+b-y)"}
    return hints


MODEL = FormulaModel(
    "linear", prediction, slope, hints, squared_error(prediction), "the line through the current w1 and b"
)
