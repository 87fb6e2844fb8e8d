"""Reading descent samples from a CSV file (header ``x,y``), refusing anything unsafe.

A spreadsheet would turn a cell starting with = + - @ into a formula, so such text is refused
outright (a plain negative number is fine: it parses as a number first). Every error names
the file and the line, because the user has to go and fix it there.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from gdsheet.errors import GdsheetError

FORMULA_PREFIXES = ("=", "+", "-", "@")


def _number(text: str, where: str, column: str) -> float:
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        if value.startswith(FORMULA_PREFIXES):
            raise GdsheetError(f"{where}: {column} {value!r} looks like a formula; only numbers are allowed") from None
        raise GdsheetError(f"{where}: {column} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise GdsheetError(f"{where}: {column} {value!r} is not a finite number")
    return number


def read_samples(path: str | Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The (x values, y values) of a CSV file with the header ``x,y`` and one sample per line."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise GdsheetError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GdsheetError(f"{path}: cannot read: {exc}") from None
    if not rows:
        raise GdsheetError(f"{path}: empty file; expected a header line 'x,y' and samples")
    header = [name.strip().lower() for name in rows[0]]
    if header != ["x", "y"]:
        raise GdsheetError(f"{path}:1: header must be 'x,y', got {','.join(rows[0])!r}")
    xs, ys = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path}:{number}"
        if len(row) != 2:
            raise GdsheetError(f"{where}: expected 2 values (x,y), got {len(row)}")
        xs.append(_number(row[0], where, "x"))
        ys.append(_number(row[1], where, "y"))
    if not xs:
        raise GdsheetError(f"{path}: no samples after the header")
    return tuple(xs), tuple(ys)
