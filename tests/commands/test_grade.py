"""`gdsheet grade` on a simulated class whose workbooks real LibreOffice saved last.

Each student's workbook is the one `gdsheet assign` wrote, filled in with openpyxl the way a
student would (the blank columns de/dm and new_m, on the Lesson and Live sheets), then opened
and saved by LibreOffice in one batch, so the graded files are LibreOffice's. The expected
grades come from the numpy reference: the typed numbers are the reference's own values, the
formulas that cheat are right at the assigned inputs (the reference says so) and wrong elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

import gdsheet
from gdsheet.commands import grade as grade_module
from gdsheet.commands.assign import read_assignment
from gdsheet.commands.grade import grade_files, perturbed
from gdsheet.engine.evaluator import Evaluator
from gdsheet.reference.oracle import lesson_values
from gdsheet.xlsx.ranges import a1
from tests.support.cli_inprocess import run_cli
from tests.support.hostile import zeros_bomb
from tests.support.libreoffice import resave_many

pytestmark = pytest.mark.libreoffice

STUDENTS = {
    "ada": "Ada Lovelace",
    "bob": "Bob Typed",
    "cy": "Cy Half",
    "dee": "Dee Plus-Zero",
    "fay": "Fay If",
    "eve": "Eve Copy",
    "gus": "Gus",
}
BLANK = ("de/dm", "new_m")
DM, NEW_M = 7, 8  # their positions among the descent columns


def _fill(source: Path, target: Path, de_dm: object, student_id: str | None = None, new_m: object = None) -> None:
    """Write the blank columns as a student would: ``de_dm(area, k, cells) -> formula or number``;
    new_m is right (=m-learn*de/dm) unless ``new_m`` says otherwise, so a wrong de/dm must not
    cost new_m's points."""
    ev = Evaluator(source)
    wb = openpyxl.load_workbook(source)
    for name in ("descent", "live_descent"):
        area = ev.area(name)
        ws = wb[area.sheet]
        for k, row in enumerate(range(area.min_row, area.max_row + 1)):
            cell = {
                key: f"{get_column_letter(area.min_col + i)}{row}"
                for key, i in (("x", 0), ("y", 1), ("m", 2), ("p", 4))
            }
            dm = f"{get_column_letter(area.min_col + DM)}{row}"
            ws[dm] = de_dm(name, k, cell)  # type: ignore[operator]
            own = new_m(name, k, cell) if new_m else f"={cell['m']}-learn*{dm}"  # type: ignore[operator]
            ws[f"{get_column_letter(area.min_col + NEW_M)}{row}"] = own
    if student_id is not None:
        wb["Lesson"]["C2"] = student_id
    wb.save(target)


