"""Change a few cells of an existing .xlsx/.xlsm without disturbing anything else in it.

openpyxl's load/save round trip drops charts and images, and re-serialising a part with
ElementTree renames namespace prefixes and loses the declarations that ``mc:Ignorable`` names,
which makes Excel report the file as corrupt. So this module splices the XML *text* of the few
parts it must change (the touched worksheets, the workbook part, and the calcChain bookkeeping
when a formula gives way to a constant) and copies every other zip member unchanged, in order.
ElementTree only reads (to find the parts); expat checks that what we wrote is well-formed.

A workbook is hostile input: members are read through :mod:`gdsheet.xlsx.archive` (bounded sizes),
XML is parsed by defusedxml (no entity expansion, no external entities), a part that declares
entities is refused, and a DOCTYPE is never written back into a part we rewrite.
"""

from __future__ import annotations

import bisect
import functools
import math
import numbers
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from xml.etree.ElementTree import Element
from xml.parsers import expat
from xml.sax.saxutils import escape, unescape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from openpyxl.formula.translate import Translator, TranslatorError

from gdsheet.errors import WorkbookError
from gdsheet.limits import EXCEL_COLUMNS
from gdsheet.xlsx.archive import open_archive, read_member
from gdsheet.xlsx.atomic import atomic_output
from gdsheet.xlsx.ranges import Range, RangeError, a1, column_index, parse_cell, split_range

CellValue = float | int | str | bool | None

_ERRORS = frozenset("#NULL! #DIV/0! #VALUE! #REF! #NAME? #NUM! #N/A #GETTING_DATA #SPILL! #CALC! #FIELD!".split())
_CORRUPT = (zipfile.BadZipFile, zlib.error, KeyError, EOFError, NotImplementedError, ValueError, SyntaxError)
_ATTRS = r"(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*"  # quoted pairs: a '>' in a value can't end the tag
_ATTR = re.compile(r"([\w:.-]+)\s*=\s*(\"[^\"]*\"|'[^']*')")


def _elem(name: str) -> re.Pattern[str]:
    """A whole element in any prefix: group 1 prefix, 2 attributes, 3 content (None if self-closing)."""
    return re.compile(rf"<(?:(\w+):)?{name}({_ATTRS})\s*(?:/>|>(.*?)</(?:\w+:)?{name}\s*>)", re.S)


_SHEETDATA, _ROW, _C, _F, _EXTLST, _DIM = map(_elem, ("sheetData", "row", "c", "f", "extLst", "dimension"))
_CALCPR, _DEFNAME, _REL, _OVERRIDE = map(_elem, ("calcPr", "definedName", "Relationship", "Override"))
_AFTER_CALCPR = re.compile(  # CT_Workbook's elements that follow calcPr, in schema order
    r"<(?:\w+:)?(?:oleSize|customWorkbookViews|pivotCaches|smartTagPr|smartTagTypes|webPublishing|"
    r"fileRecoveryPr|webPublishObjects|extLst)\b|</(?:\w+:)?workbook\s*>"
)


def _attrs(text: str) -> dict[str, str]:
    """Attribute name -> raw quoted value, in document order, so a rewritten tag keeps both."""
    return {m.group(1): m.group(2) for m in _ATTR.finditer(text)}


def _get(attrs: dict[str, str], name: str) -> str | None:
    raw = attrs.get(name)
    return None if raw is None else unescape(raw[1:-1], {"&quot;": '"', "&apos;": "'"})


def _tag(p: str, name: str, attrs: dict[str, str], content: str) -> str:
    head = f"<{p}{name}" + "".join(f" {k}={v}" for k, v in attrs.items())
    return f"{head}>{content}</{p}{name}>" if content else f"{head}/>"


def _splice(text: str, m: re.Match[str], new: str) -> str:
    return text[: m.start()] + new + text[m.end() :]


def _prefix(m: re.Match[str]) -> str:
    return f"{m.group(1)}:" if m.group(1) else ""


