"""What a run keeps and writes per epoch: the records as numbers, the JSON printed from the same
texts as the log, whole numbers as Excel writes them."""

from __future__ import annotations

import itertools
import json
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from gdsheet.commands.build import build
from gdsheet.commands.records import EpochRecords
from gdsheet.commands.run import run
from tests.support.cli_inprocess import run_cli


@pytest.fixture(scope="module")
def lesson(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("lesson") / "lesson.xlsx", live_epochs=0)


@pytest.mark.parametrize("epochs", [3, 20, 45])  # beside the descent table, filling it, and below it
def test_json_is_what_json_dumps_writes_of_the_records(lesson: Path, tmp_path: Path, epochs: int) -> None:
    cli_copy, api_copy = tmp_path / "cli.xlsx", tmp_path / "api.xlsx"
    cli_copy.write_bytes(lesson.read_bytes())
    api_copy.write_bytes(lesson.read_bytes())
    result = run_cli("run", str(cli_copy), "--epochs", str(epochs), "--json")
    assert result.returncode == 0, result.stderr
    records = run(api_copy, epochs)
    assert result.stdout == json.dumps({"epochs": records}) + "\n"
    again = run_cli("run", str(cli_copy), "--epochs", "2", "--json")  # a log that already holds rows
    assert json.loads(again.stdout)["epochs"] == run(api_copy, 2)


def test_records_are_numbers_read_as_dicts() -> None:
    records = EpochRecords(["m", "b", "rmse", "loss"], [0, 1, 2, 2], 3, first_epoch=7)
    records.append([1.5, 2.0, 0.25])
    records.append([1.25, 2.5, 0.125])
    assert len(records) == 2
    assert records[0] == {"epoch": 7, "m": 1.5, "b": 2.0, "rmse": 0.25, "loss": 0.25}
    assert records[-1]["epoch"] == 8 and records[1:] == [records[1]]
    assert list(records) == [records[0], records[1]]
    with pytest.raises(IndexError):
        records[2]
    bare = EpochRecords([], [], 0, first_epoch=1)  # --carry without --record: the epoch only
    bare.append([])
    assert list(bare) == [{"epoch": 1}]


def test_whole_numbers_are_written_as_excel_writes_them(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["B1"] = 1, "=A1+1", "=A2*3"
    wb.save(tmp_path / "count.xlsx")
    result = run_cli("run", str(tmp_path / "count.xlsx"), "--epochs", "3", "--carry", "Sheet!A1=Sheet!A2",
                     "--record", "Sheet!B1", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [r["Sheet!B1"] for r in json.loads(result.stdout)["epochs"]] == [9.0, 12.0, 15.0]
    with zipfile.ZipFile(tmp_path / "count.xlsx") as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="A1"[^>]*><v>4</v>', xml) and re.search(r'<c r="B1"[^>]*><f>A2\*3</f><v>15</v>', xml)
    assert not re.search(r"<v>-?[0-9]+\.0</v>", xml)


def test_the_log_writes_whole_numbers_without_a_point(lesson: Path, tmp_path: Path) -> None:
    copy = tmp_path / "log.xlsx"
    copy.write_bytes(lesson.read_bytes())
    run(copy, 30)
    with zipfile.ZipFile(copy) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert not re.search(r"<v>-?[0-9]+\.0</v>", xml)
    assert re.search(r'<c r="R109"[^>]*><v>30</v></c>', xml)  # the epoch column, row 80 + 29


def _scoped(path: Path) -> Path:
    """Two sheets, each with its own ``total`` (sheet-level names), and a workbook-level ``step``."""
    from openpyxl.workbook.defined_name import DefinedName

    wb = Workbook()
    one = wb.active
    one.title = "One"
    two = wb.create_sheet("Two Sheet")
    one["A1"], one["A2"], one["B1"] = 1.0, "=A1*2", "=A2+0.5"
    two["A1"] = "=One!A2*10"
    one.defined_names["total"] = DefinedName("total", attr_text="One!$B$1", localSheetId=0)
    two.defined_names["total"] = DefinedName("total", attr_text="'Two Sheet'!$A$1", localSheetId=1)
    two.defined_names["only"] = DefinedName("only", attr_text="'Two Sheet'!$A$1", localSheetId=1)
    wb.defined_names["step"] = DefinedName("step", attr_text="One!$A$2")
    wb.save(path)
    return path


def test_record_takes_sheet_level_names_as_excel_resolves_them(tmp_path: Path) -> None:
    path = _scoped(tmp_path / "scoped.xlsx")
    records = run(path, 2, carry=["One!A1=step"],
                  record=["One!total", "'Two Sheet'!total", "only", "One!step"])  # fmt: skip
    # epoch 1: A1 = 2 (carried), A2 = 4; One's total is B1 = 4.5, Two Sheet's is A1 = 40
    assert records == [
        {"epoch": 1, "One!total": 4.5, "'Two Sheet'!total": 40.0, "only": 40.0, "One!step": 4.0},
        {"epoch": 2, "One!total": 8.5, "'Two Sheet'!total": 80.0, "only": 80.0, "One!step": 8.0},
    ]
    ambiguous = run_cli("run", str(path), "--epochs", "1", "--carry", "One!A1=step", "--record", "total")
    assert ambiguous.returncode == 3
    assert ambiguous.stderr.strip().endswith(
        "'total' is a name of several sheets (One!total, 'Two Sheet'!total): say which"
    )
    missing = run_cli("run", str(path), "--epochs", "1", "--carry", "One!A1=step", "--record", "One!only")
    assert missing.returncode == 3 and "nor a name of sheet 'One'" in missing.stderr


def test_a_volatile_cell_draws_anew_each_epoch_under_the_seed(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["B1"] = 0.0, "=A1+RAND()", "=RANDBETWEEN(1,6)"
    wb.save(tmp_path / "walk.xlsx")

    def walk(seed: str) -> list[dict[str, float]]:
        copy = tmp_path / f"walk-{seed}.xlsx"
        copy.write_bytes((tmp_path / "walk.xlsx").read_bytes())
        result = run_cli("run", str(copy), "--epochs", "6", "--carry", "Sheet!A1=Sheet!A2",
                         "--record", "Sheet!A1", "--record", "Sheet!B1", "--seed", seed, "--json")  # fmt: skip
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["epochs"]

    first, again, other = walk("5"), walk("5"), walk("6")
    assert first == again and first != other  # reproducible under its seed, another seed another walk
    steps = [b["Sheet!A1"] - a["Sheet!A1"] for a, b in itertools.pairwise(first)]
    assert all(0 <= step < 1 for step in steps) and len(set(steps)) == len(steps)  # a new draw every epoch
    dice = [r["Sheet!B1"] for r in first]  # a volatile cell no input reaches draws anew too
    assert all(d in (1, 2, 3, 4, 5, 6) for d in dice) and len(set(dice)) > 1
