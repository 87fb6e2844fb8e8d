"""Tamperings of a built lesson, each a way to make a workbook show numbers the lesson's maths
does not give (issue 16's battery), for `check`'s tests and its property test.

Each tampering takes a lesson that has run one epoch (so its formulas hold cached values) and
the path to write, and returns the text `check` must name (a cell or a name). Edits of names and
formulas go through openpyxl; edits of cached values and of the workbook part go through the XML.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Color, Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat
from openpyxl.utils.cell import absolute_coordinate
from openpyxl.workbook.defined_name import DefinedName

from gdsheet.engine.evaluator import defined_areas
from gdsheet.xlsx.ranges import Range

SHEET_PART = "xl/worksheets/sheet1.xml"
NEW_M = 8
"""new_m's column in the line's descent table: x, y, m, b, y_pred, error_sq, err_m1, de/dm, new_m…"""
Tampering = Callable[[Path, Path], str]


def areas(path: Path) -> dict[str, Range]:
    return defined_areas(openpyxl.load_workbook(path))


def cell(area: Range, row: int = 0, column: int = 0) -> str:
    return f"{openpyxl.utils.get_column_letter(area.min_col + column)}{area.min_row + row}"


def rewrite_member(source: Path, target: Path, name: str, edit: Callable[[str], str]) -> None:
    """Copy ``source`` to ``target`` with member ``name``'s text passed through ``edit``."""
    tmp = target.with_suffix(".part")
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == name:
                data = edit(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)
    shutil.move(tmp, target)


def stale_cache(source: Path, target: Path) -> str:
    """rmse's cached value doubled (fullCalcOnLoad kept): an application that trusts caches shows it."""
    address = cell(areas(source)["rmse"])
    rewrite_member(source, target, SHEET_PART, lambda text: _scale_cached_one(text, address, 2.0))
    return f"Lesson!{address}"


def _scale_cached_one(text: str, address: str, factor: float) -> str:
    pattern = re.compile(rf'(<c r="{address}"[^>]*><f[^>]*>[^<]*</f>)<v>([^<]*)</v>')  # LibreOffice: <f aca="false">
    assert pattern.search(text), address
    return pattern.sub(lambda m: f"{m.group(1)}<v>{float(m.group(2)) * factor!r}</v>", text, count=1)


def scaled_caches(source: Path, target: Path) -> str:
    """Every descent cell's cache times 10 and fullCalcOnLoad removed: LibreOffice shows them all."""
    table = areas(source)["descent"]
    first = cell(table, 0, 2)
    cells = {cell(table, row, column) for row in range(table.shape[0]) for column in range(2, table.shape[1])}

    def edit(text: str) -> str:
        for address in cells:
            text = _scale_cached_one(text, address, 10.0)
        return text

    middle = target.with_name("middle.xlsx")
    rewrite_member(source, middle, SHEET_PART, edit)
    rewrite_member(middle, target, "xl/workbook.xml", lambda text: text.replace(' fullCalcOnLoad="1"', ""))
    middle.unlink()
    return f"Lesson!{first}"


def _with_book(source: Path, target: Path, edit: Callable[[openpyxl.Workbook], None]) -> None:
    book = openpyxl.load_workbook(source)
    edit(book)
    book.save(target)


def moved_rmse(source: Path, target: Path) -> str:
    """rmse moved to a far cell holding the right formula; its old cell holds a wrong constant."""
    old = areas(source)["rmse"]

    def edit(book: openpyxl.Workbook) -> None:
        ws = book["Lesson"]
        ws["AZ200"] = ws[cell(old)].value
        ws[cell(old)] = 1.5
        book.defined_names["rmse"] = DefinedName("rmse", attr_text="Lesson!$AZ$200")

    _with_book(source, target, edit)
    return "'rmse'"


def grid_deleted(source: Path, target: Path) -> str:
    """The grid's name deleted and its formulas replaced by wrong constants."""
    grid = areas(source)["grid"]

    def edit(book: openpyxl.Workbook) -> None:
        del book.defined_names["grid"]
        for row in range(grid.shape[0]):
            for column in range(grid.shape[1]):
                book["Lesson"][cell(grid, row, column)] = 1.0

    _with_book(source, target, edit)
    return "'grid'"


