"""The defined-name contract: every name a lesson's workbook has, its kind, and what it must show.

Tools and tests find everything in a lesson through workbook-level defined names, never through
cell positions. This module is the one list of those names, computed from the lesson (its model,
its optimizer and its options). The writer checks that it wrote exactly these names
(:func:`gdsheet.writer.writer.lesson_workbook`), `check` compares every *derived* name with the
reference quantity given here (:func:`gdsheet.commands.check.expected_for`), and `run`, `reset`
and the lesson reader find the parameters, the carried pairs and the inputs through the names
and helpers below.

Kinds:

- ``input``: numbers the lesson is computed from, which a learner may edit (data, start values,
  learn, hyper-parameters, grid axes); `check` reads them to compute the reference;
- ``derived``: formulas, each cell compared with ``quantity`` of the reference;
- ``log``: the epoch log `run` appends to and `reset` clears;
- ``control``: what the buttons and tools read besides: the epochs per run, the reset values,
  and text cells naming the model, its parameters and the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gdsheet.lesson.optimizers import OPTIMIZER_SPECS
from gdsheet.lesson.schedules import EPOCH, LIVE_RATE, RATE, SCHEDULE_INPUTS, scheduled
from gdsheet.lesson.spec import Lesson
from gdsheet.lesson.sweep import LOG_NAME as SWEEP_LOG
from gdsheet.lesson.sweep import OPTIMIZERS_NAME, RATES_NAME, extra_hypers, table_name, variant_lesson

Kind = Literal["input", "derived", "log", "control"]

LOG_NAME = "epoch_log"
WIRE_LOG_POINTS = 21
"""Points of the Surface sheet's epoch-log path (``wire_log_path``): the log's first row, its last,
and 19 spread evenly between; a million-epoch log draws as 21 points, a short one repeats rows."""
PARAMETERS_NAME = "parameters"
MODEL_NAME = "model"
ACTIVATION_NAME = "activation"


def start_name(x: str) -> str:
    """Where parameter or state ``x`` starts the table (what a run carries into): ``m_start``."""
    return f"{x}_start"


def next_name(x: str) -> str:
    """The last row's new value of ``x`` (what a run carries from): ``next_m``."""
    return f"next_{x}"


def reset_name(x: str) -> str:
    """What `reset` restores ``x`` to: ``m_reset``."""
    return f"{x}_reset"


@dataclass(frozen=True)
class Quantity:
    """A reference quantity: the :class:`~gdsheet.reference.oracle.LessonValues` field ``field``,
    and within it the table ``columns`` (a descent table) or the entry ``key`` (a mapping)."""

    field: str
    columns: tuple[str, ...] = ()
    key: str | None = None


@dataclass(frozen=True)
class Entry:
    """One defined name: its kind, what it holds, and (derived names) the reference quantity.

    ``empty_columns``: columns of the area the lesson leaves empty by design (the Live sheet's
    estimate-only columns); ``label_columns``: column offsets holding constants that must equal
    the quantity (the live log's epoch numbers); ``gaps``: where the quantity is NaN the cell
    shows ``#N/A`` (``NA()``), a gap a chart leaves out (a sample of the other class, a path
    point before the first run), and a number there is a mismatch."""

    name: str
    kind: Kind
    what: str
    quantity: Quantity | None = None
    empty_columns: tuple[int, ...] = ()
    label_columns: tuple[int, ...] = ()
    gaps: bool = False


def draws_decision_line(lesson: Lesson) -> bool:
    """A classifier of two inputs gets the decision-line chart (one input: the probability curve)."""
    return bool(lesson.spec.classes) and lesson.n_features == 2


def live_empty_columns(lesson: Lesson) -> tuple[str, ...]:
    """The ``live_descent`` columns the Live sheet leaves empty: error_sq and each err_p1 are read
    only by the estimates, so unless they drive the update (finite differences) they would only
    cost recalculation, unrolled N times."""
    if lesson.gradient == "finite-difference":
        return ()
    return ("error_sq", *(f"err_{p}1" for p in lesson.params))


