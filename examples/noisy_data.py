"""60 samples on the line y = 2x + 30 with Gaussian noise (σ = 4, seed 1), fitted by momentum.

    python examples/noisy_data.py [OUT_DIR]

The same as `gdsheet build noisy.xlsx --samples 60 --noise 4 --seed 1 --optimizer momentum
--learn 0.00001 --live-epochs 0`: x is evenly spaced from 7 to 50, the noise is numpy's
default_rng(1).normal(0, 4, 60). Noise keeps the loss above zero: the best line is not the true one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import gdsheet
from gdsheet.commands.check import check_workbook

OPTIONS = {"samples": 60, "noise": 4.0, "seed": 1, "optimizer": "momentum", "learn": 0.00001, "live_epochs": 0}


def main(out_dir: Path) -> None:
    path = gdsheet.build(out_dir / "noisy.xlsx", **OPTIONS)
    report = check_workbook(path)
    print(f"{path}: {report.cells} formula cells, worst relative error {report.max_rel_error:.2g}")
    for record in gdsheet.run(path, epochs=4):
        print(f"epoch {record['epoch']}: m = {record['m']:.4f}, b = {record['b']:.4f}, rmse = {record['rmse']:.3f}")


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    out.mkdir(parents=True, exist_ok=True)  # a fresh clone has no out/ yet
    main(out)
