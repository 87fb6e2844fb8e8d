"""`check` verifies what an application shows: each tampering of issue 16's battery (cached
values, names moved, deleted, added, shadowed, duplicated or made unions, a typed epoch log,
functions the engine cannot vouch for) fails with exit 1 naming the cell or the name, and
legitimate edits (another learn, a changed sample, a LibreOffice re-save) still pass."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.workbook.defined_name import DefinedName

from gdsheet.cli import main
from gdsheet.commands.build import build
from gdsheet.commands.check import check_workbook
from gdsheet.commands.lesson_reader import lesson_from_workbook
from gdsheet.commands.run import run
from gdsheet.engine.book import read_book
from gdsheet.engine.evaluator import Evaluator
from gdsheet.reference.oracle import lesson_epoch, lesson_values, model_accuracy, model_loss
from tests.support.libreoffice import cell_text, recalculate_many, render_pdf, resave, resave_many
from tests.support.tamper import (
    DISPLAY_TAMPERINGS,
    FORMAT_TAMPERINGS,
    HIDDEN_TAMPERINGS,
    TAMPERINGS,
    Tampering,
    areas,
    cell,
    conditional_literal,
    hidden_row,
    hidden_sheet,
    rewrite_member,
    x14_conditional_format,
)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lesson after one epoch: its formulas hold cached values, its log one row."""
    path = build(tmp_path_factory.mktemp("ran") / "lesson.xlsx", live_epochs=0)
    run(path, epochs=1)
    return path


def test_the_run_lesson_passes_with_its_caches_and_log(ran: Path) -> None:
    report = check_workbook(ran)
    assert report.ok and report.unchecked == [] and report.cells == 386


@pytest.mark.parametrize("tamper", TAMPERINGS + DISPLAY_TAMPERINGS + HIDDEN_TAMPERINGS, ids=lambda t: t.__name__)
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


def test_the_conditional_format_tamperings_change_what_libreoffice_prints(
    ran: Path, tmp_path: Path, need_soffice: str
) -> None:
    """LibreOffice's CSV export ignores conditional formats, but its rendering applies them: the
    printed rmse beside "RMSE" on the controls' row is another text than the untampered lesson's."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    books = [tmp_path / "plain.xlsx"]
    shutil.copy(ran, books[0])
    for tamper in (conditional_literal, x14_conditional_format):
        books.append(tmp_path / f"{tamper.__name__}.xlsx")
        assert tamper(ran, books[-1]) == f"Lesson!{cell(areas(ran)['rmse'])}"

    def printed_rmse(pdf: Path) -> str:
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
        [line] = [line for line in text.stdout.splitlines() if line.startswith("epochs") and "RMSE" in line]
        return line.split("RMSE")[1].split()[0]

    plain, *tampered = (printed_rmse(pdf) for pdf in render_pdf(books, tmp_path / "pdf"))
    want = lesson_values(lesson_from_workbook(Evaluator(ran))).rmse
    assert plain == f"{want:.2f}" and tampered[0] == "12.50", (plain, want, tampered)
    assert tampered[1] != plain  # LibreOffice drops the cell's own format under an Excel 2010 rule


LEGITIMATE = [
    {}, {"preset": "seed"}, {"preset": "logistic", "batch_size": 4}, {"optimizer": "momentum"},
    {"optimizer": "rmsprop", "learn": 0.01}, {"optimizer": "adam", "learn": 0.1, "model": "logistic"},
    {"gradient": "finite-difference", "batch_size": 5}, {"model": "linear", "samples": 12, "features": 3},
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


LOG_LESSONS = [
    {"optimizer": "sgd"}, {"optimizer": "momentum"}, {"optimizer": "rmsprop", "learn": 0.01},
    {"optimizer": "adam", "learn": 0.1}, {"optimizer": "momentum", "batch_size": 4},
    {"preset": "logistic", "optimizer": "adam", "learn": 0.05, "batch_size": 3},
    {"preset": "logistic", "gradient": "finite-difference"},
    {"model": "linear", "samples": 12, "features": 3, "optimizer": "momentum", "learn": 1e-4},
]  # fmt: skip


def _log_row(path: Path, row: int) -> dict[str, float]:
    """The log's row ``row`` (0-based) as {parameter: value}, read back with openpyxl."""
    book = openpyxl.load_workbook(path)
    log = areas(path)["epoch_log"]
    lesson = lesson_from_workbook(Evaluator(path))
    return {p: book["Lesson"][cell(log, row, 1 + i)].value for i, p in enumerate(lesson.params)}


