"""`gdsheet recalc`: real Excel workbooks evaluated natively and held to Excel's own cached values,
cached values written back with everything else kept, and a forged cache caught."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

import gdsheet
from gdsheet.engine.evaluator import Evaluator
from tests.support import graddesc
from tests.support.cli_inprocess import run_cli

FASTAI = Path(__file__).resolve().parents[1] / "data" / "fastai"
VOLATILE = {"graddesc.xlsm": 58, "mom_bias.xlsx": 100}  # RANDBETWEEN / RAND cells and their readers


@pytest.mark.parametrize("name", sorted(p.name for p in FASTAI.glob("*.xls*")))
def test_every_fastai_workbook_agrees_with_excel_natively(name: str) -> None:
    done = run_cli("recalc", str(FASTAI / name), "--check", "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["ok"], report["mismatches"][:5]
    assert report["cells"] > 20 and report["native"] == report["cells"] and report["fallback"] == 0  # 100% native
    assert report["volatile"] == VOLATILE.get(name, 0)
    assert report["mismatches"] == [] and report["unverified"] == []


def _forged(tmp_path: Path, name: str, cell: str, old: str, new: str) -> Path:
    """A copy of a fast.ai workbook whose cached value of ``cell`` is changed by hand."""
    path = tmp_path / name
    with zipfile.ZipFile(FASTAI / name) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index(f'<c r="{cell}"')
                end = text.index("</c>", start)
                assert f"<v>{old}</v>" in text[start:end]
                text = text[:start] + text[start:end].replace(f"<v>{old}</v>", f"<v>{new}</v>") + text[end:]
                data = text.encode()
            zout.writestr(item, data)
    return path


def test_a_forged_cached_value_is_a_mismatch_naming_the_cell(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(FASTAI / "broadcasting.xlsx", data_only=True)
    sheet = book.worksheets[0]
    formulas = openpyxl.load_workbook(FASTAI / "broadcasting.xlsx").worksheets[0]
    cell = next(c.coordinate for row in formulas.iter_rows() for c in row if str(c.value).startswith("="))
    old = sheet[cell].value
    path = _forged(tmp_path, "broadcasting.xlsx", cell, f"{old:g}" if isinstance(old, float) else str(old), "12345")
    done = run_cli("recalc", str(path), "--check", "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 1 and not report["ok"]
    assert [m["cell"] for m in report["mismatches"]] == [f"{sheet.title}!{cell}"]
    assert report["mismatches"][0]["cached"] == 12345.0 and report["mismatches"][0]["got"] == old
    plain = run_cli("recalc", str(path), "--check")
    assert plain.returncode == 1 and f"{sheet.title}!{cell}: cached 12345.0" in plain.stdout
    assert run_cli("recalc", str(path)).returncode == 0  # recalc repairs it
    assert run_cli("recalc", str(path), "--check").returncode == 0


def test_recalc_writes_cached_values_and_keeps_everything_else(tmp_path: Path) -> None:
    path = tmp_path / "made.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"] = 1.0, 2.0, 3.0
    ws["B1"], ws["B2"] = "=SUMPRODUCT(--(A1:A3<2.5))", "=SUMPRODUCT(ABS(A1:A3-A2))"
    ws["B3"], ws["B4"] = "=ROUND(1.005,2)", "=ROW(B4)+COLUMNS(A1:C1)"
    wb.save(path)
    before = zipfile.ZipFile(path)
    contents = {n: before.read(n) for n in before.namelist()}
    assert run_cli("recalc", str(path), "--check").returncode == 1  # openpyxl wrote no cached values
    report = gdsheet.recalc(path)
    assert report.written and report.cells == 4 and report.native == 4
    values = openpyxl.load_workbook(path, data_only=True).active
    assert [values[c].value for c in ("B1", "B2", "B3", "B4")] == [2, 2, 1.01, 7]
    after = zipfile.ZipFile(path)
    changed = [n for n in after.namelist() if after.read(n) != contents[n]]
    assert changed == ["xl/worksheets/sheet1.xml"]
    assert gdsheet.recalc(path, check=True).ok


def test_an_unreadable_workbook_is_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip")
    done = run_cli("recalc", str(path), "--check")
    assert done.returncode == 3 and done.stderr.count("\n") == 1


def test_graddesc_compiles_natively_with_its_sheet_scoped_names() -> None:
    ev = Evaluator(FASTAI / "graddesc.xlsm")
    assert type(ev.engine).__name__ == "CompiledEngine" and ev.engine.note is None  # no fallback
    cached = openpyxl.load_workbook(FASTAI / "graddesc.xlsm", data_only=True)["adam_ann"]["N34"].value
    assert ev.values({}, ["adam_ann!N34"])["adam_ann!N34"][0, 0] == pytest.approx(cached, rel=1e-12)  # issue's cell


@pytest.mark.parametrize("name", graddesc.SHEETS)
def test_each_graddesc_sheet_runs_natively_as_written_out(tmp_path: Path, name: str) -> None:
    """`run` with the sheet's carry map (SOURCE.md) against tests/support/graddesc.py, epoch by
    epoch: the carried cells and the sheet's summaries (recorded after the carry, so those of the
    next epoch's pass). The data sheet's RANDBETWEEN cells draw under --seed; no sheet reads them."""
    path = tmp_path / "graddesc.xlsm"
    shutil.copyfile(FASTAI / "graddesc.xlsm", path)
    book = openpyxl.load_workbook(FASTAI / "graddesc.xlsm", data_only=True)
    want = graddesc.epochs(book[name], name, 5)
    record = [part for cell in want[0] for part in ("--record", f"{name}!{cell}")]
    options = [*graddesc.carries(name), *record, "--seed", "7", "--verbose", "--json"]
    done = run_cli("run", str(path), "--epochs", "5", *options)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # --verbose names every formula the formulas engine evaluates: none here
    got = json.loads(done.stdout)["epochs"]
    assert [e["epoch"] for e in got] == [1, 2, 3, 4, 5]
    for epoch, (g, w) in enumerate(zip(got, want, strict=True), 1):
        for cell, value in w.items():
            assert g[f"{name}!{cell}"] == pytest.approx(value, rel=1e-12), (epoch, cell)
    saved = openpyxl.load_workbook(path, data_only=True)[name]
    assert [saved[cell].value for cell in want[-1]] == pytest.approx(list(want[-1].values()), rel=1e-12)
