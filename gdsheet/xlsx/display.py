"""What a workbook shows besides its values: each cell style's number format, and the drawings
anchored over cells. Parts are found by relationship type (:mod:`gdsheet.xlsx.package`), read
through the bounded archive, parsed by defusedxml.

:func:`format_problem` says when a number format would show another number than the cell's
value: a literal digit (``"12.50"``, ``\\1``), scaling (``%``, or ``0,,`` that divides by a
million), a date or time code, or a section with no digit at all (``;;;`` hides the number).
Rounding (``0.0``), thousands separators, colours, conditions and scientific notation show the
same number, and pass.
"""

from __future__ import annotations

import bisect
import colorsys
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from gdsheet.limits import EXCEL_COLUMNS, EXCEL_ROWS
from gdsheet.xlsx.archive import open_archive
from gdsheet.xlsx.package import DRAWING, relationships, tree, workbook_part

STYLES = "styles"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
THEME = "theme"

BUILT_IN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
    12: "# ?/?", 13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm", 37: "#,##0 ;(#,##0)",
    38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss",
    46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}  # fmt: skip
"""ECMA-376's built-in number formats (ids without a ``<numFmt>``)."""

_TOKENS = re.compile(r'"[^"]*"?|\\.|\[[^\]]*\]?|_.|\*.|.', re.S)


def _sections(code: str) -> list[list[str]]:
    """The format's sections (split at ``;`` outside quotes and brackets), each as tokens."""
    sections: list[list[str]] = [[]]
    for token in _TOKENS.findall(code):
        if token == ";":
            sections.append([])
        else:
            sections[-1].append(token)
    return sections


def format_problem(code: str, share: bool = False) -> str | None:
    """Why the number format ``code`` shows another number than the cell's value, or None.

    ``share``: the cell holds a share (a classifier's accuracy), which the lesson itself shows as
    a percentage: 0.85 shown as 85.0% is the same number, so ``%`` is allowed there only."""
    if code.strip().lower() in ("general", "@", ""):
        return None
    for index, tokens in enumerate(_sections(code)[:3]):
        plain = [t for t in tokens if not t.startswith(("[", "_", "*"))]
        literal = "".join(t[1:].strip('"') if t.startswith('"') else t[1:] for t in plain if t[:1] in ('"', "\\"))
        bare = "".join(t for t in plain if t[:1] not in ('"', "\\"))
        if re.search(r"[0-9]", literal) or re.search(r"[1-9]", bare):
            return f"it shows a literal number ({code!r})"
        if bare.count("%") > (1 if share else 0):
            return f"it multiplies the value by 100 ({code!r})"
        if re.search(r"[0#?],+(?![0#?])", bare):
            return f"its trailing comma divides the value by 1,000 or more ({code!r})"
        if re.search(r"[yYmMdDhHsS]|AM/PM|A/P", re.sub(r"E[+-]", "", bare)) and bare.lower() != "general":
            return f"it shows the value as a date or time ({code!r})"
        if index < 3 and not re.search(r"[0#?]", bare) and bare.strip().lower() != "general":
            which = ("positive", "negative", "zero")[index]
            return f"its {which} section shows no digits ({code!r})"
    return None


@dataclass(frozen=True)
class Drawn:
    """Something drawn on a sheet: its kind (``sp`` a shape or text box, ``pic`` a picture,
    ``graphicFrame`` a chart…) and the cells its rectangle overlaps, 1-based and inclusive."""

    kind: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int
    anchor: int = 0
    """The anchor's position in its drawing (one anchor may be placed over different cells at
    different digit widths)."""


EMU_PER_PIXEL = 9_525  # at 96 dpi
EMU_PER_POINT = 12_700
DIGIT_PIXELS = 7
"""The maximum digit width of the default font (Calibri 11, and Carlito, its metric twin that
LibreOffice uses), in pixels: Excel measures column widths in these digits."""
DIGIT_WIDTHS = (7, 8, 9, 10)
"""The digit widths a drawing is placed at: a column's width is a number of digits, so how wide
it is on screen depends on the font the application has. Excel's Calibri and LibreOffice's Carlito
are 7 pixels; where neither is installed LibreOffice falls back to a wider font (DejaVu Sans, about
9), and a drawing whose extent is in EMU lands over other cells. A drawing counts as over a cell
if it is at any of these widths."""
MAX_COLUMN_SPANS = 16_384
MAX_NUMBER = 1e12
"""Bounds on what a sheet's layout keeps: ``<col>`` elements, and any width, height or offset."""


