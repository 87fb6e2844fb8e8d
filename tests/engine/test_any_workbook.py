"""`gdsheet run --carry/--record` on workbooks gdsheet did not build, in fast.ai's style:
parameters at the top, a descent table carrying them row to row, a loss cell, a chart,
and (in the committed fixture) a real VBA macro project that must survive byte for byte."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl.chart import LineChart, Reference

from gdsheet.reference.oracle import sgd_epoch
from tests.support.libreoffice import cell_text, recalculate

FIXTURE = Path(__file__).parents[1] / "fixtures" / "macro_sgd.xlsm"
VBA_SHA256 = "5d61bd5aba15372022ab3b63ceaecb42413ec003e9395ccb58c96845d9c5ff9d"
XS = [14.0, 86.0, 28.0, 51.0, 28.0]
YS = [2 * x + 30 for x in XS]
CARRY = ["--carry", "basic!C3=basic!I11", "--carry", "basic!C4=basic!J11", "--record", "basic!C3",
         "--record", "basic!C4", "--record", "basic!M1"]  # fmt: skip


def fastai_style(path: Path) -> Path:
    """The fixture's sheet, built with openpyxl, plus a line chart and a second sheet of notes."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "basic"
    ws["B1"], ws["C1"], ws["B3"], ws["C3"], ws["B4"], ws["C4"] = "learn", 0.0001, "m", 1, "b", 1
    ws["L1"], ws["M1"] = "loss", "=SQRT(SUM(F7:F11))"
    for i, header in enumerate(["x", "y", "m", "b", "y_pred", "err^2", "de/dm", "de/db", "new_m", "new_b"]):
        ws.cell(row=6, column=i + 1, value=header)
    for k, (x, y) in enumerate(zip(XS, YS, strict=True)):
        r = 7 + k
        ws[f"A{r}"], ws[f"B{r}"] = x, y
        ws[f"C{r}"], ws[f"D{r}"] = ("=$C$3", "=$C$4") if r == 7 else (f"=I{r - 1}", f"=J{r - 1}")
        ws[f"E{r}"], ws[f"F{r}"] = f"=C{r}*A{r}+D{r}", f"=(E{r}-B{r})^2"
        ws[f"G{r}"], ws[f"H{r}"] = f"=2*A{r}*(E{r}-B{r})", f"=2*(E{r}-B{r})"
        ws[f"I{r}"], ws[f"J{r}"] = f"=C{r}-$C$1*G{r}", f"=D{r}-$C$1*H{r}"
    chart = LineChart()
    chart.add_data(Reference(ws, min_col=6, min_row=6, max_row=11), titles_from_data=True)
    ws.add_chart(chart, "A14")
    wb.create_sheet("notes")["A1"] = "a teacher's notes, which a run must not touch"
    wb.save(path)
    return path


def expected(epochs: int) -> list[dict[str, float]]:
    """The numpy reference: per-sample SGD with the true gradient, the loss as √Σ err² of the table."""
    m = b = 1.0
    records = []
    for epoch in range(1, epochs + 1):
        table = sgd_epoch(XS, YS, m, b, 0.0001, "analytic", 0.01)
        m, b = table.last("new_m"), table.last("new_b")
        loss = float(np.sqrt(sgd_epoch(XS, YS, m, b, 0.0001, "analytic", 0.01).column("error_sq").sum()))
        records.append({"epoch": epoch, "basic!C3": m, "basic!C4": b, "basic!M1": loss})
    return records


def run_json(path: Path, epochs: int) -> list[dict[str, float]]:
    command = [sys.executable, "-m", "gdsheet", "run", str(path), "--epochs", str(epochs), "--json", *CARRY]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["epochs"]


def assert_close(got: list[dict[str, float]], want: list[dict[str, float]]) -> None:
    assert [list(r) for r in got] == [list(r) for r in want]  # keys exactly as given, in order
    for g, w in zip(got, want, strict=True):
        assert g["epoch"] == w["epoch"]
        for key in ("basic!C3", "basic!C4", "basic!M1"):
            assert g[key] == pytest.approx(w[key], rel=1e-9, abs=0)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_any_workbook_runs_and_keeps_its_chart_and_sheets(tmp_path: Path) -> None:
    path = fastai_style(tmp_path / "theirs.xlsx")
    before = members(path)
    assert_close(run_json(path, 4), expected(4))
    after = members(path)
    assert after.keys() == before.keys()
    changed = {name for name in before if before[name] != after[name]}
    # the sheet, and workbook.xml only where it lacked fullCalcOnLoad (openpyxl 3.1.5 writes it itself):
    # the chart, notes, styles are untouched
    assert changed - {"xl/workbook.xml"} == {"xl/worksheets/sheet1.xml"}
    assert any(name.startswith("xl/charts/chart") for name in after)
    ws = openpyxl.load_workbook(path)["basic"]
    assert ws["C3"].value == pytest.approx(expected(4)[-1]["basic!C3"], rel=1e-15)
    assert ws["C7"].value == "=$C$3"  # the formulas are still formulas


def test_the_macro_workbook_keeps_its_vba_project(tmp_path: Path) -> None:
    path = tmp_path / "graddesc.xlsm"
    shutil.copyfile(FIXTURE, path)
    assert hashlib.sha256(members(path)["xl/vbaProject.bin"]).hexdigest() == VBA_SHA256
    before = members(path)
    assert_close(run_json(path, 3), expected(3))
    after = members(path)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert after["[Content_Types].xml"] == before["[Content_Types].xml"]  # still macro-enabled
    assert b"macroEnabled" in after["[Content_Types].xml"]
    assert {n for n in before if before[n] != after[n]} == {"xl/workbook.xml", "xl/worksheets/sheet1.xml"}
    wb = openpyxl.load_workbook(path, keep_vba=True)
    assert wb.vba_archive is not None
    assert any(name.startswith("xl/charts/chart") for name in after)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_run_macro_workbook_at_the_new_state(need_soffice: str, tmp_path: Path) -> None:
    path = tmp_path / "graddesc.xlsm"
    shutil.copyfile(FIXTURE, path)
    records = run_json(path, 2)
    sheet = recalculate(path, shown=False)["basic"]
    assert float(cell_text(sheet, "C3")) == pytest.approx(records[-1]["basic!C3"], rel=1e-12)
    assert float(cell_text(sheet, "M1")) == pytest.approx(records[-1]["basic!M1"], rel=1e-9)
    assert float(cell_text(sheet, "I11")) == pytest.approx(expected(3)[-1]["basic!C3"], rel=1e-9)


def test_without_carry_a_foreign_workbook_is_refused(tmp_path: Path) -> None:
    path = fastai_style(tmp_path / "theirs.xlsx")
    before = path.read_bytes()
    result = subprocess.run([sys.executable, "-m", "gdsheet", "run", str(path)], capture_output=True, text=True)
    assert result.returncode == 3
    assert "not a gdsheet lesson" in result.stderr and "--carry" in result.stderr
    assert path.read_bytes() == before
