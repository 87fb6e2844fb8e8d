"""Real Excel workbooks (fast.ai course-v3): load + evaluate with the compiled engine, against
the `formulas` package and LibreOffice's headless full recalculation, per workbook, in one run.

    python benchmarks/fastai_workbooks.py [WORKBOOK ...]     # default: tests/data/fastai/*

Each measurement runs in a fresh process (wall time of the whole job, imports excluded for the
two Python engines, so the figure is the engine's own work); LibreOffice is timed as a whole
``soffice --convert-to xlsx`` with a throw-away profile that forces recalculation on load, so its
figure includes its start (about a second). Also printed: the compiled engine's share of formula
cells compiled natively and how many non-volatile cells differ from Excel's cached values.
Machines are shared and noisy: read the ratios.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_ALWAYS = (
    '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
    '<prop oor:name="{}" oor:op="fuse"><value>0</value></prop></item>'
)
PROFILE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
    'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    + _ALWAYS.format("OOXMLRecalcMode")
    + "\n"
    + _ALWAYS.format("ODFRecalcMode")
    + "\n</oor:items>\n"
)  # LibreOffice recalculates every formula on load (0: always)

_COMPILED = """
import json, sys, time
from gdsheet.commands.recalc import recalc
start = time.perf_counter()
report = recalc(sys.argv[1], check=True)
print(json.dumps({"seconds": time.perf_counter() - start, "cells": report.cells, "native": report.native,
                  "mismatches": len(report.mismatches)}))
"""

_FORMULAS = """
import json, os, sys, time, warnings, contextlib, io
os.environ["TQDM_DISABLE"] = "1"
import formulas
start = time.perf_counter()
with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
    warnings.simplefilter("ignore")
    model = formulas.ExcelModel().loads(sys.argv[1]).finish()
    model.calculate()
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def _python(code: str, book: Path, timeout: float = 900) -> dict[str, object]:
    try:
        done = subprocess.run([sys.executable, "-c", code, str(book)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"failed": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        return {"failed": (done.stderr.strip().splitlines() or ["?"])[-1][:80]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _libreoffice(book: Path) -> dict[str, object]:
    binary = shutil.which("soffice")
    if binary is None:
        return {"failed": "soffice not installed"}
    with tempfile.TemporaryDirectory(prefix="gdsheet-bench-") as tmp:
        profile = Path(tmp) / "profile" / "user"
        profile.mkdir(parents=True)
        (profile / "registrymodifications.xcu").write_text(PROFILE)
        out = Path(tmp) / "out"
        command = [binary, f"-env:UserInstallation=file://{Path(tmp) / 'profile'}", "--headless", "--calc",
                   "--convert-to", "xlsx", "--outdir", str(out), str(book)]  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        seconds = time.perf_counter() - start
    return {"seconds": seconds} if done.returncode == 0 else {"failed": done.stderr.strip()[:80]}


def _fmt(result: dict[str, object]) -> str:
    return f"{result['seconds']:8.2f} s" if "seconds" in result else f"  failed ({result['failed']})"


def main(books: list[Path]) -> None:
    print(f"{'workbook':24} {'cells':>7} {'native':>7} {'differ':>6}  {'compiled':>10}  {'formulas':>10} "
          f"{'ratio':>8}  {'LibreOffice':>11} {'ratio':>8}")  # fmt: skip
    for book in books:
        compiled, reference, office = _python(_COMPILED, book), _python(_FORMULAS, book), _libreoffice(book)
        if "seconds" not in compiled:
            print(f"{book.name:24} compiled engine {_fmt(compiled)}")
            continue
        share = f"{100 * compiled['native'] / max(compiled['cells'], 1):.0f}%"
        ratios = [
            f"{r['seconds'] / compiled['seconds']:7.1f}x" if "seconds" in r else "      -" for r in (reference, office)
        ]
        print(f"{book.name:24} {compiled['cells']:>7,} {share:>7} {compiled['mismatches']:>6}  {_fmt(compiled):>10}  "
              f"{_fmt(reference):>10} {ratios[0]:>8}  {_fmt(office):>11} {ratios[1]:>8}")  # fmt: skip


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or sorted((ROOT / "tests" / "data" / "fastai").glob("*.xls*")))
