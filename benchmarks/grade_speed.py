"""`gdsheet grade` of a whole class: wall time and peak memory, one job against two.

    python benchmarks/grade_speed.py [STUDENTS] [--keep DIR]      # default: 200 students

Makes a class with `gdsheet assign` (the default lesson, de/dm and new_m left blank, 20 live
epochs), fills every workbook in with openpyxl as a student would (three in four right, one in
four with de/dm missing its factor 2, so that grading has to judge each column on its own),
then runs ``python -m gdsheet grade ... --json`` as a separate process with ``--jobs 1`` and
``--jobs 2`` and prints each one's wall time, wall and CPU time per workbook (CPU: all its
processes, user + system) and peak resident memory (the largest process: the grader or one of its
per-file children), and the ratio of the two wall times. The
grades are checked on the way: every right workbook has full marks, every wrong one loses
exactly de/dm's points. Machines are shared and noisy: read the ratio.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _fill(source: Path, target: Path, factor: str) -> None:
    from gdsheet.engine.evaluator import Evaluator

    ev = Evaluator(source)
    wb = openpyxl.load_workbook(source)
    for name in ("descent", "live_descent"):
        area = ev.area(name)
        ws = wb[area.sheet]
        letter = {k: get_column_letter(area.min_col + i) for k, i in (("x", 0), ("y", 1), ("m", 2), ("p", 4), ("d", 7))}
        for row in range(area.min_row, area.max_row + 1):
            ws[f"{letter['d']}{row}"] = f"={factor}{letter['x']}{row}*({letter['p']}{row}-{letter['y']}{row})"
            ws[f"{get_column_letter(area.min_col + 8)}{row}"] = f"={letter['m']}{row}-learn*{letter['d']}{row}"
    wb.save(target)


def prepare(root: Path, students: int) -> tuple[Path, list[Path], set[str]]:
    """The assignment, the filled-in workbooks and the ids of the wrong ones (made once per DIR)."""
    from gdsheet.commands.assign import assign

    toml, submitted = root / "hw" / "assignment.toml", root / "submitted"
    wrong = {f"s{k:03d}" for k in range(students) if k % 4 == 3}
    if not toml.is_file():
        roster = root / "class.csv"
        roster.write_text("id,name\n" + "".join(f"s{k:03d},Student {k}\n" for k in range(students)), encoding="utf-8")
        start = time.perf_counter()
        assign(roster, root / "hw", blank="de/dm,new_m", seed=1)
        print(f"assign {students} students       {time.perf_counter() - start:8.1f} s (once)")
    submitted.mkdir(exist_ok=True)
    files = []
    for k in range(students):
        sid = f"s{k:03d}"
        target = submitted / f"{sid}.xlsx"
        if not target.is_file():
            _fill(root / "hw" / f"{sid}.xlsx", target, "" if sid in wrong else "2*")
        files.append(target)
    return toml, files, wrong


def grade_once(toml: Path, files: list[Path], jobs: int) -> tuple[float, float, float, list[dict[str, object]]]:
    """Wall seconds, peak MB of the largest process, CPU seconds of all its processes, and the
    records of one `gdsheet grade`."""
    command = [sys.executable, "-m", "gdsheet", "grade", str(toml), *map(str, files), "--json", "--jobs", str(jobs)]
    # a fresh parent per measurement, so the peak is this run's own (RUSAGE_CHILDREN only grows)
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "out = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True).stdout; "
        "r = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(time.perf_counter() - t, r.ru_maxrss, r.ru_utime + r.ru_stime); print(out)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True, cwd=ROOT
    )
    head, _, body = result.stdout.partition("\n")
    wall, peak_kb, cpu = head.split()
    return float(wall), float(peak_kb) / 1024, float(cpu), json.loads(body)["students"]


def main(argv: list[str]) -> None:
    students = int(argv[0]) if argv and argv[0].isdigit() else 200
    keep = Path(argv[argv.index("--keep") + 1]) if "--keep" in argv else None
    with tempfile.TemporaryDirectory(prefix="gdsheet-grade-") as tmp:
        root = keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        toml, files, wrong = prepare(root, students)
        walls = {}
        for jobs in (1, 2):
            wall, peak, cpu, records = grade_once(toml, files, jobs)
            for record in records:
                lost = float(record["max"]) - float(record["score"])  # type: ignore[arg-type]
                assert record["status"] == "graded" and lost == (10.0 if record["id"] in wrong else 0.0), record
            walls[jobs] = wall
            print(
                f"grade {students} workbooks --jobs {jobs}  {wall:8.1f} s  {1000 * wall / students:6.0f} ms/workbook"
                f"   cpu {1000 * cpu / students:5.0f} ms/workbook   peak {peak:5.0f} MB (largest process)"
            )
        print(f"--jobs 2 / --jobs 1 wall time: {walls[2] / walls[1]:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
