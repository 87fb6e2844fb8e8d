"""The numpy reference: the lesson computed independently of any spreadsheet.

This is the oracle the tests hold workbooks to, so it deliberately shares no code with the
workbook writer: it reads a :class:`~gdsheet.lesson.Lesson` (or plain numbers) and computes
with numpy, never with formulas or cell layouts. The published sheet's quirks (the swapped
update rule, the root-sum-square "rmse") are options, not separate code paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gdsheet.lesson import DESCENT_COLUMNS, ESTIMATE_COLUMNS, Lesson

TABLE_COLUMNS = DESCENT_COLUMNS + ESTIMATE_COLUMNS
"""The columns of :func:`sgd_epoch`'s table: the 12 of the ``descent`` name, then the estimates."""

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
    """The loss of one (m, b) over the samples."""
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


def sgd_epoch(x: ArrayLike, y: ArrayLike, m: float, b: float, learn: float, gradient: str, h: float) -> Array:
    """One per-sample SGD epoch; returns the table, one row per sample, in TABLE_COLUMNS order.

    The update rule is sequential (row k+1 starts from row k's new values), so the rows are
    a Python loop; each row's arithmetic is plain float maths, as a spreadsheet does it.
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rows = np.empty((len(xs), len(TABLE_COLUMNS)))
    for k, (xk, yk) in enumerate(zip(xs, ys, strict=True)):
        y_pred = m * xk + b
        residual = y_pred - yk
        error_sq = residual**2
        err_m1 = ((m + h) * xk + b - yk) ** 2
        err_b1 = (m * xk + b + h - yk) ** 2
        true_dm, true_db = 2 * xk * residual, 2 * residual
        est_dm, est_db = (err_m1 - error_sq) / h, (err_b1 - error_sq) / h
        shown_dm, shown_db = (true_db, true_dm) if gradient == "swapped" else (true_dm, true_db)
        step_dm, step_db = (est_dm, est_db) if gradient == "finite-difference" else (shown_dm, shown_db)
        new_m, new_b = m - learn * step_dm, b - learn * step_db
        rows[k] = (xk, yk, m, b, y_pred, error_sq, err_m1, shown_dm, new_m, err_b1, shown_db, new_b, est_dm, est_db)
        m, b = new_m, new_b
    return rows


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
    """Play ``epochs`` epochs from (m, b) (default: the lesson's start), as `gdsheet run` does."""
    m = lesson.m_start if m is None else m
    b = lesson.b_start if b is None else b
    x, y = lesson.descent_x, lesson.samples_y
    records = []
    for epoch in range(first_epoch, first_epoch + epochs):
        table = sgd_epoch(x, y, m, b, lesson.learn, lesson.gradient, lesson.fd_step)
        m, b = float(table[-1, 8]), float(table[-1, 11])
        records.append(EpochRecord(epoch, m, b, loss_value(m, b, x, y, lesson.loss)))
    return records


@dataclass(frozen=True)
class LessonValues:
    """Every derived value of a lesson, keyed the way the workbook's defined names are."""

    data_y: Array
    guess_pred: Array
    guess_err_sq: Array
    guess_rmse: float
    grid: Array
    descent: Array
    rmse: float
    next_m: float
    next_b: float


def lesson_values(lesson: Lesson) -> LessonValues:
    """Compute the whole lesson: the values every formula in its workbook should show."""
    data_x = np.asarray(lesson.data_x, dtype=float)
    data_y = predictions(lesson.m_actual, lesson.b_actual, data_x)
    guess_pred = predictions(lesson.m_guess, lesson.b_guess, data_x)
    guess_err_sq = (guess_pred - data_y) ** 2
    x, y = lesson.descent_x, lesson.samples_y
    table = sgd_epoch(x, y, lesson.m_start, lesson.b_start, lesson.learn, lesson.gradient, lesson.fd_step)
    return LessonValues(
        data_y=data_y,
        guess_pred=guess_pred,
        guess_err_sq=guess_err_sq,
        guess_rmse=float(reduce_loss(guess_err_sq, lesson.loss)),
        grid=landscape(lesson.grid_m, lesson.grid_b, data_x, data_y, lesson.loss),
        descent=table,
        rmse=loss_value(lesson.m_start, lesson.b_start, x, y, lesson.loss),
        next_m=float(table[-1, 8]),
        next_b=float(table[-1, 11]),
    )
