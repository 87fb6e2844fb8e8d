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


def slow_stepper(self, inputs, outputs, *loop):  # 2 ms an epoch, as a larger lesson takes: a short log
    step = stepper(self, inputs, outputs)  # without ``loop``: one epoch a call
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


NO_CHECKPOINT = """
import sys
import gdsheet.commands.run as r
from gdsheet.cli import main

r.CHECKPOINT_SECONDS = 1e9  # the one save is the last one, whatever the machine's speed
sys.exit(main(sys.argv[1:]))
"""


def _run_until_its_save(path: Path, epochs: int) -> subprocess.Popen[str]:
    """`gdsheet run --epochs N --json` in a child, returned once its save has begun (its temp file exists)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", NO_CHECKPOINT, "run", str(path), "--epochs", str(epochs), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 600
    while not list(path.parent.glob(f".{path.name}.{child.pid}.*.tmp")):
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "no save began within 600 s"
        time.sleep(0.01)
    return child


def _log_rows(path: Path) -> list[int]:
    """The epoch column of the log, read by gdsheet's own streaming reader (openpyxl is slow at 100,000 rows)."""
    from gdsheet.engine.evaluator import Evaluator

    ev = Evaluator(path)
    return [int(v) for v in ev.constants("epoch_log")[:: ev.area("epoch_log").shape[1]]]


def test_a_100000_epoch_run_saves_and_sigint_during_its_save_keeps_every_epoch(tmp_path: Path) -> None:
    path = build(tmp_path / "lesson.xlsx")
    child = _run_until_its_save(path, 100_000)
    child.send_signal(signal.SIGINT)  # during the save: obeyed as soon as it completes
    out, err = child.communicate(timeout=600)
    assert child.returncode == 130, err
    assert err == f"gdsheet: interrupted by SIGINT after 100000 epoch(s); they are saved in {path}\n"
    assert [r["epoch"] for r in json.loads(out)["epochs"]] == list(range(1, 100_001))
    assert _log_rows(path) == list(range(1, 100_001))
    assert check_workbook(path).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.xlsx"]


def test_a_second_signal_stops_a_save_at_once_and_leaves_the_workbook_whole(tmp_path: Path) -> None:
    path = build(tmp_path / "lesson.xlsx")
    before = path.read_bytes()
    child = _run_until_its_save(path, 100_000)
    child.send_signal(signal.SIGINT)
    time.sleep(0.3)  # two signals at once would reach Python's handler as one
    child.send_signal(signal.SIGINT)  # the user insists: the save is abandoned
    _, err = child.communicate(timeout=600)
    assert child.returncode == 130, err
    assert (
        err == "gdsheet: interrupted by SIGINT a second time; the workbook holds what its last completed save wrote\n"
    )
    assert path.read_bytes() == before  # no checkpoint had been written, so the lesson is as built
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.xlsx"]  # no temp file, no lock
