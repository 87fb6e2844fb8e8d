"""The compiled engine's speed and memory, against what it replaces, measured in one run.

    python benchmarks/engine_speed.py [SIZES...]        # default: 20 1000 100000

For each lesson size (samples in the descent table, from a CSV, analytic SGD) it prints:
building the workbook (time, peak memory); loading + compiling it with the compiled engine
beside openpyxl's own ``load_workbook`` of the same file; one epoch with the compiled
engine's stepper, the `formulas` package's compiled stepper (skipped above 1,000 samples:
its load alone takes minutes), pycel (if installed: ``pip install '.[bench]'``; skipped
above 1,000 samples, where its recursion and load fail), a plain-Python loop and the numpy
reference; and ``gdsheet check``. Each phase runs in a fresh process so its peak memory is
its own. Machines are shared and noisy: read the ratios.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SLOW_ENGINES_MAX = 1000


def _phase_build(csv: str, out: str) -> dict[str, float]:
    from gdsheet.commands.build import build

    start = time.perf_counter()
    build(out, data=csv, learn=1e-5, live_epochs=0)  # the workbook: no Live sheet
    return {"seconds": time.perf_counter() - start}


def _phase_openpyxl(book: str) -> dict[str, float]:
    import openpyxl

    start = time.perf_counter()
    openpyxl.load_workbook(book)
    return {"seconds": time.perf_counter() - start}


def _epochs(step: object, epochs: int) -> float:
    values = [1.0, 1.0]
    start = time.perf_counter()
    for _ in range(epochs):
        values = step(values)[:2]  # type: ignore[operator]
    return (time.perf_counter() - start) / epochs


def _phase_engine(book: str, engine: str, epochs: int) -> dict[str, float]:
    from gdsheet.engine.evaluator import Evaluator

    start = time.perf_counter()
    ev = Evaluator(book, engine=engine)
    ev.engine  # noqa: B018 - loads and compiles
    step = ev.stepper(["m_start", "b_start"], ["next_m", "next_b", "rmse"])
    load = time.perf_counter() - start
    return {"seconds": load, "epoch": _epochs(step, epochs)}


def _phase_pycel(book: str, epochs: int) -> dict[str, float]:
    from pycel import ExcelCompiler

    sys.setrecursionlimit(100_000)
    start = time.perf_counter()
    excel = ExcelCompiler(filename=book)
    from gdsheet.engine.evaluator import Evaluator

    ev = Evaluator(book)  # pycel reads cells, not names: the lesson's cells by name
    m, b, next_m, next_b = (f"Lesson!{ev.area(n).ref()}" for n in ("m_start", "b_start", "next_m", "next_b"))
    excel.evaluate(next_m)  # builds pycel's graph of the chain, which set_value needs
    excel.evaluate(next_b)
    load = time.perf_counter() - start

    def step(values: list[float]) -> list[float]:
        excel.set_value(m, values[0])
        excel.set_value(b, values[1])
        return [excel.evaluate(next_m), excel.evaluate(next_b)]

    return {"seconds": load, "epoch": _epochs(step, epochs)}


def _phase_check(book: str) -> dict[str, float]:
    from gdsheet.commands.check import check_workbook

    start = time.perf_counter()
    report = check_workbook(book)
    return {"seconds": time.perf_counter() - start, "cells": report.cells, "ok": float(report.ok)}


def _phase_loops(csv: str, epochs: int) -> dict[str, float]:
    """A plain-Python epoch over lists, and the numpy reference's epoch, on the same samples."""
    from gdsheet.lesson.samples_csv import read_samples
    from gdsheet.reference.oracle import loss_value, sgd_epoch

    xs, ys = (list(v) for v in read_samples(csv))
    learn = 1e-5

    def plain(values: list[float]) -> list[float]:
        """What the stepper computes: the epoch's new m and b, and the loss at its start."""
        m, b = values
        loss = math.sqrt(sum((m * x + b - y) ** 2 for x, y in zip(xs, ys, strict=True)) / len(xs))
        for x, y in zip(xs, ys, strict=True):
            residual = m * x + b - y
            m, b = m - learn * 2 * x * residual, b - learn * 2 * residual
        return [m, b, loss]

    def reference(values: list[float]) -> list[float]:
        table = sgd_epoch(xs, ys, values[0], values[1], learn, "analytic", 0.01)
        loss = loss_value(values[0], values[1], xs, ys, "rmse")
        return [table.last("new_m"), table.last("new_b"), loss]

    return {"plain": _epochs(plain, epochs), "numpy": _epochs(reference, max(1, epochs // 10))}


PHASES = {
    "build": _phase_build,
    "openpyxl": _phase_openpyxl,
    "engine": _phase_engine,
    "pycel": _phase_pycel,
    "check": _phase_check,
    "loops": _phase_loops,
}


def measure(phase: str, *args: object) -> dict[str, float]:
    """Run one phase in a fresh process, so that its peak memory (MB) is its own."""
    command = [sys.executable, __file__, "--phase", phase, *map(str, args)]
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {result.returncode}"}  # type: ignore[dict-item]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _csv(n: int, folder: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 50, n)
    y = 2 * x + 30 + rng.normal(0, 1, n)
    path = folder / f"samples{n}.csv"
    path.write_text("x,y\n" + "".join(f"{a:.6f},{b:.6f}\n" for a, b in zip(x, y, strict=True)), encoding="utf-8")
    return path


def report(n: int, folder: Path) -> None:
    epochs = 200 if n <= 1000 else 5
    csv = _csv(n, folder)
    book = folder / f"lesson{n}.xlsx"
    build = measure("build", csv, book)
    opx = measure("openpyxl", book)
    compiled = measure("engine", book, "compiled", epochs)
    loops = measure("loops", csv, epochs)
    slow = n <= SLOW_ENGINES_MAX
    formulas_ = measure("engine", book, "formulas", max(1, epochs // 20)) if slow else None
    try:
        import pycel  # noqa: F401

        pycel_ = measure("pycel", book, max(1, epochs // 20)) if slow else None
    except ImportError:
        pycel_ = {"error": "not installed (pip install '.[bench]')"}
    check = measure("check", book)
    print(f"\n== {n:,} samples ==")
    print(f"build                    {build['seconds']:8.2f} s   peak {build['peak_mb']:7.0f} MB")
    print(f"openpyxl load_workbook   {opx['seconds']:8.2f} s   peak {opx['peak_mb']:7.0f} MB")
    ratio = compiled["seconds"] / opx["seconds"]
    print(f"engine load+compile      {compiled['seconds']:8.2f} s   peak {compiled['peak_mb']:7.0f} MB   "
          f"{ratio:.2f}x openpyxl's load")  # fmt: skip
    plain = loops["plain"]
    print(f"epoch: plain Python      {plain * 1e3:10.3f} ms   1.00x")
    print(f"epoch: compiled engine   {compiled['epoch'] * 1e3:10.3f} ms   {compiled['epoch'] / plain:5.2f}x plain")
    print(f"epoch: numpy reference   {loops['numpy'] * 1e3:10.3f} ms   {loops['numpy'] / plain:5.2f}x plain")
    for label, result in (("formulas stepper", formulas_), ("pycel", pycel_)):
        if result is None:
            print(f"epoch: {label:<17} skipped above {SLOW_ENGINES_MAX:,} samples (its load takes minutes)")
        elif "error" in result:
            print(f"epoch: {label:<17} failed: {result['error']}")
        else:
            epoch = result["epoch"]
            print(f"epoch: {label:<17} {epoch * 1e3:10.3f} ms   {epoch / plain:8.0f}x plain   "
                  f"{epoch / compiled['epoch']:8.0f}x compiled (load {result['seconds']:.1f} s)")  # fmt: skip
    print(f"check                    {check['seconds']:8.2f} s   peak {check['peak_mb']:7.0f} MB   "
          f"({check['cells']:,.0f} cells, ok={bool(check['ok'])})")  # fmt: skip


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--phase":
        result = PHASES[argv[1]](*_typed(argv[2:]))
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
        print(json.dumps(result))
        return
    sizes = [int(a) for a in argv] or [20, 1000, 100_000]
    with tempfile.TemporaryDirectory(prefix="gdsheet-bench-") as tmp:
        for n in sizes:
            report(n, Path(tmp))


def _typed(args: list[str]) -> list[object]:
    return [int(a) if a.isdigit() else a for a in args]


if __name__ == "__main__":
    main(sys.argv[1:])
