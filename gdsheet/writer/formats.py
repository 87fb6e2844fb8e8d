"""Number formats that show the data: what a learner needs to redo a row by hand.

- the samples (x, y) show as many decimals as they have (up to :data:`SAMPLE_DECIMALS`), so 7.73
  reads 7.73, not 8;
- derived columns (predictions, squared errors, slopes, optimizer state) use General, which
  shows the significant digits that fit the column and turns to scientific notation rather than
  show a small non-zero value as 0 (fixed decimals would print 0.0004 as 0);
- m and b show enough decimals to see them move from one row to the next (the reference's
  smallest per-row step over the first epoch, to two significant digits, at least
  :data:`MIN_PARAM_DECIMALS`, at most :data:`MAX_PARAM_DECIMALS`).

The seed preset (``published_formats``) keeps the published sheet's formats, so it displays the
published numbers digit for digit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from gdsheet.lesson.spec import Lesson
from gdsheet.reference.oracle import unrolled
from gdsheet.writer.cells import GENERAL, INTEGER, PARAM

SAMPLE_DECIMALS = 4
"""Samples with more decimals than this (noise, a CSV of 17-digit floats) show this many."""
MIN_PARAM_DECIMALS = 3
MAX_PARAM_DECIMALS = 6
"""A column 10 characters wide holds a parameter below 1,000 with 6 decimals."""
COUNTS = frozenset({"t"})


def fixed(decimals: int) -> str:
    """The format with exactly ``decimals`` decimals: ``0``, ``0.0``, ``0.00``…"""
    return "0." + "0" * decimals if decimals else INTEGER


def decimals_of(value: float, cap: int = SAMPLE_DECIMALS) -> int:
    """How many decimals ``value`` has as typed (its shortest round-trip form), at most ``cap``."""
    if not math.isfinite(value):
        return 0
    for places in range(cap + 1):
        if float(f"{value:.{places}f}") == value:
            return places
    return cap


def sample_format(values: Iterable[float]) -> str:
    """The format of a column of samples: as many decimals as its most precise sample (capped)."""
    return fixed(max((decimals_of(float(v)) for v in values), default=0))


_DECIMALS: dict[int, tuple[Lesson, int]] = {}
"""The last lesson's :func:`param_decimals` (by identity: a lesson is not hashable): every block
that formats a parameter asks, and each answer is one whole epoch of the reference (100,000
samples: seconds)."""


def param_decimals(lesson: Lesson) -> int:
    """Decimals that show m and b moving: the smallest non-zero step of either over one epoch, to
    two significant digits (within the bounds above)."""
    known = _DECIMALS.get(id(lesson))
    if known is not None and known[0] is lesson:
        return known[1]
    _DECIMALS.clear()
    _DECIMALS[id(lesson)] = (lesson, decimals := _param_decimals(lesson))
    return decimals


def _param_decimals(lesson: Lesson) -> int:
    with np.errstate(all="ignore"):
        table = unrolled(lesson, 1)[0]
        steps = np.abs(np.concatenate([table.column(f"new_{p}") - table.column(p) for p in lesson.params]))
    steps = steps[np.isfinite(steps) & (steps > 0)]
    if steps.size == 0:
        return MIN_PARAM_DECIMALS
    wanted = 1 - math.floor(math.log10(float(steps.min())))
    return min(max(wanted, MIN_PARAM_DECIMALS), MAX_PARAM_DECIMALS)


def param_format(lesson: Lesson) -> str:
    """The format of every parameter cell (m and b): the table's, the controls', the logs'."""
    return PARAM if lesson.published_formats else fixed(param_decimals(lesson))


def table_formats(lesson: Lesson, published: Mapping[str, str]) -> dict[str, str]:
    """Each descent-table column's format; ``published`` holds the published sheet's (by column)."""
    if lesson.published_formats:
        return dict(published)
    params = param_format(lesson)
    parameters = {*lesson.params, *(f"new_{p}" for p in lesson.params)}
    samples = zip((*lesson.features, "y"), (*lesson.x_columns, lesson.samples_y), strict=True)
    chosen = {name: sample_format(values) for name, values in samples}
    for name in published:
        if name not in chosen:
            chosen[name] = params if name in parameters else INTEGER if name in COUNTS else GENERAL
    return chosen
