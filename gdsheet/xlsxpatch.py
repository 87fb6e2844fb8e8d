"""Change a few cells of an existing .xlsx/.xlsm without disturbing anything else in it.

openpyxl's load/save round trip drops charts and images, and re-serialising a part with
ElementTree renames namespace prefixes and loses the declarations that ``mc:Ignorable`` names,
which makes Excel report the file as corrupt. So this module splices the XML *text* of the few
parts it must change (the touched worksheets, ``workbook.xml``, and, when a formula gives way to a
constant, the calcChain bookkeeping) and copies every other zip member unchanged, in order.
ElementTree is used only to read (part paths) and to check that what we wrote is well-formed.
"""

from __future__ import annotations

import bisect
import math
import os
import posixpath
import re
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape, unescape

from openpyxl.formula.translate import Translator, TranslatorError
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from gdsheet.errors import WorkbookError

CellValue = float | int | str | bool | None

_ERRORS = frozenset(
    "#NULL! #DIV/0! #VALUE! #REF! #NAME? #NUM! #N/A #GETTING_DATA #SPILL! #CALC! #FIELD! "
    "#BLOCKED! #UNKNOWN! #CONNECT! #BUSY! #PYTHON!".split()
)
_ATTRS = r"(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*"
_ATTR = re.compile(r"([\w:.-]+)\s*=\s*(\"[^\"]*\"|'[^']*')")
_REF = re.compile(r"([A-Za-z]{1,3})([1-9][0-9]{0,6})")
_CORRUPT = (zipfile.BadZipFile, zlib.error, KeyError, EOFError, NotImplementedError,
            UnicodeError, ElementTree.ParseError, ValueError)  # fmt: skip


def _elem(name: str) -> re.Pattern[str]:
    """Whole element ``name`` in any prefix: group 1 prefix, 2 attributes, 3 content (None if
    self-closing). Attributes are matched as quoted pairs so a ``>`` or ``/`` inside a value
    cannot end the tag early."""
    close = rf"</(?:\w+:)?{name}\s*>"
    return re.compile(rf"<(?:(\w+):)?{name}({_ATTRS})\s*(?:/>|>(.*?){close})", re.S)


_SHEETDATA, _ROW, _C, _F = _elem("sheetData"), _elem("row"), _elem("c"), _elem("f")
_EXTLST, _DIM, _COL = _elem("extLst"), _elem("dimension"), _elem("col")
_CALCPR, _DEFNAME, _REL, _OVERRIDE = (
    _elem("calcPr"), _elem("definedName"), _elem("Relationship"), _elem("Override"))  # fmt: skip
_F_OPEN = re.compile(rf"<(?:\w+:)?f({_ATTRS})\s*/?>")
_AFTER_CALCPR = re.compile(
    r"<(?:\w+:)?(?:oleSize|customWorkbookViews|pivotCaches|smartTagPr|smartTagTypes|"
    r"webPublishing|fileRecoveryPr|webPublishObjects|extLst)\b|</(?:\w+:)?workbook\s*>")


def _attrs(text: str) -> dict[str, str]:
    """Attribute name -> raw quoted value, in document order (dicts keep insertion order)."""
    return {m.group(1): m.group(2) for m in _ATTR.finditer(text)}


def _get(attrs: dict[str, str], name: str) -> str | None:
    raw = attrs.get(name)
    return None if raw is None else unescape(raw[1:-1], {"&quot;": '"', "&apos;": "'"})


def _tag(p: str, name: str, attrs: dict[str, str], content: str) -> str:
    head = f"<{p}{name}" + "".join(f" {k}={v}" for k, v in attrs.items())
    return f"{head}/>" if not content else f"{head}>{content}</{p}{name}>"


def _xstr(text: str) -> str:
    """Escape for an OOXML string: ``_xHHHH_`` for characters XML 1.0 cannot hold (and for a
    literal ``_xHHHH_``, so Excel does not decode it), then the usual XML entities."""
    text = re.sub(r"_(?=x[0-9A-Fa-f]{4}_)", "_x005F_", text)
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]",
                  lambda m: f"_x{ord(m.group()):04X}_", text)  # fmt: skip
    return escape(text)


