"""The numpy reference: the lesson computed independently of any spreadsheet.

This is the oracle the tests hold workbooks to, so it deliberately shares no code with the
workbook writer: it reads a :class:`~gdsheet.lesson.spec.Lesson` (or plain numbers) and computes
with numpy, never with formulas or cell layouts. The published sheet's quirks (the swapped
update rule, the root-sum-square "rmse") are options, not separate code paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gdsheet.lesson.spec import DESCENT_COLUMNS, ESTIMATE_COLUMNS, HYPER_PARAMETERS, Lesson
from gdsheet.reference.optimizers import STEPS, Hypers, Step

Array = NDArray[np.float64]


def predictions(m: float, b: float, x: ArrayLike) -> Array:
    """y_pred = m·x + b."""
    return m * np.asarray(x, dtype=float) + b


def squared_errors(m: float, b: float, x: ArrayLike, y: ArrayLike) -> Array:
    """(y_pred − y)² for each sample."""
    return (predictions(m, b, x) - np.asarray(y, dtype=float)) ** 2


def reduce_loss(squared: ArrayLike, loss: str, axis: int = -1) -> Array:
    """√mean (``rmse``) or √sum (``root-sum-square``, the published sheet's "rmse")."""
    squared = np.asarray(squared, dtype=float)
    total = squared.mean(axis=axis) if loss == "rmse" else squared.sum(axis=axis)
    return np.sqrt(total)


def loss_value(m: float, b: float, x: ArrayLike, y: ArrayLike, loss: str) -> float:
    """The loss of one (m, b) over the samples (inf once a diverging run has overflowed)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(reduce_loss(squared_errors(m, b, x, y), loss))


def landscape(m_values: ArrayLike, b_values: ArrayLike, x: ArrayLike, y: ArrayLike, loss: str) -> Array:
    """The loss grid: rows are m values, columns are b values, computed by broadcasting.

    Shape (len(m), len(b)); the sample axis is the last one and is reduced away.
    """
    m = np.asarray(m_values, dtype=float)[:, None, None]
    b = np.asarray(b_values, dtype=float)[None, :, None]
    xs = np.asarray(x, dtype=float)[None, None, :]
    ys = np.asarray(y, dtype=float)[None, None, :]
    return reduce_loss((m * xs + b - ys) ** 2, loss, axis=-1)


def finite_difference(m: float, b: float, x: float, y: float, h: float) -> tuple[float, float]:
    """Forward-difference slopes of the squared error: ((err(m+h) − err)/h, (err(b+h) − err)/h)."""
    err = (m * x + b - y) ** 2
    return (((m + h) * x + b - y) ** 2 - err) / h, ((m * x + b + h - y) ** 2 - err) / h


@dataclass(frozen=True)
class DescentTable:
    """A descent table computed by the reference: rows of numbers under named columns.

    Columns are always addressed by name (``table.column("new_m")``), so adding state columns
    never shifts what a caller reads.
    """

    columns: tuple[str, ...]
    rows: Array

    def column(self, name: str) -> Array:
        return self.rows[:, self.columns.index(name)]

    def block(self, names: tuple[str, ...]) -> Array:
        """The columns ``names``, in that order: shape (rows, len(names))."""
        return self.rows[:, [self.columns.index(name) for name in names]].reshape(len(self.rows), len(names))

    def last(self, name: str) -> float:
        return float(self.rows[-1, self.columns.index(name)])

    def row(self, k: int) -> dict[str, float]:
        return {name: float(value) for name, value in zip(self.columns, self.rows[k], strict=True)}


def table_columns(optimizer: str) -> tuple[str, ...]:
    """The reference table's columns: the ``descent`` name's, the optimizer state, the estimates."""
    return DESCENT_COLUMNS + STEPS[optimizer].state + ESTIMATE_COLUMNS


def hypers(lesson: Lesson) -> Hypers:
    """The step's settings, read from the lesson."""
    return Hypers(lesson.learn, lesson.momentum, lesson.alpha, lesson.beta1, lesson.beta2, lesson.eps)


def descent_epoch(
    x: ArrayLike,
    y: ArrayLike,
    m: float,
    b: float,
    settings: Hypers,
    gradient: str,
    h: float,
    optimizer: str = "sgd",
    state: Mapping[str, float] | None = None,
) -> tuple[DescentTable, dict[str, float]]:
    """One per-sample epoch; returns its table (one row per sample) and the optimizer state after it.

    The update rule is sequential (row k+1 starts from row k's new values and state), so the
    rows are a Python loop; each row's arithmetic is plain float maths, as a spreadsheet does it.
    """
    step = STEPS[optimizer]
    columns = table_columns(optimizer)
    state = {name: float((state or {}).get(name, 0.0)) for name in step.state}
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rows = np.empty((len(xs), len(columns)))
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging lesson is allowed to overflow
        for k, (xk, yk) in enumerate(zip(xs, ys, strict=True)):
            rows[k], m, b, state = _descent_row(xk, yk, m, b, settings, gradient, h, step, state, columns)
    return DescentTable(columns, rows), state


def _descent_row(
    xk: float, yk: float, m: float, b: float, settings: Hypers, gradient: str, h: float, step: Step,
    state: dict[str, float], columns: tuple[str, ...],
) -> tuple[list[float], float, float, dict[str, float]]:  # fmt: skip
    """One sample's row (in ``columns`` order), the new m and b, and the state after it."""
    y_pred = m * xk + b
    residual = y_pred - yk
    error_sq = residual**2
    err_m1 = ((m + h) * xk + b - yk) ** 2
    err_b1 = (m * xk + b + h - yk) ** 2
    true_dm, true_db = 2 * xk * residual, 2 * residual
    est_dm, est_db = (err_m1 - error_sq) / h, (err_b1 - error_sq) / h
    shown_dm, shown_db = (true_db, true_dm) if gradient == "swapped" else (true_dm, true_db)
    grads = (est_dm, est_db) if gradient == "finite-difference" else (shown_dm, shown_db)
    (new_m, new_b), state = step.update((m, b), grads, state, settings)
    values = {
        "x": xk, "y": yk, "m": m, "b": b, "y_pred": y_pred, "error_sq": error_sq, "err_m1": err_m1,
        "de/dm": shown_dm, "new_m": new_m, "err_b1": err_b1, "de/db": shown_db, "new_b": new_b,
        "est de/dm": est_dm, "est de/db": est_db, **state,
    }  # fmt: skip
    return [values[name] for name in columns], new_m, new_b, state


def sgd_epoch(x: ArrayLike, y: ArrayLike, m: float, b: float, learn: float, gradient: str, h: float) -> DescentTable:
    """One plain per-sample SGD epoch (the published sheet's kind), from numbers alone."""
    settings = Hypers(learn, *(HYPER_PARAMETERS[name] for name in ("momentum", "alpha", "beta1", "beta2", "eps")))
    return descent_epoch(x, y, m, b, settings, gradient, h)[0]


def lesson_epoch(
    lesson: Lesson, m: float, b: float, state: Mapping[str, float] | None
) -> tuple[DescentTable, dict[str, float]]:
    """One epoch of the lesson's descent table from (m, b) and the optimizer state."""
    return descent_epoch(
        lesson.descent_x, lesson.samples_y, m, b, hypers(lesson), lesson.gradient, lesson.fd_step,
        lesson.optimizer, state,
    )  # fmt: skip


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch leaves in the log: its number, the new m and b, and the loss there."""

    epoch: int
    m: float
    b: float
    rmse: float


def run_epochs(
    lesson: Lesson, epochs: int, m: float | None = None, b: float | None = None, first_epoch: int = 1
) -> list[EpochRecord]:
    """Play ``epochs`` epochs from the lesson's start (or (m, b)), as `gdsheet run` does.

    The optimizer state starts at the lesson's ``state_start`` and is carried from epoch to epoch.
    """
    return unrolled(lesson, epochs, m, b, first_epoch)[1]


def unrolled(
    lesson: Lesson, epochs: int, m: float | None = None, b: float | None = None, first_epoch: int = 1
) -> tuple[DescentTable, list[EpochRecord]]:
    """``epochs`` epochs one after another: the stacked tables and one record per epoch.

    This is the ``Live`` sheet's table (epoch k+1 starts from epoch k's last row, state included)
    and its live log.
    """
    m = lesson.m_start if m is None else m
    b = lesson.b_start if b is None else b
    state: Mapping[str, float] = lesson.state_start
    x, y = lesson.descent_x, lesson.samples_y
    tables, records = [], []
    for epoch in range(first_epoch, first_epoch + epochs):
        table, state = lesson_epoch(lesson, m, b, state)
        m, b = table.last("new_m"), table.last("new_b")
        tables.append(table.rows)
        records.append(EpochRecord(epoch, m, b, loss_value(m, b, x, y, lesson.loss)))
    columns = table_columns(lesson.optimizer)
    stacked = np.vstack(tables) if tables else np.empty((0, len(columns)))
    return DescentTable(columns, stacked), records


@dataclass(frozen=True)
class LessonValues:
    """Every derived value of a lesson, keyed the way the workbook's defined names are."""

    data_y: Array
    guess_pred: Array
    guess_err_sq: Array
    guess_rmse: float
    grid: Array
    descent: DescentTable
    rmse: float
    next_m: float
    next_b: float
    next_state: dict[str, float]
    live: DescentTable
    live_log: Array
    """One row per live epoch: epoch, m, b, loss (empty when the lesson has no live epochs)."""
    fit_line: Array
    """The fitted line's two points (x, m_start·x + b_start) at the smallest and largest sample x."""


