"""Reading descent samples from a CSV file (header ``x,y``), refusing anything unsafe.

A spreadsheet would turn a cell starting with = + - @ into a formula, so such text is refused
outright (a plain negative number is fine: it parses as a number first). Every error names
the file and the line, because the user has to go and fix it there. The file is bounded (16 MB,
read before parsing) and must be UTF-8: UTF-16 or Latin-1 gets one line saying so.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from pathlib import Path

from gdsheet.errors import GdsheetError
from gdsheet.limits import MAX_CSV_BYTES

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


_UTF16_32 = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def csv_text(path: Path, limit: int = MAX_CSV_BYTES, what: str = "a samples CSV") -> str:
    """The file's text: at most ``limit`` bytes, and UTF-8 (a BOM is allowed), else one line
    saying which encoding it seems to be in and what to do. ``what`` names the file's kind."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise GdsheetError(f"{path}: no such file") from None
    except OSError as exc:
        raise GdsheetError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise GdsheetError(f"{path}: larger than {limit / (1024 * 1024):g} MB, the most {what} may be")
    save_as = "; save it as UTF-8 (CSV UTF-8 in Excel)"
    for bom, name in _UTF16_32.items():  # UTF-32 LE first: its BOM starts like UTF-16 LE's
        if data.startswith(bom):
            raise GdsheetError(f"{path}: the file is {name}-encoded{save_as}")
    if b"\x00" in data[:4096]:
        raise GdsheetError(f"{path}: the file holds NUL bytes (UTF-16 without a BOM, or not text){save_as}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GdsheetError(
            f"{path}: not UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start}; Latin-1 or Windows-1252?){save_as}"
        ) from None


def read_sample_table(path: str | Path, classes: tuple[float, ...] = ()
                      ) -> tuple[tuple[str, ...], tuple[tuple[float, ...], ...], tuple[float, ...]]:  # fmt: skip
    """The input names, input columns and y values of a CSV file with one sample per line.

    The header is ``x,y`` or ``x1,…,xk,y`` (k inputs; which of these a model takes is the
    caller's to say). ``classes``, when given, are the only labels y may take (a classifier's 0
    and 1), refused with the line named otherwise. The number of columns is bounded by the file's
    size (16 MB), checked first."""
    path = Path(path)
    try:
        rows = list(csv.reader(io.StringIO(csv_text(path), newline="")))
    except csv.Error as exc:
        raise GdsheetError(f"{path}: cannot read: {exc}") from None
    if not rows:
        raise GdsheetError(f"{path}: empty file; expected a header line 'x,y' (or 'x1,…,xk,y') and samples")
    header = tuple(name.strip().lower() for name in rows[0])
    names = header[:-1]
    numbered = names == tuple(f"x{j}" for j in range(1, len(names) + 1))
    if len(header) < 2 or header[-1] != "y" or not (names == ("x",) or numbered):
        raise GdsheetError(f"{path}:1: header must be 'x,y' or 'x1,…,xk,y', got {','.join(rows[0])!r}")
    width = len(header)
    samples: list[list[float]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path}:{number}"
        if len(row) != width:
            raise GdsheetError(f"{where}: expected {width} values ({','.join(header)}), got {len(row)}")
        samples.append([_number(text, where, column) for text, column in zip(row, header, strict=True)])
        if classes and samples[-1][-1] not in classes:
            allowed = " or ".join(f"{c:g}" for c in classes)
            raise GdsheetError(f"{where}: y must be {allowed} (a class label), got {row[-1].strip()!r}")
    if not samples:
        raise GdsheetError(f"{path}: no samples after the header")
    columns = tuple(tuple(column) for column in zip(*samples, strict=True))
    return names, columns[:-1], columns[-1]


def read_samples(path: str | Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The (x values, y values) of a CSV file with the header ``x,y`` and one sample per line."""
    names, columns, ys = read_sample_table(path)
    if names != ("x",):
        raise GdsheetError(f"{path}:1: header must be 'x,y', got {','.join((*names, 'y'))!r}")
    return columns[0], ys
