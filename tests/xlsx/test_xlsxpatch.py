"""Tests of gdsheet.xlsx.patch: cells change, everything else in the file survives byte for byte.

The fixtures are real workbooks (openpyxl-made, with a chart, a conditional format, a data
validation, a defined name and shared strings) and a hand-written sheet in Excel's own style
(mc:Ignorable prefixes, spans, shared and array formulas, calcChain), because those are the
parts a re-serialising writer breaks. LibreOffice reads the patched file back as a real engine.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from gdsheet.errors import WorkbookError
from gdsheet.xlsx.patch import patch_workbook, sheet_xml_paths
from tests.support.libreoffice import recalculate
from tests.support.xlsx_books import (
    PREFIXED,
    SHEET_ROOT,
    SHEET_XML,
    cell_xml,
    excel_style_book,
    members,
)


def layout(path: Path) -> list[tuple[str, int]]:
    with zipfile.ZipFile(path) as z:
        return [(i.filename, i.compress_type) for i in z.infolist()]


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """An openpyxl workbook with a chart, conditional format, validation, two more sheets."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Lesson"
    ws["A1"] = "Gradient descent"  # a shared string
    for row, (x, y) in enumerate([(1, 2.5), (2, 4.1), (3, 6.2), (4, 7.9)], start=2):
        ws.cell(row, 2, x)
        ws.cell(row, 3, f"=B{row}*2")
        ws.cell(row, 4, y)
    for col, head in zip("NOPQ", ("epoch", "m", "b", "loss"), strict=True):
        ws[f"{col}2"] = head
    for row in (3, 4, 5):
        ws[f"N{row}"] = row - 2
        for col in "OPQ":
            ws[f"{col}{row}"] = row / 10
            ws[f"{col}{row}"].number_format = "0.000"
    ws["AA2"], ws["AA3"] = "note", 1
    ws["AA3"].number_format = "0.0%"
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=4, min_row=2, max_row=5))
    ws.add_chart(chart, "F2")
    fill = PatternFill(start_color="FFC7CE", end_color="FFC7CE", fill_type="solid")
    ws.conditional_formatting.add("D2:D5", CellIsRule(operator="greaterThan", formula=["5"], fill=fill))
    validation = DataValidation(type="decimal", operator="between", formula1="0", formula2="1")
    ws.add_data_validation(validation)
    validation.add("B10")
    wb.defined_names["epoch_log"] = DefinedName("epoch_log", attr_text="Lesson!$N$3:$Q$5")
    other = wb.create_sheet("My Sheet")
    other["A1"], other["B1"] = "Gradient descent", "=Lesson!B2+1"
    wb.create_sheet("O'Brien & Co")["A1"] = 5
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_values_cached_names_read_back_and_rest_is_byte_identical(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    before = members(book)
    patch_workbook(
        book,
        out,
        values={
            ("Lesson", "B2"): 0.1 + 0.2,
            ("Lesson", "B3"): 12345678901234,
            ("Lesson", "A1"): "a <b> & \"c\" 'd'",
            ("Lesson", "C5"): 42,  # a formula replaced by a constant
            ("My Sheet", "C1"): True,
            ("O'Brien & Co", "A1"): -1e-300,
        },
        cached={("Lesson", "C2"): 0.6000000000000001, ("Lesson", "C3"): "#NUM!", ("My Sheet", "B1"): "text"},
        names={"epoch_log": "Lesson!$N$3:$Q$12"},
    )
    wb = openpyxl.load_workbook(out)
    lesson = wb["Lesson"]
    assert lesson["B2"].value == 0.1 + 0.2
    assert lesson["B3"].value == 12345678901234
    assert lesson["A1"].value == "a <b> & \"c\" 'd'"
    assert lesson["C5"].value == 42
    assert lesson["C2"].value == "=B2*2"  # formulas themselves untouched
    assert lesson["C4"].value == "=B4*2"
    assert wb["My Sheet"]["C1"].value is True
    assert wb["O'Brien & Co"]["A1"].value == -1e-300
    assert wb.defined_names["epoch_log"].attr_text == "Lesson!$N$3:$Q$12"
    assert lesson.conditional_formatting and lesson.data_validations.dataValidation
    cached = openpyxl.load_workbook(out, data_only=True)
    assert cached["Lesson"]["C2"].value == 0.6000000000000001
    assert cached["Lesson"]["C3"].value == "#NUM!"
    assert cached["My Sheet"]["B1"].value == "text"

    after = members(out)
    paths = sheet_xml_paths(out)
    assert list(paths) == ["Lesson", "My Sheet", "O'Brien & Co"]
    changed = {*paths.values(), "xl/workbook.xml"}
    assert layout(out) == layout(book)  # same members, same order, same compression
    for name, data in before.items():
        if name not in changed:
            assert after[name] == data, name
    assert after["xl/charts/chart1.xml"] == before["xl/charts/chart1.xml"]
    assert after["xl/drawings/drawing1.xml"] == before["xl/drawings/drawing1.xml"]
    assert "/xl/charts/chart1.xml" in after["xl/drawings/_rels/drawing1.xml.rels"].decode()
    assert "/xl/drawings/drawing1.xml" in after["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    lesson_xml = after[paths["Lesson"]].decode()
    assert re.search(r'<drawing [^>]*r:id="rId1"', lesson_xml) and "<conditionalFormatting" in lesson_xml
    assert 'fullCalcOnLoad="1"' in after["xl/workbook.xml"].decode()
    assert "<v>0.30000000000000004</v>" in cell_xml(lesson_xml, "B2")
    assert 't="e"' in cell_xml(lesson_xml, "C3") and "<f>B3*2</f>" in cell_xml(lesson_xml, "C3")
    assert 'xml:space="preserve">a &lt;b&gt; &amp; "c" \'d\'</t>' in cell_xml(lesson_xml, "A1")


def test_growing_table_keeps_order_style_and_dimension(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    values = {("Lesson", f"{col}{row}"): row + 0.5 for row in (6, 7, 8) for col in ("Q", "N", "AA", "O", "P", "AB")}
    patch_workbook(book, out, values=values, names={"epoch_log": "Lesson!$N$3:$Q$8"})
    xml = members(out)[sheet_xml_paths(out)["Lesson"]].decode()
    rows = [int(r) for r in re.findall(r"<row r=\"(\d+)\"", xml)]
    assert rows == sorted(rows) and {6, 7, 8} <= set(rows)
    row7 = re.search(r"<row r=\"7\".*?</row>", xml, re.S).group(0)
    assert re.findall(r"<c r=\"([A-Z]+)7\"", row7) == ["N", "O", "P", "Q", "AA", "AB"]
    assert re.search(r'<dimension ref="A1:AB8"/>', xml)
    ws = openpyxl.load_workbook(out)["Lesson"]
    for row in (6, 7, 8):
        assert [ws[f"{c}{row}"].value for c in ("N", "O", "P", "Q", "AA", "AB")] == [row + 0.5] * 6
        assert ws[f"O{row}"].number_format == ws["O5"].number_format == "0.000"
        assert ws[f"Q{row}"].number_format == "0.000"
        assert ws[f"AA{row}"].number_format == "0.0%"
        assert ws[f"AB{row}"].number_format == "General"  # nothing above it
    assert ws.max_row == 8


def test_none_clears_value_but_keeps_style(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    patch_workbook(book, out, values={("Lesson", "O4"): None, ("Lesson", "C4"): None})
    ws = openpyxl.load_workbook(out)["Lesson"]
    assert ws["O4"].value is None and ws["O4"].number_format == "0.000"
    assert ws["C4"].value is None
    xml = members(out)[sheet_xml_paths(out)["Lesson"]].decode()
    assert re.fullmatch(r'<c r="O4" s="\d+"/>', cell_xml(xml, "O4"))


def test_src_may_equal_dst_and_keeps_file_mode(book: Path) -> None:
    book.chmod(0o640)
    patch_workbook(book, book, values={("Lesson", "B2"): 9})
    assert openpyxl.load_workbook(book)["Lesson"]["B2"].value == 9
    assert book.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in book.parent.iterdir()] == ["book.xlsx"]  # no temporary left


def test_full_calc_on_load_false_leaves_workbook_xml_alone(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    patch_workbook(book, out, values={("Lesson", "B2"): 3}, full_calc_on_load=False)
    assert members(out)["xl/workbook.xml"] == members(book)["xl/workbook.xml"]


# --- a hand-written sheet in Excel's own style ------------------------------------------------


def test_excel_style_sheet_keeps_namespaces_and_shared_formulas(tmp_path: Path) -> None:
    src = excel_style_book(tmp_path / "excel.xlsx")
    out = tmp_path / "out.xlsx"
    patch_workbook(
        src,
        out,
        values={("Data & Co", "A2"): 7, ("Data & Co", "B5"): 1.25, ("Data & Co", "D5"): "new"},
        cached={("Data & Co", "C3"): 4.5, ("Data & Co", "C2"): 14, ("Data & Co", "E3"): 21, ("Data & Co", "D2"): "a7"},
    )
    before, after = members(src), members(out)
    xml = after["xl/worksheets/sheet1.xml"].decode()
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + SHEET_ROOT)
    assert xml.count('<f t="shared" ref="C2:C5" si="0">A2*2</f>') == 1
    assert xml.count('<f t="shared" si="0"/>') == 2
    assert cell_xml(xml, "C3") == '<c r="C3"><f t="shared" si="0"/><v>4.5</v></c>'
    assert cell_xml(xml, "C2") == '<c r="C2"><f t="shared" ref="C2:C5" si="0">A2*2</f><v>14</v></c>'
    assert cell_xml(xml, "E3") == '<c r="E3"><v>21</v></c>'  # array formula member
    assert cell_xml(xml, "D2") == "<c s='1' r='D2' t=\"str\"><f>\"a\"&amp;A2</f><v>a7</v></c>"
    assert cell_xml(xml, "A2") == '<c r="A2"><v>7</v></c>'
    assert '<row r="5" ht="20" customHeight="1" x14ac:dyDescent="0.25">' in xml  # spans dropped
    assert cell_xml(xml, "B5") == '<c r="B5" s="1"><v>1.25</v></c>'  # style of B1 above
    assert '<row r="1" spans="1:5" x14ac:dyDescent="0.25">' in xml  # untouched rows verbatim
    assert "<pageMargins" in xml and '<dimension ref="A1:E5"/>' in xml
    # no formula was replaced: calcChain stays; sharedStrings and custom XML are untouched
    for name in ("xl/calcChain.xml", "xl/sharedStrings.xml", "customXml/item1.xml", "[Content_Types].xml"):
        assert after[name] == before[name]
    wb = openpyxl.load_workbook(out)
    ws = wb["Data & Co"]
    assert (ws["A2"].value, ws["B5"].value, ws["D5"].value, ws["C3"].value) == (7, 1.25, "new", "=A3*2")
    assert ws["B5"].number_format == "0.00%"
    values = openpyxl.load_workbook(out, data_only=True)["Data & Co"]
    assert (values["C2"].value, values["C3"].value, values["E3"].value, values["C1"].value) == (14, 4.5, 21, "y")
    workbook_xml = after["xl/workbook.xml"].decode()
    assert '<calcPr calcId="191029" fullCalcOnLoad="1"/>' in workbook_xml
    assert workbook_xml.split("<workbookPr")[0] == before["xl/workbook.xml"].decode().split("<workbookPr")[0]


def test_overwriting_shared_master_unshares_children_and_drops_calc_chain(tmp_path: Path) -> None:
    src = excel_style_book(tmp_path / "excel.xlsx")
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, values={("Data & Co", "C2"): 5, ("Data & Co", "D2"): "x"})
    after = members(out)
    xml = after["xl/worksheets/sheet1.xml"].decode()
    assert cell_xml(xml, "C2") == '<c r="C2"><v>5</v></c>'
    assert cell_xml(xml, "C3") == '<c r="C3"><f>A3*2</f><v>4</v></c>'
    assert cell_xml(xml, "C4") == '<c r="C4"><f>A4*2</f><v>6</v></c>'
    assert 't="shared"' not in xml
    assert cell_xml(xml, "D2") == "<c s='1' r='D2' t=\"inlineStr\"><is><t xml:space=\"preserve\">x</t></is></c>"
    assert "xl/calcChain.xml" not in after
    assert "calcChain" not in after["xl/_rels/workbook.xml.rels"].decode()
    assert "calcChain" not in after["[Content_Types].xml"].decode()
    assert list(after) == [n for n in members(src) if n != "xl/calcChain.xml"]
    ws = openpyxl.load_workbook(out)["Data & Co"]
    assert (ws["C2"].value, ws["C3"].value, ws["C4"].value) == (5, "=A3*2", "=A4*2")


def test_child_of_overwritten_master_gets_its_own_formula_and_cached_value(tmp_path: Path) -> None:
    src = excel_style_book(tmp_path / "excel.xlsx")
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, values={("Data & Co", "C2"): 5}, cached={("Data & Co", "C4"): 60})
    xml = members(out)["xl/worksheets/sheet1.xml"].decode()
    assert cell_xml(xml, "C3") == '<c r="C3"><f>A3*2</f><v>4</v></c>'
    assert cell_xml(xml, "C4") == '<c r="C4"><f>A4*2</f><v>60</v></c>'


def _sheet_with(data: str) -> str:
    """SHEET_XML with other <sheetData> content."""
    head, _, rest = SHEET_XML.partition("<sheetData>")
    return head + data + rest.partition("</sheetData>")[2]


NO_R = _sheet_with(
    '<sheetData>\n  <row>\n    <c><v>1</v></c>\n    <c s="1"><v>2</v></c>\n  </row>\n'
    '  <row >\n    <c ><v>3</v></c>\n  </row>\n  <row r="5"><c r="B5"><v>5</v></c></row>\n</sheetData>'
)


@pytest.mark.parametrize(
    ("sheet", "expected"),
    [
        (PREFIXED, [["x", None, "y", None, None], [9, None, "=A2*2", '="a"&A2', "=A2:A3*10"]]),
        (_sheet_with("<sheetData/>"), [[None, None, None, None, None], [9, None, None, None, None]]),
        (NO_R, [[1, 2, None, None, None], [9, None, None, None, None]]),  # row 2 held 3
    ],
    ids=["prefixed", "empty", "rows-and-cells-without-r"],
)
def test_unusual_but_valid_sheet_xml(tmp_path: Path, sheet: str, expected: list) -> None:
    src = excel_style_book(tmp_path / "odd.xlsx", sheet=sheet)
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, values={("Data & Co", "A2"): 9, ("Data & Co", "E7"): "end"})
    ws = openpyxl.load_workbook(out)["Data & Co"]
    rows = ws.iter_rows(min_row=1, max_row=2, max_col=5)
    assert [[getattr(c.value, "text", c.value) for c in row] for row in rows] == expected  # text: ArrayFormula
    assert ws["B5"].value == (5 if sheet is NO_R else None)
    assert ws["E7"].value == "end"
    assert ws.max_row == 7
    xml = members(out)["xl/worksheets/sheet1.xml"].decode()
    assert xml.startswith(sheet[: sheet.index(">", sheet.index("worksheet")) + 1])  # root tag as it was


