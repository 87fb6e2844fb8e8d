"""The sizes gdsheet accepts, in one place, and the one rule for an epoch count.

Input comes from anyone (a workbook is a zip of XML, a preset or a CSV is a file someone sent),
so every size is bounded before anything is parsed or allocated. The archive limits can be
raised for a genuinely large workbook through environment variables, read when they are used.
"""

from __future__ import annotations

import math
import os

from gdsheet.errors import GdsheetError

MB = 1024 * 1024

EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384  # the last column is XFD

MAX_EPOCHS = 1_000_000
"""The most epochs one run (``--epochs`` or the workbook's epochs cell) or one lesson may ask for."""

MAX_CSV_BYTES = 16 * MB
"""A samples CSV larger than this is refused before it is parsed."""

MAX_ROSTER_BYTES = 1 * MB
"""A class roster (`gdsheet assign`) larger than this is refused before it is parsed."""

MAX_STUDENTS = 2_000
"""The most students one roster may list (each gets a workbook of its own)."""

GRADE_SECONDS = 120
"""`gdsheet grade` gives up on one workbook after this many seconds of wall time (``--timeout``)."""

GRADE_MEMORY_MB = 1024
"""...and when grading it would map more than this many MB beyond the grader's own (``--max-memory``)."""

MAX_PRESET_BYTES = 1 * MB
"""A preset .toml larger than this is refused before it is parsed."""

MAX_LIST_ITEMS = EXCEL_ROWS
"""No list in a preset may hold more values than a sheet has rows."""

ARCHIVE_LIMITS = {  # name -> (environment variable, default, unit in bytes or 1 for a count)
    "total": ("GDSHEET_MAX_UNZIPPED_MB", 512, MB),
    "member": ("GDSHEET_MAX_MEMBER_MB", 256, MB),
    "members": ("GDSHEET_MAX_MEMBERS", 10_000, 1),
    "cells": ("GDSHEET_MAX_CELLS", 5_000_000, 1),  # cells a workbook holds, or a name's area covers
    "token": ("GDSHEET_MAX_XML_TOKEN_MB", 1, MB),  # an XML tag, attribute or text, before it is parsed
    "shapes": ("GDSHEET_MAX_SHAPES", 20_000, 1),  # distinct formulas (relative to their cell)
    "runs": ("GDSHEET_MAX_RUNS", 100_000, 1),  # blocks of consecutive same-shape formulas in a column
}


def archive_limit(name: str) -> int:
    """The limit ``name`` of :data:`ARCHIVE_LIMITS` in bytes (or members), from its environment
    variable when that holds a positive whole number, else the default."""
    variable, default, unit = ARCHIVE_LIMITS[name]
    text = os.environ.get(variable, "").strip()
    if not text:
        return default * unit
    if not text.isdigit() or int(text) < 1:
        raise GdsheetError(f"{variable}={text!r}: expected a whole number >= 1")
    return int(text) * unit


def epochs_problem(value: object, *, integer: bool = False) -> str | None:
    """Why ``value`` is not a valid epoch count, or None: one wording for build, run and the cell.

    A cell holds floats, so 5.0 passes there; ``integer`` (a lesson setting) asks for an int."""
    kinds = int if integer else int | float
    whole = isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)
    if whole and value == int(value) and 1 <= value <= MAX_EPOCHS:
        return None
    return f"epochs must be a whole number from 1 to {MAX_EPOCHS:,}, got {value!r}"
