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
    folder = tmp_path / "out" / "new"  # as on a fresh clone: the script makes its output folder
    out = run_example("seed_lesson.py", folder)
    assert "worst relative error 0" in out
    assert "epoch 3:" in out and (folder / "seed.xlsx").is_file()


def test_any_workbook(tmp_path: Path) -> None:
    out = run_example("any_workbook.py", tmp_path)
    assert out.count("epoch ") == 5 and (tmp_path / "graddesc.xlsm").is_file()


def test_every_example_has_a_test() -> None:
    tested = {"seed_lesson.py", "any_workbook.py", "optimizers.py", "live_epochs.py", "noisy_data.py", "real_data.py"}
    assert {path.name for path in EXAMPLES.glob("*.py")} == tested


def test_optimizers(tmp_path: Path) -> None:
    out = run_example("optimizers.py", tmp_path)
    for name in ("sgd", "momentum", "rmsprop", "adam"):
        assert f"{name}: " in out and (tmp_path / f"{name}.xlsx").is_file()
    assert out.count("(ok: True)") == 4


def test_live_epochs(tmp_path: Path) -> None:
    out = run_example("live_epochs.py", tmp_path)
    assert "live epoch 16:" in out and (tmp_path / "live.xlsx").is_file()


def test_noisy_data(tmp_path: Path) -> None:
    out = run_example("noisy_data.py", tmp_path)
    assert "worst relative error 0" in out and "epoch 4:" in out


def test_real_data(tmp_path: Path) -> None:
    out = run_example("real_data.py", tmp_path)
    assert "least squares: m = 0.500, b = 3.000" in out and "after 200 epochs: m = 0.50" in out
