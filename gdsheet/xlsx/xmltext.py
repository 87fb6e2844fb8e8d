"""OOXML parts as text: the few regexes the patcher splices with, and the bounds that keep them linear.

The patcher edits a part's XML *text* (see :mod:`gdsheet.xlsx.patch` for why), so it needs to
find tags, attributes and cells by pattern. A workbook is hostile input, and a pattern over
hostile text can take quadratic or exponential time, so a part is only handed to these
patterns once :func:`part_text` has checked it: well-formed (expat, so every ``<`` outside a
comment, CDATA section or processing instruction starts a tag, and attribute values hold no
``<``), none of those three after the root element starts (Excel and LibreOffice never write
them there, and inside them text would look like markup), and no attribute or text longer
than :data:`MAX_TOKEN` characters. On such text every pattern here is linear: each alternation
is decided by its first character, and a scan for a closing tag stops at the next ``<``.
"""

from __future__ import annotations

import math
import numbers
import re
import zipfile
from collections.abc import Iterable, Iterator
from html import escape as _escape
from html import unescape
from typing import BinaryIO
from xml.parsers import expat

from gdsheet.errors import WorkbookError
from gdsheet.xlsx.archive import read_member
from gdsheet.xlsx.ranges import Range, RangeError, parse_cell, split_range

CellValue = float | int | str | bool | None

ERROR_CODES = frozenset("#NULL! #DIV/0! #VALUE! #REF! #NAME? #NUM! #N/A #GETTING_DATA #SPILL! #CALC! #FIELD!".split())
ATTRS = r"(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*"  # quoted pairs: a '>' in a value can't end the tag
ATTR = re.compile(r"([\w:.-]+)\s*=\s*(\"[^\"]*\"|'[^']*')")


def body_of(name: str) -> str:
    """An element's content up to its end tag, which cannot run past another start or end tag of
    the same name: an unclosed element costs a scan to the next one, not to the end of the part."""
    return rf"[^<]*(?:<(?!/?(?:\w+:)?{name}[\s/>])[^<]*)*"


def element(name: str) -> re.Pattern[str]:
    """A whole element in any prefix: group 1 prefix, 2 attributes, 3 content (None if self-closing)."""
    return re.compile(rf"<(?:(\w+):)?{name}({ATTRS})\s*(?:/>|>({body_of(name)})</(?:\w+:)?{name}\s*>)")


