"""The workbook part's edits: defined names re-pointed, calcPr's full recalculation on load,
and the calculation chain unlinked when a formula gives way to a constant."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping

from gdsheet.errors import WorkbookError
from gdsheet.xlsx.package import CALC_CHAIN, relationships, rels_name
from gdsheet.xlsx.xmltext import (
    CALCPR_EL,
    DEFNAME_EL,
    OVERRIDE_EL,
    REL_EL,
    attribute,
    attributes,
    escape,
    part_text,
    prefix,
    splice,
    tag,
)

_AFTER_CALCPR = re.compile(  # CT_Workbook's elements that follow calcPr, in schema order
    r"<(?:\w+:)?(?:oleSize|customWorkbookViews|pivotCaches|smartTagPr|smartTagTypes|webPublishing|"
    r"fileRecoveryPr|webPublishObjects|extLst)\b|</(?:\w+:)?workbook\s*>"
)


def patch_workbook_xml(xml: str, names: Mapping[str, str], full_calc: bool, where: str) -> str:
    for name, refers_to in names.items():
        for m in DEFNAME_EL.finditer(xml):  # names are case-insensitive; sheet-level ones have localSheetId
            attrs = attributes(m.group(2))
            if "localSheetId" not in attrs and (attribute(attrs, "name") or "").casefold() == name.casefold():
                xml = splice(xml, m, tag(prefix(m), "definedName", attrs, escape(refers_to)))
                break
        else:
            raise WorkbookError(f"{where}: no workbook-level defined name {name!r}")
    if full_calc and (m := CALCPR_EL.search(xml)):
        attrs = attributes(m.group(2)) | {"fullCalcOnLoad": '"1"'}
        xml = splice(xml, m, tag(prefix(m), "calcPr", attrs, m.group(3) or ""))
    elif full_calc:
        sheets = re.search(r"</(?:\w+:)?sheets\s*>", xml)
        at = _AFTER_CALCPR.search(xml, sheets.end() if sheets else 0)
        if at is None:
            raise WorkbookError(f"{where}: corrupt workbook (no </workbook>)")
        p = re.match(r"</?(\w+:)?", at.group(0)).group(1) or ""
        xml = xml[: at.start()] + f'<{p}calcPr fullCalcOnLoad="1"/>' + xml[at.start() :]
    return xml


def drop_calc_chain(zin: zipfile.ZipFile, book: str, changed: dict[str, str]) -> str | None:
    """Unlink the calcChain part (Excel rebuilds it, but calls a chain naming a constant cell corrupt);
    return its member name so the copy leaves it out."""
    rel = next((r for r in relationships(zin, book) if r.kind == CALC_CHAIN and not r.external), None)
    if rel is None:
        return None
    part, text = rel.target, part_text(zin, rels_name(book))
    for m in REL_EL.finditer(text):
        if attribute(attributes(m.group(2)), "Id") == rel.id:
            changed[rels_name(book)] = splice(text, m, "")
    types = part_text(zin, "[Content_Types].xml")
    for m in reversed(list(OVERRIDE_EL.finditer(types))):
        if (attribute(attributes(m.group(2)), "PartName") or "").lstrip("/") == part:
            types = splice(types, m, "")
    changed["[Content_Types].xml"] = types
    return part
