"""`gdsheet check` cannot be fooled: constants where formulas belong, formulas no name covers,
edited formulas (reported root cause first), and a diverged lesson that agrees with an
overflowing reference without a numpy warning reaching the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from gdsheet.cli import main
from gdsheet.commands.build import build
from gdsheet.commands.check import agrees, check_workbook
from gdsheet.commands.run import run
from gdsheet.engine.evaluator import Evaluator, defined_areas
from gdsheet.errors import Diverged
from gdsheet.xlsx.ranges import Range
from tests.support.books import tampered


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("check") / "lesson.xlsx", live_epochs=0)  # the Lesson sheet alone


def areas(path: Path) -> dict[str, Range]:
    return defined_areas(openpyxl.load_workbook(path))


def address(area: Range, row: int = 0, column: int = 0) -> str:
    return f"{openpyxl.utils.get_column_letter(area.min_col + column)}{area.min_row + row}"


def check_output(path: Path, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, list[str]]:
    code = main(["check", str(path), *options])
    captured = capsys.readouterr()
    assert captured.err == ""
    return code, captured.out.splitlines()


def test_the_built_lesson_passes_with_every_formula_cell_checked(built: Path, capsys) -> None:
    code, lines = check_output(built, capsys)
    assert code == 0
    assert lines == ["checked 386 formula cells; worst relative error 0: ok"]


@pytest.mark.parametrize(
    ("name", "row", "column", "victims"),
    [("grid", 0, 0, 0), ("rmse", 0, 0, 0), ("guess_rmse", 0, 0, 0), ("next_m", 0, 0, 0),
     ("descent", 5, 8, 167), ("data_y", 2, 0, 91)],
)  # fmt: skip
def test_a_constant_where_a_formula_belongs_is_a_mismatch(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, row: int, column: int, victims: int
) -> None:
    cell = address(areas(built)[name], row, column)
    path = tampered(built, tmp_path, {cell: 12.5})
    code, lines = check_output(path, capsys)
    assert code == 1
    assert lines[0].startswith("checked 385 formula cells; worst relative error ")
    assert lines[0].endswith(f": {1 + victims} mismatch(es)")
    assert lines[1] == f"  Lesson!{cell} holds the constant 12.5 where a formula belongs"  # the root cause first


def test_even_the_right_number_typed_in_is_caught(built: Path, tmp_path: Path) -> None:
    ev = Evaluator(built)
    target = areas(built)["rmse"]
    right = ev.all_values()[("Lesson", target.min_col, target.min_row)]
    assert isinstance(right, float) and right > 0
    path = tampered(built, tmp_path, {address(target): right})
    report = check_workbook(path)
    assert not report.ok and report.cells == 385
    typed = float(f"{right:.16g}")  # what openpyxl saves: 16 significant digits
    assert [m["message"] for m in report.mismatches] == [
        f"Lesson!{address(target)} holds the constant {typed!r} where a formula belongs"
    ]
    assert report.mismatches[0]["kind"] == "constant" and report.mismatches[0]["want"] == right


def test_an_emptied_derived_cell_is_a_mismatch(built: Path, tmp_path: Path) -> None:
    cell = address(areas(built)["guess_err_sq"], 1)
    report = check_workbook(tampered(built, tmp_path, {cell: None}))
    # guess_rmse reads the emptied cell, so it disagrees too, and comes after the root cause
    assert [m["message"].split(" (")[0] for m in report.mismatches][:1] == [
        f"Lesson!{cell} is empty where a formula belongs"
    ]
    assert [m["name"] for m in report.mismatches] == ["guess_err_sq", "guess_rmse"]


def test_the_samples_are_data_so_a_typed_y_is_an_input(tmp_path: Path) -> None:
    built = build(tmp_path / "lesson.xlsx", live_epochs=0)
    y = areas(built)["descent_y"]
    report = check_workbook(tampered(built, tmp_path, {address(y, 3): 99.0}))
    assert report.ok and report.cells == 385  # the reference takes y = 99 from the workbook too


def test_a_formula_no_name_covers_fails_unless_allowed(built: Path, tmp_path: Path, capsys) -> None:
    path = tampered(built, tmp_path, {"AZ1": "=1+1"})
    code, lines = check_output(path, capsys)
    assert code == 1
    assert lines == [
        "checked 386 formula cells; worst relative error 0: 1 cell(s) no lesson name covers (--allow-unchecked)",
        "  1 formula or number cell(s) not covered by a lesson name: Lesson!AZ1",
    ]
    code, lines = check_output(path, capsys, "--allow-unchecked")
    assert code == 0 and lines[0] == "checked 386 formula cells; worst relative error 0: ok"
    code, lines = check_output(path, capsys, "--json")
    assert code == 1
    assert json.loads(lines[0]) == {"ok": False, "cells": 386, "max_rel_error": 0.0, "unchecked": ["Lesson!AZ1"],
                                    "mismatches": []}  # fmt: skip


def test_mismatches_are_listed_root_cause_first(built: Path, tmp_path: Path) -> None:
    # an edited formula high in the descent table, and a constant lower down: every row after
    # row 90 disagrees; the constant (it reads nothing) comes first, then the edited cell
    table = areas(built)["descent"]
    edited, constant = address(table, 0, 4), address(table, 10, 8)  # y_pred of row 1, new_m of row 11
    row = table.min_row
    path = tampered(built, tmp_path, {edited: f"=E{row}*C{row}+F{row}+1", constant: 3.0})
    report = check_workbook(path)
    cells = [m["cell"] for m in report.mismatches]
    assert cells[:2] == [f"Lesson!{constant}", f"Lesson!{edited}"]
    assert len(cells) > 50 and len(set(cells)) == len(cells)  # each cell once, though next_m is in descent too
    assert report.mismatches[1]["message"].startswith(f"Lesson!{edited} (descent): got ")
    assert {m["kind"] for m in report.mismatches[2:]} == {"value"}


def diverged_lesson(tmp_path: Path) -> Path:
    path = build(tmp_path / "diverged.xlsx", learn=0.01, live_epochs=0, m_start=1, b_start=1)
    with pytest.raises(Diverged) as stopped:
        run(path, epochs=1000)
    assert str(stopped.value).startswith("diverged at epoch 11 ")
    return path


def test_a_diverged_lesson_agrees_without_warnings(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = diverged_lesson(tmp_path)
    capfd.readouterr()
    values = Evaluator(path).all_values()
    assert sum(v == "#NUM!" for v in values.values()) >= 5  # the workbook really overflows
    assert main(["check", str(path)]) == 0
    out, err = capfd.readouterr()
    assert err == "" and out == "checked 386 formula cells; worst relative error 0: ok\n"


def test_json_is_valid_when_values_are_not_finite(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = diverged_lesson(tmp_path)
    values = Evaluator(path).all_values()
    overflowing = next(cell for cell, value in values.items() if value == "#NUM!")
    cell = f"{openpyxl.utils.get_column_letter(overflowing[1])}{overflowing[2]}"
    capfd.readouterr()
    assert main(["check", str(tampered(path, tmp_path, {cell: 1.0})), "--json"]) == 1
    out, err = capfd.readouterr()
    assert err == ""
    report = json.loads(out, parse_constant=lambda text: pytest.fail(f"{text} is not JSON"))
    first = report["mismatches"][0]
    assert first["cell"] == f"Lesson!{cell}" and first["got"] == 1.0 and first["want"] in ("inf", "-inf", "nan")


@pytest.mark.parametrize(
    ("got", "want", "same"),
    [
        ("#NUM!", float("inf"), True),
        ("#DIV/0!", float("nan"), True),
        (float("inf"), float("inf"), True),
        (float("-inf"), float("inf"), False),
        (float("nan"), float("-inf"), True),
        ("#VALUE!", float("inf"), False),
        (1.0, float("inf"), False),
        ("#NUM!", 1.0, False),
        (1.0 + 1e-10, 1.0, True),
        (1.0 + 1e-8, 1.0, False),
        (True, 1.0, False),
        (None, 0.0, False),
    ],
)
def test_what_agrees(got: object, want: float, same: bool) -> None:
    assert agrees(got, want) is same


@pytest.fixture(scope="module")
def with_live(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("live") / "live.xlsx", live_epochs=3)


def test_the_live_sheet_is_checked_cell_by_cell(with_live: Path, tmp_path: Path) -> None:
    report = check_workbook(with_live)
    assert report.ok and report.unchecked == []
    assert report.cells == 386 + 3 * 20 * 9 + 3 * 3  # 9 formula columns per unrolled row, 3 per live-log row
    live = areas(with_live)
    descent, log = live["live_descent"], live["live_log"]
    book = openpyxl.load_workbook(with_live)
    error_sq = address(descent, row=4, column=5)  # left empty: finite differences do not drive sgd here
    label = address(log, row=1)  # the live log's epoch label
    book["Live"][error_sq].value = 7.0
    book["Live"][label].value = 9
    book.save(tmp_path / "live.xlsx")
    messages = [m["message"] for m in check_workbook(tmp_path / "live.xlsx").mismatches]
    assert messages == [
        f"Live!{error_sq} holds the constant 7.0 where the lesson leaves the cell empty",
        f"Live!{label} (live_log): got 9.0, want 2.0",
        f"Live!{error_sq}: column {error_sq.rstrip('0123456789')} is hidden (or 0 wide): its number is not shown",
    ]  # the lesson hides the columns it leaves empty: a number typed there is not shown either