def _xstr(text: str) -> str:
    """Escape an OOXML string: ``_xHHHH_`` for characters XML 1.0 cannot hold (and for a literal
    ``_xHHHH_``, which Excel would otherwise decode), then the XML entities."""
    text = re.sub(r"_(?=x[0-9A-Fa-f]{4}_)", "_x005F_", text)
    text = re.sub(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]", lambda m: f"_x{ord(m.group()):04X}_", text)
    return escape(text)


def _number(value: float | int, where: str) -> str:
    if isinstance(value, numbers.Integral):  # numpy's integers too
        return str(int(value))
    if not math.isfinite(value):
        raise WorkbookError(f"{where}: cannot store the non-finite number {value!r}")
    return repr(float(value))  # the shortest text that reads back as the same double


def _parse_ref(ref: str, where: str) -> tuple[int, int]:
    """(row, column) of a cell's own A1 reference (no ``$``) within Excel's grid."""
    try:
        return parse_cell(ref, dollars=False)
    except RangeError as exc:
        raise WorkbookError(f"{where}: {exc}") from None


def _range(ref: str, where: str) -> Range:
    """The rectangle of a ``ref=`` attribute (a dimension, an array or shared formula's span)."""
    try:
        return split_range(ref)[1]
    except RangeError as exc:
        raise WorkbookError(f"{where}: {exc}") from None


