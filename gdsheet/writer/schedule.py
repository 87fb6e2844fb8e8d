"""The learning-rate schedule on the Lesson sheet: the epoch number, the rate it plays, its inputs.

The descent table's updates read the named cell ``rate`` instead of ``learn`` when the lesson has
a schedule; ``rate`` is the schedule's formula of ``epoch_start``, the epoch the table plays.
`gdsheet run` advances the epoch as it carries every other pair (``next_epoch`` ->
``epoch_start``), and `reset` restores it (``epoch_reset``). The Live sheet writes one rate per
unrolled epoch with :func:`rate_formula` (:mod:`gdsheet.writer.live`). The reference computes the
same rates on its own (:mod:`gdsheet.reference.schedules`). A new schedule is one entry in
:data:`FORMULAS` (and one function on the other side).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.contract import next_name, reset_name, start_name
from gdsheet.lesson.schedules import EPOCH, RATE, SCHEDULE_INPUTS, scheduled
from gdsheet.lesson.spec import Lesson
from gdsheet.writer.cells import GENERAL, INTEGER, name_ref, put
from gdsheet.writer.layout import STATE_COLS, Layout

FORMULAS: Mapping[str, Callable[[str], str]] = {
    "constant": lambda e: "learn",
    "step": lambda e: f"learn*decay^INT(({e}-1)/step_epochs)",
    "cosine": lambda e: f"learn*(1+COS(PI()*({e}-1)/cosine_epochs))/2",
}
"""Schedule name -> the rate of the epoch the expression ``e`` gives, as a formula (no ``=``)."""

LABELS = {"decay": "decay", "step_epochs": "step epochs", "cosine_epochs": "over epochs"}
"""The label beside each schedule input."""

SCHEDULE_COLS = tuple(STATE_COLS[-1] + 2 + i for i in range(4))
"""Label, value, reset-to and next columns, right of the optimizer's state."""


def rate_formula(lesson: Lesson, epoch: str) -> str:
    """The formula (``=…``) of the rate of the epoch whose number the expression ``epoch`` gives."""
    return f"={FORMULAS[lesson.schedule](epoch)}"


def table_rate(lesson: Lesson) -> str:
    """What the Lesson sheet's table multiplies its steps by: ``learn``, or the scheduled ``rate``."""
    return RATE if scheduled(lesson.schedule) else "learn"


def write_schedule(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """The schedule's controls: its name, the epoch (carried by a run), the rate, its inputs."""
    if not scheduled(lesson.schedule):
        return {}
    label, value, reset, after = SCHEDULE_COLS
    top, row = at.controls_header, at.epochs_row
    put(ws, label, top, "schedule", header=True)
    put(ws, value, top, lesson.schedule, header=True)
    put(ws, reset, top, "reset to", header=True)
    put(ws, after, top, "next", header=True)
    epoch = start_name(EPOCH)
    put(ws, label, row, "epoch")
    put(ws, value, row, lesson.epoch_start, INTEGER, editable=True)
    put(ws, reset, row, 1, INTEGER)
    put(ws, after, row, f"={epoch}+1", INTEGER)
    put(ws, label, row + 1, "rate")
    put(ws, value, row + 1, rate_formula(lesson, epoch), GENERAL)
    names = {
        "schedule": name_ref(value, top),
        epoch: name_ref(value, row),
        reset_name(EPOCH): name_ref(reset, row),
        next_name(EPOCH): name_ref(after, row),
        RATE: name_ref(value, row + 1),
    }
    for i, name in enumerate(SCHEDULE_INPUTS[lesson.schedule], start=2):
        put(ws, label, row + i, LABELS[name])
        shown = lesson.cosine_span if name == "cosine_epochs" else getattr(lesson, name)
        put(ws, value, row + i, shown, GENERAL if name == "decay" else INTEGER, editable=True)
        names[name] = name_ref(value, row + i)
    return names
