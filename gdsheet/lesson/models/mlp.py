"""A network of one hidden layer (regression): a_j = Σ_i h{j}_w{i}·x_i + h{j}_b, h_j = act(a_j),
ŷ = Σ_j out_w{j}·h_j + out_b, squared error.

Its descent table writes backpropagation out column by column: the forward pass (a_j, h_j)
between the parameters and y_pred, the backward pass (dE/dy_pred = 2(ŷ − y), dE/da_j =
dE/dy_pred·out_wj·act′(a_j)) after error_sq, from which each parameter's slope is one product
(dE/dout_wj = dE/dy_pred·h_j, dE/dh{j}_w{i} = dE/da_j·x_i). The start weights are drawn from
``numpy.random.default_rng(seed)`` (:func:`start_values`), never all equal, so the hidden units
can learn different things and the same options give the same workbook.
"""

from __future__ import annotations

from gdsheet.lesson.models.base import ModelSpec
from gdsheet.lesson.models.linear import MAX_FEATURES, features

MAX_HIDDEN = 16
"""Hidden units a lesson may have: each adds k + 2 parameters (three table columns each) and four
columns of the forward and backward pass."""

ACTIVATIONS = ("tanh", "sigmoid", "relu")


def params(k: int, hidden: int = 2) -> tuple[str, ...]:
    """h1_w1 … hH_wk (unit by unit), h1_b … hH_b, out_w1 … out_wH, out_b."""
    units = range(1, hidden + 1)
    weights = tuple(f"h{j}_w{i}" for j in units for i in range(1, k + 1))
    return (*weights, *(f"h{j}_b" for j in units), *(f"out_w{j}" for j in units), "out_b")


def forward(k: int, hidden: int = 2) -> tuple[str, ...]:
    """The forward pass's columns, before y_pred: each unit's a_j, then each h_j."""
    return (*(f"a{j}" for j in range(1, hidden + 1)), *(f"h{j}" for j in range(1, hidden + 1)))


def backward(k: int, hidden: int = 2) -> tuple[str, ...]:
    """The backward pass's columns, after error_sq: dE/dy_pred, then each dE/da_j."""
    return ("dE/dy_pred", *(f"dE/da{j}" for j in range(1, hidden + 1)))


def start_values(k: int, hidden: int, seed: int) -> dict[str, float]:
    """Every parameter's start value: ``default_rng(seed).uniform(-1, 1)`` in table order, rounded
    to 2 decimals (what the workbook shows), drawn again with the next seed in the unlikely case
    that all are equal (equal weights never break their symmetry)."""
    import numpy as np  # here, not at the top: `gdsheet --help` and `templates` import no numpy

    names = params(k, hidden)
    while True:
        values = np.round(np.random.default_rng(seed).uniform(-1.0, 1.0, len(names)), 2)
        if len(set(values.tolist())) > 1:
            return {name: float(value) for name, value in zip(names, values, strict=True)}
        seed += 1


MODEL = ModelSpec(
    name="mlp",
    summary="one hidden layer: h_j = act(Σ h{j}_w{i}·x_i + h{j}_b), ŷ = Σ out_w{j}·h_j + out_b, squared error",
    features=features,
    params=params,
    landscape=lambda k: ("out_w1", "out_b"),
    gradients=("analytic", "finite-difference"),
    max_features=MAX_FEATURES,
    forward=forward,
    backward=backward,
    activations=ACTIVATIONS,
    max_hidden=MAX_HIDDEN,
    start_values=start_values,
    curve_points=25,
)
