"""The default lesson with its charts: 20 live epochs on the Live sheet, plotted beside the text.

    python examples/live_epochs.py [OUT_DIR]

Open the workbook and change `learn` (Lesson sheet, shaded): the Live sheet's 20 epochs and the
live loss chart follow at once, with no macro. Here the numpy reference prints the same curve.
"""

from __future__ import annotations

import sys
from pathlib import Path

import gdsheet
from gdsheet.reference.oracle import lesson_values


def main(out_dir: Path) -> None:
    path = gdsheet.build(out_dir / "live.xlsx", live_epochs=20)
    live_log = lesson_values(gdsheet.make_lesson(live_epochs=20)).live_log
    for epoch, m, b, loss in live_log[::5]:
        print(f"live epoch {int(epoch)}: m = {m:.4f}, b = {b:.4f}, rmse = {loss:.4f}")
    print(f"wrote {path}: charts of the samples and line, the loss surface, the live loss and the epoch log")


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    out.mkdir(parents=True, exist_ok=True)  # a fresh clone has no out/ yet
    main(out)