def _resolve(part: str, target: str) -> str:
    """A relationship target as a zip member name: absolute (``/xl/..``) or relative to ``part``."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


_DOCTYPE = re.compile(r"<!DOCTYPE\b(?:[^\[>\"']|\"[^\"]*\"|'[^']*')*(?:\[.*?\]\s*)?>", re.S)


def _tree(zin: zipfile.ZipFile, name: str) -> Element:
    """A part parsed without entity expansion or external entities (defusedxml)."""
    try:
        return fromstring(read_member(zin, name))
    except DefusedXmlException as exc:
        raise WorkbookError(f"{zin.filename}: refused: {name} declares XML entities ({exc})") from None


def _text(zin: zipfile.ZipFile, name: str) -> str:
    """A part's XML text to rewrite: refused if it declares entities, its DOCTYPE (if any) dropped,
    so nothing we save can expand or fetch an entity."""
    text = read_member(zin, name).decode("utf-8")
    m = _DOCTYPE.search(text)
    if m and not re.search(r"<[A-Za-z_]", text[: m.start()]):  # in the prolog, before the root element
        if "<!ENTITY" in m.group(0):
            raise WorkbookError(f"{zin.filename}: refused: {name} declares XML entities")
        text = _splice(text, m, "")
    return text


def _rels(zin: zipfile.ZipFile, part: str) -> tuple[str, list[dict[str, str]]]:
    """The .rels member of ``part`` and its relationships (Id, Type, Target)."""
    name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    return name, [dict(el.attrib) for el in _tree(zin, name) if el.tag.endswith("Relationship")]


def _parts(zin: zipfile.ZipFile) -> tuple[str, dict[str, str]]:
    """The workbook part (found through _rels/.rels) and sheet name -> worksheet part."""
    book = next((r["Target"] for r in _rels(zin, "")[1] if r.get("Type", "").endswith("/officeDocument")), None)
    if book is None:
        raise KeyError("_rels/.rels names no workbook")
    book = _resolve("", book)
    targets = {r["Id"]: _resolve(book, r["Target"]) for r in _rels(zin, book)[1]}
    sheets = {}
    for el in _tree(zin, book).iter():
        if el.tag.endswith("}sheet"):
            sheets[el.attrib["name"]] = targets[next((v for k, v in el.attrib.items() if k.endswith("}id")), "")]
    return book, sheets


def _open(path: Path) -> zipfile.ZipFile:
    return open_archive(path)


def sheet_xml_paths(path: str | Path) -> dict[str, str]:
    """Sheet name -> zip member of its XML, in workbook order, so callers can validate sheet names."""
    with _open(Path(path)) as zin:
        try:
            return _parts(zin)[1]
        except _CORRUPT as exc:
            raise WorkbookError(f"{path}: corrupt workbook ({type(exc).__name__}: {exc})") from None


class _Remove:
    """The type of :data:`REMOVE`."""

    def __repr__(self) -> str:
        return "REMOVE"


REMOVE = _Remove()
"""A ``values`` entry that deletes the cell element itself (value and style), e.g. a log row
that a reset takes away, so the sheet is as it was before the row was added."""


_SHEETDATA_OPEN = re.compile(rf"<(?:(\w+):)?sheetData({_ATTRS})\s*(/?)>")
_SHEETDATA_CLOSE = re.compile(r"</(?:\w+:)?sheetData\s*>")
_ROW_OPEN = re.compile(rf"<(?:\w+:)?row({_ATTRS})\s*(/?)>")
_ROW_CLOSE = re.compile(r"</(?:\w+:)?row\s*>")


class _SheetData:
    """Where ``<sheetData>`` is in a sheet's XML: found by its two tags, as a lazy ``.*?`` over a
    100 MB sheet costs a second."""

    def __init__(self, xml: str, where: str) -> None:
        m = _SHEETDATA_OPEN.search(xml)
        close = _SHEETDATA_CLOSE.search(xml, m.end()) if m and not m.group(3) else None
        if m is None or (not m.group(3) and close is None):
            raise WorkbookError(f"{where}: not a worksheet (no <sheetData>)")
        self.p, self.attrs, self.start = _prefix(m), m.group(2), m.start()
        self.empty = bool(m.group(3))  # self-closing
        self.body_start, self.body_end = (m.end(), m.end()) if close is None else (m.end(), close.start())
        self.end = m.end() if close is None else close.end()


class _Sheet:
    """A worksheet's ``<sheetData>`` as rows that can be edited in place.

    Only the row start tags are indexed; a row's end and its cells are found when an edit or a
    style lookup needs them, and untouched stretches are written back as slices of the original
    text, so a few edits in a sheet of a million cells cost little more than one scan."""

    def __init__(self, xml: str, where: str) -> None:
        self.xml, self.where, self.data = xml, where, _SheetData(xml, where)
        self.p = self.data.p
        self.nums: list[int] = []
        self.rows: list[dict] = []  # start, open_end, closed, attrs span; num, attrs, end, cells, rest, dirty
        self.created: list[tuple[int, int]] = []
        self.formula_removed = False
        num = 0
        for r in _ROW_OPEN.finditer(xml, self.data.body_start, self.data.body_end):
            row = {"start": r.start(), "open_end": r.end(), "closed": bool(r.group(2)), "span": r.span(1)}
            if m := _ROW_NUM.match(xml, *r.span(1)):
                num = int(m.group(1))
            else:
                row["attrs"] = attrs = _attrs(r.group(1))
                num = int(_get(attrs, "r") or num + 1)
                # a row without r= is numbered by its position, which an inserted row would shift: write r= out
                row["dirty"] = "r" not in attrs
                attrs.setdefault("r", f'"{num}"')
            row["num"] = num
            self.nums.append(num)
            self.rows.append(row)

    def _attrs_of(self, row: dict) -> dict[str, str]:
        if "attrs" not in row:
            row["attrs"] = _attrs(self.xml[slice(*row["span"])])
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
            for c in _C.finditer(body):
                ref = _get(_attrs(c.group(2)), "r")
                col = _parse_ref(ref, self.where)[1] if ref else col + 1
                text, head = c.group(0), f"<{_prefix(c)}c"
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
        """The style of the nearest cell above, so a table growing downward keeps its number formats."""
        for row in reversed(self.rows[: bisect.bisect_left(self.nums, num)]):
            if c := next((c for c in self.cells(row) if c[0] == col), None):
                return _attrs(_C.match(c[2]).group(2)).get("s")
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
            cells.insert(j, [col, "", _tag(self.p, "c", attrs, "")])
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
                if _F.search(c[2]):
                    raise WorkbookError(f"{self.where}: will not remove the formula cell {a1(col, num)}")
                del cells[j]
                self.rows[i]["dirty"] = True
                return

    def _render_row(self, row: dict) -> str:
        """A rewritten row: spans would be stale, and it is optional, so it goes."""
        attrs = {k: v for k, v in self._attrs_of(row).items() if k != "spans"}
        body = "".join(g + t for _, g, t in self.cells(row)) + row["rest"]
        return _tag(self.p, "row", attrs, body)

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
        if self.created and (d := _DIM.search(head)) and (ref := _get(_attrs(d.group(2)), "ref")):
            old = _range(ref, self.where)
            rows, cols = zip((old.min_row, old.min_col), (old.max_row, old.max_col), *self.created, strict=False)
            new = Range("", min(rows), min(cols), max(rows), max(cols)).ref()
            head = _splice(head, d, _tag(_prefix(d), "dimension", _attrs(d.group(2)) | {"ref": f'"{new}"'}, ""))
        return head

    def render(self) -> str:
        data, body = self.data, self._body_parts()
        if data.empty and not self.rows:
            return self._head() + self.xml[data.start :]
        if data.empty:
            open_tag = f"<{self.p}sheetData" + "".join(f" {k}={v}" for k, v in _attrs(data.attrs).items()) + ">"
            close_tag = f"</{self.p}sheetData>"
            return "".join([self._head(), open_tag, *body, close_tag, self.xml[data.end :]])
        return "".join([self._head(), self.xml[data.start : data.body_start], *body, self.xml[data.body_end :]])


def _content(value: CellValue, p: str, cached: bool, where: str) -> tuple[str | None, str]:
    """The raw ``t`` attribute (None: number or empty) and the XML that holds ``value``.
    A new constant string is inline, so sharedStrings.xml (and its counts) stays untouched."""
    if isinstance(value, bool):
        return '"b"', f"<{p}v>{int(value)}</{p}v>"
    if isinstance(value, str) and not cached:
        return '"inlineStr"', f'<{p}is><{p}t xml:space="preserve">{_xstr(value)}</{p}t></{p}is>'
    if isinstance(value, str):
        return '"e"' if value in _ERRORS else '"str"', f"<{p}v>{_xstr(value)}</{p}v>"
    return None, "" if value is None else f"<{p}v>{_number(value, where)}</{p}v>"


def _write(sheet: _Sheet, cell: list, value: CellValue, cached: bool, where: str) -> dict | None:
    """Put a constant, or a formula's cached result (its <f> kept byte for byte), into ``cell``.
    Returns the shared formula whose master a constant replaced: its children need the text."""
    m = _C.match(cell[2])
    drop = ("t", "vm") if cached else ("t", "vm", "cm")  # vm/cm: metadata of the old value / formula
    attrs = {k: v for k, v in _attrs(m.group(2)).items() if k not in drop}
    f, ext = _F.search(m.group(3) or ""), _EXTLST.search(m.group(3) or "")
    t, content = _content(value, sheet.p, cached, where)
    if t:
        attrs["t"] = t
    if cached:
        content = (f.group(0) if f else "") + content + (ext.group(0) if ext else "")
    cell[2] = _tag(sheet.p, "c", attrs, content)
    if cached or not f:
        return None
    sheet.formula_removed = True
    fa = _attrs(f.group(2))
    if _get(fa, "t") == "shared" and "ref" in fa and f.group(3):
        return {"si": _get(fa, "si"), "ref": _get(fa, "ref"), "text": unescape(f.group(3)), "at": _get(attrs, "r")}
    return None


def _unshare(sheet: _Sheet, master: dict) -> None:
    """A constant replaced a shared formula's master, the only cell holding its text: give each
    remaining child its own formula, translated from the master's, so it computes the same."""
    for num, col in _range(master["ref"], sheet.where).cells():
        f = _F.search(cell[2]) if (cell := sheet.find(num, col)) else None  # cells given a constant have none
        fa = _attrs(f.group(2)) if f else {}
        if not f or _get(fa, "t") != "shared" or _get(fa, "si") != master["si"]:
            continue
        ref = a1(col, num)
        try:
            text = Translator("=" + master["text"], master["at"]).translate_formula(ref)[1:]
        except TranslatorError as exc:
            raise WorkbookError(f"{sheet.where}: cannot unshare the formula at {ref} ({exc})") from None
        sheet.cell(num, col)[2] = _splice(cell[2], f, f"<{sheet.p}f>{escape(text)}</{sheet.p}f>")


