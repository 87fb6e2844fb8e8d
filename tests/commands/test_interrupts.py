"""Long runs keep their work: SIGINT and SIGTERM save the finished epochs and say how many
(exit 130 and 143), a run checkpoints every CHECKPOINT_SECONDS, and SIGKILL at any moment
leaves a workbook that opens and passes `check`. Signals need a real process, so these tests
start one; the checkpoint interval is set small inside it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import gdsheet.commands.run as runner
from gdsheet.commands.build import build
from gdsheet.commands.check import check_workbook
from gdsheet.commands.run import run
from tests.support.books import log_epochs

CHILD = """
import sys, time
import gdsheet.commands.run as r
from gdsheet.engine.evaluator import Evaluator
from gdsheet.cli import main

r.CHECKPOINT_SECONDS = 0.2
stepper = Evaluator.stepper


def slow_stepper(self, inputs, outputs):  # 2 ms an epoch, as a larger lesson takes: a short log
    step = stepper(self, inputs, outputs)
    return lambda values: (time.sleep(0.002), step(values))[1]


Evaluator.stepper = slow_stepper
sys.exit(main(sys.argv[1:]))
"""


def start_long_run(path: Path) -> subprocess.Popen[str]:
    """`gdsheet run --epochs 1000000 --json` in a child, returned once it has checkpointed."""
    before = path.stat().st_mtime_ns, path.stat().st_ino
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "run", str(path), "--epochs", "1000000", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while (path.stat().st_mtime_ns, path.stat().st_ino) == before:
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "no checkpoint within 60 s"
        time.sleep(0.05)
    return child


@pytest.mark.parametrize(("signum", "code", "name"), [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_saves_the_finished_epochs(tmp_path: Path, signum: int, code: int, name: str) -> None:
    path = build(tmp_path / "lesson.xlsx")
    child = start_long_run(path)
    time.sleep(0.5)
    child.send_signal(signum)
    out, err = child.communicate(timeout=60)
    assert child.returncode == code, err
    records = json.loads(out)["epochs"]
    done = len(records)
    assert done > 0
    assert err == f"gdsheet: interrupted by {name} after {done} epoch(s); they are saved in {path}\n"
    assert [r["epoch"] for r in records] == list(range(1, done + 1))
    assert log_epochs(path) == list(range(1, done + 1))
    assert check_workbook(path).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.xlsx"]


def test_sigkill_at_any_moment_leaves_a_workbook_that_passes_check(tmp_path: Path) -> None:
    path = build(tmp_path / "lesson.xlsx")
    child = start_long_run(path)
    time.sleep(random.uniform(0.0, 0.6))  # anywhere: between saves or inside one
    child.kill()
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    epochs = log_epochs(path)
    assert len(epochs) > 0 and epochs == list(range(1, len(epochs) + 1))  # a checkpoint, whole
    assert check_workbook(path).ok
    assert run(path, epochs=1)[0]["epoch"] == len(epochs) + 1  # the next run goes on from there
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.xlsx"]  # and leaves no stray file


def test_a_run_checkpoints_as_it_goes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = build(tmp_path / "lesson.xlsx")
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)
    saved_before_epoch = []
    run(path, epochs=4, progress=lambda done, total: saved_before_epoch.append(len(log_epochs(path))))
    assert saved_before_epoch == [0, 1, 2, 3]  # each epoch found the previous one saved
    assert log_epochs(path) == [1, 2, 3, 4]


def test_without_checkpoints_the_file_is_saved_once(tmp_path: Path) -> None:
    assert runner.CHECKPOINT_SECONDS == 60.0
    path = build(tmp_path / "lesson.xlsx")
    saved_before_epoch = []
    run(path, epochs=3, progress=lambda done, total: saved_before_epoch.append(len(log_epochs(path))))
    assert saved_before_epoch == [0, 0, 0] and log_epochs(path) == [1, 2, 3]
