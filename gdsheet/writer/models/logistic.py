"""Logistic regression as formulas: p = 1/(1+e^−z) (as :func:`sigmoid` spells it), its log loss
through softplus, and its slopes.

The log loss −(y·ln p + (1−y)·ln(1−p)) is written as softplus(z) − y·z, with
softplus(z) = z/2 + ABS(z)/2 + LN(1+EXP(−ABS(z))) (that is MAX(z,0) + ln(1+e^−|z|), spelled
without MAX so that it works element by element inside SUMPRODUCT): EXP only ever sees a
number ≤ 0, so no finite z gives #NUM!, where LN(p) would once p rounds to 0 or 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gdsheet.writer.models import linear
from gdsheet.writer.models.base import FormulaModel

logit = linear.prediction
"""z = w1*x1+…+b, a parameter raised by fd_step when shifted: the linear model's prediction."""


def sigmoid(a: str) -> str:
    """1/(1+e^−a), spelled EXP(MIN(a,0))/(1+EXP(−|a|)) (MIN as a/2 − |a|/2, which works element
    by element inside SUMPRODUCT): EXP never sees a positive number, so no finite a gives #NUM!,
    where 1/(1+EXP(−a)) overflows once a < −709 (a sample far from a wide step's weights)."""
    return f"EXP(({a})/2-ABS({a})/2)/(1+EXP(-ABS({a})))"


def prediction(x: Sequence[str], p: Mapping[str, str], shift: str | None = None) -> str:
    """p = sigmoid(z)."""
    return sigmoid(logit(x, p, shift))


def error(x: Sequence[str], p: Mapping[str, str], shift: str | None, y: str, predicted: str | None) -> str:
    """softplus(z) − y·z (the prediction's cell is not reused: the loss needs z, not p)."""
    z = f"({logit(x, p, shift)})"
    return f"{z}/2+ABS{z}/2+LN(1+EXP(-ABS{z}))-{y}*{z}"


def slope(param: str, x: Sequence[str], residual: str, here: Mapping[str, str] | None = None) -> str:
    """d(loss)/dwj = xj·(p − y), d(loss)/db = (p − y)."""
    if param == "b":
        return residual
    return f"{x[int(param[1:]) - 1]}*{residual}"


def hints(params: Sequence[str]) -> Mapping[str, str]:
    weights = [p for p in params if p != "b"]
    z = "+".join([f"{w}·x{w[1:]}" for w in weights] + ["b"])
    text = {
        "y_pred": f"p = 1/(1+e^-z), z = {z}",
        "error_sq": "log loss: softplus(z) - y·z",
        "de/db": "(p - y)",
    }
    for w in weights:
        text[f"err_{w}1"] = f"log loss with {w}+h"
        text[f"de/d{w}"] = f"x{w[1:]}·(p - y)"
    return text | {"err_b1": "log loss with b+h"}


MODEL = FormulaModel(
    "logistic", prediction, slope, hints, error, "the probability curve at the current w1 and b", "0.000"
)
