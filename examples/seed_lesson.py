"""Build the published lesson at its published state, run 3 epochs, and check every formula.

python examples/seed_lesson.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import gdsheet
from gdsheet.commands.check import check_workbook
from gdsheet.commands.run import run


def main(out_dir: Path) -> None:
    path = gdsheet.build(out_dir / "seed.xlsx", preset="seed", m_start=2.051, b_start=25.075)
    report = check_workbook(path)
    print(f"{path}: {report.cells} formula cells, worst relative error {report.max_rel_error:.2g}")
    for record in run(path, epochs=3):
        print(f"epoch {record['epoch']}: m = {record['m']:.4f}, b = {record['b']:.4f}, loss = {record['loss']:.2f}")


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    out.mkdir(parents=True, exist_ok=True)  # a fresh clone has no out/ yet
    main(out)