class _Missing:
    """The type of :data:`MISSING`."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
"""What a ``cached_at`` reader returns for a formula cell whose cached result should stay as it is."""

ValueAt = Callable[[int, int], object]
"""A sheet's reader of new cached results: (row, column) -> value, or :data:`MISSING`."""

_BEFORE_R = r"(?:\s+(?!r\s*=)[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s+r\s*=\s*"
_ROW_NUM = re.compile(_BEFORE_R + r"[\"']([0-9]{1,7})[\"']")  # matched at the start of a tag's attributes
_CELL_COL = re.compile(_BEFORE_R + r"[\"']([A-Za-z]{1,3})[0-9]{1,7}[\"']")
_CELL_BODY = r"[^<]*(?:<(?!/(?:\w+:)?c\s*>)[^<]*)*"  # up to </c>, without the per-character cost of .*?
_NO_T_OR_VM = r"(?:\s+(?!(?:t|vm)\s*=)[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*"
_TOKEN = re.compile(
    # 1-5, the shape of nearly every formula cell: r= first, no t= or vm=, <f>, at most an empty or plain <v>
    rf"<(?:(\w+):)?c\s+r\s*=\s*[\"'](([A-Za-z]{{1,3}})[0-9]{{1,7}})[\"']{_NO_T_OR_VM}\s*>"
    rf"(\s*<(?:\w+:)?f({_ATTRS})\s*(?:/>|>[^<]*</(?:\w+:)?f\s*>))"
    rf"(?:\s*<(?:\w+:)?v\s*/>|\s*<(?:\w+:)?v\s*>[^<]*</(?:\w+:)?v\s*>)?\s*</(?:\w+:)?c\s*>"
    # 6-9, any row start or cell
    rf"|<(?:(\w+):)?(?:row({_ATTRS})\s*/?>|c({_ATTRS})\s*(?:/>|>({_CELL_BODY})</(?:\w+:)?c\s*>))"
)
_CHUNK = 8192  # pieces joined into one string at a time, so a million cells never sit in one list