def hidden_name_over_rmse(source: Path, target: Path) -> str:
    """A hidden name that no lesson defines over rmse's cell (a constant there would look like an input)."""
    address = areas(source)["rmse"]

    def edit(book: openpyxl.Workbook) -> None:
        book.defined_names["mine"] = DefinedName("mine", attr_text=f"Lesson!{absolute_coordinate(cell(address))}",
                                                 hidden=True)  # fmt: skip
        book["Lesson"][cell(address)] = 1.5

    _with_book(source, target, edit)
    return "'mine'"


def name_over_descent(source: Path, target: Path) -> str:
    """A name over the whole descent table whose cells are typed constants."""
    table = areas(source)["descent"]

    def edit(book: openpyxl.Workbook) -> None:
        book.defined_names["inputs"] = DefinedName(
            "inputs", attr_text=f"Lesson!{cell(table)}:{cell(table, table.shape[0] - 1, table.shape[1] - 1)}"
        )
        book["Lesson"][cell(table, 3, NEW_M)] = 2.5

    _with_book(source, target, edit)
    return "'inputs'"


def rmse_union(source: Path, target: Path) -> str:
    """rmse redefined as a union of two cells."""
    old = areas(source)["rmse"]

    def edit(book: openpyxl.Workbook) -> None:
        book.defined_names["rmse"] = DefinedName("rmse", attr_text=f"Lesson!{cell(old)},Lesson!$A$1")

    _with_book(source, target, edit)
    return "'rmse'"


def sheet_level(name: str) -> Tampering:
    """A sheet-level ``name`` on the Lesson sheet, pointing at another number, which the sheet's
    formulas read instead of the workbook-level one."""

    def tamper(source: Path, target: Path) -> str:
        def edit(book: openpyxl.Workbook) -> None:
            ws = book["Lesson"]
            ws["AZ300"] = 0.5
            ws.defined_names[name] = DefinedName(name, attr_text="Lesson!$AZ$300", localSheetId=0)

        _with_book(source, target, edit)
        return f"'{name}'"

    tamper.__name__ = f"sheet_level_{name}"
    return tamper


def both_cases(source: Path, target: Path) -> str:
    """``RMSE`` defined beside ``rmse``, over another cell."""

    def edit(book: openpyxl.Workbook) -> None:
        book["Lesson"]["AZ300"] = 3.0
        book.defined_names["RMSE"] = DefinedName("RMSE", attr_text="Lesson!$AZ$300")

    _with_book(source, target, edit)
    return "'RMSE'"


def typed_log(source: Path, target: Path) -> str:
    """An epoch log typed by hand: 5 epochs converging to a loss of 0.001 that no run produced."""
    log = areas(source)["epoch_log"]

    def edit(book: openpyxl.Workbook) -> None:
        ws = book["Lesson"]
        for k in range(5):
            for column, value in enumerate((k + 1, 2.0 + 0.01 * k, 30.0 - 0.1 * k, (10, 1, 0.1, 0.01, 0.001)[k])):
                ws[cell(log, k, column)] = value
        book.defined_names["epoch_log"] = DefinedName("epoch_log", attr_text=f"Lesson!{cell(log)}:{cell(log, 4, 3)}")

    _with_book(source, target, edit)
    return f"epoch_log row {log.min_row}"


def _new_m_formula(extra: Callable[[str], str]) -> Tampering:
    def tamper(source: Path, target: Path) -> str:
        table = areas(source)["descent"]
        address = cell(table, 2, NEW_M)

        def edit(book: openpyxl.Workbook) -> None:
            ws = book["Lesson"]
            ws[address] = extra(ws[address].value)

        _with_book(source, target, edit)
        return f"Lesson!{address}"

    return tamper


