"""The numpy reference: the lesson computed independently of any spreadsheet.

This is the oracle the tests hold workbooks to, so it deliberately shares no code with the
workbook writer: it reads a :class:`~gdsheet.lesson.spec.Lesson` (or plain numbers) and computes
with numpy, never with formulas or cell layouts. The model's mathematics comes from its module in
:mod:`gdsheet.reference.models`; everything here is written once over the model's parameters.
The published sheet's quirks (the swapped update rule, the root-sum-square "rmse") are options,
not separate code paths.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gdsheet.lesson.contract import WIRE_LOG_POINTS
from gdsheet.lesson.models import MODELS as MODEL_SPECS
from gdsheet.lesson.optimizers import HYPER_PARAMETERS
from gdsheet.lesson.spec import Lesson, descent_columns, estimate_columns
from gdsheet.lesson.sweep import variant_lesson
from gdsheet.reference.models import MODELS, ReferenceModel
from gdsheet.reference.optimizers import STEPS, Hypers
from gdsheet.reference.schedules import rate
from gdsheet.reference.wireframe import project

Array = NDArray[np.float64]


def predictions(m: float, b: float, x: ArrayLike) -> Array:
    """The line's y_pred = m·x + b."""
    return m * np.asarray(x, dtype=float) + b


def reduce_loss(losses: ArrayLike, loss: str, axis: int = -1) -> Array:
    """The per-sample losses reduced: √mean (``rmse``), √sum (``root-sum-square``, the published
    sheet's "rmse") or the mean (``log-loss``)."""
    losses = np.asarray(losses, dtype=float)
    if loss == "log-loss":
        return losses.mean(axis=axis)
    total = losses.mean(axis=axis) if loss == "rmse" else losses.sum(axis=axis)
    return np.sqrt(total)


def _columns(x_columns: Sequence[ArrayLike]) -> list[Array]:
    return [np.asarray(column, dtype=float) for column in x_columns]


def model_loss(model: str, params: Mapping[str, float], x_columns: Sequence[ArrayLike], y: ArrayLike, loss: str
               ) -> float:  # fmt: skip
    """The loss of one set of parameters over the samples (inf once a diverging run has overflowed)."""
    with np.errstate(over="ignore", invalid="ignore"):
        errors = MODELS[model].error(params, _columns(x_columns), np.asarray(y, dtype=float), None, 0.0)
        return float(reduce_loss(errors, loss))


def model_accuracy(model: str, params: Mapping[str, float], x_columns: Sequence[ArrayLike], y: ArrayLike
                   ) -> float | None:  # fmt: skip
    """A classifier's share of samples whose predicted class is y (None for a regression model)."""
    correct = MODELS[model].correct
    if correct is None:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean(correct(params, _columns(x_columns), np.asarray(y, dtype=float))))


def loss_value(m: float, b: float, x: ArrayLike, y: ArrayLike, loss: str) -> float:
    """The line's loss at (m, b) over the samples."""
    return model_loss("line", {"m": m, "b": b}, [x], y, loss)


def model_landscape(
    model: str,
    axes: tuple[str, str],
    rows: ArrayLike,
    cols: ArrayLike,
    fixed: Mapping[str, float],
    x_columns: Sequence[ArrayLike],
    y: ArrayLike,
    loss: str,
) -> Array:
    """The loss grid over two parameters (rows, columns), the others at ``fixed``, by broadcasting.

    Shape (len(rows), len(cols)); the sample axis is the last one and is reduced away.
    """
    params: dict[str, Any] = dict(fixed)
    params[axes[0]] = np.asarray(rows, dtype=float)[:, None, None]
    params[axes[1]] = np.asarray(cols, dtype=float)[None, :, None]
    xs = [column[None, None, :] for column in _columns(x_columns)]
    ys = np.asarray(y, dtype=float)[None, None, :]
    return reduce_loss(MODELS[model].error(params, xs, ys, None, 0.0), loss, axis=-1)


def landscape(m_values: ArrayLike, b_values: ArrayLike, x: ArrayLike, y: ArrayLike, loss: str) -> Array:
    """The line's loss grid: rows are m values, columns are b values."""
    return model_landscape("line", ("m", "b"), m_values, b_values, {}, [x], y, loss)


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


