"""Saving respects the user's file: symlinks, read-only files, hard links, owners, office locks,
one gdsheet process at a time, and no temporary file left behind (stale ones are cleaned up)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gdsheet.cli import main
from gdsheet.commands.build import build
from gdsheet.xlsx.atomic import atomic_output
from gdsheet.xlsx.locking import workbook_lock
from tests.support.books import log_epochs


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def lesson(tmp_path: Path) -> Path:
    return build(tmp_path / "lesson.xlsx", epochs=1)


def test_a_symlink_is_written_through_and_stays_a_link(lesson: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.xlsx"
    link.symlink_to(lesson)
    assert main(["run", str(link)]) == 0
    assert link.is_symlink() and link.resolve() == lesson
    assert log_epochs(lesson) == [1]
    assert main(["reset", str(link)]) == 0
    assert link.is_symlink() and log_epochs(lesson) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.xlsx", "link.xlsx"]


@pytest.mark.parametrize("command", [["run"], ["reset"], ["run", "--force"]])
def test_a_read_only_workbook_is_refused_and_unchanged(
    lesson: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    lesson.chmod(0o444)
    before = lesson.read_bytes()
    assert main([command[0], str(lesson), *command[1:]]) == 3
    assert "is read-only" in one_line_error(capsys)
    assert lesson.read_bytes() == before and stat.S_IMODE(lesson.stat().st_mode) == 0o444


def test_build_refuses_to_replace_a_read_only_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine.xlsx"
    out.write_bytes(b"precious")
    out.chmod(0o444)
    assert main(["build", str(out)]) == 2
    assert "is read-only" in one_line_error(capsys)
    assert out.read_bytes() == b"precious"


@pytest.mark.parametrize("lock_name", [".~lock.lesson.xlsx#", "~$lesson.xlsx", "~$sson.xlsx"])
def test_an_open_workbook_is_refused_unless_forced(
    lesson: Path, lock_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (lesson.parent / lock_name).write_text("someone,host,1;", encoding="utf-8")
    before = lesson.read_bytes()
    assert main(["run", str(lesson)]) == 3
    err = one_line_error(capsys)
    assert "is open in LibreOffice or Excel" in err and "--force" in err
    assert main(["reset", str(lesson)]) == 3
    one_line_error(capsys)
    assert lesson.read_bytes() == before
    assert main(["run", str(lesson), "--force"]) == 0
    assert log_epochs(lesson) == [1]


def test_a_second_gdsheet_process_fails_at_once(lesson: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = lesson.read_bytes()
    with workbook_lock(lesson):
        assert main(["run", str(lesson)]) == 3
        assert "is being run by another gdsheet process" in one_line_error(capsys)
        assert main(["reset", str(lesson)]) == 3
        one_line_error(capsys)
    assert lesson.read_bytes() == before
    assert not (lesson.parent / ".lesson.xlsx.gdsheet-lock").exists()  # removed on release


def test_two_concurrent_runs_lose_no_epoch(lesson: Path) -> None:
    command = [sys.executable, "-m", "gdsheet", "run", str(lesson), "--epochs", "3"]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 3]), results
    for code, err in results:
        if code == 3:
            assert "is being run by another gdsheet process" in err and len(err.strip().splitlines()) == 1
    assert log_epochs(lesson) == list(range(1, 1 + 3 * codes.count(0)))


def test_stale_temporary_files_are_removed_by_the_next_run(lesson: Path) -> None:
    directory = lesson.parent
    dead = directory / ".lesson.xlsx.999999999.abcd1234.tmp"  # beyond any pid_max: no such process
    live = directory / f".lesson.xlsx.{os.getppid()}.efgh5678.tmp"
    other = directory / ".other.xlsx.999999999.abcd1234.tmp"
    for path in (dead, live, other):
        path.write_bytes(b"")
    assert main(["run", str(lesson)]) == 0
    assert not dead.exists() and live.exists() and other.exists()


def test_no_temporary_file_survives_a_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as tmp:
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_hard_links_and_permissions_are_kept(lesson: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin.xlsx"
    os.link(lesson, twin)
    lesson.chmod(0o640)
    inode = lesson.stat().st_ino
    assert main(["run", str(lesson)]) == 0
    assert lesson.stat().st_ino == inode == twin.stat().st_ino and lesson.stat().st_nlink == 2
    assert log_epochs(twin) == [1]
    assert stat.S_IMODE(lesson.stat().st_mode) == 0o640


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_the_owner_is_kept(lesson: Path) -> None:
    os.chown(lesson, 12345, 23456)
    lesson.chmod(0o664)
    assert main(["run", str(lesson)]) == 0
    st = lesson.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (12345, 23456, 0o664)
    assert log_epochs(lesson) == [1]
