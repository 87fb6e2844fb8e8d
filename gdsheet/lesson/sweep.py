"""Sweeps: the same lesson unrolled once per variant (a learning rate, an optimizer, or both).

``--sweep 0.1,0.2,0.5`` and ``--compare sgd,momentum,adam`` give the variants: every optimizer
compared (the lesson's own when none is), at every rate swept (``learn`` when none is), in the
order given, optimizers first. Each variant starts where the lesson does (its start values, the
same samples) with fresh optimizer state (zeros) and plays a constant rate, so the curves differ
by the variant alone. The writer (:mod:`gdsheet.writer.sweep`) and the reference each unroll the
variants through :func:`variant_lesson`; this module holds only the names and that recipe.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from gdsheet.errors import GdsheetError
from gdsheet.lesson.optimizers import OPTIMIZER_SPECS
from gdsheet.lesson.spec import MAX_SWEEP_VARIANTS, Lesson

SHEET = "Sweep"
LOG_NAME = "sweep_log"
OPTIMIZERS_NAME = "sweep_optimizers"
RATES_NAME = "sweep_rates"

Variant = tuple[str, float | None]
"""(optimizer, rate): ``None`` plays the lesson's ``learn``."""


def rates_from_text(text: str) -> tuple[float, ...]:
    """``--sweep``'s comma-separated rates, ``0.1,0.5,1`` (their range is the lesson's to check)."""
    try:
        rates = tuple(float(item) for item in text.split(","))
    except ValueError:
        raise GdsheetError(f"expected comma-separated numbers such as 0.1,0.5,1, got {text[:80]!r}") from None
    if len(rates) > MAX_SWEEP_VARIANTS:
        raise GdsheetError(f"at most {MAX_SWEEP_VARIANTS} rates, got {len(rates)}")
    return rates


def optimizers_from_text(text: str) -> tuple[str, ...]:
    """``--compare``'s comma-separated optimizers, ``sgd,momentum,adam``."""
    names = tuple(item.strip() for item in text.split(","))
    unknown = [name for name in names if name not in OPTIMIZER_SPECS]
    if unknown:
        raise GdsheetError(f"{unknown[0][:40]!r} is not one of {', '.join(OPTIMIZER_SPECS)}")
    return names


def variants(optimizers: Sequence[str], rates: Sequence[float]) -> tuple[Variant, ...]:
    """Every optimizer at every rate, optimizers first (a sweep alone: the lesson's optimizer)."""
    return tuple((optimizer, rate) for optimizer in optimizers for rate in (rates or (None,)))


def table_name(k: int) -> str:
    """The defined name of variant ``k``'s unrolled table (from 1): ``sweep_1``."""
    return f"sweep_{k}"


def label(variant: Variant, lesson: Lesson) -> str:
    """A variant as a series name: ``sgd lr=0.1``, or just the optimizer when it plays ``learn``."""
    optimizer, rate = variant
    return optimizer if rate is None else f"{optimizer} lr={rate:g}"


def variant_lesson(lesson: Lesson, variant: Variant) -> Lesson:
    """The lesson a variant plays: its optimizer and rate, fresh state, a constant rate from epoch 1."""
    optimizer, rate = variant
    return dataclasses.replace(
        lesson, optimizer=optimizer, learn=lesson.learn if rate is None else rate, state_start={},
        schedule="constant", epoch_start=1, sweep=(),
    )  # fmt: skip


def extra_hypers(lesson: Lesson) -> tuple[str, ...]:
    """Hyper-parameters the compared optimizers read that the lesson's own optimizer does not (the
    Sweep sheet holds them as named inputs, so every variant's formulas find them)."""
    own = set(OPTIMIZER_SPECS[lesson.optimizer].hypers)
    found: dict[str, None] = {}
    for optimizer, _ in lesson.sweep:
        found |= {name: None for name in OPTIMIZER_SPECS[optimizer].hypers if name not in own}
    return tuple(found)
