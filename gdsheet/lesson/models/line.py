"""The line y = m·x + b: one input x, the parameters m and b (the published lesson's model)."""

from __future__ import annotations

from gdsheet.lesson.models.base import ModelSpec

MODEL = ModelSpec(
    name="line",
    summary="y = m·x + b: one input, a slope m and an intercept b",
    features=lambda k: ("x",),
    params=lambda k, hidden=0: ("m", "b"),
    landscape=lambda k: ("m", "b"),
    gradients=("analytic", "finite-difference", "swapped"),
)