def _write_log_row(path: Path, target: Path, row: int, params: dict[str, float]) -> None:
    """Row ``row`` of the log set to ``params``, its loss (and accuracy) the reference's at them:
    only the epoch-to-epoch rule can tell it from a row a run wrote."""
    lesson = lesson_from_workbook(Evaluator(path))
    x, y = lesson.x_columns, lesson.samples_y
    values = [*params.values(), model_loss(lesson.model_key, params, x, y, lesson.loss)]
    if (accuracy := model_accuracy(lesson.model_key, params, x, y)) is not None:
        values.append(accuracy)
    book = openpyxl.load_workbook(path)
    log = areas(path)["epoch_log"]
    for i, value in enumerate(values):
        book["Lesson"][cell(log, row, 1 + i)] = value
    book.save(target)


@pytest.mark.parametrize("options", LOG_LESSONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_every_optimizer_and_model_log_is_replayed_and_a_row_off_the_rule_is_named(
    tmp_path: Path, options: dict[str, object]
) -> None:
    path = build(tmp_path / "log.xlsx", live_epochs=0, **options)  # type: ignore[arg-type]
    run(path, epochs=3)
    run(path, epochs=2)  # the state rides on from epoch 3 (the start cells) into epoch 4
    report = check_workbook(path)
    assert report.ok and report.unchecked == [], (report.mismatches[:3], report.unchecked)
    lesson = lesson_from_workbook(Evaluator(path))
    log = areas(path)["epoch_log"]
    # epoch 4 as one epoch from epoch 3 with the optimizer state zeroed (what a log that forgot
    # the state would hold): right for SGD, wrong for every optimizer with state
    table, _ = lesson_epoch(lesson, _log_row(path, 2), {name: 0.0 for name in lesson.state})
    forged = {p: table.last(f"new_{p}") * (1 if lesson.state else 1 + 1e-6) for p in lesson.params}
    _write_log_row(path, tmp_path / "forged.xlsx", 3, forged)
    [problem] = check_workbook(tmp_path / "forged.xlsx").mismatches
    assert problem["message"].startswith(f"epoch_log row {log.min_row + 3} (Lesson!{cell(log, 3)}): "), problem
    assert "do not follow from the row above by one epoch of the lesson's rule" in problem["message"]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_log_whose_start_is_unknown_is_reported_not_passed(tmp_path: Path, optimizer: str) -> None:
    """m_start edited before the first run: the first row does not follow from the reset values.
    For SGD that row cannot be verified (the rest follow from it); for Adam, whose state the log
    does not record, no row can: they are listed as unchecked, and fail unless allowed."""
    path = build(tmp_path / "log.xlsx", live_epochs=0, optimizer=optimizer, learn=0.1 if optimizer == "adam" else 1e-4)
    book = openpyxl.load_workbook(path)
    start = areas(path)["m_start"]
    book["Lesson"][cell(start)] = book["Lesson"][cell(start)].value + 0.5
    book.save(path)
    run(path, epochs=3)
    log = areas(path)["epoch_log"]
    report = check_workbook(path)
    rows = [f"Lesson!{cell(log, k)}:{cell(log, k, log.shape[1] - 1)}" for k in range(3 if optimizer == "adam" else 1)]
    assert report.mismatches == [] and report.unchecked == rows and not report.ok
    assert check_workbook(path, allow_unchecked=True).ok


def test_a_typed_one_row_log_is_not_passed(tmp_path: Path) -> None:
    """One typed row whose loss is right at its m and b: it follows from no start a run had."""
    path = build(tmp_path / "log.xlsx", live_epochs=0)
    run(path, epochs=1)
    _write_log_row(path, tmp_path / "typed.xlsx", 0, {"m": 2.0, "b": 30.0})
    report = check_workbook(tmp_path / "typed.xlsx")
    log = areas(path)["epoch_log"]
    assert report.mismatches == [] and report.unchecked == [f"Lesson!{cell(log)}:{cell(log, 0, 3)}"]


def test_the_hiding_tamperings_hide_the_number_in_libreoffices_rendering(
    ran: Path, tmp_path: Path, need_soffice: str
) -> None:
    """A hidden row and a hidden Lesson sheet are real: LibreOffice's printed pages show rmse
    beside "RMSE" on the controls' row for the untampered lesson, and not for these. (A row 0
    points high, which Excel draws 0 high, LibreOffice draws at the default height.)"""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    books = [tmp_path / "plain.xlsx"]
    shutil.copy(ran, books[0])
    for tamper in (hidden_row, hidden_sheet("hidden")):
        books.append(tmp_path / f"{tamper.__name__}.xlsx")
        tamper(ran, books[-1])

    def printed_rmse(pdf: Path) -> list[str]:
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
        return [line.split("RMSE")[1].split()[0] for line in text.stdout.splitlines()
                if line.startswith("epochs") and "RMSE" in line]  # fmt: skip

    plain, *hidden = (printed_rmse(pdf) for pdf in render_pdf(books, tmp_path / "pdf"))
    want = lesson_values(lesson_from_workbook(Evaluator(ran))).rmse
    assert plain == [f"{want:.2f}"] and hidden == [[], []], (plain, hidden)


@pytest.mark.parametrize("options", [{}, {"optimizer": "momentum"}, {"schedule": "step", "step_epochs": 2}],
                         ids=["sgd", "momentum", "step-schedule"])  # fmt: skip
def test_the_record_columns_are_replayed_and_a_forged_one_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: dict[str, object]
) -> None:
    """`run --record CELL` adds log columns: each row's value is CELL at the row's state (its
    parameters, the replayed optimizer state, the next epoch), so an edited one is named. A later
    run that records fewer cells leaves their cells empty, and still passes."""
    path = build(tmp_path / "log.xlsx", live_epochs=0, **options)  # type: ignore[arg-type]
    run(path, epochs=3, record=["next_m", "rate" if options.get("schedule") else "Lesson!J74"])
    run(path, epochs=2, record=["next_m"])
    assert check_workbook(path).ok, check_workbook(path).mismatches[:3]
    log = areas(path)["epoch_log"]
    book = openpyxl.load_workbook(path)
    ws = book["Lesson"]
    columns = {ws[cell(log, -1, k)].value: k for k in range(log.shape[1])}
    assert set(columns) >= {"epoch", "next_m"}, columns
    for k, column in ((1, columns["next_m"]), (2, log.shape[1] - 1)):  # next_m of epoch 2, the second column's epoch 3
        edited = openpyxl.load_workbook(path)
        target = edited["Lesson"][cell(log, k, column)]
        target.value = target.value * (1 + 1e-6) + 1e-9
        edited.save(tmp_path / "forged.xlsx")
        assert main(["check", str(tmp_path / "forged.xlsx")]) == 1
        out = capsys.readouterr().out
        assert f"epoch_log row {log.min_row + k} (Lesson!{cell(log, k, column)}): the recorded " in out, out


