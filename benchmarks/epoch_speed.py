"""How fast is one headless epoch? Prints times and ratios measured in this one run.

    python benchmarks/epoch_speed.py [EPOCHS]

Compares, per epoch of the default lesson (20 samples, without its Live sheet): the numpy reference, gdsheet's
compiled stepper (what `gdsheet run` uses), and a full `formulas` recalculation of the
workbook (what a naive evaluator would do). Times are medians of 5 repeats; machines are
shared and noisy, so read the ratios, not the seconds.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gdsheet.build import build
from gdsheet.evaluator import Evaluator
from gdsheet.lesson import load_preset
from gdsheet.reference import run_epochs
from gdsheet.runner import make_plan, play


def median_seconds(work: Callable[[], object], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(epochs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = build(Path(tmp) / "lesson.xlsx", live_epochs=0)  # the Live sheet only slows loading
        load = median_seconds(lambda: Evaluator(path), repeats=3)
        ev = Evaluator(path)
        plan = make_plan(ev)
        lesson = load_preset("corrected")
        numpy_s = median_seconds(lambda: run_epochs(lesson, epochs)) / epochs
        stepper_s = median_seconds(lambda: play(ev, plan, epochs)) / epochs
        full_s = median_seconds(lambda: [ev.all_values({"m_start": 1.0 + i / epochs}) for i in range(epochs)]) / epochs
    print(f"epochs per measurement: {epochs}; workbook load: {load * 1e3:.0f} ms")
    print(f"numpy reference      {numpy_s * 1e3:9.3f} ms/epoch   1.0x")
    print(f"compiled stepper     {stepper_s * 1e3:9.3f} ms/epoch   {stepper_s / numpy_s:7.1f}x numpy")
    print(f"full recalculation   {full_s * 1e3:9.3f} ms/epoch   {full_s / numpy_s:7.1f}x numpy, "
          f"{full_s / stepper_s:.1f}x the stepper")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
