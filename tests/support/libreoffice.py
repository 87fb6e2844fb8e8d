"""LibreOffice headless as a second, real spreadsheet engine.

Used by the tests (and anyone checking a workbook) to recalculate a file the way a user's
LibreOffice would and read back both the full-precision values and the text a user sees.
LibreOffice trusts the cached values of an .xlsx that says it came from Excel, so every call
uses a fresh throw-away profile that forces a full recalculation on load (and cannot lock up
against a concurrent call).
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from gdsheet.errors import GdsheetError
from gdsheet.xlsx.ranges import Range

_RECALC_ITEM = (
    '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
    '<prop oor:name="{mode}" oor:op="fuse"><value>0</value></prop></item>'
)
# 0 = always recalculate on load, for Excel (OOXML) and ODF files alike.
RECALC_ALWAYS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
    'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    + _RECALC_ITEM.format(mode="OOXMLRecalcMode")
    + "\n"
    + _RECALC_ITEM.format(mode="ODFRecalcMode")
    + "\n</oor:items>\n"
)

Grid = list[list[str]]


def soffice() -> str | None:
    """Path of the soffice binary, or None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _convert(books: list[Path], out: Path, convert_to: str, timeout: float) -> None:
    binary = soffice()
    if binary is None:
        raise GdsheetError("LibreOffice (soffice) is not installed")
    profile = out / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    command = [
        binary,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        convert_to,
        "--outdir",
        str(out),
        *(str(book) for book in books),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        names = ", ".join(book.name for book in books)
        raise GdsheetError(f"LibreOffice failed on {names}: {result.stderr.strip() or result.stdout.strip()}")


def resave(book: str | Path, out: str | Path, timeout: float = 180) -> Path:
    """``book`` opened (recalculated) and saved again as .xlsx by LibreOffice, into folder ``out``,
    as a user who opens and saves the lesson there would: returns the new file."""
    book, out = Path(book), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _convert([book], out, "xlsx:Calc MS Excel 2007 XML", timeout)
    return out / f"{book.stem}.xlsx"


def recalculate(book: str | Path, *, shown: bool, timeout: float = 180) -> dict[str, Grid]:
    """Recalculate ``book`` in LibreOffice; return each sheet's cells as text rows.

    ``shown=False`` gives full precision (15 significant digits); ``shown=True`` gives each
    cell as its number format displays it, the text a user reads.
    """
    return recalculate_many([book], shown=shown, timeout=timeout)[Path(book).resolve()]


def recalculate_many(books: list[str | Path], *, shown: bool, timeout: float = 600) -> dict[Path, dict[str, Grid]]:
    """:func:`recalculate` for several workbooks in ONE LibreOffice start (which costs seconds).

    Keyed by each book's resolved path. The books' file names (without suffix) must differ.
    """
    paths = [Path(book).resolve() for book in books]
    stems = [path.stem for path in paths]
    if len(set(stems)) != len(stems):
        raise GdsheetError("recalculate_many: the workbooks' file names must differ")
    with tempfile.TemporaryDirectory(prefix="gdsheet-lo-") as tmp:
        out = Path(tmp)
        token9 = "true" if shown else "false"
        csv_filter = f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,{token9},false,false,-1"
        _convert(paths, out, csv_filter, timeout)
        results = {}
        for path in paths:
            sheets = {}
            for sheet_names in _sheet_names(path):
                csv_path = out / f"{path.stem}-{sheet_names}.csv"
                if csv_path.is_file():
                    with csv_path.open(newline="", encoding="utf-8") as handle:
                        sheets[sheet_names] = list(csv.reader(handle))
            if not sheets:
                raise GdsheetError(f"LibreOffice wrote no sheets for {path.name}")
            results[path] = sheets
    return results


def _sheet_names(path: Path) -> list[str]:
    """The workbook's sheet names (LibreOffice names each CSV ``<stem>-<sheet>.csv``)."""
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode("utf-8")
    return [html.unescape(name) for name in re.findall(r'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"', workbook)]


def cell_text(sheet: Grid, address: str) -> str:
    """The text at an A1 address of a sheet read by :func:`recalculate` ('' when empty)."""
    letters, row = coordinate_from_string(address)
    column = column_index_from_string(letters)
    if row > len(sheet) or column > len(sheet[row - 1]):
        return ""
    return sheet[row - 1][column - 1]


def area_text(sheet: Grid, area: Range) -> list[list[str]]:
    """The displayed text of every cell of ``area`` in a recalculated sheet, row by row."""
    return [
        [cell_text(sheet, f"{get_column_letter(c)}{r}") for c in range(area.min_col, area.max_col + 1)]
        for r in range(area.min_row, area.max_row + 1)
    ]


def render_pdf(books: list[str | Path], out: str | Path, timeout: float = 300) -> list[Path]:
    """Render workbooks to PDF in one LibreOffice start (recalculated first); returns the PDFs' paths.

    What a printed lesson looks like: the tests render every preset and count its pages."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [Path(book).resolve() for book in books]
    _convert(paths, out, "pdf", timeout)
    pdfs = [out / f"{path.stem}.pdf" for path in paths]
    missing = [pdf.name for pdf in pdfs if not pdf.is_file()]
    if missing:
        raise GdsheetError(f"LibreOffice wrote no PDF for {', '.join(missing)}")
    return pdfs


def reference_mismatches(path: str | Path, sheets: dict[str, Grid]) -> tuple[set[tuple[str, int, int]], list[str]]:
    """LibreOffice's values of a lesson against the numpy reference, cell by cell.

    Every cell of every derived defined area that holds a formula (and every constant stored
    there, such as the descent table's x column) is compared, rel 1e-9, abs 1e-12; a formula
    cell LibreOffice shows no number for is a mismatch, except ``#N/A`` where the reference of an
    area with gaps (the contract's ``gaps``: a chart's left-out points) is NaN. Returns the
    formula cells compared, as (sheet, column, row), so a caller can assert that no formula of
    the workbook was left out, and one line per mismatch."""
    import math

    from gdsheet.commands.check import expected_by_name
    from gdsheet.commands.lesson_reader import lesson_from_workbook
    from gdsheet.engine.evaluator import Evaluator
    from gdsheet.lesson.contract import contract

    ev = Evaluator(path)
    gapped = {name for name, entry in contract(lesson_from_workbook(ev)).items() if entry.gaps}
    compared: set[tuple[str, int, int]] = set()
    mismatches: list[str] = []
    for name, want in expected_by_name(ev).items():
        area = ev.area(name)
        want = [float(v) for v in want.ravel()]
        if len(want) != area.size:
            mismatches.append(f"{name}: the reference has {len(want)} values for {area.size} cells")
            continue
        sheet = sheets[area.sheet]
        for (row, col), expected in zip(area.cells(), want, strict=True):
            formula = ev.is_formula(area.sheet, col, row)
            if not formula and ev.stored(area.sheet, col, row) is None:
                continue  # a cell the lesson leaves empty by design (the Live sheet's hidden columns)
            if formula:
                compared.add((area.sheet, col, row))
            text = cell_text(sheet, f"{get_column_letter(col)}{row}")
            if name in gapped and math.isnan(expected) and text == "#N/A":
                continue
            try:  # a percentage (a classifier's accuracy) is exported as LibreOffice shows it
                got = float(text[:-1]) / 100 if text.endswith("%") else float(text)
            except ValueError:
                mismatches.append(f"{name} {area.sheet}!{get_column_letter(col)}{row}: {text!r}, want {expected!r}")
                continue
            if not math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12):
                mismatches.append(f"{name} {area.sheet}!{get_column_letter(col)}{row}: {got!r}, want {expected!r}")
    return compared, mismatches


def assert_equals_reference(book: Path, sheets: dict[str, Grid]) -> set[tuple[str, int, int]]:
    """Assert that LibreOffice's values of ``book`` (its ``sheets``) equal the reference on every
    cell and that every formula cell of the workbook was compared; returns the cells compared."""
    from gdsheet.engine.evaluator import Evaluator

    compared, mismatches = reference_mismatches(book, sheets)
    assert mismatches == [], (book.name, mismatches[:3])
    assert compared == set(Evaluator(book).formula_cells()), book.name  # every formula, none left out
    return compared


def assert_tampering_caught(name: str, copy: Path, sheets: dict[str, Grid]) -> None:
    """Assert that a copy whose area ``name`` was tampered with fails both the LibreOffice
    comparison (at that area) and `check`: each comparison can fail."""
    from gdsheet.commands.check import check_workbook

    _, mismatches = reference_mismatches(copy, sheets)
    assert any(line.startswith(name) for line in mismatches), name
    assert not check_workbook(copy).ok, name


def resave_many(books: list[str | Path], out: str | Path, timeout: float = 600) -> list[Path]:
    """Open each workbook in LibreOffice (recalculated) and save it as .xlsx into ``out``, in ONE
    LibreOffice start: the files are then LibreOffice's, as a student's submission would be.
    The books' file names must differ; returns the saved paths in the order given."""
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    paths = [Path(book).resolve() for book in books]
    if len({path.name for path in paths}) != len(paths):
        raise GdsheetError("resave_many: the workbooks' file names must differ")
    with tempfile.TemporaryDirectory(prefix="gdsheet-lo-") as tmp:
        _convert(paths, Path(tmp), "xlsx:Calc MS Excel 2007 XML", timeout)
        saved = []
        for path in paths:
            made = Path(tmp) / f"{path.stem}.xlsx"
            if not made.is_file():
                raise GdsheetError(f"LibreOffice wrote nothing for {path.name}")
            saved.append(Path(shutil.move(str(made), target / made.name)))
    return saved