def _number(value: float | int, where: str) -> str:
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise WorkbookError(f"{where}: cannot store the non-finite number {value!r}")
    return repr(float(value))  # round-trips exactly


def _parse_ref(ref: str, where: str) -> tuple[int, int]:
    m = _REF.fullmatch(ref) if isinstance(ref, str) else None
    if m is None or (col := column_index_from_string(m.group(1).upper())) > 16384 or (
            row := int(m.group(2))) > 1048576:  # fmt: skip
        raise WorkbookError(f"{where}: bad cell reference {ref!r} (expected A1..XFD1048576)")
    return row, col


def _read(zin: zipfile.ZipFile, part: str) -> str:
    return zin.read(part).decode("utf-8")


def _resolve(base_part: str, target: str) -> str:
    """A relationship target as a zip member name (absolute ``/xl/..`` or relative to the part)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_part(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _relationships(zin: zipfile.ZipFile, part: str) -> list[dict[str, str]]:
    """id/Type/Target of each relationship of ``part`` (ElementTree only reads, never writes)."""
    root = ElementTree.fromstring(zin.read(_rels_part(part)))
    return [dict(el.attrib) for el in root if el.tag.endswith("}Relationship")]


def _workbook_part(zin: zipfile.ZipFile) -> str:
    for rel in _relationships(zin, ""):
        if rel.get("Type", "").endswith("/officeDocument"):
            return _resolve("", rel["Target"])
    raise KeyError("no officeDocument relationship in _rels/.rels")


def _sheet_paths(zin: zipfile.ZipFile) -> dict[str, str]:
    book = _workbook_part(zin)
    targets = {r["Id"]: _resolve(book, r["Target"]) for r in _relationships(zin, book)}
    sheets = {}
    for el in ElementTree.fromstring(zin.read(book)).iter():
        if el.tag.endswith("}sheet"):
            rid = next(v for k, v in el.attrib.items() if k.endswith("}id"))
            sheets[el.attrib["name"]] = targets[rid]
    return sheets


def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise WorkbookError(f"{path}: no such file") from None
    except zipfile.BadZipFile:
        raise WorkbookError(f"{path}: not an .xlsx/.xlsm file (not a zip archive)") from None
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot read ({exc.strerror or exc})") from None


def sheet_xml_paths(path: str | Path) -> dict[str, str]:
    """Sheet name -> zip member of its XML, in workbook order, so callers can check sheet names
    before doing any work."""
    with _open(Path(path)) as zin:
        try:
            return _sheet_paths(zin)
        except _CORRUPT as exc:
            raise WorkbookError(f"{path}: corrupt workbook ({exc})") from None


class _Sheet:
    """The ``<sheetData>`` of one worksheet as row and cell texts that can be edited in place.

    Rows are split out once; a row's cells only when an edit or a style lookup needs them.
    Untouched rows are written back as their original text."""

    def __init__(self, xml: str, where: str) -> None:
        m = _SHEETDATA.search(xml)
        if m is None:
            raise WorkbookError(f"{where}: not a worksheet (no <sheetData>)")
        self.xml, self.where, self.span = xml, where, m.span()
        self.p = f"{m.group(1)}:" if m.group(1) else ""
        self.sd_attrs, body = m.group(2), m.group(3) or ""
        self.nums: list[int] = []
        self.rows: list[dict] = []  # gap, text, attrs, body; cells/dirty once parsed
        pos = num = 0
        for r in _ROW.finditer(body):
            attrs = _attrs(r.group(2))
            num = int(_get(attrs, "r") or num + 1)
            attrs.setdefault("r", f'"{num}"')
            self.nums.append(num)
            self.rows.append({"gap": body[pos:r.start()], "text": r.group(0), "attrs": attrs,
                              "body": r.group(3) or ""})  # fmt: skip
            pos = r.end()
        self.tail, self.created, self.formula_removed = body[pos:], [], False

    def cells(self, row: dict) -> list[list]:
        """[column, gap before, cell text] of a row, parsed on first use."""
        if "cells" not in row:
            row["cells"], pos, col = [], 0, 0
            for c in _C.finditer(row["body"]):
                ref = _get(_attrs(c.group(2)), "r")
                col = _parse_ref(ref, self.where)[1] if ref else col + 1
                row["cells"].append([col, row["body"][pos:c.start()], c.group(0)])
                pos = c.end()
            row["rest"] = row["body"][pos:]
        return row["cells"]

    def find(self, num: int, col: int) -> list | None:
        i = bisect.bisect_left(self.nums, num)
        if i < len(self.nums) and self.nums[i] == num:
            return next((c for c in self.cells(self.rows[i]) if c[0] == col), None)
        return None

    def style_for(self, num: int, col: int) -> str | None:
        """A new cell's style: the nearest cell above it in its column, so a table growing
        downward keeps its number formats; failing that the row's or the column's style."""
        i = bisect.bisect_left(self.nums, num)
        for row in reversed(self.rows[:i]):
            if c := next((c for c in self.cells(row) if c[0] == col), None):
                return _attrs(_C.match(c[2]).group(2)).get("s")
        if i < len(self.nums) and self.nums[i] == num:
            attrs = self.rows[i]["attrs"]
            if _get(attrs, "customFormat") in ("1", "true") and "s" in attrs:
                return attrs["s"]
        for c in _COL.finditer(self.xml):
            a = _attrs(c.group(2))
            if int(_get(a, "min") or 0) <= col <= int(_get(a, "max") or 0) and "style" in a:
                return a["style"]
        return None

    def cell(self, num: int, col: int) -> list:
        """The cell at (num, col), created (with row) in sorted position if missing."""
        i = bisect.bisect_left(self.nums, num)
        if i == len(self.nums) or self.nums[i] != num:
            s = self.style_for(num, col)  # before inserting, so the lookup sees the old rows
            self.nums.insert(i, num)
            self.rows.insert(i, {"gap": "", "attrs": {"r": f'"{num}"'}, "body": ""})
        else:
            s = None if self.find(num, col) else self.style_for(num, col)
        row = self.rows[i]
        row["dirty"] = True
        cells = self.cells(row)
        j = bisect.bisect_left([c[0] for c in cells], col)
        if j == len(cells) or cells[j][0] != col:
            attrs = {"r": f'"{get_column_letter(col)}{num}"'} | ({"s": s} if s else {})
            cells.insert(j, [col, "", _tag(self.p, "c", attrs, "")])
            self.created.append((num, col))
        return cells[j]

    def array_ranges(self) -> list[tuple[int, int, int, int]]:
        """(row1, col1, row2, col2) of every array formula: their non-master cells hold a cached
        value but no <f>, and are still formula results."""
        out = []
        for f in _F_OPEN.finditer(self.xml):
            a = _attrs(f.group(1))
            if _get(a, "t") == "array" and (ref := _get(a, "ref")):
                first, _, last = ref.partition(":")
                out.append(_parse_ref(first, self.where) + _parse_ref(last or first, self.where))
        return out

    def render(self) -> str:
        parts = []
        for row in self.rows:
            if not row.get("dirty"):
                parts.append(row["gap"] + row["text"])
                continue
            attrs = {k: v for k, v in row["attrs"].items() if k != "spans"}
            body = "".join(g + t for _, g, t in row["cells"]) + row.get("rest", "")
            parts.append(row["gap"] + _tag(self.p, "row", attrs, body))
        data = _tag(self.p, "sheetData", _attrs(self.sd_attrs), "".join(parts) + self.tail)
        xml = self.xml[: self.span[0]] + data + self.xml[self.span[1]:]
        if self.created and (d := _DIM.search(xml)) and (ref := _get(_attrs(d.group(2)), "ref")):
            first, _, last = ref.partition(":")
            corners = [_parse_ref(first, self.where), _parse_ref(last or first, self.where)]
            rows, cols = zip(*corners, *self.created, strict=False)
            new = f"{get_column_letter(min(cols))}{min(rows)}:{get_column_letter(max(cols))}{max(rows)}"
            attrs = _attrs(d.group(2)) | {"ref": f'"{new}"'}
            xml = xml[: d.start()] + _tag(d.group(1) + ":" if d.group(1) else "", "dimension",
                                          attrs, d.group(3) or "") + xml[d.end():]  # fmt: skip
        return xml


def _set_value(sheet: _Sheet, cell: list, value: CellValue, where: str) -> dict | None:
    """Replace a cell's content by a constant; returns the shared-formula master it was, if so."""
    m, p = _C.match(cell[2]), sheet.p
    attrs = {k: v for k, v in _attrs(m.group(2)).items() if k not in ("t", "cm", "vm")}
    f = _F.search(m.group(3) or "")
    sheet.formula_removed |= f is not None
    if isinstance(value, bool):
        attrs["t"], content = '"b"', f"<{p}v>{int(value)}</{p}v>"
    elif isinstance(value, str):
        attrs["t"] = '"inlineStr"'
        content = f'<{p}is><{p}t xml:space="preserve">{_xstr(value)}</{p}t></{p}is>'
    else:
        content = "" if value is None else f"<{p}v>{_number(value, where)}</{p}v>"
    cell[2] = _tag(p, "c", attrs, content)
    fa = _attrs(f.group(2)) if f else {}
    if f and _get(fa, "t") == "shared" and "ref" in fa and f.group(3):
        return {"si": _get(fa, "si"), "ref": _get(fa, "ref"), "text": unescape(f.group(3)),
                "origin": _get(_attrs(m.group(2)), "r")}  # fmt: skip
    return None


