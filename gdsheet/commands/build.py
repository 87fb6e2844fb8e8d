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
from gdsheet.lesson.samples_csv import read_samples
from gdsheet.lesson.samples_generated import generated_classes, generated_x, with_noise
from gdsheet.lesson.spec import DEFAULT_PRESET, Lesson, load_preset
from gdsheet.lesson.sweep import variants
from gdsheet.limits import EXCEL_ROWS
from gdsheet.reference.models import logistic
from gdsheet.reference.oracle import DescentTable, diverges_at, lesson_values
from gdsheet.writer.live import live_epochs_that_fit
from gdsheet.writer.sweep import sweep_problem
from gdsheet.writer.writer import build_workbook
from gdsheet.xlsx.atomic import remove_stale_temps

DIVERGENCE_EPOCHS = 100
"""`gdsheet build` warns when the loss overflows within this many epochs (or the live epochs)."""
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
    **overrides: object,
) -> Lesson:
    """The preset's lesson with overrides applied (``None`` means keep the preset's value).

    ``data`` is a CSV file (header ``x,y``) whose rows replace the descent table's samples;
    ``samples`` generates that many on the line instead (see :mod:`gdsheet.lesson.samples_generated`);
    ``noise`` adds Gaussian noise of that standard deviation (``seed``, default 0) to whichever
    samples the lesson has. ``data`` and ``samples`` exclude each other.
    """
    if data is not None and samples is not None:
        raise GdsheetError("--data reads the samples and --samples generates them: give one of the two")
    if seed is not None and not noise:
        raise GdsheetError("--seed chooses the noise: give --noise SIGMA (> 0) with it")
    lesson = load_preset(preset if model is None or preset != DEFAULT_PRESET else model_preset(model))
    if model is not None and lesson.model != model:
        raise GdsheetError(f"--model {model}: the preset {lesson.name!r} is a {lesson.model} lesson")
    optimizer = overrides.get("optimizer") or lesson.optimizer
    unused = [name for name in HYPER_PARAMETERS if overrides.get(name) is not None]
    unused = [name for name in unused if name not in OPTIMIZER_SPECS[str(optimizer)].hypers]
    if unused:
        options = ", ".join(f"--{name}" for name in unused)
        raise GdsheetError(f"{options}: the {optimizer} optimizer does not use it (see --optimizer)")
    _check_schedule_options(str(overrides.get("schedule") or lesson.schedule), overrides)
    if sweep or compare:
        bad = [rate for rate in sweep or () if not (math.isfinite(rate) and rate > 0)]
        if bad:
            raise GdsheetError(f"--sweep: every rate must be a number > 0, got {bad[0]:g}")
        overrides["sweep"] = variants(tuple(compare or (str(optimizer),)), tuple(sweep or ()))
    classes = lesson.spec.classes
    if data is not None:
        overrides["descent_x"], overrides["descent_y"] = read_samples(data, lesson.features[0], classes)
        overrides["samples_note"] = f"read from {Path(data).name}"
    elif samples is not None:
        overrides["descent_x"] = generated_x(lesson.data_x, samples)
        overrides["descent_y"] = None
        overrides["samples_note"] = "evenly spaced along the line"
        if classes:
            overrides |= _generated_classes(lesson, overrides["descent_x"], noise or 0.0, seed or 0)
    elif classes and noise:
        raise GdsheetError(f"--noise on a {lesson.model} lesson mixes generated classes: give --samples N with it")
    lesson = lesson.with_overrides(**overrides)
    if samples is not None and not classes:  # with_overrides ignores None: the generated x lie on the line
        lesson = dataclasses.replace(lesson, descent_y=None)
    if noise and not classes:
        note = lesson.samples_note or "on the line"
        seed = 0 if seed is None else seed
        lesson = lesson.with_overrides(
            descent_y=with_noise(lesson.samples_y, noise, seed),
            samples_note=f"{note}, plus Gaussian noise (standard deviation {noise:g}, seed {seed})",
        )
    lesson = _fit_live_epochs(lesson, explicit=overrides.get("live_epochs") is not None)
    for optimizer in compare or ():
        if optimizer != "sgd" and lesson.gradient != "analytic":
            raise GdsheetError(f"--compare {optimizer}: the {optimizer} optimizer uses the analytic gradient; "
                               f"gradient {lesson.gradient!r} needs sgd")  # fmt: skip
    if (problem := sweep_problem(lesson)) is not None:
        raise GdsheetError(problem)
    if (where := overflow(lesson)) is not None:
        raise GdsheetError(_overflow_message(load_preset(preset), preset, data, overrides, where))
    return lesson


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


def _generated_classes(lesson: Lesson, x: tuple[float, ...], noise: float, seed: int) -> dict[str, object]:
    """A classifier's generated labels: the score at the actual parameters, plus noise, split at 0."""
    scores = [float(logistic.logit(lesson.values_of("actual"), [value])) for value in x]
    how = f" plus Gaussian noise (standard deviation {noise:g}, seed {seed})" if noise else ""
    return {
        "descent_y": generated_classes(scores, noise, seed),
        "samples_note": f"evenly spaced, labelled 1 where the true score z{how} is at least 0",
    }


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
        if item.name in ("live", "live_log", "sweep", "sweep_log", "wire_path"):  # diverging epochs are lessons too
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


def _overflow_message(
    base: Lesson, preset: str, data: str | Path | None, overrides: dict[str, object], where: str
) -> str:
    """One line naming the option (or options, or the preset) that makes the lesson overflow."""
    given = {k: v for k, v in overrides.items() if v is not None and k not in ("descent_y", "samples_note")}
    culprits = []
    for key, value in given.items():
        alone = {"descent_y": overrides.get("descent_y")} if key == "descent_x" else {}
        if overflow(base.with_overrides(**{key: value}, **alone)) is not None:
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
    ``samples``, ``noise`` and ``seed``.
    """
    target = Path(path)
    if target.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise GdsheetError(f"{target}: the output must end in .xlsx")
    lesson = make_lesson(preset, data=data, **overrides)
    remove_stale_temps(target)  # a killed build's temporary files (their PID is gone), as run and reset do
    return build_workbook(lesson, target)
