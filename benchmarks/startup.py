"""What a command costs before it does anything: whole `gdsheet` processes against the imports
of the libraries it stands on.

`python benchmarks/startup.py [PAIRS]` (default 9) builds the default lesson once, then runs,
pair by pair, each command and its yardstick in turn as whole processes, and prints the median
of the pairs' ratios, wall time and CPU time (user + system of the process):

- `gdsheet --version` against `python -c "import openpyxl"` (the issue's bound: 1.5x);
- `gdsheet run COPY` of the default lesson (one epoch, a fresh copy before each run, the copy not
  timed) against `python -c "import openpyxl, numpy"` (the bound: 2x).

Pairs, run A B A B ..., keep a ratio meaningful while a shared machine's speed drifts; the
median keeps one slow or one lucky pair from moving it. The command is the console script next
to this Python when there is one (what a user types), else `python -m gdsheet`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _gdsheet() -> list[str]:
    script = Path(sys.executable).with_name("gdsheet")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "gdsheet"]


def _timed(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole process."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def _ratios(a: list[str], b: list[str], pairs: int, before_a: Callable[[], None] = lambda: None) -> tuple[float, float]:
    """Median (wall, CPU) ratio of A over B, over ``pairs`` pairs after one warm-up pair."""
    walls, cpus = [], []
    for i in range(pairs + 1):
        before_a()
        wall_a, cpu_a = _timed(a)
        wall_b, cpu_b = _timed(b)
        if i:  # the first pair warms the file cache and is not counted
            walls.append(wall_a / wall_b)
            cpus.append(cpu_a / cpu_b)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str]) -> None:
    pairs = int(argv[0]) if argv else 9
    gdsheet = _gdsheet()
    with tempfile.TemporaryDirectory() as tmp:
        lesson, copy = Path(tmp, "lesson.xlsx"), Path(tmp, "run.xlsx")
        subprocess.run([*gdsheet, "build", str(lesson)], check=True, stdout=subprocess.DEVNULL)
        rows = [
            ("gdsheet --version", [*gdsheet, "--version"], "import openpyxl", 1.5, None),
            ("gdsheet run (default lesson)", [*gdsheet, "run", str(copy)], "import openpyxl, numpy", 2.0,
             lambda: shutil.copyfile(lesson, copy)),
        ]  # fmt: skip
        print(f"{pairs} pairs each, median ratio (command / yardstick)")
        print(f"{'command':<30} {'yardstick':<34} {'wall':>6} {'cpu':>6}  bound")
        for name, command, imports, bound, before in rows:
            wall, cpu = _ratios(command, [sys.executable, "-c", imports], pairs, before or (lambda: None))
            yardstick = f'python -c "{imports}"'
            print(f"{name:<30} {yardstick:<34} {wall:5.2f}x {cpu:5.2f}x  {bound}x {'ok' if wall <= bound else 'OVER'}")


if __name__ == "__main__":
    main(sys.argv[1:])
