"""Errors in their right class during `gdsheet run`: a carried or recorded cell that holds no
number is a wrong workbook (exit 3, naming the cell and what it holds); only numeric overflow
(inf, NaN, #NUM!, #DIV/0!) is divergence (exit 4). Any number of carries and records works."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from gdsheet.cli import main

SHEET = "O'Brien"  # a sheet name that must be quoted, as users name sheets


def book(tmp_path: Path, cells: dict[str, object], sheet: str = SHEET) -> Path:
    """A one-sheet workbook: A1 = 1 (what is carried into), J1 = 1e300, plus ``cells``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws["A1"], ws["J1"], ws["K1"] = 1, 1e300, "hello"
    for cell, value in cells.items():
        ws[cell] = value
    path = tmp_path / "plain.xlsx"
    wb.save(path)
    return path


def run_cli(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["run", str(path), "--json", *args])
    captured = capsys.readouterr()
    assert len(captured.err.splitlines()) == 1 and "Traceback" not in captured.err, captured.err
    return code, captured.out, captured.err


CELL = "'O''Brien'!B1"
WHAT = "where a number belongs (a carried or recorded cell, epoch 1)"


@pytest.mark.parametrize(
    ("formula", "holds"),
    [
        (None, "nothing (it is empty)"),
        ("some text", "the text 'some text'"),
        ("=K1", "the text 'hello'"),
        (True, "the boolean TRUE"),
        ("=A1>0", "the boolean TRUE"),
        ("=K1+1", "the error #VALUE!"),
        ("=#REF!+1", "the error #REF!"),
        ("=Gone!A1", "the error #REF!"),
        ("=NA()", "the error #N/A"),
        ("=NOSUCHFUNCTION(A1)", "the error #NAME?"),
    ],
)
@pytest.mark.parametrize("side", ["carry", "record"])
def test_a_cell_that_holds_no_number_is_a_workbook_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], formula: object, holds: str, side: str
) -> None:
    # the sheet is plainly named: NA(), = and unknown functions send the workbook to the formulas
    # engine, which cannot evaluate references to a sheet named O'Brien (see the #REF! test)
    path = book(tmp_path, {"B1": formula, "C1": "=A1+1"}, "Data")
    before = path.read_bytes()
    if side == "carry":
        options = ["--carry", "Data!A1=Data!B1", "--record", "Data!C1"]
    else:
        options = ["--carry", "Data!A1=Data!C1", "--record", "Data!B1"]
    code, out, err = run_cli(path, capsys, "--epochs", "3", *options)
    assert code == 3
    assert err == f"gdsheet: error: Data!B1 holds {holds} {WHAT}\n"
    assert json.loads(out) == {"epochs": []}
    assert path.read_bytes() == before  # nothing finished, nothing saved


def test_a_ref_error_on_a_quoted_sheet_is_a_workbook_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = book(tmp_path, {"B1": "=#REF!*A1"})
    code, out, err = run_cli(path, capsys, "--epochs", "3", "--carry", f"'{SHEET}'!A1='{SHEET}'!B1")
    assert code == 3 and json.loads(out) == {"epochs": []}
    assert err == f"gdsheet: error: {CELL} holds the error #REF! {WHAT}\n"


@pytest.mark.parametrize("formula", ["=1/(A1-1)", "=SQRT(-A1)", "=A1*J1*J1", "=A1*J1*J1-A1*J1*J1"])
def test_numeric_overflow_is_divergence(tmp_path: Path, capsys: pytest.CaptureFixture[str], formula: str) -> None:
    path = book(tmp_path, {"B1": formula})
    code, _, err = run_cli(path, capsys, "--epochs", "3", "--carry", f"'{SHEET}'!A1='{SHEET}'!B1")
    assert code == 4
    assert err == f"gdsheet: error: diverged at epoch 1 (cell {CELL})\n"


def test_divergence_after_some_epochs_keeps_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = book(tmp_path, {"B1": "=A1*J1"})  # 1 -> 1e300 -> inf
    code, out, err = run_cli(path, capsys, "--epochs", "5", "--carry", f"'{SHEET}'!A1='{SHEET}'!B1",
                             "--record", f"'{SHEET}'!A1")  # fmt: skip
    assert code == 4 and err == f"gdsheet: error: diverged at epoch 2 (cell {CELL})\n"
    assert json.loads(out) == {"epochs": [{"epoch": 1, f"'{SHEET}'!A1": 1e300}]}
    assert openpyxl.load_workbook(path)[SHEET]["A1"].value == 1e300


@pytest.mark.parametrize("engine", ["compiled", "formulas"])
def test_one_carry_and_no_record_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "S"
    wb.active["A1"], wb.active["B1"] = 1, "=A1*2"
    path = tmp_path / "plain.xlsx"
    wb.save(path)
    assert main(["run", str(path), "--carry", "S!A1=S!B1", "--epochs", "4", "--engine", engine, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"epochs": [{"epoch": n} for n in range(1, 5)]}
    assert openpyxl.load_workbook(path)["S"]["A1"].value == 16


def test_many_carries_and_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cells = {f"{column}1": f"={column}2+1" for column in "BCDE"} | {f"{column}2": 0 for column in "BCDE"}
    path = book(tmp_path, cells)
    carries = [arg for column in "BCDE" for arg in ("--carry", f"'{SHEET}'!{column}2='{SHEET}'!{column}1")]
    records = [arg for column in "BCDE" for arg in ("--record", f"'{SHEET}'!{column}2")]
    code, out, _ = run_cli_ok(path, capsys, "--epochs", "3", *carries, *records)
    assert code == 0
    want = [{"epoch": n} | {f"'{SHEET}'!{column}2": float(n) for column in "BCDE"} for n in (1, 2, 3)]
    assert json.loads(out) == {"epochs": want}


def run_cli_ok(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["run", str(path), "--json", *args])
    captured = capsys.readouterr()
    assert captured.err == ""
    return code, captured.out, captured.err