def _with_chart_sheet_first(source: Path, target: Path, local: str | None = None) -> None:
    """``source`` with a chart sheet before the Lesson sheet (so ``localSheetId``, which counts
    every sheet, is 1 for Lesson), and ``local`` defined as a sheet-level name on Lesson.
    openpyxl numbers sheet-level names by worksheet (0 for Lesson, which is the chart sheet's
    number), so the ids are set by hand, as Excel writes them."""
    book = openpyxl.load_workbook(source)
    chart = BarChart()
    chart.add_data(Reference(book["Lesson"], min_col=4, min_row=9, max_row=13))
    book.create_chartsheet("Chart", 0).add_chart(chart)
    if local is not None:
        book["Lesson"]["AZ300"] = 0.5
        book["Lesson"].defined_names[local] = DefinedName(local, attr_text="Lesson!$AZ$300")
    book.save(target.with_suffix(".tmp.xlsx"))
    rewrite_member(target.with_suffix(".tmp.xlsx"), target, "xl/workbook.xml",
                   lambda text: text.replace('localSheetId="0"', 'localSheetId="1"'))  # fmt: skip


def test_a_chart_sheet_before_the_lesson_keeps_sheet_level_names_on_their_sheet(ran: Path, tmp_path: Path) -> None:
    """localSheetId counts chart sheets too: with a chart sheet first, a sheet-level ``learn`` on
    Lesson (localSheetId 1) is Lesson's, named as such, and a lesson with the chart sheet alone passes."""
    _with_chart_sheet_first(ran, tmp_path / "chart.xlsx")
    report = check_workbook(tmp_path / "chart.xlsx")
    assert report.ok, (report.mismatches[:3], report.unchecked[:3])
    _with_chart_sheet_first(ran, tmp_path / "local.xlsx", "learn")
    with zipfile.ZipFile(tmp_path / "local.xlsx") as zin:
        assert '<definedName name="learn" localSheetId="1">' in zin.read("xl/workbook.xml").decode()
    messages = [m["message"] for m in check_workbook(tmp_path / "local.xlsx").mismatches]
    assert any("a sheet-level name 'learn' on sheet Lesson shadows" in message for message in messages), messages[:3]
    book = read_book(tmp_path / "local.xlsx")
    assert [sheet.name for sheet in book.sheets] == ["Lesson"]  # the worksheets; the chart sheet has no cells
    assert book.name_text("learn", 0) == "Lesson!$AZ$300"  # Lesson's formulas read its own learn, as Excel does
    assert book.name_text("learn", None) != "Lesson!$AZ$300"
