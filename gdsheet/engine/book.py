"""Read a workbook's cells, formulas and defined names by streaming its XML.

No openpyxl object model: each worksheet part is read once with an incremental parser and
kept as compactly as the evaluation needs. Constants are stored per column, and formulas
as *runs*: consecutive rows of one column holding the same relative formula (the same
R1C1 shape, see :mod:`gdsheet.engine.shapes`). A 100,000-row lesson is a few dozen runs,
so everything after reading costs the same whatever the number of samples.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element
from xml.parsers import expat

from gdsheet.engine.shapes import MAX_FORMULA_LENGTH, FormulaRefused, ShapeTable, Unsupported
from gdsheet.engine.tables import Table
from gdsheet.engine.tables import rewrite as rewrite_structured
from gdsheet.engine.xlvalues import XlError
from gdsheet.errors import WorkbookError
from gdsheet.limits import ARCHIVE_LIMITS, EXCEL_COLUMNS, archive_limit
from gdsheet.xlsx.archive import open_archive
from gdsheet.xlsx.display import Layout
from gdsheet.xlsx.package import SHARED_STRINGS, TABLE, WORKSHEET, relationships, workbook_part
from gdsheet.xlsx.ranges import RangeError, on_sheet, parse_cell

try:  # entity expansion and external entities refused: a workbook is a zip of anyone's XML
    from defusedxml.ElementTree import iterparse as _iterparse
except ImportError:  # pragma: no cover - defusedxml is a dependency
    from xml.etree.ElementTree import iterparse as _iterparse

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
_NS_LEN = len(_MAIN_NS)
_X14_RULES = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main conditionalFormatting"
_XM_SQREF = "http://schemas.microsoft.com/office/excel/2006/main sqref"
"""Excel 2010's conditional formats, kept in the sheet's ``extLst``: each rule's ``x14:dxf``
holds its differential style inline, and ``xm:sqref`` (text, after the rules) its cells."""
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")

CellValue = float | str | bool | XlError | None
MAX_CONDITIONAL_RULES = 10_000
MAX_SQREF = 10_000
"""Bounds on the conditional-format rules kept for check, and on each one's cell list (text)."""
_PARSE_CHUNK = 1 << 20


@dataclass
class Run:
    """Rows ``first``..``last`` of one column whose formulas share one shape."""

    sheet: int
    col: int
    first: int
    last: int
    shape: int


@dataclass
class Sheet:
    """One worksheet: constants by column (row -> value) and formula runs by column."""

    name: str
    constants: dict[int, dict[int, CellValue]] = field(default_factory=dict)
    runs: dict[int, list[Run]] = field(default_factory=dict)
    cached: dict[tuple[int, int], CellValue] | None = None  # (col, row) -> a formula cell's saved value
    styles: dict[int, dict[int, int]] = field(default_factory=dict)
    """Cells' style indexes (``s``) by column, where not 0 (read with ``cached``, for check)."""
    part: str = ""
    """The zip member holding the sheet's XML."""
    conditional: list[tuple[str, int | str]] = field(default_factory=list)
    """Each conditional-format rule that applies a differential style: (sqref, dxfId), or
    (sqref, number format code) for an Excel 2010 rule whose style is inline (read with
    ``cached``, for check: a rule's number format changes what its cells show)."""
    layout: Layout | None = None
    """Column widths, row heights, what is hidden and the sheet's state (read with ``cached``, for
    check: what an application draws, and where a drawing's anchor lands)."""

    def formula_at(self, col: int, row: int) -> Run | None:
        """The run holding a formula at (col, row), if any."""
        for run in self.runs.get(col, ()):
            if run.first <= row <= run.last:
                return run
        return None

    def max_row(self) -> int:
        rows = [max(values) for values in self.constants.values() if values]
        rows += [runs[-1].last for runs in self.runs.values() if runs]
        return max(rows, default=0)


@dataclass(frozen=True)
class DefinedName:
    """A ``<definedName>`` as written: `check` holds every one to the lesson's contract, so
    none is folded away (duplicates, sheet-level names, unions)."""

    name: str
    text: str
    sheet: str | None  # the sheet a sheet-level name belongs to; None for a workbook-level name
    hidden: bool


