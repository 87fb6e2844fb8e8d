"""The logistic lesson's workbook: every formula cell, recalculated by LibreOffice (a forced full
recalculation) and by the compiled engine, equals the numpy reference, for every optimizer, over
10 live epochs and after 10 `run` epochs; the `formulas` engine on one small workbook; `check`
catches a tampered cell in each of the model's columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.commands.build import build
from gdsheet.commands.check import check_workbook, expected_by_name
from gdsheet.commands.lesson_reader import lesson_from_workbook
from gdsheet.commands.run import reset, run
from gdsheet.engine.evaluator import Evaluator, defined_areas
from gdsheet.lesson.optimizers import OPTIMIZERS
from gdsheet.reference.oracle import run_epochs
from tests.support.books import tampered
from tests.support.libreoffice import assert_equals_reference, recalculate_many

LIVE = 10
RUN = 10


@pytest.fixture(scope="module")
def lessons(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Per optimizer: the built lesson (``sgd``) and a copy after 10 run epochs (``sgd-run``)."""
    out = tmp_path_factory.mktemp("logistic")
    books = {}
    for optimizer in OPTIMIZERS:
        learn = 0.1 if optimizer in ("sgd", "momentum") else 0.05
        books[optimizer] = build(out / f"{optimizer}.xlsx", "logistic", optimizer=optimizer, learn=learn,
                                 live_epochs=LIVE)  # fmt: skip
        ran = build(out / f"{optimizer}-run.xlsx", "logistic", optimizer=optimizer, learn=learn, live_epochs=LIVE)
        run(ran, RUN)
        books[f"{optimizer}-run"] = ran
    return books


@pytest.mark.libreoffice
def test_libreoffice_values_equal_the_reference(need_soffice: str, lessons: dict[str, Path]) -> None:
    recalculated = recalculate_many(list(lessons.values()), shown=False)
    names = {"descent", "live_descent", "live_log", "accuracy", "rmse", "grid", "fit_line"}
    for key, path in lessons.items():
        assert names <= expected_by_name(Evaluator(path)).keys(), key
        assert_equals_reference(path, recalculated[path.resolve()])


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_compiled_engine_agrees_and_run_follows_the_reference(lessons: dict[str, Path], optimizer: str) -> None:
    for path in (lessons[optimizer], lessons[f"{optimizer}-run"]):
        report = check_workbook(path)
        assert report.ok and report.cells > 1000, report.mismatches[:3]
    built = lesson_from_workbook(Evaluator(lessons[optimizer]))
    want = run_epochs(built, RUN)
    log = openpyxl.load_workbook(lessons[f"{optimizer}-run"], data_only=True)
    area = defined_areas(log)["epoch_log"]
    sheet = log[area.sheet]
    header = [sheet.cell(area.min_row - 1, c).value for c in range(area.min_col, area.min_col + 5)]
    assert header == ["epoch", "w1", "b", "log_loss", "accuracy"]
    rows = [
        [sheet.cell(r, c).value for c in range(area.min_col, area.min_col + 5)]
        for r in range(area.min_row, area.min_row + RUN)
    ]
    got = np.array(rows, dtype=float)
    np.testing.assert_allclose(got[:, 0], [r.epoch for r in want])
    np.testing.assert_allclose(got[:, 1:3], [[r.w1, r.b] for r in want], rtol=1e-9)
    np.testing.assert_allclose(got[:, 3], [r.rmse for r in want], rtol=1e-9)
    np.testing.assert_allclose(got[:, 4], [r.accuracy for r in want], rtol=1e-9)
    assert got[-1, 3] < got[0, 3]  # the log loss falls


def test_the_formulas_engine_agrees_on_a_small_lesson(tmp_path: Path) -> None:
    data = tmp_path / "small.csv"
    data.write_text("x1,y\n0.5,0\n1.5,0\n2,1\n2.5,0\n3.5,1\n4,1\n", encoding="utf-8")
    path = build(tmp_path / "small.xlsx", "logistic", data=data, optimizer="adam", learn=0.1, live_epochs=LIVE)
    report = check_workbook(path, engine="formulas")
    assert report.ok and report.cells > 500, report.mismatches[:3]


def test_reset_puts_the_start_back(tmp_path: Path) -> None:
    path = build(tmp_path / "r.xlsx", "logistic", optimizer="adam", learn=0.1)
    first = run(path, 3)
    reset(path)
    assert run(path, 3) == first
    assert check_workbook(path).ok


def _column_cell(ev: Evaluator, area_name: str, column: int, row: int = 2) -> str:
    area = ev.area(area_name)
    return f"{openpyxl.utils.get_column_letter(area.min_col + column)}{area.min_row + row}"


def test_check_catches_a_tampered_cell_in_each_new_column(lessons: dict[str, Path], tmp_path: Path) -> None:
    path = lessons["adam"]
    ev = Evaluator(path)
    lesson = lesson_from_workbook(ev)
    book = openpyxl.load_workbook(path)
    targets = [("Lesson", "descent", lesson.columns.index(name)) for name in
               ("y_pred", "error_sq", "err_w11", "err_b1", "de/dw1", "de/db", "new_w1", "new_b")]  # fmt: skip
    targets += [("Lesson", "descent_estimates", i) for i in range(2)]
    targets += [("Live", "live_descent", lesson.columns.index(name)) for name in ("y_pred", "de/dw1", "new_b")]
    targets += [("Live", "live_log", 3), ("Live", "live_log", 4), ("Lesson", "fit_line", 1), ("Lesson", "grid", 0)]
    targets += [("Lesson", "accuracy", 0), ("Lesson", "rmse", 0), ("Lesson", "guess_err_sq", 0)]
    for sheet, name, column in targets:
        row = 0 if ev.area(name).shape[0] == 1 else 2
        cell = _column_cell(ev, name, column, row)
        formula = book[sheet][cell].value
        assert isinstance(formula, str) and formula.startswith("="), (name, cell, formula)
        report = check_workbook(tampered(path, tmp_path, {cell: f"=({formula[1:]})*1.000001"}, sheet))
        assert not report.ok and report.mismatches[0]["cell"] == f"{sheet}!{cell}", (name, cell, formula)