def test_calc_pr_created_and_defined_name_at_workbook_level(tmp_path: Path) -> None:
    src = excel_style_book(tmp_path / "excel.xlsx", calc_pr=False)
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, names={"LOG": "'Data & Co'!$A$2:$A$9"})
    xml = members(out)["xl/workbook.xml"].decode()
    assert '</definedNames><calcPr fullCalcOnLoad="1"/><extLst>' in xml
    assert '<definedName name="log" localSheetId="0">\'Data &amp; Co\'!$A$1</definedName>' in xml
    assert "<definedName name=\"log\">'Data &amp; Co'!$A$2:$A$9</definedName>" in xml
    assert members(out)["xl/worksheets/sheet1.xml"] == members(src)["xl/worksheets/sheet1.xml"]


def test_xlsm_keeps_vba_project_byte_identical(tmp_path: Path) -> None:
    vba = bytes(range(256)) * 40
    src = excel_style_book(tmp_path / "macro.xlsm", vba=vba)
    out = tmp_path / "out.xlsm"
    patch_workbook(src, out, values={("Data & Co", "A3"): 2.5})
    assert members(out)["xl/vbaProject.bin"] == vba
    assert layout(out) == layout(src)
    assert openpyxl.load_workbook(out)["Data & Co"]["A3"].value == 2.5


