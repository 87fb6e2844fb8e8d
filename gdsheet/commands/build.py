"""`gdsheet build`: a preset plus overrides becomes a lesson, and the lesson a workbook."""

from __future__ import annotations

import dataclasses
import math
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TypeVar

import numpy as np

from gdsheet.commands.recalc import recalc
from gdsheet.engine.shapes import MAX_FORMULA_LENGTH
from gdsheet.errors import GdsheetError
from gdsheet.lesson.models import DEFAULT_MODEL, MODELS
from gdsheet.lesson.optimizers import HYPER_PARAMETERS, OPTIMIZER_SPECS
from gdsheet.lesson.preset_input import is_real
from gdsheet.lesson.samples_csv import read_sample_table
from gdsheet.lesson.samples_generated import GENERATED_WEIGHTS, generated_classes, generated_inputs, with_noise
from gdsheet.lesson.spec import DEFAULT_PRESET, Lesson, load_preset
from gdsheet.lesson.sweep import optimizers_from_text, rates_from_text, variants
from gdsheet.limits import EXCEL_ROWS
from gdsheet.reference.models import MODELS as REFERENCE_MODELS
from gdsheet.reference.models import logistic
from gdsheet.reference.oracle import DescentTable, descent_end, diverges_at, least_squares, lesson_values
from gdsheet.writer.cells import loss_formula
from gdsheet.writer.live import live_epochs_that_fit
from gdsheet.writer.models import MODELS as FORMULA_MODELS
from gdsheet.writer.sweep import sweep_problem
from gdsheet.writer.text import number
from gdsheet.writer.writer import build_workbook
from gdsheet.xlsx.atomic import atomic_output, remove_stale_temps

T = TypeVar("T")

DIVERGENCE_EPOCHS = 100
"""`gdsheet build` warns when the loss overflows within this many epochs (or the live epochs)."""
DIVERGENCE_STEPS = 200_000
"""...but plays at most this many sample steps (about a second) beyond the live epochs: 20,000 samples 10 epochs."""
GRID_EPOCHS = 20
"""Epochs of a classifier's own descent that its own-data grid spans (the default live epochs)."""
WORKBOOK_SUFFIXES = (".xlsx",)