SHEETDATA_EL, ROW_EL, CELL_EL, FORMULA_EL, EXTLST_EL, DIM_EL = map(
    element, ("sheetData", "row", "c", "f", "extLst", "dimension")
)
CALCPR_EL, DEFNAME_EL, REL_EL, OVERRIDE_EL = map(element, ("calcPr", "definedName", "Relationship", "Override"))


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities: XML text. :mod:`html`'s, not :mod:`xml.sax.saxutils`',
    which imports :mod:`urllib.request` (and with it ssl and email) on every command's start.
    Its ``unescape`` also reads numeric character references (``&#10;``), as XML does."""
    return _escape(text, quote=False)


def attributes(text: str) -> dict[str, str]:
    """Attribute name -> raw quoted value, in document order, so a rewritten tag keeps both."""
    return {m.group(1): m.group(2) for m in ATTR.finditer(text)}


def attribute(attrs: dict[str, str], name: str) -> str | None:
    raw = attrs.get(name)
    return None if raw is None else unescape(raw[1:-1])


def tag(p: str, name: str, attrs: dict[str, str], content: str) -> str:
    head = f"<{p}{name}" + "".join(f" {k}={v}" for k, v in attrs.items())
    return f"{head}>{content}</{p}{name}>" if content else f"{head}/>"


def splice(text: str, m: re.Match[str], new: str) -> str:
    return text[: m.start()] + new + text[m.end() :]


def prefix(m: re.Match[str]) -> str:
    return f"{m.group(1)}:" if m.group(1) else ""


def ooxml_string(text: str) -> str:
    """Escape an OOXML string: ``_xHHHH_`` for characters XML 1.0 cannot hold (and for a literal
    ``_xHHHH_``, which Excel would otherwise decode), then the XML entities."""
    text = re.sub(r"_(?=x[0-9A-Fa-f]{4}_)", "_x005F_", text)
    text = re.sub(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]", lambda m: f"_x{ord(m.group()):04X}_", text)
    return escape(text)


def xml_number(value: float | int, where: str) -> str:
    if isinstance(value, numbers.Integral):  # numpy's integers too
        return str(int(value))
    if not math.isfinite(value):
        raise WorkbookError(f"{where}: cannot store the non-finite number {value!r}")
    return number_text(float(value))


def number_text(value: float) -> str:
    """A finite float as Excel writes it: the shortest text that reads back as the same double,
    and a whole number without ``.0`` (``4``, not Python's ``4.0``)."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def cell_ref(ref: str, where: str) -> tuple[int, int]:
    """(row, column) of a cell's own A1 reference (no ``$``) within Excel's grid."""
    try:
        return parse_cell(ref, dollars=False)
    except RangeError as exc:
        raise WorkbookError(f"{where}: {exc}") from None


def ref_range(ref: str, where: str) -> Range:
    """The rectangle of a ``ref=`` attribute (a dimension, an array or shared formula's span)."""
    try:
        return split_range(ref)[1]
    except RangeError as exc:
        raise WorkbookError(f"{where}: {exc}") from None


DOCTYPE = re.compile(r"<!DOCTYPE\b(?:[^\[>\"']|\"[^\"]*\"|'[^']*')*(?:\[[^\]]*\]\s*)?>")
_DOCTYPE_BYTES = re.compile(DOCTYPE.pattern.encode())


MAX_TOKEN = 1 << 20
"""The longest attribute value or stretch of text (characters between two ``<``/``>``) in a part
the patcher rewrites: Excel's own longest are a cell's text (32,767) and a formula (8,192)."""

_ROOT_BYTES = re.compile(rb"<[A-Za-z_]")
_CHUNK_BYTES = 1 << 24


def longest_token(data: bytes) -> int:
    """The longest stretch of ``data`` between two angle brackets, in bytes, in linear time and
    bounded memory (numpy over 16 MB chunks; a pattern for it would be quadratic)."""
    import numpy as np

    longest, last = 0, -1
    for start in range(0, len(data), _CHUNK_BYTES):
        chunk = np.frombuffer(data, np.uint8, min(_CHUNK_BYTES, len(data) - start), start)
        at = np.flatnonzero((chunk == 60) | (chunk == 62)) + start
        if at.size:
            longest = max(longest, int(at[0]) - last - 1, int(np.diff(at).max(initial=1)) - 1)
            last = int(at[-1])
    return max(longest, len(data) - last - 1)


def part_bytes(zin: zipfile.ZipFile, name: str) -> bytes:
    """A part's XML to rewrite, as UTF-8 bytes, vetted so that the patterns of this module stay
    linear on it.

    Refused (one line): an attribute or text longer than :data:`MAX_TOKEN`, entity declarations,
    and comments, CDATA sections or processing instructions inside the root element (text there
    would look like markup). Its DOCTYPE, if any, is dropped, so nothing we save can expand or
    fetch an entity. The checks are byte searches, so a part is vetted without being decoded."""
    data = read_member(zin, name)
    if (longest := longest_token(data)) > MAX_TOKEN:
        raise WorkbookError(
            f"{zin.filename}: refused: {name} holds an attribute or text of {longest:,} bytes (more than {MAX_TOKEN:,})"
        )
    root = _ROOT_BYTES.search(data)
    root_at = root.start() if root else len(data)
    if (doctype := data.find(b"<!DOCTYPE", 0, root_at)) >= 0:
        m = _DOCTYPE_BYTES.match(data, doctype)  # one start only: a search would retry at every <!DOCTYPE
        if m is None or b"<!ENTITY" in m.group(0):
            why = "declares XML entities" if m else "has a DOCTYPE gdsheet cannot read"
            raise WorkbookError(f"{zin.filename}: refused: {name} {why}")
        data, root_at = data[: m.start()] + data[m.end() :], root_at - len(m.group(0))
    for mark, what in (
        (b"<!--", "an XML comment"),
        (b"<![CDATA[", "a CDATA section"),
        (b"<?", "a processing instruction"),
    ):
        if data.find(mark, root_at) >= 0:
            raise WorkbookError(f"{zin.filename}: refused: {name} holds {what} inside its root element")
    return data


def part_text(zin: zipfile.ZipFile, name: str) -> str:
    """:func:`part_bytes` as text."""
    return part_bytes(zin, name).decode("utf-8")


BEFORE_R = r"(?:\s+(?!r\s*=)[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s+r\s*=\s*"
ROW_NUM = re.compile(BEFORE_R + r"[\"']([0-9]{1,7})[\"']")  # matched at the start of a tag's attributes
CELL_COL = re.compile(BEFORE_R + r"[\"']([A-Za-z]{1,3})[0-9]{1,7}[\"']")


def write_checked(stream: BinaryIO, pieces: Iterable[str | bytes | memoryview | Iterator[str]], where: str) -> None:
    """Write a part's pieces of text as UTF-8, each string checked by expat as it goes: a safety
    net, so we never write a part Excel cannot parse. A piece that is an iterator (rows rendered
    from our own template, complete elements) is written without the check, so the check costs
    nothing per appended row."""
    parser = expat.ParserCreate(namespace_separator="}")
    try:
        for piece in pieces:
            if isinstance(piece, str | bytes | memoryview):
                data = piece.encode("utf-8") if isinstance(piece, str) else piece
                parser.Parse(data, False)
                stream.write(data)
                del data
            else:
                for chunk in piece:
                    stream.write(chunk.encode("utf-8"))
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise WorkbookError(f"{where} would not be well-formed XML ({exc})") from None
