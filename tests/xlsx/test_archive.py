"""Hostile archives: zip bombs, forged headers, unsafe member names and entity declarations are
refused in one line (exit 3), quickly and in bounded memory, and the file is left as it was."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from gdsheet.cli import main
from gdsheet.commands.build import build
from gdsheet.errors import WorkbookError
from gdsheet.xlsx.archive import open_archive, read_member
from gdsheet.xlsx.patch import patch_workbook
from tests.support.hostile import (
    MB,
    corrupt_deflate,
    deflate64,
    encrypted,
    future_version,
    long_attribute,
    lying_bomb,
    zeros_bomb,
)


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An .xlsx of about 1 MB whose sheet inflates to 1 GB."""
    return zeros_bomb(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", 1024)


@pytest.mark.parametrize("command", ["run", "reset", "check"])
def test_a_1_gb_zip_bomb_is_refused_in_seconds(bomb: Path, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = bomb.read_bytes()
    started = time.monotonic()
    assert main([command, str(bomb)]) == 3
    assert time.monotonic() - started < 5
    err = one_line_error(capsys)
    assert "would inflate to 1,073,741,824 bytes" in err and "GDSHEET_MAX_MEMBER_MB" in err
    assert bomb.read_bytes() == before


MEASURE = """
import resource, subprocess, sys
result = subprocess.run([sys.executable, "-m", "gdsheet", "run", sys.argv[1]], capture_output=True, text=True)
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(result.returncode, peak_kb, len(result.stderr.strip().splitlines()))
"""


def test_a_zip_bomb_is_refused_in_bounded_memory(bomb: Path) -> None:
    # a fresh parent whose only child is the run, so the peak is that run's alone
    result = subprocess.run([sys.executable, "-c", MEASURE, str(bomb)], capture_output=True, text=True, check=True)
    code, peak_kb, lines = map(int, result.stdout.split())
    assert (code, lines) == (3, 1)
    assert peak_kb < 500 * 1024


def test_a_header_that_lies_about_the_size_cannot_inflate_past_it(tmp_path: Path) -> None:
    path = lying_bomb(tmp_path / "liar.xlsx", megabytes=8, declared=1000)
    with open_archive(path) as zf, pytest.raises(WorkbookError, match="is corrupt") as caught:
        read_member(zf, "xl/worksheets/sheet1.xml")
    assert "\n" not in str(caught.value)
    # with a CRC that fits the declared prefix, reading stops at the declared size all the same
    path = lying_bomb(tmp_path / "liar2.xlsx", megabytes=8, declared=1000, crc_of_declared=True)
    with open_archive(path) as zf:
        assert len(read_member(zf, "xl/worksheets/sheet1.xml")) == 1000


def test_read_member_stops_at_the_actual_size_limit(tmp_path: Path) -> None:
    path = zeros_bomb(tmp_path / "small.xlsx", 3, name="xl/media/zeros.bin")  # not XML: no token bound
    with open_archive(path) as zf:
        assert len(read_member(zf, "xl/media/zeros.bin")) == 3 * MB
        with pytest.raises(WorkbookError, match=r"inflates to more than 1 MB"):
            read_member(zf, "xl/media/zeros.bin", limit=MB)
    xml = zeros_bomb(tmp_path / "xml.xlsx", 3)  # 3 MB without a "<": one token past the 1 MB bound
    with open_archive(xml) as zf, pytest.raises(WorkbookError, match=r"an XML token .* of more than 1 MB"):
        read_member(zf, "xl/worksheets/sheet1.xml")


def make_zip(path: Path, names: list[str], size: int = 10) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.writestr(zipfile.ZipInfo(name), bytes(size))
    return path


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../../etc/cron.d/x", "a '..' component"),
        ("xl/../../x.xml", "a '..' component"),
        ("/etc/passwd", "an absolute path"),
        ("C:/Windows/x.xml", "an absolute path"),
        ("xl\\worksheets\\sheet1.xml", "a backslash"),
    ],
)
def test_unsafe_member_names_are_refused(
    tmp_path: Path, name: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_zip(tmp_path / "evil.xlsx", ["[Content_Types].xml", name])
    assert main(["run", str(path)]) == 3
    assert why in one_line_error(capsys)


def test_too_many_members_and_too_much_in_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    many = make_zip(tmp_path / "many.xlsx", [f"m{i}.xml" for i in range(5)])
    monkeypatch.setenv("GDSHEET_MAX_MEMBERS", "4")
    assert main(["check", str(many)]) == 3
    assert "5 members, more than the limit of 4" in one_line_error(capsys)
    big = make_zip(tmp_path / "big.xlsx", ["a.xml", "b.xml"], size=3 * MB)
    monkeypatch.setenv("GDSHEET_MAX_UNZIPPED_MB", "5")
    assert main(["check", str(big)]) == 3
    assert "more than 5 MB (GDSHEET_MAX_UNZIPPED_MB raises it)" in one_line_error(capsys)
    monkeypatch.setenv("GDSHEET_MAX_UNZIPPED_MB", "lots")
    assert main(["check", str(big)]) == 2
    assert "GDSHEET_MAX_UNZIPPED_MB='lots'" in one_line_error(capsys)


def test_not_a_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"\x00\x01 not a zip at all" * 100)
    assert main(["run", str(path)]) == 3
    assert "not a zip archive" in one_line_error(capsys)
    assert path.read_bytes() == b"\x00\x01 not a zip at all" * 100


