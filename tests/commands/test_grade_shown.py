"""`grade` inherits what `check` guarantees about what a workbook shows: a submission whose
formulas are right but whose cached value, number format, conditional format, drawing or names
make the teacher's copy show other numbers loses the points of the cell concerned, and the
item names it with check's message. Each submission is a right one saved by LibreOffice, then
tampered with one way."""

from __future__ import annotations

import json

import pytest

from tests.support.cli_inprocess import run_cli
from tests.support.libreoffice import resave_many
from tests.support.students import BLANK, RIGHT_DE_DM, fill_blank_columns
from tests.support.tamper import (
    Tampering,
    conditional_literal,
    hidden_format,
    sheet_level,
    stale_cache,
    text_box_over_rmse,
)

pytestmark = pytest.mark.libreoffice

TAMPERED: dict[str, tuple[Tampering, str, str]] = {
    "hid": (hidden_format, "de/dm", "its number format shows another number"),
    "cache": (stale_cache, "rmse", "its cached value"),
    "box": (text_box_over_rmse, "rmse", "a shape or text box is drawn over this lesson cell"),
    "cond": (conditional_literal, "rmse", "a conditional format over"),
}
"""Student id -> (how the right submission is tampered, the item that must lose the cell, message)."""


@pytest.fixture(scope="module")
def graded(need_soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("shown")
    ids = ["ok", *TAMPERED, "shadow"]
    roster = root / "class.csv"
    roster.write_text("id,name\n" + "".join(f"{i},Student {i}\n" for i in ids), encoding="utf-8")
    hw = root / "hw"
    assert run_cli("assign", str(roster), "--out", str(hw), "--blank", ",".join(BLANK), "--seed", "5",
                   "--live-epochs", "0").returncode == 0  # fmt: skip
    filled = root / "filled"
    filled.mkdir()
    for student in ids:
        fill_blank_columns(hw / f"{student}.xlsx", filled / f"{student}.xlsx", lambda n, k, c: RIGHT_DE_DM.format(**c))
    saved = {path.stem: path for path in resave_many([filled / f"{i}.xlsx" for i in ids], root / "saved")}
    submitted, named = root / "submitted", {}
    submitted.mkdir()
    files = [saved["ok"]]
    for student, (tamper, _, _) in TAMPERED.items():
        files.append(submitted / f"{student}.xlsx")
        named[student] = tamper(saved[student], files[-1])
    files.append(submitted / "shadow.xlsx")
    named["shadow"] = sheet_level("learn")(saved["shadow"], files[-1])
    result = run_cli("grade", str(hw / "assignment.toml"), *map(str, files), "--json")
    assert result.returncode == 0, result.stderr
    records = {r["id"]: r for r in json.loads(result.stdout)["students"]}
    return {"records": records, "named": named}


def _items(record: dict[str, object]) -> dict[str, dict[str, object]]:
    return {item["name"]: item for item in record["items"]}  # type: ignore[attr-defined, index]


def test_a_right_submission_saved_by_libreoffice_keeps_full_marks(graded: dict[str, object]) -> None:
    record = graded["records"]["ok"]  # type: ignore[index]
    assert record["status"] == "graded" and record["score"] == record["max"] and record["message"] == ""


@pytest.mark.parametrize("student", list(TAMPERED))
def test_a_cell_shown_otherwise_loses_its_points_and_is_named(graded: dict[str, object], student: str) -> None:
    record = graded["records"][student]  # type: ignore[index]
    _, item_name, message = TAMPERED[student]
    named = graded["named"][student]  # type: ignore[index]
    items = _items(record)
    item = items[item_name]
    assert item["first_wrong_cell"] == named and message in item["message"], item
    assert item["wrong_cells"] == 1 and item["points"] == round(item["max"] * (item["cells"] - 1) / item["cells"], 2)
    assert record["score"] == record["max"] - (item["max"] - item["points"])  # nothing else is docked
    assert all(other["points"] == other["max"] for name, other in items.items() if name != item_name)


def test_a_sheet_level_name_costs_the_inputs_item_and_is_named(graded: dict[str, object]) -> None:
    record = graded["records"]["shadow"]  # type: ignore[index]
    inputs = _items(record)["inputs"]
    assert inputs["points"] == 0 and "what the workbook shows is not what is graded" in inputs["message"]
    assert graded["named"]["shadow"] in inputs["message"] and graded["named"]["shadow"] in record["message"]  # type: ignore[index]
