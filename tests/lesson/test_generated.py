"""Generated samples (--samples, --noise, --seed): reproducible, on the line plus numpy's noise,
and carried through build, run and check like any other samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.cli import main
from gdsheet.commands.build import build, make_lesson
from gdsheet.commands.check import check_workbook
from gdsheet.commands.run import run
from gdsheet.engine.evaluator import defined_areas
from gdsheet.errors import GdsheetError
from gdsheet.reference.oracle import run_epochs


def test_samples_lie_on_the_line_evenly_spaced() -> None:
    lesson = make_lesson(samples=44)
    assert lesson.descent_y is None  # no noise: y is the line's formula in the workbook
    np.testing.assert_allclose(lesson.descent_x, np.round(np.linspace(7, 50, 44), 2))


def test_noise_is_numpy_default_rng_and_reproducible() -> None:
    lesson = make_lesson(samples=30, noise=2.5, seed=11)
    x = np.asarray(lesson.descent_x)
    want = 2 * x + 30 + np.random.default_rng(11).normal(0, 2.5, 30)
    np.testing.assert_array_equal(lesson.descent_y, want)
    assert make_lesson(samples=30, noise=2.5, seed=11) == lesson
    assert make_lesson(samples=30, noise=2.5, seed=12).descent_y != lesson.descent_y
    assert make_lesson(samples=30, noise=2.5).descent_y == make_lesson(samples=30, noise=2.5, seed=0).descent_y


def test_noise_on_csv_samples_keeps_their_x(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("x,y\n1,2\n3,4\n5,7\n", encoding="utf-8")
    lesson = make_lesson(data=data, noise=0.5, seed=3)
    assert lesson.descent_x == (1, 3, 5)
    np.testing.assert_array_equal(lesson.descent_y, np.array([2, 4, 7]) + np.random.default_rng(3).normal(0, 0.5, 3))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"samples": 5, "data": "x.csv"}, "give one of the two"),
        ({"seed": 3}, "give --noise"),
        ({"samples": 0}, "samples must be a whole number from 1"),
        ({"samples": 5, "noise": -1.0}, "noise must be a finite number >= 0"),
        ({"samples": 5, "noise": 1.0, "seed": -2}, "seed must be a whole number >= 0"),
    ],
)
def test_bad_generated_options_are_one_line(options: dict[str, object], message: str) -> None:
    with pytest.raises(GdsheetError, match=message):
        make_lesson(**options)


def test_generated_data_flow_through_build_run_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "noisy.xlsx"
    args = ["--samples", "40", "--noise", "3", "--seed", "5", "--optimizer", "momentum", "--learn", "0.00001"]
    assert main(["build", str(path), *args, "--live-epochs", "3"]) == 0
    lesson = make_lesson(samples=40, noise=3.0, seed=5, optimizer="momentum", learn=0.00001, live_epochs=3)
    book = openpyxl.load_workbook(path)
    area = defined_areas(book)["descent_y"]
    stored = [book["Lesson"].cell(r, area.min_col).value for r in range(area.min_row, area.max_row + 1)]
    np.testing.assert_allclose(stored, lesson.descent_y, rtol=1e-15)  # openpyxl writes 17 significant digits
    report = check_workbook(path)
    assert report.ok and report.unchecked == []
    records = run(path, epochs=2)
    for got, want in zip(records, run_epochs(lesson, 2), strict=True):
        assert got["loss"] == pytest.approx(want.rmse, rel=1e-9)
    assert check_workbook(path).ok


def test_build_api_takes_the_generated_options(tmp_path: Path) -> None:
    path = build(tmp_path / "g.xlsx", samples=7, live_epochs=0)
    assert defined_areas(openpyxl.load_workbook(path))["descent_x"].shape == (7, 1)