def table_columns(lesson: Lesson) -> tuple[str, ...]:
    """The reference table's columns: the ``descent`` name's, the optimizer state, the estimates."""
    return lesson.columns + lesson.state + lesson.estimates


def hypers(lesson: Lesson, epoch: int | None = None) -> Hypers:
    """The step's settings, read from the lesson: the learning rate is the schedule's at ``epoch``
    (default: the epoch the lesson's table plays, ``epoch_start``)."""
    lr = rate(lesson, lesson.epoch_start if epoch is None else epoch)
    return Hypers(lr, lesson.momentum, lesson.alpha, lesson.beta1, lesson.beta2, lesson.eps)


def descent_epoch(
    model: str,
    x_columns: Sequence[ArrayLike],
    y: ArrayLike,
    start: Mapping[str, float],
    settings: Hypers,
    gradient: str,
    h: float,
    optimizer: str = "sgd",
    state: Mapping[str, float] | None = None,
    batch_size: int = 1,
    hidden: int = 0,
) -> tuple[DescentTable, dict[str, float]]:
    """One epoch of ``model`` (its registry key: ``mlp/tanh`` for a network's variant); returns its
    table (one row per sample) and the state after it.

    ``x_columns`` holds one sequence per feature, ``start`` the parameters by name, ``hidden`` a
    network's hidden units. The samples go
    in consecutive batches of ``batch_size`` (the last may be smaller): every row of a batch
    computes its slopes at the batch's starting parameters, and the parameters and the optimizer
    state change once per batch, at its last row, by the mean of its rows' slopes (a row inside a
    batch hands its parameters and state on unchanged). The update is sequential, so the rows are
    a Python loop; each row's arithmetic is plain float maths, as a spreadsheet does it.
    """
    epoch = _Epoch.of(model, x_columns, y, gradient, h, optimizer, batch_size, hidden)
    columns = epoch.columns
    rows = np.empty((len(epoch.ys), len(columns)))
    shown: list[dict[str, float]] = []

    def at(i: int, current: dict[str, float]) -> dict[str, float]:
        values, grads = epoch.row(list(epoch.xs[i]), epoch.ys[i], current)  # numpy floats: overflow is inf
        shown.append(values)
        return grads

    with np.errstate(over="ignore", invalid="ignore"):  # a diverging lesson is allowed to overflow
        for i, current, carried in epoch.descend(at, start, state, settings):
            values = shown.pop() | {f"new_{q}": current[q] for q in epoch.names} | carried
            rows[i] = [values[name] for name in columns]
    return DescentTable(columns, rows), carried


@dataclass(frozen=True)
class _Epoch:
    """What one epoch of a model needs, set up once: the samples, the row rule, the optimizer."""

    names: tuple[str, ...]
    columns: tuple[str, ...]
    xs: Array
    ys: Array
    row: _Row
    step: Any
    batch_size: int

    @classmethod
    def of(cls, model: str, x_columns: Sequence[ArrayLike], y: ArrayLike, gradient: str, h: float, optimizer: str,
           batch_size: int, hidden: int) -> _Epoch:  # fmt: skip
        spec = MODEL_SPECS[model.split("/")[0]]
        k = len(x_columns)
        features, names = spec.features(k), (spec.params(k, hidden) if spec.activations else spec.params(k))
        step = STEPS[optimizer]
        between = spec.forward(k, hidden), spec.backward(k, hidden)
        columns = descent_columns(features, names, *between) + step.state(names) + estimate_columns(names)
        xs = np.column_stack(_columns(x_columns)) if k else np.empty((0, 0))
        row = _Row(MODELS[model], features, names, gradient, h)
        return cls(names, columns, xs, np.asarray(y, dtype=float), row, step, batch_size)

    def descend(self, at: Any, start: Mapping[str, float], state: Mapping[str, float] | None, settings: Hypers
                ) -> Iterator[tuple[int, dict[str, float], dict[str, float]]]:  # fmt: skip
        """(row, parameters, state) after each sample; ``at(i, parameters)`` is row i's gradient."""
        names, size, update = self.names, self.batch_size, self.step.update
        current = {p: float(start[p]) for p in names}
        carried = {name: float((state or {}).get(name, 0.0)) for name in self.step.state(names)}
        batch: list[dict[str, float]] = []
        last = len(self.ys) - 1
        for i in range(last + 1):
            batch.append(at(i, current))
            if len(batch) == size or i == last:
                # in row order, as AVERAGE; one row's mean is its gradient
                mean = batch[0] if len(batch) == 1 else {q: sum(g[q] for g in batch) / len(batch) for q in names}
                current, carried = update(current, mean, carried, settings)
                batch = []
            yield i, current, carried