@functools.lru_cache(maxsize=4096)
def _column(letters: str) -> int | None:
    """Column number of ``letters``, None beyond XFD (the slow path then names the bad reference)."""
    col = column_index(letters)
    return col if col <= EXCEL_COLUMNS else None


class _CachedPass:
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
        r = _ROW_NUM.match(self.xml, *m.span(7))
        if r is None:
            ref = _get(_attrs(m.group(7)), "r")
            self.row = int(ref) if ref else self.row + 1
        else:
            self.row = int(r.group(1))
        self.col, self.pending = 0, None

    def _own_column(self, start: int, end: int) -> int | None:
        """The column named by the r= among the attributes xml[start:end], None without one."""
        m = _CELL_COL.match(self.xml, start, end)
        if m is not None and (col := _column(m.group(1))) is not None:
            return col
        ref = _get(_attrs(self.xml[start:end]), "r")
        return _parse_ref(ref, self.where)[1] if ref else None

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
        if _CELL_COL.match(self.xml, *span):
            self.pending = span
        else:
            self._resolve(span)

    def _formula(self, m: re.Match[str]) -> None:
        """A formula cell in the common shape (groups 1-5 of :data:`_TOKEN`)."""
        col = _column(m.group(3))
        if col is None:
            _parse_ref(m.group(2), self.where)  # raises: beyond XFD
        self.col, self.pending = col, None
        if m.start(5) != m.end(5):
            self._note_array(m.group(5))
        self._ask(m, m.end(4))

    def _cell(self, m: re.Match[str]) -> None:
        """Any other cell (groups 8-9): a constant, an array formula's member, or a formula in an
        unusual shape."""
        body, body_end = m.start(9), m.end(9)
        f = _F.search(self.xml, body, body_end) if body >= 0 else None
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
        if "array" in f_attrs and _get(attrs := _attrs(f_attrs), "t") == "array" and (ref := _get(attrs, "ref")):
            self.arrays.append(_range(ref, self.where))

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
            self._emit(self.xml[self.last : f_end] + f"<{p}v>{value!r}</{p}v></{p}c>", m.end())
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
    m = _C.match(text)
    attrs = {k: v for k, v in _attrs(m.group(2)).items() if k not in ("t", "vm")}
    f, ext = _F.search(m.group(3) or ""), _EXTLST.search(m.group(3) or "")
    t, content = _content(value, _prefix(m), True, where)
    if t:
        attrs["t"] = t
    return _tag(_prefix(m), "c", attrs, (f.group(0) if f else "") + content + (ext.group(0) if ext else ""))