def _set_cached(sheet: _Sheet, cell: list, value: CellValue, where: str) -> None:
    """Replace a formula cell's cached result, keeping its <f> element byte for byte."""
    m, p = _C.match(cell[2]), sheet.p
    attrs = {k: v for k, v in _attrs(m.group(2)).items() if k not in ("t", "vm")}
    inner = m.group(3) or ""
    keep = "".join(x.group(0) for x in (_F.search(inner), _EXTLST.search(inner)) if x)
    if isinstance(value, bool):
        attrs["t"], v = '"b"', str(int(value))
    elif isinstance(value, str):
        attrs["t"], v = ('"e"', value) if value in _ERRORS else ('"str"', _xstr(value))
    else:
        v = None if value is None else _number(value, where)
    f_part, _, ext = keep.partition(f"<{p}extLst")
    content = f_part + (f"<{p}v>{v}</{p}v>" if v is not None else "") + (ext and f"<{p}extLst{ext}")
    cell[2] = _tag(p, "c", attrs, content)


def _unshare(sheet: _Sheet, master: dict, edited: set[tuple[int, int]]) -> None:
    """A constant overwrote a shared formula's master, which alone holds the formula text:
    give each remaining child its own (translated) formula so it keeps computing the same."""
    first, _, last = master["ref"].partition(":")
    (r1, c1), (r2, c2) = _parse_ref(first, sheet.where), _parse_ref(last or first, sheet.where)
    for num in range(r1, r2 + 1):
        for col in range(c1, c2 + 1):
            cell = None if (num, col) in edited else sheet.find(num, col)
            f = _F.search(cell[2]) if cell else None
            fa = _attrs(f.group(2)) if f else {}
            if not f or _get(fa, "t") != "shared" or _get(fa, "si") != master["si"]:
                continue
            dest = f"{get_column_letter(col)}{num}"
            try:
                text = Translator("=" + master["text"], master["origin"]).translate_formula(dest)
            except TranslatorError as exc:
                raise WorkbookError(f"{sheet.where}: cannot unshare formula at {dest} ({exc})")
            new_f = f"<{sheet.p}f>{escape(text[1:])}</{sheet.p}f>"
            cell[2] = cell[2][: f.start()] + new_f + cell[2][f.end():]
            sheet.cell(num, col)  # marks the row dirty