@dataclass
class Book:
    """What evaluation needs of a workbook: sheets, defined names and the formula shapes."""

    path: Path
    sheets: list[Sheet]
    names: dict[str, str]  # lower-case workbook-level name -> its refers-to text
    shapes: ShapeTable
    unsupported: list[str] = field(default_factory=list)  # why the compiled engine cannot run it
    local_names: dict[tuple[int, str], str] = field(default_factory=dict)  # (sheet, lower name) -> text
    iterate: tuple[int, float] | None = None  # calcPr's iterateCount and iterateDelta when iteration is on
    defined: list[DefinedName] = field(default_factory=list)  # every defined name as written, for check

    def sheet_index(self, name: str) -> int | None:
        lowered = name.lower()
        for index, sheet in enumerate(self.sheets):
            if sheet.name.lower() == lowered:
                return index
        return None

    def name_text(self, name: str, sheet: int | None) -> str | None:
        """What a defined name refers to, seen from ``sheet``: the sheet's own name wins (as in Excel)."""
        lowered = name.lower()
        if sheet is not None and (sheet, lowered) in self.local_names:
            return self.local_names[(sheet, lowered)]
        return self.names.get(lowered)

    def runs(self) -> Iterator[Run]:
        for sheet in self.sheets:
            for runs in sheet.runs.values():
                yield from runs

    def formula_count(self) -> int:
        return sum(run.last - run.first + 1 for run in self.runs())


def _open_zip(path: Path) -> zipfile.ZipFile:
    """The archive, its names and declared sizes checked (zipfile never inflates past them)."""
    if not path.is_file():
        raise WorkbookError(f"{path}: no such file")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise WorkbookError(f"{path}: not an .xlsx or .xlsm workbook")
    return open_archive(path)


def _events(zf: zipfile.ZipFile, member: str) -> Iterator[tuple[str, Element]]:
    with zf.open(member) as stream:
        yield from _iterparse(stream, events=("start", "end"))


def _shared_strings(zf: zipfile.ZipFile, part: str | None) -> list[str]:
    if part is None or part not in zf.NameToInfo:
        return []
    strings: list[str] = []
    texts: list[str] = []
    depth_rph = 0
    for event, elem in _events(zf, part):
        tag = elem.tag
        if tag == f"{_MAIN}rPh":  # phonetic runs are not part of the text
            depth_rph += 1 if event == "start" else -1
        elif event == "end" and tag == f"{_MAIN}t" and depth_rph == 0:
            texts.append(elem.text or "")
        elif event == "end" and tag == f"{_MAIN}si":
            strings.append("".join(texts))
            texts = []
            elem.clear()
    return strings


def _parse_constant(kind: str | None, text: str | None, strings: list[str], inline: str | None) -> CellValue:
    if kind == "inlineStr":
        return inline or ""
    if text is None:
        return None
    if kind == "s":
        try:
            return strings[int(text)]
        except (ValueError, IndexError):
            raise WorkbookError(f"shared string {text!r} does not exist") from None
    if kind == "str":
        return text
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "e":
        return XlError(text.strip())
    if not _NUMBER.match(text.strip()):
        raise WorkbookError(f"not a number: {text[:40]!r}")
    return float(text)


