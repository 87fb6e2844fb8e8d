"""The grid's conditional formats as Google Sheets imports them (issue 14, item 5), read from the XML.

Sheets shows fills and font colours (no borders), applies the first rule that matches a cell and
does not document defined names inside a conditional format's formula: the "you are here" marker
must come first, stop there, carry a fill and a font colour, and read plain cell references, which
must be the cells the lesson's names point at (m_start, b_start, the grid's axes).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import defusedxml.ElementTree as ET
import openpyxl
import pytest
from openpyxl.formula.tokenizer import Token, Tokenizer

import gdsheet
from gdsheet.engine.evaluator import defined_areas
from gdsheet.lesson.spec import load_preset, preset_names

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
A1 = re.compile(r"\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?")


def grid_rules(path: Path, grid: str) -> list[tuple[ET.Element, ET.Element]]:
    """(conditionalFormatting, cfRule) over the grid's range, in priority order."""
    with zipfile.ZipFile(path) as archive:
        sheet = ET.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    found = [
        (element, rule)
        for element in sheet.iterfind("m:conditionalFormatting", NS)
        if element.get("sqref") == grid
        for rule in element.iterfind("m:cfRule", NS)
    ]
    return sorted(found, key=lambda pair: int(pair[1].get("priority")))


def dxf(path: Path, index: int) -> ET.Element:
    with zipfile.ZipFile(path) as archive:
        styles = ET.fromstring(archive.read("xl/styles.xml"))
    return styles.findall("m:dxfs/m:dxf", NS)[index]


def references(formula: str) -> list[str]:
    """Every operand of the formula that is a range or a name (what would be a defined name)."""
    tokens = Tokenizer("=" + formula).items
    return [t.value for t in tokens if t.type == Token.OPERAND and t.subtype == Token.RANGE]


@pytest.fixture(scope="module")
def lessons(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("landscape")
    books = {preset: gdsheet.build(out / f"{preset}.xlsx", preset=preset) for preset in preset_names()}
    books["adam"] = gdsheet.build(out / "adam.xlsx", optimizer="adam", learn=0.1, live_epochs=0)
    return books


def test_you_are_here_comes_first_with_a_fill_and_plain_references(lessons: dict[str, Path]) -> None:
    for lesson, path in lessons.items():
        areas = defined_areas(openpyxl.load_workbook(path))
        grid = areas["grid"].ref().replace("$", "")
        (marker_element, marker), (scale_element, scale) = grid_rules(path, grid)
        assert marker_element is not scale_element, lesson  # LibreOffice paints a scale over its element
        assert (marker.get("type"), marker.get("priority"), marker.get("stopIfTrue")) == ("expression", "1", "1")
        assert scale.get("type") == "colorScale", lesson
        style = dxf(path, int(marker.get("dxfId")))
        assert style.find("m:fill/m:patternFill", NS).get("patternType") == "solid", lesson
        assert style.find("m:font/m:color", NS) is not None, lesson
        (formula,) = [f.text for f in marker.iterfind("m:formula", NS)]
        refs = references(formula)
        assert refs and all(A1.fullmatch(ref) for ref in refs), (lesson, refs)  # no defined name
        rows_p, cols_p = load_preset("corrected" if lesson == "adam" else lesson).landscape
        names = (f"grid_{rows_p}", f"grid_{cols_p}", f"{rows_p}_start", f"{cols_p}_start")
        assert {areas[name].ref() for name in names} <= {ref.replace("$", "") for ref in refs}, (lesson, refs)
