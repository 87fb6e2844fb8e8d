"""Hand-made workbooks in layouts gdsheet does not build, for the engine's differential tests.

Each function writes a workbook with openpyxl and returns its path. They cover what the
compiled engine implements: every supported function and operator, cross-sheet references
(a quoted sheet name included), defined names, Excel errors as values, and Excel's rules for
empty cells, text and booleans.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName

SEMANTIC_FORMULAS = (
    # arithmetic, precedence, unary minus, percent, power
    "=1+2*3-4/8",
    "=-2^2",
    "=2^-1",
    "=(-8)^(1/3)",
    "=0^0",
    "=0^-1",
    "=50%",
    "=-Data!A1%",
    "=Data!A1^Data!A2",
    # empty cells: 0 in arithmetic, skipped by aggregates, =ref shows 0
    "=Data!A9",
    "=Data!A9+1",
    "=Data!A9*Data!A1",
    "=COUNT(Data!A1:A9)",
    "=SUM(Data!A1:A9)",
    "=AVERAGE(Data!A1:A9)",
    "=MIN(Data!A1:A9)",
    "=MAX(Data!A1:A9)",
    "=SUMSQ(Data!A1:A3)",
    # text: #VALUE! in arithmetic, numeric text coerced, skipped in ranges
    "=Data!A4+1",
    "=Data!A5+1",
    "=SUM(Data!A4:A5)",
    "=COUNT(Data!A4:A5)",
    "=SQRT(Data!A4)",
    '="abc"&Data!A1',
    '=Data!A1&"x"&TRUE',
    # booleans: 1/0 in arithmetic, skipped by SUM over ranges, counted when typed directly
    "=Data!A6+1",
    "=TRUE*3",
    "=SUM(Data!A6:A7)",
    "=COUNT(Data!A6:A7)",
    "=SUM(TRUE,2)",
    "=COUNT(TRUE,2,Data!A9)",
    # errors propagate, division by zero, domain errors
    "=1/0",
    "=Data!A1/Data!A9",
    "=Data!A8+1",
    "=SUM(Data!A1:A8)",
    "=COUNT(Data!A1:A8)",
    "=SQRT(-1)",
    "=LN(0)",
    "=LN(-1)",
    "=EXP(1000)",
    "=EXP(-1000)",
    "=ABS(-3.5)",
    "=EXP(1)",
    "=LN(10)",
    "=SQRT(2)",
    "=IF(Data!A1>2,Data!A2,Data!A3)",
    "=IF(Data!A1<2,Data!A2,Data!A3)",
    '=IF(Data!A4="ABC",1,2)',
    "=IF(Data!A9,1,2)",
    "=IF(Data!A1>=1,1/0,5)",
    "=IF(Data!A1<=1,1/0,5)",
    "=IF(Data!A1<>1,7)",
    "=IF(Data!A1=1,7)",
    "=Data!A1>Data!A4",
    "=Data!A1=Data!A9",
    # ranges, SUMPRODUCT and array arithmetic
    "=SUMPRODUCT(Data!B1:B3,Data!C1:C3)",
    "=SUMPRODUCT((Data!B1:B3*2+1-Data!C1:C3)^2)",
    "=SUMPRODUCT(Data!B1:B3,Data!C1:C2)",
    "=SUMPRODUCT(Data!A1:A9,Data!A1:A9)",
    "=SUM(Data!B1:C3)",
    "=SUMSQ(Data!B1:C3,2)",
    "=AVERAGE(Data!B1:C3)",
    "=MIN(Data!B1:C3,-1)",
    "=MAX(Data!B1:C3,100)",
    # names and a quoted sheet name
    "=rate*10",
    "=SUM(samples)",
    "=SUMPRODUCT(samples,samples)",
    "='My Data'!A1*2",
    "=SUM('My Data'!A1:A3)",
    "=POWER(2,10)",
    "=1E-3*2",
)
"""One formula per row of the Calc sheet, column B."""


def semantics_book(path: Path, sheet: str = "My Data") -> Path:
    """Data!A1..A9: 3, 2, 0.5, "abc", "3", TRUE, FALSE, #DIV/0!, empty; B/C: numbers.

    ``sheet`` names the second sheet; the formulas package cannot load a sheet named
    ``O'Brien``, so that name is only compared with LibreOffice.
    """
    wb = Workbook()
    data = wb.active
    data.title = "Data"
    for row, value in enumerate((3, 2, 0.5, "abc", "3", True, False, "#DIV/0!"), start=1):
        data.cell(row=row, column=1, value=value)
    data["A5"].data_type = "s"  # numeric text, stored as text
    for row, (b, c) in enumerate(((1.5, 2.0), (-2.25, 4.0), (3.0, 0.125)), start=1):
        data.cell(row=row, column=2, value=b)
        data.cell(row=row, column=3, value=c)
    obrien = wb.create_sheet(sheet)
    for row, value in enumerate((1.25, 2.5, 5.0), start=1):
        obrien.cell(row=row, column=1, value=value)
    calc = wb.create_sheet("Calc")
    for row, formula in enumerate(SEMANTIC_FORMULAS, start=1):
        calc.cell(row=row, column=1, value=formula[1:])  # the formula's text, as a label
        calc.cell(row=row, column=2, value=formula)
    wb.defined_names["rate"] = DefinedName("rate", attr_text="Data!$B$1")
    quoted = "'" + sheet.replace("'", "''") + "'"
    wb.defined_names["samples"] = DefinedName("samples", attr_text=f"{quoted}!$A$1:$A$3")
    for row in range(1, len(SEMANTIC_FORMULAS) + 1):  # the same formulas, naming the sheet as given
        text = calc.cell(row=row, column=2).value
        calc.cell(row=row, column=2, value=text.replace("'My Data'", quoted))
    wb.save(path)
    return path


def chain_book(path: Path, rows: int = 300) -> Path:
    """A running sum and a per-sample update chained down ``rows`` rows, reading another sheet.

    pycel fails on this shape with a RecursionError between 120 and 150 rows.
    """
    wb = Workbook()
    inputs = wb.active
    inputs.title = "Inputs"
    inputs["A1"], inputs["A2"], inputs["A3"] = 0.5, 0.01, 1.0
    chain = wb.create_sheet("Chain")
    for row in range(1, rows + 1):
        chain.cell(row=row, column=1, value=(row % 7) + 0.5)  # x
        chain.cell(row=row, column=2, value=2 * ((row % 7) + 0.5) + 1)  # y
        above = "start" if row == 1 else f"E{row - 1}"
        chain.cell(row=row, column=3, value=f"={above}")  # w
        chain.cell(row=row, column=4, value=f"=2*A{row}*(C{row}*A{row}-B{row})")  # gradient
        chain.cell(row=row, column=5, value=f"=C{row}-Inputs!$A$2*D{row}")  # new w
        chain.cell(row=row, column=6, value=f"=D{row}" if row == 1 else f"=F{row - 1}+D{row}")  # running sum
    chain.cell(row=1, column=8, value=f"=E{rows}")
    chain.cell(row=2, column=8, value=f"=SQRT(SUMPRODUCT((C1:C{rows}*A1:A{rows}-B1:B{rows})^2)/COUNT(A1:A{rows}))")
    wb.defined_names["start"] = DefinedName("start", attr_text="Inputs!$A$1")
    wb.defined_names["next_w"] = DefinedName("next_w", attr_text="Chain!$H$1")
    wb.defined_names["loss"] = DefinedName("loss", attr_text="Chain!$H$2")
    wb.save(path)
    return path


def cycle_book(path: Path) -> Path:
    """A1 = B1 + 1, B1 = A1 * 2: a circular reference."""
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["C1"] = "=B1+1", "=A1*2", 5
    wb.save(path)
    return path


def fallback_book(path: Path) -> Path:
    """A function the compiled engine does not implement (TRUNC), so it must fall back."""
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"] = 2.345678, "=TRUNC(A1,2)*2", "=A2+A1"
    wb.save(path)
    return path
