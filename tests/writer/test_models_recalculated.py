"""Every model, recalculated by three engines: each formula cell equals the numpy reference.

For the line and for linear regression (k = 1, 3 and 8 inputs, samples from a CSV and generated),
each optimizer, with live epochs: LibreOffice (one forced full recalculation for all the
workbooks), the compiled engine and, on the smallest workbooks, the `formulas` package. The
cells compared are every formula cell of the workbook (their number is asserted), each against
the reference quantity the contract names for it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.commands.build import build
from gdsheet.commands.check import expected_by_name
from gdsheet.engine.evaluator import Evaluator
from gdsheet.lesson.optimizers import OPTIMIZERS
from tests.support.libreoffice import Grid, cell_text, recalculate_many

LEARN = {"sgd": 0.0005, "momentum": 0.0001, "rmsprop": 0.05, "adam": 0.05}
HOUSES = Path(__file__).resolve().parents[2] / "examples" / "houses.csv"


def _csv(path: Path, k: int, rows: int = 7) -> Path:
    """``rows`` samples of k inputs near a plane, written as a CSV with the header x1,…,xk,y."""
    rng = np.random.default_rng(k)
    x = np.round(rng.uniform(0, 10, (rows, k)), 2)
    y = np.round(x @ np.linspace(2, -1, k) + 5 + rng.normal(0, 0.5, rows), 3)
    lines = [",".join([*(f"x{j}" for j in range(1, k + 1)), "y"])]
    lines += [",".join(map(repr, [*row, target])) for row, target in zip(x.tolist(), y.tolist(), strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cases() -> dict[str, dict[str, object]]:
    cases: dict[str, dict[str, object]] = {}
    for optimizer in OPTIMIZERS:
        common = {"optimizer": optimizer, "learn": LEARN[optimizer], "live_epochs": 3}
        cases[f"line-{optimizer}"] = {**common, "samples": 6}
        for k in (1, 3, 8):
            cases[f"linear{k}-csv-{optimizer}"] = {**common, "model": "linear", "csv": k}
            cases[f"linear{k}-generated-{optimizer}"] = {**common, "model": "linear", "samples": 6, "features": k}
    cases["linear3-houses-fd"] = {"model": "linear", "csv": "houses", "gradient": "finite-difference",
                                  "learn": 0.0001, "live_epochs": 2, "landscape": "w2,w3"}  # fmt: skip
    return cases


CASES = _cases()
SMALL = ("linear3-csv-adam", "linear1-generated-momentum", "line-rmsprop")
"""Workbooks the slow `formulas` interpreter evaluates too."""


@pytest.fixture(scope="module")
def model_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("models")
    books = {}
    for name, options in CASES.items():
        options = dict(options)
        csv = options.pop("csv", None)
        if csv == "houses":
            options["data"] = HOUSES
        elif csv is not None:
            options["data"] = _csv(out / f"{name}.csv", int(csv))  # type: ignore[arg-type]
        books[name] = build(out / f"{name}.xlsx", **options)
    return books


@pytest.fixture(scope="module")
def libreoffice(need_soffice: str, model_books: dict[str, Path]) -> dict[Path, dict[str, Grid]]:
    return recalculate_many(list(model_books.values()), shown=False)


def formula_cells(path: Path) -> set[tuple[str, int, int]]:
    """Every formula cell of the workbook, as (sheet, column, row)."""
    book = openpyxl.load_workbook(path)
    return {
        (ws.title, cell.column, cell.row) for ws in book.worksheets for row in ws.iter_rows() for cell in row
        if cell.data_type == "f"
    }  # fmt: skip


def wanted(path: Path) -> dict[tuple[str, int, int], float]:
    """The reference value of every formula cell of every derived name, by cell."""
    ev = Evaluator(path)
    cells = formula_cells(path)
    want = {}
    for name, values in expected_by_name(ev).items():
        area = ev.area(name)
        for (row, column), value in zip(area.cells(), np.reshape(values, area.shape).ravel(), strict=True):
            if (area.sheet, column, row) in cells:
                want[(area.sheet, column, row)] = float(value)
    return want


def assert_equal(got: dict[tuple[str, int, int], float], want: dict[tuple[str, int, int], float], what: str) -> None:
    for key, value in want.items():
        if math.isfinite(value):
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (what, key)
        else:
            assert not isinstance(got[key], float) or not math.isfinite(got[key]), (what, key)


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", list(CASES))
def test_libreoffice_equals_the_reference(name: str, model_books: dict[str, Path], libreoffice: dict) -> None:
    path = model_books[name]
    want = wanted(path)
    assert set(want) == formula_cells(path)  # every formula cell is some derived name's, and compared
    sheets = libreoffice[path]
    got = {}
    for sheet, column, row in want:
        text = cell_text(sheets[sheet], f"{openpyxl.utils.get_column_letter(column)}{row}")
        got[(sheet, column, row)] = float(text) if text and not text.startswith(("#", "Err:")) else math.nan
    assert_equal(got, want, f"LibreOffice {name}")


@pytest.mark.parametrize("name", list(CASES))
def test_the_compiled_engine_equals_the_reference(name: str, model_books: dict[str, Path]) -> None:
    path = model_books[name]
    want = wanted(path)
    with np.errstate(all="ignore"):
        got = Evaluator(path).all_values()
    assert set(want) <= set(got)
    assert_equal(got, want, f"compiled {name}")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", SMALL)
def test_the_formulas_package_equals_the_reference(name: str, model_books: dict[str, Path]) -> None:
    path = model_books[name]
    want = wanted(path)
    got = Evaluator(path, "formulas").all_values()
    assert_equal(got, want, f"formulas {name}")  # type: ignore[arg-type]
