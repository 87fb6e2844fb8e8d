"""Built workbooks: the defined-name contract, live formulas, and every formula cell equal to
the reference when the `formulas` package evaluates it."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from gdsheet.commands.build import build
from gdsheet.commands.check import check_workbook
from gdsheet.engine.evaluator import Evaluator, defined_areas
from tests.support.cli_inprocess import run_cli

CONTRACT = {  # name -> (rows, columns) for the seed-sized lesson
    "data_x": (5, 1), "data_y": (5, 1), "m_actual": (1, 1), "b_actual": (1, 1),
    "m_guess": (1, 1), "b_guess": (1, 1), "guess_rmse": (1, 1), "grid": (8, 11),
    "grid_m": (8, 1), "grid_b": (1, 11), "learn": (1, 1), "epochs": (1, 1),
    "m_start": (1, 1), "b_start": (1, 1), "rmse": (1, 1), "next_m": (1, 1), "next_b": (1, 1),
    "descent": (20, 12), "epoch_log": (1, 4),
}  # fmt: skip


@pytest.mark.parametrize("preset", ["seed", "corrected"])
def test_defined_names_contract(books: dict[str, Path], preset: str) -> None:
    areas = defined_areas(openpyxl.load_workbook(books[preset]))
    for name, shape in CONTRACT.items():
        assert areas[name].shape == shape, name


def test_seed_blocks_sit_at_the_published_rows(books: dict[str, Path]) -> None:
    areas = defined_areas(openpyxl.load_workbook(books["seed"]))
    assert (areas["data_x"].min_row, areas["data_x"].max_row) == (9, 13)
    assert (areas["m_actual"].min_row, areas["b_actual"].min_row) == (14, 15)
    assert (areas["m_guess"].min_row, areas["b_guess"].min_row) == (23, 24)
    assert areas["guess_rmse"].min_row == 33
    assert (areas["grid"].min_row, areas["grid"].max_row, areas["grid_b"].min_row) == (46, 53, 45)
    assert (areas["m_start"].min_row, areas["b_start"].min_row, areas["rmse"].min_row) == (84, 85, 84)
    assert (areas["descent"].min_row, areas["descent"].max_row) == (90, 109)


def test_derived_values_are_live_formulas(books: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(books["corrected"])
    ws = book["Lesson"]
    areas = defined_areas(book)
    for name in ("data_y", "grid", "guess_rmse", "rmse", "next_m", "next_b"):
        area = areas[name]
        for row, column in area.cells():
            assert ws.cell(row=row, column=column).data_type == "f", (name, column, row)
    descent = areas["descent"]
    for row, column in descent.cells():
        is_x = column == descent.min_col
        assert (ws.cell(row=row, column=column).data_type == "f") != is_x
    new_m = openpyxl.utils.get_column_letter(descent.min_col + 8)  # the 9th column: new_m
    above = f"={new_m}{descent.min_row}"
    assert ws.cell(row=descent.min_row + 1, column=descent.min_col + 2).value == above  # m from new_m above


def test_heat_map_on_the_grid(books: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(books["seed"])["Lesson"]
    (target, rules), *_ = ws.conditional_formatting._cf_rules.items()
    assert str(target.sqref) == "D46:N53"
    (scale,) = [rule.colorScale for rule in rules if rule.type == "colorScale"]
    assert [v.type for v in scale.cfvo] == ["min", "percentile", "max"]
    assert [c.rgb[-6:] for c in scale.color] == ["63BE7B", "FFEB84", "F8696B"]


@pytest.mark.parametrize("preset", ["corrected", "seed", "seed_published", "finite_difference"])
def test_every_formula_cell_equals_the_reference(books: dict[str, Path], preset: str) -> None:
    report = check_workbook(books[preset])
    formula_cells = len(Evaluator(books[preset]).formula_cells())
    assert report.mismatches == []
    assert report.unchecked == []
    assert report.cells == formula_cells > 300
    assert report.max_rel_error <= 1e-9


def test_csv_samples_become_the_descent_table(tmp_path: Path) -> None:
    data = tmp_path / "mine.csv"
    data.write_text("x,y\n1,3.5\n2,5.1\n4,8.8\n", encoding="utf-8")
    path = build(tmp_path / "mine.xlsx", data=data, m_start=0.5, b_start=0.5, learn=0.01)
    ws = openpyxl.load_workbook(path)["Lesson"]
    areas = defined_areas(openpyxl.load_workbook(path))
    assert areas["descent"].shape == (3, 12)
    samples_y = areas["descent_y"]
    ys = [ws.cell(row=r, column=samples_y.min_col).value for r in range(samples_y.min_row, samples_y.max_row + 1)]
    assert ys == [3.5, 5.1, 8.8]
    report = check_workbook(path)
    assert report.ok and report.unchecked == [] and report.cells > 100


def test_check_catches_a_wrong_formula(tmp_path: Path, books: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(books["corrected"])
    book["Lesson"]["J95"] = "=2*(G95-D95)"  # de/db's formula in de/dm's place
    broken = tmp_path / "broken.xlsx"
    book.save(broken)
    report = check_workbook(broken)
    assert not report.ok
    assert {m["cell"] for m in report.mismatches} >= {"Lesson!J95", "Lesson!K95"}


def test_check_command_reports_in_json_and_fails_on_a_mismatch(tmp_path: Path, books: dict[str, Path]) -> None:
    good = run_cli("check", "--json", str(books["seed"]))
    assert good.returncode == 0, good.stderr
    report = json.loads(good.stdout)
    assert report["ok"] is True and report["mismatches"] == []
    assert report["cells"] == len(Evaluator(books["seed"]).formula_cells())
    book = openpyxl.load_workbook(books["seed"])
    book["Lesson"]["D46"] = "=SQRT(SUMPRODUCT(($C46*data_x+D$45-data_y)^2)/COUNT(data_x))"  # a mean in a sum grid
    broken = tmp_path / "broken.xlsx"
    book.save(broken)
    bad = run_cli("check", "--json", str(broken))
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["ok"] is False and [m["cell"] for m in report["mismatches"]] == ["Lesson!D46"]
    text = run_cli("check", str(broken))
    assert text.returncode == 1 and "1 mismatch(es)" in text.stdout and "Lesson!D46" in text.stdout


def test_corrected_unrolls_20_live_epochs_and_seed_none(books: dict[str, Path]) -> None:
    corrected = openpyxl.load_workbook(books["corrected"])
    areas = defined_areas(corrected)
    assert corrected.sheetnames == ["Lesson", "Live"]
    assert areas["live_log"].shape == (20, 4) and areas["live_descent"].shape == (20 * 20, 12)
    seed = openpyxl.load_workbook(books["seed"])
    assert seed.sheetnames == ["Lesson"] and "live_log" not in defined_areas(seed)
