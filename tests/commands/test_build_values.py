"""A freshly built workbook holds every formula's value (issue 14, item 6), and so does every
student's workbook that `assign` writes.

A viewer that does not calculate (a preview, a mail or drive viewer, pandas,
``openpyxl(data_only=True)``) shows the cached values, so `build` writes them: the workbook's own
formulas evaluated by the compiled engine. Here they are held to LibreOffice's own recalculation
of the same file, for every preset and every model, and `check` still refuses a typed number
where a formula belongs.
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest

import gdsheet
from gdsheet.commands.check import check_workbook
from gdsheet.lesson.models import MODELS
from gdsheet.lesson.roster import Student
from gdsheet.lesson.spec import preset_names
from gdsheet.xlsx.patch import patch_workbook
from tests.support.libreoffice import cell_text, recalculate_many


def _lessons(out: Path) -> dict[str, Path]:
    """Every preset, every model's default lesson, an Adam lesson (its state columns), and a student's
    workbook from `assign`, whole and with blank columns."""
    books = {
        f"preset-{preset}": gdsheet.build(out / f"preset-{preset}.xlsx", preset=preset) for preset in preset_names()
    }
    for model in MODELS:
        books[f"model-{model}"] = gdsheet.build(out / f"model-{model}.xlsx", model=model)
    books["adam"] = gdsheet.build(out / "adam.xlsx", optimizer="adam", learn=0.1, live_epochs=3)
    gdsheet.assign([Student("ada", "Ada")], out / "class", seed=3, live_epochs=2)
    gdsheet.assign([Student("bo", "Bo")], out / "blank", seed=3, live_epochs=2, blank="de/dm, new_m")
    books["assign"] = out / "class" / "ada.xlsx"
    books["assign-blank"] = out / "blank" / "bo.xlsx"  # what depends on a blank reads it as 0, as Excel does
    return books


def cached_formula_values(path: Path) -> dict[tuple[str, str], object]:
    """(sheet, "B7") -> what ``openpyxl(data_only=True)`` reads, for every formula cell of ``path``."""
    formulas = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)
    return {
        (ws.title, cell.coordinate): values[ws.title][cell.coordinate].value
        for ws in formulas.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _lessons(tmp_path_factory.mktemp("values"))


def test_every_formula_has_a_number_from_the_first_open(built: dict[str, Path]) -> None:
    for name, path in built.items():
        cached = cached_formula_values(path)
        assert len(cached) > 100, name
        not_numbers = {cell: v for cell, v in cached.items() if isinstance(v, bool) or not isinstance(v, int | float)}
        assert not_numbers == {}, name
        assert all(math.isfinite(v) for v in cached.values()), name  # type: ignore[arg-type]


@pytest.mark.libreoffice
def test_the_cached_values_are_what_libreoffice_computes(need_soffice: str, built: dict[str, Path]) -> None:
    """LibreOffice recalculates each file from scratch (its profile forces it; it would otherwise
    show our cache) and prints 15 significant digits: every formula cell agrees to rel 1e-9."""
    sheets = recalculate_many(list(built.values()), shown=False)
    for name, path in built.items():
        computed = sheets[path.resolve()]
        wrong = []
        for (sheet, address), value in cached_formula_values(path).items():
            text = cell_text(computed[sheet], address)
            if not math.isclose(_number(text), float(value), rel_tol=1e-9, abs_tol=1e-12):  # type: ignore[arg-type]
                wrong.append(f"{sheet}!{address}: cached {value!r}, LibreOffice {text}")
        assert wrong == [], name


def _number(text: str) -> float:
    """LibreOffice's full-precision text of a number; a percentage keeps its sign (accuracy)."""
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def test_check_passes_the_cache_and_still_wants_formulas(built: dict[str, Path], tmp_path: Path) -> None:
    """The cache is held to the formulas by `check`; a formula replaced by its own cached number is
    still a constant where a formula belongs."""
    path = built["preset-corrected"]
    assert check_workbook(path).ok
    cached = cached_formula_values(path)
    cell, value = next((key, v) for key, v in cached.items() if key[0] == "Lesson" and key[1].startswith("J"))
    typed = tmp_path / "typed.xlsx"
    patch_workbook(path, typed, values={cell: value})
    report = check_workbook(typed)
    assert not report.ok
    assert [m["kind"] for m in report.mismatches][:1] == ["constant"]
    assert f"{cell[0]}!{cell[1]}" in str(report.mismatches[0]["message"])
