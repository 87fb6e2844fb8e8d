"""Formulas from anyone, within bounded time and memory: Excel's own limits (8,192 characters, 64
nested functions) refused naming the cell, long and deep formulas compiled without reaching
Python's parser or recursion limits, a bound on distinct formulas and runs, and an unknown
function as #NAME? with one --verbose line and no library's log."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.support.cli_inprocess import run_cli


def _book(path: Path, formulas: list[str], value: float = 2.0) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = value
    for row, formula in enumerate(formulas, start=1):
        ws.cell(row=row, column=2, value=formula)
    wb.save(path)
    return path


def _raw_formula(path: Path, formula: str) -> Path:
    """A workbook whose B1 holds ``formula`` however long (openpyxl cuts a cell at 32,767 characters)."""
    import zipfile

    _book(path.with_suffix(".tmp.xlsx"), ["=A1+0"])
    with zipfile.ZipFile(path.with_suffix(".tmp.xlsx")) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>A1+0</f>", b"<f>" + formula.encode() + b"</f>")
            zout.writestr(item, data)
    return path


def _limited() -> None:  # in the child: 1 GB of address space, 60 s of CPU
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))


def _gdsheet(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "gdsheet", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limited,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    ("formula", "says"),
    [
        ("+".join(["A1"] * 33_334), "a formula of 100,001 characters (Excel's limit is 8,192)"),
        ("=" + "SQRT(" * 10_000 + "A1" + ")" * 10_000, "characters (Excel's limit is 8,192)"),
        ("=" + "SQRT(" * 300 + "A1" + ")" * 300, "nested deeper than Excel's 64 levels"),
    ],
    ids=["long", "nested-10000", "nested-300"],
)
def test_beyond_excels_limits_is_refused_naming_the_cell(tmp_path: Path, formula: str, says: str) -> None:
    path = _raw_formula(tmp_path / "hostile.xlsx", formula.lstrip("="))
    done = _gdsheet("recalc", str(path), "--check")
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "Sheet!B1" in done.stderr and says in done.stderr


def test_long_and_deep_formulas_within_excels_limits_compile(tmp_path: Path) -> None:
    formulas = [
        "=" + "+".join(["A1"] * 2_000),  # a chain 2,000 deep: Python's parser allows ~200 parentheses
        "=SUM(" + ",".join(["A1"] * 255) + ")",
        "=" + "SQRT(" * 64 + "A1" + ")" * 64,
        "=" + "-".join(["A1"] * 1_500) + "*1",
    ]
    path = _book(tmp_path / "deep.xlsx", formulas)
    assert run_cli("recalc", str(path)).returncode == 0
    values = openpyxl.load_workbook(path, data_only=True).active
    assert values["B1"].value == 4_000 and values["B2"].value == 510
    assert values["B3"].value == pytest.approx(2.0 ** (0.5**64), rel=1e-15)
    assert values["B4"].value == 2.0 - 2.0 * 1_499


def test_too_many_distinct_formulas_are_refused_quickly(tmp_path: Path) -> None:
    path = _book(tmp_path / "shapes.xlsx", [f"=A1*{k}+{k}" for k in range(1, 2_001)])
    done = _gdsheet("recalc", str(path), "--check", env={"GDSHEET_MAX_SHAPES": "1000"})
    assert done.returncode == 3 and done.stderr.count("\n") == 1
    assert "more than 1,000 distinct formulas" in done.stderr and "GDSHEET_MAX_SHAPES" in done.stderr


def test_alternating_formulas_are_bounded_by_runs(tmp_path: Path) -> None:
    path = _book(tmp_path / "runs.xlsx", ["=A1+1" if k % 2 else "=A1*2" for k in range(3_000)])
    done = _gdsheet("recalc", str(path), "--check", env={"GDSHEET_MAX_RUNS": "1000"})
    assert done.returncode == 3 and "more than 1,000 blocks of formulas" in done.stderr


def test_an_unknown_function_is_name_with_one_verbose_line(tmp_path: Path) -> None:
    path = _book(tmp_path / "foo.xlsx", ["=FOO(A1)", "=IFERROR(FOO(A1),7)", "=QUOTIENT(7,A1)"])
    done = _gdsheet("recalc", str(path), "--verbose")
    assert done.returncode == 0
    assert done.stderr.count("\n") == 1 and "(FOO): #NAME?" in done.stderr and "Traceback" not in done.stderr
    values = openpyxl.load_workbook(path, data_only=True).active
    assert [values[c].value for c in ("B1", "B2", "B3")] == ["#NAME?", 7, 3]
    report = json.loads(_gdsheet("recalc", str(path), "--check", "--json").stdout)
    assert report["ok"] and report["native"] == 3