round_half = _new_m_formula(lambda formula: f"{formula}+(ROUND(1.005,2)-1)*100")
"""Excel and LibreOffice round 1.005 to 1.01 (so this adds 1); a ROUND that gives 1.00 adds nothing."""
round_half.__name__ = "round_half"

iferror_quotient = _new_m_formula(lambda formula: f"=IFERROR(ACOSH(1)*0+{formula[1:]},{formula[1:]})")
"""A function the compiled engine does not implement (ACOSH: `formulas` evaluates it) beside the
right formula: the values agree, but check cannot vouch for what Excel shows."""
iferror_quotient.__name__ = "iferror_quotient"

TAMPERINGS: tuple[Tampering, ...] = (
    stale_cache, scaled_caches, moved_rmse, grid_deleted, hidden_name_over_rmse, name_over_descent, rmse_union,
    sheet_level("learn"), sheet_level("m_start"), both_cases, typed_log, round_half, iferror_quotient,
)  # fmt: skip

RMSE_TAMPERINGS: tuple[Tampering, ...] = (moved_rmse, hidden_name_over_rmse, rmse_union, both_cases)
"""The tamperings of rmse's name: each reads the name as built, so at most one of them applies."""


DRAWING_MAIN = "http://schemas.openxmlformats.org/drawingml/2006/main"
SPREADSHEET_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"


def _add_to_drawing(source: Path, target: Path, anchor: str) -> None:
    """``anchor`` appended to the Lesson sheet's drawing (the root may be ``wsDr`` or, as
    LibreOffice writes it, ``xdr:wsDr``)."""

    def edit(text: str) -> str:
        edited, count = re.subn(r"</(\w+:)?wsDr>\s*$", lambda m: anchor + m.group(0), text)
        assert count == 1, text[-200:]
        return edited

    rewrite_member(source, target, "xl/drawings/drawing1.xml", edit)


TEXT_BOX = (
    '<twoCellAnchor xmlns="' + SPREADSHEET_DRAWING + '">'
    "<from><col>{col}</col><colOff>0</colOff><row>{row}</row><rowOff>0</rowOff></from>"
    "<to><col>{col2}</col><colOff>0</colOff><row>{row2}</row><rowOff>0</rowOff></to>"
    f'<sp xmlns:a="{DRAWING_MAIN}" macro="" textlink="">'
    '<nvSpPr><cNvPr id="99" name="TextBox 99"/><cNvSpPr txBox="1"/></nvSpPr>'
    '<spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill></spPr>'
    "<txBody><a:bodyPr/><a:p><a:r><a:t>1.23</a:t></a:r></a:p></txBody></sp><clientData/></twoCellAnchor>"
)


def text_box_over_rmse(source: Path, target: Path) -> str:
    """A white text box reading 1.23 drawn over rmse's cell (in the sheet's existing drawing)."""
    rmse = areas(source)["rmse"]
    box = TEXT_BOX.format(col=rmse.min_col - 1, row=rmse.min_row - 1, col2=rmse.min_col, row2=rmse.min_row)
    _add_to_drawing(source, target, box)
    return f"Lesson!{cell(rmse)}"


def _number_format(name: str, code: str, row: int = 0, column: int = 0) -> Tampering:
    def tamper(source: Path, target: Path) -> str:
        area = areas(source)[name]
        address = cell(area, row, column)

        def edit(book: openpyxl.Workbook) -> None:
            book["Lesson"][address].number_format = code

        _with_book(source, target, edit)
        return f"Lesson!{address}"

    return tamper


literal_format = _number_format("rmse", '"12.50"')
"""rmse's right formula shown as the text 12.50, whatever its value."""
literal_format.__name__ = "literal_format"

zero_literal_format = _number_format("descent", '0.00;-0.00;"12.5"', 1, 5)
"""An error_sq cell whose zero section is the literal 12.5 (shown only when the value is 0)."""
zero_literal_format.__name__ = "zero_literal_format"

scaling_format = _number_format("descent", "0.000,,", 4, NEW_M)
"""A new_m cell shown divided by a million."""
scaling_format.__name__ = "scaling_format"