class _SheetReader:
    """expat callbacks for one worksheet part: no element objects, one pass, bounded state.

    A raw expat parser (not ElementTree) because a 100,000-row lesson has four million
    elements; entity declarations and external entities are refused, as defusedxml does.
    """

    def __init__(self, sheet: Sheet, index: int, strings: list[str], shapes: ShapeTable,
                 unsupported: list[str], budget: int) -> None:  # fmt: skip
        self.sheet, self.index, self.strings, self.shapes = sheet, index, strings, shapes
        self.unsupported, self.budget = unsupported, budget
        self.attrs_style: str | None = None  # the cell's s=
        self.sqref: str | None = None  # the <conditionalFormatting> being read
        self.x14_formats: list[str] | None = None  # the number formats of the x14:conditionalFormatting being read
        self.x14_sqref: list[str] | None = None  # the characters of its xm:sqref, while it is read
        self.x14_cells = ""  # its xm:sqref's text, once read
        self.shared: dict[str, int] = {}  # shared-formula index -> shape
        self.arrays: list[tuple[int, int, int, int]] = []  # (row1, col1, row2, col2) of multi-cell array formulas
        self.tables: dict[str, Table] = {}  # lower-case name -> Excel Table, for structured references
        self.count = 0
        self.row = 0
        self.col = 0
        self.kind: str | None = None
        self.ref: str | None = None
        self.value: str | None = None
        self.formula: str | None = None
        self.f_attrs: dict[str, str] = {}
        self.inline: list[str] | None = None
        self.text: list[str] | None = None  # characters of the <v>, <f> or <t> being read

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name[_NS_LEN:] if name.startswith(_MAIN_NS) else ""
        if self.sheet.cached is not None and self.text is None:
            self._x14_start(name, tag, attrs)
        if tag == "c":
            ref = attrs.get("r")
            if ref is None:
                self.col += 1
            else:
                try:
                    self.row, self.col = parse_cell(ref, dollars=False)
                except RangeError as exc:
                    raise WorkbookError(f"sheet {self.sheet.name!r}: {exc}") from None
            self.ref, self.kind = ref, attrs.get("t")
            self.attrs_style = attrs.get("s")
            self.value = self.formula = None
            self.f_attrs = {}
            self.inline = None
        elif tag in ("v", "f") or (tag == "t" and self.inline is not None):
            self.text = []
            if tag == "f":
                self.f_attrs = attrs
        elif tag == "is":
            self.inline = []
        elif tag == "row":
            self.row = int(attrs["r"]) if "r" in attrs and attrs["r"].isdigit() else self.row + 1
            self.col = 0
            if self.sheet.layout is not None:
                self.sheet.layout.add_row(self.row, attrs)
        elif tag == "col" and self.sheet.layout is not None:
            self.sheet.layout.add_column(attrs)
        elif tag == "sheetFormatPr" and self.sheet.layout is not None:
            self.sheet.layout.set_format(attrs)
        elif tag == "conditionalFormatting":
            self.sqref = attrs.get("sqref", "")
        elif tag == "cfRule" and self.sheet.cached is not None and self.sqref is not None:
            dxf = attrs.get("dxfId", "")
            if dxf.isdigit() and len(self.sheet.conditional) < MAX_CONDITIONAL_RULES:
                self.sheet.conditional.append((self.sqref[:MAX_SQREF], int(dxf)))

    def _x14_start(self, name: str, tag: str, attrs: dict[str, str]) -> None:
        if name == _X14_RULES:
            self.x14_formats = []
        elif self.x14_formats is not None and tag == "numFmt" and len(self.x14_formats) < MAX_CONDITIONAL_RULES:
            self.x14_formats.append(attrs.get("formatCode", "General"))
        elif self.x14_formats is not None and name == _XM_SQREF:
            self.x14_sqref = []

    def _x14_end(self, name: str) -> None:
        if name == _XM_SQREF and self.x14_sqref is not None:
            self.x14_cells, self.x14_sqref = "".join(self.x14_sqref)[:MAX_SQREF], None
        elif name == _X14_RULES and self.x14_formats is not None:
            room = max(MAX_CONDITIONAL_RULES - len(self.sheet.conditional), 0)
            self.sheet.conditional += [(self.x14_cells, code) for code in self.x14_formats[:room]]
            self.x14_formats, self.x14_sqref, self.x14_cells = None, None, ""

    def chars(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)
        elif self.x14_sqref is not None and sum(map(len, self.x14_sqref)) < MAX_SQREF:
            self.x14_sqref.append(data)

    def end(self, name: str) -> None:
        tag = name[_NS_LEN:] if name.startswith(_MAIN_NS) else ""
        if self.x14_formats is not None:
            self._x14_end(name)
        if tag == "v" and self.text is not None:
            self.value, self.text = "".join(self.text), None
        elif tag == "f" and self.text is not None:
            self.formula, self.text = "".join(self.text), None
        elif tag == "t" and self.text is not None and self.inline is not None:
            self.inline.append("".join(self.text))
            self.text = None
        elif tag == "c":
            self._cell()
        elif tag == "conditionalFormatting":
            self.sqref = None

    def _cell(self) -> None:
        self.count += 1
        if self.count > self.budget:
            limit = archive_limit("cells")
            raise WorkbookError(f"holds more than {limit:,} cells (the limit; raise it with GDSHEET_MAX_CELLS)")
        row, col, sheet = self.row, self.col, self.sheet
        if not on_sheet(row, col):
            raise WorkbookError(f"sheet {sheet.name!r}: cell {self.ref or (row, col)} is off the sheet")
        style = self.attrs_style
        if sheet.cached is not None and style not in (None, "0"):
            if not style.isdigit():
                raise WorkbookError(f"sheet {sheet.name!r}: cell {self.ref} has the style {style[:20]!r}")
            sheet.styles.setdefault(col, {})[row] = int(style)
        if sheet.cached is not None and (self.formula is not None or self.f_attrs or self.arrays):
            self._keep_cached(row, col)
        if self.arrays and self._in_array(row, col):
            return  # a cell of a multi-cell array formula: its value comes from the formula
        if self.formula is not None and len(self.formula) > MAX_FORMULA_LENGTH:
            raise FormulaRefused(
                f"{sheet.name}!{self.ref}: a formula of {len(self.formula):,} characters "
                f"(Excel's limit is {MAX_FORMULA_LENGTH:,})"
            )
        if self.tables and self.formula and "[" in self.formula:
            with contextlib.suppress(Unsupported):  # else the parser says why, and `formulas` takes it
                self.formula = rewrite_structured(self.formula, self.tables, row)
        if self.f_attrs.get("t") == "array" and self._array_formula(row, col):
            return
        if self.formula is not None or self.f_attrs:
            runs = sheet.runs.get(col)
            guess = runs[-1].shape if runs and runs[-1].last == row - 1 else None
            shape = _formula_shape(
                self.formula or "", self.f_attrs, row, col, self.shared, self.shapes, sheet.name, self.ref,
                self.unsupported, guess,
            )  # fmt: skip
            if shape is not None:
                _add_formula(sheet, self.index, col, row, shape)
                return
        inline = "".join(self.inline) if self.inline is not None else None
        constant = _parse_constant(self.kind, self.value, self.strings, inline)
        if constant is not None:
            sheet.constants.setdefault(col, {})[row] = constant

    def _keep_cached(self, row: int, col: int) -> None:
        """The value Excel saved with a formula cell (or a cell of an array formula's range)."""
        if not (self.formula is not None or self.f_attrs) and not self._in_array(row, col):
            return
        try:
            value = _parse_constant(self.kind, self.value, self.strings, None)
        except WorkbookError:
            value = None
        self.sheet.cached[(col, row)] = value  # type: ignore[index]

    def _in_array(self, row: int, col: int) -> bool:
        self.arrays = [span for span in self.arrays if span[2] >= row]  # spans above are done
        return any(r1 <= row <= r2 and c1 <= col <= c2 for r1, c1, r2, c2 in self.arrays)

    def _array_formula(self, row: int, col: int) -> bool:
        """A multi-cell array formula: its whole result in a virtual cell beyond the sheet's last
        column, and each cell of its range a formula picking its element (False for one cell)."""
        span = self.f_attrs.get("ref", "")
        parts = span.split(":")
        if len(parts) != 2:
            return False
        try:
            (r1, c1), (r2, c2) = (parse_cell(part) for part in parts)
        except RangeError:
            return False
        if (r1, c1) != (row, col) or (r2, c2) == (r1, c1) or r2 < r1 or c2 < c1:
            return False
        if (r2 - r1 + 1) * (c2 - c1 + 1) > self.budget:
            raise WorkbookError(
                f"sheet {self.sheet.name!r}: an array formula over {span} covers more cells than the limit"
            )
        virtual = EXCEL_COLUMNS + 1 + sum(1 for _ in self.sheet.runs if _ > EXCEL_COLUMNS)
        shape = self.shapes.shape_of(self.formula or "", row, virtual)
        self.shapes.mark_array(shape)
        _add_formula(self.sheet, self.index, virtual, row, shape)
        element = self.shapes.array_element(virtual, r1, c1)
        for column in range(c1, c2 + 1):
            self.sheet.runs.setdefault(column, []).append(Run(self.index, column, r1, r2, element))
        self.arrays.append((r1, c1, r2, c2))
        return True