def _patch_sheet(xml: str, edits: dict[tuple[int, int], tuple[str, CellValue]],
                 where: str) -> tuple[str, bool]:  # fmt: skip
    sheet = _Sheet(xml, where)
    arrays = sheet.array_ranges()
    masters = []
    for (num, col), (kind, value) in sorted(edits.items()):
        here = f"{where}, cell {get_column_letter(col)}{num}"
        in_array = [a for a in arrays if a[0] <= num <= a[2] and a[1] <= col <= a[3]]
        old = sheet.find(num, col)
        has_f = bool(old and _F.search(old[2]))
        if kind == "cached":
            if not has_f and not in_array:
                raise WorkbookError(f"{here}: cached value given but the cell has no formula")
            _set_cached(sheet, sheet.cell(num, col), value, here)
        elif in_array and not has_f:
            raise WorkbookError(f"{here}: cannot overwrite part of an array formula")
        elif master := _set_value(sheet, sheet.cell(num, col), value, here):
            masters.append(master)
    for master in masters:
        _unshare(sheet, master, set(edits))
    return sheet.render(), sheet.formula_removed


def _patch_workbook_xml(xml: str, names: Mapping[str, str], full_calc: bool, where: str) -> str:
    for name, refers_to in names.items():
        hits = [m for m in _DEFNAME.finditer(xml) if "localSheetId" not in _attrs(m.group(2))
                and (_get(_attrs(m.group(2)), "name") or "").casefold() == name.casefold()]  # fmt: skip
        if not hits:
            raise WorkbookError(f"{where}: no workbook-level defined name {name!r}")
        m, p = hits[0], f"{hits[0].group(1)}:" if hits[0].group(1) else ""
        new = _tag(p, "definedName", _attrs(m.group(2)), escape(refers_to))
        xml = xml[: m.start()] + new + xml[m.end():]
    if full_calc:
        if m := _CALCPR.search(xml):
            p = f"{m.group(1)}:" if m.group(1) else ""
            new = _tag(p, "calcPr", _attrs(m.group(2)) | {"fullCalcOnLoad": '"1"'}, m.group(3) or "")
            xml = xml[: m.start()] + new + xml[m.end():]
        else:
            sheets_end = re.search(r"</(?:\w+:)?sheets\s*>|<(?:\w+:)?sheets\s*/>", xml)
            at = _AFTER_CALCPR.search(xml, sheets_end.end() if sheets_end else 0)
            p = (re.match(r"</?(\w+:)?", at.group(0)).group(1) or "") if at else ""
            xml = xml[: at.start()] + f'<{p}calcPr fullCalcOnLoad="1"/>' + xml[at.start():]
    return xml


