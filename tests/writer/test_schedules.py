"""Learning-rate schedules (``--schedule constant|step|cosine``): each epoch e plays its own rate,
on the Live sheet (one rate per unrolled epoch) and in `gdsheet run` (which advances the named
epoch cell; `reset` restores it). LibreOffice (a forced full recalculation) and both engines
agree with the numpy reference on every formula cell over 10 live and 10 run epochs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.commands.build import build, make_lesson
from gdsheet.commands.check import check_workbook
from gdsheet.commands.run import reset, run
from gdsheet.engine.evaluator import Evaluator
from gdsheet.reference.oracle import run_epochs
from gdsheet.reference.schedules import rate
from tests.support.cli_inprocess import run_cli
from tests.support.libreoffice import assert_equals_reference, recalculate_many, reference_mismatches

CASES = {
    "step-sgd": {"schedule": "step", "decay": 0.5, "step_epochs": 3, "learn": 0.0003},
    "cosine-adam": {"schedule": "cosine", "optimizer": "adam", "learn": 0.5},
    "step-momentum-batch": {
        "schedule": "step",
        "decay": 0.7,
        "step_epochs": 2,
        "optimizer": "momentum",
        "learn": 0.0002,
        "batch_size": 3,
    },
    "cosine-logistic": {"model": "logistic", "schedule": "cosine", "optimizer": "rmsprop", "learn": 0.05},
}
SMALL = {"samples": 5}
"""The `formulas` engine's books: few samples, since it interprets every cell."""


def _build(out: Path, key: str, **extra: object) -> Path:
    return build(out / f"{key}.xlsx", live_epochs=10, **CASES[key], **extra)


@pytest.fixture(scope="module")
def run_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[dict]]]:
    """Each case built with 10 live epochs and run 10 epochs (so the Live sheet shows epochs 11-20)."""
    out = tmp_path_factory.mktemp("schedules")
    books = {}
    for key in CASES:
        path = _build(out, key)
        books[key] = (path, run(path, 10))
    return books


def test_the_reference_rates_are_the_schedules_definitions() -> None:
    step = make_lesson(schedule="step", decay=0.5, step_epochs=3, learn=0.4)
    assert [rate(step, e) for e in range(1, 8)] == [0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1]
    cosine = make_lesson(schedule="cosine", live_epochs=10, learn=0.4)
    assert rate(cosine, 1) == 0.4 and rate(cosine, 6) == pytest.approx(0.2, rel=1e-15)
    assert rate(cosine, 11) == pytest.approx(0.0, abs=1e-16)
    assert cosine.cosine_span == 10 and make_lesson(schedule="cosine", live_epochs=0).cosine_span == 10  # epochs
    constant = make_lesson(learn=0.4)
    assert {rate(constant, e) for e in range(1, 30)} == {0.4}


@pytest.mark.parametrize("key", CASES)
def test_run_plays_each_epoch_at_its_rate_and_check_agrees(run_books: dict, key: str) -> None:
    path, records = run_books[key]
    want = run_epochs(make_lesson(live_epochs=10, **CASES[key]), 10)
    for record, reference in zip(records, want, strict=True):
        assert record["epoch"] == reference.epoch
        for p, value in reference.params.items():
            assert math.isclose(record[p], value, rel_tol=1e-9), (key, record, reference)
    ev = Evaluator(path)
    assert ev.numbers("epoch_start") == (11.0,)  # the run advanced the epoch cell
    report = check_workbook(path)  # the compiled engine: every derived cell, the log, the caches
    assert report.ok, report.mismatches[:3]
    assert report.cells > 1000 and not report.unchecked


def test_the_schedule_changes_the_run() -> None:
    """The rates matter: the same lesson without its schedule ends elsewhere after 10 epochs."""
    scheduled = run_epochs(make_lesson(**CASES["step-sgd"]), 10)[-1]
    constant = run_epochs(make_lesson(learn=CASES["step-sgd"]["learn"]), 10)[-1]
    assert abs(scheduled.params["m"] - constant.params["m"]) > 1e-4


