"""`gdsheet build` / `templates` from the command line: outputs, one-line errors, atomic writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gdsheet.cli import main
from tests.support.cli_inprocess import run_cli


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    """The real `python -m gdsheet`, in a subprocess (once: the entry point itself is under test)."""
    return subprocess.run([sys.executable, "-m", "gdsheet", *args], capture_output=True, text=True, check=False)


def test_templates_lists_each_preset_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["corrected", "linear", "logistic", "seed"]
    assert "(default)" in lines[0]


def test_build_writes_a_workbook(tmp_path: Path) -> None:
    out = tmp_path / "lesson.xlsx"
    result = run_module("build", str(out), "--preset", "seed", "--m-start", "2.051", "--b-start", "25.075")
    assert result.returncode == 0, result.stderr
    assert out.is_file() and result.stdout.strip() == f"wrote {out}"
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--learn", "0"], "learn must be > 0"),
        (["--learn", "nan"], "learn must be a finite number"),
        (["--epochs", "0"], "epochs must be a whole number from 1 to 1,000,000, got 0"),
        (["--m-start", "inf"], "m_start must be a finite number"),
        (["--preset", "nope"], "unknown preset 'nope'"),
        (["--gradient", "steepest"], "invalid choice"),
        (["--data", "MISSING.csv"], "no such file"),
    ],
)
def test_bad_options_fail_in_one_line_and_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "lesson.xlsx"
    result = run_cli("build", str(out), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not out.exists()


def test_bad_data_leaves_an_existing_workbook_untouched(tmp_path: Path) -> None:
    out = tmp_path / "lesson.xlsx"
    out.write_bytes(b"the user's precious file")
    data = tmp_path / "bad.csv"
    data.write_text('x,y\n1,2\n3,=HYPERLINK("http://x")\n', encoding="utf-8")
    result = run_cli("build", str(out), "--data", str(data))
    assert result.returncode == 2
    assert f"{data}:3: y" in result.stderr and "looks like a formula" in result.stderr
    assert out.read_bytes() == b"the user's precious file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "lesson.xlsx"]


def test_output_must_be_xlsx(tmp_path: Path) -> None:
    result = run_cli("build", str(tmp_path / "lesson.ods"))
    assert result.returncode == 2 and "must end in .xlsx" in result.stderr


def test_missing_output_directory(tmp_path: Path) -> None:
    result = run_cli("build", str(tmp_path / "nowhere" / "lesson.xlsx"))
    assert result.returncode == 2 and "does not exist" in result.stderr


STALLED_BUILD = """
import sys, time
import gdsheet.commands.build as build
copy = build.shutil.copyfile
def stalled(staged, tmp):  # the finished workbook is in the temporary file, then the build hangs before its rename
    copy(staged, tmp)
    print("saved", flush=True)
    time.sleep(600)
build.shutil.copyfile = stalled
from gdsheet.cli import main
main(["build", sys.argv[1], "--live-epochs", "0"])
"""


def test_a_build_killed_mid_save_leaves_a_temp_file_that_the_next_build_removes(tmp_path: Path) -> None:
    out = tmp_path / "lesson.xlsx"
    child = subprocess.Popen([sys.executable, "-c", STALLED_BUILD, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "saved\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]
    temps = list(tmp_path.glob(f".lesson.xlsx.{child.pid}.*.tmp"))
    assert len(temps) == 1 and not out.exists()  # kill -9 before the rename: the temporary file stays
    live = tmp_path / f".lesson.xlsx.{os.getppid()}.abcd1234.tmp"  # a live process's: kept
    live.write_bytes(b"")
    assert main(["build", str(out), "--live-epochs", "0"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, live.name])
