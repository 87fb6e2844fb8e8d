"""A real engine: LibreOffice recalculates each built workbook from scratch.

Its full-precision values must equal the numpy reference, and for the seed preset at the
published state the text it displays must be the published numbers, digit for digit.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from gdsheet.commands.check import check_workbook as check
from gdsheet.commands.check import expected_by_name
from gdsheet.engine.evaluator import Evaluator, defined_areas
from gdsheet.lesson.spec import descent_columns
from gdsheet.xlsx.ranges import Range
from tests.support.libreoffice import area_text, cell_text, recalculate, recalculate_many, reference_mismatches
from tests.support.published import DESCENT_ROWS, GRID, GUESS_LOSS, SUMMARY_LOSS, table

pytestmark = pytest.mark.libreoffice


def test_seed_displays_every_published_number(need_soffice: str, books: dict[str, Path]) -> None:
    path = books["seed_published"]
    sheet = recalculate(path, shown=True)["Lesson"]
    areas = defined_areas(openpyxl.load_workbook(path))
    assert area_text(sheet, areas["grid"]) == table(GRID)  # all 88 cells
    assert area_text(sheet, areas["guess_rmse"]) == [[GUESS_LOSS]]
    assert area_text(sheet, areas["rmse"]) == [[SUMMARY_LOSS]]
    descent = areas["descent"]
    visible = Range(descent.sheet, descent.min_row, descent.min_col, descent.min_row + 10, descent.max_col)
    assert area_text(sheet, visible) == table(DESCENT_ROWS)
    assert area_text(sheet, areas["grid_b"]) == [[str(b) for b in range(0, 31, 3)]]
    assert cell_text(sheet, "F84") == "2" and cell_text(sheet, "G84") == "2.051"  # m: actual, current
    assert cell_text(sheet, "F85") == "30" and cell_text(sheet, "G85") == "25.075"  # b: actual, current


@pytest.mark.parametrize("preset", ["corrected", "seed", "finite_difference"])
def test_libreoffice_values_equal_the_reference(need_soffice: str, books: dict[str, Path], preset: str) -> None:
    path = books[preset]
    ev = Evaluator(path)
    expected = expected_by_name(ev)  # every named derived area, from the workbook's own inputs
    assert {"grid", "descent", "rmse", "next_m", "guess_rmse", "data_y"} <= expected.keys()
    assert ("live_log" in expected) == (preset != "seed")
    compared, mismatches = reference_mismatches(path, recalculate(path, shown=False))
    assert mismatches == []
    # every formula of the workbook was compared: none is outside a derived name
    assert compared == {(sheet, column, row) for sheet, column, row in ev.formula_cells()}
    assert len(compared) == FORMULA_CELLS[preset]


FORMULA_CELLS = {"corrected": 4046, "seed": 346, "finite_difference": 952}
"""Formula cells of each lesson the test reads (20 samples; the corrected lesson with its 20 live
epochs, the finite-difference one with 2), every one of which LibreOffice is compared on."""


def _tampered(path: Path, out: Path, cells: dict[str, str]) -> Path:
    """A copy of the lesson with each cell (``Sheet!A1``) given its formula changed by ``change``."""
    book = openpyxl.load_workbook(path)
    for address, formula in cells.items():
        sheet, _, ref = address.partition("!")
        book[sheet][ref].value = formula
    book.save(out)
    return out


def _first_formula(ev: Evaluator, name: str) -> tuple[str, str, str]:
    """The first formula cell of a named area, as (address, formula now, tampered formula)."""
    area = ev.area(name)
    book = _TEXTS.setdefault(ev.path, openpyxl.load_workbook(ev.path))
    for row, col in area.cells():
        if ev.is_formula(area.sheet, col, row):
            ref = f"{get_column_letter(col)}{row}"
            formula = book[area.sheet][ref].value
            return f"{area.sheet}!{ref}", formula, f"=({formula[1:]})*1.5+1"
    raise AssertionError(f"{name} holds no formula")


_TEXTS: dict[Path, openpyxl.Workbook] = {}


def test_a_tampered_grid_cell_and_new_m_fail_the_comparison(
    need_soffice: str, books: dict[str, Path], tmp_path: Path
) -> None:
    """The comparison can fail: one wrong grid cell, and one wrong new_m, are each caught."""
    path = books["corrected"]
    ev = Evaluator(path)
    grid_cell, _, grid_bad = _first_formula(ev, "grid")
    descent = ev.area("descent")
    column = descent.min_col + descent_columns(("x",), ("m", "b")).index("new_m")
    new_m = f"{descent.sheet}!{get_column_letter(column)}{descent.min_row + 3}"
    bad = _tampered(path, tmp_path / "tampered.xlsx", {grid_cell: grid_bad, new_m: "=1.5"})
    _, mismatches = reference_mismatches(bad, recalculate(bad, shown=False))
    assert any(line.startswith(f"grid {grid_cell}:") for line in mismatches), mismatches[:5]
    assert any(line.startswith(f"descent {new_m}:") for line in mismatches), mismatches[:5]


def test_every_derived_area_tampered_fails_libreoffice_and_check(
    need_soffice: str, books: dict[str, Path], tmp_path: Path
) -> None:
    """A mutation check of the suite: one formula tampered in each derived area of a built lesson
    (a copy per area); the LibreOffice comparison and `gdsheet check` must each fail on every one."""
    path = books["corrected"]
    ev = Evaluator(path)
    names = sorted(name for name in expected_by_name(ev) if any(
        ev.is_formula(ev.area(name).sheet, c, r) for r, c in ev.area(name).cells()))  # fmt: skip
    assert len(names) >= 15, names
    copies = {}
    for name in names:
        address, _, bad = _first_formula(ev, name)
        copies[name] = (address, _tampered(path, tmp_path / f"mutant_{name}.xlsx", {address: bad}))
    recalculated = recalculate_many([copy for _, copy in copies.values()], shown=False)
    for name, (address, copy) in copies.items():
        _, mismatches = reference_mismatches(copy, recalculated[copy.resolve()])
        assert any(address in line for line in mismatches), (name, address, mismatches[:3])
        report = check(copy)
        assert not report.ok and any(m.get("cell") == address for m in report.mismatches), (name, address)


def test_every_preset_renders_to_pdf_with_its_charts(need_soffice: str, books: dict[str, Path], tmp_path: Path) -> None:
    import shutil
    import subprocess

    from tests.support.libreoffice import render_pdf

    names = ["corrected", "seed", "seed_published", "finite_difference"]
    for pdf in render_pdf([books[name] for name in names], tmp_path / "pdf"):
        assert pdf.read_bytes().startswith(b"%PDF")
        if shutil.which("pdftoppm"):
            result = subprocess.run(
                ["pdftoppm", "-png", "-r", "20", "-f", "1", "-l", "3", str(pdf), str(pdf.with_suffix(""))],
                capture_output=True,
                check=False,
            )
            assert result.returncode == 0, result.stderr
            assert len(list(pdf.parent.glob(f"{pdf.stem}-*.png"))) == 3  # a page per section, at least 3
