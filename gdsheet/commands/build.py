"""`gdsheet build`: a preset plus overrides becomes a lesson, and the lesson a workbook."""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

import numpy as np

from gdsheet.errors import GdsheetError
from gdsheet.lesson.models import DEFAULT_MODEL, MODELS
from gdsheet.lesson.optimizers import HYPER_PARAMETERS, OPTIMIZER_SPECS
from gdsheet.lesson.samples_csv import read_sample_table
from gdsheet.lesson.samples_generated import LINEAR_WEIGHTS, generated_inputs, generated_x, linear_y, with_noise
from gdsheet.lesson.spec import DEFAULT_PRESET, Lesson, load_preset
from gdsheet.limits import EXCEL_ROWS
from gdsheet.reference.oracle import DescentTable, diverges_at, least_squares, lesson_values
from gdsheet.writer.live import live_epochs_that_fit
from gdsheet.writer.text import number
from gdsheet.writer.writer import build_workbook

DIVERGENCE_EPOCHS = 100
"""`gdsheet build` warns when the loss overflows within this many epochs (or the live epochs)."""
WORKBOOK_SUFFIXES = (".xlsx",)


def make_lesson(
    preset: str | None = None,
    *,
    data: str | Path | None = None,
    samples: int | None = None,
    noise: float | None = None,
    seed: int | None = None,
    model: str | None = None,
    features: int | None = None,
    landscape: str | tuple[str, str] | None = None,
    grid_m: Sequence[float] | None = None,
    grid_b: Sequence[float] | None = None,
    **overrides: object,
) -> Lesson:
    """The preset's lesson with overrides applied (``None`` means keep the preset's value).

    ``model`` picks the model (its own preset when ``preset`` is not given: ``corrected`` for the
    line, ``linear`` for linear regression). ``data`` is a CSV file (header ``x,y``, or
    ``x1,…,xk,y`` for ``linear``) whose rows replace the descent table's samples; ``samples``
    generates that many instead (``features`` inputs each, for ``linear``; see
    :mod:`gdsheet.lesson.samples_generated`); ``noise`` adds Gaussian noise of that standard
    deviation (``seed``, default 0) to whichever samples the lesson has. ``data`` and ``samples``
    exclude each other. With samples of its own (any of the three) the lesson's data block holds
    those samples and the grid's axes are laid around their least-squares fit, unless ``grid_m``
    and ``grid_b`` (the grid's row and column values) are given. ``landscape`` names the grid's
    two parameters ("w2,b").
    """
    if data is not None and samples is not None:
        raise GdsheetError("--data reads the samples and --samples generates them: give one of the two")
    if seed is not None and not noise:
        raise GdsheetError("--seed chooses the noise: give --noise SIGMA (> 0) with it")
    if model is not None and model not in MODELS:
        raise GdsheetError(f"--model {model!r}: choose one of {', '.join(MODELS)}")
    preset = preset or MODEL_PRESETS.get(model or DEFAULT_MODEL, DEFAULT_PRESET)
    lesson = load_preset(preset)
    if model is not None and model != lesson.model:
        raise GdsheetError(
            f"--model {model}: the {preset} preset is written for the {lesson.model} model; "
            f"its text would not be true of {model} (use --preset {MODEL_PRESETS.get(model, model)})"
        )
    spec = lesson.spec
    if features is not None and (data is not None or samples is None):
        raise GdsheetError("--features K goes with --samples N: a CSV's header says how many inputs it has")
    optimizer = overrides.get("optimizer") or lesson.optimizer
    unused = [name for name in HYPER_PARAMETERS if overrides.get(name) is not None]
    unused = [name for name in unused if name not in OPTIMIZER_SPECS[str(optimizer)].hypers]
    if unused:
        options = ", ".join(f"--{name}" for name in unused)
        raise GdsheetError(f"{options}: the {optimizer} optimizer does not use it (see --optimizer)")
    if data is not None:
        names, columns, ys = read_sample_table(data)
        if names != spec.features(len(names)) or len(names) > spec.max_features:
            want = "x,y" if spec.max_features == 1 else "x1,…,xk,y"
            raise GdsheetError(
                f"{data}:1: the {spec.name} model reads the header {want}, got {','.join((*names, 'y'))}"
            )
        overrides |= {"descent_x": columns[0], "more_x": columns[1:], "descent_y": ys, "actual_known": False}
        overrides["samples_note"] = f"read from {Path(data).name}"
    elif samples is not None:
        overrides |= _generated(lesson, samples, features)
    if data is not None or samples is not None:  # the data block shows the samples being fit
        overrides |= {"data_x": overrides["descent_x"], "data_more_x": overrides.get("more_x", ()),
                      "data_y": overrides.get("descent_y")}  # fmt: skip
    lesson = lesson.with_overrides(**overrides)
    if samples is not None and lesson.model == "line":  # with_overrides ignores None: the x lie on the line
        lesson = dataclasses.replace(lesson, descent_y=None, data_y=None)
    if noise:
        note = lesson.samples_note or "on the line"
        seed = 0 if seed is None else seed
        noisy = with_noise(lesson.samples_y, noise, seed)
        lesson = lesson.with_overrides(
            descent_y=noisy,
            data_x=lesson.descent_x,
            data_more_x=lesson.more_x,
            data_y=noisy,
            samples_note=f"{note}, plus Gaussian noise (standard deviation {noise:g}, seed {seed})",
        )
    if landscape is not None:
        pair = tuple(part.strip() for part in landscape.split(",")) if isinstance(landscape, str) else landscape
        lesson = lesson.with_overrides(landscape_params=pair)
    lesson = _grid(lesson, grid_m, grid_b, own=data is not None or samples is not None or bool(noise))
    lesson = _fit_live_epochs(lesson, explicit=overrides.get("live_epochs") is not None)
    if (where := overflow(lesson)) is not None:
        raise GdsheetError(_overflow_message(load_preset(preset), preset, data, overrides, where))
    return lesson


