"""The one-hidden-layer network on the reference side: its forward pass and backpropagation,
written from the chain rule in numpy (not from the workbook's formulas), one variant per activation.

a_j = Σ_i h{j}_w{i}·x_i + h{j}_b, h_j = act(a_j), ŷ = Σ_j out_w{j}·h_j + out_b; backward:
dE/dŷ = 2(ŷ − y), dE/dout_wj = dE/dŷ·h_j, dE/da_j = dE/dŷ·out_wj·act′(a_j), dE/dh{j}_w{i} =
dE/da_j·x_i, dE/dh{j}_b = dE/da_j. Sums go left to right, term by term, as a spreadsheet adds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from gdsheet.reference.models.base import ReferenceModel, squared_error

ACTIVATIONS: Mapping[str, tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]] = {
    "tanh": (np.tanh, lambda a, h: 1 - h**2),
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), lambda a, h: h * (1 - h)),
    "relu": (lambda a: np.maximum(a, 0.0) + 0.0, lambda a, h: np.where(a > 0, 1.0, 0.0)),
}
"""Each activation and its derivative act′(a) (given a and h = act(a)); relu′(0) is 0."""


def _shape(p: Mapping[str, Any]) -> tuple[int, int]:
    """(inputs, hidden units), from the parameters' names."""
    hidden = sum(1 for name in p if name.startswith("out_w"))
    inputs = sum(1 for name in p if name.startswith("h1_w"))
    return inputs, hidden


def _value(p: Mapping[str, Any], name: str, shift: str | None, h: float) -> Any:
    return p[name] + h if shift == name else p[name]


def variant(activation: str) -> ReferenceModel:
    """The network's numpy reference for one activation."""
    act, slope_of_act = ACTIVATIONS[activation]

    def forward(p: Mapping[str, Any], x: Sequence[Any], shift: str | None = None, h: float = 0.0
                ) -> tuple[list[Any], list[Any], Any]:  # fmt: skip
        """Every a_j, every h_j and ŷ."""
        k, hidden = _shape(p)
        pre, out = [], []
        for j in range(1, hidden + 1):
            total: Any = None
            for i in range(1, k + 1):
                term = _value(p, f"h{j}_w{i}", shift, h) * x[i - 1]
                total = term if total is None else total + term
            a = total + _value(p, f"h{j}_b", shift, h)
            pre.append(a)
            out.append(act(a))
        y: Any = None
        for j in range(1, hidden + 1):
            term = _value(p, f"out_w{j}", shift, h) * out[j - 1]
            y = term if y is None else y + term
        return pre, out, y + _value(p, "out_b", shift, h)

    def predict(p: Mapping[str, Any], x: Sequence[Any], shift: str | None = None, h: float = 0.0) -> Any:
        return forward(p, x, shift, h)[2]

    def backward(p: Mapping[str, float], x: Sequence[float], y: float) -> dict[str, float]:
        """The forward and backward passes' values of one sample, by the table's column names."""
        pre, out, y_pred = forward(p, x)
        values = {f"a{j}": a for j, a in enumerate(pre, start=1)} | {f"h{j}": v for j, v in enumerate(out, start=1)}
        d_y = 2 * (y_pred - y)
        values["dE/dy_pred"] = d_y
        for j, (a, hj) in enumerate(zip(pre, out, strict=True), start=1):
            values[f"dE/da{j}"] = d_y * p[f"out_w{j}"] * slope_of_act(a, hj)
        return values

    def slopes(p: Mapping[str, float], x: Sequence[float], residual: float) -> dict[str, float]:
        """Backpropagation: every parameter's d(residual²)/dp, ``residual`` being ŷ − y."""
        k, hidden = _shape(p)
        pre, out, _ = forward(p, x)
        d_y = 2 * residual
        grads: dict[str, float] = {}
        d_a = [d_y * p[f"out_w{j}"] * slope_of_act(pre[j - 1], out[j - 1]) for j in range(1, hidden + 1)]
        for j in range(1, hidden + 1):
            grads |= {f"h{j}_w{i}": d_a[j - 1] * x[i - 1] for i in range(1, k + 1)}
        grads |= {f"h{j}_b": d_a[j - 1] for j in range(1, hidden + 1)}
        grads |= {f"out_w{j}": d_y * out[j - 1] for j in range(1, hidden + 1)}
        return grads | {"out_b": d_y}

    return ReferenceModel(f"mlp/{activation}", predict, slopes, squared_error(predict), columns=backward)


VARIANTS = tuple(variant(activation) for activation in ACTIVATIONS)