def _size(text: str | None) -> float | None:
    """A width, height or EMU offset as written, or None when it is not a finite number in bounds."""
    try:
        value = float(text) if text is not None and len(text) < 40 else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value <= MAX_NUMBER else None


def _flag(text: str | None) -> bool:
    return text in ("1", "true")


@dataclass
class Layout:
    """How a sheet lays its cells out, as an application draws them: each column's width and
    each row's height (``<cols>``, ``<row ht>``, ``<sheetFormatPr>``), what is hidden (``hidden``,
    a zero size, ``zeroHeight``, which collapsed outlines write as hidden rows), and whether the
    sheet itself is shown (``<sheet state>``). Read by the engine's sheet reader for `check`."""

    columns: list[tuple[int, int, float | None, bool]] = field(default_factory=list)
    """(first, last, width in digits or None, hidden) of each ``<col>``."""
    rows: dict[int, tuple[float | None, bool]] = field(default_factory=dict)
    """Row -> (height in points or None, hidden), for the rows that set either."""
    default_width: float | None = None
    base_width: float = 8.0
    default_height: float = 15.0
    zero_height: bool = False
    state: str = "visible"

    def add_column(self, attrs: dict[str, str]) -> None:
        first, last = attrs.get("min", ""), attrs.get("max", "")
        if not (first.isdigit() and last.isdigit()) or len(self.columns) >= MAX_COLUMN_SPANS:
            return
        lo, hi = max(int(first), 1), min(int(last), EXCEL_COLUMNS)
        if lo <= hi:
            self.columns.append((lo, hi, _size(attrs.get("width")), _flag(attrs.get("hidden"))))

    def add_row(self, row: int, attrs: dict[str, str]) -> None:
        height, hidden = _size(attrs.get("ht")), _flag(attrs.get("hidden"))
        if height is not None or hidden or self.zero_height:
            self.rows[row] = (height, hidden)

    def set_format(self, attrs: dict[str, str]) -> None:
        self.default_width = _size(attrs.get("defaultColWidth"))
        self.base_width = _size(attrs.get("baseColWidth")) or 8.0
        self.default_height = _size(attrs.get("defaultRowHeight")) or 15.0
        self.zero_height = _flag(attrs.get("zeroHeight"))

    def column_pixels(self, col: int, digit: int = DIGIT_PIXELS) -> int:
        """The column's width on screen in pixels, as Excel computes it from the width in digits
        (ECMA-376 18.3.1.13) for a font whose digits are ``digit`` pixels wide: a hidden column is 0 wide."""
        span = self._span(col)
        if span is not None and (span[3] or span[2] == 0):
            return 0
        width = span[2] if span is not None and span[2] is not None else self.default_width
        if width is not None:
            return math.trunc((256 * width + math.trunc(128 / digit)) / 256 * digit)
        pixels = math.trunc(self.base_width * digit) + 5  # padding and gridline, rounded up to 8 pixels
        return -(-pixels // 8) * 8

    def row_points(self, row: int) -> float:
        """The row's height in points: 0 when hidden (or, under ``zeroHeight``, not shown)."""
        height, hidden = self.rows.get(row, (None, False))
        if hidden or height == 0 or (self.zero_height and height is None):
            return 0.0
        return self.default_height if height is None else height

    def hidden_column(self, col: int) -> bool:
        return self.column_pixels(col) == 0

    def hidden_row(self, row: int) -> bool:
        return self.row_points(row) == 0

    def _span(self, col: int) -> tuple[int, int, float | None, bool] | None:
        if not hasattr(self, "_spans"):
            self._spans = sorted(self.columns)
            self._starts = [span[0] for span in self._spans]
        index = bisect.bisect_right(self._starts, col) - 1
        return self._spans[index] if index >= 0 and self._spans[index][1] >= col else None

    def _column_edges(self, digit: int) -> list[int]:
        """EMU of each column's left edge (index 0: column 1's), and the last column's right edge."""
        if not hasattr(self, "_edges"):
            self._edges: dict[int, list[int]] = {}
        if digit not in self._edges:
            edges, x = [0], 0
            for col in range(1, EXCEL_COLUMNS + 1):
                x += self.column_pixels(col, digit) * EMU_PER_PIXEL
                edges.append(x)
            self._edges[digit] = edges
        return self._edges[digit]

    def _row_table(self) -> tuple[list[int], list[int], int]:
        """The rows that differ from the default height, each with the EMU by which the rows
        above it (inclusive) differ from default rows, and the default row's EMU."""
        if not hasattr(self, "_rows_sorted"):
            default = round(self.default_height * EMU_PER_POINT) if not self.zero_height else 0
            rows, shifts, shift = [], [], 0
            for row in sorted(self.rows):
                shift += round(self.row_points(row) * EMU_PER_POINT) - default
                rows.append(row)
                shifts.append(shift)
            self._rows_sorted = (rows, shifts, default)
        return self._rows_sorted

    def column_x(self, col: int, digit: int = DIGIT_PIXELS) -> int:
        """EMU of the left edge of column ``col`` (1-based; past the last column, the sheet's end)."""
        edges = self._column_edges(digit)
        return edges[min(max(col, 1), EXCEL_COLUMNS + 1) - 1]

    def row_y(self, row: int) -> int:
        """EMU of the top edge of row ``row`` (1-based)."""
        rows, shifts, default = self._row_table()
        row = min(max(row, 1), EXCEL_ROWS + 1)
        index = bisect.bisect_left(rows, row) - 1  # custom rows above ``row``
        return (row - 1) * default + (shifts[index] if index >= 0 else 0)

    def column_at(self, x: float, digit: int = DIGIT_PIXELS) -> int:
        """The column whose extent holds EMU ``x`` (a point on an edge belongs to the column right of it)."""
        return min(max(bisect.bisect_right(self._column_edges(digit), x), 1), EXCEL_COLUMNS)

    def row_at(self, y: float) -> int:
        """The row whose extent holds EMU ``y``, by bisection over :meth:`row_y`."""
        lo, hi = 1, EXCEL_ROWS
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.row_y(mid) <= y:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def covered(self, x1: float, y1: float, x2: float, y2: float, digit: int = DIGIT_PIXELS
                ) -> tuple[int, int, int, int] | None:  # fmt: skip
        """(first row, first column, last row, last column) of the cells a rectangle in EMU
        overlaps by more than nothing, or None for a rectangle of no area."""
        if x2 <= x1 or y2 <= y1:
            return None
        return self.row_at(y1), self.column_at(x1, digit), self.row_at(y2 - 1), self.column_at(x2 - 1, digit)


def number_formats(path: str | Path) -> dict[int, str]:
    """Style index (a cell's ``s``) -> its number format code, for every cell style."""
    return styles(path)[0]


def styles(path: str | Path) -> tuple[dict[int, str], dict[int, str]]:
    """The cell styles' number formats (style index -> code), and the differential styles'
    (``dxfId`` -> code, only those that set one) that conditional-format rules apply."""
    with open_archive(path) as zin:
        book = workbook_part(zin)
        part = next((r.target for r in relationships(zin, book) if r.kind == STYLES and not r.external), None)
        if part is None or part not in zin.NameToInfo:
            return {}, {}
        root = tree(zin, part)
    numfmts = root.find(f"{_MAIN}numFmts")
    custom = {int(el.get("numFmtId", "-1")): el.get("formatCode", "") for el in (numfmts if numfmts is not None else ())
              if el.get("numFmtId", "").isdigit()}  # fmt: skip
    xfs = root.find(f"{_MAIN}cellXfs")
    formats = {}
    for index, xf in enumerate(xfs if xfs is not None else ()):
        ident = xf.get("numFmtId", "0")
        number = int(ident) if ident.isdigit() else 0
        formats[index] = custom.get(number, BUILT_IN_FORMATS.get(number, "General"))
    dxfs = root.find(f"{_MAIN}dxfs")
    differential = {}
    for index, dxf in enumerate(dxfs if dxfs is not None else ()):
        numfmt = dxf.find(f"{_MAIN}numFmt")
        if numfmt is not None:
            ident = numfmt.get("numFmtId", "")
            code = numfmt.get("formatCode")
            if code is None and ident.isdigit():
                code = custom.get(int(ident), BUILT_IN_FORMATS.get(int(ident), "General"))
            differential[index] = code or "General"
    return formats, differential


def drawings(path: str | Path, sheet_parts: dict[str, str], layouts: dict[str, Layout] | None = None
             ) -> dict[str, list[Drawn]]:  # fmt: skip
    """Sheet name -> what is drawn on it (every anchor of every drawing the sheet relates to), in
    the cells its extent overlaps through the sheet's own column widths and row heights
    (``layouts``; the default sizes for a sheet without one)."""
    found: dict[str, list[Drawn]] = {}
    with open_archive(path) as zin:
        for sheet, part in sheet_parts.items():
            layout = (layouts or {}).get(sheet) or Layout()
            for rel in relationships(zin, part):
                if rel.kind == DRAWING and not rel.external and rel.target in zin.NameToInfo:
                    found.setdefault(sheet, []).extend(_anchors(tree(zin, rel.target), layout))
    return found


def _number(el: object, tag: str) -> int:
    child = el.find(f"{_XDR}{tag}")  # type: ignore[attr-defined]
    value = _size((child.text or "").strip() if child is not None else None)
    return int(value) if value is not None else 0


def _point(marker: object, layout: Layout, digit: int) -> tuple[int, int]:
    """(x, y) in EMU of an ``xdr:from``/``xdr:to`` marker: its cell's corner plus its offsets."""
    col, row = min(_number(marker, "col"), EXCEL_COLUMNS), min(_number(marker, "row"), EXCEL_ROWS)
    x = layout.column_x(col + 1, digit) + _number(marker, "colOff")
    return x, layout.row_y(row + 1) + _number(marker, "rowOff")


def _emu(el: object, name: str) -> int:
    value = _size(el.get(name) if el is not None else None)  # type: ignore[attr-defined]
    return int(value) if value is not None else 0


def _anchors(root: object, layout: Layout) -> list[Drawn]:
    """Each anchor's content and the cells its rectangle overlaps: a two-cell anchor spans its
    from and to markers; a one-cell anchor runs its extent (EMU) from its from marker, and an
    absolute anchor from its position, across the sheet's real column widths and row heights, at
    each of :data:`DIGIT_WIDTHS` (one :class:`Drawn` per distinct extent, numbered by anchor)."""
    drawn: list[Drawn] = []
    for number, anchor in enumerate(root):  # type: ignore[arg-type]
        placed = dict.fromkeys(_placed(anchor, layout, number, digit) for digit in DIGIT_WIDTHS)
        drawn += [item for item in placed if item is not None]
    return drawn


def _placed(anchor: object, layout: Layout, number: int, digit: int) -> Drawn | None:
    """One anchor placed on the sheet for a font whose digits are ``digit`` pixels wide."""
    tag = anchor.tag.removeprefix(_XDR)
    content = next((child.tag.removeprefix(_XDR) for child in anchor
                    if child.tag.removeprefix(_XDR) in ("sp", "pic", "grpSp", "cxnSp", "graphicFrame",
                                                        "contentPart")), "shape")  # fmt: skip
    start, end, ext = anchor.find(f"{_XDR}from"), anchor.find(f"{_XDR}to"), anchor.find(f"{_XDR}ext")
    if tag == "twoCellAnchor" and start is not None and end is not None:
        (x1, y1), (x2, y2) = _point(start, layout, digit), _point(end, layout, digit)
    elif tag == "oneCellAnchor" and start is not None:
        x1, y1 = _point(start, layout, digit)
        x2, y2 = x1 + _emu(ext, "cx"), y1 + _emu(ext, "cy")
    elif tag == "absoluteAnchor":
        pos = anchor.find(f"{_XDR}pos")
        x1, y1 = _emu(pos, "x"), _emu(pos, "y")
        x2, y2 = x1 + _emu(ext, "cx"), y1 + _emu(ext, "cy")
    else:
        return None
    cells = layout.covered(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2), digit)
    return None if cells is None else Drawn(content, *cells, anchor=number)


