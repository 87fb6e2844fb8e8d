"""Whole `gdsheet run` against its epoch count: is a run linear in its epochs?

`python benchmarks/run_epochs.py [SMALL LARGE]` (default 1,000 and 100,000) builds the default
lesson (20 samples), then times `python -m gdsheet run COPY --epochs N --json` as a whole process
for each N (a fresh copy each time, best of 3 for SMALL and 1 for LARGE), and prints, from that
one run:

- the per-epoch cost of each run (wall time / N) and their ratio (LARGE's over SMALL's; a run
  that is linear in its epochs, once the fixed start-up is paid, has a ratio at most 1);
- the marginal cost of an epoch, (T(LARGE) - T(SMALL)) / (LARGE - SMALL): everything an extra
  epoch costs a whole run (playing it, recording it, writing its log row and printing it);
- a plain-Python epoch of the same lesson (its 20 samples' SGD updates and the loss at the
  epoch's start, over lists), and the marginal cost as a multiple of it.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _whole_run(book: Path, epochs: int, repeat: int) -> float:
    """Best wall time of ``gdsheet run --epochs N --json`` on a fresh copy of ``book``."""
    best = math.inf
    for _ in range(repeat):
        copy = book.with_name(f"run-{epochs}.xlsx")
        shutil.copyfile(book, copy)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "gdsheet", "run", str(copy), "--epochs", str(epochs), "--json"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        best = min(best, time.perf_counter() - start)
    return best


def _plain_epoch(book: Path, epochs: int = 20_000) -> float:
    """Seconds per plain-Python epoch of the lesson in ``book``: its samples, learn and start."""
    from gdsheet.engine.evaluator import Evaluator

    ev = Evaluator(book)
    values = ev.values({}, ["descent_x", "descent_y"])  # the samples as the workbook computes them
    xs, ys = ([float(v) for v in values[name].ravel()] for name in ("descent_x", "descent_y"))
    learn = ev.numbers("learn")[0]
    m, b = ev.numbers("m_start")[0], ev.numbers("b_start")[0]
    start = time.perf_counter()
    for _ in range(epochs):
        loss = math.sqrt(sum((m * x + b - y) ** 2 for x, y in zip(xs, ys, strict=True)) / len(xs))
        for x, y in zip(xs, ys, strict=True):
            residual = m * x + b - y
            m, b = m - learn * 2 * x * residual, b - learn * 2 * residual
    del loss
    return (time.perf_counter() - start) / epochs


def main(argv: list[str]) -> None:
    small, large = (int(a) for a in argv) if argv else (1_000, 100_000)
    with tempfile.TemporaryDirectory(prefix="gdsheet-bench-") as tmp:
        from gdsheet.commands.build import build

        book = build(Path(tmp) / "lesson.xlsx")
        t_small = _whole_run(book, small, 3)
        t_large = _whole_run(book, large, 1)
        plain = _plain_epoch(book)
    per_small, per_large = t_small / small, t_large / large
    marginal = (t_large - t_small) / (large - small)
    print(f"run --epochs {small:>9,}  {t_small:8.2f} s   {per_small * 1e3:8.4f} ms/epoch")
    print(f"run --epochs {large:>9,}  {t_large:8.2f} s   {per_large * 1e3:8.4f} ms/epoch")
    print(f"per-epoch cost, {large:,} over {small:,} epochs: {per_large / per_small:6.3f}x   (target <= 1.5x)")
    print(f"marginal cost of an epoch in a whole run:  {marginal * 1e3:8.4f} ms")
    print(f"plain-Python epoch:                        {plain * 1e3:8.4f} ms")
    print(f"marginal cost over a plain-Python epoch:   {marginal / plain:6.2f}x   (target <= 2x)")


if __name__ == "__main__":
    main(sys.argv[1:])
