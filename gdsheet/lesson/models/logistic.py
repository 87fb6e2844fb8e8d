"""Logistic regression: p = 1/(1 + e^(−z)), z = w1·x1 + … + wk·xk + b, labels y ∈ {0, 1}, log loss."""

from __future__ import annotations

from gdsheet.lesson.models.base import ModelSpec


def features(k: int) -> tuple[str, ...]:
    """x1 … xk (the CSV header's columns before y)."""
    return tuple(f"x{j}" for j in range(1, k + 1))


def params(k: int) -> tuple[str, ...]:
    """w1 … wk, then the bias b."""
    return (*(f"w{j}" for j in range(1, k + 1)), "b")


MODEL = ModelSpec(
    name="logistic",
    summary="p = 1/(1+e^(−z)), z = w1·x1 + … + b: two classes, y ∈ {0, 1}, log loss",
    features=features,
    params=params,
    landscape=lambda k: ("w1", "b"),
    gradients=("analytic", "finite-difference"),
    losses=("log-loss",),
    classes=(0.0, 1.0),
    curve_points=25,
)
