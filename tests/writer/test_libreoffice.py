"""A real engine: LibreOffice recalculates each built workbook from scratch.

Its full-precision values must equal the numpy reference, and for the seed preset at the
published state the text it displays must be the published numbers, digit for digit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.commands.check import expected_by_name
from gdsheet.engine.evaluator import Evaluator, defined_areas
from gdsheet.xlsx.ranges import Range
from tests.support.libreoffice import area_text, cell_text, recalculate
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
    sheets = recalculate(path, shown=False)
    ev = Evaluator(path)
    expected = expected_by_name(ev)  # every named derived area, from the workbook's own inputs
    assert {"grid", "descent", "rmse", "next_m", "guess_rmse", "data_y"} <= expected.keys()
    assert ("live_log" in expected) == (preset != "seed")
    for name, want in expected.items():
        area = ev.area(name)
        text = area_text(sheets[area.sheet], area)
        filled = [[ev.stored(area.sheet, c, r) is not None for r, c in area.cells()]]  # the Live sheet skips columns
        mask = np.reshape(filled, area.shape)
        got = np.array([[float(v) if v else np.nan for v in row] for row in text])
        want = np.reshape(want, area.shape)
        np.testing.assert_allclose(got[mask], want[mask], rtol=1e-9, atol=1e-12, err_msg=name)


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
