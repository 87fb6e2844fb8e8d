"""A small real data set: the first of Anscombe's four data sets, fitted by Adam.

    python examples/real_data.py [OUT_DIR]

Source: F. J. Anscombe, "Graphs in Statistical Analysis", The American Statistician 27(1),
17-21 (1973), data set I (11 points). Its least-squares line is about y = 0.5x + 3, so the
lesson's own line, data block and grid are set around it; the 11 points are written to a CSV
and read with `--data`, as a user's file would be.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import gdsheet
from gdsheet.commands.check import check_workbook

ANSCOMBE_I = (
    (10, 8.04), (8, 6.95), (13, 7.58), (9, 8.81), (11, 8.33), (14, 9.96),
    (6, 7.24), (4, 4.26), (12, 10.84), (7, 4.82), (5, 5.68),
)  # fmt: skip

LINE = {"m_actual": 0.5, "b_actual": 3.0, "data_x": (4, 7, 10, 14)}
GRID = {"grid_m": (0, 0.25, 0.5, 0.75, 1.0), "grid_b": (0, 1, 2, 3, 4, 5, 6)}


def main(out_dir: Path) -> None:
    data = out_dir / "anscombe_i.csv"
    data.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in ANSCOMBE_I), encoding="utf-8")
    fit = {"optimizer": "adam", "learn": 0.05, "epochs": 200, "live_epochs": 0, "m_start": 0.0, "b_start": 0.0}
    path = gdsheet.build(out_dir / "anscombe.xlsx", data=data, **fit, **LINE, **GRID)
    report = check_workbook(path)
    print(f"{path}: {report.cells} formula cells, worst relative error {report.max_rel_error:.2g}")
    records = gdsheet.run(path)
    x, y = np.array(ANSCOMBE_I).T
    slope, intercept = np.polyfit(x, y, 1)
    last = records[-1]
    print(f"after {last['epoch']} epochs: m = {last['m']:.3f}, b = {last['b']:.3f}, rmse = {last['rmse']:.3f}")
    print(f"least squares: m = {slope:.3f}, b = {intercept:.3f}")


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    out.mkdir(parents=True, exist_ok=True)  # a fresh clone has no out/ yet
    main(out)