percent_format = _number_format("next_b", "0.00%")
"""next_b shown times 100."""
percent_format.__name__ = "percent_format"

date_format = _number_format("next_m", "yyyy-mm-dd")
"""next_m shown as a date (day 2 of 1900)."""
date_format.__name__ = "date_format"

hidden_format = _number_format("descent", ";;;", 3, NEW_M - 1)
"""A de/dm cell whose every section is empty: it shows nothing."""
hidden_format.__name__ = "hidden_format"


def default_style_hidden(source: Path, target: Path) -> str:
    """The workbook's default cell style (cellXfs 0, which a cell without ``s`` uses) given the
    format ``;;;``: every unstyled cell shows nothing. Returns the first unstyled lesson cell."""
    first = _first_unstyled_cell(source)

    def edit(text: str) -> str:
        hidden = '<numFmt numFmtId="190" formatCode=";;;"/>'
        if "<numFmts" in text:
            text = re.sub(r"<numFmts[^>]*>", lambda m: m.group(0) + hidden, text, count=1)
        else:
            text = text.replace("<fonts", f'<numFmts count="1">{hidden}</numFmts><fonts')
        return re.sub(r'(<cellXfs[^>]*>\s*<xf )numFmtId="\d+"', r'\1numFmtId="190"', text, count=1)

    rewrite_member(source, target, "xl/styles.xml", edit)
    return first


def _first_unstyled_cell(source: Path) -> str:
    """The first lesson cell written without a style (``s`` absent or 0), as Lesson!A1."""
    with zipfile.ZipFile(source) as zin:
        text = zin.read(SHEET_PART).decode("utf-8")
    named = areas(source)
    for match in re.finditer(r'<c r="([A-Z]+)(\d+)"((?: [a-z]+="[^"]*")*)', text):
        attrs = match.group(3)
        if ' s="' in attrs and ' s="0"' not in attrs:
            continue
        column = openpyxl.utils.column_index_from_string(match.group(1))
        row = int(match.group(2))
        if any(a.sheet == "Lesson" and a.min_row <= row <= a.max_row and a.min_col <= column <= a.max_col
               for a in named.values()):  # fmt: skip
            return f"Lesson!{match.group(1)}{row}"
    raise AssertionError("every lesson cell has a style")


SHAPE = (
    '<oneCellAnchor xmlns="' + SPREADSHEET_DRAWING + '">'
    "<from><col>{col}</col><colOff>0</colOff><row>{row}</row><rowOff>0</rowOff></from>"
    '<ext cx="{cx}" cy="{cy}"/><sp macro="" textlink="" xmlns:a="' + DRAWING_MAIN + '">'
    '<nvSpPr><cNvPr id="98" name="Rectangle 98"/><cNvSpPr/></nvSpPr><spPr><a:xfrm><a:off x="0" y="0"/>'
    '<a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill>'
    '<a:srgbClr val="FFFFFF"/></a:solidFill></spPr></sp><clientData/></oneCellAnchor>'
)


def shape_over_descent(source: Path, target: Path) -> str:
    """A white rectangle (a shape, no text) anchored at one cell and sized in EMU so that it
    covers new_m's cells of rows 3 to 5 of the descent table."""
    table = areas(source)["descent"]
    column, row = table.min_col + NEW_M - 1, table.min_row + 1  # 0-based: the anchor's col and row
    shape = SHAPE.format(col=column, row=row, cx=600_000, cy=3 * 190_000)
    _add_to_drawing(source, target, shape)
    return f"Lesson!{cell(table, 2, NEW_M)}"


def shape_past_narrow_column(source: Path, target: Path) -> str:
    """A white rectangle anchored 300 pixels into column A (44 digits, 308 pixels) and 27 pixels
    wide: past the narrow column B (2 digits, 14 pixels) it covers 5 pixels of guess_x's first
    cell in column C. By Excel's default column size (64 pixels) it would end inside column A."""
    guess = areas(source)["guess_x"]
    assert guess.min_col == 3, guess
    shape = SHAPE.format(col=0, row=guess.min_row - 1, cx=27 * 9_525, cy=190_500).replace(
        "<colOff>0</colOff>", f"<colOff>{300 * 9_525}</colOff>", 1
    )
    _add_to_drawing(source, target, shape)
    return f"Lesson!{cell(guess)}"