MODEL_PRESETS = {"line": DEFAULT_PRESET, "linear": "linear"}
"""Each model's own preset (its text is written for it), used when no preset is given."""

GRID_ROWS, GRID_COLUMNS = 9, 11
"""The size of a grid laid around the least-squares fit: odd, so that the fit is its middle cell."""


def _generated(lesson: Lesson, samples: int, features: int | None) -> dict[str, object]:
    """``samples`` generated samples: on the line for the line, on a plane of ``features`` inputs
    (default: the preset's number) for the linear model."""
    if lesson.model == "line":
        if features not in (None, 1):
            raise GdsheetError(f"--features {features}: the line model has one input")
        return {"descent_x": generated_x(lesson.data_x, samples), "samples_note": "evenly spaced along the line"}
    k = lesson.n_features if features is None else features
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= lesson.spec.max_features:
        raise GdsheetError(f"--features must be a whole number from 1 to {lesson.spec.max_features}, got {k!r}")
    columns = generated_inputs(lesson.data_x, samples, k)
    b = lesson.b_actual
    weights = {f"w{j}_actual": LINEAR_WEIGHTS[(j - 1) % len(LINEAR_WEIGHTS)] for j in range(1, k + 1)}
    plane = " + ".join(f"{number(w)}·x{j}" for j, w in enumerate(weights.values(), start=1))
    return {
        "descent_x": columns[0],
        "more_x": columns[1:],
        "descent_y": linear_y(columns, b),
        "param_values": {**_kept(lesson, k), **weights},
        "actual_known": True,
        "samples_note": f"generated on the plane y = {plane} + {number(b)}".replace("+ −", "− "),
    }


def _kept(lesson: Lesson, k: int) -> dict[str, float]:
    """The preset's start and guess values of the weights a k-input lesson has (the rest start at 0)."""
    weights = {f"w{j}" for j in range(1, k + 1)}
    return {key: value for key, value in lesson.param_values.items() if key.rsplit("_", 1)[0] in weights}


def _grid(lesson: Lesson, grid_m: Sequence[float] | None, grid_b: Sequence[float] | None, own: bool) -> Lesson:
    """The grid's axes: as given, else around the least-squares fit for a lesson's own samples,
    else the preset's (the published grids)."""
    if own and (grid_m is None or grid_b is None):
        fit = least_squares(lesson)
        starts = lesson.values_of("start")
        rows_p, cols_p = lesson.landscape
        if grid_m is None:
            grid_m = axis_around(fit[rows_p], starts[rows_p], GRID_ROWS)
        if grid_b is None:
            grid_b = axis_around(fit[cols_p], starts[cols_p], GRID_COLUMNS)
    return lesson.with_overrides(grid_m=grid_m, grid_b=grid_b)


def axis_around(center: float, start: float, count: int) -> tuple[float, ...]:
    """``count`` evenly spaced values with ``center`` in the middle, reaching past ``start`` (so the
    descent's start is in view) and at least half of |center| either side; the step is a round
    number (1, 2 or 5 times a power of ten) and the middle value ``center`` rounded to a tenth of it."""
    half = max(abs(start - center) * 1.1, abs(center) * 0.5, 1e-3)
    raw = half / ((count - 1) / 2)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    mid, unit = (count - 1) // 2, step / 10
    middle = round(center / unit) * unit  # within a twentieth of a step of the fit: its cell stays the lowest
    return tuple(float(f"{middle + step * (i - mid):.12g}") for i in range(count))


