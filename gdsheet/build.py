"""`gdsheet build`: a preset plus overrides becomes a lesson, and the lesson a workbook."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np

from gdsheet.errors import GdsheetError
from gdsheet.lesson import Lesson, load_preset
from gdsheet.reference import DescentTable, lesson_values
from gdsheet.samples_csv import read_samples
from gdsheet.workbook.writer import build_workbook

DEFAULT_PRESET = "corrected"
WORKBOOK_SUFFIXES = (".xlsx",)


def make_lesson(preset: str = DEFAULT_PRESET, *, data: str | Path | None = None, **overrides: object) -> Lesson:
    """The preset's lesson with overrides applied (``None`` means keep the preset's value).

    ``data`` is a CSV file (header ``x,y``) whose rows replace the descent table's samples.
    """
    lesson = load_preset(preset)
    if data is not None:
        overrides["descent_x"], overrides["descent_y"] = read_samples(data)
    built = lesson.with_overrides(**overrides)
    if (where := overflow(built)) is not None:
        raise GdsheetError(_overflow_message(lesson, preset, data, overrides, where))
    return built


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


def _overflow_message(
    base: Lesson, preset: str, data: str | Path | None, overrides: dict[str, object], where: str
) -> str:
    """One line naming the option (or options, or the preset) that makes the lesson overflow."""
    given = {key: value for key, value in overrides.items() if value is not None and key != "descent_y"}
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
    and ``gradient``; see :class:`gdsheet.lesson.Lesson`.
    """
    target = Path(path)
    if target.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise GdsheetError(f"{target}: the output must end in .xlsx")
    return build_workbook(make_lesson(preset, data=data, **overrides), target)