def make_lesson(
    preset: str = DEFAULT_PRESET,
    *,
    data: str | Path | None = None,
    samples: int | None = None,
    noise: float | None = None,
    seed: int | None = None,
    model: str | None = None,
    sweep: Sequence[float] | None = None,
    compare: Sequence[str] | None = None,
    features: int | None = None,
    landscape: str | tuple[str, str] | None = None,
    grid_m: Sequence[float] | None = None,
    grid_b: Sequence[float] | None = None,
    hidden: int | None = None,
    activation: str | None = None,
    **overrides: object,
) -> Lesson:
    """The preset's lesson with overrides applied (``None`` means keep the preset's value).

    ``model`` picks the model (its own preset when ``preset`` is the default: ``corrected`` for
    the line, the preset named after any other model). ``data`` is a CSV file (header ``x,y``, or
    ``x1,…,xk,y`` for a model of k inputs) whose rows replace the descent table's samples;
    ``samples`` generates that many instead (``features`` inputs each; see
    :mod:`gdsheet.lesson.samples_generated`); ``noise`` adds Gaussian noise of that standard
    deviation (``seed``, default 0) to whichever samples the lesson has (a classifier's noise
    mixes its generated classes). ``data`` and ``samples`` exclude each other. With samples of its
    own (any of the three) the lesson's data block holds those samples and the grid's axes are
    laid around their least-squares fit, unless ``grid_m`` and ``grid_b`` (the grid's row and
    column values) are given. ``landscape`` names the grid's two parameters ("w2,b"). ``hidden``
    and ``activation`` shape a network's hidden layer; its start weights are drawn from
    ``numpy.random.default_rng(seed)`` (default 0) for the lesson's inputs and units.
    """
    if data is not None and samples is not None:
        raise GdsheetError("--data reads the samples and --samples generates them: give one of the two")
    lesson = load_preset(preset if model is None or preset != DEFAULT_PRESET else model_preset(model))
    drawn = lesson.spec.start_values is not None  # a network's start weights: --seed draws them
    if seed is not None and not noise and not drawn:
        raise GdsheetError("--seed chooses the noise: give --noise SIGMA (> 0) with it")
    if model is not None and lesson.model != model:
        raise GdsheetError(
            f"--model {model}: the preset {lesson.name!r} is a {lesson.model} lesson, and its text would not be "
            f"true of {model} (use --preset {model_preset(model)})"
        )
    if features is not None and samples is None:
        raise GdsheetError("--features K goes with --samples N: a CSV's header says how many inputs it has")
    _check_start_options(lesson, overrides)
    for option, value in (("--hidden", hidden), ("--activation", activation)):
        if value is not None and not lesson.spec.activations:
            raise GdsheetError(f"{option}: the {lesson.model} model has no hidden layer (see --model mlp)")
    if drawn and samples is not None:
        raise GdsheetError(f"--samples: the {lesson.model} model has no actual parameters to generate samples on; "
                           "give --data CSV")  # fmt: skip
    if hidden is not None:
        spec = lesson.spec
        if isinstance(hidden, bool) or not isinstance(hidden, int) or not 1 <= hidden <= spec.max_hidden:
            raise GdsheetError(f"--hidden must be a whole number from 1 to {spec.max_hidden}, got {hidden!r}")
        overrides["hidden"] = hidden
    if activation is not None:
        if activation not in lesson.spec.activations:
            raise GdsheetError(f"--activation must be one of {', '.join(lesson.spec.activations)}, got {activation!r}")
        overrides["activation"] = activation
    optimizer = overrides.get("optimizer") or lesson.optimizer
    unused = [name for name in HYPER_PARAMETERS if overrides.get(name) is not None]
    unused = [name for name in unused if name not in OPTIMIZER_SPECS[str(optimizer)].hypers]
    if unused:
        options = ", ".join(f"--{name}" for name in unused)
        raise GdsheetError(f"{options}: the {optimizer} optimizer does not use it (see --optimizer)")
    _check_schedule_options(str(overrides.get("schedule") or lesson.schedule), overrides)
    if isinstance(sweep, str):  # the command line's spelling, from Python too
        sweep = _option_text("--sweep", rates_from_text, sweep)
    if isinstance(compare, str):
        compare = _option_text("--compare", optimizers_from_text, compare)
    if sweep or compare:
        bad = [rate for rate in sweep or () if not (is_real(rate) and math.isfinite(rate) and rate > 0)]
        if bad:
            raise GdsheetError(f"--sweep: every rate must be a number > 0, got {bad[0]!r}")
        overrides["sweep"] = variants(tuple(compare or (str(optimizer),)), tuple(sweep or ()))
    classes = lesson.spec.classes
    if data is not None:
        overrides |= _read(lesson, data)
    elif samples is not None:
        overrides |= _generated(lesson, samples, features, noise or 0.0, seed or 0)
    elif classes and noise:
        raise GdsheetError(f"--noise on a {lesson.model} lesson mixes generated classes: give --samples N with it")
    if data is not None or samples is not None:  # the data block shows the samples being fit
        overrides |= {"data_x": overrides["descent_x"], "data_more_x": overrides.get("more_x", ()),
                      "data_y": overrides.get("descent_y")}  # fmt: skip
    if drawn:  # drawn for the lesson's own shape: its inputs and hidden units
        k = 1 + len(overrides.get("more_x", lesson.more_x))
        start = lesson.spec.start_values(k, int(overrides.get("hidden", lesson.hidden)), seed or 0)
        overrides["param_values"] = {f"{p}_{kind}": v for p, v in start.items() for kind in ("start", "guess")}
        overrides["start_seed"] = seed or 0
    lesson = lesson.with_overrides(**overrides)
    if samples is not None and lesson.model == DEFAULT_MODEL:  # with_overrides ignores None: x on the line
        lesson = dataclasses.replace(lesson, descent_y=None, data_y=None)
    if noise and not classes:
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
    own = data is not None or samples is not None or bool(noise)
    lesson = _grid(lesson, grid_m, grid_b, own=own)
    lesson = _fit_live_epochs(lesson, explicit=overrides.get("live_epochs") is not None)
    _check_formula_length(lesson)
    for optimizer in compare or ():
        if optimizer != "sgd" and lesson.gradient != "analytic":
            raise GdsheetError(f"--compare {optimizer}: the {optimizer} optimizer uses the analytic gradient; "
                               f"gradient {lesson.gradient!r} needs sgd")  # fmt: skip
    if (problem := sweep_problem(lesson)) is not None:
        raise GdsheetError(problem)
    if (where := overflow(lesson)) is not None:
        raise GdsheetError(_overflow_message(load_preset(preset), preset, data, overrides, where))
    return lesson