def _drop_calc_chain(zin: zipfile.ZipFile, book: str, changed: dict[str, str]) -> str | None:
    """Remove the calcChain part's relationship and content type; return its member name.
    Excel rebuilds the chain, whereas a stale entry for a cell without formula is 'corrupt'."""
    rels_part = _rels_part(book)
    rels = changed.get(rels_part) or _read(zin, rels_part)
    for m in _REL.finditer(rels):
        a = _attrs(m.group(2))
        if (_get(a, "Type") or "").endswith("/calcChain"):
            part = _resolve(book, _get(a, "Target") or "")
            changed[rels_part] = rels[: m.start()] + rels[m.end():]
            types = _read(zin, "[Content_Types].xml")
            for o in _OVERRIDE.finditer(types):
                if (_get(_attrs(o.group(2)), "PartName") or "").lstrip("/") == part:
                    types = types[: o.start()] + types[o.end():]
            changed["[Content_Types].xml"] = types
            return part
    return None


def patch_workbook(
    src: str | Path,
    dst: str | Path,
    *,
    values: Mapping[tuple[str, str], CellValue] = {},  # noqa: B006 - read only
    cached: Mapping[tuple[str, str], CellValue] = {},  # noqa: B006 - read only
    names: Mapping[str, str] = {},  # noqa: B006 - read only
    full_calc_on_load: bool = True,
) -> None:
    """Write ``src`` to ``dst`` with the given cells, cached results and defined names changed.

    Every other zip member is copied with identical content, name, order and compression; the
    write is atomic (temporary file in dst's directory, fsync, ``os.replace``), so on any error
    dst is left as it was. Raises :class:`WorkbookError` with a one-line message."""
    src, dst = Path(src), Path(dst)
    edits: dict[str, dict[tuple[int, int], tuple[str, CellValue]]] = {}
    for kind, mapping in (("value", values), ("cached", cached)):
        for (sheet, ref), value in mapping.items():
            key = _parse_ref(ref, f"{src}: sheet {sheet!r}")
            if not isinstance(value, (bool, int, float, str, type(None))):
                raise WorkbookError(f"{src}: unsupported value {value!r} for {sheet}!{ref}")
            if key in edits.setdefault(sheet, {}):
                raise WorkbookError(f"{src}: cell {sheet}!{ref} is given more than once")
            edits[sheet][key] = (kind, value)
    with _open(src) as zin:
        try:
            changed, dropped = _patched_parts(zin, src, edits, names, full_calc_on_load)
            _write_atomic(zin, dst, changed, dropped)
        except _CORRUPT as exc:
            raise WorkbookError(f"{src}: corrupt workbook ({type(exc).__name__}: {exc})") from None