def chart_over_data(source: Path, target: Path) -> str:
    """The fit chart (a one-cell anchor right of the data) moved to column B: it covers data_x's
    first cell."""
    data = areas(source)["data_x"]

    def edit(text: str) -> str:
        edited, count = re.subn(r"<from><col>\d+</col>", "<from><col>1</col>", text, count=1)
        assert count == 1, text[:300]
        return edited

    rewrite_member(source, target, "xl/drawings/drawing1.xml", edit)
    return f"Lesson!{cell(data)}"


def conditional_format(code: str, name: str = "rmse") -> Tampering:
    """A conditional-format rule that always holds (``=TRUE``) over ``name``'s first cell, whose
    differential style sets the number format ``code``."""

    def tamper(source: Path, target: Path) -> str:
        address = cell(areas(source)[name])

        def edit(book: openpyxl.Workbook) -> None:
            dxf = DifferentialStyle(numFmt=NumberFormat(numFmtId=200, formatCode=code))
            book["Lesson"].conditional_formatting.add(f"{address}:{address}", Rule("expression", dxf=dxf,
                                                                                   formula=["TRUE"]))  # fmt: skip

        _with_book(source, target, edit)
        return f"Lesson!{address}"

    tamper.__name__ = f"conditional_format_{code}"
    return tamper


X14_RULE = (
    '<ext uri="{{78C0D931-6437-407d-A8EE-F0AAD7539E65}}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:conditionalFormattings><x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:cfRule type="expression" priority="1" id="{{00000000-0000-0000-0000-000000000001}}"><xm:f>TRUE</xm:f>'
    '<x14:dxf><numFmt numFmtId="201" formatCode="{code}"/></x14:dxf></x14:cfRule>'
    "<xm:sqref>A1 {cells}</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext>"
)


def x14_conditional_format(source: Path, target: Path) -> str:
    """An Excel 2010 conditional format (in the sheet's ``extLst``, its style inline) that always
    holds over rmse's cell and shows it as the literal 12.50."""
    address = cell(areas(source)["rmse"])
    rule = X14_RULE.format(code="&quot;12.50&quot;", cells=f"{address}:{address}")

    def edit(text: str) -> str:
        if "<extLst>" in text:
            return text.replace("<extLst>", "<extLst>" + rule, 1)
        return text.replace("</worksheet>", f"<extLst>{rule}</extLst></worksheet>", 1)

    rewrite_member(source, target, SHEET_PART, edit)
    return f"Lesson!{address}"


conditional_literal = conditional_format('"12.50"')
conditional_scaling = conditional_format("0.00,,", "next_m")

DISPLAY_TAMPERINGS: tuple[Tampering, ...] = (
    conditional_literal, conditional_scaling, x14_conditional_format,
    text_box_over_rmse, shape_over_descent, shape_past_narrow_column, chart_over_data,
    literal_format, zero_literal_format, scaling_format, percent_format,
    date_format, hidden_format, default_style_hidden,
)  # fmt: skip
"""Tamperings of what is displayed (number formats, drawings), not of values or names."""

FORMAT_TAMPERINGS: tuple[Tampering, ...] = (
    literal_format, zero_literal_format, scaling_format, percent_format, date_format, hidden_format,
)  # fmt: skip
"""The display tamperings that LibreOffice's shown text reveals (a drawing is not in its text, and
its CSV export does not apply conditional formats: its rendering does, see check's tests)."""


OTHER_TAMPERINGS: tuple[Tampering, ...] = (
    *(t for t in TAMPERINGS if t not in (stale_cache, scaled_caches, *RMSE_TAMPERINGS)),
    zero_literal_format, scaling_format, percent_format, date_format, hidden_format, conditional_scaling,
)  # fmt: skip
"""The other tamperings that rewrite the workbook with openpyxl (which drops cached values and
drawings) and do not read rmse's name, so any number of them can follow one another (and one of
:data:`RMSE_TAMPERINGS`)."""