def _check_formula_length(lesson: Lesson) -> None:
    """The lesson's longest formula (the whole model over every sample, as the loss cells and the
    grid write it) within Excel's 8,192 characters, else one line saying what makes it long."""
    inputs = [f"descent_{feature}" for feature in lesson.features]
    starts = {p: f"{p}_start" for p in lesson.params}
    error = FORMULA_MODELS[lesson.model_key].error(inputs, starts, None, "descent_y", None)
    length = len(loss_formula(lesson.loss, f"SUMPRODUCT({error})", inputs[0]))
    if length > MAX_FORMULA_LENGTH:
        shape = f" and {lesson.hidden} hidden units (--hidden)" if lesson.hidden else ""
        raise GdsheetError(
            f"{lesson.n_features} inputs{shape} make the {lesson.model} lesson's loss formula {length:,} characters "
            f"long, more than Excel's {MAX_FORMULA_LENGTH:,}: give fewer"
        )


def _check_schedule_options(schedule: str, overrides: dict[str, object]) -> None:
    """``--decay`` and ``--step-epochs`` belong to the step schedule, and must make sense there
    (one line naming the option)."""
    given = [name for name in ("decay", "step_epochs") if overrides.get(name) is not None]
    if given and schedule != "step":
        options = ", ".join(f"--{name.replace('_', '-')}" for name in given)
        raise GdsheetError(f"{options}: only the step schedule uses it (give --schedule step)")
    decay, step_epochs = overrides.get("decay"), overrides.get("step_epochs")
    if isinstance(decay, float) and not (math.isfinite(decay) and decay > 0):
        raise GdsheetError(f"--decay must be > 0 (the factor the rate is multiplied by), got {decay:g}")
    if isinstance(step_epochs, int) and step_epochs < 1:
        raise GdsheetError(f"--step-epochs must be a whole number >= 1 (epochs between two decays), got {step_epochs}")


def model_preset(model: str) -> str:
    """The shipped preset of a model (``--model NAME`` without ``--preset``): the line's default, or
    the preset named after the model."""
    if model not in MODELS:
        raise GdsheetError(f"--model must be one of {', '.join(MODELS)}, got {model!r}")
    return DEFAULT_PRESET if model == DEFAULT_MODEL else model


START_OPTIONS = {"m_start": "m", "b_start": "b"}
"""The command line's start options and the parameter each sets (every model that has it)."""


def _check_start_options(lesson: Lesson, overrides: dict[str, object]) -> None:
    """``--m-start``/``--b-start`` name a parameter; a model without it is told so in one line
    (rather than the value vanishing into a field the model never reads)."""
    for key, param in START_OPTIONS.items():
        if overrides.get(key) is not None and param not in lesson.spec.params(1):
            option = "--" + key.replace("_", "-")
            raise GdsheetError(
                f"{option}: the {lesson.model} model has no parameter {param} (its parameters: "
                f"{', '.join(lesson.params)}; set their start values in a preset's [descent] table)"
            )


GRID_ROWS, GRID_COLUMNS = 9, 11
"""The size of a grid laid around the least-squares fit: odd, so that the fit is its middle cell."""