def with_sheet_prolog(src: Path, dst: Path, prolog: str) -> Path:
    """A copy of ``src`` whose first sheet has ``prolog`` (a DOCTYPE) after its XML declaration."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                end = text.index("?>") + 2 if text.startswith("<?xml") else 0
                data = (text[:end] + prolog + text[end:]).encode("utf-8")
            zout.writestr(info, data)
    return dst


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "S"
    wb.active["A1"] = 1
    wb.save(tmp_path / "plain.xlsx")
    return tmp_path / "plain.xlsx"


def test_a_doctype_is_never_written_back(plain: Path, tmp_path: Path) -> None:
    src = with_sheet_prolog(
        plain, tmp_path / "doctype.xlsx", '<!DOCTYPE worksheet SYSTEM "http://example.invalid/x.dtd">'
    )
    patch_workbook(src, src, values={("S", "B1"): 2.0})
    with zipfile.ZipFile(src) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "DOCTYPE" not in sheet and "<v>2</v>" in sheet


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    ],
)
def test_entity_declarations_are_refused(plain: Path, tmp_path: Path, prolog: str) -> None:
    src = with_sheet_prolog(plain, tmp_path / "entities.xlsx", prolog)
    before = src.read_bytes()
    with pytest.raises(WorkbookError, match="declares XML entities") as caught:
        patch_workbook(src, src, values={("S", "B1"): 2.0})
    assert "\n" not in str(caught.value)
    assert src.read_bytes() == before


BOUNDED = """
import contextlib, io, json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GB of address space
resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
from gdsheet.cli import main
results = []
for command in ("check", "run", "reset"):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        results.append([command, main([command, sys.argv[1]]), err.getvalue()])
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def lesson(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("hostile") / "lesson.xlsx", live_epochs=0)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (encrypted, "refused: member xl/worksheets/sheet1.xml is encrypted"),
        (deflate64, "refused: member xl/worksheets/sheet1.xml is compressed with Deflate64"),
        (corrupt_deflate, "member xl/worksheets/sheet1.xml is corrupt (Error -3 while decompressing data"),
        (long_attribute, "member xl/worksheets/sheet1.xml holds an XML token (an attribute, a tag or a text) of more "
                         "than 1 MB (GDSHEET_MAX_XML_TOKEN_MB raises it)"),
        (future_version, "refused: the archive cannot be read (zip file version 20.7)"),
    ],
    ids=["encrypted", "deflate64", "corrupt-deflate", "200MB-attribute", "zip-version-20.7"],
)  # fmt: skip
def test_an_unreadable_member_is_exit_3_in_one_line_within_bounds(
    lesson: Path, tmp_path: Path, make: object, said: str
) -> None:
    path = make(lesson, tmp_path / "hostile.xlsx")  # type: ignore[operator]
    before, listing = path.read_bytes(), sorted(p.name for p in tmp_path.iterdir())
    child = subprocess.run(
        [sys.executable, "-c", BOUNDED, str(path)], capture_output=True, text=True, timeout=120, check=True
    )
    assert child.stderr == ""  # nothing written past Python's sys.stderr either
    for command, code, err in json.loads(child.stdout):
        assert (command, code) == (command, 3)
        assert err.count("\n") == 1 and err.startswith(f"gdsheet: error: {path}: ") and said in err, err
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no lock or temporary file left