def _rmse_row(source: Path) -> int:
    return areas(source)["rmse"].min_row


def hidden_row(source: Path, target: Path) -> str:
    """rmse's row (the controls) hidden."""
    row = _rmse_row(source)
    _with_book(source, target, lambda book: setattr(book["Lesson"].row_dimensions[row], "hidden", True))
    return f"Lesson!{cell(_first_on_row(source, row))}"


def zero_height_row(source: Path, target: Path) -> str:
    """rmse's row 0 points high (``ht="0"``, not flagged hidden)."""
    row = _rmse_row(source)

    def edit(text: str) -> str:
        edited, count = re.subn(rf'<row r="{row}"', f'<row r="{row}" ht="0" customHeight="1"', text, count=1)
        assert count == 1
        return edited

    rewrite_member(source, target, SHEET_PART, edit)
    return f"Lesson!{cell(_first_on_row(source, row))}"


def collapsed_outline(source: Path, target: Path) -> str:
    """The descent table's rows 2 to 5 grouped in an outline and collapsed (Excel writes the
    detail rows hidden, the summary row collapsed)."""
    table = areas(source)["descent"]

    def edit(book: openpyxl.Workbook) -> None:
        book["Lesson"].row_dimensions.group(table.min_row + 1, table.min_row + 4, outline_level=1, hidden=True)

    _with_book(source, target, edit)
    return f"Lesson!{cell(table, 1)}"


def hidden_column(source: Path, target: Path) -> str:
    """new_m's column hidden."""
    table = areas(source)["descent"]
    letter = openpyxl.utils.get_column_letter(table.min_col + NEW_M)
    _with_book(source, target, lambda book: setattr(book["Lesson"].column_dimensions[letter], "hidden", True))
    return f"Lesson!{_first_in_column(source, table.min_col + NEW_M)}"


def zero_width_column(source: Path, target: Path) -> str:
    """new_m's column 0 wide (``width="0"``, not flagged hidden)."""
    column = areas(source)["descent"].min_col + NEW_M

    def edit(text: str) -> str:
        pattern = rf'<col width="[0-9.]+"( customWidth="1")? min="{column}" max="{column}"'
        edited, count = re.subn(pattern, f'<col width="0" customWidth="1" min="{column}" max="{column}"', text, count=1)
        assert count == 1, text[:1500]
        return edited

    rewrite_member(source, target, SHEET_PART, edit)
    return f"Lesson!{_first_in_column(source, column)}"


def zero_height_sheet(source: Path, target: Path) -> str:
    """``zeroHeight`` on the Lesson sheet: every row without its own height is hidden."""
    rewrite_member(
        source, target, SHEET_PART, lambda text: text.replace("<sheetFormatPr ", '<sheetFormatPr zeroHeight="1" ', 1)
    )
    return _first_lesson_cell(source)


def hidden_sheet(state: str) -> Tampering:
    """The Lesson sheet hidden (``state``) behind a visible sheet of other numbers."""

    def tamper(source: Path, target: Path) -> str:
        def edit(book: openpyxl.Workbook) -> None:
            decoy = book.create_sheet("Results", 0)
            decoy["A1"], decoy["B1"] = "RMSE", 0.01
            book.active = 0
            book["Lesson"].sheet_state = state

        _with_book(source, target, edit)
        return _first_lesson_cell(source)

    tamper.__name__ = f"sheet_{state}"
    return tamper


def _font(name: str, label: str, **font: object) -> Tampering:
    def tamper(source: Path, target: Path) -> str:
        address = cell(areas(source)[name])

        def edit(book: openpyxl.Workbook) -> None:
            book["Lesson"][address].font = Font(**font)

        _with_book(source, target, edit)
        return f"Lesson!{address}"

    tamper.__name__ = label
    return tamper


