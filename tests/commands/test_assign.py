"""`gdsheet assign`: a roster becomes one workbook per student, each with samples of its own."""

from __future__ import annotations

import re
import tomllib
import zipfile
from pathlib import Path

import pytest

import gdsheet
from gdsheet.commands.assign import read_assignment
from gdsheet.commands.check import check_workbook
from gdsheet.engine.evaluator import Evaluator
from gdsheet.lesson.roster import Student
from gdsheet.limits import MAX_ROSTER_BYTES
from tests.support.cli_inprocess import run_cli

ROSTER = 'id,name\nada,Ada Lovelace\nbob,=HYPERLINK("http://evil";"x")\ncy-3,Cy\n'


def _roster(tmp_path: Path, text: str = ROSTER) -> Path:
    path = tmp_path / "class.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A class without blank columns: every workbook is a complete lesson."""
    root = tmp_path_factory.mktemp("plain")
    out = root / "hw"
    result = run_cli("assign", str(_roster(root)), "--out", str(out), "--seed", "5", "--live-epochs", "1")
    assert result.returncode == 0, result.stderr
    return out


def _samples(path: Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
    ev = Evaluator(path)
    return ev.numbers("descent_x"), ev.numbers("descent_y")


def test_every_student_gets_a_workbook_that_passes_check(plain: Path) -> None:
    assert sorted(p.name for p in plain.iterdir()) == ["ada.xlsx", "assignment.toml", "bob.xlsx", "cy-3.xlsx"]
    for student in ("ada", "bob", "cy-3"):
        report = check_workbook(plain / f"{student}.xlsx")  # every formula against the numpy reference
        assert report.ok and report.cells > 400, report.mismatches[:3]


def test_samples_are_each_students_own_and_as_the_assignment_says(plain: Path) -> None:
    assignment = read_assignment(plain / "assignment.toml")
    pairs = {}
    for student in ("ada", "bob", "cy-3"):
        x, y = _samples(plain / f"{student}.xlsx")
        lesson = assignment.lesson_of(student)
        assert (x, y) == (lesson.descent_x, lesson.descent_y)
        assert len(x) == 20 and list(x) == sorted(x) and 7 <= min(x) and max(x) <= 50
        pairs[student] = set(zip(x, y, strict=True))
    assert not pairs["ada"] & pairs["bob"] and not pairs["ada"] & pairs["cy-3"] and not pairs["bob"] & pairs["cy-3"]


def test_the_same_roster_and_seed_give_the_same_samples(plain: Path, tmp_path: Path) -> None:
    again = gdsheet.assign(_roster(tmp_path), tmp_path / "again", seed=5, live_epochs=1)
    assert [s.id for s in again.students] == ["ada", "bob", "cy-3"]
    assert _samples(tmp_path / "again" / "bob.xlsx") == _samples(plain / "bob.xlsx")
    other = gdsheet.assign([Student("bob", "Bob")], tmp_path / "other", seed=6, live_epochs=1)
    assert other.lesson_of("bob").descent_x != read_assignment(plain / "assignment.toml").lesson_of("bob").descent_x


def test_id_and_name_are_shown_and_named_and_a_name_never_becomes_a_formula(plain: Path) -> None:
    ev = Evaluator(plain / "bob.xlsx")
    area = ev.area("student_id")
    assert ev.stored(area.sheet, area.min_col, area.min_row) == "bob"
    name = ev.area("student_name")
    assert ev.stored(name.sheet, name.min_col, name.min_row) == '=HYPERLINK("http://evil";"x")'
    assert not ev.is_formula(name.sheet, name.min_col, name.min_row)
    with zipfile.ZipFile(plain / "bob.xlsx") as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="D2"[^>]*t="inlineStr"><is><t>=HYPERLINK', sheet)  # a string, not an <f>


def test_assignment_file_records_options_and_no_sample(plain: Path) -> None:
    text = (plain / "assignment.toml").read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    assert doc["assignment"]["seed"] == 5 and doc["assignment"]["blank"] == []
    assert doc["lesson"] == {"live_epochs": 1}
    assert [s["id"] for s in doc["students"]] == ["ada", "bob", "cy-3"]
    assert doc["points"]["inputs"] == 1.0 and doc["points"]["descent"] == 1.0
    x, y = _samples(plain / "ada.xlsx")
    assert all(repr(value) not in text for value in (*x[:5], *y[:5]))


def test_blank_columns_are_empty_on_both_sheets_with_header_hint_and_task(tmp_path: Path) -> None:
    result = run_cli("assign", str(_roster(tmp_path)), "--out", str(tmp_path / "hw"), "--blank", "de/dm, new_m")
    assert result.returncode == 0, result.stderr
    ev = Evaluator(tmp_path / "hw" / "ada.xlsx")
    for name in ("descent", "live_descent"):
        area = ev.area(name)
        for column in (area.min_col + 7, area.min_col + 8):
            rows = range(area.min_row, area.max_row + 1)
            assert all(
                not ev.is_formula(area.sheet, column, r) and ev.stored(area.sheet, column, r) is None for r in rows
            )
        assert ev.is_formula(area.sheet, area.min_col + 10, area.min_row)  # de/db is still the lesson's
    table = ev.area("descent")
    assert ev.stored("Lesson", table.min_col + 7, table.min_row - 1) == "de/dm"
    assert ev.stored("Lesson", table.min_col + 7, table.min_row - 2) == "2x(mx+b-y)"
    task = str(ev.stored("Lesson", 1, table.min_row))
    assert task.startswith("Your task") and "de/dm (J" in task and "new_m (K" in task
    assert "Your task here too" in str(ev.stored("Live", 1, 3))
    points = read_assignment(tmp_path / "hw" / "assignment.toml").points
    assert points["de/dm"] == points["new_m"] == 10.0 and "next_m" not in points  # next_m is new_m's last cell


@pytest.mark.parametrize(
    ("roster", "message"),
    [
        ("name,id\nada,Ada\n", "the header must be 'id,name'"),
        ("id,name\n", "lists no students"),
        ("", "the header must be 'id,name'"),
        ("id,name\nada x,Ada\n", "id 'ada x' must be 1 to 64 letters"),
        ("id,name\n../ada,Ada\n", "id '../ada' must be"),
        ("id,name\nAda,A\nada,B\n", "the id 'ada' appears twice"),
        ("id,name\nada,\n", "has no name"),
        ("id,name\nada,Ada,extra\n", "expected 2 values"),
        ("id,name\nada,A\x07da\n", "control character"),
    ],
)
def test_a_bad_roster_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, roster: str, message: str) -> None:
    out = tmp_path / "hw"
    result = run_cli("assign", str(_roster(tmp_path, roster)), "--out", str(out))
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


def test_an_oversized_roster_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "class.csv"
    path.write_bytes(b"id,name\n" + b"a," + b"x" * MAX_ROSTER_BYTES + b"\n")
    result = run_cli("assign", str(path), "--out", str(tmp_path / "hw"))
    assert result.returncode == 2 and "larger than 1 MB" in result.stderr


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--blank", "de/dx"], "no column 'de/dx' to leave empty"),
        (["--blank", "x"], "no column 'x' to leave empty"),
        (["--data", "samples.csv"], "--data cannot be used"),
        (["--noise", "0"], "--noise must be a number > 0"),
        (["--m-start", "1e300"], "--m-start 1e+300 makes the lesson overflow"),
    ],
)
def test_a_bad_option_is_one_line_exit_2(tmp_path: Path, option: list[str], message: str) -> None:
    result = run_cli("assign", str(_roster(tmp_path)), "--out", str(tmp_path / "hw"), *option)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "hw").exists()