def lesson_values(lesson: Lesson) -> LessonValues:
    """Compute the whole lesson: the values every formula in its workbook should show."""
    data_x = np.asarray(lesson.data_x, dtype=float)
    data_y = predictions(lesson.m_actual, lesson.b_actual, data_x)
    guess_pred = predictions(lesson.m_guess, lesson.b_guess, data_x)
    guess_err_sq = (guess_pred - data_y) ** 2
    x, y = lesson.descent_x, lesson.samples_y
    table, state = lesson_epoch(lesson, lesson.m_start, lesson.b_start, lesson.state_start)
    live, records = unrolled(lesson, lesson.live_epochs)
    ends = np.array([min(x), max(x)], dtype=float)
    return LessonValues(
        data_y=data_y,
        guess_pred=guess_pred,
        guess_err_sq=guess_err_sq,
        guess_rmse=float(reduce_loss(guess_err_sq, lesson.loss)),
        grid=landscape(lesson.grid_m, lesson.grid_b, data_x, data_y, lesson.loss),
        descent=table,
        rmse=loss_value(lesson.m_start, lesson.b_start, x, y, lesson.loss),
        next_m=table.last("new_m"),
        next_b=table.last("new_b"),
        next_state=state,
        live=live,
        live_log=np.array([[r.epoch, r.m, r.b, r.rmse] for r in records], dtype=float).reshape(len(records), 4),
        fit_line=np.column_stack([ends, predictions(lesson.m_start, lesson.b_start, ends)]),
    )
