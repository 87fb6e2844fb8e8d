"""Cell edits in a worksheet's XML: constants written, cells removed, a table grown downward.

The sheet's ``<sheetData>`` is indexed by its row start tags only; a row's cells are parsed
when an edit needs them, and untouched stretches are written back as slices of the original
text, so a few edits in a sheet of a million cells cost little more than one scan. Rows
appended below the sheet's last row (the epoch log growing) take their styles from the
column's last existing cell, looked up once per column, so a save is linear in the rows added.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from gdsheet.errors import WorkbookError
from gdsheet.xlsx.ranges import Range, a1, column_letters
from gdsheet.xlsx.xmltext import (
    ATTRS,
    CELL_EL,
    DIM_EL,
    ERROR_CODES,
    EXTLST_EL,
    FORMULA_EL,
    ROW_NUM,
    CellValue,
    attribute,
    attributes,
    cell_ref,
    escape,
    ooxml_string,
    prefix,
    ref_range,
    splice,
    tag,
    unescape,
    xml_number,
)


class Remove:
    """The type of :data:`REMOVE`."""

    def __repr__(self) -> str:
        return "REMOVE"


REMOVE = Remove()
"""A ``values`` entry that deletes the cell element itself (value and style), e.g. a log row
that a reset takes away, so the sheet is as it was before the row was added."""


_SHEETDATA_OPEN = re.compile(rf"<(?:(\w+):)?sheetData({ATTRS})\s*(/?)>")
_SHEETDATA_CLOSE = re.compile(r"</(?:\w+:)?sheetData\s*>")
_ROW_OPEN = re.compile(rf"<(?:\w+:)?row({ATTRS})\s*(/?)>")
_ROW_CLOSE = re.compile(r"</(?:\w+:)?row\s*>")


class SheetData:
    """Where ``<sheetData>`` is in a sheet's XML: found by its two tags, as a lazy ``.*?`` over a
    100 MB sheet costs a second."""

    def __init__(self, xml: str, where: str) -> None:
        m = _SHEETDATA_OPEN.search(xml)
        close = _SHEETDATA_CLOSE.search(xml, m.end()) if m and not m.group(3) else None
        if m is None or (not m.group(3) and close is None):
            raise WorkbookError(f"{where}: not a worksheet (no <sheetData>)")
        self.p, self.attrs, self.start = prefix(m), m.group(2), m.start()
        self.empty = bool(m.group(3))  # self-closing
        self.body_start, self.body_end = (m.end(), m.end()) if close is None else (m.end(), close.start())
        self.end = m.end() if close is None else close.end()


class SheetRows:
    """A worksheet's ``<sheetData>`` as rows that can be edited in place.

    Only the row start tags are indexed; a row's end and its cells are found when an edit or a
    style lookup needs them, and untouched stretches are written back as slices of the original
    text, so a few edits in a sheet of a million cells cost little more than one scan."""

    def __init__(self, xml: str, where: str) -> None:
        self.xml, self.where, self.data = xml, where, SheetData(xml, where)
        self.p = self.data.p
        self.nums: list[int] = []
        self.rows: list[dict] = []  # start, open_end, closed, attrs span; num, attrs, end, cells, rest, dirty
        self.created: list[tuple[int, int]] = []
        self.formula_removed = False
        num = 0
        for r in _ROW_OPEN.finditer(xml, self.data.body_start, self.data.body_end):
            row = {"start": r.start(), "open_end": r.end(), "closed": bool(r.group(2)), "span": r.span(1)}
            if m := ROW_NUM.match(xml, *r.span(1)):
                num = int(m.group(1))
            else:
                row["attrs"] = attrs = attributes(r.group(1))
                num = int(attribute(attrs, "r") or num + 1)
                # a row without r= is numbered by its position, which an inserted row would shift: write r= out
                row["dirty"] = "r" not in attrs
                attrs.setdefault("r", f'"{num}"')
            row["num"] = num
            self.nums.append(num)
            self.rows.append(row)

    def _attrs_of(self, row: dict) -> dict[str, str]:
        if "attrs" not in row:
            row["attrs"] = attributes(self.xml[slice(*row["span"])])
        return row["attrs"]

    def _end(self, row: dict) -> int:
        """Where the row element ends in the original text."""
        if "end" not in row:
            row["end"] = row["open_end"] if row["closed"] else _ROW_CLOSE.search(self.xml, row["open_end"]).end()
        return row["end"]

    def _body(self, row: dict) -> str:
        if row.get("new") or row["closed"]:
            return ""
        close = _ROW_CLOSE.search(self.xml, row["open_end"])
        row["end"] = close.end()
        return self.xml[row["open_end"] : close.start()]

    def cells(self, row: dict) -> list[list]:
        """[column, gap before, cell text] of each cell of a row, parsed on first use."""
        if "cells" not in row:
            body = self._body(row)
            row["cells"], pos, col = [], 0, 0
            for c in CELL_EL.finditer(body):
                ref = attribute(attributes(c.group(2)), "r")
                col = cell_ref(ref, self.where)[1] if ref else col + 1
                text, head = c.group(0), f"<{prefix(c)}c"
                if not ref:  # numbered by position: name it, as a cell may be inserted before it
                    text = f'{head} r="{a1(col, row["num"])}"' + text[len(head) :]
                row["cells"].append([col, body[pos : c.start()], text])
                pos = c.end()
            row["rest"] = body[pos:]
        return row["cells"]

    def find(self, num: int, col: int) -> list | None:
        i = bisect.bisect_left(self.nums, num)
        if i < len(self.nums) and self.nums[i] == num:
            return next((c for c in self.cells(self.rows[i]) if c[0] == col), None)
        return None

    def style_above(self, num: int, col: int) -> str | None:
        """The style of the nearest cell above, so a table growing downward keeps its number formats.

        Walks up by index (no copy of the rows above): a table grown row by row finds the cell
        created in the row just above, so growing it by n rows costs n steps, not n²."""
        for i in range(bisect.bisect_left(self.nums, num) - 1, -1, -1):
            if c := next((c for c in self.cells(self.rows[i]) if c[0] == col), None):
                return attributes(CELL_EL.match(c[2]).group(2)).get("s")
        return None

    def cell(self, num: int, col: int) -> list:
        """The cell at (num, col) in a row marked for rewriting; created in sorted position if missing."""
        i = bisect.bisect_left(self.nums, num)
        if i == len(self.nums) or self.nums[i] != num:
            self.nums.insert(i, num)
            self.rows.insert(i, {"new": True, "num": num, "attrs": {"r": f'"{num}"'}, "cells": [], "rest": ""})
        row, cells = self.rows[i], self.cells(self.rows[i])
        row["dirty"] = True
        j = bisect.bisect_left([c[0] for c in cells], col)
        if j == len(cells) or cells[j][0] != col:
            attrs = {"r": f'"{a1(col, num)}"'}
            if s := self.style_above(num, col):
                attrs["s"] = s
            cells.insert(j, [col, "", tag(self.p, "c", attrs, "")])
            self.created.append((num, col))
        return cells[j]

    def remove(self, num: int, col: int) -> None:
        """Delete the cell at (num, col), if there is one; its row stays (an empty row is valid)."""
        i = bisect.bisect_left(self.nums, num)
        if i == len(self.nums) or self.nums[i] != num:
            return
        cells = self.cells(self.rows[i])
        for j, c in enumerate(cells):
            if c[0] == col:
                if FORMULA_EL.search(c[2]):
                    raise WorkbookError(f"{self.where}: will not remove the formula cell {a1(col, num)}")
                del cells[j]
                self.rows[i]["dirty"] = True
                return

    def _render_row(self, row: dict) -> str:
        """A rewritten row: spans would be stale, and it is optional, so it goes."""
        attrs = {k: v for k, v in self._attrs_of(row).items() if k != "spans"}
        body = "".join(g + t for _, g, t in self.cells(row)) + row["rest"]
        return tag(self.p, "row", attrs, body)

    def _body_parts(self) -> list[str]:
        """The new content of <sheetData>: original slices around the rewritten and new rows."""
        xml, parts = self.xml, []
        pos = prev_end = self.data.body_start
        previous = None  # the last original row: a new row goes after its end
        for row in self.rows:
            if row.get("new"):
                if previous is not None:
                    prev_end = self._end(previous)
                parts += [xml[pos:prev_end], self._render_row(row)]
                pos = prev_end
                continue
            if row.get("dirty"):
                parts += [xml[pos : row["start"]], self._render_row(row)]
                pos = self._end(row)
            previous = row
        parts.append(xml[pos : self.data.body_end])
        return parts

    def _head(self) -> str:
        """The text before <sheetData>, its dimension grown to take in the cells created."""
        head = self.xml[: self.data.start]
        if self.created and (d := DIM_EL.search(head)) and (ref := attribute(attributes(d.group(2)), "ref")):
            old = ref_range(ref, self.where)
            rows, cols = zip((old.min_row, old.min_col), (old.max_row, old.max_col), *self.created, strict=False)
            new = Range("", min(rows), min(cols), max(rows), max(cols)).ref()
            head = splice(head, d, tag(prefix(d), "dimension", attributes(d.group(2)) | {"ref": f'"{new}"'}, ""))
        return head

    def render(self, tail: Sequence[str | memoryview | Iterator[str]] = ()) -> list[str | memoryview | Iterator[str]]:
        """The new sheet as pieces of text, with ``tail`` (the rows split off below, untouched, and
        rows appended after them, rendered as they are read) at the end of <sheetData>: nothing is
        joined, so a sheet a run grows by a million rows never sits in memory whole."""
        data, body = self.data, self._body_parts()
        tail = list(tail)
        if data.empty and not self.rows and not tail:
            return [self._head(), self.xml[data.start :]]
        if data.empty:
            open_tag = f"<{self.p}sheetData" + "".join(f" {k}={v}" for k, v in attributes(data.attrs).items()) + ">"
            close_tag = f"</{self.p}sheetData>"
            return [self._head(), open_tag, *body, *tail, close_tag, self.xml[data.end :]]
        return [self._head(), self.xml[data.start : data.body_start], *body, *tail, self.xml[data.body_end :]]


def cell_content(value: CellValue, p: str, cached: bool, where: str) -> tuple[str | None, str]:
    """The raw ``t`` attribute (None: number or empty) and the XML that holds ``value``.
    A new constant string is inline, so sharedStrings.xml (and its counts) stays untouched."""
    if isinstance(value, bool):
        return '"b"', f"<{p}v>{int(value)}</{p}v>"
    if isinstance(value, str) and not cached:
        return '"inlineStr"', f'<{p}is><{p}t xml:space="preserve">{ooxml_string(value)}</{p}t></{p}is>'
    if isinstance(value, str):
        return '"e"' if value in ERROR_CODES else '"str"', f"<{p}v>{ooxml_string(value)}</{p}v>"
    return None, "" if value is None else f"<{p}v>{xml_number(value, where)}</{p}v>"


def _write(sheet: SheetRows, cell: list, value: CellValue, cached: bool, where: str) -> dict | None:
    """Put a constant, or a formula's cached result (its <f> kept byte for byte), into ``cell``.
    Returns the shared formula whose master a constant replaced: its children need the text."""
    m = CELL_EL.match(cell[2])
    drop = ("t", "vm") if cached else ("t", "vm", "cm")  # vm/cm: metadata of the old value / formula
    attrs = {k: v for k, v in attributes(m.group(2)).items() if k not in drop}
    f, ext = FORMULA_EL.search(m.group(3) or ""), EXTLST_EL.search(m.group(3) or "")
    t, content = cell_content(value, sheet.p, cached, where)
    if t:
        attrs["t"] = t
    if cached:
        content = (f.group(0) if f else "") + content + (ext.group(0) if ext else "")
    cell[2] = tag(sheet.p, "c", attrs, content)
    if cached or not f:
        return None
    sheet.formula_removed = True
    fa = attributes(f.group(2))
    if attribute(fa, "t") == "shared" and "ref" in fa and f.group(3):
        return {
            "si": attribute(fa, "si"),
            "ref": attribute(fa, "ref"),
            "text": unescape(f.group(3)),
            "at": attribute(attrs, "r"),
        }
    return None


def _unshare(sheet: SheetRows, master: dict) -> None:
    """A constant replaced a shared formula's master, the only cell holding its text: give each
    remaining child its own formula, translated from the master's, so it computes the same.

    openpyxl's Translator is imported here: importing it imports all of openpyxl, which a run
    that unshares nothing does not need."""
    from openpyxl.formula.translate import Translator, TranslatorError

    for num, col in ref_range(master["ref"], sheet.where).cells():
        f = FORMULA_EL.search(cell[2]) if (cell := sheet.find(num, col)) else None  # cells given a constant have none
        fa = attributes(f.group(2)) if f else {}
        if not f or attribute(fa, "t") != "shared" or attribute(fa, "si") != master["si"]:
            continue
        ref = a1(col, num)
        try:
            text = Translator("=" + master["text"], master["at"]).translate_formula(ref)[1:]
        except TranslatorError as exc:
            raise WorkbookError(f"{sheet.where}: cannot unshare the formula at {ref} ({exc})") from None
        sheet.cell(num, col)[2] = splice(cell[2], f, f"<{sheet.p}f>{escape(text)}</{sheet.p}f>")


_ARRAY_WORD = re.compile(r"array[\"']")


def _arrays(xml: str, start: int, end: int, where: str) -> list[Range]:
    """The ranges of the array formulas in xml[start:end], found by the word ``array`` (rare) rather
    than by parsing every <f> (a million of them in a large lesson)."""
    arrays = []
    for word in _ARRAY_WORD.finditer(xml, start, end):
        f = FORMULA_EL.match(xml, xml.rfind("<", start, word.start()))
        if f and f.start(2) <= word.start() < f.end(2):
            if attribute(attrs := attributes(f.group(2)), "t") == "array" and (ref := attribute(attrs, "ref")):
                arrays.append(ref_range(ref, where))
    return arrays


@dataclass(frozen=True)
class RowBlock:
    """Rows of constants written into a rectangle from its top-left cell, one row at a time (the
    epoch log): row ``i`` (0 to count - 1) holds ``row_at(i)``, ``width`` values from ``first_col``
    (None leaves a cell empty, :data:`REMOVE` deletes it). Rows below the sheet's last row are
    rendered straight into the output as they are read, so neither the rows nor their cells are
    ever held in memory together. ``rows_from(i)``, when given, yields rows ``i``.. in order, as
    ``row_at`` would: appending a long log reads its rows that way, without a call a row."""

    first_row: int
    first_col: int
    width: int
    count: int
    row_at: Callable[[int], Sequence[CellValue]]
    rows_from: Callable[[int], Iterator[Sequence[CellValue]]] | None = None


class NumberTexts(tuple):
    """A row's values as finite numbers already formatted (their texts, or whole numbers as int),
    written as they are, unchecked: the epoch log's, formatted once for the file and a run's
    JSON alike (see ``EpochRecords.text_rows``)."""

    __slots__ = ()


def template_function(parts: Sequence[str | int], arity: int) -> Callable[..., str]:
    """A function of ``arity`` values returning ``parts`` joined, each int part replaced by the
    argument of that index (as ``format`` writes it: a float as ``repr``). It is one compiled
    f-string, the fastest way CPython joins pieces: a log row or a JSON record a call. The text
    parts enter the source through ``repr``, so any text stays text."""
    names = [f"a{i}" for i in range(arity)]
    body = " ".join(repr(part) if isinstance(part, str) else f"f'{{a{int(part)}}}'" for part in parts) or "''"
    namespace: dict[str, object] = {}
    exec(compile(f"def _fill({', '.join(names)}):\n    return {body}\n", "<gdsheet template>", "exec"), namespace)
    return namespace["_fill"]  # type: ignore[return-value]


_ROWS_PER_CHUNK = 4096


@dataclass(frozen=True)
class Tail:
    """The rows of a sheet below every edit and every formula, split off to be copied as they are:
    their bytes (a view: never decoded, never copied), the last one's number, and the styles of
    its cells by column."""

    data: memoryview
    last_row: int
    styles: dict[int, str]


def _as_bytes(pattern: re.Pattern[str]) -> re.Pattern[bytes]:
    return re.compile(pattern.pattern.encode())


_B_SHEETDATA_OPEN, _B_SHEETDATA_CLOSE = _as_bytes(_SHEETDATA_OPEN), _as_bytes(_SHEETDATA_CLOSE)
_B_ROW_OPEN, _B_ROW_CLOSE, _B_ROW_NUM = _as_bytes(_ROW_OPEN), _as_bytes(_ROW_CLOSE), _as_bytes(ROW_NUM)


def split_tail(data: bytes, where: str, through: int) -> tuple[str, Tail] | None:
    """The sheet's text without its rows numbered above ``through``, and those rows (None when
    there are none, or the last one does not say its number). Only the rows up to ``through``
    are scanned and decoded, so a save that appends to a long log neither walks nor copies it."""
    m = _B_SHEETDATA_OPEN.search(data)
    close = _B_SHEETDATA_CLOSE.search(data, m.end()) if m and not m.group(3) else None
    if close is None:
        return None
    body_start, body_end, p = m.end(), close.start(), (m.group(1) or b"")
    num, cut = 0, None
    for r in _B_ROW_OPEN.finditer(data, body_start, body_end):
        n = _B_ROW_NUM.match(data, *r.span(1))
        num = int(n.group(1)) if n else int(attribute(attributes(r.group(1).decode()), "r") or num + 1)
        if num > through:
            cut = r.start()
            break
    if cut is None:
        return None
    last = data.rfind(b"<" + (p + b":" if p else b"") + b"row", cut, body_end)
    tag = _B_ROW_OPEN.match(data, last)
    number = _B_ROW_NUM.match(data, *tag.span(1)) if tag else None
    if number is None:
        return None
    end = _B_ROW_CLOSE.search(data, tag.end(), body_end) if not tag.group(2) else None
    last_row = data[tag.end() : end.start() if end else tag.end()].decode("utf-8")
    styles = {}
    for c in CELL_EL.finditer(last_row):
        cell_attrs = attributes(c.group(2))
        if (ref := attribute(cell_attrs, "r")) and "s" in cell_attrs:
            styles[cell_ref(ref, where)[1]] = cell_attrs["s"]
    head = (data[:cut] + data[body_end:]).decode("utf-8")
    return head, Tail(memoryview(data)[cut:body_end], int(number.group(1)), styles)


def _appended_rows(
    sheet: SheetRows, block: RowBlock, start: int, where: str, styles: dict[int, str] | None = None
) -> Iterator[str]:
    """Rows ``start``.. of ``block`` as XML text, in chunks; each column keeps the style of its
    nearest cell above (``styles``, the split-off tail's last row, else looked up once), as
    :meth:`SheetRows.cell` does for one new cell.

    A row of finite numbers (the epoch log's) is one template filled in; any other row is built
    cell by cell. Python writes a whole float as ``4.0``: ``.0</v>`` is cut from each chunk, as a
    ``<v>`` here holds a number or a boolean only (text is inline, ``<is><t>``)."""
    p, first = sheet.p, block.first_row + start
    columns = []
    for j in range(block.width):
        col = block.first_col + j
        style = styles[col] if styles and col in styles else sheet.style_above(first, col)
        columns.append((f'<{p}c r="{column_letters(col)}', f" s={style}" if style else "", col))
    parts: list[str | int] = [f'<{p}row r="', 0, '">']
    for j, (head, style, _) in enumerate(columns):
        parts += [head, 0, f'"{style}><{p}v>', j + 1, f"</{p}v></{p}c>"]
    fill = template_function([*parts, f"</{p}row>"], block.width + 1)
    numbers = {float, int}
    pieces: list[str] = []
    rows = block.rows_from(start) if block.rows_from is not None else map(block.row_at, range(start, block.count))
    for num, values in zip(range(block.first_row + start, block.first_row + block.count), rows, strict=True):
        if type(values) is NumberTexts or (set(map(type, values)) <= numbers and math.isfinite(sum(values))):
            pieces.append(fill(num, *values))
        else:
            cells = []
            for (head, style, col), value in zip(columns, values, strict=True):
                if value is None or value is REMOVE:
                    continue
                t, content = cell_content(value, p, False, f"{where}, cell {a1(col, num)}")
                cells.append(f'{head}{num}"{style}{f" t={t}" if t else ""}>{content}</{p}c>')
            if cells:
                pieces.append(f'<{p}row r="{num}">{"".join(cells)}</{p}row>')
        if len(pieces) >= _ROWS_PER_CHUNK:
            yield "".join(pieces).replace(f".0</{p}v>", f"</{p}v>")
            pieces.clear()
    if pieces:
        yield "".join(pieces).replace(f".0</{p}v>", f"</{p}v>")


def patch_sheet(
    xml: str,
    edits: dict[tuple[int, int], tuple[bool, CellValue]],
    where: str,
    block: RowBlock | None = None,
    tail: Tail | None = None,
) -> tuple[list[str | memoryview | Iterator[str]], bool]:
    """The sheet with a few cells changed and ``block``'s rows written, as pieces of text (see
    :meth:`SheetRows.render`), and whether a formula was removed (calcChain is then stale).

    The block's rows that fall among the sheet's rows are ordinary edits; the rest, below the
    sheet's last row, are rendered as the output is written. ``tail``: rows :func:`split_tail`
    took out of ``xml``, put back untouched before the block's new rows."""
    sheet = SheetRows(xml, where)
    # only an array formula's first cell has <f>; the others are its results all the same
    arrays = _arrays(xml, sheet.data.body_start, sheet.data.body_end, where)
    masters: list[dict] = []
    for (num, col), (cached, value) in sorted(edits.items()):
        _edit(sheet, arrays, num, col, cached, value, where, masters)
    pieces: list[str | memoryview | Iterator[str]] = [tail.data] if tail is not None else []
    if block is not None:
        last = tail.last_row if tail is not None else (sheet.nums[-1] if sheet.nums else 0)
        start = next((i for i in range(block.count) if block.first_row + i > last), block.count)
        if tail is not None and start:
            raise WorkbookError(f"{where}: internal: rows {block.first_row}.. fall inside the rows split off")
        for i in range(start):
            for j, value in enumerate(block.row_at(i)):
                _edit(sheet, arrays, block.first_row + i, block.first_col + j, False, value, where, masters)
        if start < block.count:
            last_row, last_col = block.first_row + block.count - 1, block.first_col + block.width - 1
            sheet.created += [(block.first_row + start, block.first_col), (last_row, last_col)]
            pieces.append(_appended_rows(sheet, block, start, where, tail.styles if tail else None))
    for master in masters:
        _unshare(sheet, master)
    return sheet.render(pieces), sheet.formula_removed


def _edit(sheet: SheetRows, arrays: list[Range], num: int, col: int, cached: bool, value: CellValue | Remove,
          where: str, masters: list[dict]) -> None:  # fmt: skip
    """One cell's constant or cached result (or its removal), checked against what the cell holds."""
    here = f"{where}, cell {a1(col, num)}"
    in_array = any((num, col) in area for area in arrays)
    old = sheet.find(num, col)
    has_f = bool(old and FORMULA_EL.search(old[2]))
    if cached and not (has_f or in_array):
        raise WorkbookError(f"{here}: cached value given but the cell has no formula")
    if not cached and in_array and not has_f:
        raise WorkbookError(f"{here}: cannot overwrite part of an array formula")
    if value is REMOVE:
        if cached:
            raise WorkbookError(f"{here}: REMOVE is for values, not cached results")
        sheet.remove(num, col)
        return
    if old is None and value is None:
        return  # nothing to clear
    if master := _write(sheet, sheet.cell(num, col), value, cached, here):
        masters.append(master)
