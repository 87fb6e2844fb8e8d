"""A light start and Unix manners: --version, --help and templates import neither numpy nor
`formulas`; a closed stdout (``| head``) ends quietly; a Live sheet that cannot fit is never an
internal error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gdsheet.cli import EXIT_BROKEN_PIPE
from gdsheet.commands.build import build, make_lesson
from gdsheet.writer.live import LiveLayout, live_epochs_that_fit
from tests.support.cli_inprocess import run_cli

_PROBE = """
import sys
from gdsheet.cli import main
for argv in (["--version"], ["--help"], ["templates"], ["run", "--help"]):
    try:
        main(argv)
    except SystemExit:
        pass
heavy = sorted(m for m in ("numpy", "formulas", "scipy", "openpyxl") if m in sys.modules)
print("HEAVY", ",".join(heavy), file=sys.stderr)
"""


def test_version_help_and_templates_import_no_numpy_nor_formulas() -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True)
    assert "HEAVY \n" in done.stderr, done.stderr
    assert "corrected" in done.stdout  # templates did run


_RUN_PROBE = """
import sys
from gdsheet.cli import main
main(["run", sys.argv[1]])
print("HEAVY", ",".join(sorted(m for m in ("openpyxl", "formulas", "scipy") if m in sys.modules)), file=sys.stderr)
"""


def test_a_run_imports_neither_openpyxl_nor_formulas(tmp_path: Path) -> None:
    """A run of a lesson reads and writes the file itself, and borrows only openpyxl's formula
    tokenizer (gdsheet/engine/tokens.py), not the ~0.1 s import of the rest of openpyxl."""
    path = build(tmp_path / "lesson.xlsx")
    done = subprocess.run(
        [sys.executable, "-c", _RUN_PROBE, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    assert "HEAVY \n" in done.stderr, done.stderr
    assert "rmse" in done.stdout  # the epoch did run


def test_the_tokenizer_is_openpyxls_own() -> None:
    """The tokens the engine parses are the ones openpyxl's package gives, token by token."""
    from openpyxl.formula.tokenizer import Tokenizer as Openpyxl

    from gdsheet.engine.tokens import Tokenizer

    for text in ("=SUM(A1:B2)*-2^3", '=IF(A1<>"a b",{1,2;3,4},#N/A)', "=Sheet1!$A$1:A1 + 'x y'!B2%"):
        ours = [(t.value, t.type, t.subtype) for t in Tokenizer(text).items]
        theirs = [(t.value, t.type, t.subtype) for t in Openpyxl(text).items]
        assert ours == theirs and len(ours) > 3


def test_a_closed_stdout_ends_quietly(tmp_path: Path) -> None:
    path = build(tmp_path / "lesson.xlsx", epochs=3)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gdsheet", "run", str(path), "--epochs", "400"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # `| head -0`: the reader is gone before the table is printed
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == EXIT_BROKEN_PIPE
    assert err == ""
    assert run_cli("check", str(path)).returncode == 0  # the run was saved before the printing


def test_the_live_epochs_that_fit_fill_the_sheet_exactly() -> None:
    for samples in (1, 20, 99_999, 100_000, 1_000_000):
        fits = live_epochs_that_fit(samples)
        assert LiveLayout(fits, samples).table_last <= 1_048_576 < LiveLayout(fits + 1, samples).table_last


def test_an_explicit_live_epochs_that_does_not_fit_is_one_line(tmp_path: Path) -> None:
    done = run_cli("build", str(tmp_path / "big.xlsx"), "--samples", "100000", "--live-epochs", "11")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--live-epochs 11" in done.stderr and "at most 10" in done.stderr
    assert not (tmp_path / "big.xlsx").exists()


def test_a_default_live_epochs_that_does_not_fit_is_lowered(capsys: pytest.CaptureFixture[str]) -> None:
    lesson = make_lesson(samples=100_000)
    assert lesson.live_epochs == 10
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "10 live epoch(s) instead of the preset's 20" in err
