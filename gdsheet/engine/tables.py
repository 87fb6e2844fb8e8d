"""Excel Tables (``xl/tables/*.xml``): structured references rewritten to plain ranges.

``Table1[Age]`` is the data body of the table's Age column, ``Table1[[#This Row],[Age]]`` (what
Excel writes for ``[@Age]``) the Age cell in the formula's own row, ``Table1[#All]``,
``[#Data]``, ``[#Headers]`` and ``[#Totals]`` the parts, ``Table1[[Age]:[Fare]]`` a span of
columns. The rewrite happens before a formula is parsed, so everything after it sees ranges
(and a This-Row reference is relative, so a column of them is one formula shape).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gdsheet.engine.shapes import Unsupported
from gdsheet.xlsx.ranges import a1, parse_cell, quote_sheet

_NAME_BEFORE = re.compile(r"([A-Za-z_\\][A-Za-z0-9_.\\]*)$")


@dataclass(frozen=True)
class Table:
    """One Excel Table: where it is and its columns' names, left to right."""

    name: str
    sheet: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int
    columns: tuple[str, ...]
    header_rows: int = 1
    totals_rows: int = 0

    @classmethod
    def from_ref(cls, name: str, sheet: str, ref: str, columns: tuple[str, ...], header: int, totals: int) -> Table:
        first, _, last = ref.partition(":")
        (r1, c1), (r2, c2) = parse_cell(first), parse_cell(last or first)
        return cls(name, sheet, r1, c1, r2, c2, columns, header, totals)

    def rows(self, part: str) -> tuple[int, int]:
        """First and last row of #All, #Data, #Headers or #Totals."""
        data = (self.min_row + self.header_rows, self.max_row - self.totals_rows)
        if part == "#all":
            return self.min_row, self.max_row
        if part == "#headers" and self.header_rows:
            return self.min_row, self.min_row
        if part == "#totals" and self.totals_rows:
            return self.max_row, self.max_row
        if part == "#data":
            return data
        raise Unsupported(f"the table part {part} of {self.name}")

    def column(self, name: str) -> int:
        wanted = _unescape(name).lower()
        for index, column in enumerate(self.columns):
            if column.lower() == wanted:
                return self.min_col + index
        raise Unsupported(f"no column {name!r} in table {self.name}")


def _unescape(text: str) -> str:
    return re.sub(r"'(.)", r"\1", text.strip())


def _items(inner: str) -> list[str]:
    """The bracketed items of a specifier: ``[#This Row],[Age]`` -> ['#This Row', 'Age'], with
    ``[A]:[B]`` kept as one item 'A]:[B'."""
    if not inner.startswith("["):
        return [inner]
    items, depth, current = [], 0, ""
    index = 0
    while index < len(inner):
        char = inner[index]
        if char == "'" and index + 1 < len(inner):
            current += inner[index : index + 2]
            index += 2
            continue
        if char == "[":
            depth += 1
            if depth == 1:
                current = ""
                index += 1
                continue
        elif char == "]":
            depth -= 1
            if depth == 0:
                if inner[index + 1 : index + 3] == ":[":
                    current += "]:["
                    index += 3
                    depth = 1
                    continue
                items.append(current)
                index += 1
                continue
        if depth >= 1:
            current += char
        index += 1
    return items


def _reference(table: Table, inner: str, row: int) -> str:
    part, columns, this_row = "#data", None, False
    for item in _items(inner):
        lowered = item.strip().lower()
        if lowered in ("#this row", "@"):
            this_row = True
        elif lowered.startswith("#"):
            part = lowered
        elif item.strip():
            if "]:[" in item:
                first, last = item.split("]:[")
                columns = (table.column(first), table.column(last))
            else:
                columns = (table.column(item), table.column(item))
    cols = columns or (table.min_col, table.max_col)
    sheet = quote_sheet(table.sheet)
    if this_row:
        low, high = table.rows("#data")
        if not low <= row <= high:
            return "#VALUE!"
        last = "" if cols[0] == cols[1] else f":${_col(cols[1])}{row}"
        return f"{sheet}!${_col(cols[0])}{row}{last}"
    r1, r2 = table.rows(part)
    return f"{sheet}!${_col(cols[0])}${r1}:${_col(cols[1])}${r2}"


def _col(index: int) -> str:
    return a1(index, 1)[:-1]


def rewrite(text: str, tables: dict[str, Table], row: int) -> str:
    """``text`` with each structured reference to one of ``tables`` (lower-case name -> Table)
    written as an A1 range; strings are left alone."""
    if "[" not in text:
        return text
    out, index, quoted = [], 0, False
    while index < len(text):
        char = text[index]
        if char == '"':
            quoted = not quoted
        if char == "[" and not quoted:
            match = _NAME_BEFORE.search("".join(out))
            table = tables.get(match.group(1).lower()) if match else None
            end, depth = index, 0
            while end < len(text):  # the matching bracket, quotes escaped with '
                if text[end] == "'":
                    end += 2
                    continue
                depth += {"[": 1, "]": -1}.get(text[end], 0)
                if depth == 0:
                    break
                end += 1
            if table is None or end >= len(text):
                raise Unsupported("a structured reference to no table of the workbook")
            prefix = "".join(out)[: match.start()]  # type: ignore[union-attr]
            out = [prefix, _reference(table, text[index + 1 : end], row)]
            index = end + 1
            continue
        out.append(char)
        index += 1
    return "".join(out)
