"""What a workbook shows besides its values: each cell style's number format, and the drawings
anchored over cells. Parts are found by relationship type (:mod:`gdsheet.xlsx.package`), read
through the bounded archive, parsed by defusedxml.

:func:`format_problem` says when a number format would show another number than the cell's
value: a literal digit (``"12.50"``, ``\\1``), scaling (``%``, or ``0,,`` that divides by a
million), a date or time code, or a section with no digit at all (``;;;`` hides the number).
Rounding (``0.0``), thousands separators, colours, conditions and scientific notation show the
same number, and pass.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from gdsheet.xlsx.archive import open_archive
from gdsheet.xlsx.package import DRAWING, relationships, tree, workbook_part

STYLES = "styles"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"

BUILT_IN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
    12: "# ?/?", 13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm", 37: "#,##0 ;(#,##0)",
    38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss",
    46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}  # fmt: skip
"""ECMA-376's built-in number formats (ids without a ``<numFmt>``)."""

_TOKENS = re.compile(r'"[^"]*"?|\\.|\[[^\]]*\]?|_.|\*.|.', re.S)


def _sections(code: str) -> list[list[str]]:
    """The format's sections (split at ``;`` outside quotes and brackets), each as tokens."""
    sections: list[list[str]] = [[]]
    for token in _TOKENS.findall(code):
        if token == ";":
            sections.append([])
        else:
            sections[-1].append(token)
    return sections


def format_problem(code: str, share: bool = False) -> str | None:
    """Why the number format ``code`` shows another number than the cell's value, or None.

    ``share``: the cell holds a share (a classifier's accuracy), which the lesson itself shows as
    a percentage: 0.85 shown as 85.0% is the same number, so ``%`` is allowed there only."""
    if code.strip().lower() in ("general", "@", ""):
        return None
    for index, tokens in enumerate(_sections(code)[:3]):
        plain = [t for t in tokens if not t.startswith(("[", "_", "*"))]
        literal = "".join(t[1:].strip('"') if t.startswith('"') else t[1:] for t in plain if t[:1] in ('"', "\\"))
        bare = "".join(t for t in plain if t[:1] not in ('"', "\\"))
        if re.search(r"[0-9]", literal) or re.search(r"[1-9]", bare):
            return f"it shows a literal number ({code!r})"
        if bare.count("%") > (1 if share else 0):
            return f"it multiplies the value by 100 ({code!r})"
        if re.search(r"[0#?],+(?![0#?])", bare):
            return f"its trailing comma divides the value by 1,000 or more ({code!r})"
        if re.search(r"[yYmMdDhHsS]|AM/PM|A/P", re.sub(r"E[+-]", "", bare)) and bare.lower() != "general":
            return f"it shows the value as a date or time ({code!r})"
        if index < 3 and not re.search(r"[0#?]", bare) and bare.strip().lower() != "general":
            which = ("positive", "negative", "zero")[index]
            return f"its {which} section shows no digits ({code!r})"
    return None


@dataclass(frozen=True)
class Drawn:
    """Something drawn on a sheet: its kind (``sp`` a shape or text box, ``pic`` a picture,
    ``graphicFrame`` a chart…) and the cells it covers, 1-based and inclusive."""

    kind: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int


EMU_PER_COLUMN = 609_600  # Excel's default column (64 px) and row (20 px) in EMU, for anchors sized in EMU
EMU_PER_ROW = 190_500


def number_formats(path: str | Path) -> dict[int, str]:
    """Style index (a cell's ``s``) -> its number format code, for every cell style."""
    with open_archive(path) as zin:
        return _number_formats(zin)


def _number_formats(zin: zipfile.ZipFile) -> dict[int, str]:
    book = workbook_part(zin)
    part = next((r.target for r in relationships(zin, book) if r.kind == STYLES and not r.external), None)
    if part is None or part not in zin.NameToInfo:
        return {}
    root = tree(zin, part)
    custom = {int(el.get("numFmtId", "-1")): el.get("formatCode", "") for el in root.iter(f"{_MAIN}numFmt")
              if el.get("numFmtId", "").isdigit()}  # fmt: skip
    xfs = root.find(f"{_MAIN}cellXfs")
    formats = {}
    for index, xf in enumerate(xfs if xfs is not None else ()):
        ident = xf.get("numFmtId", "0")
        number = int(ident) if ident.isdigit() else 0
        formats[index] = custom.get(number, BUILT_IN_FORMATS.get(number, "General"))
    return formats


def drawings(path: str | Path, sheet_parts: dict[str, str]) -> dict[str, list[Drawn]]:
    """Sheet name -> what is drawn on it (every anchor of every drawing the sheet relates to)."""
    found: dict[str, list[Drawn]] = {}
    with open_archive(path) as zin:
        for sheet, part in sheet_parts.items():
            for rel in relationships(zin, part):
                if rel.kind == DRAWING and not rel.external and rel.target in zin.NameToInfo:
                    found.setdefault(sheet, []).extend(_anchors(tree(zin, rel.target)))
    return found


def _cell_of(marker: object) -> tuple[int, int]:
    """(row, column), 1-based, of an ``xdr:from``/``xdr:to`` marker."""

    def number(tag: str) -> int:
        el = marker.find(f"{_XDR}{tag}")  # type: ignore[attr-defined]
        text = (el.text or "0").strip() if el is not None else "0"
        return int(text) if text.isdigit() else 0

    return number("row") + 1, number("col") + 1


def _emu(el: object, name: str) -> int:
    text = el.get(name, "0") if el is not None else "0"  # type: ignore[attr-defined]
    return int(text) if text.isdigit() else 0


def _anchors(root: object) -> list[Drawn]:
    drawn = []
    for anchor in root:  # type: ignore[attr-defined]
        tag = anchor.tag.removeprefix(_XDR)
        content = next((child.tag.removeprefix(_XDR) for child in anchor
                        if child.tag.removeprefix(_XDR) in ("sp", "pic", "grpSp", "cxnSp", "graphicFrame",
                                                            "contentPart")), "shape")  # fmt: skip
        start = anchor.find(f"{_XDR}from")
        ext = anchor.find(f"{_XDR}ext")
        if tag == "twoCellAnchor" and start is not None and anchor.find(f"{_XDR}to") is not None:
            (row1, col1), (row2, col2) = _cell_of(start), _cell_of(anchor.find(f"{_XDR}to"))
        elif tag in ("oneCellAnchor", "absoluteAnchor"):
            if tag == "oneCellAnchor" and start is not None:
                row1, col1 = _cell_of(start)
            else:
                pos = anchor.find(f"{_XDR}pos")
                row1, col1 = _emu(pos, "y") // EMU_PER_ROW + 1, _emu(pos, "x") // EMU_PER_COLUMN + 1
            row2 = row1 + _emu(ext, "cy") // EMU_PER_ROW
            col2 = col1 + _emu(ext, "cx") // EMU_PER_COLUMN
        else:
            continue
        drawn.append(Drawn(content, min(row1, row2), min(col1, col2), max(row1, row2), max(col1, col2)))
    return drawn
