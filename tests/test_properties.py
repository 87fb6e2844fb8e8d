"""Property-based tests (hypothesis): random valid lessons agree with the reference, random
tamperings are always caught by `check`, random invalid input always ends in one clean line
with exit 2 or 3. Examples are few and built into tmp directories, so the suite stays fast."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdsheet.cli import main
from gdsheet.commands.build import build
from gdsheet.commands.check import check_workbook
from gdsheet.commands.lesson_reader import lesson_from_workbook
from gdsheet.commands.run import run
from gdsheet.engine.evaluator import Evaluator, defined_areas
from gdsheet.lesson.models import MODELS
from gdsheet.lesson.spec import GRADIENT_RULES
from gdsheet.reference.oracle import run_epochs

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

moderate = st.floats(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False)
samples = st.lists(st.tuples(moderate, moderate), min_size=1, max_size=25)


@FAST
@given(
    data=samples,
    m=moderate,
    b=moderate,
    learn=st.floats(min_value=1e-7, max_value=1e-3),
    gradient=st.sampled_from(GRADIENT_RULES),
    loss=st.sampled_from(MODELS["line"].losses),
    preset=st.sampled_from(["corrected", "seed"]),
)
def test_random_valid_lessons_agree_with_the_reference(
    data: list[tuple[float, float]], m: float, b: float, learn: float, gradient: str, loss: str, preset: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "samples.csv"
        csv.write_text("x,y\n" + "".join(f"{x!r},{y!r}\n" for x, y in data), encoding="utf-8")
        path = build(Path(tmp) / "lesson.xlsx", preset, data=csv, m_start=m, b_start=b, learn=learn,
                     gradient=gradient, loss=loss)  # fmt: skip
        report = check_workbook(path)
        assert report.ok, report.mismatches[:3]
        ev = Evaluator(path)
        assert report.cells == len(ev.all_values()) and not report.unchecked
        # the reference from the workbook's own inputs (openpyxl writes 16 significant digits, so a
        # 17-digit sample is stored rounded; README, "What check compares")
        lesson = lesson_from_workbook(ev)
        (want,) = run_epochs(lesson, 1)
        (got,) = run(path, epochs=1)
        for key, attribute in (("m", "m"), ("b", "b"), ("loss", "rmse")):  # "loss": the lesson's loss, any name
            assert got[key] == pytest.approx(getattr(want, attribute), rel=1e-9, abs=1e-12)


@pytest.fixture(scope="module")
def lesson(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], dict[str, float]]:
    """A built lesson, its formula cells that are not data (A1 addresses) and their values."""
    path = build(tmp_path_factory.mktemp("tamper") / "lesson.xlsx", live_epochs=0)  # the Lesson sheet's cells
    areas = defined_areas(openpyxl.load_workbook(path))
    samples_y = areas["descent_y"]
    values = Evaluator(path).all_values()
    cells = {}
    for (sheet, column, row), value in values.items():
        if sheet != "Lesson":
            continue
        if samples_y.min_col == column and samples_y.min_row <= row <= samples_y.max_row:
            continue  # a typed y is a sample (data), not a tampering: see test_check
        cells[f"{openpyxl.utils.get_column_letter(column)}{row}"] = value
    return path, sorted(cells), cells


@FAST
@given(data=st.data())
def test_random_tamperings_are_always_caught(
    tmp_path: Path, lesson: tuple[Path, list[str], dict[str, float]], data: st.DataObject
) -> None:
    path, cells, values = lesson
    book = openpyxl.load_workbook(path)
    ws = book["Lesson"]
    targets = data.draw(st.lists(st.sampled_from(cells), min_size=1, max_size=3, unique=True))
    for cell in targets:
        kind = data.draw(st.sampled_from(["the right constant", "another constant", "edited formula"]))
        if kind == "the right constant":
            ws[cell] = values[cell]
        elif kind == "another constant":
            ws[cell] = data.draw(st.floats(allow_nan=False, allow_infinity=False))
        else:  # a different, valid formula whose value differs by at least 1 + x²
            ws[cell] = f"=({ws[cell].value[1:]})+1+({ws[cell].value[1:]})^2"
    out = tmp_path / "tampered.xlsx"
    book.save(out)
    report = check_workbook(out)
    assert not report.ok
    assert {f"Lesson!{cell}" for cell in targets} <= {m["cell"] for m in report.mismatches}  # each one named
    assert report.mismatches[0]["cell"] in {f"Lesson!{cell}" for cell in targets}  # root cause first


junk = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
bad_number = st.one_of(junk.filter(lambda t: not _is_float(t)), st.sampled_from(["nan", "inf", "-inf", "1e309"]))


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


invalid_build = st.one_of(
    st.tuples(st.sampled_from(["--m-start", "--b-start", "--learn"]), bad_number),
    st.tuples(st.just("--learn"), st.floats(max_value=0).map(repr)),
    st.tuples(st.just("--m-start"), st.floats(min_value=1e200, max_value=1e308).map(repr)),
    st.tuples(st.just("--epochs"), st.one_of(st.integers(max_value=0), st.integers(min_value=10**6 + 1)).map(str)),
    st.tuples(st.sampled_from(["--gradient", "--loss", "--preset"]), junk),
)
invalid_run = st.one_of(
    st.tuples(st.just("--carry"), junk),
    st.tuples(st.just("--record"), junk),
    st.tuples(st.just("--epochs"), st.one_of(st.integers(max_value=0), st.integers(min_value=10**6 + 1)).map(str)),
)


@FAST
@given(option=invalid_build)
def test_random_invalid_build_options_fail_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: tuple[str, str]
) -> None:
    out = tmp_path / "lesson.xlsx"
    out.unlink(missing_ok=True)
    code = _exit_code(["build", str(out), f"{option[0]}={option[1]}"])
    _assert_one_clean_line(capsys, code)
    assert not out.exists()


@FAST
@given(option=invalid_run)
def test_random_invalid_run_options_fail_in_one_line(
    lesson: tuple[Path, list[str], dict[str, float]], capsys: pytest.CaptureFixture[str], option: tuple[str, str]
) -> None:
    path = lesson[0]
    before = path.read_bytes()
    args = [f"{option[0]}={option[1]}"]
    if option[0] == "--record":
        args = ["--carry", "m_start=next_m", *args]
    code = _exit_code(
        ["run", str(path), "--epochs", "1", *args] if option[0] != "--epochs" else ["run", str(path), *args]
    )
    _assert_one_clean_line(capsys, code)
    assert path.read_bytes() == before


@FAST
@given(content=st.binary(max_size=300))
def test_random_files_fail_check_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / "random.xlsx"
    path.write_bytes(content)
    code = _exit_code(["check", str(path), "--json"])
    _assert_one_clean_line(capsys, code)
    assert json.dumps(code) in ("2", "3")


def _exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's usage errors
        return int(exc.code or 0)


def _assert_one_clean_line(capsys: pytest.CaptureFixture[str], code: int) -> None:
    captured = capsys.readouterr()
    assert code in (2, 3), (code, captured.err)
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gdsheet") and "Traceback" not in captured.err, captured.err
