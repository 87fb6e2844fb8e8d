"""Every example runs and prints what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, out: Path) -> str:
    env = os.environ | {"PYTHONPATH": str(EXAMPLES.parent)}  # the source tree, not an older install
    result = subprocess.run([sys.executable, str(EXAMPLES / name), str(out)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_seed_lesson(tmp_path: Path) -> None:
    out = run_example("seed_lesson.py", tmp_path)
    assert "worst relative error 0" in out
    assert "epoch 3:" in out and (tmp_path / "seed.xlsx").is_file()


def test_any_workbook(tmp_path: Path) -> None:
    out = run_example("any_workbook.py", tmp_path)
    assert out.count("epoch ") == 5 and (tmp_path / "graddesc.xlsm").is_file()