CONTRAST_FLOOR = 1.5
"""The contrast ratio (WCAG 2's, 1 to 21) below which a number's colour is taken as invisible on
its fill: white on white is 1, yellow on white 1.07, light grey (D9D9D9) on white 1.4; the
lesson's own faintest text (grey 666666 on white) is 5.7."""

THEME_ORDER = ("lt1", "dk1", "lt2", "dk2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6",
               "hlink", "folHlink")  # fmt: skip
"""Excel's theme colour indexes: 0 and 1 are the light and dark colours, swapped from the theme's order."""

FORMAT_COLOURS = {"black": "000000", "white": "FFFFFF", "red": "FF0000", "green": "00FF00", "blue": "0000FF",
                  "yellow": "FFFF00", "magenta": "FF00FF", "cyan": "00FFFF"}  # fmt: skip
"""A number format's ``[Colour]`` names (``[ColorN]`` is palette entry N)."""

WINDOW = "FFFFFF"
"""What shows through a cell without a fill: the window's background (white)."""
TEXT = "000000"
"""A font without a colour (or ``auto``): the window's text colour (black)."""


@dataclass(frozen=True)
class Colours:
    """What a workbook's styles paint: each cell style's font colour and fill colour (RGB hex,
    fill None when the cell has none), and each differential style's (None where it sets none)."""

    cells: dict[int, tuple[str, str | None]]
    differential: dict[int, tuple[str | None, str | None]]
    palette: list[str]


