"""A preset file is input from anyone, checked like a CSV before it becomes a lesson.

A teacher's .toml may come by mail. So it is read with a size bound, must be UTF-8 text, is
parsed with nesting errors caught, and every value is type-checked by key (a number where text
belongs, or text where a number belongs, names the key). Texts must not hold control characters
(escape sequences would reach the terminal or the sheet; tabs and newlines in the prose may stay)
and must fit a cell; number formats must be ones Excel would accept. Sizes that would put the
sheet past Excel's last row or column are checked by the writer, which knows the layout.
"""

from __future__ import annotations

import numbers
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gdsheet.errors import GdsheetError
from gdsheet.limits import MAX_LIST_ITEMS, MAX_PRESET_BYTES

EXCEL_CELL_CHARS = 32_767
EXCEL_FORMAT_CHARS = 255

NUMBERS = {
    "line": ("m_actual", "b_actual"),
    "guess": ("m", "b"),
    "descent": ("m_start", "b_start", "learn", "fd_step"),
    "rules": ("hidden", "decay"),
}
NUMBER_LISTS = {"line": ("data_x", "data_y"), "grid": ("m", "b"), "descent": ("x", "y")}
TEXTS = {
    "": ("name", "summary"),
    "rules": ("gradient", "loss", "loss_label", "loss_format", "grid_format", "model", "activation", "schedule"),
}
TABLES = ("line", "guess", "grid", "descent", "rules", "text", "layout")
FORMAT_KEYS = ("loss_format", "grid_format")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def read_preset_text(path: Path) -> str:
    """The text of a preset file: at most :data:`MAX_PRESET_BYTES`, UTF-8, not binary."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PRESET_BYTES + 1)
    except OSError as exc:
        raise GdsheetError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > MAX_PRESET_BYTES:
        raise GdsheetError(f"{path}: a preset file may be at most {MAX_PRESET_BYTES // 1024:,} KB")
    if b"\x00" in data:
        raise GdsheetError(f"{path}: not a text file (it holds NUL bytes); a preset is UTF-8 TOML")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GdsheetError(f"{path}: not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})") from None


def parse_preset(text: str, where: str) -> dict[str, Any]:
    """The TOML document, with every value checked (see :func:`check_preset_doc`)."""
    try:
        doc = tomllib.loads(text)
        check_preset_doc(doc, where)
    except tomllib.TOMLDecodeError as exc:
        raise GdsheetError(f"{where}: not valid TOML: {exc}") from None
    except RecursionError:
        raise GdsheetError(f"{where}: nested too deeply to be a preset") from None
    return doc


def is_real(value: object) -> bool:
    """A number as Python code or TOML gives it: int, float (numpy's too), never a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _kind(value: object) -> str:
    return {str: "text", list: "a list", dict: "a table", bool: "true/false"}.get(type(value), "a number")


def check_preset_doc(doc: Mapping[str, Any], where: str) -> None:
    """Type-check the known keys, then bound every list and check every text, known or not."""
    for table in TABLES:
        if table in doc and not isinstance(doc[table], dict):
            raise GdsheetError(f"{where}: [{table}] must be a table, got {_kind(doc[table])}")
    for table, keys in NUMBERS.items():
        for key in keys:
            value = doc.get(table, {}).get(key)
            if value is not None and not is_real(value):
                raise GdsheetError(f"{where}: {table}.{key} must be a number, got {_kind(value)}")
    for table, keys in NUMBER_LISTS.items():
        for key in keys:
            values = doc.get(table, {}).get(key)
            if values is None:
                continue
            if not isinstance(values, list) or not all(is_real(v) for v in values):
                raise GdsheetError(f"{where}: {table}.{key} must be a list of numbers")
    for table, keys in TEXTS.items():
        scope = doc.get(table, {}) if table else doc
        for key in keys:
            if key in scope and not isinstance(scope[key], str):
                name = f"{table}.{key}" if table else key
                raise GdsheetError(f"{where}: {name} must be text, got {_kind(scope[key])}")
    for key, value in doc.get("text", {}).items():
        if not isinstance(value, str):
            raise GdsheetError(f"{where}: text.{key} must be text, got {_kind(value)}")
    _walk(doc, "", where)


def _walk(value: object, key: str, where: str) -> None:
    """Bound every list and check every string anywhere in the document (new keys included)."""
    if isinstance(value, dict):
        for name, item in value.items():
            _walk(item, f"{key}.{name}" if key else str(name), where)
    elif isinstance(value, list):
        if len(value) > MAX_LIST_ITEMS:
            raise GdsheetError(f"{where}: {key} has {len(value):,} values, more than a sheet has rows")
        for item in value:
            _walk(item, key, where)
    elif isinstance(value, str):
        prose = key.startswith("text.") and key not in ("text.title", "text.descent_title")
        check_text(f"{where}: {key}", value, multiline=prose)


def check_text(name: str, value: str, *, multiline: bool = False) -> None:
    """Refuse text that a cell cannot hold or that would smuggle control characters."""
    if len(value) > EXCEL_CELL_CHARS:
        raise GdsheetError(f"{name} is longer than a cell holds ({EXCEL_CELL_CHARS:,} characters)")
    if m := (_CONTROL if multiline else _CONTROL_OR_NEWLINE).search(value):
        raise GdsheetError(f"{name} holds the control character {m.group()!r}; remove it")


def number_format_problem(fmt: str) -> str | None:
    """Why Excel would not accept ``fmt`` as a number format, or None."""
    if not fmt or len(fmt) > EXCEL_FORMAT_CHARS:
        return f"must be 1 to {EXCEL_FORMAT_CHARS} characters"
    if _CONTROL_OR_NEWLINE.search(fmt):
        return "holds a control character"
    sections, depth, quoted, escaped = 1, 0, False, False
    for char in fmt:
        if escaped:
            escaped = False
        elif quoted:
            quoted = char != '"'
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == ";" and depth == 0:
            sections += 1
        if depth not in (0, 1):
            return "has unbalanced [ ]"
    if quoted or escaped or depth:
        return 'has an unclosed " or [ or a trailing \\'
    if sections > 4:
        return "has more than 4 sections"
    return None


def check_lesson_texts(fields: Mapping[str, object], text: Mapping[str, str]) -> None:
    """The lesson's own texts and formats (however the lesson was made: preset, option or code)."""
    for key in ("summary", "loss_label", "loss_format", "grid_format", "samples_note"):  # name: a file stem
        value = fields[key]
        if not isinstance(value, str):
            raise GdsheetError(f"{key} must be text, got {_kind(value)}")
        check_text(key, value)
    for key in FORMAT_KEYS:
        if fields[key] and (problem := number_format_problem(str(fields[key]))):  # "": General
            raise GdsheetError(f"{key} {fields[key]!r} is not a number format Excel accepts: it {problem}")
    for key, value in text.items():
        if not isinstance(value, str):
            raise GdsheetError(f"text.{key} must be text, got {_kind(value)}")
        check_text(f"text.{key}", value, multiline=key not in ("title", "descent_title"))