@dataclass(frozen=True)
class _Row:
    """One sample's row of the descent table, for a model, a gradient rule and an optimizer."""

    model: ReferenceModel
    features: tuple[str, ...]
    params: tuple[str, ...]
    gradient: str
    h: float

    def __call__(self, x: list[float], yk: float, p: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
        """Every column's value by name but the update's, and the gradient that drives the update."""
        y_pred = self.model.predict(p, x, None, 0.0)
        residual = y_pred - yk
        error_sq = self.model.error(p, x, yk, None, 0.0)
        values = dict(zip(self.features, x, strict=True)) | {"y": yk, **p, "y_pred": y_pred, "error_sq": error_sq}
        if self.model.columns is not None:  # a network's forward and backward pass
            values |= self.model.columns(p, x, yk)
        true = self.model.slopes(p, x, residual)
        estimates = {}
        for q in self.params:
            values[f"err_{q}1"] = err = self.model.error(p, x, yk, q, self.h)
            estimates[q] = values[f"est de/d{q}"] = (err - error_sq) / self.h
        shown = self._shown(true)
        values |= {f"de/d{q}": shown[q] for q in self.params}
        return values, (estimates if self.gradient == "finite-difference" else shown)

    def grads(self, x: list[float], yk: float, p: dict[str, float]) -> dict[str, float]:
        """Only the gradient that drives the update (what :meth:`__call__` returns second)."""
        if self.gradient == "finite-difference":
            error_sq = self.model.error(p, x, yk, None, 0.0)
            return {q: (self.model.error(p, x, yk, q, self.h) - error_sq) / self.h for q in self.params}
        return self._shown(self.model.slopes(p, x, self.model.predict(p, x, None, 0.0) - yk))

    def _shown(self, true: dict[str, float]) -> dict[str, float]:
        """The table's de/dp: the true slopes, or the published sheet's swapped pair."""
        return dict(zip(self.params, reversed(true.values()), strict=True)) if self.gradient == "swapped" else true


def sgd_epoch(x: ArrayLike, y: ArrayLike, m: float, b: float, learn: float, gradient: str, h: float) -> DescentTable:
    """One plain per-sample SGD epoch of the line (the published sheet's kind), from numbers alone."""
    settings = Hypers(learn, *(HYPER_PARAMETERS[name] for name in ("momentum", "alpha", "beta1", "beta2", "eps")))
    return descent_epoch("line", [x], y, {"m": m, "b": b}, settings, gradient, h)[0]


def lesson_epoch_ends(lesson: Lesson) -> Callable[..., tuple[dict[str, float], dict[str, float]]]:
    """``end(start, state, epoch)``: :func:`lesson_epoch`'s parameters and optimizer state after the
    epoch, without its table; the same steps, set up once and played in Python floats (replaying a
    long epoch log asks this a million times). An overflow, which Python's floats raise where
    numpy's give inf, plays that epoch again as :func:`lesson_epoch` does. A model computing with
    numpy's scalars (a network's activations) warns of an overflow unless called under
    ``np.errstate`` (`check` calls it so)."""
    epoch = _Epoch.of(lesson.model_key, lesson.x_columns, lesson.samples_y, lesson.gradient, lesson.fd_step,
                      lesson.optimizer, lesson.batch_size, lesson.hidden)  # fmt: skip
    xs, ys, grads, names = epoch.xs.tolist(), epoch.ys.tolist(), epoch.row.grads, epoch.names

    def at(i: int, p: dict[str, float]) -> dict[str, float]:
        return grads(xs[i], ys[i], p)

    def end(start: Mapping[str, float], state: Mapping[str, float] | None, number: int | None = None
            ) -> tuple[dict[str, float], dict[str, float]]:  # fmt: skip
        try:  # the steps' last (row, parameters, state)
            _, current, carried = deque(epoch.descend(at, start, state, hypers(lesson, number)), maxlen=1).pop()
        except (OverflowError, ZeroDivisionError, ValueError):
            table, carried = lesson_epoch(lesson, start, state, number)
            return {q: table.last(f"new_{q}") for q in names}, carried
        return {q: float(current[q]) for q in names}, {k: float(v) for k, v in carried.items()}

    return end


def lesson_epoch(
    lesson: Lesson, start: Mapping[str, float], state: Mapping[str, float] | None, epoch: int | None = None
) -> tuple[DescentTable, dict[str, float]]:
    """One epoch of the lesson's descent table from the parameters ``start`` and the optimizer state,
    at the schedule's rate of ``epoch`` (default: the lesson's ``epoch_start``)."""
    return descent_epoch(
        lesson.model_key, lesson.x_columns, lesson.samples_y, start, hypers(lesson, epoch), lesson.gradient,
        lesson.fd_step, lesson.optimizer, state, lesson.batch_size, lesson.hidden,
    )  # fmt: skip


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch leaves in the log: its number, the new parameters and the loss there.

    The parameters read as attributes too (``record.m``), as the log's columns are named."""

    epoch: int
    params: Mapping[str, float]
    rmse: float
    accuracy: float | None = None
    """A classifier's accuracy there (None for a regression model)."""

    def __getattr__(self, name: str) -> float:
        if name != "params" and name in self.params:
            return self.params[name]
        raise AttributeError(name)


def run_epochs(
    lesson: Lesson, epochs: int, start: Mapping[str, float] | None = None, first_epoch: int = 1
) -> list[EpochRecord]:
    """Play ``epochs`` epochs from the lesson's start (or ``start``), as `gdsheet run` does.

    The optimizer state starts at the lesson's ``state_start`` and is carried from epoch to epoch;
    the i-th epoch played (from 0) has the schedule's rate of epoch ``epoch_start + i``, and the
    records are numbered from ``first_epoch``.
    """
    return unrolled(lesson, epochs, start, first_epoch)[1]


def unrolled(
    lesson: Lesson, epochs: int, start: Mapping[str, float] | None = None, first_epoch: int = 1
) -> tuple[DescentTable, list[EpochRecord]]:
    """``epochs`` epochs one after another: the stacked tables and one record per epoch.

    This is the ``Live`` sheet's table (epoch k+1 starts from epoch k's last row, state included)
    and its live log.
    """
    params = dict(lesson.values_of("start") if start is None else start)
    state: Mapping[str, float] = lesson.state_start
    tables, records = [], []
    for i, epoch in enumerate(range(first_epoch, first_epoch + epochs)):
        table, state = lesson_epoch(lesson, params, state, lesson.epoch_start + i)
        params = {p: table.last(f"new_{p}") for p in lesson.params}
        tables.append(table.rows)
        x, y = lesson.x_columns, lesson.samples_y
        records.append(EpochRecord(epoch, params, model_loss(lesson.model_key, params, x, y, lesson.loss),
                                   model_accuracy(lesson.model_key, params, x, y)))  # fmt: skip
    columns = table_columns(lesson)
    stacked = np.vstack(tables) if tables else np.empty((0, len(columns)))
    return DescentTable(columns, stacked), records


@dataclass(frozen=True)
class LessonValues:
    """Every derived value of a lesson, keyed the way the workbook's defined names are."""

    data_x: Array
    data_y: Array
    actual: Array
    """The actual parameters, in the model's order."""
    guess_pred: Array
    guess_err_sq: Array
    guess_rmse: float
    grid: Array
    descent: DescentTable
    rmse: float
    accuracy: float | None
    """A classifier's accuracy at the start values (the ``accuracy`` cell; None for a regression)."""
    next_values: dict[str, float]
    """The last row's new parameters and optimizer state, by name (``next_m``'s value is ``next_values["m"]``)."""
    live: DescentTable
    live_log: Array
    """One row per live epoch: epoch, each parameter, loss (empty when the lesson has no live epochs)."""
    rate: float
    """The schedule's learning rate of the table's epoch (``epoch_start``)."""
    live_rate: Array
    """The schedule's rate of each live epoch (epoch ``epoch_start + k − 1`` for the k-th)."""
    wire_x: Array
    wire_y: Array
    """The loss grid projected to the page (the Surface sheet's wireframe), shaped like the grid."""
    wire_path: Array
    """The descent path on the surface: per point (the start, then each live epoch) the grid's two
    parameters, the grid's loss there, and its page x and y."""
    wire_log_path: Array
    """The epoch log's path on the surface: 21 points, the k-th (k = 0 … 20) at the log's row
    1 + ⌊k·(n − 1)/20⌋ of its n rows in use (the numbers in its epoch column), each with that row's
    two grid parameters, the grid's loss there, page x and y; while the log is empty, page x 0
    and NaN in every other column."""
    sweep: dict[str, DescentTable]
    """Each sweep variant's unrolled live epochs, keyed by its number from 1 (``"1"``)."""
    sweep_log: Array
    """One row per live epoch: epoch, then each variant's loss (empty without a sweep)."""
    data_inputs: dict[str, Array]
    """The data block's inputs by feature (what the guess block copies)."""
    fit_line: Array
    """The fit curve's points (x, prediction at the start), evenly spaced from the smallest to the
    largest sample x (one-feature models; the line's two)."""
    decision_classes: Array
    """Per data-block sample, its x2 under its class (y < 0.5, y ≥ 0.5) and NaN under the other
    (a classifier of two inputs; empty otherwise)."""
    decision_line: Array
    """Two points (x1, x2) of the decision line w1·x1 + w2·x2 + b = 0 at the start values."""


def data_block(lesson: Lesson) -> tuple[list[Array], Array]:
    """The data block's inputs (one array per feature) and its y, on the model at the actual values."""
    data_x = _columns(lesson.data_columns)
    if lesson.data_y is not None:
        return data_x, np.asarray(lesson.data_y, dtype=float)
    return data_x, MODELS[lesson.model_key].predict(lesson.values_of("actual"), data_x, None, 0.0)


def lesson_grid(lesson: Lesson) -> Array:
    """The loss grid over the lesson's landscape parameters (the others at their start values)."""
    data_x, data_y = data_block(lesson)
    return model_landscape(lesson.model_key, lesson.landscape, lesson.grid_m, lesson.grid_b, lesson.values_of("start"),
                           data_x, data_y, lesson.loss)  # fmt: skip


def least_squares(lesson: Lesson) -> dict[str, float]:
    """The least-squares values of the landscape's two parameters over the descent samples, every
    other parameter at its start value: the bottom of the valley the grid shows.

    The regression models here are linear in their landscape parameters, so the prediction's
    change per unit of each parameter is read off the model itself and the two-column problem
    solved by numpy. (A classifier's valley is not a least-squares one: see :func:`descent_end`.)"""
    model, (p, q) = MODELS[lesson.model_key], lesson.landscape
    x, y = _columns(lesson.x_columns), np.asarray(lesson.samples_y, dtype=float)
    at = dict(lesson.values_of("start")) | {p: 0.0, q: 0.0}
    base = model.predict(at, x, None, 0.0)
    design = np.column_stack([model.predict(at | {name: 1.0}, x, None, 0.0) - base for name in (p, q)])
    solution = np.linalg.lstsq(design, y - base, rcond=None)[0]
    return {p: float(solution[0]), q: float(solution[1])}


def descent_end(lesson: Lesson, epochs: int) -> dict[str, float] | None:
    """The landscape's two parameters after ``epochs`` epochs of the lesson's own descent from its
    start values, or None when they are not finite (the descent diverges).

    Where a classifier's grid is laid: its loss has no least-squares valley, and on samples that
    a line separates it has no finite minimum at all (the weights grow for ever), so the grid
    spans what the lesson's descent travels instead of where it would end."""
    end = lesson_epoch_ends(lesson)
    params, state = dict(lesson.values_of("start")), dict(lesson.state_start)
    with np.errstate(all="ignore"):
        for k in range(epochs):
            params, state = end(params, state, lesson.epoch_start + k)
    pair = {p: params[p] for p in lesson.landscape}
    return pair if all(math.isfinite(v) for v in pair.values()) else None


def lesson_values(lesson: Lesson) -> LessonValues:
    """Compute the whole lesson: the values every formula in its workbook should show."""
    model = MODELS[lesson.model_key]
    data_x, data_y = data_block(lesson)
    guess_pred = model.predict(lesson.values_of("guess"), data_x, None, 0.0)
    guess_err_sq = model.error(lesson.values_of("guess"), data_x, data_y, None, 0.0)
    starts = lesson.values_of("start")
    x, y = lesson.x_columns, lesson.samples_y
    table, state = lesson_epoch(lesson, starts, lesson.state_start)
    live, records = unrolled(lesson, lesson.live_epochs)
    low, high, n = min(x[0]), max(x[0]), lesson.spec.curve_points
    # two points are the samples' smallest and largest x themselves: low + (high − low) would round
    # away a tiny high beside a large low (x of 1e-9 beside -690)
    points = [low + (high - low) * i / (n - 1) for i in range(n)] if n > 2 else [low, high]
    ends = [np.array(points, dtype=float)]
    scores = [() if r.accuracy is None else (r.accuracy,) for r in records]
    width = 2 + len(lesson.params) + (1 if lesson.spec.classes else 0)
    return LessonValues(
        data_x=data_x[0],
        data_y=data_y,
        actual=np.array(list(lesson.values_of("actual").values()), dtype=float),
        guess_pred=guess_pred,
        guess_err_sq=guess_err_sq,
        guess_rmse=float(reduce_loss(guess_err_sq, lesson.loss)),
        grid=lesson_grid(lesson),
        descent=table,
        rmse=model_loss(lesson.model_key, starts, x, y, lesson.loss),
        accuracy=model_accuracy(lesson.model_key, starts, x, y),
        next_values={p: table.last(f"new_{p}") for p in lesson.params} | state | {"epoch": lesson.epoch_start + 1.0},
        live=live,
        live_log=np.array(
            [[r.epoch, *r.params.values(), r.rmse, *score] for r, score in zip(records, scores, strict=True)],
            dtype=float,
        ).reshape(len(records), width),
        **_sweep(lesson),
        **_wireframe(lesson, records),
        rate=rate(lesson, lesson.epoch_start),
        live_rate=np.array([rate(lesson, lesson.epoch_start + k) for k in range(lesson.live_epochs)], dtype=float),
        data_inputs=dict(zip(lesson.features, data_x, strict=True)),
        fit_line=np.column_stack([ends[0], model.predict(starts, ends, None, 0.0)])
        if len(x) == 1
        else np.empty((0, 2)),  # one-input models only (the contract names no fit_line otherwise)
        **_decision(lesson, data_x, data_y, starts),
    )


def _decision(lesson: Lesson, data_x: list[Array], data_y: Array, starts: dict[str, float]) -> dict[str, Array]:
    """The decision chart's quantities: the samples split by class, and the line where z = 0.

    Solved for x2 over the data's x1 range, x2 = −(w1·x1 + b)/w2; where w2 = 0 the line is
    vertical, x1 = −b/w1, drawn over the data's x2 range; with w1 = w2 = 0 there is none (NaN)."""
    if not (lesson.spec.classes and len(data_x) == 2):
        return {"decision_classes": np.empty((0, 2)), "decision_line": np.empty((0, 2))}
    x1, x2 = data_x
    classes = np.column_stack([np.where(data_y < 0.5, x2, np.nan), np.where(data_y >= 0.5, x2, np.nan)])
    w1, w2, b = starts["w1"], starts["w2"], starts["b"]
    with np.errstate(all="ignore"):
        if w1 == 0 and w2 == 0:  # p = 0.5 everywhere: no line (the cells show #N/A)
            line = np.full((2, 2), np.nan)
        elif w2 == 0:
            across = np.full(2, -b / np.float64(w1))
            line = np.column_stack([across, [x2.min(), x2.max()]])
        else:
            ends = np.array([x1.min(), x1.max()])
            line = np.column_stack([ends, -(w1 * ends + b) / w2])
    return {"decision_classes": classes, "decision_line": line}


def _sweep(lesson: Lesson) -> dict[str, Any]:
    """Each variant's unrolled table and the sweep's log (epoch, each variant's loss)."""
    tables, losses = {}, []
    for k, variant in enumerate(lesson.sweep, start=1):
        table, records = unrolled(variant_lesson(lesson, variant), lesson.live_epochs)
        tables[str(k)] = table
        losses.append([record.rmse for record in records])
    epochs = np.arange(1, lesson.live_epochs + 1, dtype=float) if lesson.sweep else np.empty(0)
    log = np.column_stack([epochs, *(np.asarray(column, dtype=float) for column in losses)])
    return {"sweep": tables, "sweep_log": log}


def _wireframe(lesson: Lesson, records: list[EpochRecord]) -> dict[str, Array]:
    """The grid and the live descent path projected as the Surface sheet's wireframe."""
    if not lesson.has_wireframe:
        return {"wire_x": np.empty((0, 0)), "wire_y": np.empty((0, 0)), "wire_path": np.empty((0, 5)),
                "wire_log_path": np.empty((0, 6))}  # fmt: skip
    grid = lesson_grid(lesson)
    rows_p, cols_p = lesson.landscape
    p_axis, q_axis = np.asarray(lesson.grid_m, dtype=float), np.asarray(lesson.grid_b, dtype=float)
    view = (p_axis, q_axis, float(grid.max()), lesson.view_angle, lesson.view_height)
    with np.errstate(all="ignore"):
        wire_x, wire_y = project(p_axis[:, None], q_axis[None, :], grid, *view)
        starts = lesson.values_of("start")
        points = [starts, *(record.params for record in records)]
        p, q = (np.array([point[name] for point in points], dtype=float) for name in (rows_p, cols_p))
        data_x, data_y = data_block(lesson)

        def on_surface(p: Array, q: Array) -> Array:
            """Each point (p, q) with the grid's loss there, page x and y."""
            loss = np.array([model_landscape(lesson.model, lesson.landscape, [a], [c], starts, data_x, data_y,
                                             lesson.loss)[0, 0] for a, c in zip(p, q, strict=True)])  # fmt: skip
            return np.column_stack([p, q, loss, *project(p, q, loss, *view)])

        log = lesson.epoch_log
        used = sum(1 for epoch in log.get("epoch", ()) if epoch is not None)
        if used:
            rows = np.array([1 + math.floor(k * (used - 1) / (WIRE_LOG_POINTS - 1)) for k in range(WIRE_LOG_POINTS)])
            # an empty cell of the log reads as 0, as a spreadsheet's INDEX of an empty cell does
            lp, lq = (np.array([log[name][r - 1] or 0.0 for r in rows], dtype=float) for name in (rows_p, cols_p))
            log_path = np.column_stack([rows, on_surface(lp, lq)])
        else:  # page x 0 (the grid's corner), the rest gaps: a chart keeps the mesh's scale
            log_path = np.full((WIRE_LOG_POINTS, 6), np.nan)
            log_path[:, 4] = 0.0
        return {"wire_x": wire_x, "wire_y": wire_y, "wire_path": on_surface(p, q), "wire_log_path": log_path}


def sweep_log(lesson: Lesson) -> Array:
    """The sweep's log: one row per live epoch, the epoch then each variant's loss after it."""
    return _sweep(lesson)["sweep_log"]


def sweep_diverged(lesson: Lesson) -> tuple[list[int], list[int]]:
    """The variants (numbered from 1) that diverged: their loss after the last live epoch is not
    finite, or above both the loss they started from and their loss after the first epoch (the
    descent runs away); and those that overshot: above the start after the last epoch, but falling."""
    with np.errstate(all="ignore"):
        start = model_loss(lesson.model_key, lesson.values_of("start"), lesson.x_columns, lesson.samples_y, lesson.loss)
        log = sweep_log(lesson)
    diverged, overshot = [], []
    for k in range(1, log.shape[1]):
        last, first = log[-1, k], log[0, k]
        if not np.isfinite(last) or (last > start and last > first):
            diverged.append(k)
        elif last > start:
            overshot.append(k)
    return diverged, overshot


def diverges_at(lesson: Lesson, epochs: int) -> int | None:
    """The first of ``epochs`` epochs (from the lesson's start) whose loss overflows, or None."""
    with np.errstate(all="ignore"):
        for record in run_epochs(lesson, epochs):
            if not np.isfinite(record.rmse):
                return record.epoch
    return None
