"""Cells and ranges, in one vocabulary: the :class:`Range` type, the one A1 parser, sheet quoting.

Everything in gdsheet that names a cell or a rectangle (a defined name, ``Sheet!A1:B9`` on the
command line, a cell's ``r=`` attribute, a chart series, an engine's reference) goes through
this module, so there is one idea of what a column letter, a row number or a quoted sheet name
is, and Excel's grid limits (:data:`gdsheet.limits.EXCEL_ROWS`, ``EXCEL_COLUMNS``) are checked
in one place.

Coordinates are 1-based and inclusive. Iteration is **row by row, and (row, column) within**:
:meth:`Range.cells` yields ``(row, column)`` pairs, first row left to right, then the next row.
That is the order of a 2-D array of the range (``array[row - min_row, col - min_col]``) and of
the sheet's XML.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from gdsheet.limits import EXCEL_COLUMNS, EXCEL_ROWS

_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_RANGE = re.compile(r"(?P<first>\$?[A-Za-z]{1,3}\$?[0-9]{1,7})(?::(?P<last>\$?[A-Za-z]{1,3}\$?[0-9]{1,7}))?")
_PLAIN_SHEET = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_LOOKS_LIKE_CELL = re.compile(r"(?:[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*(?:[Cc][0-9]*)?|[Cc][0-9]*)")


class RangeError(ValueError):
    """Text that is not a cell or range within Excel's grid; the message says why, in one line."""


@functools.lru_cache(maxsize=4096)
def column_index(letters: str) -> int:
    """1-based index of column letters, either case (A = 1, XFD = 16384; beyond XFD as well)."""
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index


def column_letters(index: int) -> str:
    """Column letters of a 1-based index (1 = A)."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(column: int, row: int) -> str:
    """The A1 address of a 1-based (column, row): column first, as A1 text reads."""
    return f"{column_letters(column)}{row}"


LAST_CELL = a1(EXCEL_COLUMNS, EXCEL_ROWS)
"""XFD1048576, the last cell of a sheet."""


def on_sheet(row: int, column: int) -> bool:
    """Whether (row, column) is inside Excel's grid (A1 to XFD1048576)."""
    return 1 <= row <= EXCEL_ROWS and 1 <= column <= EXCEL_COLUMNS


def quote_sheet(name: str) -> str:
    """The sheet name as a reference prefix takes it: bare when Excel writes it bare, else in
    single quotes with each quote doubled (``'My sheet'``, ``'O''Brien'``)."""
    if _PLAIN_SHEET.fullmatch(name) and not _LOOKS_LIKE_CELL.fullmatch(name):
        return name
    return "'" + name.replace("'", "''") + "'"


def unquote_sheet(text: str) -> str:
    """A reference's sheet prefix as the sheet's name (quotes removed, doubled quotes single)."""
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text


def parse_cell(text: str, *, dollars: bool = True) -> tuple[int, int]:
    """(row, column) of an A1 cell (``B7``, ``b7``, and ``$B$7`` unless ``dollars`` is False, as
    in a cell's own ``r=``) inside Excel's grid."""
    m = _CELL.fullmatch(text) if isinstance(text, str) and (dollars or "$" not in text) else None
    if m is not None:
        row, column = int(m.group(2)), column_index(m.group(1))
        if 1 <= row <= EXCEL_ROWS and column <= EXCEL_COLUMNS:
            return row, column
    raise RangeError(f"bad cell reference {text!r} (expected A1..{LAST_CELL})")


@dataclass(frozen=True, slots=True)
class Range:
    """A rectangle of one sheet, 1-based and inclusive; a cell is a 1×1 range.

    ``sheet`` is the sheet's name where a workbook is addressed by names (the evaluator, the
    commands, the patcher) and its index where the engine has numbered the sheets."""

    sheet: str | int
    min_row: int
    min_col: int
    max_row: int
    max_col: int

    @classmethod
    def spanning(cls, sheet: str | int, row1: int, col1: int, row2: int, col2: int) -> Range:
        """The range with corners (row1, col1) and (row2, col2), in either order, as A1:B2 or B2:A1 reads."""
        return cls(sheet, min(row1, row2), min(col1, col2), max(row1, row2), max(col1, col2))

    @property
    def rows(self) -> range:
        return range(self.min_row, self.max_row + 1)

    @property
    def cols(self) -> range:
        return range(self.min_col, self.max_col + 1)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.max_row - self.min_row + 1, self.max_col - self.min_col + 1

    @property
    def size(self) -> int:
        rows, cols = self.shape
        return rows * cols

    def cells(self) -> Iterator[tuple[int, int]]:
        """(row, column) of every cell, row by row (see the module's docstring)."""
        for row in range(self.min_row, self.max_row + 1):
            for col in range(self.min_col, self.max_col + 1):
                yield row, col

    def __contains__(self, cell: object) -> bool:
        """Whether a (row, column) pair lies inside the range."""
        row, col = cell  # type: ignore[misc]
        return self.min_row <= row <= self.max_row and self.min_col <= col <= self.max_col

    def on_grid(self) -> bool:
        """Whether the whole range lies inside Excel's grid."""
        return on_sheet(self.min_row, self.min_col) and on_sheet(self.max_row, self.max_col)

    def ref(self, absolute: bool = False) -> str:
        """A1 text of the rectangle without the sheet (``B2``, ``B2:C9``; ``$B$2:$C$9`` if absolute)."""

        def cell(col: int, row: int) -> str:
            return f"${column_letters(col)}${row}" if absolute else a1(col, row)

        first = cell(self.min_col, self.min_row)
        return first if self.shape == (1, 1) else f"{first}:{cell(self.max_col, self.max_row)}"

    def __str__(self) -> str:
        """``Sheet!B2:C9`` with the sheet quoted as needed (a sheet index as it is)."""
        sheet = quote_sheet(self.sheet) if isinstance(self.sheet, str) else str(self.sheet)
        return f"{sheet}!{self.ref()}"


def split_range(text: str) -> tuple[str | None, Range]:
    """The sheet name (None when the text gives none) and the range of ``Sheet!A1[:B2]`` text.

    Either case, ``$`` anywhere, corners in either order; the sheet is what precedes the last
    ``!``, its outer quotes removed (leniently: ``'O'Brien'`` as typed is the sheet O'Brien). The range's
    ``sheet`` is the name as written (or ``""``): callers match it to the workbook's sheets."""
    sheet_text, bang, ref = text.strip().rpartition("!") if isinstance(text, str) else ("", "", "")
    m = _RANGE.fullmatch(ref)
    if m is None or (bang and not sheet_text):
        raise RangeError(f"{text!r}: not a cell reference like Sheet!A1 or Sheet!A1:B9")
    sheet = unquote_sheet(sheet_text) if bang else None
    first = _CELL.fullmatch(m["first"])
    last = _CELL.fullmatch(m["last"]) if m["last"] else first
    row1, col1 = int(first.group(2)), column_index(first.group(1))
    row2, col2 = int(last.group(2)), column_index(last.group(1))
    if min(row1, row2) < 1:
        raise RangeError(f"{text!r}: not a cell reference (rows and columns start at 1)")
    rng = Range.spanning(sheet or "", row1, col1, row2, col2)
    if not rng.on_grid():
        raise RangeError(f"{text!r}: beyond the last cell of a sheet ({LAST_CELL})")
    return sheet, rng
