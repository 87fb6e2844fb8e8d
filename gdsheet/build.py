"""`gdsheet build`: a preset plus overrides becomes a lesson, and the lesson a workbook."""

from __future__ import annotations

from pathlib import Path

from gdsheet.errors import GdsheetError
from gdsheet.lesson import Lesson, load_preset
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
    return lesson.with_overrides(**overrides)


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
