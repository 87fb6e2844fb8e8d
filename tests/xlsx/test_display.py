"""Number formats that show another number than the cell's value, and drawings over cells,
read from a workbook's parts by relationship type."""

from __future__ import annotations

from pathlib import Path

import pytest

from gdsheet.cli import main
from gdsheet.commands.build import build
from gdsheet.engine.book import read_book
from gdsheet.xlsx.display import EMU_PER_PIXEL, EMU_PER_POINT, Layout, drawings, format_problem, number_formats
from tests.support.tamper import rewrite_member


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("General", None), ("0", None), ("0.000", None), ("#,##0.00", None), ("0.00E+00", None),
        ("[Red]0.00;[Blue]-0.00", None), ("0.0%%", "by 100"), ("0.0_);(0.0)", None), ('0.00" m"', None), ("@", None),
        ('"12.50"', "literal number"), ("\\1\\2.00", "literal number"), ('0.00"1"', "literal number"),
        ("12.50", "literal number"), ("0%", "by 100"), ("0.00%", "by 100"), ("0,,", "1,000 or more"),
        ("#,##0.0,", "1,000 or more"), ("yyyy-mm-dd", "date or time"), ("[h]:mm", "date or time"),
        (";;;", "shows no digits"), ("0.00;-0.00;", "shows no digits"), ('[>100]"big";0.00', "shows no digits"),
    ],
)  # fmt: skip
def test_which_formats_show_another_number(code: str, why: str | None) -> None:
    problem = format_problem(code)
    assert (problem is None) if why is None else (problem is not None and why in problem), problem


def test_a_built_lesson_uses_only_formats_that_show_the_value(tmp_path: Path) -> None:
    path = build(tmp_path / "lesson.xlsx")
    formats = number_formats(path)
    assert "0.00" in formats.values()  # the loss
    assert any(code.startswith("0.000") for code in formats.values())  # m and b, 3 decimals or more
    assert [code for code in formats.values() if format_problem(code)] == []


def test_drawings_are_found_through_the_sheet_relationships(tmp_path: Path) -> None:
    path = build(tmp_path / "lesson.xlsx", live_epochs=0)
    [charts] = drawings(path, {"Lesson": "xl/worksheets/sheet1.xml"}).values()
    assert {item.anchor: item.kind for item in charts} == dict.fromkeys(range(3), "graphicFrame")
    assert (charts[0].min_row, charts[0].min_col) == (8, 9)  # the fit chart's anchor, I8


def test_a_drawing_that_is_not_xml_is_one_line_and_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = build(tmp_path / "lesson.xlsx", live_epochs=0)
    rewrite_member(
        path,
        tmp_path / "broken.xlsx",
        "xl/drawings/drawing1.xml",
        lambda text: text.replace("</wsDr>", "<a:x/></wsDr>"),
    )
    assert main(["check", str(tmp_path / "broken.xlsx")]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "xl/drawings/drawing1.xml is not well-formed XML" in err, err


def test_a_share_may_show_as_a_percentage_but_nothing_else_may() -> None:
    assert format_problem("0.0%", share=True) is None  # a classifier's accuracy, 0.85 shown as 85.0%
    assert "by 100" in (format_problem("0.0%%", share=True) or "")
    assert "literal" in (format_problem('"85.0%"', share=True) or "")
    assert "by 100" in (format_problem("0.0%") or "")


def test_column_widths_in_pixels_follow_excels_rule() -> None:
    """ECMA-376's width in digits to pixels (Calibri 11's 7-pixel digit): the default 8.43
    characters (written 9.140625) is 64 pixels, and so is a sheet with no width but baseColWidth 8."""
    layout = Layout()
    spans = [("1", "1", "9.140625", "0"), ("2", "3", "10", "0"), ("4", "4", "44", "0"), ("5", "5", "2", "0"),
             ("6", "6", "10", "1"), ("7", "7", "0", "0")]  # fmt: skip
    for first, last, width, hidden in spans:
        layout.add_column({"min": first, "max": last, "width": width, "hidden": hidden})
    assert [layout.column_pixels(col) for col in range(1, 9)] == [64, 70, 70, 308, 14, 0, 0, 64]
    wide = Layout()
    wide.set_format({"baseColWidth": "10", "defaultRowHeight": "15"})
    assert wide.column_pixels(1) == 80  # 10 digits and 5 pixels of padding, rounded up to 8 pixels
    assert layout.column_x(5) == (64 + 70 + 70 + 308) * EMU_PER_PIXEL
    assert layout.column_at(layout.column_x(6)) == 8  # the hidden columns 6 and 7 have no width


def test_row_heights_hidden_rows_and_zero_height() -> None:
    layout = Layout()
    layout.set_format({"defaultRowHeight": "15"})
    layout.add_row(3, {"ht": "30"})
    layout.add_row(5, {"hidden": "1"})
    assert [layout.row_points(row) for row in range(1, 7)] == [15, 15, 30, 15, 0, 15]
    assert layout.row_y(7) == (15 * 4 + 30) * EMU_PER_POINT
    assert layout.row_at(layout.row_y(5)) == 6 and layout.hidden_row(5) and not layout.hidden_row(4)
    tall = 20 * EMU_PER_POINT
    assert layout.covered(0, 0, 1, tall) == (1, 1, 2, 1)  # 20 points from the top: rows 1 and 2
    folded = Layout()
    folded.set_format({"defaultRowHeight": "15", "zeroHeight": "1"})
    folded.add_row(2, {"ht": "15", "customHeight": "1"})
    assert [folded.hidden_row(row) for row in (1, 2, 3)] == [True, False, True]


def test_anchors_land_in_the_cells_of_the_sheets_real_sizes(tmp_path: Path) -> None:
    """A built lesson's charts are one-cell anchors sized in EMU: their extent runs across the
    Lesson sheet's columns of width 10 (70 pixels), not Excel's default 64."""
    path = build(tmp_path / "lesson.xlsx", live_epochs=0)
    book = read_book(path, cached=True)
    sheet = book.sheets[0]
    [charts] = drawings(path, {"Lesson": sheet.part}, {"Lesson": sheet.layout}).values()
    first = charts[0]  # placed at Excel's digit width, 7 pixels
    assert (first.min_row, first.min_col) == (8, 9)  # I8
    cx = 4_103_999  # the fit chart's width in EMU as the writer sets it
    want = sheet.layout.column_at(sheet.layout.column_x(9) + cx - 1)
    assert first.max_col == want == 15  # 430 pixels over columns of 70: to column O (by default sizes, P)
    wider = [item for item in charts if item.anchor == 0 and item.max_col < 15]
    assert wider and wider[0].max_col == 14  # where digits are 9 or 10 pixels wide (a fallback font): to column N
