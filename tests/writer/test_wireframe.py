"""The wireframe (the Surface sheet): every grid point and every point of the descent path projected
to the page by formulas, drawn as a mesh of one scatter series per grid row and per grid column
plus the path; LibreOffice and both engines agree with the reference's own projection."""

from __future__ import annotations

import math
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.commands.build import build, make_lesson
from gdsheet.commands.check import check_workbook
from gdsheet.commands.recalc import recalc
from gdsheet.commands.run import reset, run
from gdsheet.engine.evaluator import Evaluator
from gdsheet.reference.oracle import lesson_values
from gdsheet.reference.wireframe import project
from tests.support.libreoffice import assert_equals_reference, assert_tampering_caught, recalculate_many


@pytest.fixture(scope="module")
def surfaces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("surface")
    line = build(out / "line.xlsx", live_epochs=10, wireframe=True)
    run(line, 4)  # the path then starts where the run left the lesson
    logistic = build(out / "logistic.xlsx", model="logistic", live_epochs=10, learn=0.5, wireframe=True)
    return {"line": line, "logistic": logistic}


def test_the_projection_is_its_definition() -> None:
    x, y = project([0, 2], [10, 30], [0, 8], [0, 2], [10, 30], 8.0, 0.0, 0.5)
    assert list(x) == [0.0, 1.0] and list(y) == [0.0, 0.5 + 0.5]  # θ = 0: x = u, y = w/2 + h·loss/max
    x, y = project([0], [30], [0], [0, 2], [10, 30], 8.0, 90.0, 0.5)
    assert x[0] == pytest.approx(-1.0) and y[0] == pytest.approx(0.0, abs=1e-16)


@pytest.mark.parametrize("key", ["line", "logistic"])
def test_check_covers_the_surface_and_the_path_is_the_live_descent(surfaces: dict, key: str) -> None:
    path = surfaces[key]
    report = check_workbook(path)
    assert report.ok and not report.unchecked, report.mismatches[:3]
    ev = Evaluator(path)
    grid = ev.area("grid")
    assert ev.area("wire_x").shape == ev.area("wire_y").shape == grid.shape
    wire_path = np.array(ev.values({}, ["wire_path"])["wire_path"], dtype=float)
    live = np.array(ev.values({}, ["live_log"])["live_log"], dtype=float)
    assert wire_path.shape == (11, 5)
    np.testing.assert_allclose(wire_path[1:, :2], live[:, 1:3], rtol=1e-15)  # each live epoch's parameters
    starts = [ev.numbers(f"{p}_start")[0] for p in make_lesson(**({"model": key} if key != "line" else {})).params]
    assert list(wire_path[0, :2]) == starts


def test_the_view_is_an_input(surfaces: dict, tmp_path: Path) -> None:
    """Turning the view changes every projected point, and check follows the edited angle."""
    book = openpyxl.load_workbook(surfaces["logistic"])
    area = Evaluator(surfaces["logistic"]).area("view_angle")
    book[area.sheet].cell(area.min_row, area.min_col).value = 60
    turned = tmp_path / "turned.xlsx"
    book.save(turned)
    before = np.array(Evaluator(surfaces["logistic"]).values({}, ["wire_x"])["wire_x"], dtype=float)
    after = np.array(Evaluator(turned).values({}, ["wire_x"])["wire_x"], dtype=float)
    assert np.abs(before - after).max() > 0.1
    assert check_workbook(turned).ok


def test_the_chart_is_a_mesh_and_a_path(surfaces: dict) -> None:
    path = surfaces["line"]
    lesson = make_lesson(live_epochs=10, wireframe=True)
    with zipfile.ZipFile(path) as archive:
        charts = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart")]
    (chart,) = [text for text in charts if "Surface" in text]
    series = re.findall(r"<(?:c:)?ser>.*?</(?:c:)?ser>", chart, re.S)
    assert len(series) == len(lesson.grid_m) + len(lesson.grid_b) + 2  # rows, columns, the path, the log's path
    assert all('<symbol val="none"/>' in s for s in series[:-2])
    assert '<symbol val="circle"/>' in series[-2] and '<symbol val="diamond"/>' in series[-1]
    assert "$F$" in series[-1] and "$G$" in series[-1]  # the log path's page x and y columns