@pytest.fixture(scope="module")
def klass(need_soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Assign, fill in, re-save in LibreOffice, add broken files, grade all (two jobs) once."""
    root = tmp_path_factory.mktemp("klass")
    roster = root / "class.csv"
    roster.write_text("id,name\n" + "".join(f"{i},{n}\n" for i, n in STUDENTS.items()), encoding="utf-8")
    hw = root / "hw"
    assert run_cli("assign", str(roster), "--out", str(hw), "--blank", ",".join(BLANK), "--seed", "11",
                   "--live-epochs", "2").returncode == 0  # fmt: skip
    assignment = read_assignment(hw / "assignment.toml")
    filled = root / "filled"
    filled.mkdir()

    def reference(student: str) -> dict[str, object]:
        values = lesson_values(assignment.lesson_of(student))

        def column(name: str) -> dict[str, list[float]]:
            return {"descent": values.descent.column(name).tolist(), "live_descent": values.live.column(name).tolist()}

        return column("de/dm") | {"new_m": column("new_m")}

    right = "=2*{x}*({p}-{y})"
    _fill(hw / "ada.xlsx", filled / "ada.xlsx", lambda n, k, c: right.format(**c))
    typed = reference("bob")
    _fill(hw / "bob.xlsx", filled / "bob.xlsx", lambda n, k, c: typed[n][k], new_m=lambda n, k, c: typed["new_m"][n][k])
    _fill(hw / "cy.xlsx", filled / "cy.xlsx", lambda n, k, c: "={x}*({p}-{y})".format(**c))  # no factor 2
    plus_zero = reference("dee")
    _fill(hw / "dee.xlsx", filled / "dee.xlsx", lambda n, k, c: f"={plus_zero[n][k]!r}+0*{c['x']}")
    learn = assignment.lesson_of("fay").learn
    _fill(
        hw / "fay.xlsx",
        filled / "fay.xlsx",
        lambda n, k, c: f"=IF(learn={learn!r},2*{c['x']}*({c['p']}-{c['y']}),-311)",
    )
    _fill(hw / "ada.xlsx", filled / "eve.xlsx", lambda n, k, c: right.format(**c), student_id="eve")  # ada's, renamed
    _fill(hw / "gus.xlsx", filled / "gus.xlsx", lambda n, k, c: right.format(**c), student_id="zed")
    submitted = resave_many(sorted(filled.glob("*.xlsx")), root / "submitted")
    truncated = root / "submitted" / "truncated.xlsx"
    data = submitted[0].read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    bomb = zeros_bomb(root / "submitted" / "bomb.xlsx", 1024)
    files = [*submitted, truncated, bomb]
    out_csv, out_html = root / "grades.csv", root / "report.html"
    result = run_cli("grade", str(hw / "assignment.toml"), *map(str, files), "--json", "--jobs", "2",
                     "--csv", str(out_csv), "--html", str(out_html))  # fmt: skip
    assert result.returncode == 0, result.stderr

    def constant(text: str) -> None:
        raise ValueError(f"not strict JSON: {text}")

    records = json.loads(result.stdout, parse_constant=constant)["students"]
    first = Evaluator(hw / "ada.xlsx").area("descent")
    return {
        "hw": hw,
        "assignment": assignment,
        "files": files,
        "records": {Path(r["file"]).stem: r for r in records},
        "order": [Path(r["file"]).stem for r in records],
        "csv": out_csv,
        "html": out_html,
        "J": f"Lesson!{a1(first.min_col + DM, first.min_row)}",
        "K": f"Lesson!{a1(first.min_col + NEW_M, first.min_row)}",
    }


def _items(record: dict[str, object]) -> dict[str, dict[str, object]]:
    return {item["name"]: item for item in record["items"]}  # type: ignore[attr-defined, index]


def _full(klass: dict[str, object]) -> float:
    return float(sum(read_assignment(Path(klass["hw"]) / "assignment.toml").points.values()))  # type: ignore[arg-type]


def test_the_batch_grades_every_file_in_order(klass: dict[str, object]) -> None:
    assert klass["order"] == [Path(f).stem for f in klass["files"]]  # type: ignore[attr-defined]


def test_a_correct_student_gets_full_marks(klass: dict[str, object]) -> None:
    record = klass["records"]["ada"]  # type: ignore[index]
    assert (record["status"], record["id"], record["name"]) == ("graded", "ada", "Ada Lovelace")
    assert record["score"] == record["max"] == _full(klass) == 37.0
    assert all(item["first_wrong_cell"] is None and item["points"] == item["max"] for item in record["items"])


def test_typed_numbers_score_nothing_and_are_named(klass: dict[str, object]) -> None:
    record = klass["records"]["bob"]  # type: ignore[index]
    items = _items(record)
    assert record["status"] == "graded" and record["score"] == _full(klass) - 20
    assert items["de/dm"]["points"] == 0 and items["de/dm"]["first_wrong_cell"] == klass["J"]
    assert "holds the constant" in items["de/dm"]["message"] and "where a formula belongs" in items["de/dm"]["message"]
    assert items["new_m"]["points"] == 0 and items["new_m"]["first_wrong_cell"] == klass["K"]


def test_a_wrong_derivative_costs_its_own_column_only(klass: dict[str, object]) -> None:
    record = klass["records"]["cy"]  # type: ignore[index]
    items = _items(record)
    assert record["score"] == _full(klass) - 10
    assert items["de/dm"]["points"] == 0 and items["de/dm"]["first_wrong_cell"] == klass["J"]
    want = float(lesson_values(klass["assignment"].lesson_of("cy")).descent.column("de/dm")[0])  # type: ignore[attr-defined]
    assert f"want {want!r}" in items["de/dm"]["message"] and f"got {want / 2!r}" in items["de/dm"]["message"]
    assert items["new_m"]["points"] == 10 and items["new_m"]["first_wrong_cell"] is None
    assert all(item["points"] == item["max"] for name, item in items.items() if name != "de/dm")


@pytest.mark.parametrize("student", ["dee", "fay"])
def test_a_formula_right_only_at_todays_inputs_fails_under_changed_inputs(
    klass: dict[str, object], student: str
) -> None:
    record = klass["records"][student]  # type: ignore[index]
    item = _items(record)["de/dm"]
    assert record["score"] == _full(klass) - 10
    assert item["points"] == 0 and item["first_wrong_cell"] == klass["J"]
    assert "changed inputs 1" in item["message"] and "right with the assigned inputs" in item["message"]
    assert _items(record)["new_m"]["points"] == 10


def test_a_copied_workbook_names_whose_it_is(klass: dict[str, object]) -> None:
    record = klass["records"]["eve"]  # type: ignore[index]
    assert (record["status"], record["id"], record["score"]) == ("other-students-inputs", "eve", 0.0)
    assert "assigned to ada (Ada Lovelace)" in record["message"]


def test_an_id_not_on_the_roster(klass: dict[str, object]) -> None:
    record = klass["records"]["gus"]  # type: ignore[index]
    assert record["status"] == "unknown-id" and "'zed'" in record["message"]


def test_a_truncated_file_and_a_zip_bomb_are_one_row_each(klass: dict[str, object]) -> None:
    truncated, bomb = klass["records"]["truncated"], klass["records"]["bomb"]  # type: ignore[index]
    assert truncated["status"] == bomb["status"] == "unreadable"
    assert "truncated or corrupt" in truncated["message"]
    assert "inflates to more than" in bomb["message"] or "more than the limit" in bomb["message"]


def test_csv_is_one_gradebook_row_per_file(klass: dict[str, object]) -> None:
    import csv

    rows = list(csv.DictReader(Path(klass["csv"]).open(encoding="utf-8")))  # type: ignore[arg-type]
    assert [Path(row["file"]).stem for row in rows] == klass["order"]
    by_id = {row["id"]: row for row in rows if row["id"]}
    assert by_id["cy"]["de/dm"] == "0.0" and by_id["cy"]["new_m"] == "10.0" and by_id["cy"]["score"] == "27.0"


def test_html_has_a_section_per_file_and_escapes_text(klass: dict[str, object]) -> None:
    page = Path(klass["html"]).read_text(encoding="utf-8")  # type: ignore[arg-type]
    assert page.count("<section") == len(klass["files"])  # type: ignore[arg-type]
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")
    assert klass["J"] in page and "Dee Plus-Zero" in page


def test_python_api_returns_the_same_records(klass: dict[str, object]) -> None:
    cy = klass["files"][2]  # type: ignore[index]
    assert Path(cy).stem == "cy"
    records = gdsheet.grade(Path(klass["hw"]) / "assignment.toml", [cy])  # type: ignore[arg-type]
    assert records == [klass["records"]["cy"]]  # type: ignore[index]


def test_each_file_is_bounded_in_time(klass: dict[str, object]) -> None:
    assignment, ada = klass["assignment"], klass["files"][0]  # type: ignore[index]
    slow = grade_files(assignment, [ada, ada], timeout=0.001, jobs=2)  # type: ignore[arg-type]
    assert [r["status"] for r in slow] == ["unreadable"] * 2 and "took longer than 0.001 s" in slow[0]["message"]


def test_each_file_is_bounded_in_memory_and_a_crash_is_one_row(
    klass: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forked child runs whatever grade_workbook is: one that wants 4 GB, one that dies."""
    assignment, ada = klass["assignment"], klass["files"][0]  # type: ignore[index]
    monkeypatch.setattr(grade_module, "grade_workbook", lambda *args: bytearray(4 * 2**30))
    hungry = grade_files(assignment, [ada], memory_mb=64)  # type: ignore[arg-type]
    assert hungry[0]["status"] == "unreadable" and "needs more than 64 MB of memory" in hungry[0]["message"]
    monkeypatch.setattr(grade_module, "grade_workbook", lambda *args: os.kill(os.getpid(), signal.SIGKILL))
    died = grade_files(assignment, [ada, ada])  # type: ignore[arg-type]
    assert [r["status"] for r in died] == ["unreadable"] * 2 and "grading process died (exit -9)" in died[0]["message"]


def test_perturbed_inputs_differ_and_are_reproducible(klass: dict[str, object]) -> None:
    assignment = klass["assignment"]
    lesson = assignment.lesson_of("ada")  # type: ignore[attr-defined]
    one, again = perturbed(assignment, "ada", lesson, 0), perturbed(assignment, "ada", lesson, 0)  # type: ignore[arg-type]
    assert one == again
    changed = one.lesson
    assert changed.learn != lesson.learn and changed.m_start != lesson.m_start
    assert changed.descent_x != lesson.descent_x and changed.descent_y != lesson.descent_y


def test_a_file_that_is_not_there_is_one_row(klass: dict[str, object], tmp_path: Path) -> None:
    copy = tmp_path / "ada.xlsx"
    shutil.copy(klass["files"][0], copy)  # type: ignore[index]
    records = gdsheet.grade(Path(klass["hw"]) / "assignment.toml", [tmp_path / "missing.xlsx", copy])  # type: ignore[arg-type]
    assert records[0]["status"] == "unreadable" and "no such file" in records[0]["message"]
    assert records[1]["status"] == "graded" and records[1]["score"] == records[1]["max"]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--jobs", "0"], "--jobs must be a whole number from 1 to 64"),
        (["--timeout", "-1"], "--timeout must be a number of seconds > 0"),
        (["--max-memory", "0"], "--max-memory must be a whole number of MB >= 1"),
        (["--csv", "/no/such/folder/g.csv"], "cannot write there"),
    ],
)
def test_a_bad_grade_option_is_one_line_exit_2(klass: dict[str, object], option: list[str], message: str) -> None:
    toml = str(Path(klass["hw"]) / "assignment.toml")  # type: ignore[arg-type]
    result = run_cli("grade", toml, str(klass["files"][0]), *option)  # type: ignore[index]
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_bad_assignment_file_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text("[assignment]\nversion = 1\nseed = -1\n", encoding="utf-8")
    cases = ((tmp_path / "missing.toml", "cannot read"), (tmp_path / "a.toml", "seed must be a whole number >= 0"))
    for toml, message in cases:
        result = run_cli("grade", str(toml), str(tmp_path / "x.xlsx"))
        assert result.returncode == 2 and message in result.stderr, result.stderr
