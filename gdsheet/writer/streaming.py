"""Build a workbook in little memory: cells buffered compactly, saved through write-only mode.

openpyxl's normal worksheets keep a full ``Cell`` object (value, coordinates, style arrays)
for every cell, about a kilobyte each once saved: a 100,000-sample lesson (1.4 million cells)
needed 800 MB. :class:`BufferedSheet` is a worksheet whose cells are kept as ``(value, data
type, style id)`` tuples, the distinct styles once; the blocks write to it exactly as to any
worksheet (``ws[address].value``, ``.font``, ``merge_cells``, ``add_chart``...).
:func:`save_streaming` then writes each sheet row by row through openpyxl's write-only mode,
with the dimensions, merged cells, conditional formats, page setup, charts and defined names
copied over.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.writer.cells import schema_font
from gdsheet.xlsx.ranges import on_sheet

_STYLE_FIELDS = ("number_format", "font", "fill", "border", "alignment", "quotePrefix")
_PLAIN_STYLE = ("General", None, None, None, None, False)


def _data_type(value: object) -> str:
    if isinstance(value, str):
        return "f" if value.startswith("=") and len(value) > 1 else "s"
    if isinstance(value, bool):
        return "b"
    return "n"


class _Styles:
    """Distinct cell styles, interned: a million cells share a handful of tuples."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[object, ...], int] = {_PLAIN_STYLE: 0}
        self.keys: list[tuple[object, ...]] = [_PLAIN_STYLE]

    def intern(self, key: tuple[object, ...]) -> int:
        index = self.by_key.get(key)
        if index is None:
            index = self.by_key[key] = len(self.keys)
            self.keys.append(key)
        return index


class _CellProxy:
    """What a block sees of one cell: value, data type and style, stored in the sheet's buffer."""

    __slots__ = ("_column", "_row", "_sheet")

    def __init__(self, sheet: BufferedSheet, row: int, column: int) -> None:
        self._sheet, self._row, self._column = sheet, row, column

    def _get(self) -> tuple[object, str, int]:
        return self._sheet._store.get(self._row, {}).get(self._column, (None, "n", 0))

    def _put(self, entry: tuple[object, str, int]) -> None:
        self._sheet._store.setdefault(self._row, {})[self._column] = entry

    @property
    def value(self) -> object:
        return self._get()[0]

    @value.setter
    def value(self, value: object) -> None:
        self._put((value, _data_type(value), self._get()[2]))

    @property
    def data_type(self) -> str:
        return self._get()[1]

    @data_type.setter
    def data_type(self, kind: str) -> None:
        value, _, style = self._get()
        self._put((value, kind, style))

    @property
    def coordinate(self) -> str:
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(self._column)}{self._row}"

    def _style(self) -> tuple[object, ...]:
        return self._sheet._styles.keys[self._get()[2]]

    def _set_style(self, field: str, value: object) -> None:
        key = list(self._style())
        key[_STYLE_FIELDS.index(field)] = value
        entry = self._get()
        self._put((entry[0], entry[1], self._sheet._styles.intern(tuple(key))))


def _style_property(field: str) -> property:
    index = _STYLE_FIELDS.index(field)
    return property(
        lambda self: self._style()[index],
        lambda self, value: self._set_style(field, value),
    )


for _field in _STYLE_FIELDS:
    setattr(_CellProxy, _field, _style_property(_field))


class BufferedSheet(Worksheet):
    """A worksheet that buffers its cells compactly for :func:`save_streaming`."""

    def __init__(self, parent: Workbook, title: str, styles: _Styles) -> None:
        super().__init__(parent, title)
        self._store: dict[int, dict[int, tuple[object, str, int]]] = {}
        self._styles = styles

    def _get_cell(self, row: int, column: int) -> _CellProxy:  # type: ignore[override]
        if not on_sheet(row, column):
            raise ValueError(f"cell ({row}, {column}) is off the sheet")
        return _CellProxy(self, row, column)

    def merge_cells(self, range_string: str | None = None, **_: object) -> None:  # type: ignore[override]
        self.merged_cells.add(CellRange(range_string))

    @property
    def max_row(self) -> int:
        return max(self._store, default=1)


def buffered_workbook() -> tuple[Workbook, Callable[[str], BufferedSheet]]:
    """An empty workbook and a function adding buffered sheets to it, in order."""
    wb = Workbook()
    wb.remove(wb.active)
    styles = _Styles()

    def add_sheet(title: str) -> BufferedSheet:
        sheet = BufferedSheet(wb, title, styles)
        wb._sheets.append(sheet)
        return sheet

    return wb, add_sheet


def _full_precision(value: object) -> bool:
    """Whether openpyxl's ``%.16g`` would change this number (a 17-digit sample from a CSV)."""
    return type(value) is float and math.isfinite(value) and float(f"{value:.16g}") != value


def _row(target: object, cells: dict[int, tuple[object, str, int]], styles: _Styles) -> list[object]:
    values: list[object] = [None] * max(cells)
    for column, (value, kind, style) in cells.items():
        exact = _full_precision(value)
        if style == 0 and kind != "s" and not exact:
            values[column - 1] = value
            continue
        cell = WriteOnlyCell(target, value)  # type: ignore[arg-type]
        if exact:  # the writer writes a str value as is: repr() round-trips every double
            cell._value = repr(value)  # private, but openpyxl has no option for the digits of <v>
        if kind == "s" and isinstance(value, str):
            cell.data_type = "s"
        for field, setting in zip(_STYLE_FIELDS, styles.keys[style], strict=True):
            if setting is not None and setting is not False and setting != "General":
                setattr(cell, field, setting)
        values[column - 1] = cell
    return values


def save_streaming(wb: Workbook, path: str | Path) -> None:
    """Write ``wb`` (buffered sheets) to ``path`` row by row in openpyxl's write-only mode."""
    out = Workbook(write_only=True)
    for sheet in wb.worksheets:
        assert isinstance(sheet, BufferedSheet)
        target = out.create_sheet(sheet.title)
        for key, dim in sheet.column_dimensions.items():
            target.column_dimensions[key].width = dim.width
            target.column_dimensions[key].hidden = dim.hidden
        for key, dim in sheet.row_dimensions.items():
            target.row_dimensions[key].height = dim.height
        target.conditional_formatting = sheet.conditional_formatting
        target.page_setup = sheet.page_setup
        target.print_options = sheet.print_options
        target.sheet_properties = sheet.sheet_properties
        target.merged_cells = sheet.merged_cells
        target.row_breaks, target.col_breaks = sheet.row_breaks, sheet.col_breaks
        target.page_margins, target.views = sheet.page_margins, sheet.views
        target.print_title_rows = sheet.print_title_rows
        if sheet.print_area:  # the Sweep sheet prints its log and chart, not its tables
            target.print_area = sheet.print_area
        for chart in sheet._charts:
            target.add_chart(chart)
        for row in range(1, max(sheet._store, default=0) + 1):
            cells = sheet._store.get(row)
            target.append(_row(target, cells, sheet._styles) if cells else [])
    for name, definition in wb.defined_names.items():
        out.defined_names[name] = definition
    # every font in schema order, openpyxl's default (font 0) included; the indices stay
    out._fonts = IndexedList(schema_font(font) for font in out._fonts)
    out.save(path)
