"""New cached results for a sheet's formula cells, in one forward pass over its XML.

``run`` saves every formula's recalculated value, so a lesson opens showing current numbers
even where an application does not recalculate on load. A large lesson has a million formula
cells: they are visited in document order by one token pattern, and only the cells given a
value are rebuilt, so the cost is linear in the sheet.
"""

from __future__ import annotations

import functools
import numbers
import re
from collections.abc import Callable

from gdsheet.errors import WorkbookError
from gdsheet.limits import EXCEL_COLUMNS
from gdsheet.xlsx.ranges import Range, a1, column_index
from gdsheet.xlsx.sheet_edits import REMOVE, cell_content
from gdsheet.xlsx.xmltext import (
    ATTRS,
    CELL_COL,
    CELL_EL,
    EXTLST_EL,
    FORMULA_EL,
    ROW_NUM,
    CellValue,
    attribute,
    attributes,
    body_of,
    cell_ref,
    number_text,
    prefix,
    ref_range,
    tag,
)


class Missing:
    """The type of :data:`MISSING`."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()
"""What a ``cached_at`` reader returns for a formula cell whose cached result should stay as it is."""

ValueAt = Callable[[int, int], object]
"""A sheet's reader of new cached results: (row, column) -> value, or :data:`MISSING`."""

_CELL_BODY = body_of("c")  # up to </c>, without the per-character cost of .*?
_NO_T_OR_VM = r"(?:\s+(?!(?:t|vm)\s*=)[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*"
_TOKEN = re.compile(
    # 1-5, the shape of nearly every formula cell: r= first, no t= or vm=, <f>, at most an empty or plain <v>
    rf"<(?:(\w+):)?c\s+r\s*=\s*[\"'](([A-Za-z]{{1,3}})[0-9]{{1,7}})[\"']{_NO_T_OR_VM}\s*>"
    rf"(\s*<(?:\w+:)?f({ATTRS})\s*(?:/>|>[^<]*</(?:\w+:)?f\s*>))"
    rf"(?:\s*<(?:\w+:)?v\s*/>|\s*<(?:\w+:)?v\s*>[^<]*</(?:\w+:)?v\s*>)?\s*</(?:\w+:)?c\s*>"
    # 6-9, any row start or cell
    rf"|<(?:(\w+):)?(?:row({ATTRS})\s*/?>|c({ATTRS})\s*(?:/>|>({_CELL_BODY})</(?:\w+:)?c\s*>))"
)
_CHUNK = 8192  # pieces joined into one string at a time, so a million cells never sit in one list


@functools.lru_cache(maxsize=4096)
def _column(letters: str) -> int | None:
    """Column number of ``letters``, None beyond XFD (the slow path then names the bad reference)."""
    col = column_index(letters)
    return col if col <= EXCEL_COLUMNS else None