white_font = _font("rmse", "white_font", color="FFFFFF")
"""rmse in white on no fill (the white window)."""
theme_font = _font("next_m", "theme_font", color=Color(theme=0))
"""next_m in the theme's first colour (lt1, white in Office's theme)."""
indexed_font = _font("next_b", "indexed_font", color=Color(indexed=9))
"""next_b in palette entry 9 (white)."""
tinted_font = _font("rmse", "tinted_font", color=Color(theme=1, tint=0.95))
"""rmse in the theme's dark colour lightened 95% (nearly white)."""


def font_as_fill(source: Path, target: Path) -> str:
    """learn (a shaded input) in its own fill's colour."""
    address = cell(areas(source)["learn"])

    def edit(book: openpyxl.Workbook) -> None:
        ws = book["Lesson"]
        ws[address].font = Font(color=ws[address].fill.fgColor.rgb)

    _with_book(source, target, edit)
    return f"Lesson!{address}"


white_format = _number_format("descent", "[White]0.00", 2, NEW_M)
"""A new_m cell whose number format paints it white."""
white_format.__name__ = "white_format"


def conditional_paint(font: str | None, fill: str | None) -> Tampering:
    """A conditional-format rule that always holds over rmse, its dxf setting ``font``/``fill``."""

    def tamper(source: Path, target: Path) -> str:
        address = cell(areas(source)["rmse"])

        def edit(book: openpyxl.Workbook) -> None:
            paint = PatternFill("solid", bgColor=fill, fgColor=fill) if fill else None
            dxf = DifferentialStyle(font=Font(color=font) if font else None, fill=paint)
            rule = Rule("expression", dxf=dxf, formula=["TRUE"])
            book["Lesson"].conditional_formatting.add(f"{address}:{address}", rule)

        _with_book(source, target, edit)
        return f"Lesson!{address}"

    tamper.__name__ = f"conditional_font{font}_fill{fill}"
    return tamper


def _first_on_row(source: Path, row: int) -> Range:
    """The first filled lesson cell on ``row`` of the Lesson sheet, as a one-cell Range."""
    return _first_filled(source, lambda r, c: r == row)


def _first_in_column(source: Path, column: int) -> str:
    return cell(_first_filled(source, lambda r, c: c == column))


def _first_lesson_cell(source: Path) -> str:
    return f"Lesson!{cell(_first_filled(source, lambda r, c: True))}"


def _first_filled(source: Path, where: Callable[[int, int], bool]) -> Range:
    ws = openpyxl.load_workbook(source)["Lesson"]
    found = sorted((r, c) for area in areas(source).values() if area.sheet == "Lesson"
                   for r in range(area.min_row, area.max_row + 1) for c in range(area.min_col, area.max_col + 1)
                   if where(r, c) and ws.cell(r, c).value is not None)  # fmt: skip
    row, column = found[0]
    return Range("Lesson", row, column, row, column)


HIDDEN_TAMPERINGS: tuple[Tampering, ...] = (
    hidden_row, zero_height_row, collapsed_outline, hidden_column, zero_width_column, zero_height_sheet,
    hidden_sheet("hidden"), hidden_sheet("veryHidden"), white_font, theme_font, indexed_font, tinted_font,
    font_as_fill, white_format, conditional_paint("FFFFFF", None), conditional_paint(None, "111111"),
    conditional_paint("FFF2CC", "FFF2CC"),
)  # fmt: skip
"""Tamperings that hide a lesson's numbers: hidden rows, columns and sheets, and numbers painted
in their fill's colour (the cell's style, its number format, a conditional format)."""

CHAINABLE_TAMPERINGS: tuple[Tampering, ...] = (
    *OTHER_TAMPERINGS, collapsed_outline, hidden_column, hidden_sheet("veryHidden"), theme_font, indexed_font,
    white_format, font_as_fill,
)  # fmt: skip
""":data:`OTHER_TAMPERINGS` and the hiding tamperings that rewrite with openpyxl and do not read
rmse's name: any number of them can follow one another (and one of :data:`RMSE_TAMPERINGS`)."""
