"""Hostile XML text in a part the patcher rewrites: an over-long attribute, a comment crafted
to make a pattern backtrack. Each gets exit 3 and one line, in bounded time and memory (a child
process with an address-space limit and a timeout as a hang guard), and leaves no lock or
temporary file. The same run on the untouched lesson succeeds, so the refusal is the text's."""

from __future__ import annotations

import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gdsheet.commands.build import build
from gdsheet.xlsx.xmltext import MAX_TOKEN

SHEET = "xl/worksheets/sheet1.xml"


def _with_sheet_text(path: Path, edit: object) -> Path:
    """A copy of the lesson whose first worksheet's XML text is ``edit(text)``."""
    out = path.with_name("hostile.xlsx")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == SHEET:
                data = edit(data.decode("utf-8")).encode("utf-8")  # type: ignore[operator]
            zout.writestr(info.filename, data)
    return out


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def _run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gdsheet", "run", str(path), "--epochs", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limited,
        check=False,
    )


def _over_long_attribute(text: str) -> str:
    at = text.index("<sheetData>") + len("<sheetData>")
    row = text.index("<row ", at)
    return text[:row] + f'<row r="1" spans="{"9" * (MAX_TOKEN + 1)}"/>' + text[row:]


def _backtracking_comment(text: str) -> str:
    """200,000 unclosed cells in a comment: a cell pattern that scans to a distant end tag from
    each of them would take quadratic time."""
    at = text.index("<sheetData>") + len("<sheetData>")
    return text[:at] + "<!-- " + '<c r="A1"><f>1' * 200_000 + " -->" + text[at:]


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        # the archive reader refuses it as the member inflates, before the patcher sees it
        (_over_long_attribute, "member xl/worksheets/sheet1.xml holds an XML token (an attribute, a tag or a text)"),
        (_backtracking_comment, "holds an XML comment inside its root element"),
    ],
)
def test_hostile_sheet_text_is_refused_in_one_line(tmp_path: Path, edit: object, says: str) -> None:
    lesson = build(tmp_path / "lesson.xlsx")
    path = _with_sheet_text(lesson, edit)
    before = path.read_bytes()
    result = _run(path)
    assert result.returncode == 3, result.stderr
    assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.xlsx", "lesson.xlsx"]  # no lock, no temp file
    assert _run(lesson).returncode == 0