def test_the_log_path_spreads_over_the_epoch_log(surfaces: dict) -> None:
    """After a run of 4 epochs the 21 points sit on log rows 1 + floor(k·3/20), each with that
    row's parameters, and the saved values are the recalculated ones (no stale cache)."""
    path = surfaces["line"]
    ev = Evaluator(path)
    got = np.array(ev.values({}, ["wire_log_path"])["wire_log_path"], dtype=float)
    log = np.array(ev.values({}, ["epoch_log"])["epoch_log"], dtype=float)
    assert log.shape[0] == 4 and got.shape == (21, 6)
    rows = [1 + k * 3 // 20 for k in range(21)]
    assert list(got[:, 0]) == rows and rows[0] == 1 and rows[-1] == 4
    np.testing.assert_array_equal(got[:, 1:3], log[np.array(rows) - 1, 1:3])
    assert recalc(path, check=True).ok  # run wrote the log path's values after writing the log


def test_the_log_path_is_a_gap_before_a_run_and_after_a_reset(surfaces: dict, tmp_path: Path) -> None:
    """Before a run the path is #N/A but for its page x, 0 (the grid's corner): a series whose x
    values are all errors is drawn against 1, 2, 3, …, which squeezed the mesh to a sliver."""
    fresh = surfaces["logistic"]  # built, never run
    got = Evaluator(fresh).values({}, ["wire_log_path"])["wire_log_path"]
    assert set(got[:, [0, 1, 2, 3, 5]].ravel()) == {"#N/A"} and set(got[:, 4]) == {0.0}
    want = lesson_values(make_lesson(model="logistic", wireframe=True)).wire_log_path
    assert np.isnan(want[:, [0, 1, 2, 3, 5]]).all() and (want[:, 4] == 0).all()
    copy = tmp_path / "reset.xlsx"
    shutil.copyfile(surfaces["line"], copy)
    reset(copy)
    cached = openpyxl.load_workbook(copy, data_only=True)
    area = Evaluator(copy).area("wire_log_path")
    shown = {(c - area.min_col, cached[area.sheet].cell(r, c).value) for r, c in area.cells()}
    assert shown == {*((k, "#N/A") for k in (0, 1, 2, 3, 5)), (4, 0)}
    assert recalc(copy, check=True).ok and check_workbook(copy).ok


def test_a_long_log_is_drawn_from_its_first_row_to_its_last(tmp_path: Path) -> None:
    path = build(tmp_path / "long.xlsx", samples=5, live_epochs=2, wireframe=True)
    run(path, 100)
    run(path, 7)  # a second run appends: the path spans both
    report = check_workbook(path)
    assert report.ok and not report.unchecked, report.mismatches[:3]
    got = np.array(Evaluator(path).values({}, ["wire_log_path"])["wire_log_path"], dtype=float)
    assert list(got[:, 0]) == [1 + k * 106 // 20 for k in range(21)] and got[-1, 0] == 107


def test_the_formulas_engine_agrees(tmp_path: Path) -> None:
    path = build(tmp_path / "small.xlsx", samples=5, live_epochs=3, wireframe=True)
    report = check_workbook(path, engine="formulas")
    assert report.ok and report.cells > 300, report.mismatches[:3]


def test_the_reference_path_lies_on_the_surface() -> None:
    """Where the path passes a grid point, its loss is that grid cell's (the same slice of the same loss)."""
    lesson = make_lesson(live_epochs=2, wireframe=True)
    values = lesson_values(lesson)
    m, b = lesson.grid_m[3], lesson.grid_b[4]
    moved = lesson.with_overrides(m_start=m, b_start=b, live_epochs=1)
    assert math.isclose(lesson_values(moved).wire_path[0, 2], values.grid[3, 4], rel_tol=1e-12)


@pytest.mark.libreoffice
def test_libreoffice_agrees_and_tampering_fails(need_soffice: str, surfaces: dict, tmp_path: Path) -> None:
    source = surfaces["logistic"]
    ev = Evaluator(source)
    copies = {}
    for name in ("wire_y", "wire_path"):
        area = ev.area(name)
        book = openpyxl.load_workbook(source)
        book[area.sheet].cell(area.min_row + 1, area.min_col + 2).value = "=0.5"
        copies[name] = tmp_path / f"tampered-{name}.xlsx"
        book.save(copies[name])
    ran = surfaces["line"]  # its log path reads the 4 epochs of its log
    log_path = Evaluator(ran).area("wire_log_path")
    book = openpyxl.load_workbook(ran)
    book[log_path.sheet].cell(log_path.max_row, log_path.min_col + 1).value = "=1.5"
    copies["wire_log_path"] = tmp_path / "tampered-wire_log_path.xlsx"
    book.save(copies["wire_log_path"])
    books = list(surfaces.values())
    recalculated = recalculate_many([*books, *copies.values()], shown=False)
    for book in books:
        assert_equals_reference(book, recalculated[book.resolve()])
    for name, copy in copies.items():
        assert_tampering_caught(name, copy, recalculated[copy.resolve()])
