"""`gdsheet check`: every formula cell, evaluated by `formulas`, against the numpy reference.

The reference is computed from the workbook's own inputs (:mod:`gdsheet.workbook_lesson`);
each defined name says which reference quantity its cells must equal. A formula cell that no
name covers is counted as unchecked, so a workbook cannot pass by hiding formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gdsheet.engine import DEFAULT_ENGINE
from gdsheet.evaluator import Evaluator, a1
from gdsheet.lesson import DESCENT_COLUMNS, ESTIMATE_COLUMNS, OPTIMIZER_STATE
from gdsheet.reference import lesson_values
from gdsheet.workbook_lesson import lesson_from_workbook

REL_TOL = 1e-9
ABS_TOL = 1e-12


@dataclass
class CheckReport:
    """What `check` found: cells compared, the worst relative error, and every mismatch."""

    cells: int = 0
    max_rel_error: float = 0.0
    unchecked: list[str] = field(default_factory=list)
    mismatches: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "cells": self.cells,
            "max_rel_error": self.max_rel_error,
            "unchecked": self.unchecked,
            "mismatches": self.mismatches,
        }


def expected_by_name(ev: Evaluator) -> dict[str, np.ndarray]:
    """Reference values for every named area of a gdsheet lesson, shaped like the area."""
    lesson = lesson_from_workbook(ev)
    ref = lesson_values(lesson)
    state = OPTIMIZER_STATE[lesson.optimizer]
    data_x = np.asarray(lesson.data_x, dtype=float)
    expected = {
        "data_y": ref.data_y,
        "guess_x": data_x,
        "guess_pred": ref.guess_pred,
        "error_y": ref.data_y,
        "error_pred": ref.guess_pred,
        "guess_err_sq": ref.guess_err_sq,
        "guess_rmse": ref.guess_rmse,
        "grid": ref.grid,
        "actual_shown": np.array([lesson.m_actual, lesson.b_actual]),
        "rmse": ref.rmse,
        "descent": ref.descent.block(DESCENT_COLUMNS),
        "descent_estimates": ref.descent.block(ESTIMATE_COLUMNS),
        "next_m": ref.next_m,
        "next_b": ref.next_b,
        "descent_state": ref.descent.block(state),
        **{f"next_{name}": ref.next_state[name] for name in state},
        "live_descent": ref.live.block(DESCENT_COLUMNS),
        "live_state": ref.live.block(state),
        "live_estimates": ref.live.block(ESTIMATE_COLUMNS),
        "live_log": ref.live_log,
        "fit_line": ref.fit_line,
    }
    return {name: np.asarray(value, dtype=float) for name, value in expected.items() if name in ev.names}


def _rel_error(got: float, want: float) -> float:
    scale = max(abs(got), abs(want))
    return 0.0 if got == want else abs(got - want) / scale


def check_workbook(path: str | Path, engine: str = DEFAULT_ENGINE, verbose: bool = False) -> CheckReport:
    """Compare every formula cell of the workbook at ``path`` with the reference."""
    ev = Evaluator(path, engine, verbose)
    expected = expected_by_name(ev)
    computed = ev.all_values()
    report = CheckReport()
    covered = set()
    for name, want in expected.items():
        area = ev.area(name)
        want = want.reshape(area.shape) if want.size == area.shape[0] * area.shape[1] else want
        if want.shape != area.shape:
            report.mismatches.append({"name": name, "error": f"area {area.ref()} is not {want.shape}"})
            continue
        for (column, row), value in zip(area.cells(), want.ravel(), strict=True):
            key = (area.sheet, column, row)
            if key not in computed:
                continue  # an input cell inside the named area (x values)
            covered.add(key)
            got, want_value = computed[key], float(value)
            finite = isinstance(got, float) and math.isfinite(got)
            if finite:
                report.max_rel_error = max(report.max_rel_error, _rel_error(got, want_value))
            if not finite or not math.isclose(got, want_value, rel_tol=REL_TOL, abs_tol=ABS_TOL):
                address = f"{area.sheet}!{a1(column, row)}"
                report.mismatches.append({"cell": address, "name": name, "got": got, "want": want_value})
    report.cells = len(covered)
    report.unchecked = [f"{sheet}!{a1(c, r)}" for sheet, c, r in computed if (sheet, c, r) not in covered]
    return report