def _bound_work(shapes: ShapeTable, sheets: list[Sheet]) -> None:
    """Refuse a workbook whose formulas would cost unbounded work to compile: each distinct
    formula is parsed and compiled once, and each run is a statement or a loop of the program."""
    for what, count in (("shapes", len(shapes)), ("runs", sum(len(r) for s in sheets for r in s.runs.values()))):
        limit = archive_limit(what)
        if count > limit:
            variable = ARCHIVE_LIMITS[what][0]
            kind = "distinct formulas" if what == "shapes" else "blocks of formulas (runs of one formula down a column)"
            raise WorkbookError(f"holds more than {limit:,} {kind}, the limit (raise it with {variable})")


def _refuse_entities(*_: object) -> None:
    raise WorkbookError("refused: the XML declares entities")


def _tables(zf: zipfile.ZipFile, sheet_parts: list[tuple[str, str]]) -> dict[str, Table]:
    """Every Excel Table of the workbook, found through each worksheet's relationships."""
    tables: dict[str, Table] = {}
    for sheet_name, part in sheet_parts:
        for rel in relationships(zf, part):
            target = rel.target
            if rel.kind != TABLE or rel.external or target not in zf.NameToInfo:
                continue
            root = None
            columns: list[str] = []
            for event, elem in _events(zf, target):
                if event == "start" and elem.tag == f"{_MAIN}table":
                    root = dict(elem.attrib)
                elif event == "end" and elem.tag == f"{_MAIN}tableColumn":
                    columns.append(elem.get("name", ""))
            if root is None:
                continue
            name = root.get("displayName") or root.get("name", "")
            header, totals = root.get("headerRowCount", "1"), root.get("totalsRowCount", "0")
            try:
                tables[name.lower()] = Table.from_ref(
                    name, sheet_name, root.get("ref", ""), tuple(columns),
                    int(header) if header.isdigit() else 1, int(totals) if totals.isdigit() else 0,
                )  # fmt: skip
            except RangeError:
                continue
    return tables


