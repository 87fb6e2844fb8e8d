"""Native charts: in the file, reading the right cells, and growing with the epoch log."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from gdsheet.commands.build import build
from gdsheet.commands.run import reset, run
from gdsheet.engine.evaluator import defined_areas
from gdsheet.lesson.spec import load_preset
from gdsheet.xlsx.ranges import Range

TITLE = re.compile(r"<a:t>([^<]*)</a:t>")
RANGE = re.compile(r"<(?:\w+:)?f>([^<]*)</(?:\w+:)?f>")


def charts(path: Path) -> dict[str, list[str]]:
    """Each chart part's title (its first text run) -> the ranges it reads, in order."""
    found = {}
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            if name.startswith("xl/charts/chart"):
                xml = archive.read(name).decode("utf-8")
                found[TITLE.search(xml).group(1)] = RANGE.findall(xml)
    return found


def column_ref(area: Range, offset: int, first_row: int | None = None, last_row: int | None = None) -> str:
    letter = openpyxl.utils.get_column_letter(area.min_col + offset)
    first = area.min_row if first_row is None else first_row
    last = area.max_row if last_row is None else last_row
    tail = "" if first == last else f":${letter}${last}"  # openpyxl writes one cell as $R$90
    return f"'{area.sheet}'!${letter}${first}{tail}"


def chart_named(found: dict[str, list[str]], start: str) -> list[str]:
    (refs,) = [refs for title, refs in found.items() if title.startswith(start)]
    return refs


def test_default_lesson_charts_read_the_right_cells(books: dict[str, Path]) -> None:
    path = books["corrected"]
    areas = defined_areas(openpyxl.load_workbook(path))
    found = charts(path)
    assert len(found) == 4  # fit, surface, epoch log, live
    x, y, fit = areas["descent_x"], areas["descent_y"], areas["fit_line"]
    assert chart_named(found, "The samples") == [
        column_ref(x, 0),
        column_ref(y, 0),
        column_ref(fit, 0),
        column_ref(fit, 1),
    ]
    grid, grid_m, grid_b = areas["grid"], areas["grid_m"], areas["grid_b"]
    surface = chart_named(found, "The loss surface")
    want = []
    for j in range(grid.max_col - grid.min_col + 1):  # one series per b: its name (the b cell), m, its losses
        b_cell = openpyxl.utils.get_column_letter(grid_b.min_col + j) + str(grid_b.min_row)
        want += [f"'Lesson'!{b_cell}", column_ref(grid_m, 0), column_ref(grid, j)]
    assert surface == want
    live = areas["live_log"]
    assert chart_named(found, "RMSE after each live epoch") == [
        f"'Live'!F{live.min_row - 1}",  # the header names the series
        column_ref(live, 0),
        column_ref(live, 3),
    ]
    log = areas["epoch_log"]
    assert chart_named(found, "Epoch log") == [column_ref(log, 0), column_ref(log, 3)]


def test_seed_has_three_charts(books: dict[str, Path]) -> None:
    assert len(charts(books["seed"])) == 3  # no live epochs, so no live chart


def test_the_epoch_log_chart_grows_with_runs_and_shrinks_on_reset(tmp_path: Path) -> None:
    path = build(tmp_path / "lesson.xlsx", live_epochs=0, epochs=3)
    run(path)
    run(path, epochs=4)
    log = defined_areas(openpyxl.load_workbook(path))["epoch_log"]
    assert log.max_row - log.min_row + 1 == 7
    assert chart_named(charts(path), "Epoch log") == [column_ref(log, 0), column_ref(log, 3)]
    fit = chart_named(charts(path), "The samples")  # other charts are left alone
    assert fit[0].endswith(f"${defined_areas(openpyxl.load_workbook(path))['descent_x'].max_row}")
    reset(path)
    log = defined_areas(openpyxl.load_workbook(path))["epoch_log"]
    assert log.max_row == log.min_row
    assert chart_named(charts(path), "Epoch log") == [column_ref(log, 0), column_ref(log, 3)]


def test_record_cells_become_log_columns(tmp_path: Path) -> None:
    path = build(tmp_path / "lesson.xlsx", live_epochs=0)
    epochs = defined_areas(openpyxl.load_workbook(path))["epochs"]
    cell = f"Lesson!{openpyxl.utils.get_column_letter(epochs.min_col)}{epochs.min_row}"  # the epochs cell
    first = run(path, epochs=2, record=["next_m", cell])
    second = run(path, epochs=1, record=[cell])
    book = openpyxl.load_workbook(path)
    log = defined_areas(book)["epoch_log"]
    ws = book["Lesson"]
    header = [ws.cell(log.min_row - 1, c).value for c in range(log.min_col, log.max_col + 1)]
    assert header == ["epoch", "m", "b", "rmse", "next_m", cell]
    rows = [
        [ws.cell(r, c).value for c in range(log.min_col, log.max_col + 1)] for r in range(log.min_row, log.max_row + 1)
    ]
    assert rows[0][4] == pytest.approx(first[0]["next_m"], rel=1e-12)
    assert rows[1][5] == first[1][cell] == load_preset("corrected").epochs
    assert rows[2][4] is None and rows[2][5] == second[0][cell]
    assert rows[2][3] == pytest.approx(second[0]["rmse"], rel=1e-12)


def test_the_loss_charts_read_the_loss_column_of_a_model_of_many_parameters(tmp_path: Path) -> None:
    """The live and epoch-log charts plot the column headed by the loss, found by its header: for
    linear on houses.csv (w1, w2, w3, b) that is the sixth column, not the line's fourth."""
    houses = Path(__file__).resolve().parents[2] / "examples" / "houses.csv"
    path = build(tmp_path / "l.xlsx", model="linear", data=houses, live_epochs=3, epochs=2)
    run(path)
    book = openpyxl.load_workbook(path)
    found = charts(path)
    (live_y,) = [ref for ref in chart_named(found, "RMSE after each live epoch")[2:]]
    log_y = chart_named(found, "Epoch log")[1]
    live_sheet, live_col = live_y.split("!")[0].strip("'"), live_y.split("!")[1].split("$")[1]
    log_area = defined_areas(book)["epoch_log"]
    log_col = log_y.split("!")[1].split("$")[1]
    live_area = defined_areas(book)["live_log"]
    assert book[live_sheet][f"{live_col}{live_area.min_row - 1}"].value == "rmse"
    assert book["Lesson"][f"{log_col}{log_area.min_row - 1}"].value == "rmse"