def sweep_columns(lesson: Lesson) -> tuple[str, ...]:
    """A sweep variant's table columns: the descent table's, its optimizer's state, and the
    estimates when they drive the update (finite differences); as on the Live sheet, the columns
    only the estimates read are left out otherwise (:func:`live_empty_columns`)."""
    estimates = lesson.estimates if lesson.gradient == "finite-difference" else ()
    skipped = live_empty_columns(lesson)
    return tuple(name for name in lesson.columns if name not in skipped) + lesson.state + estimates


def with_estimates(lesson: Lesson) -> bool:
    """The published (swapped) rule's table has no estimate columns; every other has them."""
    return lesson.gradient != "swapped"


def contract(lesson: Lesson) -> dict[str, Entry]:
    """Every defined name of ``lesson``'s workbook, in the order the blocks are written."""
    entries: list[Entry] = []

    def add(name: str, kind: Kind, what: str, quantity: Quantity | None = None, **extra: Any) -> None:
        entries.append(Entry(name, kind, what, quantity, **extra))

    params, state, features = lesson.params, lesson.state, lesson.features
    rows_p, cols_p = lesson.landscape
    for name in features:
        add(f"data_{name}", "input", f"the data block's {name} values")
    if lesson.data_y is None:
        add("data_y", "derived", "the data block's y, on the model at the actual parameters", Quantity("data_y"))
    else:
        add("data_y", "input", "the data block's y values (the samples being fit)")
    if lesson.actual_known:
        for p in params:
            add(f"{p}_actual", "input", f"the actual {p} the data lie on")
    for p in params:
        add(f"{p}_guess", "input", f"the intro guess of {p}")
    for name in features:
        add(f"guess_{name}", "derived", f"the data block's {name}, copied", Quantity("data_inputs", key=name))
    add("guess_pred", "derived", "the guess's predictions", Quantity("guess_pred"))
    add("error_y", "derived", "the data's y, copied", Quantity("data_y"))
    add("error_pred", "derived", "the guess's predictions, copied", Quantity("guess_pred"))
    add("guess_err_sq", "derived", "the guess's squared errors", Quantity("guess_err_sq"))
    add("guess_rmse", "derived", "the guess's loss", Quantity("guess_rmse"))
    add("grid", "derived", f"the loss landscape: rows {rows_p}, columns {cols_p}", Quantity("grid"))
    add(f"grid_{rows_p}", "input", f"the grid's {rows_p} values (its rows)")
    add(f"grid_{cols_p}", "input", f"the grid's {cols_p} values (its columns)")
    add("epochs", "control", "the epochs per run")
    add("learn", "input", "the learning rate")
    add("fd_step", "input", "h, the finite-difference step")
    if lesson.batch_size > 1:
        add("batch_size", "control", "samples per update (the table's rows are laid out by batch)")
    add(MODEL_NAME, "control", "the model's name (text)")
    add(PARAMETERS_NAME, "control", "the model's parameters, one text cell each")
    if lesson.activation:
        add(ACTIVATION_NAME, "control", "the hidden layer's activation (text)")
    for p in params:
        add(start_name(p), "input", f"{p} at the top of the descent table (what a run carries forward)")
        add(reset_name(p), "control", f"what `reset` restores {p}_start to")
    add("rmse", "derived", "the loss at the start values over the descent samples", Quantity("rmse"))
    if lesson.spec.classes:
        add("accuracy", "derived", "a classifier's accuracy at the start values", Quantity("accuracy"))
    if lesson.actual_known:
        add("actual_shown", "derived", "the actual parameters, shown beside the start values", Quantity("actual"))
    add("gradient", "control", "the gradient rule (text)")
    add("loss", "control", "the loss (text)")
    add("optimizer", "control", "the optimizer's name (text)")
    for hyper in OPTIMIZER_SPECS[lesson.optimizer].hypers:
        add(hyper, "input", f"the optimizer's {hyper}")
    for name in state:
        add(start_name(name), "input", f"the optimizer state {name} at the top of the table")
        add(reset_name(name), "control", f"what `reset` restores {name}_start to (0)")
    if scheduled(lesson.schedule):
        add("schedule", "control", "the learning-rate schedule (text)")
        add(start_name(EPOCH), "input", "the epoch number the descent table plays (what a run advances)")
        add(reset_name(EPOCH), "control", f"what `reset` restores {start_name(EPOCH)} to (1)")
        add(next_name(EPOCH), "derived", "the epoch after the table's", Quantity("next_values", key=EPOCH))
        for name in SCHEDULE_INPUTS[lesson.schedule]:
            add(name, "input", f"the {lesson.schedule} schedule's {name}")
        add(RATE, "derived", "the scheduled learning rate of the table's epoch", Quantity("rate"))
    columns, estimates = lesson.columns, lesson.estimates if with_estimates(lesson) else ()
    add("descent", "derived", f"the descent table: {', '.join(columns)}", Quantity("descent", columns))
    for name in (*features, "y"):
        add(f"descent_{name}", "input", f"the descent samples' {name}")
    for p in params:
        add(next_name(p), "derived", f"the last row's new_{p}", Quantity("next_values", key=p))
    if state:
        add("descent_state", "derived", f"the optimizer state: {', '.join(state)}", Quantity("descent", state))
        for name in state:
            add(next_name(name), "derived", f"the last row's {name}", Quantity("next_values", key=name))
    if estimates:
        add("descent_estimates", "derived", "the finite-difference estimates", Quantity("descent", estimates))
    scores = ", accuracy" if lesson.spec.classes else ""
    add(LOG_NAME, "log", f"the epoch log: epoch, {', '.join(params)}, loss{scores}")
    if lesson.live_epochs:
        empty = tuple(columns.index(name) for name in live_empty_columns(lesson))
        add("live_descent", "derived", "the unrolled epochs, by the descent table's columns",
            Quantity("live", columns), empty_columns=empty)  # fmt: skip
        if state:
            add("live_state", "derived", "the unrolled optimizer state", Quantity("live", state))
        if lesson.gradient == "finite-difference":
            add("live_estimates", "derived", "the unrolled estimates", Quantity("live", estimates))
        what = f"epoch, {', '.join(params)}, loss{scores} after each live epoch"
        add("live_log", "derived", what, Quantity("live_log"),
            label_columns=(0,))  # fmt: skip
        if scheduled(lesson.schedule):
            add(LIVE_RATE, "derived", "the scheduled learning rate of each live epoch", Quantity("live_rate"))
    if lesson.has_wireframe:
        add("view_angle", "input", "the wireframe's view angle (degrees)")
        add("view_height", "input", "the wireframe's height (the largest loss's rise)")
        add("wire_x", "derived", "each grid point's page x", Quantity("wire_x"))
        add("wire_y", "derived", "each grid point's page y", Quantity("wire_y"))
        add("wire_path", "derived", "the descent path: the grid's parameters, its loss, page x and y",
            Quantity("wire_path"))  # fmt: skip
        add("wire_log_path", "derived", f"the epoch log's path: {WIRE_LOG_POINTS} points spread over the log's "
            "rows (the row, the grid's two parameters there, the loss, page x and y); before the first run page x "
            "0 and #N/A in the others",
            Quantity("wire_log_path"), gaps=True)  # fmt: skip
    if lesson.sweep:
        for hyper in extra_hypers(lesson):
            add(hyper, "input", f"the compared optimizers' {hyper}")
        add(OPTIMIZERS_NAME, "control", "each sweep variant's optimizer (text)")
        if any(rate is not None for _, rate in lesson.sweep):
            add(RATES_NAME, "input", "each sweep variant's learning rate")
        add(SWEEP_LOG, "derived", "epoch, then each variant's loss after each live epoch", Quantity("sweep_log"),
            label_columns=(0,))  # fmt: skip
        for k, variant in enumerate(lesson.sweep, start=1):
            columns = sweep_columns(variant_lesson(lesson, variant))
            add(table_name(k), "derived", f"variant {k}'s unrolled epochs", Quantity("sweep", columns, key=str(k)))
    if len(features) == 1:
        add("fit_line", "derived", "points of the model's curve at its start values", Quantity("fit_line"))
    if draws_decision_line(lesson):
        add(
            "decision_classes",
            "derived",
            "the data's x2 in the column of its class (y < 0.5, y >= 0.5), "
            "#N/A in the other: the decision chart's two series",
            Quantity("decision_classes"),
            gaps=True,
        )
        add("decision_line", "derived", "the decision line w1·x1 + w2·x2 + b = 0 at the start values: "
            "two points (x1, x2), #N/A where w1 = w2 = 0", Quantity("decision_line"), gaps=True)  # fmt: skip
    return {entry.name: entry for entry in entries}