class CachedPass:
    """One forward pass over ``<sheetData>`` that gives formula cells their new cached results.

    Cells are visited in document order; only a cell holding ``<f>`` (or inside an array
    formula's range) is asked for a value, and only a cell given one is rebuilt. The output is
    the untouched stretches as slices of the original text with the rebuilt cells between them,
    so the cost is linear in the sheet and independent of how the values are stored."""

    def __init__(self, xml: str, value_at: ValueAt, skip: frozenset[tuple[int, int]], where: str) -> None:
        self.xml, self.value_at, self.skip, self.where = xml, value_at, skip, where
        self.chunks: list[str] = []
        self.pieces: list[str] = []
        self.last = 0  # end of what has been copied or replaced
        self.arrays: list[Range] = []
        self.row, self.col = 0, 0
        self.pending: tuple[int, int] | None = None  # attributes of the last cell whose column was not needed

    def run(self, start: int, end: int) -> str:
        """The sheet's new XML (the same object when no cell changed)."""
        xml = self.xml
        for m in _TOKEN.finditer(xml, start, end):
            if m.start(2) >= 0:
                self._formula(m)
            elif m.start(7) >= 0:
                self._row(m)
            else:
                self._cell(m)
        if not self.chunks and not self.pieces:
            return xml
        self.pieces.append(xml[self.last :])
        self.chunks.append("".join(self.pieces))
        return "".join(self.chunks)

    def _row(self, m: re.Match[str]) -> None:
        """A row start: its number (r=, or the one after the last), and no cell seen in it yet."""
        r = ROW_NUM.match(self.xml, *m.span(7))
        if r is None:
            ref = attribute(attributes(m.group(7)), "r")
            self.row = int(ref) if ref else self.row + 1
        else:
            self.row = int(r.group(1))
        self.col, self.pending = 0, None

    def _own_column(self, start: int, end: int) -> int | None:
        """The column named by the r= among the attributes xml[start:end], None without one."""
        m = CELL_COL.match(self.xml, start, end)
        if m is not None and (col := _column(m.group(1))) is not None:
            return col
        ref = attribute(attributes(self.xml[start:end]), "r")
        return cell_ref(ref, self.where)[1] if ref else None

    def _resolve(self, span: tuple[int, int]) -> int:
        """The column of the current cell: its r=, or the one after the previous cell's."""
        col = self._own_column(*span)
        if col is None:
            col = (self._own_column(*self.pending) if self.pending else self.col) + 1
        self.col, self.pending = col, None
        return col

    def _note(self, span: tuple[int, int]) -> None:
        """A cell whose column nobody needs yet: remember it, unless it is numbered by position
        (then the next cell without r= could not be numbered later)."""
        if CELL_COL.match(self.xml, *span):
            self.pending = span
        else:
            self._resolve(span)

    def _formula(self, m: re.Match[str]) -> None:
        """A formula cell in the common shape (groups 1-5 of :data:`_TOKEN`)."""
        col = _column(m.group(3))
        if col is None:
            cell_ref(m.group(2), self.where)  # raises: beyond XFD
        self.col, self.pending = col, None
        if m.start(5) != m.end(5):
            self._note_array(m.group(5))
        self._ask(m, m.end(4))

    def _cell(self, m: re.Match[str]) -> None:
        """Any other cell (groups 8-9): a constant, an array formula's member, or a formula in an
        unusual shape."""
        body, body_end = m.start(9), m.end(9)
        f = FORMULA_EL.search(self.xml, body, body_end) if body >= 0 else None
        if f is None and not self.arrays:  # a constant: its column matters only to a later cell without r=
            self._note(m.span(8))
            return
        self._resolve(m.span(8))
        if f is not None:
            self._note_array(f.group(2))
        elif not any((self.row, self.col) in area for area in self.arrays):
            return
        self._ask(m, None)

    def _note_array(self, f_attrs: str) -> None:
        """Remember an array formula's range: its other cells hold results but no <f>."""
        if (
            "array" in f_attrs
            and attribute(attrs := attributes(f_attrs), "t") == "array"
            and (ref := attribute(attrs, "ref"))
        ):
            self.arrays.append(ref_range(ref, self.where))

    def _ask(self, m: re.Match[str], f_end: int | None) -> None:
        """Give the cell its new cached result, if ``value_at`` has one. A finite float in a cell of
        the common shape keeps the cell's text up to ``f_end`` (after </f>) as it is."""
        if (self.row, self.col) in self.skip:
            return
        value = self.value_at(self.row, self.col)
        if value is MISSING:
            return
        if f_end is not None and type(value) is float and value - value == 0.0:
            p = f"{m.group(1)}:" if m.group(1) else ""
            self._emit(self.xml[self.last : f_end] + f"<{p}v>{number_text(value)}</{p}v></{p}c>", m.end())
            return
        here = f"{self.where}, cell {a1(self.col, self.row)}"
        if not isinstance(value, numbers.Real | str | None):
            why = "REMOVE is for values, not cached results" if value is REMOVE else f"unsupported value {value!r}"
            raise WorkbookError(f"{here}: {why}")
        self._emit(self.xml[self.last : m.start()] + _cached_cell(m.group(0), value, here), m.end())

    def _emit(self, text: str, end: int) -> None:
        self.pieces.append(text)
        self.last = end
        if len(self.pieces) >= _CHUNK:
            self.chunks.append("".join(self.pieces))
            self.pieces.clear()


def _cached_cell(text: str, value: CellValue, where: str) -> str:
    """A formula cell's text with a new cached result: its <f> and extLst kept byte for byte,
    t= set for the value's type, vm= (metadata of the old value) dropped."""
    m = CELL_EL.match(text)
    attrs = {k: v for k, v in attributes(m.group(2)).items() if k not in ("t", "vm")}
    f, ext = FORMULA_EL.search(m.group(3) or ""), EXTLST_EL.search(m.group(3) or "")
    t, content = cell_content(value, prefix(m), True, where)
    if t:
        attrs["t"] = t
    return tag(prefix(m), "c", attrs, (f.group(0) if f else "") + content + (ext.group(0) if ext else ""))
