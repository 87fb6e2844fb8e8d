"""`gdsheet run` / `reset`: epochs against the reference, saved state read back by LibreOffice,
the Reset button, divergence, and errors that leave the file untouched."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.commands.build import build
from gdsheet.commands.run import run
from gdsheet.engine.evaluator import Evaluator, defined_areas
from gdsheet.errors import Diverged
from gdsheet.lesson.spec import load_preset
from gdsheet.reference.oracle import run_epochs
from tests.support.cli_inprocess import run_cli
from tests.support.libreoffice import area_text, recalculate


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def assert_records_match(records: list[dict[str, float]], preset: str, epochs: int, first: int = 1) -> None:
    expected = run_epochs(load_preset(preset), epochs + first - 1)[first - 1 :]
    assert [r["epoch"] for r in records] == [e.epoch for e in expected]
    for got, want in zip(records, expected, strict=True):
        for key, field in (("m", "m"), ("b", "b"), ("loss", "rmse")):
            assert got[key] == pytest.approx(getattr(want, field), rel=1e-9, abs=0), (got["epoch"], key)


@pytest.mark.parametrize(("preset", "epochs"), [("corrected", 5), ("seed", 3)])
def test_cli_json_matches_the_reference(tmp_path: Path, preset: str, epochs: int) -> None:
    path = build(tmp_path / f"{preset}.xlsx", preset, live_epochs=0)  # no Live sheet: quicker to load
    result = cli("run", str(path), "--epochs", str(epochs), "--json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)["epochs"]
    loss = {"corrected": "rmse", "seed": "root_sum_square"}[preset]
    assert list(records[0]) == ["epoch", "m", "b", loss, "loss"]  # the lesson's loss, and a stable alias
    assert all(r[loss] == r["loss"] for r in records)
    assert_records_match(records, preset, epochs)


def test_default_epochs_come_from_the_workbook_and_numbering_continues(tmp_path: Path) -> None:
    path = build(tmp_path / "lesson.xlsx", epochs=2, live_epochs=0)
    first = run(path)
    second = run(path, epochs=3)
    assert [r["epoch"] for r in first + second] == [1, 2, 3, 4, 5]
    assert_records_match(second, "corrected", 3, first=3)
    book = openpyxl.load_workbook(path)
    log = defined_areas(book)["epoch_log"]
    assert log.shape == (5, 4)


@pytest.mark.libreoffice
def test_saved_workbook_starts_at_epoch_5_in_libreoffice(need_soffice: str, tmp_path: Path) -> None:
    path = build(tmp_path / "lesson.xlsx")
    records = run(path, epochs=5)
    expected = run_epochs(load_preset("corrected"), 6)
    areas = defined_areas(openpyxl.load_workbook(path))
    sheets = recalculate(path, shown=False)
    sheet = sheets["Lesson"]

    def value(name: str) -> np.ndarray:
        return np.array([[float(v) for v in row] for row in area_text(sheet, areas[name])])

    assert value("m_start")[0, 0] == pytest.approx(expected[4].m, rel=1e-12)
    assert value("b_start")[0, 0] == pytest.approx(expected[4].b, rel=1e-12)
    assert value("rmse")[0, 0] == pytest.approx(expected[4].rmse, rel=1e-9)
    assert value("next_m")[0, 0] == pytest.approx(expected[5].m, rel=1e-9)  # epoch 6 is the next step
    log = value("epoch_log")
    assert log.shape == (5, 4)
    want = np.array([[r["epoch"], r["m"], r["b"], r["rmse"]] for r in records])
    np.testing.assert_allclose(log, want, rtol=1e-12)
    # the Live sheet now unrolls epochs 6 to 25 from the carried m and b
    live = np.array([[float(v) for v in row] for row in area_text(sheets["Live"], areas["live_log"])])
    later = run_epochs(load_preset("corrected"), 25)[5:]
    np.testing.assert_allclose(live[:, 1:], [[e.m, e.b, e.rmse] for e in later], rtol=1e-9)


def test_reset_brings_back_the_built_state(tmp_path: Path) -> None:
    built = build(tmp_path / "built.xlsx", "seed")
    path = tmp_path / "lesson.xlsx"
    shutil.copyfile(built, path)
    run(path, epochs=4)
    result = cli("reset", str(path))
    assert result.returncode == 0, result.stderr
    before, after = openpyxl.load_workbook(built), openpyxl.load_workbook(path)
    assert {n: d.attr_text for n, d in before.defined_names.items()} == {
        n: d.attr_text for n, d in after.defined_names.items()
    }
    old, new = before["Lesson"], after["Lesson"]
    cells = {(c.coordinate, c.value, c.number_format) for row in old.iter_rows() for c in row}
    assert cells == {(c.coordinate, c.value, c.number_format) for row in new.iter_rows() for c in row}
    assert run(path, epochs=1)[0]["epoch"] == 1


def test_two_hundred_epochs_seed_diverges_corrected_converges(tmp_path: Path) -> None:
    seed = run(build(tmp_path / "seed.xlsx", "seed"), epochs=200)
    corrected = run(build(tmp_path / "corrected.xlsx", live_epochs=0), epochs=200)
    seed_loss = np.array([r["root_sum_square"] for r in seed])
    corrected_loss = np.array([r["rmse"] for r in corrected])
    assert seed_loss.argmin() + 1 == 27 and seed_loss.min() == pytest.approx(4.262, abs=1e-3)
    assert np.all(np.diff(seed_loss[27:]) > 0)  # after epoch 27 it only climbs
    assert seed_loss[-1] == pytest.approx(48.89, abs=0.01) and seed_loss[-1] > 10 * seed_loss.min()
    assert np.all(np.diff(corrected_loss) < 0)  # the true gradient goes down every epoch
    assert_records_match(seed[-3:], "seed", 3, first=198)


def test_divergence_stops_and_keeps_the_last_finite_epoch(tmp_path: Path) -> None:
    path = build(tmp_path / "wild.xlsx", "seed", learn=0.05)
    result = cli("run", str(path), "--epochs", "100", "--json")
    assert result.returncode == 4
    message = result.stderr.strip()
    assert message.startswith("gdsheet: error: diverged at epoch ") and "(cell Lesson!" in message
    epoch = int(message.split("diverged at epoch ")[1].split()[0])
    records = json.loads(result.stdout)["epochs"]
    assert len(records) == epoch - 1 > 0
    book = openpyxl.load_workbook(path)
    areas = defined_areas(book)
    assert areas["epoch_log"].shape[0] == epoch - 1
    ws = book["Lesson"]
    m_start = ws.cell(row=areas["m_start"].min_row, column=areas["m_start"].min_col).value
    assert m_start == records[-1]["m"] and np.isfinite(m_start)


@pytest.mark.parametrize(("preset", "learn", "epochs"), [("corrected", None, 1300), ("seed", 0.05, 100)])
def test_many_epochs_a_call_equal_one_epoch_a_call(tmp_path: Path, preset: str, learn: float | None,
                                                   epochs: int) -> None:  # fmt: skip
    """The compiled engine's loop of epochs (512 a call, the last call partial) gives the records
    and the file that one epoch a call gives (a ``progress`` callback asks for that), up to a
    divergence inside a call, which the one-by-one path then finds."""
    options = {"live_epochs": 0} if learn is None else {"learn": learn}
    one, many = build(tmp_path / "one.xlsx", preset, **options), build(tmp_path / "many.xlsx", preset, **options)
    ev = Evaluator(many)
    assert hasattr(ev.stepper(["m_start", "b_start"], ["next_m", "next_b"], [0, 1], 2), "epochs")  # the loop exists
    got = []
    for path, progress in ((one, lambda done, total: None), (many, None)):
        try:
            got.append(run(path, epochs=epochs, progress=progress))
        except Diverged as exc:
            got.append(["diverged", *exc.records])
    assert got[0] == got[1] and len(got[1]) > 1
    with zipfile.ZipFile(one) as a, zipfile.ZipFile(many) as b:
        parts = [n for n in a.namelist() if n != "docProps/core.xml"]  # it holds the time of the build
        assert parts == [n for n in b.namelist() if n != "docProps/core.xml"]
        assert all(a.read(n) == b.read(n) for n in parts)


def corrupt_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = build(tmp_path / "good.xlsx")
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[:2000])
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK\x03\x04 this is not really a zip")
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(plain)
    return {
        "missing": (tmp_path / "absent.xlsx", "no such file"),
        "not xlsx": (text, "not an .xlsx or .xlsm workbook"),
        "truncated": (truncated, "not a workbook"),
        "garbage": (garbage, "not a workbook"),
        "no names": (plain, "not a gdsheet lesson"),
    }


@pytest.mark.parametrize("case", ["missing", "not xlsx", "truncated", "garbage", "no names"])
def test_unreadable_workbooks_fail_in_one_line(tmp_path: Path, case: str) -> None:
    path, message = corrupt_files(tmp_path)[case]
    before = path.read_bytes() if path.exists() else None
    for command in ("run", "reset", "check"):
        result = cli(command, str(path))
        assert result.returncode == 3, (command, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr
        assert (path.read_bytes() if path.exists() else None) == before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--epochs", "0"], 2, "epochs must be a whole number from 1 to 1,000,000, got 0"),
        (["--carry", "Nope!A1=next_m"], 3, "no sheet named 'Nope'"),
        (["--carry", "Lesson!ZZZZ1=next_m"], 3, "not a cell reference"),
        (["--carry", "m_start"], 2, "expected TARGET=SOURCE"),
        (["--record", "Lesson!A0"], 3, "not a cell reference"),
    ],
)
def test_bad_run_options_leave_the_file_alone(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    path = build(tmp_path / "lesson.xlsx", live_epochs=0)
    before = path.read_bytes()
    if args[0] == "--record":
        args = ["--carry", "m_start=next_m", *args]
    result = cli("run", str(path), *args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert path.read_bytes() == before
