"""Whole `gdsheet run` against its epoch count: is a run linear in its epochs, and what does an
epoch cost it beside the same epoch in plain Python?

`python benchmarks/run_epochs.py [SMALL LARGE]` (default 1,000 and 100,000) builds the default
lesson (20 samples), then times `python -m gdsheet run COPY --epochs N --json` as a whole process
for each N (a fresh copy each time, best of 3 each), wall time and CPU time
(user + system of the process), and prints, from that one run:

- the per-epoch cost of each run (time / N) and their ratio (LARGE's over SMALL's; a run that is
  linear in its epochs, once the fixed start-up is paid, has a ratio at most 1);
- the marginal cost of an epoch, (T(LARGE) - T(SMALL)) / (LARGE - SMALL): everything an extra
  epoch costs a whole run (playing it, recording it, writing its log row and printing its JSON);
- a plain-Python epoch of the same lesson, and the marginal cost as a multiple of it.

The plain-Python epoch is what someone would write without a spreadsheet: the lesson's samples,
learning rate and start values as Python floats in lists, and a loop doing the epoch's work,
the loss at the epoch's start (the square root of the mean squared residual) and, sample by
sample, the residual and the update of m and b (best of 3 runs of 20,000 epochs).

CPU time is the figure to read on a shared machine (other jobs stretch the wall time of one
measurement and not the other's); both are printed.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _whole_run(book: Path, epochs: int, repeat: int) -> tuple[float, float]:
    """Best (wall, CPU) seconds of ``gdsheet run --epochs N --json`` on a fresh copy of ``book``."""
    best = (math.inf, math.inf)
    for _ in range(repeat):
        copy = book.with_name(f"run-{epochs}.xlsx")
        shutil.copyfile(book, copy)
        before = os.times()
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "gdsheet", "run", str(copy), "--epochs", str(epochs), "--json"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
        after = os.times()
        cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        best = (min(best[0], wall), min(best[1], cpu))
    return best


def _plain_epochs(xs: list[float], ys: list[float], learn: float, m: float, b: float, epochs: int) -> float:
    """The lesson's epochs in plain Python; returns the last loss (so nothing is optimised away)."""
    loss = 0.0
    for _ in range(epochs):
        loss = math.sqrt(sum((m * x + b - y) ** 2 for x, y in zip(xs, ys, strict=True)) / len(xs))
        for x, y in zip(xs, ys, strict=True):
            residual = m * x + b - y
            m, b = m - learn * 2 * x * residual, b - learn * 2 * residual
    return loss


def _plain_epoch(book: Path, epochs: int = 20_000) -> tuple[float, float]:
    """(wall, CPU) seconds per plain-Python epoch of the lesson in ``book``: its samples, learn and start."""
    from gdsheet.engine.evaluator import Evaluator

    ev = Evaluator(book)
    values = ev.values({}, ["descent_x", "descent_y"])  # the samples as the workbook computes them
    xs, ys = ([float(v) for v in values[name].ravel()] for name in ("descent_x", "descent_y"))
    learn = ev.numbers("learn")[0]
    m, b = ev.numbers("m_start")[0], ev.numbers("b_start")[0]
    best = (math.inf, math.inf)
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        _plain_epochs(xs, ys, learn, m, b, epochs)
        best = (min(best[0], time.perf_counter() - wall), min(best[1], time.process_time() - cpu))
    return best[0] / epochs, best[1] / epochs


def main(argv: list[str]) -> None:
    small, large = (int(a) for a in argv) if argv else (1_000, 100_000)
    with tempfile.TemporaryDirectory(prefix="gdsheet-bench-") as tmp:
        from gdsheet.commands.build import build

        book = build(Path(tmp) / "lesson.xlsx")
        t_small = _whole_run(book, small, 3)
        t_large = _whole_run(book, large, 3)
        plain = _plain_epoch(book)
    for label, k in (("wall", 0), ("CPU ", 1)):
        per_small, per_large = t_small[k] / small, t_large[k] / large
        marginal = (t_large[k] - t_small[k]) / (large - small)
        print(f"{label}: run --epochs {small:>7,} {t_small[k]:7.2f} s ({per_small * 1e3:.4f} ms/epoch); "
              f"--epochs {large:>9,} {t_large[k]:7.2f} s ({per_large * 1e3:.4f} ms/epoch)")  # fmt: skip
        print(f"{label}: per-epoch cost, {large:,} over {small:,} epochs: {per_large / per_small:6.3f}x"
              "  (target <= 1.5x)")  # fmt: skip
        print(f"{label}: marginal cost of an epoch {marginal * 1e6:7.2f} us; plain-Python epoch "
              f"{plain[k] * 1e6:7.2f} us; ratio {marginal / plain[k]:5.2f}x  (target <= 2x)")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