def _read(lesson: Lesson, data: str | Path) -> dict[str, object]:
    """The samples of a CSV for any model: one input (header ``x`` or ``x1``, whatever the model
    calls it) or ``x1,…,xk`` for a model of up to k inputs; a classifier's labels are checked."""
    spec = lesson.spec
    names, columns, ys = read_sample_table(data, spec.classes)
    if len(names) > spec.max_features:
        want = "x,y" if spec.max_features == 1 else f"x1,…,xk,y with k at most {spec.max_features}"
        raise GdsheetError(f"{data}:1: the {spec.name} model reads the header {want}, got {','.join((*names, 'y'))}")
    return {
        "descent_x": columns[0],
        "more_x": columns[1:],
        "descent_y": ys,
        "actual_known": False,
        "samples_note": f"read from {Path(data).name}",
    }


def _generated(lesson: Lesson, samples: int, features: int | None, noise: float, seed: int) -> dict[str, object]:
    """``samples`` generated samples of ``features`` inputs (default: the preset's number) for any
    model: on the line (formulas) for the line; else on the model at the actual parameters (the
    preset's where it gives them, the weights :data:`GENERATED_WEIGHTS` for the rest), a
    classifier's labelled by the sign of its score z plus ``noise``."""
    spec = lesson.spec
    k = lesson.n_features if features is None else features
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= spec.max_features:
        if spec.max_features == 1:
            raise GdsheetError(f"--features {k}: the {spec.name} model has one input")
        raise GdsheetError(f"--features must be a whole number from 1 to {spec.max_features}, got {k!r}")
    columns = generated_inputs(lesson.data_x, samples, k)
    if lesson.model == DEFAULT_MODEL:
        return {"descent_x": columns[0], "samples_note": "evenly spaced along the line"}
    actual = {f"{p}_actual": _generated_actual(lesson, p) for p in spec.params(k)}
    values = {p: actual[f"{p}_actual"] for p in spec.params(k)}
    shown = " + ".join(f"{number(values[w])}·x{w[1:]}" for w in spec.params(k) if w != "b")
    shown = f"{shown} + {number(values['b'])}".replace("+ −", "− ")
    kept = {key: value for key, value in lesson.param_values.items() if key.rsplit("_", 1)[0] in values}
    generated: dict[str, object] = {
        "descent_x": columns[0],
        "more_x": columns[1:],
        "param_values": kept | {key: value for key, value in actual.items() if key != "b_actual"},
        "b_actual": values["b"],
        "actual_known": True,
    }
    if spec.classes:
        how = f" plus Gaussian noise (standard deviation {noise:g}, seed {seed})" if noise else ""
        scores = logistic.logit(values, [np.asarray(column) for column in columns])
        return generated | {
            "descent_y": generated_classes([float(z) for z in scores], noise, seed),
            "samples_note": f"labelled 1 where the true score z = {shown}{how} is at least 0",
        }
    ys = REFERENCE_MODELS[lesson.model_key].predict(values, [np.asarray(column) for column in columns], None, 0.0)
    return generated | {
        "descent_y": tuple(float(y) for y in ys),
        "samples_note": f"generated on y = {shown}",
    }


def _generated_actual(lesson: Lesson, p: str) -> float:
    """The actual value generated samples lie on: the preset's, else the j-th generated weight."""
    name = f"{p}_actual"
    if p == "b" or name in lesson.param_values:
        return lesson.value(name)
    return GENERATED_WEIGHTS[(int(p[1:]) - 1) % len(GENERATED_WEIGHTS)]


def _option_text(option: str, parse: Callable[[str], T], text: str) -> T:
    try:
        return parse(text)
    except GdsheetError as exc:
        raise GdsheetError(f"{option}: {exc}") from None


