"""Presets are input: a hostile or odd .toml is one line naming the file or key (exit 2), and
preset text is always written as text, never as a live formula."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from gdsheet.cli import main
from gdsheet.lesson.spec import load_preset

SHIPPED = Path(__file__).resolve().parents[2] / "templates" / "corrected.toml"


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def preset(tmp_path: Path, replace: dict[str, str] | None = None, append: str = "") -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "mine.toml"
    path.write_text(text + append, encoding="utf-8")
    return path


def build_fails(tmp_path: Path, path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = tmp_path / "out.xlsx"
    assert main(["build", str(out), "--preset", str(path)]) == 2
    assert not out.exists()
    return one_line_error(capsys)


def test_a_binary_or_non_utf8_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "not a text file" in build_fails(tmp_path, path, capsys)
    path.write_bytes('name = "café"\n'.encode("latin-1"))
    err = build_fails(tmp_path, path, capsys)
    assert "bin.toml: not UTF-8 text (byte 0xe9" in err


def test_a_huge_or_deeply_nested_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    assert "nested too deeply" in build_fails(tmp_path, path, capsys)
    path.write_text("# " + "x" * (2 * 1024 * 1024) + "\n", encoding="utf-8")
    assert "at most 1,024 KB" in build_fails(tmp_path, path, capsys)


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({"m_actual = 2": 'm_actual = "two"'}, "line.m_actual must be a number, got text"),
        ({"learn = 0.00001": "learn = [1]"}, "descent.learn must be a number, got a list"),
        ({'loss_label = "RMSE"': "loss_label = 5"}, "rules.loss_label must be text, got a number"),
        ({'descent_title = "Walking downhill"': "descent_title = 3.5"}, "text.descent_title must be text"),
        ({"data_x = [7, 9, 28, 30, 50]": 'data_x = [7, "9"]'}, "line.data_x must be a list of numbers"),
        ({'name = "corrected"': 'name = "x"\nguess = 3', "[guess]": "[guesses]"}, "[guess] must be a table, got a"),
        ({'loss_format = "0.00"': 'loss_format = "0.0\\u0000"'}, "holds the control character"),
        ({'loss_format = "0.00"': 'loss_format = "0.0\\"x"'}, "loss_format '0.0\"x' is not a number format"),
        ({'grid_format = "0.0"': 'grid_format = "0;0;0;0;0"'}, "more than 4 sections"),
        ({'grid_format = "0.0"': f'grid_format = "{"0" * 300}"'}, "must be 1 to 255 characters"),
        ({'loss_label = "RMSE"': 'loss_label = "\\u001b]0;pwned\\u0007RMSE"'}, "rules.loss_label holds the control"),
        ({'descent_title = "Walking': 'descent_title = "\\u001b[2J Walking'}, "text.descent_title holds the control"),
        ({"summary = ": 'summary = "two\\nlines" # '}, "summary holds the control character '\\n'"),
        ({"[text]": "[text]\nextra = 7"}, "text.extra must be text"),
        ({"[grid]": "[layout]\npublished_rows = 1\n\n[grid]"}, "layout.published_rows must be true or false, got 1"),
    ],
)
def test_values_of_the_wrong_kind_name_the_key(
    tmp_path: Path, replace: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = build_fails(tmp_path, preset(tmp_path, replace), capsys)
    assert "mine.toml" in err and message in err


@pytest.mark.parametrize("columns", [16_400, 20_000])
def test_a_grid_past_column_xfd_is_refused(tmp_path: Path, columns: int, capsys: pytest.CaptureFixture[str]) -> None:
    grid = "b = [" + ", ".join(str(i) for i in range(columns)) + "]"
    path = preset(tmp_path, {"b = [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]": grid})
    err = build_fails(tmp_path, path, capsys)
    assert f"grid_b has {columns:,} values" in err and "XFD (at most 16,381)" in err


def test_prose_keeps_tabs_and_newlines(tmp_path: Path) -> None:
    path = preset(tmp_path, {"of the data block lie": "of the data\tblock lie"})
    assert "\t" in load_preset(str(path)).text["data"]


def test_preset_text_is_never_a_formula(tmp_path: Path) -> None:
    hostile = {
        'loss_label = "RMSE"': "loss_label = \"=cmd|' /C calc'!A0\"",
        "title = ": 'title = "=HYPERLINK(\\"http://example.invalid\\", \\"click\\")" # ',
        'descent_title = "Walking downhill"': 'descent_title = "@SUM(1)"',
    }
    out = tmp_path / "out.xlsx"
    assert main(["build", str(out), "--preset", str(preset(tmp_path, hostile))]) == 0
    ws = openpyxl.load_workbook(out)["Lesson"]
    texts = {c.value: c.data_type for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert texts["=cmd|' /C calc'!A0"] == "s"
    assert texts['=HYPERLINK("http://example.invalid", "click")'] == "s"
    with zipfile.ZipFile(out) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>cmd" not in sheet and "<f>HYPERLINK" not in sheet
    assert "<f>SQRT(" in sheet  # our own formulas are still formulas
    assert main(["check", str(out)]) == 0
