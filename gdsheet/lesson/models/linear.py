"""Multiple linear regression y = w1·x1 + … + wk·xk + b: k inputs (from the CSV header
``x1,…,xk,y`` or ``--features K``), the weights w1 … wk and the intercept b.

Its landscape is two of its parameters (by default the first weight and b); for k ≥ 2 the grid is
a slice through them, the other weights held at their start values.
"""

from __future__ import annotations

from gdsheet.lesson.models.base import ModelSpec

MAX_FEATURES = 64
"""Inputs a linear (or logistic) lesson may have: each adds four table columns per sample (x, w,
err, de/dw, new w) and a row of controls."""


def features(k: int) -> tuple[str, ...]:
    """x1 … xk (the CSV header's columns before y)."""
    return tuple(f"x{j}" for j in range(1, k + 1))


def params(k: int, hidden: int = 0) -> tuple[str, ...]:
    """w1 … wk, then the intercept b."""
    return (*(f"w{j}" for j in range(1, k + 1)), "b")


MODEL = ModelSpec(
    name="linear",
    summary="y = w1·x1 + … + wk·xk + b: k inputs, k weights and an intercept",
    features=features,
    params=params,
    landscape=lambda k: ("w1", "b"),
    gradients=("analytic", "finite-difference"),
    max_features=MAX_FEATURES,
)
