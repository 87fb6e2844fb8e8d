"""Inputs that overflow the lesson are refused at build, with one line naming the option:
a workbook whose own formulas overflow can neither pass `check` nor run an epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gdsheet.cli import main
from gdsheet.commands.build import make_lesson, overflow
from gdsheet.reference.oracle import lesson_values

DESCENT = "makes the lesson overflow (the values named descent would not be finite)"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--m-start", "1e300"], f"--m-start 1e+300 {DESCENT}"),
        (["--b-start=-1e200"], f"--b-start -1e+200 {DESCENT}"),
        (["--learn", "1e300"], f"--learn 1e+300 {DESCENT}"),
        (["--m-start", "2", "--learn", "1e300"], f"--learn 1e+300 {DESCENT}"),  # only the culprit is named
    ],
)
def test_overflowing_options_are_refused_in_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    out = tmp_path / "lesson.xlsx"
    assert main(["build", str(out), *options]) == 2
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == f"gdsheet: error: {message}\n"  # no numpy warning either
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_overflowing_samples_name_the_csv(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "huge.csv"
    data.write_text("x,y\n1,2\n1e200,3\n", encoding="utf-8")
    assert main(["build", str(tmp_path / "lesson.xlsx"), "--data", str(data)]) == 2
    # the data block holds the CSV's samples, so the guess's squared errors overflow first
    overflowing = DESCENT.replace("named descent", "named guess_err_sq")
    assert capfd.readouterr().err == (f"gdsheet: error: --data {data} {overflowing}\n")


def test_large_but_finite_inputs_still_build(tmp_path: Path) -> None:
    lesson = make_lesson(m_start=1e100, live_epochs=0)
    assert overflow(lesson) is None
    values = [getattr(v, "rows", v) for v in vars(lesson_values(lesson)).values() if not isinstance(v, dict | None)]
    assert all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in values if np.size(v))
    assert main(["build", str(tmp_path / "lesson.xlsx"), "--m-start", "1e100", "--live-epochs", "0"]) == 0
    assert main(["check", str(tmp_path / "lesson.xlsx")]) == 0
