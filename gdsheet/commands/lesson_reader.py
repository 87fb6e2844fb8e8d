"""Read a lesson back from a workbook's inputs, through its defined names only.

`gdsheet check` compares a workbook with the reference computed from the workbook's *own*
inputs, so a lesson edited in Excel (new data, another learn rate) is checked as edited.
Derived cells are never read here: a y cell that holds a formula stands for the line
y = m_actual·x + b_actual, whatever the formula says, so the check can catch a wrong formula.
"""

from __future__ import annotations

from gdsheet.engine.evaluator import Evaluator
from gdsheet.errors import WorkbookError
from gdsheet.lesson.spec import HYPER_PARAMETERS, OPTIMIZER_STATE, Lesson

LESSON_NAMES = (
    "data_x",
    "m_actual",
    "b_actual",
    "m_guess",
    "b_guess",
    "grid_m",
    "grid_b",
    "descent_x",
    "descent_y",
    "m_start",
    "b_start",
    "learn",
    "epochs",
    "fd_step",
    "gradient",
    "loss",
)


def _number(ev: Evaluator, name: str) -> float:
    return ev.numbers(name)[0]


def lesson_from_workbook(ev: Evaluator) -> Lesson:
    """The lesson whose inputs the workbook holds (text, labels and formats left at defaults)."""
    ev.require(LESSON_NAMES)
    m_actual, b_actual = _number(ev, "m_actual"), _number(ev, "b_actual")
    descent_x = ev.numbers("descent_x")
    stored_y = ev.constants("descent_y")
    descent_y = tuple(
        float(y) if isinstance(y, (int, float)) else m_actual * x + b_actual  # type: ignore[arg-type]
        for x, y in zip(descent_x, stored_y, strict=True)
    )
    epochs = _number(ev, "epochs")
    optimizer = str(ev.constants("optimizer")[0]) if "optimizer" in ev.names else "sgd"
    state_names = OPTIMIZER_STATE.get(optimizer, ())
    try:
        return Lesson(
            name=ev.path.stem,
            summary="",
            m_actual=m_actual,
            b_actual=b_actual,
            data_x=ev.numbers("data_x"),
            m_guess=_number(ev, "m_guess"),
            b_guess=_number(ev, "b_guess"),
            grid_m=ev.numbers("grid_m"),
            grid_b=ev.numbers("grid_b"),
            descent_x=descent_x,
            descent_y=descent_y,
            m_start=_number(ev, "m_start"),
            b_start=_number(ev, "b_start"),
            learn=_number(ev, "learn"),
            epochs=int(epochs) if epochs.is_integer() else -1,
            fd_step=_number(ev, "fd_step"),
            gradient=str(ev.constants("gradient")[0]),
            loss=str(ev.constants("loss")[0]),
            loss_label="",
            loss_format="",
            grid_format="",
            optimizer=optimizer,
            **{name: _number(ev, name) for name in HYPER_PARAMETERS if name in ev.names},
            state_start={name: _number(ev, f"{name}_start") for name in state_names if f"{name}_start" in ev.names},
            live_epochs=ev.area("live_log").shape[0] if "live_log" in ev.names else 0,
        )
    except WorkbookError:
        raise
    except Exception as exc:
        raise WorkbookError(f"{ev.path}: {exc}") from None
