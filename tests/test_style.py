"""The code stays ruff-clean (lint and format), as the house style asks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff(command: list[str]) -> None:
    ruff = shutil.which("ruff")
    runner = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    paths = ["gdsheet", "tests", "examples", "benchmarks"]
    result = subprocess.run([*runner, *command, *paths], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
