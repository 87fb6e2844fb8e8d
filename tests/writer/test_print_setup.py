"""The printed page setup, read from the XML: readable type, two pages across, no chart cut in two.

Fitting the Lesson sheet to one page width printed it at about 40% (4.4-point type); it prints
two pages across at one scale instead, with a column break and row breaks that no chart may
straddle (a chart across a break prints in two pieces).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import defusedxml.ElementTree as ET
import pytest

import gdsheet
from gdsheet.lesson.spec import preset_names

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
}
EMU_PER_PIXEL = 9525
DEFAULT_ROW_POINTS = 15.0
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
A4_LANDSCAPE_HEIGHT_INCHES = 8.27


def _column_pixels(sheet: ET.Element) -> dict[int, float]:
    """Excel's pixel width of each column given in <cols> (7 per character, plus 5)."""
    widths = {}
    for item in sheet.iterfind("m:cols/m:col", NS):
        for index in range(int(item.get("min")), int(item.get("max")) + 1):
            widths[index] = float(item.get("width")) * 7 + 5
    return widths


def _row_pixels(sheet: ET.Element) -> dict[int, float]:
    return {int(r.get("r")): float(r.get("ht")) * 4 / 3 for r in sheet.iterfind("m:sheetData/m:row[@ht]", NS)}


def _edge(sizes: dict[int, float], default: float, count: int) -> float:
    """Pixels from the sheet's edge to the far side of column (or row) ``count``."""
    return sum(sizes.get(index, default) for index in range(1, count + 1))


@pytest.fixture(scope="module")
def lessons(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pages")
    books = {preset: gdsheet.build(out / f"{preset}.xlsx", preset=preset) for preset in preset_names()}
    books["adam"] = gdsheet.build(out / "adam.xlsx", optimizer="adam", learn=0.1, live_epochs=10)
    books["no-live"] = gdsheet.build(out / "no-live.xlsx", live_epochs=0)
    # sections taller than a page at a readable scale: 60 samples (with the fit chart), 30 houses
    books["60-samples"] = gdsheet.build(out / "60-samples.xlsx", samples=60)
    books["houses"] = gdsheet.build(out / "houses.xlsx", model="linear", data=EXAMPLES / "houses.csv")
    return books


def test_readable_scale_two_pages_across_and_no_chart_across_a_break(lessons: dict[str, Path]) -> None:
    for name, path in lessons.items():
        with zipfile.ZipFile(path) as archive:
            sheet = ET.fromstring(archive.read("xl/worksheets/sheet1.xml"))
            drawing = ET.fromstring(archive.read("xl/drawings/drawing1.xml"))
        setup = sheet.find("m:pageSetup", NS)
        assert setup.get("orientation") == "landscape" and setup.get("pageOrder") == "overThenDown", name
        assert 55 <= int(setup.get("scale")) <= 100, name  # fit to one width was about 40
        assert sheet.find("m:sheetPr/m:pageSetUpPr", NS).get("fitToPage") in ("0", "false"), name
        (split,) = [int(b.get("id")) for b in sheet.iterfind("m:colBreaks/m:brk", NS)]
        row_breaks = [int(b.get("id")) for b in sheet.iterfind("m:rowBreaks/m:brk", NS)]
        columns, rows = _column_pixels(sheet), _row_pixels(sheet)
        column_break = _edge(columns, 64, split)
        charts = drawing.findall("xdr:oneCellAnchor", NS)
        assert len(charts) >= 3, name
        for anchor in charts:
            col, row = (int(anchor.find(f"xdr:from/xdr:{k}", NS).text) for k in ("col", "row"))
            extent = anchor.find("xdr:ext", NS)
            left = _edge(columns, 64, col)
            right = left + int(extent.get("cx")) / EMU_PER_PIXEL
            assert right <= column_break or left >= column_break, (name, col, left, right, column_break)
            top = _edge(rows, DEFAULT_ROW_POINTS * 4 / 3, row)
            bottom = top + int(extent.get("cy")) / EMU_PER_PIXEL
            for brk in row_breaks:
                edge = _edge(rows, DEFAULT_ROW_POINTS * 4 / 3, brk)
                assert bottom <= edge or top >= edge, (name, row, brk)
            # and whole on the first page of its section: a section taller than a page flows on
            section_top = max(
                [0.0] + [e for b in row_breaks if (e := _edge(rows, DEFAULT_ROW_POINTS * 4 / 3, b)) <= top]
            )
            assert bottom - section_top <= _page_pixels(sheet, int(setup.get("scale"))), (name, row)


def _page_pixels(sheet: ET.Element, scale: int) -> float:
    """How many sheet pixels (at 96 per inch) one landscape A4 page holds at ``scale`` percent."""
    margins = sheet.find("m:pageMargins", NS)
    inches = A4_LANDSCAPE_HEIGHT_INCHES - float(margins.get("top")) - float(margins.get("bottom"))
    return inches * 96 * 100 / scale
