"""Run epochs on a workbook gdsheet did not build: fast.ai-style, with a VBA macro project.

    python examples/any_workbook.py [OUT_DIR]

The workbook's next step sits in I11 (new m) and J11 (new b); each epoch copies them to C3 and
C4, as its RunEpoch macro would, and records the loss in M1. The macro project is untouched.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from gdsheet.commands.run import run

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "macro_sgd.xlsm"


def main(out_dir: Path) -> None:
    path = out_dir / "graddesc.xlsm"
    shutil.copyfile(FIXTURE, path)
    records = run(path, epochs=5, carry=["basic!C3=basic!I11", "basic!C4=basic!J11"], record=["basic!M1"])
    for record in records:
        print(f"epoch {record['epoch']}: loss {record['basic!M1']:.4f}")
    print(f"saved {path}, macros and chart included")


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    out.mkdir(parents=True, exist_ok=True)  # a fresh clone has no out/ yet
    main(out)
