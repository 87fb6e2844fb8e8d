"""Find a workbook's parts as Excel does: by relationship type, from ``_rels/.rels`` down.

A workbook is an Open Packaging Conventions zip: ``_rels/.rels`` names the main part (type
``officeDocument``), the workbook part's own rels name its worksheets, shared strings and
calculation chain, a sheet's rels its drawings, and a drawing's its charts. A part's file name
means nothing (a decoy ``xl/workbook.xml`` beside the real main part, a worksheet stored as
``xl/data/s1.xml``), so the patcher (:mod:`gdsheet.xlsx.patch`) and the engine's reader
(:mod:`gdsheet.engine.book`) both navigate through this module and never guess by name.

Every part is read through :mod:`gdsheet.xlsx.archive` (bounded sizes) and parsed by defusedxml.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gdsheet.errors import WorkbookError
from gdsheet.xlsx.archive import read_member

OFFICE_DOCUMENT = "officeDocument"
WORKSHEET = "worksheet"
CHARTSHEET = "chartsheet"
SHARED_STRINGS = "sharedStrings"
CALC_CHAIN = "calcChain"
DRAWING = "drawing"
CHART = "chart"


@dataclass(frozen=True)
class Relationship:
    """One relationship of a part: its Id, its type's last word (``worksheet``) and the target
    as a zip member name (resolved against the source part's folder)."""

    id: str
    kind: str
    target: str
    external: bool = False


@dataclass(frozen=True)
class Package:
    """The parts the patcher and the reader need: the workbook part, each sheet (name -> part,
    in workbook order), and the workbook's relationships."""

    workbook: str
    sheets: dict[str, str]
    workbook_rels: tuple[Relationship, ...]

    def first(self, kind: str) -> str | None:
        """The target of the workbook's first relationship of ``kind`` (``sharedStrings``), if any."""
        return next((r.target for r in self.workbook_rels if r.kind == kind and not r.external), None)


def tree(zin: zipfile.ZipFile, name: str) -> Element:
    """A part parsed without entity expansion or external entities (defusedxml)."""
    try:
        return fromstring(read_member(zin, name))
    except DefusedXmlException as exc:
        raise WorkbookError(f"{zin.filename}: refused: {name} declares XML entities ({exc})") from None
    except ParseError as exc:
        raise WorkbookError(f"{zin.filename}: corrupt workbook ({name} is not well-formed XML: {exc})") from None


def resolve(part: str, target: str) -> str:
    """A relationship target as a zip member name: absolute (``/xl/..``) or relative to ``part``."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


def rels_name(part: str) -> str:
    """The member holding ``part``'s relationships (``""`` for the package's own)."""
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def relationships(zin: zipfile.ZipFile, part: str) -> tuple[Relationship, ...]:
    """``part``'s relationships in document order (none when it has no rels member)."""
    name = rels_name(part)
    if name not in zin.NameToInfo:
        return ()
    found = []
    for el in tree(zin, name):
        if el.tag.endswith("Relationship"):
            external = el.get("TargetMode", "") == "External"
            target = el.get("Target", "")
            found.append(
                Relationship(
                    el.get("Id", ""),
                    el.get("Type", "").rstrip("/").rpartition("/")[2],
                    target if external else resolve(part, target),
                    external,
                )
            )
    return tuple(found)


def workbook_part(zin: zipfile.ZipFile) -> str:
    """The main part, named by ``_rels/.rels`` as the officeDocument (whatever its file name)."""
    main = [r for r in relationships(zin, "") if r.kind == OFFICE_DOCUMENT and not r.external]
    if not main:
        raise WorkbookError(f"{zin.filename}: not a workbook (_rels/.rels names no officeDocument part)")
    if main[0].target not in zin.NameToInfo:
        raise WorkbookError(f"{zin.filename}: the workbook part {main[0].target} is missing")
    return main[0].target


def package(zin: zipfile.ZipFile) -> Package:
    """The workbook part, its worksheets by name (relationship type ``worksheet``, in the
    workbook's order; chart sheets left out) and its relationships."""
    book = workbook_part(zin)
    rels = relationships(zin, book)
    by_id = {r.id: r for r in rels}
    sheets: dict[str, str] = {}
    for el in tree(zin, book).iter():
        if el.tag.endswith("}sheet"):
            rel_id = next((v for k, v in el.attrib.items() if k.endswith("}id")), "")
            rel = by_id.get(rel_id)
            if rel is None:
                raise WorkbookError(f"{zin.filename}: sheet {el.get('name', '')!r} has no relationship {rel_id!r}")
            if rel.kind == WORKSHEET and not rel.external:
                sheets[el.get("name", "")] = rel.target
    return Package(book, sheets, rels)


def chart_parts(zin: zipfile.ZipFile, pkg: Package) -> list[str]:
    """Every chart part drawn on a sheet: sheet -> drawing -> chart, by relationship type."""
    charts: list[str] = []
    sheet_parts = [r.target for r in pkg.workbook_rels if r.kind in (WORKSHEET, CHARTSHEET) and not r.external]
    for sheet in sheet_parts:
        for drawing in relationships(zin, sheet):
            if drawing.kind != DRAWING or drawing.external:
                continue
            for chart in relationships(zin, drawing.target):
                if chart.kind == CHART and not chart.external and chart.target not in charts:
                    charts.append(chart.target)
    return [part for part in charts if part in zin.NameToInfo]
