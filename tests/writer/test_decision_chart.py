"""The decision chart of a logistic lesson of two inputs: the samples split by class and the line
w1·x1 + w2·x2 + b = 0 through the start values, as formulas that `check` holds to the reference,
LibreOffice and both engines agree with, and the chart reads."""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.commands.build import build
from gdsheet.commands.check import check_workbook
from gdsheet.commands.run import run
from gdsheet.engine.evaluator import Evaluator, defined_areas
from tests.support.books import tampered
from tests.support.libreoffice import recalculate_many, reference_mismatches

SAMPLES = [(0.5, 3.0, 0), (1.0, 1.0, 0), (2.0, 4.5, 0), (3.5, 0.5, 1), (4.0, 2.5, 1), (5.0, 1.5, 1)]
STARTS = {  # (w1, w2, b): a sloped line, a vertical one (w2 = 0), none (w1 = w2 = 0)
    "sloped": (1.5, -2.0, -0.5),
    "vertical": (1.2, 0.0, -3.0),
    "none": (0.0, 0.0, 1.0),
}


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("decision")
    data = out / "two.csv"
    data.write_text("x1,x2,y\n" + "".join(f"{a},{b},{y}\n" for a, b, y in SAMPLES), encoding="utf-8")
    made = {}
    for key, (w1, w2, b) in STARTS.items():
        starts = {"w1_start": w1, "w2_start": w2}
        made[key] = build(out / f"{key}.xlsx", "logistic", data=data, param_values=starts, b_start=b, live_epochs=2)
    return made


def _values(path: Path, name: str) -> list[list[object]]:
    ev = Evaluator(path)
    values = ev.all_values()
    area = ev.area(name)
    return [[values[(area.sheet, c, r)] for c in range(area.min_col, area.max_col + 1)]
            for r in range(area.min_row, area.max_row + 1)]  # fmt: skip


def test_the_line_is_where_the_model_says_one_half(books: dict[str, Path]) -> None:
    """Both points satisfy w1·x1 + w2·x2 + b = 0, and span the data's x1 (or, vertical, x2) range."""
    x1 = [a for a, _, _ in SAMPLES]
    x2 = [b for _, b, _ in SAMPLES]
    for key, (w1, w2, b) in STARTS.items():
        line = _values(books[key], "decision_line")
        if key == "none":
            assert line == [["#N/A", "#N/A"], ["#N/A", "#N/A"]]
            continue
        for x, y in line:
            assert math.isclose(w1 * x + w2 * y + b, 0.0, abs_tol=1e-12), (key, x, y)
        ends = [row[1] for row in line] if key == "vertical" else [row[0] for row in line]
        assert ends == ([min(x2), max(x2)] if key == "vertical" else [min(x1), max(x1)])


def test_the_classes_hold_each_sample_once(books: dict[str, Path]) -> None:
    want = [[b if y == 0 else "#N/A", b if y == 1 else "#N/A"] for _, b, y in SAMPLES]
    assert _values(books["sloped"], "decision_classes") == want


def test_check_covers_the_cells_and_catches_a_tampered_one(books: dict[str, Path], tmp_path: Path) -> None:
    for path in books.values():
        report = check_workbook(path)
        assert report.ok and not report.unchecked, report.mismatches[:3]
    path = books["sloped"]
    areas = defined_areas(openpyxl.load_workbook(path))
    sheet = openpyxl.load_workbook(path)["Lesson"]
    line, classes = areas["decision_line"], areas["decision_classes"]
    targets = {  # an endpoint of each column, a class cell showing a sample, one showing a gap
        f"{openpyxl.utils.get_column_letter(line.min_col)}{line.min_row}": "*1.000001",
        f"{openpyxl.utils.get_column_letter(line.max_col)}{line.max_row}": "*1.000001",
        f"{openpyxl.utils.get_column_letter(classes.min_col)}{classes.min_row}": "+0.001",
        f"{openpyxl.utils.get_column_letter(classes.max_col)}{classes.min_row}": "",
    }
    for address, change in targets.items():
        formula = sheet[address].value
        edit = f"=({formula[1:]}){change}" if change else "=0"  # a number where the gap (#N/A) belongs
        report = check_workbook(tampered(path, tmp_path, {address: edit}))
        assert not report.ok and report.mismatches[0]["cell"] == f"Lesson!{address}", (address, report.mismatches[:2])


def test_editing_a_start_weight_redraws_the_line(books: dict[str, Path], tmp_path: Path) -> None:
    """w2_start typed as 0 in the sloped lesson: the line turns vertical, and check still agrees."""
    path = books["sloped"]
    ref = defined_areas(openpyxl.load_workbook(path))["w2_start"]
    edited = tampered(path, tmp_path, {f"{openpyxl.utils.get_column_letter(ref.min_col)}{ref.min_row}": 0})
    line = _values(edited, "decision_line")
    w1, _, b = STARTS["sloped"]
    assert [row[0] for row in line] == pytest.approx([-b / w1] * 2, rel=1e-15)
    assert check_workbook(edited).ok


def test_a_run_moves_the_line_to_the_new_weights(books: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "ran.xlsx"
    path.write_bytes(books["sloped"].read_bytes())
    last = run(path, 3)[-1]
    line = _values(path, "decision_line")
    for x, y in line:
        assert math.isclose(last["w1"] * x + last["w2"] * y + last["b"], 0.0, abs_tol=1e-12)
    assert check_workbook(path).ok


def test_the_formulas_engine_agrees(books: dict[str, Path]) -> None:
    for key in ("sloped", "none"):
        report = check_workbook(books[key], engine="formulas")
        assert report.ok, (key, report.mismatches[:3])


def test_the_chart_reads_the_classes_and_the_line(books: dict[str, Path]) -> None:
    path = books["sloped"]
    areas = defined_areas(openpyxl.load_workbook(path))
    with zipfile.ZipFile(path) as archive:
        (xml,) = [archive.read(n).decode() for n in archive.namelist()
                  if n.startswith("xl/charts/chart") and b"decision line" in archive.read(n)]  # fmt: skip
    refs = re.findall(r"<(?:\w+:)?f>([^<]*)</(?:\w+:)?f>", xml)
    x1, classes, line = areas["data_x1"], areas["decision_classes"], areas["decision_line"]

    def column(area: object, offset: int, first: int, last: int) -> str:
        letter = openpyxl.utils.get_column_letter(area.min_col + offset)  # type: ignore[attr-defined]
        return f"'Lesson'!${letter}${first}:${letter}${last}"

    want = []
    for k in range(2):
        want += [column(x1, 0, x1.min_row, x1.max_row), column(classes, k, classes.min_row, classes.max_row)]
    want += [column(line, 0, line.min_row, line.max_row), column(line, 1, line.min_row, line.max_row)]
    assert refs == want


@pytest.mark.libreoffice
def test_libreoffice_draws_the_same_numbers(need_soffice: str, books: dict[str, Path]) -> None:
    recalculated = recalculate_many(list(books.values()), shown=False)
    for key, path in books.items():
        compared, mismatches = reference_mismatches(path, recalculated[path.resolve()])
        assert not mismatches, (key, mismatches[:3])
        area = Evaluator(path).area("decision_line")
        cells = {("Lesson", c, r) for c in range(area.min_col, area.max_col + 1) for r in (area.min_row, area.max_row)}
        assert cells <= compared
    assert np.isfinite(np.array(_values(books["vertical"], "decision_line"), dtype=float)).all()