def _grid(lesson: Lesson, grid_m: Sequence[float] | None, grid_b: Sequence[float] | None, own: bool) -> Lesson:
    """The grid's axes: as given, else for a lesson's own samples around the least-squares fit (a
    classifier's: around where its descent is after :data:`GRID_EPOCHS` epochs, or the live
    epochs if more), else the preset's (the published grids)."""
    if own and (grid_m is None or grid_b is None):
        if lesson.spec.classes:
            fit = descent_end(lesson, max(GRID_EPOCHS, lesson.live_epochs))
            if fit is None:  # the descent diverges: the preset's axes, and the warning says why
                return lesson.with_overrides(grid_m=grid_m, grid_b=grid_b)
        else:
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
    middle = round(center / unit)  # in tenths of a step: within a twentieth of a step of the fit, its cell the lowest
    # each value a whole number of tenths of a step, so a value that is 0 is 0 (not 2.8e-17)
    return tuple(float(f"{(middle + 10 * (i - mid)) * unit:.12g}") for i in range(count))


def divergence_warning(lesson: Lesson) -> str | None:
    """One line when the reference diverges within the live epochs or the first 100 epochs
    (a lesson worth building, but the user should know before opening it).

    Beyond the live epochs, at most :data:`DIVERGENCE_STEPS` sample steps are played: the
    reference steps sample by sample in Python, and 100 epochs of 100,000 samples took minutes
    of a build that otherwise takes seconds. A large lesson is looked at over fewer epochs."""
    samples = max(len(lesson.descent_x), 1)
    epochs = max(lesson.live_epochs, min(DIVERGENCE_EPOCHS, DIVERGENCE_STEPS // samples))
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
        if item.name in ("live", "live_log", "sweep", "sweep_log", "wire_path"):  # diverging epochs are lessons too
            continue
        if item.name in ("decision_classes", "decision_line", "wire_log_path"):  # gaps by design (#N/A)
            continue
        value = getattr(values, item.name)
        if value is None:  # a regression model has no accuracy
            continue
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


def build(
    path: str | Path, preset: str = DEFAULT_PRESET, *, data: str | Path | None = None, **overrides: object
) -> Path:
    """Build the lesson workbook at ``path`` (an .xlsx); returns the path written.

    ``overrides`` are lesson settings such as ``m_start``, ``b_start``, ``learn``, ``epochs``
    and ``gradient`` (see :class:`gdsheet.lesson.spec.Lesson`), and :func:`make_lesson`'s
    ``samples``, ``noise``, ``seed``, ``model``, ``features``, ``landscape``, ``grid_m`` and ``grid_b``.

    Every formula's cached value is written too, so that a viewer that does not calculate (a
    preview, a mail or drive viewer, pandas, ``openpyxl(data_only=True)``) shows numbers from
    the first open. They are the workbook's own formulas evaluated by the compiled engine
    (what `gdsheet recalc` writes), never the numpy reference's numbers: `check` holds the
    formulas to the reference, and its cache check holds these values to the formulas.
    """
    return write_lesson(make_lesson(preset, data=data, **overrides), path)


def write_lesson(lesson: Lesson, path: str | Path) -> Path:
    """Write ``lesson`` (from :func:`make_lesson`) at ``path`` as :func:`build` does."""
    target = Path(path)
    if target.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise GdsheetError(f"{target}: the output must end in .xlsx")
    return save_with_values(lambda staged: build_workbook(lesson, staged), target)


def save_with_values(write: Callable[[Path], object], target: Path) -> Path:
    """Have ``write`` save a workbook into a temporary folder, write every formula's cached
    value into it (`recalc`: the workbook's own formulas, compiled), then move it to ``target``
    atomically, so that a workbook appears whole and with numbers or not at all. `build` and
    `assign` (each student's workbook) both save this way."""
    remove_stale_temps(target)  # a killed build's temporary files (their PID is gone), as run and reset do
    with tempfile.TemporaryDirectory(prefix="gdsheet-build-") as work:
        staged = Path(work) / f"lesson{target.suffix}"  # recalc reads only an .xlsx by its name
        write(staged)
        recalc(staged)
        with atomic_output(target) as tmp:  # nothing half-written: the target appears with its values
            shutil.copyfile(staged, tmp)
    return target
