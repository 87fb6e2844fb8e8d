"""The engine's reader finds a workbook's parts by relationship type, as Excel does (through
:mod:`gdsheet.xlsx.package`), never by file name: a lesson whose workbook part is ``xl/main.xml``
and whose sheet is ``xl/data/custom1.xml``, beside a decoy ``xl/workbook.xml`` (listed first in
``_rels/.rels``, under another relationship type) whose sheet holds wrong numbers, is read,
checked and recalculated as the real parts say, and LibreOffice shows the same numbers."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from gdsheet.commands.build import build
from gdsheet.commands.check import check_workbook
from gdsheet.commands.recalc import recalc
from gdsheet.commands.run import run
from gdsheet.engine.book import read_book
from tests.support.libreoffice import area_text, recalculate_many
from tests.support.tamper import SHEET_PART, areas, cell, rewrite_member

REAL_BOOK, REAL_SHEET = "xl/main.xml", "xl/data/custom1.xml"
DECOY_SHEET = "xl/decoy/sheet1.xml"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def relocate(source: Path, target: Path) -> Path:
    """``source`` with its workbook and sheet parts moved to non-default paths, and a decoy
    workbook at the default path whose only sheet has every number of the lesson doubled."""
    with zipfile.ZipFile(source) as zin:
        members = {info.filename: zin.read(info) for info in zin.infolist()}
    sheet = members.pop(SHEET_PART)
    book = members.pop("xl/workbook.xml")
    book_rels = members.pop("xl/_rels/workbook.xml.rels").decode()
    sheet_rels = members.pop("xl/worksheets/_rels/sheet1.xml.rels")
    decoy = re.sub(rb"<v>([0-9.]+)</v>", lambda m: b"<v>%r</v>" % (2 * float(m.group(1))), sheet)
    members[REAL_BOOK] = book
    members["xl/_rels/main.xml.rels"] = book_rels.replace("/xl/worksheets/sheet1.xml", "data/custom1.xml").encode()
    members[REAL_SHEET] = sheet
    members["xl/data/_rels/custom1.xml.rels"] = sheet_rels
    members["xl/workbook.xml"] = book  # the decoy: the same names, its sheet another part
    members["xl/_rels/workbook.xml.rels"] = book_rels.replace("/xl/worksheets/sheet1.xml", "decoy/sheet1.xml").encode()
    members[DECOY_SHEET] = decoy
    rels = members["_rels/.rels"].decode()
    decoy_rel = f'<Relationship Type="{OFFICE}/customXml" Target="xl/workbook.xml" Id="rId9"/>'
    rels = rels.replace('Target="xl/workbook.xml"', f'Target="{REAL_BOOK}"')
    members["_rels/.rels"] = rels.replace("<Relationship ", decoy_rel + "<Relationship ", 1).encode()
    types = members["[Content_Types].xml"].decode().replace("/xl/workbook.xml", f"/{REAL_BOOK}")
    types = types.replace(f"/{SHEET_PART}", f"/{REAL_SHEET}")
    members["[Content_Types].xml"] = types.replace(
        "</Types>", f'<Override PartName="/{DECOY_SHEET}" ContentType="{WORKSHEET_TYPE}"/></Types>'
    ).encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in ("[Content_Types].xml", *sorted(set(members) - {"[Content_Types].xml"})):
            zout.writestr(name, members[name])
    return target


@pytest.fixture(scope="module")
def lessons(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A lesson after one epoch (cached values in every formula) and its relocated copy."""
    root = tmp_path_factory.mktemp("parts")
    plain = build(root / "plain.xlsx", live_epochs=0)
    run(plain, epochs=1)
    return plain, relocate(plain, root / "moved.xlsx")


def test_the_reader_follows_the_relationships(lessons: tuple[Path, Path]) -> None:
    plain, moved = lessons
    book, original = read_book(moved, cached=True), read_book(plain, cached=True)
    assert [(s.name, s.part) for s in book.sheets] == [("Lesson", REAL_SHEET)]
    assert book.sheets[0].constants == original.sheets[0].constants
    assert book.sheets[0].cached == original.sheets[0].cached and book.names == original.names


def test_check_and_recalc_read_the_real_parts(lessons: tuple[Path, Path]) -> None:
    plain, moved = lessons
    report, want = check_workbook(moved), check_workbook(plain)
    assert report.ok and report.cells == want.cells == 386, (report.mismatches[:3], report.unchecked[:3])
    checked = recalc(moved, check=True)
    assert checked.ok and checked.cells == recalc(plain, check=True).cells


def test_a_forged_cache_in_the_real_sheet_is_found(lessons: tuple[Path, Path], tmp_path: Path) -> None:
    """The comparison reads the relocated sheet: a doubled cached rmse there fails, naming it."""
    _, moved = lessons
    address = cell(areas(moved)["rmse"])
    pattern = re.compile(rf'(<c r="{address}"[^>]*><f>[^<]*</f>)<v>([^<]*)</v>')
    forged = tmp_path / "forged.xlsx"
    rewrite_member(moved, forged, REAL_SHEET, lambda t: pattern.sub(lambda m: f"{m[1]}<v>{2 * float(m[2])!r}</v>", t))
    [mismatch] = check_workbook(forged).mismatches
    assert (mismatch["cell"], mismatch["kind"]) == (f"Lesson!{address}", "cache")


def test_run_patches_the_real_parts(lessons: tuple[Path, Path], tmp_path: Path) -> None:
    _, moved = lessons
    again = relocate(lessons[0], tmp_path / "again.xlsx")
    run(again, epochs=1)
    with zipfile.ZipFile(again) as zin:
        assert zin.read(DECOY_SHEET) == zipfile.ZipFile(moved).read(DECOY_SHEET)  # the decoy untouched
    report = check_workbook(again)
    assert report.ok, (report.mismatches[:3], report.unchecked[:3])


def test_libreoffice_shows_the_real_sheet(lessons: tuple[Path, Path], need_soffice: str) -> None:
    plain, moved = lessons
    shown = recalculate_many([plain, moved], shown=True)
    table = areas(plain)["descent"]
    assert area_text(shown[moved.resolve()]["Lesson"], table) == area_text(shown[plain.resolve()]["Lesson"], table)