_ARRAY_WORD = re.compile(r"array[\"']")


def _arrays(xml: str, start: int, end: int, where: str) -> list[Range]:
    """The ranges of the array formulas in xml[start:end], found by the word ``array`` (rare) rather
    than by parsing every <f> (a million of them in a large lesson)."""
    arrays = []
    for word in _ARRAY_WORD.finditer(xml, start, end):
        f = _F.match(xml, xml.rfind("<", start, word.start()))
        if f and f.start(2) <= word.start() < f.end(2):
            if _get(attrs := _attrs(f.group(2)), "t") == "array" and (ref := _get(attrs, "ref")):
                arrays.append(_range(ref, where))
    return arrays


def _patch_sheet(xml: str, edits: dict[tuple[int, int], tuple[bool, CellValue]], where: str) -> tuple[str, bool]:
    """The sheet with a few cells changed, and whether a formula was removed (calcChain is then stale)."""
    sheet = _Sheet(xml, where)
    # only an array formula's first cell has <f>; the others are its results all the same
    arrays = _arrays(xml, sheet.data.body_start, sheet.data.body_end, where)
    masters = []
    for (num, col), (cached, value) in sorted(edits.items()):
        here = f"{where}, cell {a1(col, num)}"
        in_array = any((num, col) in area for area in arrays)
        old = sheet.find(num, col)
        has_f = bool(old and _F.search(old[2]))
        if cached and not (has_f or in_array):
            raise WorkbookError(f"{here}: cached value given but the cell has no formula")
        if not cached and in_array and not has_f:
            raise WorkbookError(f"{here}: cannot overwrite part of an array formula")
        if value is REMOVE:
            if cached:
                raise WorkbookError(f"{here}: REMOVE is for values, not cached results")
            sheet.remove(num, col)
            continue
        if old is None and value is None:
            continue  # nothing to clear
        if master := _write(sheet, sheet.cell(num, col), value, cached, here):
            masters.append(master)
    for master in masters:
        _unshare(sheet, master)
    return sheet.render(), sheet.formula_removed


_CHART_PART = re.compile(r"xl/charts/[^/]+\.xml")


def _patch_workbook_xml(xml: str, names: Mapping[str, str], full_calc: bool, where: str) -> str:
    for name, refers_to in names.items():
        for m in _DEFNAME.finditer(xml):  # names are case-insensitive; sheet-level ones have localSheetId
            attrs = _attrs(m.group(2))
            if "localSheetId" not in attrs and (_get(attrs, "name") or "").casefold() == name.casefold():
                xml = _splice(xml, m, _tag(_prefix(m), "definedName", attrs, escape(refers_to)))
                break
        else:
            raise WorkbookError(f"{where}: no workbook-level defined name {name!r}")
    if full_calc and (m := _CALCPR.search(xml)):
        attrs = _attrs(m.group(2)) | {"fullCalcOnLoad": '"1"'}
        xml = _splice(xml, m, _tag(_prefix(m), "calcPr", attrs, m.group(3) or ""))
    elif full_calc:
        sheets = re.search(r"</(?:\w+:)?sheets\s*>", xml)
        at = _AFTER_CALCPR.search(xml, sheets.end() if sheets else 0)
        if at is None:
            raise WorkbookError(f"{where}: corrupt workbook (no </workbook>)")
        p = re.match(r"</?(\w+:)?", at.group(0)).group(1) or ""
        xml = xml[: at.start()] + f'<{p}calcPr fullCalcOnLoad="1"/>' + xml[at.start() :]
    return xml


