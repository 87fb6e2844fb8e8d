"""Learning-rate schedules: the rate each epoch plays with, as a function of its epoch number.

Both sides compute the schedules on their own (:mod:`gdsheet.writer.schedule` writes formulas,
:mod:`gdsheet.reference.schedules` computes numbers); they share only these names. A schedule
reads ``learn`` and its own inputs, one defined name each:

- ``constant``: every epoch plays ``learn`` (the published lesson; no schedule names are written);
- ``step``: lr = learn·decay^⌊(e−1)/step_epochs⌋ (the rate is multiplied by ``decay`` every
  ``step_epochs`` epochs);
- ``cosine``: lr = learn·(1 + cos(π(e−1)/cosine_epochs))/2, annealed over ``cosine_epochs``
  epochs (the live epochs by default), from learn at epoch 1 towards 0.

The epoch e is a named cell, ``epoch_start``, that `run` advances (``next_epoch`` -> ``epoch_start``,
like every carried pair) and `reset` restores (``epoch_reset``).
"""

from __future__ import annotations

from collections.abc import Mapping

SCHEDULE_INPUTS: Mapping[str, tuple[str, ...]] = {
    "constant": (),
    "step": ("decay", "step_epochs"),
    "cosine": ("cosine_epochs",),
}
"""Schedule name -> the defined names of the inputs it reads besides ``learn`` and the epoch."""

SCHEDULES = tuple(SCHEDULE_INPUTS)
DEFAULT_SCHEDULE = "constant"
DEFAULT_DECAY = 0.5
DEFAULT_STEP_EPOCHS = 5

EPOCH = "epoch"
"""The carried epoch number: ``epoch_start`` (input), ``next_epoch`` (derived), ``epoch_reset`` (control)."""
RATE = "rate"
"""The defined name of the scheduled rate the Lesson sheet's table plays with."""
LIVE_RATE = "live_rate"
"""The defined name of the Live sheet's rates, one per unrolled epoch."""


def scheduled(schedule: str) -> bool:
    """Whether a lesson with ``schedule`` carries an epoch number and a rate (every schedule but constant)."""
    return schedule != DEFAULT_SCHEDULE
