"""The compiled engine against the `formulas` package (the reference interpreter) and LibreOffice.

Every formula cell of every kind of workbook is evaluated both ways and must agree to rel
1e-12, errors equal as errors. Where `formulas` departs from Excel (a handful of edge
cases, listed in FORMULAS_DEPARTS), the compiled engine gives Excel's answer, and the test
says which. LibreOffice arbitrates the semantics workbook cell by cell; where LibreOffice
itself departs from Excel by design (booleans are numbers in Calc), LO_DEPARTS says so.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName

from gdsheet.cli import main
from gdsheet.commands.build import build
from gdsheet.engine.book import read_book
from gdsheet.engine.compiled import CompiledEngine
from gdsheet.engine.evaluator import Evaluator
from tests.support.engine_books import SEMANTIC_FORMULAS, chain_book, cycle_book, fallback_book, semantics_book
from tests.support.libreoffice import recalculate

FIXTURE = Path(__file__).parents[1] / "fixtures" / "macro_sgd.xlsm"

FORMULAS_DEPARTS = {
    "=(-8)^(1/3)": "#NUM!",  # formulas: a complex number
    "=0^0": "#NUM!",  # formulas: 1
    "=0^-1": "#DIV/0!",  # formulas: #VALUE!
    "=COUNT(Data!A1:A9)": 3.0,  # formulas counts the text "3" inside a range
    "=COUNT(Data!A1:A8)": 3.0,
    "=SUM(Data!A4:A5)": 0.0,  # formulas adds the text "3" inside a range
    "=COUNT(Data!A4:A5)": 0.0,
}
"""Formulas where `formulas` departs from Excel, with Excel's answer (the compiled engine's)."""

LO_DEPARTS = {
    "=(-8)^(1/3)": "-2",  # Calc takes odd roots of negative numbers
    "=0^0": "1",
    "=0^-1": "#NUM!",
    "=COUNT(Data!A1:A9)": "5",  # in Calc, TRUE and FALSE are the numbers 1 and 0
    "=COUNT(Data!A1:A8)": "5",
    "=SUM(Data!A6:A7)": "1",
    "=COUNT(Data!A6:A7)": "2",
    '=Data!A1&"x"&TRUE': "3x1",
}
"""Formulas where LibreOffice departs from Excel by design, with what LibreOffice shows."""


def _same(got: object, want: object) -> bool:
    if isinstance(got, float) and isinstance(want, float):
        return got == want or math.isclose(got, want, rel_tol=1e-12, abs_tol=0.0)
    return got == want


@pytest.fixture(scope="session")
def engine_books(tmp_path_factory: pytest.TempPathFactory, books: dict[str, Path]) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("engine")
    csv = out / "samples.csv"
    csv.write_text("x,y\n" + "".join(f"{x},{2 * x + 30 + (x % 3) * 0.25}\n" for x in range(1, 41)), encoding="utf-8")
    small = out / "six.csv"
    small.write_text("x,y\n" + "".join(f"{x},{2 * x + 30}\n" for x in (3, 11, 19, 27, 35, 43)), encoding="utf-8")
    optimizers = {
        name: build(out / f"{name}.xlsx", data=small, optimizer=name, learn=learn, live_epochs=3)
        for name, learn in (("momentum", 0.0001), ("rmsprop", 0.1), ("adam", 0.1))
    }
    return {
        **books,
        **optimizers,
        "csv_data": build(out / "csv.xlsx", data=csv, learn=0.0002, gradient="finite-difference", live_epochs=2),
        "macro_fixture": FIXTURE,
        "chain": chain_book(out / "chain.xlsx"),
        "semantics": semantics_book(out / "semantics.xlsx"),
    }


KINDS = (
    *("corrected", "seed", "seed_published", "finite_difference", "csv_data"),
    *("momentum", "rmsprop", "adam", "macro_fixture", "chain", "semantics"),
)


@pytest.mark.parametrize("kind", KINDS)
def test_every_formula_cell_equals_the_formulas_package(engine_books: dict[str, Path], kind: str) -> None:
    path = engine_books[kind]
    compiled = Evaluator(path)
    assert isinstance(compiled.engine, CompiledEngine)  # no fallback for any of these
    got, want = compiled.all_values(), Evaluator(path, engine="formulas").all_values()
    assert got.keys() == want.keys() and len(got) > 0
    departs = 0
    for cell, value in got.items():
        if kind == "semantics" and SEMANTIC_FORMULAS[cell[2] - 1] in FORMULAS_DEPARTS:
            assert _same(value, FORMULAS_DEPARTS[SEMANTIC_FORMULAS[cell[2] - 1]]), cell
            assert not _same(value, want[cell])  # the departure is real
            departs += 1
            continue
        assert _same(value, want[cell]), f"{cell}: compiled {value!r}, formulas {want[cell]!r}"
    assert departs == (len(FORMULAS_DEPARTS) if kind == "semantics" else 0)


def _lo_value(text: str) -> object:
    if text.endswith("%"):
        return float(text[:-1]) / 100
    if text in ("TRUE", "FALSE"):
        return text == "TRUE"
    return {"Err:502": "#NUM!"}.get(text, text)


@pytest.mark.libreoffice
def test_semantics_cell_by_cell_equal_libreoffice(need_soffice: str, tmp_path: Path) -> None:
    path = semantics_book(tmp_path / "obrien.xlsx", "O'Brien")  # a quoted sheet name `formulas` cannot load
    calc = recalculate(path, shown=False)["Calc"]
    values = Evaluator(path).all_values()
    assert len(values) == len(SEMANTIC_FORMULAS)
    for (_, _, row), value in values.items():
        formula, shown = SEMANTIC_FORMULAS[row - 1], calc[row - 1][1]
        if formula in LO_DEPARTS:
            assert shown == LO_DEPARTS[formula], formula
            continue
        lo = _lo_value(shown)
        try:
            lo = float(lo)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
        if isinstance(value, float) and isinstance(lo, float):
            assert math.isclose(value, lo, rel_tol=1e-14), f"{formula}: compiled {value!r}, LibreOffice {shown!r}"
        else:
            assert value == lo, f"{formula}: compiled {value!r}, LibreOffice {shown!r}"


def test_constants_keep_every_digit_as_excel_does(tmp_path: Path) -> None:
    """`formulas` rounds constants to 15 decimal places when it loads; Excel, LibreOffice and we do not."""
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"], ws["B1"] = 0.1234567890123457, 3e-17, 1e17, "=A1*1000000+A2*A3"
    wb.save(tmp_path / "digits.xlsx")
    full = 0.1234567890123457 * 1000000 + 3e-17 * 1e17
    rounded = round(0.1234567890123457, 15) * 1000000 + round(3e-17, 15) * 1e17
    assert full != rounded
    assert Evaluator(tmp_path / "digits.xlsx").all_values()[("Sheet", 2, 1)] == full
    assert Evaluator(tmp_path / "digits.xlsx", engine="formulas").all_values()[("Sheet", 2, 1)] == rounded


def test_a_circular_reference_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = cycle_book(tmp_path / "cycle.xlsx")
    assert main(["run", str(path), "--carry", "Sheet!C1=Sheet!A1", "--epochs", "1"]) == 3
    err = capsys.readouterr().err.strip()
    assert "circular reference" in err and "Sheet!" in err and "\n" not in err


def test_an_unsupported_function_falls_back_to_formulas_for_that_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = fallback_book(tmp_path / "trunc.xlsx")
    ev = Evaluator(path, verbose=True)
    values = ev.all_values()
    assert isinstance(ev.engine, CompiledEngine)  # the rest of the workbook stays compiled
    err = capsys.readouterr().err
    assert "1 formula cell(s) evaluated by the formulas package (the function TRUNC)" in err
    assert values == Evaluator(path, engine="formulas").all_values()
    assert values[("Sheet", 1, 2)] == 4.68 and values[("Sheet", 1, 3)] == pytest.approx(4.68 + 2.345678, rel=1e-15)
    step = ev.stepper(["Sheet!A1"], ["Sheet!A3"])  # the TRUNC cell sits between the input and the output
    assert step([3.14159]) == [pytest.approx(3.14 * 2 + 3.14159, rel=1e-15)]


def test_a_formula_the_parser_refuses_falls_back_for_its_cells_only(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["B1"], ws["B2"] = 2.0, 3.0, "=A1 A2", "=A1*10"  # an intersection, which is empty
    wb.save(tmp_path / "intersect.xlsx")
    ev = Evaluator(tmp_path / "intersect.xlsx")
    values = ev.all_values()
    assert isinstance(ev.engine, CompiledEngine) and ev.engine.is_native((0, 2, 2))
    assert not ev.engine.is_native((0, 2, 1))
    assert values[("Sheet", 2, 1)] == "#NULL!" and values[("Sheet", 2, 2)] == 20.0


def test_an_array_formula_over_cells_is_compiled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl.worksheet.formula import ArrayFormula

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["C1"] = 2.0, "=A1*3", 5.0
    ws["B1"] = ArrayFormula("B1:B2", "=A1:A2*2")  # one formula filling two cells
    wb.save(tmp_path / "array.xlsx")
    ev = Evaluator(tmp_path / "array.xlsx", verbose=True)
    values = ev.all_values()
    assert isinstance(ev.engine, CompiledEngine)
    assert "formulas" not in capsys.readouterr().err
    assert values[("Sheet", 1, 2)] == 6.0
    assert values[("Sheet", 2, 1)] == 4.0 and values[("Sheet", 2, 2)] == 12.0  # each cell its own element


def test_the_stepper_equals_full_recalculation_and_formulas(engine_books: dict[str, Path]) -> None:
    path = engine_books["chain"]
    compiled, reference = Evaluator(path), Evaluator(path, engine="formulas")
    steps = [ev.stepper(["start"], ["next_w", "loss"]) for ev in (compiled, reference)]
    w = [0.5, 0.5]
    for _ in range(5):
        outs = [step([value]) for step, value in zip(steps, w, strict=True)]
        assert _same(outs[0][0], outs[1][0]) and _same(outs[0][1], outs[1][1])
        full = compiled.values({"start": w[0]}, ["next_w", "loss"])
        assert full["next_w"][0, 0] == outs[0][0] and full["loss"][0, 0] == outs[0][1]
        w = [outs[0][0], outs[1][0]]


def test_shapes_are_parsed_once_and_the_plan_does_not_grow_with_rows(tmp_path: Path) -> None:
    sizes = {}
    for n in (20, 400):
        csv = tmp_path / f"s{n}.csv"
        csv.write_text("x,y\n" + "".join(f"{k % 50},{2 * (k % 50) + 30}\n" for k in range(n)), encoding="utf-8")
        book = read_book(build(tmp_path / f"l{n}.xlsx", data=csv, live_epochs=0))
        engine = CompiledEngine(book)
        sizes[n] = (len(book.shapes), len(engine.plan.units), book.formula_count())
    assert sizes[20][:2] == sizes[400][:2]  # the same shapes and loop units
    # per extra sample: 12 formula columns in the descent table (y comes from the CSV), and the data
    # block holds the CSV's samples: 2 in the guess block (x copied, y_pred), 3 in the errors
    assert sizes[400][2] - sizes[20][2] == 380 * (12 + 2 + 3)


def test_cross_sheet_names_and_a_long_chain(tmp_path: Path) -> None:
    """3,000 chained rows (pycel's recursion fails near 150): no recursion, one loop."""
    path = chain_book(tmp_path / "long.xlsx", rows=3000)
    ev = Evaluator(path)
    w = 0.5
    for row in range(1, 3001):
        x = (row % 7) + 0.5
        w = w - 0.01 * (2 * x * (w * x - (2 * x + 1)))
    assert ev.values({}, ["next_w"])["next_w"][0, 0] == w


def test_an_input_that_holds_a_formula_falls_back(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["A2"] = "=1+1", "=A1*3"
    wb.defined_names["a"] = DefinedName("a", attr_text="Sheet!$A$1")
    wb.save(tmp_path / "f.xlsx")
    assert Evaluator(tmp_path / "f.xlsx").values({"a": 5.0}, ["Sheet!A2"])["Sheet!A2"][0, 0] == 15.0


def test_a_whole_sheet_name_is_refused_before_evaluation(books: dict[str, Path], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    import openpyxl

    wb = openpyxl.load_workbook(books["corrected"])
    wb.defined_names["epoch_log"] = DefinedName("epoch_log", attr_text="Lesson!$R$90:$XFD$1048576")
    wb.save(tmp_path / "huge.xlsx")
    assert main(["run", str(tmp_path / "huge.xlsx")]) == 3
    err = capsys.readouterr().err.strip()
    assert "17,160,586,729 cells, more than the limit of 5,000,000" in err and "\n" not in err


def test_a_workbook_with_too_many_cells_is_refused(books: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("GDSHEET_MAX_CELLS", "300")  # the default lesson holds more
    assert main(["check", str(books["corrected"])]) == 3
    assert "holds more than 300 cells" in capsys.readouterr().err


def test_entity_declarations_in_a_sheet_are_refused(books: dict[str, Path], tmp_path: Path) -> None:
    import zipfile

    from gdsheet.errors import WorkbookError

    bomb = tmp_path / "entities.xlsx"
    with zipfile.ZipFile(books["seed"]) as source, zipfile.ZipFile(bomb, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                head = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                data = data.replace(b"?>", b"?>" + head, 1) if data.startswith(b"<?xml") else head + data
            target.writestr(info, data)
    with pytest.raises(WorkbookError, match="declares entities"):
        read_book(bomb)


def test_cells_without_addresses_are_placed_in_order(tmp_path: Path) -> None:
    """OOXML lets a writer leave out r= on rows and cells: they follow the previous one."""
    import zipfile

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["C1"], ws["A2"], ws["B2"] = 2.0, 3.0, "=A1*B1", 5.0, "=C1+A2"
    wb.save(tmp_path / "plain.xlsx")
    bare = tmp_path / "bare.xlsx"
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as source, zipfile.ZipFile(bare, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb' r="[A-Z0-9]+"', b"", data)
            target.writestr(info, data)
    values = Evaluator(bare).all_values()
    assert values == {("Sheet", 3, 1): 6.0, ("Sheet", 2, 2): 11.0}


def test_a_17_digit_sample_is_written_and_read_exactly(tmp_path: Path) -> None:
    """openpyxl writes numbers with 16 significant digits; the build keeps every digit."""
    y = 1.3643566636851574  # needs 17 significant digits to round-trip
    assert float(f"{y:.16g}") != y
    csv = tmp_path / "exact.csv"
    csv.write_text(f"x,y\n1,{y!r}\n2,4.5\n", encoding="utf-8")
    ev = Evaluator(build(tmp_path / "exact.xlsx", data=csv, live_epochs=0))
    assert ev.numbers("descent_y")[0] == y
