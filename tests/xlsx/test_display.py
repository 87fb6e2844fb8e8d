"""Number formats that show another number than the cell's value, and drawings over cells,
read from a workbook's parts by relationship type."""

from __future__ import annotations

from pathlib import Path

import pytest

from gdsheet.cli import main
from gdsheet.commands.build import build
from gdsheet.xlsx.display import drawings, format_problem, number_formats
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
    assert [item.kind for item in charts] == ["graphicFrame"] * 3
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