def _drop_calc_chain(zin: zipfile.ZipFile, book: str, changed: dict[str, str]) -> str | None:
    """Unlink the calcChain part (Excel rebuilds it, but calls a chain naming a constant cell corrupt);
    return its member name so the copy leaves it out."""
    rels_name, rels = _rels(zin, book)
    rel = next((r for r in rels if r.get("Type", "").endswith("/calcChain")), None)
    if rel is None:
        return None
    part, text = _resolve(book, rel["Target"]), _text(zin, rels_name)
    for m in _REL.finditer(text):
        if _get(_attrs(m.group(2)), "Id") == rel["Id"]:
            changed[rels_name] = _splice(text, m, "")
    types = _text(zin, "[Content_Types].xml")
    for m in reversed(list(_OVERRIDE.finditer(types))):
        if (_get(_attrs(m.group(2)), "PartName") or "").lstrip("/") == part:
            types = _splice(types, m, "")
    changed["[Content_Types].xml"] = types
    return part


def patch_workbook(
    src: str | Path,
    dst: str | Path,
    *,
    values: Mapping[tuple[str, str], CellValue] = {},
    cached: Mapping[tuple[str, str], CellValue] = {},
    cached_at: Mapping[str, ValueAt] = {},
    names: Mapping[str, str] = {},
    full_calc_on_load: bool = True,
    chart_edit: Callable[[str], str] | None = None,
) -> None:
    """Write ``src`` to ``dst`` with the given constants, cached formula results and defined names.

    ``values``: (sheet, "B12") -> constant (None clears it, keeping the style; a formula there is
    replaced). ``cached``: (sheet, "C7") -> new cached result of a formula cell, whose <f> is kept.
    ``cached_at``: sheet -> ``value_at(row, column)``, for results of many cells without a map of
    them: it is asked once for each formula cell (and each cell of an array formula's range) not
    given in ``values``, in document order, and returns the new cached result or :data:`MISSING`.
    ``names``: workbook-level defined name -> new refersTo text. ``full_calc_on_load`` makes Excel
    recalculate on open. ``chart_edit`` rewrites each chart part's XML text (the runner grows the
    epoch log's chart ranges with it). Every other member keeps its content, name, order and compression; the
    write is atomic, so on any error dst is as it was. Raises :class:`WorkbookError` (one line)."""
    src, dst = Path(src), Path(dst)
    edits: dict[str, dict[tuple[int, int], tuple[bool, CellValue]]] = {sheet: {} for sheet in cached_at}
    for is_cached, mapping in ((False, values), (True, cached)):
        for (sheet, ref), value in mapping.items():
            key = _parse_ref(ref, f"{src}: sheet {sheet!r}")
            if not isinstance(value, numbers.Real | str | None | _Remove):  # numbers.Real: numpy's numbers too
                raise WorkbookError(f"{src}: unsupported value {value!r} for {sheet}!{ref}")
            if key in edits.setdefault(sheet, {}):
                raise WorkbookError(f"{src}: cell {sheet}!{ref} is given more than once")
            edits[sheet][key] = (is_cached, value)
    with atomic_output(dst, error=WorkbookError, mode_from=src) as tmp, _open(src) as zin:
        try:
            changed, dropped = _patched_parts(zin, src, edits, cached_at, names, full_calc_on_load, chart_edit)
            _write_archive(zin, tmp, changed, dropped)
        except _CORRUPT as exc:
            raise WorkbookError(f"{src}: corrupt workbook ({type(exc).__name__}: {exc})") from None