def _read_sheet(zf: zipfile.ZipFile, part: str, sheet: Sheet, index: int, strings: list[str],
                shapes: ShapeTable, unsupported: list[str], budget: int,
                tables: dict[str, Table] | None = None) -> int:  # fmt: skip
    """Read one worksheet part into ``sheet``; returns its number of cells (at most ``budget``)."""
    reader = _SheetReader(sheet, index, strings, shapes, unsupported, budget)
    reader.tables = tables or {}
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _refuse_entities
    parser.UnparsedEntityDeclHandler = _refuse_entities
    parser.ExternalEntityRefHandler = _refuse_entities
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.chars
    parser.buffer_text = True
    with zf.open(part) as stream:
        try:  # fed in large chunks: expat rescans an unfinished token each time it is fed
            while chunk := stream.read(_PARSE_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise WorkbookError(f"sheet {sheet.name!r}: not well-formed XML ({exc})") from None
    return reader.count


def _formula_shape(
    text: str,
    attrs: dict[str, str],
    row: int,
    col: int,
    shared: dict[str, int],
    shapes: ShapeTable,
    sheet: str,
    ref: str | None,
    unsupported: list[str],
    guess: int | None = None,
) -> int | None:
    kind = attrs.get("t", "normal")
    if kind == "shared":
        index = attrs.get("si", "")
        if text.strip():
            shared[index] = shapes.shape_of(text, row, col)
            return shared[index]
        if index not in shared:
            raise WorkbookError(f"sheet {sheet!r}: cell {ref} uses shared formula {index!r}, which is never defined")
        return shared[index]
    if kind == "array":  # over one cell: the formula's array evaluated, its first value shown
        return shapes.shape_of(text, row, col)
    if kind != "normal":
        unsupported.append(f"{sheet}!{ref}: a {kind} formula")
        return None
    return shapes.shape_of(text, row, col, guess)


def with_constants(book: Book, cells: Mapping[tuple[int, int, int], CellValue]) -> Book:
    """A copy of ``book`` in which each (sheet, column, row) of ``cells`` holds that constant
    instead of whatever it held (a formula's run is split around it); ``book`` is unchanged.

    `grade` judges one column of a student's formulas at a time: the other columns they wrote
    become constants, which an evaluation may then override with the reference's values."""
    by_sheet: dict[int, dict[int, dict[int, CellValue]]] = {}
    for (index, col, row), value in cells.items():
        by_sheet.setdefault(index, {}).setdefault(col, {})[row] = value
    sheets = list(book.sheets)
    for index, columns in by_sheet.items():
        old = book.sheets[index]
        sheet = Sheet(old.name, dict(old.constants), dict(old.runs))
        for col, values in columns.items():
            sheet.constants[col] = {**old.constants.get(col, {}), **values}
            runs: list[Run] = []
            for run in old.runs.get(col, ()):
                for row in range(run.first, run.last + 1):
                    if row not in values:
                        _add_to_runs(runs, index, col, row, run.shape)
            sheet.runs[col] = runs
        sheets[index] = sheet
    return Book(
        book.path, sheets, book.names, book.shapes, book.unsupported, book.local_names, book.iterate, book.defined
    )


def _add_to_runs(runs: list[Run], index: int, col: int, row: int, shape: int) -> None:
    if runs and runs[-1].shape == shape and runs[-1].last == row - 1:
        runs[-1].last = row
    else:
        runs.append(Run(index, col, row, row, shape))


def _add_formula(sheet: Sheet, index: int, col: int, row: int, shape: int) -> None:
    _add_to_runs(sheet.runs.setdefault(col, []), index, col, row, shape)


def read_book(path: str | Path, cached: bool = False) -> Book:
    """Stream the workbook at ``path`` into a :class:`Book`; every failure is one WorkbookError.

    ``cached`` keeps each formula cell's saved value too (``Sheet.cached``), for ``recalc --check``."""
    path = Path(path)
    zf = _open_zip(path)
    try:
        with zf:
            return _read(zf, path, cached)
    except WorkbookError as exc:
        text = str(exc)
        raise WorkbookError(text if text.startswith(str(path)) else f"{path}: {text}") from None
    except (zipfile.BadZipFile, KeyError, EOFError, OSError, ValueError, SyntaxError) as exc:
        raise WorkbookError(f"{path}: cannot read the workbook ({type(exc).__name__}: {exc})") from None


def _read(zf: zipfile.ZipFile, path: Path, cached: bool = False) -> Book:
    """The workbook's parts are found by relationship type (:mod:`gdsheet.xlsx.package`), as
    Excel finds them: the main part from ``_rels/.rels``, its worksheets, shared strings and each
    sheet's tables from their rels, whatever the parts' file names."""
    wb_part = workbook_part(zf)
    rels = relationships(zf, wb_part)
    by_id = {rel.id: rel for rel in rels}
    sheet_parts: list[tuple[str, str]] = []
    all_sheets: list[str] = []  # every <sheet>, chart sheets too: what localSheetId counts
    states: dict[str, str] = {}  # a sheet's name -> its state (visible, hidden, veryHidden)
    worksheet_of: dict[int, int] = {}  # a <sheet>'s position -> its worksheet's index in Book.sheets
    names: dict[str, str] = {}
    local_names: dict[tuple[int, str], str] = {}
    defined: list[DefinedName] = []
    iterate: tuple[int, float] | None = None
    for event, elem in _events(zf, wb_part):
        if event != "end":
            continue
        if elem.tag == f"{_MAIN}sheet":
            all_sheets.append(elem.get("name", ""))
            states[elem.get("name", "")] = elem.get("state", "visible")[:20]
            rel = by_id.get(elem.get(f"{_REL}id", ""))
            if rel is not None and rel.kind == WORKSHEET and not rel.external:
                worksheet_of[len(all_sheets) - 1] = len(sheet_parts)
                sheet_parts.append((elem.get("name", ""), rel.target))
        elif elem.tag == f"{_MAIN}definedName":
            local = elem.get("localSheetId")
            text = (elem.text or "").strip()
            known = local is not None and local.isdigit() and int(local) < len(all_sheets)
            owner = None if local is None else (all_sheets[int(local)] if known else f"#{local}")  # type: ignore[arg-type]
            defined.append(DefinedName(elem.get("name", ""), text, owner, elem.get("hidden") in ("1", "true")))
            if local is None:
                names[elem.get("name", "").lower()] = text
            elif local.isdigit() and int(local) in worksheet_of:
                local_names[(worksheet_of[int(local)], elem.get("name", "").lower())] = text
        elif elem.tag == f"{_MAIN}calcPr" and elem.get("iterate") in ("1", "true"):
            count_text = elem.get("iterateCount", "100")
            delta = elem.get("iterateDelta", "0.001")
            iterate = (
                int(count_text) if count_text.isdigit() else 100,
                float(delta) if _NUMBER.match(delta) else 0.001,
            )
    strings = _shared_strings(zf, next((r.target for r in rels if r.kind == SHARED_STRINGS and not r.external), None))
    tables = _tables(zf, sheet_parts)
    shapes = ShapeTable()
    unsupported: list[str] = []
    sheets = []
    budget = archive_limit("cells")
    for index, (name, part) in enumerate(sheet_parts):
        sheet = Sheet(name, cached={} if cached else None, part=part)
        sheet.layout = Layout(state=states.get(name, "visible")) if cached else None
        if part not in zf.NameToInfo:
            raise WorkbookError(f"sheet {name!r} has no part {part}")
        budget -= _read_sheet(zf, part, sheet, index, strings, shapes, unsupported, budget, tables)
        sheets.append(sheet)
        _bound_work(shapes, sheets)
    if not sheets:
        raise WorkbookError("no worksheets")
    return Book(path, sheets, names, shapes, unsupported, local_names, iterate, defined)
