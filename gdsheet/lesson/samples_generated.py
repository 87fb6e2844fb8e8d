"""Generated descent samples: N points on the lesson's line, plus reproducible Gaussian noise.

x values are evenly spaced from the smallest to the largest x of the lesson's data block (7 to 50
in the shipped presets), rounded to 2 decimals, in increasing order: the data block's range is
the one the grid and the intro describe, and even spacing keeps every run of the same options
identical without storing anything. Noise is ``numpy.random.default_rng(seed).normal(0, sigma, n)``
added to each y, in row order, so the same seed gives the same workbook on any machine.
Noise may also be added to a CSV's samples (or the preset's): then x is kept as given.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np

from gdsheet.errors import GdsheetError

MAX_SAMPLES = 1_000_000


def generated_x(data_x: Sequence[float], n: int) -> tuple[float, ...]:
    """``n`` x values evenly spaced over the data block's range, rounded to 2 decimals."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SAMPLES:
        raise GdsheetError(f"samples must be a whole number from 1 to {MAX_SAMPLES:,}, got {n!r}")
    return tuple(float(x) for x in np.round(np.linspace(min(data_x), max(data_x), n), 2))


def generated_classes(scores: Sequence[float], sigma: float, seed: int) -> tuple[float, ...]:
    """Two classes: y = 1 where the score z (the model at its actual parameters) plus Gaussian
    noise of standard deviation ``sigma`` from ``default_rng(seed)`` is ≥ 0, else y = 0.

    Without noise the classes split exactly where the true probability crosses 0.5; noise mixes
    them near that boundary, more the larger ``sigma`` (the same seed, the same labels)."""
    noisy = with_noise(scores, sigma, seed)
    return tuple(1.0 if z >= 0 else 0.0 for z in noisy)


def with_noise(y: Sequence[float], sigma: float, seed: int) -> tuple[float, ...]:
    """``y`` plus Gaussian noise of standard deviation ``sigma`` from ``default_rng(seed)``."""
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not math.isfinite(sigma) or sigma < 0:
        raise GdsheetError(f"noise must be a finite number >= 0, got {sigma!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise GdsheetError(f"seed must be a whole number >= 0, got {seed!r}")
    noise = np.random.default_rng(seed).normal(0.0, float(sigma), len(y))
    return tuple(float(v) for v in np.asarray(y, dtype=float) + noise)


GENERATED_WEIGHTS = (3.0, -2.0, 1.5, -1.0, 0.5, 2.0, -0.5, 1.0)
"""The weights generated samples of a k-input model lie on where its preset gives none: w_j is the
j-th of these, cycled past the eighth."""


def generated_inputs(data_x: Sequence[float], n: int, k: int) -> tuple[tuple[float, ...], ...]:
    """``k`` input columns of ``n`` samples over the data block's range (every model's generator).

    One input is :func:`generated_x` (evenly spaced). More are spread without a pattern two inputs
    share (so that no input is a multiple of another): sample i's input j is
    lo + (hi − lo)·frac(i·√p_j), p_j the j-th prime, rounded to 2 decimals. No random numbers:
    the same options give the same samples everywhere."""
    if k == 1:
        return (generated_x(data_x, n),)
    generated_x(data_x, n)  # the same bound on n
    lo, hi = min(data_x), max(data_x)
    primes = _primes(k)
    i = np.arange(n, dtype=float)
    return tuple(tuple(float(v) for v in np.round(lo + (hi - lo) * np.mod(i * math.sqrt(p), 1.0), 2)) for p in primes)


def _primes(k: int) -> list[int]:
    primes: list[int] = []
    candidate = 2
    while len(primes) < k:
        if all(candidate % p for p in primes):
            primes.append(candidate)
        candidate += 1
    return primes


def student_rng(seed: int, student_id: str, draw: int = 0) -> np.random.Generator:
    """The random generator of one student of an assignment: the same on any machine for the same
    seed and id (SHA-256 of both, not Python's salted ``hash``), different for every id."""
    digest = hashlib.sha256(f"gdsheet assign {seed} {student_id} {draw}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def student_samples(
    data_x: Sequence[float], m: float, b: float, n: int, sigma: float, rng: np.random.Generator
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``n`` samples of one student: x uniform over the data block's range and y on the line
    y = m·x + b plus Gaussian noise of ``sigma``, both rounded to 2 decimals; x increasing."""
    generated_x(data_x, n)  # the same bounds on n
    x = np.sort(np.round(rng.uniform(min(data_x), max(data_x), n), 2))
    y = np.round(m * x + b + rng.normal(0.0, float(sigma), n), 2)
    return tuple(float(v) for v in x), tuple(float(v) for v in y)