def _reader(given: dict[tuple[int, int], CellValue], value_at: ValueAt | None) -> ValueAt | None:
    """One reader for the cached results given by cell and by ``cached_at``; a cell given is
    taken out of ``given``, so what is left there afterwards found no formula cell."""
    if not given:
        return value_at
    if value_at is None:
        return lambda row, col: given.pop((row, col), MISSING)
    return lambda row, col: v if (v := given.pop((row, col), MISSING)) is not MISSING else value_at(row, col)


def _patched_sheet(xml: str, edits: dict, value_at: ValueAt | None, where: str) -> tuple[str | None, bool]:
    """The sheet's new XML (None if nothing changed) and whether a formula was removed: cached
    results first, in one forward pass over the formula cells; then the constants, and any cached
    result given for a cell the pass found no formula in (the slow path says why that is wrong, or
    fills an array formula's member). The caller passes the text without keeping it, so each
    version is freed once the next exists: a sheet can be a hundred megabytes."""
    given = {key: value for key, (is_cached, value) in edits.items() if is_cached}
    constants = {key: edit for key, edit in edits.items() if not edit[0]}
    changed = False
    if (reader := _reader(given, value_at)) is not None:
        data = _SheetData(xml, where)
        new = _CachedPass(xml, reader, frozenset(constants), where).run(data.body_start, data.body_end)
        changed, xml = new is not xml, new
        del new
    rest = constants | {key: (True, value) for key, value in given.items()}
    if rest:
        return _patch_sheet(xml, rest, where)
    return (xml if changed else None), False


def _checked(src: Path, part: str, xml: str) -> bytes:
    """The part's bytes, once expat has found them well-formed: a safety net, so we never write a
    part Excel cannot parse. Encoded once, as a sheet can be a hundred megabytes."""
    data = xml.encode("utf-8")
    try:
        expat.ParserCreate(namespace_separator="}").Parse(data, True)
    except expat.ExpatError as exc:
        raise WorkbookError(f"{src}: {part} would not be well-formed XML ({exc})") from None
    return data


def _patched_parts(
    zin: zipfile.ZipFile,
    src: Path,
    edits: dict,
    cached_at: Mapping[str, ValueAt],
    names: Mapping[str, str],
    full_calc: bool,
    chart_edit: Callable[[str], str] | None = None,
) -> tuple[dict[str, bytes], str | None]:
    """New bytes of each member that changes, and the member to leave out (calcChain) if any."""
    book, paths = _parts(zin)
    done: dict[str, bytes] = {}
    changed: dict[str, str] = {}
    formula_removed = False
    for sheet, cell_edits in edits.items():
        if sheet not in paths:
            raise WorkbookError(f"{src}: no sheet {sheet!r} (sheets: {', '.join(paths)})")
        where = f"{src}: sheet {sheet!r}"
        new, removed = _patched_sheet(_text(zin, paths[sheet]), cell_edits, cached_at.get(sheet), where)
        if new is not None:  # a sheet without formulas is left as it is
            done[paths[sheet]] = _checked(src, paths[sheet], new)
        formula_removed |= removed
        del new
    if names or full_calc:
        changed[book] = _patch_workbook_xml(_text(zin, book), names, full_calc, str(src))
    dropped = _drop_calc_chain(zin, book, changed) if formula_removed else None
    if chart_edit is not None:
        for part in zin.namelist():
            if _CHART_PART.fullmatch(part):
                xml = _text(zin, part)
                if (edited := chart_edit(xml)) != xml:
                    changed[part] = edited
    return done | {part: _checked(src, part, xml) for part, xml in changed.items()}, dropped


def _write_archive(zin: zipfile.ZipFile, out: Path, changed: dict[str, bytes], dropped: str | None) -> None:
    """Copy the archive into ``out`` with the changed members, leaving out ``dropped``."""
    with zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            if info.filename != dropped:
                new = zipfile.ZipInfo(info.filename, info.date_time)
                new.compress_type, new.external_attr = info.compress_type, info.external_attr
                new.create_system, new.comment = info.create_system, info.comment
                zout.writestr(new, changed.get(info.filename) or read_member(zin, info.filename))
