"""The programs the compiled engine writes: small arrays as Python loops, the samples iterated with
their rows, copies between locals left out; each against the numpy form and `formulas`."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from openpyxl import Workbook

from gdsheet.engine import codegen
from gdsheet.engine.evaluator import Evaluator

OUTPUTS = {
    "F1": "=SUMPRODUCT((A1:A20*B1-C1:C20)^2)",
    "F2": "=SUM(A1:A20)*B1",
    "F3": "=MAX(A1:A20)+B1-MIN(C1:C20)",
    "F4": "=AVERAGE(C1:C20)*B1",
    "F5": "=SUMSQ(A1:A20)+B1",
    "F6": "=SUMPRODUCT(A1:A20,C1:C20)*B1",
    "F7": "=SUMPRODUCT(E1:E20,C1:C20)",  # a column the input changes, read as a slice
    "F8": "=SUMPRODUCT((A1:A20-B1)^3)/SUM(E1:E20)",
    "F9": "=G20",  # the last row of a loop that carries its value down the rows
}


def _book(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws["B1"] = 1.25
    for row in range(1, 21):
        ws[f"A{row}"], ws[f"C{row}"] = row * 0.7 - 3, (row % 7) * 1.3 + 0.1
        ws[f"E{row}"] = f"=A{row}*$B$1+C{row}"
        ws[f"G{row}"] = "=B1*A1" if row == 1 else f"=G{row - 1}-0.01*(G{row - 1}*A{row}-C{row})*$B$1"
    for cell, formula in OUTPUTS.items():
        ws[cell] = formula
    wb.save(path)
    return path


def _steps(path: Path, inputs: list[float]) -> list[list[object]]:
    ev = Evaluator(path)
    step = ev.stepper(["Sheet!B1"], [f"Sheet!{cell}" for cell in OUTPUTS])
    return [step([value]) for value in inputs]


INPUTS = [1.25, -0.5, 3.0, 0.0]


def test_small_arrays_as_loops_equal_numpy_and_formulas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _book(tmp_path / "arrays.xlsx")
    loops = _steps(path, INPUTS)
    monkeypatch.setattr(codegen, "ELEMENT_CELLS", 0)  # every array through numpy, as before the loops
    arrays = _steps(path, INPUTS)
    reference = Evaluator(path, engine="formulas")
    for value, got, numpy_form in zip(INPUTS, loops, arrays, strict=True):
        want = reference.values({"Sheet!B1": value}, [f"Sheet!{cell}" for cell in OUTPUTS])
        for cell, a, b in zip(OUTPUTS, got, numpy_form, strict=True):
            assert math.isclose(a, b, rel_tol=1e-14, abs_tol=1e-300), (cell, value, a, b)  # sums in another order
            w = float(want[f"Sheet!{cell}"][0, 0])
            assert math.isclose(a, w, rel_tol=1e-12), (cell, value, a, w)


def test_the_stepper_program_iterates_the_samples_and_saves_copies(tmp_path: Path) -> None:
    path = _book(tmp_path / "arrays.xlsx")
    ev = Evaluator(path)
    sources: list[str] = []
    writer = ev.engine.writer
    program = writer.program
    writer.program = lambda *a, **k: sources.append((p := program(*a, **k)).source) or p  # type: ignore[method-assign]
    step = ev.stepper(["Sheet!B1"], ["Sheet!F1", "Sheet!F9"])
    assert step([1.25]) == [ev.values({"Sheet!B1": 1.25}, ["Sheet!F1"])["Sheet!F1"][0, 0], pytest.approx(_g20(1.25))]
    source = sources[-1]
    assert "for r, c0, c1 in zip(range(2, 21)" in source  # A and C: fixed numbers, iterated with the rows
    assert "_np" not in source and "_garr" not in source  # twenty cells: no numpy
    assert " = v" not in source  # G is computed straight into the local the next row reads


def _g20(b1: float) -> float:
    xs = [row * 0.7 - 3 for row in range(1, 21)]
    ys = [(row % 7) * 1.3 + 0.1 for row in range(1, 21)]
    g = b1 * xs[0]
    for x, y in zip(xs[1:], ys[1:], strict=True):
        g = g - 0.01 * (g * x - y) * b1
    return g


def test_an_overflow_inside_a_loop_still_reaches_the_exact_dialect(tmp_path: Path) -> None:
    path = _book(tmp_path / "arrays.xlsx")
    got = _steps(path, [1e200])[0]
    assert got[0] == "#NUM!"  # (x * 1e200)^2 overflows: Excel's #NUM!, not inf