def _patched_parts(zin: zipfile.ZipFile, src: Path, edits: dict, names: Mapping[str, str],
                   full_calc: bool) -> tuple[dict[str, bytes], str | None]:  # fmt: skip
    """New bytes of each member to change, and the member to leave out (calcChain) if any."""
    paths, book = _sheet_paths(zin), _workbook_part(zin)
    changed: dict[str, str] = {}
    formula_removed = False
    for sheet, cell_edits in edits.items():
        if sheet not in paths:
            raise WorkbookError(f"{src}: no sheet {sheet!r} (sheets: {', '.join(paths)})")
        xml, removed = _patch_sheet(_read(zin, paths[sheet]), cell_edits, f"{src}: sheet {sheet!r}")
        changed[paths[sheet]], formula_removed = xml, formula_removed or removed
    if names or full_calc:
        changed[book] = _patch_workbook_xml(_read(zin, book), names, full_calc, str(src))
    dropped = _drop_calc_chain(zin, book, changed) if formula_removed else None
    for part, xml in changed.items():
        try:
            ElementTree.fromstring(xml.encode("utf-8"))
        except ElementTree.ParseError as exc:
            raise WorkbookError(f"{src}: {part} is not well-formed XML ({exc})") from None
    return {k: v.encode("utf-8") for k, v in changed.items()}, dropped


def _write_atomic(zin: zipfile.ZipFile, dst: Path, changed: dict[str, bytes],
                  dropped: str | None) -> None:  # fmt: skip
    """Copy the archive into a temporary sibling of dst, then move it over dst in one step."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    except OSError as exc:
        raise WorkbookError(f"{dst}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w") as zout:
                for info in zin.infolist():
                    if info.filename == dropped:
                        continue
                    data = changed.get(info.filename)
                    if data is None:
                        data = zin.read(info)
                    new = zipfile.ZipInfo(info.filename, info.date_time)
                    new.compress_type, new.external_attr = info.compress_type, info.external_attr
                    new.create_system, new.comment = info.create_system, info.comment
                    zout.writestr(new, data)
            fh.flush()
            os.fsync(fh.fileno())
        mode = (dst if dst.exists() else Path(zin.filename or dst)).stat().st_mode
        os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, dst)
    except BaseException as exc:
        os.unlink(tmp)
        if isinstance(exc, OSError):
            raise WorkbookError(f"{dst}: cannot write ({exc.strerror or exc})") from None
        raise
