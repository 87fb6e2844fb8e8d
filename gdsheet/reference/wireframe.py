"""The reference's wireframe: the loss grid and the descent path projected to the page, in numpy.

Written from the projection's definition (README, "The wireframe"), not from the Surface sheet's
formulas (:mod:`gdsheet.writer.wireframe`): with the grid's two parameters scaled to 0..1 over
their axes (u, w), a view angle θ (degrees) and a height h,

    x = u·cos θ − w·sin θ,    y = (u·sin θ + w·cos θ)/2 + h·loss/max(grid).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def project(
    p: ArrayLike, q: ArrayLike, loss: ArrayLike, p_axis: ArrayLike, q_axis: ArrayLike, top: float,
    angle: float, height: float,
) -> tuple[Array, Array]:  # fmt: skip
    """Page coordinates (x, y) of points (p, q, loss) seen from ``angle`` degrees, ``height`` tall."""
    p_axis, q_axis = np.asarray(p_axis, dtype=float), np.asarray(q_axis, dtype=float)
    u = (np.asarray(p, dtype=float) - p_axis.min()) / (p_axis.max() - p_axis.min())
    w = (np.asarray(q, dtype=float) - q_axis.min()) / (q_axis.max() - q_axis.min())
    theta = angle * math.pi / 180
    x = u * math.cos(theta) - w * math.sin(theta)
    y = (u * math.sin(theta) + w * math.cos(theta)) / 2 + height * np.asarray(loss, dtype=float) / top
    return x, y
