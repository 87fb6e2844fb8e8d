"""The command line's manners: --version, help with defaults, one rule for epochs everywhere
(with a ceiling), a MemoryError as one line and exit 75, and the top-level Python API."""

from __future__ import annotations

import logging
from pathlib import Path

import openpyxl
import pytest

import gdsheet
from gdsheet.cli import EXIT_OUT_OF_MEMORY, main
from gdsheet.commands.build import build
from gdsheet.engine.evaluator import defined_areas
from gdsheet.errors import GdsheetError

EPOCHS_RULE = "epochs must be a whole number from 1 to 1,000,000"


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"gdsheet {gdsheet.__version__}"


@pytest.mark.parametrize("command", ["build", "templates", "run", "reset", "check", "demo"])
def test_every_subcommand_has_a_description(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[lines.index("") + 1].strip()  # the one-line description under the usage
    if command == "build":
        text = " ".join(" ".join(lines).split())
        assert "or a path to a .toml file (default: corrected)" in text
        assert "(1 to 1,000,000; default: the preset's)" in text


def test_the_top_level_api(tmp_path: Path) -> None:
    path = gdsheet.build(tmp_path / "lesson.xlsx", epochs=2)
    assert [r["epoch"] for r in gdsheet.run(path)] == [1, 2]
    gdsheet.reset(path)
    report = gdsheet.check(path)
    assert report.ok and report.cells > 0


@pytest.mark.parametrize("epochs", ["0", "1000001", "-3"])
def test_one_epochs_rule_for_build_and_run(tmp_path: Path, epochs: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(tmp_path / "a.xlsx"), "--epochs", epochs]) == 2
    build_err = one_line_error(capsys)
    path = build(tmp_path / "lesson.xlsx")
    before = path.read_bytes()
    assert main(["run", str(path), "--epochs", epochs]) == 2
    run_err = one_line_error(capsys)
    assert f"{EPOCHS_RULE}, got {epochs}" in build_err and f"{EPOCHS_RULE}, got {epochs}" in run_err
    assert path.read_bytes() == before


@pytest.mark.parametrize("value", [1e300, 2.5, 0])
def test_the_epochs_cell_has_the_same_rule(tmp_path: Path, value: float, capsys: pytest.CaptureFixture[str]) -> None:
    path = build(tmp_path / "lesson.xlsx")
    book = openpyxl.load_workbook(path)
    area = defined_areas(book)["epochs"]
    book[area.sheet].cell(area.min_row, area.min_col).value = value
    book.save(path)
    before = path.read_bytes()
    assert main(["run", str(path)]) == 3
    err = one_line_error(capsys)
    assert "the epochs cell" in err and EPOCHS_RULE in err
    assert path.read_bytes() == before


def test_memory_error_is_one_line_and_exit_75(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("gdsheet.commands.build.write_lesson", exhausted)
    assert main(["build", "x.xlsx"]) == EXIT_OUT_OF_MEMORY == 75
    err = capfd.readouterr().err
    assert err == "gdsheet: error: out of memory (exit 75); the input is too large for this machine\n"


def test_memory_error_while_reporting_another_error(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    class Unprintable(GdsheetError):
        def __str__(self) -> str:
            raise MemoryError

    def fail(*args: object, **kwargs: object) -> None:
        raise Unprintable

    monkeypatch.setattr("gdsheet.commands.build.write_lesson", fail)
    assert main(["build", "x.xlsx"]) == 75
    assert len(capfd.readouterr().err.splitlines()) == 1


@pytest.mark.parametrize("formula", ["=FOO(1)+1", "=IFERROR(QUOTIENT(7,2),1)"])
def test_no_library_traceback_or_dispatch_log_reaches_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, formula: str
) -> None:
    # `formulas` (through schedula) logs a function it cannot dispatch with its whole traceback;
    # outside pytest (whose own handlers catch it) no handler exists and Python prints it to stderr
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    path = build(tmp_path / "lesson.xlsx", live_epochs=0)
    book = openpyxl.load_workbook(path)
    book["Lesson"]["AZ1"] = formula
    book.save(path)
    capfd.readouterr()
    for command in (["run"], ["reset"], ["check"], ["run", "--verbose"], ["check", "--verbose"]):
        main([command[0], str(path), *command[1:]])
        err = capfd.readouterr().err
        assert "Traceback" not in err and "DISPATCHING" not in err and len(err.splitlines()) <= 1, (command, err)


def test_no_arguments_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: gdsheet") and "build" in out and "check" in out


def test_build_help_shows_every_options_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    text = capsys.readouterr().out
    options = text[text.index("options:") : text.index("exit codes") if "exit codes" in text else None]
    blocks = [" ".join(block.split()) for block in options.split("\n  --")[1:]]
    assert len(blocks) >= 15
    assert [block for block in blocks if "default" not in block] == []


def test_a_hyper_parameter_the_optimizer_does_not_use_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lesson.xlsx"
    assert main(["build", str(out), "--momentum", "0.5"]) == 2
    assert "--momentum" in one_line_error(capsys) and not out.exists()
    assert main(["build", str(out), "--optimizer", "adam", "--beta1", "0.8", "--alpha", "0.9"]) == 2
    assert "--alpha" in one_line_error(capsys) and not out.exists()
    assert main(["build", str(out), "--optimizer", "momentum", "--momentum", "0.5"]) == 0


def test_a_diverging_rate_is_one_warning_naming_the_epoch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gdsheet.commands.build import make_lesson
    from gdsheet.reference.oracle import diverges_at

    epoch = diverges_at(make_lesson(learn=0.01), 100)  # the reference says where
    assert epoch is not None
    assert main(["build", str(tmp_path / "fast.xlsx"), "--learn", "0.01"]) == 0
    assert one_line_error(capsys) == (
        f"gdsheet: warning: with learn 0.01 the loss overflows at epoch {epoch}"
        " (the reference, from the start values)\n"
    )
    assert main(["build", str(tmp_path / "slow.xlsx")]) == 0
    assert capsys.readouterr().err == ""
