"""Logistic regression: p = 1/(1 + e^(−z)), z = w1·x1 + … + wk·xk + b, labels y ∈ {0, 1}, log loss.

Its inputs and parameters are the linear model's (z is that model's ŷ): k inputs from the CSV
header ``x1,…,xk,y`` or ``--features K``, the weights w1 … wk and the bias b.
"""

from __future__ import annotations

from gdsheet.lesson.models.base import ModelSpec
from gdsheet.lesson.models.linear import MAX_FEATURES, features, params

MODEL = ModelSpec(
    name="logistic",
    summary="p = 1/(1+e^(−z)), z = w1·x1 + … + b: two classes, y ∈ {0, 1}, log loss",
    features=features,
    params=params,
    landscape=lambda k: ("w1", "b"),
    gradients=("analytic", "finite-difference"),
    max_features=MAX_FEATURES,
    losses=("log-loss",),
    classes=(0.0, 1.0),
    curve_points=25,
)
