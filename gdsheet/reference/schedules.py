"""The reference's learning-rate schedules: each epoch's rate, in plain float maths.

Written from the schedules' definitions (:mod:`gdsheet.lesson.schedules`), not from the workbook's
formulas (:mod:`gdsheet.writer.schedule`), so that `check` holds the two to each other. A new
schedule is one function in :data:`RATES` (and one formula on the other side).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from gdsheet.lesson.spec import Lesson

Rate = Callable[[Lesson, int], float]


def _constant(lesson: Lesson, epoch: int) -> float:
    return lesson.learn


def _step(lesson: Lesson, epoch: int) -> float:
    """learn·G^⌊(e−1)/S⌋: the rate falls by the factor G every S epochs."""
    return lesson.learn * lesson.decay ** math.floor((epoch - 1) / lesson.step_epochs)


def _cosine(lesson: Lesson, epoch: int) -> float:
    """learn·(1 + cos(π(e−1)/E))/2: cosine annealing over E epochs."""
    return lesson.learn * (1 + math.cos(math.pi * (epoch - 1) / lesson.cosine_span)) / 2


RATES: Mapping[str, Rate] = {"constant": _constant, "step": _step, "cosine": _cosine}
"""Schedule name -> the rate of epoch e (counted from 1)."""


def rate(lesson: Lesson, epoch: int) -> float:
    """The learning rate ``lesson`` plays epoch ``epoch`` with."""
    return RATES[lesson.schedule](lesson, epoch)
