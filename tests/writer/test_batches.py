"""Mini-batches (``--batch-size B``): every row of a batch reads the batch's starting parameters,
the parameters and the optimizer state (Adam's t included) change once per batch by the mean of
its slopes, B = N is full-batch gradient descent; LibreOffice and the compiled engine agree with
the reference on every cell over 10 live and 10 run epochs, for every optimizer and model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.commands.build import build, make_lesson
from gdsheet.commands.check import check_workbook, expected_by_name
from gdsheet.commands.run import run
from gdsheet.engine.evaluator import Evaluator
from gdsheet.lesson.optimizers import OPTIMIZERS
from gdsheet.reference.oracle import lesson_epoch
from tests.support.cli_inprocess import run_cli
from tests.support.libreoffice import area_text, recalculate_many

N = 20  # the logistic preset's samples


def _book(out: Path, model: str, optimizer: str, size: int) -> Path:
    preset = "logistic" if model == "logistic" else "corrected"
    learn = {"sgd": 0.1, "momentum": 0.05, "rmsprop": 0.05, "adam": 0.1}[optimizer]
    if model == "line":
        learn = {"sgd": 0.0001, "momentum": 0.0001, "rmsprop": 0.5, "adam": 0.5}[optimizer]
    return build(out / f"{model}-{optimizer}-{size}.xlsx", preset, optimizer=optimizer, learn=learn,
                 batch_size=size, live_epochs=10)  # fmt: skip


@pytest.fixture(scope="module")
def batch_books(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, int], Path]:
    """logistic × every optimizer × B in (1, 3, N), and the line × every optimizer at B = 3; each run 10 epochs."""
    out = tmp_path_factory.mktemp("batches")
    keys = [("logistic", o, b) for o in OPTIMIZERS for b in (1, 3, N)] + [("line", o, 3) for o in OPTIMIZERS]
    books = {key: _book(out, *key) for key in keys}
    for path in books.values():
        run(path, 10)
    return books


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_compiled_engine_agrees_for_every_batch_size(batch_books: dict, optimizer: str) -> None:
    for (model, opt, size), path in batch_books.items():
        if opt == optimizer:
            report = check_workbook(path)
            assert report.ok and report.cells > 1000, (model, size, report.mismatches[:2])


@pytest.mark.libreoffice
def test_libreoffice_agrees_for_batches(need_soffice: str, batch_books: dict) -> None:
    chosen = [path for (model, opt, size), path in batch_books.items() if size != 1]
    recalculated = recalculate_many(chosen, shown=False)
    for path in chosen:
        ev = Evaluator(path)
        sheets = recalculated[path.resolve()]
        for name, want in expected_by_name(ev).items():
            area = ev.area(name)
            text = area_text(sheets[area.sheet], area)
            got = np.array([[float(v[:-1]) / 100 if v.endswith("%") else float(v) if v else np.nan for v in row]
                            for row in text])  # fmt: skip
            want = np.reshape(want, area.shape)
            filled = ~np.isnan(got)
            assert filled.all() or name == "live_descent", (path.name, name)
            np.testing.assert_allclose(got[filled], want[filled], rtol=1e-9, atol=1e-12, err_msg=f"{path.name} {name}")


def test_full_batch_is_gradient_descent_on_the_mean_slope() -> None:
    lesson = make_lesson(model="logistic", batch_size=N, learn=0.3)
    table, _ = lesson_epoch(lesson, {"w1": 0.2, "b": -0.1}, {})
    x, y = np.array(lesson.descent_x), np.array(lesson.descent_y)
    p = 1 / (1 + np.exp(-(0.2 * x - 0.1)))
    assert np.all(table.column("w1") == 0.2) and np.all(table.column("b") == -0.1)
    assert np.all(table.column("new_w1")[:-1] == 0.2)  # no update before the batch's last row
    assert table.last("new_w1") == pytest.approx(0.2 - 0.3 * np.mean((p - y) * x), rel=1e-13)
    assert table.last("new_b") == pytest.approx(-0.1 - 0.3 * np.mean(p - y), rel=1e-13)


def test_adam_steps_once_per_batch_and_the_last_batch_may_be_smaller() -> None:
    lesson = make_lesson(model="logistic", optimizer="adam", batch_size=3, learn=0.1)
    table, state = lesson_epoch(lesson, lesson.values_of("start"), {})
    t = table.column("t")
    assert list(t) == [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 7]  # 20 = 6 batches of 3 and one of 2
    assert state["t"] == 7
    starts = table.column("w1")
    assert np.all(starts[18:] == starts[18]) and starts[18] != starts[17]


def test_the_table_marks_where_each_batch_ends(batch_books: dict) -> None:
    path = batch_books[("logistic", "sgd", 3)]
    ev = Evaluator(path)
    area = ev.area("descent")
    sheet = openpyxl.load_workbook(path)[area.sheet]
    ruled = [r - area.min_row for r in range(area.min_row, area.max_row + 1)
             if sheet.cell(r, area.min_col).border.bottom.style is not None]  # fmt: skip
    assert ruled == [2, 5, 8, 11, 14, 17, 19]
    assert ev.numbers("batch_size") == (3.0,)


def test_a_batch_size_of_0_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    for size in ("0", "21"):
        result = run_cli("build", str(tmp_path / "t.xlsx"), "--model", "logistic", "--batch-size", size)
        assert result.returncode == 2
        assert (
            result.stderr.strip()
            == f"gdsheet: error: batch_size must be a whole number from 1 to 20 (the samples), got {size}"
        )
        assert not (tmp_path / "t.xlsx").exists()
