"""Hand-made workbooks, one per construct real workbooks use, evaluated by the compiled engine
and by LibreOffice (a full recalculation), cell by cell; and RAND under a seed."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula

import gdsheet
from gdsheet.engine.evaluator import Evaluator
from tests.support.cli_inprocess import run_cli
from tests.support.libreoffice import Grid, cell_text, recalculate_many


def _names(path: Path) -> Path:
    wb = openpyxl.Workbook()
    one = wb.active
    one.title = "One"
    two = wb.create_sheet("Two")
    one["A1"], two["A1"] = 2.0, 5.0
    wb.defined_names["rate"] = DefinedName("rate", attr_text="One!$A$1")
    two.defined_names["rate"] = DefinedName("rate", attr_text="Two!$A$1", localSheetId=1)  # Two's own wins there
    one["B1"], two["B1"], two["B2"] = "=rate*10", "=rate*10", "=One!B1+rate"
    wb.save(path)
    return path


def _arrays(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for row, (a, b) in enumerate([(1.0, 2.0), (3.0, 4.0), (2.0, 0.5)], start=1):
        ws.cell(row=row, column=1, value=a)
        ws.cell(row=row, column=2, value=b)
    ws["D1"] = ArrayFormula("D1:E2", "=MMULT(A1:B2,A1:B2)")
    ws["G1"] = ArrayFormula("G1:H2", "=TRANSPOSE(A1:B2)")
    ws["J1"] = ArrayFormula("J1:J3", "=A1:A3*10+B1:B3")
    ws["L1"] = ArrayFormula("L1:L4", "=A1:A3*2")  # one row more than the result: #N/A
    ws["N1"] = "=SUMPRODUCT(--(A1:A3<2.5))"
    ws["N2"] = "=SUMPRODUCT(ABS(A1:A3-B1))"
    ws["N3"] = "=SUMPRODUCT((A1:A3>1)*B1:B3)"
    ws["N4"] = ArrayFormula("N4", "=SUM(A1:B2*A1:B2)")  # a one-cell array formula
    ws["N5"] = "=SUM(A1:A1)"
    wb.save(path)
    return path


def _functions(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "F"
    for row, (key, value) in enumerate([(1, 10.0), (2, 20.0), (3, 30.0), (5, 50.0), (8, 80.0)], start=1):
        ws.cell(row=row, column=1, value=float(key))
        ws.cell(row=row, column=2, value=value)
    formulas = [
        "=MATCH(3,A1:A5,0)", "=MATCH(4,A1:A5)", "=MATCH(60,B1:B5,1)", "=INDEX(B1:B5,MATCH(5,A1:A5,0))",
        "=INDEX(A1:B5,2,2)", "=OFFSET(B1,2,0)", "=SUM(OFFSET(A1,1,1,2,1))", "=ROW()", "=ROW(D9)+COLUMN(D9)",
        "=ROWS(A1:B5)*COLUMNS(A1:B5)", "=_xlfn.CEILING.MATH((ROW(D11)-3)/10)", '=COUNTIF(B1:B5,">25")',
        '=SUMIF(A1:A5,"<=3",B1:B5)', "=IFERROR(1/0,-1)", "=_xlfn.IFNA(MATCH(99,A1:A5,0),-2)",
        "=_xlfn.IFS(A1>1,1,A2>1,2)", '=_xlfn.SWITCH(A3,1,"one",3,"three","other")',
        "=AND(A1>0,A2>1)", "=OR(A1>5,A2>5)", "=_xlfn.XOR(TRUE,TRUE,TRUE)", "=NOT(A1>5)", "=LOG10(B4)",
        "=LOG(8,2)", "=LOG(100)", "=TANH(0.5)", "=SIN(1)+COS(1)", "=ROUND(1.005,2)", "=ROUND(2.675,2)",
        "=ROUND(-1234.5,-2)", "=_xlfn.STDEV.P(B1:B5)", "=_xlfn.VAR.P(B1:B5)", "=SUMXMY2(A1:A5,B1:B5)",
        "=EXP(1)^2", "=QUOTIENT(17,5)", "=MOD(-7,3)", "=(ROUND(1.005,2)-1)*100",
        "=SUM(A:A)+ROWS(A:A)", "=MATCH(5,$A:$A,0)*COLUMNS(2:2)",
        "=NA()", "=_xlfn.IFNA(NA(),7)", "=IF(A1>0,NA(),1)", "=NA()+1",  # NA(): a chart's gap
    ]  # fmt: skip
    for row, formula in enumerate(formulas, start=1):
        ws.cell(row=row, column=4, value=formula)
    wb.save(path)
    return path


def _tables(path: Path) -> Path:
    from openpyxl.worksheet.table import Table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "People"
    ws.append(["Name", "Age", "Fare"])
    for person in (("a", 30, 7.25), ("b", 40, 71.3), ("c", 22, 8.05)):
        ws.append(list(person))
    ws.add_table(Table(displayName="Table1342", ref="A1:C4"))
    ws["E1"], ws["E2"], ws["E3"] = "=MAX(Table1342[Age])", "=SUM(Table1342[[Age]:[Fare]])", "=COUNT(Table1342[Age])"
    for row in range(2, 5):
        ws[f"D{row}"] = "=Table1342[[#This Row],[Age]]*2"
    wb.create_sheet("Other")["A1"] = "=AVERAGE(Table1342[Fare])"
    wb.save(path)
    return path


def _unions(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "U"
    for row, (a, c) in enumerate([(1.0, 10.0), (2.0, 20.0), (3.0, 30.0)], start=1):
        ws.cell(row=row, column=1, value=a)
        ws.cell(row=row, column=3, value=c)
    ws["B2"] = 5.0
    unions = ["=SUM((A1:A3,C1:C3))", "=COUNT((A1:A3,C1:C3),B2)", "=MAX((A1,C3))", "=AVERAGE((A1:A2,C2:C3))",
              "=SUMSQ((A1,B2))", "=PRODUCT((A2:A3,B2))", "=MIN((C1:C3,A3))*2", "=STDEV((A1:A3,C1:C3))",
              "=_xlfn.VAR.S((A1:A3,C1:C3))", "=_xlfn.STDEV.S((A1,C3,B2))", "=VAR((A1:A2,C2:C3))", "=AND((A1:A3,C1:C3))",
              "=OR((A1,B1))", "=_xlfn.XOR((A1:A2,C1))", "=AND((A1:A3,B1),C1)"]  # fmt: skip
    for row, formula in enumerate(unions, start=1):
        ws.cell(row=row, column=5, value=formula)
    wb.save(path)
    return path


BUILDERS = {"names": _names, "arrays": _arrays, "functions": _functions, "tables": _tables, "unions": _unions}


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("semantics")
    return {name: build(out / f"sem_{name}.xlsx") for name, build in BUILDERS.items()}


@pytest.fixture(scope="module")
def office(need_soffice: str, hand_made: dict[str, Path]) -> dict[Path, dict[str, Grid]]:
    return recalculate_many(list(hand_made.values()), shown=False)


def _same(ours: object, text: str) -> bool:
    if isinstance(ours, bool):
        return text.upper() == str(ours).upper()
    if isinstance(ours, float):
        try:
            theirs = float(text)
        except ValueError:
            return False
        return math.isclose(ours, theirs, rel_tol=1e-13, abs_tol=1e-14)  # LibreOffice writes 15 digits
    return str(ours) == text


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_compiled_engine_equals_libreoffice_cell_by_cell(
    name: str, hand_made: dict[str, Path], office: dict[Path, dict[str, Grid]]
) -> None:
    path = hand_made[name]
    ev = Evaluator(path)
    values = ev.all_values()
    assert type(ev.engine).__name__ == "CompiledEngine" and ev.engine.note is None  # all native
    sheets = office[path.resolve()]
    differ = {
        f"{sheet}!{openpyxl.utils.get_column_letter(col)}{row}": (value, theirs)
        for (sheet, col, row), value in values.items()
        if not _same(value, theirs := cell_text(sheets[sheet], f"{openpyxl.utils.get_column_letter(col)}{row}"))
    }
    assert len(values) >= 3 and differ == {}


def test_the_constructs_give_excels_values(hand_made: dict[str, Path]) -> None:
    names = Evaluator(hand_made["names"]).all_values()
    assert names[("One", 2, 1)] == 20.0 and names[("Two", 2, 1)] == 50.0 and names[("Two", 2, 2)] == 25.0
    arrays = Evaluator(hand_made["arrays"]).all_values()
    assert [arrays[("S", c, r)] for r in (1, 2) for c in (4, 5)] == [7.0, 10.0, 15.0, 22.0]
    assert [arrays[("S", 12, r)] for r in range(1, 5)] == [2.0, 6.0, 4.0, "#N/A"]
    assert [arrays[("S", 14, r)] for r in range(1, 6)] == [2.0, 2.0, 4.5, 30.0, 1.0]
    functions = Evaluator(hand_made["functions"]).all_values()
    column = [functions[("F", 4, r)] for r in range(1, 43)]
    assert column[:4] == [3.0, 3.0, 4.0, 50.0] and column[7] == 8.0 and column[10] == 1.0
    assert column[26:28] == [1.01, 2.68] and column[35] == pytest.approx(1.0, rel=1e-12)
    assert column[36:38] == [19.0 + 1_048_576, 4.0 * 16_384]  # whole columns and rows
    assert column[38:] == ["#N/A", 7.0, "#N/A", "#N/A"]
    tables = Evaluator(hand_made["tables"]).all_values()
    assert [tables[("People", 5, r)] for r in (1, 2, 3)] == [40.0, pytest.approx(178.6, rel=1e-15), 3.0]
    assert [tables[("People", 4, r)] for r in (2, 3, 4)] == [60.0, 80.0, 44.0]
    unions = Evaluator(hand_made["unions"]).all_values()  # a union in SUM & co is its areas, compiled
    assert [unions[("U", 5, r)] for r in range(1, 8)] == [66.0, 7.0, 30.0, 13.25, 26.0, 30.0, 6.0]
    # sample deviation of 1, 2, 3, 10, 20, 30: the squares about 11 sum to 688, over 5; of 1, 30, 5:
    # 494 about 12, over 2; of 1, 2, 20, 30: 602.75 about 13.25, over 3
    assert [unions[("U", 5, r)] for r in range(8, 12)] == pytest.approx(
        [math.sqrt(688 / 5), 688 / 5, math.sqrt(494 / 2), 602.75 / 3], rel=1e-15
    )
    assert [unions[("U", 5, r)] for r in range(12, 16)] == [True, True, True, True]  # B1 is empty


def test_rand_is_reproducible_under_a_seed_and_each_cell_draws(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in range(1, 21):
        ws.cell(row=row, column=1, value="=RAND()")
        ws.cell(row=row, column=2, value="=RANDBETWEEN(1,6)")
        ws.cell(row=row, column=3, value=f"=B{row}*2")
    path = tmp_path / "rand.xlsx"
    wb.save(path)

    def draws(seed: int) -> list[list[object]]:
        gdsheet.recalc(path, seed=seed)
        sheet = openpyxl.load_workbook(path, data_only=True).active
        return [[sheet.cell(row=r, column=c).value for c in (1, 2, 3)] for r in range(1, 21)]

    first, again, other = draws(1), draws(1), draws(2)
    assert first == again and first != other
    assert len({row[0] for row in first}) == 20 and all(0 <= row[0] < 1 for row in first)
    assert all(isinstance(row[1], int) and 1 <= row[1] <= 6 and row[2] == 2 * row[1] for row in first)
    report = gdsheet.recalc(path, check=True)
    assert report.volatile == 60 and report.ok  # volatile cells are counted, never compared


def test_iterative_calculation_where_the_workbook_enables_it(tmp_path: Path) -> None:
    from openpyxl.workbook.properties import CalcProperties

    paths = {}
    for iterate in (True, False):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws["A1"], ws["B1"], ws["C1"] = "=B1/2+1", "=A1", "=A1*10"  # a cycle whose fixed point is A1 = 2
        if iterate:
            wb.calculation = CalcProperties(iterate=True, iterateCount=100, iterateDelta=0.001)
        paths[iterate] = tmp_path / f"iterate_{iterate}.xlsx"
        wb.save(paths[iterate])
    values = Evaluator(paths[True]).all_values()
    # Excel stops once no value moves by iterateDelta: the result is the fixed point to within it
    assert abs(values[("Sheet", 1, 1)] - 2.0) < 0.001 and values[("Sheet", 3, 1)] == 10 * values[("Sheet", 1, 1)]
    assert values[("Sheet", 1, 1)] != 2.0  # iterated, not solved
    done = run_cli("recalc", str(paths[False]), "--check")
    assert done.returncode == 3 and "circular reference through Sheet!" in done.stderr