def divergence_warning(lesson: Lesson) -> str | None:
    """One line when the reference diverges within the live epochs or the first 100 epochs
    (a lesson worth building, but the user should know before opening it)."""
    epochs = max(lesson.live_epochs, DIVERGENCE_EPOCHS)
    if (epoch := diverges_at(lesson, epochs)) is None:
        return None
    return f"with learn {lesson.learn:g} the loss overflows at epoch {epoch} (the reference, from the start values)"


def _fit_live_epochs(lesson: Lesson, explicit: bool) -> Lesson:
    """The lesson with as many live epochs as its Live sheet can hold.

    An explicit ``--live-epochs`` that does not fit is bad input (one line naming the option);
    a preset's default is lowered to what fits, and one line on stderr says so."""
    fits = live_epochs_that_fit(len(lesson.descent_x))
    if lesson.live_epochs <= fits:
        return lesson
    why = (
        f"{len(lesson.descent_x):,} samples a Live sheet holds at most {fits:,} epoch(s) "
        f"within Excel's {EXCEL_ROWS:,} rows"
    )
    if explicit:
        raise GdsheetError(f"--live-epochs {lesson.live_epochs}: with {why} (give --live-epochs {fits} or fewer)")
    print(
        f"gdsheet: note: {fits:,} live epoch(s) instead of the preset's {lesson.live_epochs}: with {why}",
        file=sys.stderr,
    )
    return dataclasses.replace(lesson, live_epochs=fits)


def overflow(lesson: Lesson) -> str | None:
    """The first reference quantity of ``lesson`` that is not finite, or None when all are.

    A workbook whose own formulas overflow cannot pass `check` or run a single epoch, so it is
    refused before it is written. The Live sheet's later epochs are left out: a learning rate
    that makes training diverge is a lesson worth showing (its cells then read #NUM!, as in any
    spreadsheet). numpy's warnings are silenced: the answer is the message."""
    with np.errstate(all="ignore"):
        values = lesson_values(lesson)
    for item in fields(values):
        if item.name in ("live", "live_log"):
            continue
        value = getattr(values, item.name)
        numbers = value.rows if isinstance(value, DescentTable) else value
        if isinstance(numbers, dict):
            numbers = list(numbers.values())
        if not np.all(np.isfinite(np.asarray(numbers, dtype=float))):
            return item.name
    return None


def _option(key: str, value: object, data: str | Path | None) -> str:
    if key in ("descent_x", "descent_y"):
        return f"--data {data}"
    return f"--{key.replace('_', '-')} {value!r}"


SAMPLES_GROUP = (
    "descent_y",
    "more_x",
    "data_x",
    "data_more_x",
    "data_y",
    "actual_known",
    "param_values",
    "samples_note",
)
"""Settings that come with the samples' x (``descent_x``) from --data or --samples, never alone."""


def _overflow_message(
    base: Lesson, preset: str, data: str | Path | None, overrides: dict[str, object], where: str
) -> str:
    """One line naming the option (or options, or the preset) that makes the lesson overflow."""
    given = {k: v for k, v in overrides.items() if v is not None and k not in SAMPLES_GROUP}
    culprits = []
    for key, value in given.items():
        # the samples' x come with their y, the data block and the rest of what --data or --samples set
        alone = {k: overrides[k] for k in SAMPLES_GROUP if k in overrides} if key == "descent_x" else {}
        try:
            trial = base.with_overrides(**{key: value}, **alone)
        except GdsheetError:  # not a lesson on its own: it cannot be the one to blame
            continue
        if overflow(trial) is not None:
            culprits.append(_option(key, value, data))
    if not culprits:
        culprits = [_option(key, value, data) for key, value in given.items()] or [f"--preset {preset}"]
    verb = "makes" if len(culprits) == 1 else "make"
    return f"{' with '.join(culprits)} {verb} the lesson overflow (the values named {where} would not be finite)"


def build(path: str | Path, preset: str | None = None, *, data: str | Path | None = None, **overrides: object) -> Path:
    """Build the lesson workbook at ``path`` (an .xlsx); returns the path written.

    ``overrides`` are lesson settings such as ``m_start``, ``b_start``, ``learn``, ``epochs``
    and ``gradient`` (see :class:`gdsheet.lesson.spec.Lesson`), and :func:`make_lesson`'s
    ``samples``, ``noise``, ``seed``, ``model``, ``features``, ``landscape``, ``grid_m`` and ``grid_b``.
    """
    target = Path(path)
    if target.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise GdsheetError(f"{target}: the output must end in .xlsx")
    return build_workbook(make_lesson(preset, data=data, **overrides), target)
