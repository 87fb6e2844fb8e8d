"""One lesson per optimizer (sgd, momentum, rmsprop, adam), each with 10 live epochs, run and checked.

    python examples/optimizers.py [OUT_DIR]

Each workbook's Live sheet unrolls 10 epochs as formulas; `run` then plays 3 epochs the
buttons' way, carrying the optimizer's state, and `check` holds every formula to numpy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import gdsheet
from gdsheet.commands.check import check_workbook

LEARN = {"sgd": 0.0001, "momentum": 0.00001, "rmsprop": 0.05, "adam": 0.1}
"""A learn rate at which each optimizer converges on the default lesson."""


def main(out_dir: Path) -> None:
    for optimizer, learn in LEARN.items():
        path = gdsheet.build(out_dir / f"{optimizer}.xlsx", optimizer=optimizer, learn=learn, live_epochs=10)
        report = check_workbook(path)
        records = gdsheet.run(path, epochs=3)
        print(
            f"{optimizer}: {report.cells} formula cells checked (ok: {report.ok}); "
            f"rmse after 3 epochs {records[-1]['rmse']:.4f}, m = {records[-1]['m']:.4f}, b = {records[-1]['b']:.4f}"
        )


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    out.mkdir(parents=True, exist_ok=True)  # a fresh clone has no out/ yet
    main(out)