def test_sheet_xml_paths_resolves_absolute_and_relative_targets(book: Path, tmp_path: Path) -> None:
    assert sheet_xml_paths(excel_style_book(tmp_path / "excel.xlsx")) == {"Data & Co": "xl/worksheets/sheet1.xml"}
    assert sheet_xml_paths(book)["O'Brien & Co"] == "xl/worksheets/sheet3.xml"  # openpyxl writes absolute


# --- errors ------------------------------------------------------------------------------------


def _not_zip(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    path.write_text("name,value\n")
    return path


def _truncated(tmp_path: Path) -> Path:
    path = excel_style_book(tmp_path / "book.xlsx")
    path.write_bytes(path.read_bytes()[:300])
    return path


def _bad_xml(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(excel_style_book(tmp_path / "good.xlsx")) as z, zipfile.ZipFile(path, "w") as out:
        for info in z.infolist():
            data = z.read(info)
            out.writestr(info, data[:-40] if info.filename == "xl/workbook.xml" else data)
    return path


def _good(tmp_path: Path) -> Path:
    return excel_style_book(tmp_path / "book.xlsx")


@pytest.mark.parametrize(
    ("make", "kwargs", "message"),
    [
        (lambda tmp: tmp / "book.xlsx", {}, "no such file"),
        (_not_zip, {}, "not a workbook (not a zip archive"),
        (_truncated, {}, "not a workbook (not a zip archive"),
        (_bad_xml, {}, "corrupt workbook"),
        (_good, {"values": {("Nope", "A1"): 1}}, "no sheet 'Nope' (sheets: Data & Co)"),
        (_good, {"values": {("Data & Co", "A0"): 1}}, "bad cell reference 'A0'"),
        (_good, {"values": {("Data & Co", "XFE1"): 1}}, "bad cell reference 'XFE1'"),
        (_good, {"values": {("Data & Co", "A1048577"): 1}}, "bad cell reference 'A1048577'"),
        (_good, {"cached": {("Data & Co", "$A$1"): 1}}, "bad cell reference '$A$1'"),
        (_good, {"names": {"nope": "A1"}}, "no workbook-level defined name 'nope'"),
        (_good, {"cached": {("Data & Co", "A2"): 1}}, "cell A2: cached value given but the cell has no formula"),
        (_good, {"cached": {("Data & Co", "Z9"): 1}}, "cell Z9: cached value given but the cell has no formula"),
        (_good, {"values": {("Data & Co", "E3"): 1}}, "cell E3: cannot overwrite part of an array formula"),
        (_good, {"values": {("Data & Co", "A2"): float("nan")}}, "non-finite number nan"),
        (_good, {"values": {("Data & Co", "A2"): [1]}}, "unsupported value [1]"),
        (_good, {"values": {("Data & Co", "A2"): 1}, "cached": {("Data & Co", "A2"): 2}}, "given more than once"),
    ],
)
def test_errors_name_the_file_and_leave_dst_alone(tmp_path: Path, make, kwargs, message: str) -> None:
    src = make(tmp_path)
    for dst in (tmp_path / "new.xlsx", tmp_path / "old.xlsx"):
        if dst.name == "old.xlsx":
            dst.write_bytes(b"previous content")
        listing = sorted(p.name for p in tmp_path.iterdir())
        with pytest.raises(WorkbookError) as info:
            patch_workbook(src, dst, **kwargs)
        text = str(info.value)
        assert text.startswith(f"{src}: ") and message in text and "\n" not in text
        assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no dst, no temporary
        if dst.name == "old.xlsx":
            assert dst.read_bytes() == b"previous content"


def test_sheet_xml_paths_errors_name_the_file(tmp_path: Path) -> None:
    for make, message in ((lambda tmp: tmp / "book.xlsx", "no such file"), (_not_zip, "not a zip archive")):
        with pytest.raises(WorkbookError, match="book.xlsx: .*" + re.escape(message)):
            sheet_xml_paths(make(tmp_path))


def test_unwritable_destination_is_a_workbook_error(book: Path, tmp_path: Path) -> None:
    dst = tmp_path / "missing-dir" / "out.xlsx"
    with pytest.raises(WorkbookError, match=re.escape(f"{dst}: cannot write")):
        patch_workbook(book, dst, values={("Lesson", "B2"): 1})


# --- LibreOffice as a real engine -----------------------------------------------------------


@pytest.mark.libreoffice
def test_libreoffice_reads_the_patched_numbers(need_soffice: str, book: Path, tmp_path: Path) -> None:
    patched = tmp_path / "patched.xlsx"
    values = {("Lesson", "B2"): 0.125, ("Lesson", "O6"): 1.0625, ("Lesson", "AB6"): 123456.5}
    values |= {("O'Brien & Co", "A1"): -2.5, ("Lesson", "A1"): "new & <title>"}
    patch_workbook(
        book, patched, values=values, cached={("Lesson", "C3"): 999}, names={"epoch_log": "Lesson!$N$3:$Q$6"}
    )
    sheets = recalculate(patched, shown=False)
    lesson = sheets["Lesson"]
    assert lesson[0][0] == "new & <title>"
    assert lesson[1][1:3] == ["0.125", "0.25"]  # B2, and C2 = B2*2 recalculated from it
    assert lesson[2][2] == "4"  # the cached 999 was recalculated away: the formula is intact
    assert lesson[5][14] == "1.0625" and lesson[5][27] == "123456.5"
    assert sheets["My Sheet"][0][1] == "1.125"  # =Lesson!B2+1
    assert sheets["O'Brien & Co"][0][0] == "-2.5"
    excel = excel_style_book(tmp_path / "excel.xlsx")
    patch_workbook(excel, excel, values={("Data & Co", "A2"): 50, ("Data & Co", "E5"): 0.5})
    data = recalculate(excel, shown=False)["Data & Co"]
    assert [row[2] for row in data[1:4]] == ["100", "4", "6"]  # the shared formula recalculated
    assert data[4][4] == "0.5"