def contrast(one: str, other: str) -> float:
    """WCAG 2's contrast ratio of two RGB hex colours (1: the same; 21: black on white)."""

    def luminance(rgb: str) -> float:
        channels = [int(rgb[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _tinted(rgb: str, tint: float) -> str:
    """``rgb`` lightened (tint > 0) or darkened (tint < 0) in HLS, as Excel applies a tint."""
    h, lum, s = colorsys.rgb_to_hls(*(int(rgb[i : i + 2], 16) / 255 for i in (0, 2, 4)))
    lum = lum * (1 + tint) if tint < 0 else lum * (1 - tint) + tint
    return "".join(f"{round(c * 255):02X}" for c in colorsys.hls_to_rgb(h, min(max(lum, 0.0), 1.0), s))


def _theme(zin: object, book: str) -> list[str]:
    """The workbook theme's colours in Excel's index order (empty without a theme part)."""
    part = next((r.target for r in relationships(zin, book) if r.kind == THEME and not r.external), None)
    if part is None or part not in zin.NameToInfo:  # type: ignore[attr-defined]
        return []
    scheme = next((el for el in tree(zin, part).iter() if el.tag == f"{_A}clrScheme"), None)
    if scheme is None:
        return []
    found = {}
    for entry in scheme:
        colour = next(iter(entry), None)
        if colour is not None:
            value = colour.get("lastClr") if colour.tag == f"{_A}sysClr" else colour.get("val")
            if value and re.fullmatch(r"[0-9A-Fa-f]{6}", value):
                found[entry.tag.removeprefix(_A)] = value.upper()
    return [found.get(name, TEXT) for name in THEME_ORDER]


def _rgb(el: object, theme: list[str], palette: list[str], default: str | None) -> str | None:
    """An ``rgb``/``theme``/``indexed`` colour element as RGB hex (its tint applied), or ``default``."""
    if el is None:
        return default
    get = el.get  # type: ignore[attr-defined]
    tint = _size(get("tint", "").lstrip("-")) if get("tint") else None
    tint = 0.0 if tint is None else (-tint if get("tint", "").startswith("-") else tint)
    rgb = None
    if get("auto") in ("1", "true"):
        return default
    if (value := get("rgb")) and re.fullmatch(r"[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8}", value):
        rgb = value[-6:].upper()  # ARGB: the alpha byte is ignored, as Excel does
    elif (index := get("theme", "")).isdigit():
        rgb = theme[int(index)] if int(index) < len(theme) else None
    elif (index := get("indexed", "")).isdigit():
        number = int(index)
        rgb = palette[number] if number < len(palette) else {64: TEXT, 65: WINDOW}.get(number, default)
    if rgb is None:
        return default
    return _tinted(rgb, max(min(tint, 1.0), -1.0)) if tint else rgb


def _fill(el: object, theme: list[str], palette: list[str], differential: bool) -> str | None:
    """A ``<fill>``'s colour: a solid pattern's foreground (a differential style's solid fill is
    its background colour, as Excel reads it), or None for no fill, a gradient or a pattern."""
    pattern = el.find(f"{_MAIN}patternFill") if el is not None else None  # type: ignore[attr-defined]
    if pattern is None:
        return None
    kind = pattern.get("patternType")
    if differential and kind in (None, "solid"):
        colour = pattern.find(f"{_MAIN}bgColor")
        colour = colour if colour is not None else pattern.find(f"{_MAIN}fgColor")
    elif kind == "solid":
        colour = pattern.find(f"{_MAIN}fgColor")
    else:
        return None
    return _rgb(colour, theme, palette, None)


def colours(path: str | Path) -> Colours:
    """The font and fill colours of every cell style and differential style of the workbook."""
    from openpyxl.styles.colors import COLOR_INDEX  # Excel's 64-colour default palette

    with open_archive(path) as zin:
        book = workbook_part(zin)
        theme = _theme(zin, book)
        part = next((r.target for r in relationships(zin, book) if r.kind == STYLES and not r.external), None)
        if part is None or part not in zin.NameToInfo:
            return Colours({}, {}, [])
        root = tree(zin, part)
    palette = [rgb[-6:].upper() for rgb in COLOR_INDEX]
    custom = root.find(f"{_MAIN}colors/{_MAIN}indexedColors")
    if custom is not None:
        palette = [(el.get("rgb") or "00000000")[-6:].upper() for el in custom][: len(COLOR_INDEX)] or palette
    fonts = [
        _rgb(font.find(f"{_MAIN}color"), theme, palette, TEXT) or TEXT
        for font in root.iterfind(f"{_MAIN}fonts/{_MAIN}font")
    ]
    fills = [_fill(fill, theme, palette, False) for fill in root.iterfind(f"{_MAIN}fills/{_MAIN}fill")]
    cells = {}
    for index, xf in enumerate(root.iterfind(f"{_MAIN}cellXfs/{_MAIN}xf")):
        font, fill = xf.get("fontId", "0"), xf.get("fillId", "0")
        font_rgb = fonts[int(font)] if font.isdigit() and int(font) < len(fonts) else TEXT
        fill_rgb = fills[int(fill)] if fill.isdigit() and int(fill) < len(fills) else None
        cells[index] = (font_rgb, fill_rgb)
    differential = {}
    for index, dxf in enumerate(root.iterfind(f"{_MAIN}dxfs/{_MAIN}dxf")):
        font = dxf.find(f"{_MAIN}font")
        font_rgb = _rgb(font.find(f"{_MAIN}color"), theme, palette, None) if font is not None else None
        fill_rgb = _fill(dxf.find(f"{_MAIN}fill"), theme, palette, True)
        if font_rgb is not None or fill_rgb is not None:
            differential[index] = (font_rgb, fill_rgb)
    return Colours(cells, differential, palette)


def format_colours(code: str, palette: list[str]) -> list[str]:
    """The colours a number format's first three sections paint their numbers in (``[White]``,
    ``[Color9]``), as RGB hex."""
    found = []
    for tokens in _sections(code)[:3]:
        for token in tokens:
            name = token[1:-1].lower() if token.startswith("[") and token.endswith("]") else ""
            if name in FORMAT_COLOURS:
                found.append(FORMAT_COLOURS[name])
            elif name.startswith("color") and name[5:].isdigit() and 1 <= int(name[5:]) <= 56:
                found.append(palette[int(name[5:]) + 7] if int(name[5:]) + 7 < len(palette) else TEXT)
    return found


def colour_problem(font: str, fill: str | None) -> str | None:
    """Why a number in colour ``font`` on ``fill`` (None: the white window) cannot be seen, or None."""
    ground = fill or WINDOW
    ratio = contrast(font, ground)
    if ratio >= CONTRAST_FLOOR:
        return None
    what = "the same colour as" if font == ground else "too close in colour to"
    return f"its number (#{font}) is {what} its {'fill' if fill else 'background'} (#{ground}; contrast {ratio:.2f}:1)"