def test_the_formulas_engine_agrees_over_live_and_run_epochs(tmp_path: Path) -> None:
    for key in ("step-momentum-batch", "cosine-adam"):
        path = _build(tmp_path, key, **SMALL)
        records = run(path, 10, engine="formulas")
        want = run_epochs(make_lesson(live_epochs=10, **CASES[key], **SMALL), 10)
        for record, reference in zip(records, want, strict=True):
            assert all(math.isclose(record[p], v, rel_tol=1e-9) for p, v in reference.params.items()), key
        report = check_workbook(path, engine="formulas")
        assert report.ok, (key, report.mismatches[:3])
        assert report.cells > 500


def test_reset_restores_the_epoch_and_its_rate(run_books: dict, tmp_path: Path) -> None:
    path, _ = run_books["step-sgd"]
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(path.read_bytes())
    ev = Evaluator(copy)
    assert ev.values({}, ["rate"])["rate"][0, 0] == pytest.approx(0.0003 * 0.5**3, rel=1e-15)  # epoch 11
    reset(copy)
    ev = Evaluator(copy)
    assert ev.numbers("epoch_start") == (1.0,)
    assert ev.values({}, ["rate"])["rate"][0, 0] == 0.0003
    assert check_workbook(copy).ok


@pytest.mark.libreoffice
def test_libreoffice_agrees_on_every_formula_cell(need_soffice: str, run_books: dict, tmp_path: Path) -> None:
    """Every formula of each run workbook, and two tampered copies (a rate of the Live sheet, the
    Lesson sheet's rate), recalculated by LibreOffice in one start."""
    path = run_books["step-sgd"][0]
    ev = Evaluator(path)
    live_rate, lesson_rate = ev.area("live_rate"), ev.area("rate")
    tampered = {}
    for name, area, row, formula in (("live", live_rate, 4, "=learn"), ("lesson", lesson_rate, 0, "=learn*0.9")):
        book = openpyxl.load_workbook(path)
        book[area.sheet].cell(area.min_row + row, area.min_col).value = formula
        tampered[name] = tmp_path / f"tampered-{name}.xlsx"
        book.save(tampered[name])
    books = [p for p, _ in run_books.values()]
    recalculated = recalculate_many([*books, *tampered.values()], shown=False)
    for book in books:
        assert len(assert_equals_reference(book, recalculated[book.resolve()])) > 1000
    for name, copy in tampered.items():
        _, mismatches = reference_mismatches(copy, recalculated[copy.resolve()])
        assert mismatches, name  # the comparison can fail
        assert not check_workbook(copy).ok, name


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--schedule", "step", "--decay", "-0.5"), "--decay must be > 0"),
        (("--schedule", "step", "--step-epochs", "0"), "--step-epochs must be a whole number >= 1"),
        (("--decay", "0.5"), "--decay: only the step schedule uses it"),
        (("--schedule", "cosine", "--step-epochs", "2"), "--step-epochs: only the step schedule uses it"),
    ],
)
def test_bad_schedule_options_are_one_line(tmp_path: Path, options: tuple[str, ...], message: str) -> None:
    out = tmp_path / "t.xlsx"
    result = run_cli("build", str(out), *options)
    assert result.returncode == 2
    assert result.stderr.startswith(f"gdsheet: error: {message}") and result.stderr.count("\n") == 1
    assert not out.exists()


def test_a_constant_schedule_writes_no_schedule_names(tmp_path: Path) -> None:
    ev = Evaluator(build(tmp_path / "c.xlsx", live_epochs=2))
    assert not {"schedule", "rate", "epoch_start", "live_rate"} & set(ev.names)


def test_the_live_rates_follow_the_schedule(run_books: dict) -> None:
    path, _ = run_books["cosine-adam"]
    values = Evaluator(path).values({}, ["live_rate"])["live_rate"].astype(float).ravel()
    lesson = make_lesson(live_epochs=10, **CASES["cosine-adam"])
    np.testing.assert_allclose(values, [rate(lesson, 11 + k) for k in range(10)], rtol=1e-12)
