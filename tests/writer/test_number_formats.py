"""The numbers show the data: LibreOffice displays every sample as typed, no derived value that is
not zero as 0, and m and b with the digits that show them move from row to row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

import gdsheet
from gdsheet.commands.build import make_lesson
from gdsheet.engine.evaluator import defined_areas
from gdsheet.reference.oracle import lesson_values
from gdsheet.writer.formats import SAMPLE_DECIMALS, decimals_of
from gdsheet.xlsx.ranges import Range
from tests.support.libreoffice import area_text, recalculate_many


def noisy_csv(path: Path, n: int = 60) -> list[tuple[str, str]]:
    """60 noisy samples as a teacher would type them: 2 decimals at most (so some have 0 or 1)."""
    rng = np.random.default_rng(7)
    x = np.round(np.linspace(3, 50, n) + rng.normal(0, 0.5, n), 2)
    y = np.round(2 * x + 30 + rng.normal(0, 4, n), 2)
    rows = [(f"{a:g}", f"{b:g}") for a, b in zip(x, y, strict=True)]
    path.write_text("x,y\n" + "".join(f"{a},{b}\n" for a, b in rows), encoding="utf-8")
    return rows


def column_text(sheet: list[list[str]], area: Range, column: int) -> list[str]:
    one = Range(area.sheet, area.min_row, area.min_col + column, area.max_row, area.min_col + column)
    return [row[0] for row in area_text(sheet, one)]


def test_decimals_of_counts_the_digits_as_typed() -> None:
    assert [decimals_of(v) for v in (8.0, 7.5, 7.73, 0.1 + 0.2, 45.46, -3.125)] == [0, 1, 2, SAMPLE_DECIMALS, 2, 3]


@pytest.mark.libreoffice
def test_libreoffice_shows_every_sample_as_typed(need_soffice: str, tmp_path: Path) -> None:
    csv_rows = noisy_csv(tmp_path / "noisy.csv")
    typed = gdsheet.build(tmp_path / "typed.xlsx", data=tmp_path / "noisy.csv")
    generated = gdsheet.build(tmp_path / "generated.xlsx", samples=60, noise=4, seed=1)
    shown = recalculate_many([typed, generated], shown=True)
    # the CSV's samples: each column with as many decimals as its most precise sample (2 here)
    area = defined_areas(openpyxl.load_workbook(typed))["descent"]
    sheet = shown[typed.resolve()]["Lesson"]
    width = {k: max(decimals_of(float(row[k])) for row in csv_rows) for k in (0, 1)}
    assert width == {0: 2, 1: 2}
    for k in (0, 1):
        want = [f"{float(row[k]):.{width[k]}f}" for row in csv_rows]
        assert column_text(sheet, area, k) == want
    # generated noise has 17 digits: shown to SAMPLE_DECIMALS; the generated x have their 2
    book = openpyxl.load_workbook(generated)
    area = defined_areas(book)["descent"]
    ws = book[area.sheet]
    x = [ws.cell(r, area.min_col).value for r in range(area.min_row, area.max_row + 1)]
    y = [ws.cell(r, area.min_col + 1).value for r in range(area.min_row, area.max_row + 1)]
    sheet = shown[generated.resolve()]["Lesson"]
    assert column_text(sheet, area, 0) == [f"{v:.2f}" for v in x]
    assert column_text(sheet, area, 1) == [f"{v:.{SAMPLE_DECIMALS}f}" for v in y]


@pytest.mark.libreoffice
def test_no_value_that_is_not_zero_shows_as_zero_and_m_b_visibly_move(need_soffice: str, tmp_path: Path) -> None:
    """Near the minimum the squared errors and slopes are small (0.25 and less): fixed whole-number
    formats showed them as 0."""
    start = {"m_start": 1.99, "b_start": 29.5}
    path = gdsheet.build(tmp_path / "near.xlsx", **start)
    sheet = recalculate_many([path], shown=True)[path.resolve()]["Lesson"]
    area = defined_areas(openpyxl.load_workbook(path))["descent"]
    table = lesson_values(make_lesson(**start)).descent
    assert table.column("error_sq").min() < 0.5  # small enough for a whole-number format to show 0
    for k, name in enumerate(table.columns[: area.max_col - area.min_col + 1]):
        for text, value in zip(column_text(sheet, area, k), table.column(name), strict=True):
            assert (float(text) == 0) == (value == 0), (name, text, value)
    for before, after in (("m", "new_m"), ("b", "new_b")):
        first, last = table.columns.index(before), table.columns.index(after)
        assert all(a != b for a, b in zip(column_text(sheet, area, first), column_text(sheet, area, last), strict=True))
