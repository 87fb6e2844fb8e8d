"""`check` verifies what an application shows: each tampering of issue 16's battery (cached
values, names moved, deleted, added, shadowed, duplicated or made unions, a typed epoch log,
functions the engine cannot vouch for) fails with exit 1 naming the cell or the name, and
legitimate edits (another learn, a changed sample, a LibreOffice re-save) still pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from gdsheet.cli import main
from gdsheet.commands.build import build
from gdsheet.commands.check import check_workbook
from gdsheet.commands.run import run
from tests.support.libreoffice import cell_text, recalculate_many, resave, resave_many
from tests.support.tamper import DISPLAY_TAMPERINGS, FORMAT_TAMPERINGS, TAMPERINGS, Tampering, areas, cell


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lesson after one epoch: its formulas hold cached values, its log one row."""
    path = build(tmp_path_factory.mktemp("ran") / "lesson.xlsx", live_epochs=0)
    run(path, epochs=1)
    return path


def test_the_run_lesson_passes_with_its_caches_and_log(ran: Path) -> None:
    report = check_workbook(ran)
    assert report.ok and report.unchecked == [] and report.cells == 386


@pytest.mark.parametrize("tamper", TAMPERINGS + DISPLAY_TAMPERINGS, ids=lambda t: t.__name__)
def test_each_tampering_fails_naming_the_cell_or_the_name(
    ran: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], tamper: Tampering
) -> None:
    path = tmp_path / "tampered.xlsx"
    named = tamper(ran, path)
    assert main(["check", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""
    report = json.loads(captured.out)
    messages = [m["message"] for m in report["mismatches"]] + report["unchecked"]
    assert any(named in message for message in messages), (named, messages[:5])
    assert main(["check", str(path), "--allow-unchecked"]) == 1  # a mismatch, not only unchecked cells
    capsys.readouterr()


def test_a_stale_cache_is_named_with_both_values(ran: Path, tmp_path: Path) -> None:
    path = tmp_path / "stale.xlsx"
    address = TAMPERINGS[0](ran, path)
    [mismatch] = check_workbook(path).mismatches
    assert mismatch["cell"] == address and mismatch["kind"] == "cache"
    assert mismatch["got"] == pytest.approx(2 * mismatch["want"], rel=1e-15)  # type: ignore[operator]


def test_a_number_no_name_covers_is_unchecked(ran: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(ran)
    book["Lesson"]["AZ7"] = 12.5
    book.save(tmp_path / "typed.xlsx")
    report = check_workbook(tmp_path / "typed.xlsx")
    assert report.mismatches == [] and report.unchecked == ["Lesson!AZ7"] and not report.ok
    assert check_workbook(tmp_path / "typed.xlsx", allow_unchecked=True).ok


def test_the_live_sheet_epoch_labels_are_checked(tmp_path: Path) -> None:
    path = build(tmp_path / "live.xlsx", live_epochs=2)
    live = areas(path)["live_descent"]
    book = openpyxl.load_workbook(path)
    label = f"{openpyxl.utils.get_column_letter(live.min_col - 1)}{live.min_row + 25}"  # epoch 2's 6th row
    assert book["Live"][label].value == 2
    book["Live"][label] = 3
    book.save(tmp_path / "labels.xlsx")
    assert [m["message"] for m in check_workbook(tmp_path / "labels.xlsx").mismatches] == [
        f"Live!{label} (the live table's epoch label): got 3.0, want 2.0"
    ]


def test_a_log_that_runs_produced_passes_and_one_edited_row_is_named(tmp_path: Path) -> None:
    path = build(tmp_path / "log.xlsx", live_epochs=0)
    run(path, epochs=3)
    run(path, epochs=2)  # the log continues: epochs 4 and 5 follow from epoch 3
    assert check_workbook(path).ok
    log = areas(path)["epoch_log"]
    book = openpyxl.load_workbook(path)
    book["Lesson"][cell(log, 3, 1)] = book["Lesson"][cell(log, 3, 1)].value + 1e-6  # epoch 4's m
    book.save(tmp_path / "edited.xlsx")
    [problem] = check_workbook(tmp_path / "edited.xlsx").mismatches
    assert problem["message"].startswith(f"epoch_log row {log.min_row + 3} (Lesson!{cell(log, 3)}): the loss ")


@pytest.mark.parametrize("options", [{"learn": 0.001}, {"optimizer": "adam", "learn": 0.1}, {"preset": "seed"}])
def test_legitimate_lessons_and_edits_pass(tmp_path: Path, options: dict[str, object]) -> None:
    path = build(tmp_path / "lesson.xlsx", live_epochs=0, **options)  # type: ignore[arg-type]
    run(path, epochs=2)
    book = openpyxl.load_workbook(path)
    y = areas(path)["descent_y"]
    book["Lesson"][cell(y, 2)] = 55.5  # a sample changed
    learn = areas(path)["learn"]
    book["Lesson"][cell(learn)] = book["Lesson"][cell(learn)].value / 2  # another learn
    book.save(tmp_path / "edited.xlsx")
    report = check_workbook(tmp_path / "edited.xlsx")
    # the log was made with the old learn and samples: only its losses can disagree now
    assert all(m["kind"] == "log" for m in report.mismatches), report.mismatches[:3]
    report = check_workbook(path)
    assert report.ok, report.mismatches[:3]


def test_a_libreoffice_resave_still_passes(ran: Path, tmp_path: Path, need_soffice: str) -> None:
    source = tmp_path / "source.xlsx"
    shutil.copy(ran, source)
    resaved = resave(source, tmp_path / "out")
    report = check_workbook(resaved)
    assert report.ok, (report.mismatches[:3], report.unchecked[:5])


@pytest.mark.parametrize("tamper", DISPLAY_TAMPERINGS, ids=lambda t: t.__name__)
def test_each_display_tampering_is_found_by_the_display_check(ran: Path, tmp_path: Path, tamper: Tampering) -> None:
    """The values and names are untouched: only the format or drawing check can fail, and it
    names the tampered cell first."""
    path = tmp_path / "tampered.xlsx"
    named = tamper(ran, path)
    report = check_workbook(path)
    assert {m["kind"] for m in report.mismatches} in ({"format"}, {"drawing"}), report.mismatches[:3]
    assert report.mismatches[0]["cell"] == named, report.mismatches[:3]
    assert report.unchecked == []


def test_the_format_tamperings_change_what_libreoffice_shows(ran: Path, tmp_path: Path, need_soffice: str) -> None:
    """Each format tampering is real: LibreOffice shows the named cell as other text than the
    untampered lesson (so a check that passed them would pass a workbook showing wrong numbers)."""
    books, named = [tmp_path / "plain.xlsx"], []
    shutil.copy(ran, books[0])
    for tamper in FORMAT_TAMPERINGS:
        books.append(tmp_path / f"{tamper.__name__}.xlsx")
        named.append(tamper(ran, books[-1]).removeprefix("Lesson!"))
    shown = recalculate_many(books, shown=True)
    plain = shown[books[0].resolve()]["Lesson"]
    for book, address in zip(books[1:], named, strict=True):
        got = cell_text(shown[book.resolve()]["Lesson"], address)
        assert got != cell_text(plain, address), (book.name, address, got)


LEGITIMATE = [
    {}, {"preset": "seed"}, {"preset": "logistic", "batch_size": 4}, {"optimizer": "momentum"},
    {"optimizer": "rmsprop", "learn": 0.01}, {"optimizer": "adam", "learn": 0.1, "model": "logistic"},
    {"gradient": "finite-difference", "batch_size": 5},
]  # fmt: skip


@pytest.mark.parametrize("options", LEGITIMATE, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_every_preset_and_model_passes_with_its_own_formats_and_drawings(tmp_path: Path, options: dict) -> None:
    path = build(tmp_path / "lesson.xlsx", live_epochs=2, **options)
    run(path, epochs=1)
    report = check_workbook(path)
    assert report.ok, (report.mismatches[:3], report.unchecked[:3])


def test_libreoffice_resaves_of_other_models_pass(tmp_path: Path, need_soffice: str) -> None:
    """LibreOffice writes its own styles, number formats and drawings: a logistic lesson (its
    accuracy shown as a percentage) and an Adam lesson with a Live sheet still pass."""
    books = [
        build(tmp_path / "logistic.xlsx", preset="logistic", live_epochs=2),
        build(tmp_path / "adam.xlsx", optimizer="adam", learn=0.1, live_epochs=2),
    ]
    for book in books:
        run(book, epochs=2)
    for saved in resave_many(books, tmp_path / "out"):
        report = check_workbook(saved)
        assert report.ok, (saved.name, report.mismatches[:3], report.unchecked[:3])
