"""The save after a run writes every formula's cached result, through the fast forward pass.

A run rewrites a lesson's cached values in one pass over the sheet XML (``cached_at`` readers);
these tests compare what a spreadsheet reader sees in the saved file with the engine's own
values, and cover the pass's unusual cells: a shared formula's children, an array formula's
members and a sheet whose elements carry a namespace prefix.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from gdsheet.commands.build import build
from gdsheet.commands.run import run
from gdsheet.engine.evaluator import Evaluator
from gdsheet.errors import WorkbookError
from gdsheet.xlsx.patch import MISSING, REMOVE, patch_workbook
from tests.support.xlsx_books import PREFIXED, cell_xml, excel_style_book, members


def test_run_writes_every_formula_cached_value(tmp_path: Path) -> None:
    lesson = {"samples": 3000, "noise": 1.0, "seed": 1, "m_start": 1.0, "b_start": 5.0, "learn": 1e-5}
    path = build(tmp_path / "lesson.xlsx", live_epochs=0, **lesson)
    run(path, 3)
    ev = Evaluator(path)
    expected = ev.all_values()  # the saved inputs, recalculated: what the save must have written
    assert len(expected) > 3000 * 10
    saved = openpyxl.load_workbook(path, data_only=True)
    wrong = []
    for (sheet, col, row), value in expected.items():
        got = saved[sheet].cell(row, col).value
        if value is not None and got != value and not (isinstance(got, bool) and got == value):
            wrong.append((sheet, col, row, value, got))
    assert not wrong, wrong[:5]


def _cached(src: Path, out: Path, value_at, values: dict | None = None) -> str:
    patch_workbook(src, out, values=values or {}, cached_at={"Data & Co": value_at})
    return members(out)["xl/worksheets/sheet1.xml"].decode()


def test_fast_pass_shared_formula_children_and_array_members(tmp_path: Path) -> None:
    src = excel_style_book(tmp_path / "excel.xlsx")
    asked = []

    def value_at(row: int, col: int) -> object:
        asked.append((row, col))
        return {(2, 3): 14.0, (3, 3): 4.5, (4, 3): 6, (2, 4): "a7", (2, 5): 10.5, (3, 5): True}.get((row, col), MISSING)

    xml = _cached(src, tmp_path / "out.xlsx", value_at)
    # formula cells and the array's member, in document order; constants are never asked
    assert asked == [(2, 3), (2, 4), (2, 5), (3, 3), (3, 5), (4, 3)]
    assert cell_xml(xml, "C2") == '<c r="C2"><f t="shared" ref="C2:C5" si="0">A2*2</f><v>14</v></c>'
    assert cell_xml(xml, "C3") == '<c r="C3"><f t="shared" si="0"/><v>4.5</v></c>'
    assert cell_xml(xml, "C4") == '<c r="C4"><f t="shared" si="0"/><v>6</v></c>'
    assert cell_xml(xml, "D2") == "<c s='1' r='D2' t=\"str\"><f>\"a\"&amp;A2</f><v>a7</v></c>"
    assert cell_xml(xml, "E2") == '<c r="E2"><f t="array" ref="E2:E3">A2:A3*10</f><v>10.5</v></c>'
    assert cell_xml(xml, "E3") == '<c r="E3" t="b"><v>1</v></c>'  # a member: results, no <f>
    assert "xl/calcChain.xml" in members(tmp_path / "out.xlsx")  # no formula gave way
    values = openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)["Data & Co"]
    assert [values[ref].value for ref in ("C2", "C3", "C4", "D2", "E2", "E3")] == [14, 4.5, 6, "a7", 10.5, True]


def test_fast_pass_keeps_a_prefixed_sheet_prefixed(tmp_path: Path) -> None:
    src = excel_style_book(tmp_path / "x.xlsx", sheet=PREFIXED)
    xml = _cached(src, tmp_path / "out.xlsx", lambda row, col: float(row * 100 + col) if col in (3, 5) else MISSING)
    assert '<x:c r="C3"><x:f t="shared" si="0"/><x:v>303</x:v></x:c>' in xml
    assert '<x:c r="E3"><x:v>305</x:v></x:c>' in xml
    assert not re.search(r"<(?!x:|\?xml)\w", xml)  # every element still in the x: prefix
    assert openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)["Data & Co"]["C4"].value == 403


def test_fast_pass_leaves_cells_given_as_values_and_numbers_cells_without_r(tmp_path: Path) -> None:
    sheet = PREFIXED.replace('<x:c r="C3">', "<x:c>").replace('<x:c r="A3">', "<x:c>")  # C3 follows A3 (col 1)
    src = excel_style_book(tmp_path / "x.xlsx", sheet=sheet)
    asked = []
    value_at = lambda row, col: asked.append((row, col)) or 7.0  # noqa: E731
    xml = _cached(src, tmp_path / "out.xlsx", value_at, values={("Data & Co", "C2"): 1})
    assert (3, 2) in asked and (2, 3) not in asked  # the r-less cell after A3 is B3; C2 is a constant now
    assert "<x:v>7</x:v>" in xml and cell_xml(xml.replace("x:", ""), "C2") == '<c r="C2"><v>1</v></c>'


@pytest.mark.parametrize(
    ("value", "message"),
    [(float("inf"), "cell C2: cannot store the non-finite number inf"), (REMOVE, "cell C2: REMOVE is for values")],
)
def test_fast_pass_refuses_what_a_cell_cannot_hold(tmp_path: Path, value: object, message: str) -> None:
    src = excel_style_book(tmp_path / "excel.xlsx")
    with pytest.raises(WorkbookError, match=re.escape(message)):
        _cached(src, tmp_path / "out.xlsx", lambda row, col: value)
    assert not (tmp_path / "out.xlsx").exists()


def test_cached_by_cell_and_reader_together_and_dict_errors_kept(tmp_path: Path) -> None:
    src = excel_style_book(tmp_path / "excel.xlsx")
    out = tmp_path / "out.xlsx"
    patch_workbook(src, out, cached={("Data & Co", "C3"): 1.5}, cached_at={"Data & Co": lambda row, col: MISSING})
    assert cell_xml(members(out)["xl/worksheets/sheet1.xml"].decode(), "C3") == (
        '<c r="C3"><f t="shared" si="0"/><v>1.5</v></c>'
    )
    with pytest.raises(WorkbookError, match="cell A3: cached value given but the cell has no formula"):
        patch_workbook(src, out, cached={("Data & Co", "A3"): 1.5}, cached_at={"Data & Co": lambda row, col: MISSING})
    with zipfile.ZipFile(out) as z:
        assert "xl/calcChain.xml" in z.namelist()
