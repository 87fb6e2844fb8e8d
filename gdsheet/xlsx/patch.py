"""Change a few cells of an existing .xlsx/.xlsm without disturbing anything else in it.

openpyxl's load/save round trip drops charts and images, and re-serialising a part with
ElementTree renames namespace prefixes and loses the declarations that ``mc:Ignorable`` names,
which makes Excel report the file as corrupt. So this module splices the XML *text* of the few
parts it must change (the touched worksheets, the workbook part, and the calcChain bookkeeping
when a formula gives way to a constant) and copies every other zip member unchanged, in order.
ElementTree only reads (to find the parts); expat checks that what we wrote is well-formed.

A workbook is hostile input: members are read through :mod:`gdsheet.xlsx.archive` (bounded sizes),
XML is parsed by defusedxml (no entity expansion, no external entities), a part that declares
entities is refused, and a DOCTYPE is never written back into a part we rewrite.
"""

from __future__ import annotations

import numbers
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from gdsheet.errors import WorkbookError
from gdsheet.xlsx.archive import open_archive, read_member
from gdsheet.xlsx.atomic import atomic_output
from gdsheet.xlsx.cached_values import MISSING, CachedPass, ValueAt
from gdsheet.xlsx.package import chart_parts, package
from gdsheet.xlsx.sheet_edits import REMOVE, Remove, RowBlock, SheetData, patch_sheet, split_tail
from gdsheet.xlsx.workbook_part import drop_calc_chain, patch_workbook_xml
from gdsheet.xlsx.xmltext import CellValue, cell_ref, part_bytes, part_text, write_checked

__all__ = ["MISSING", "REMOVE", "CellValue", "RowBlock", "ValueAt", "patch_workbook", "sheet_xml_paths"]

FAST_COMPRESSION = 1
"""zlib's level for a sheet that grows by appended rows (see :func:`_write_archive`)."""

_CORRUPT = (zipfile.BadZipFile, zlib.error, KeyError, EOFError, NotImplementedError, ValueError, SyntaxError)


def _open(path: Path) -> zipfile.ZipFile:
    return open_archive(path)


def sheet_xml_paths(path: str | Path) -> dict[str, str]:
    """Sheet name -> zip member of its XML, in workbook order, so callers can validate sheet names."""
    with _open(Path(path)) as zin:
        try:
            return package(zin).sheets
        except _CORRUPT as exc:
            raise WorkbookError(f"{path}: corrupt workbook ({type(exc).__name__}: {exc})") from None


def patch_workbook(
    src: str | Path,
    dst: str | Path,
    *,
    values: Mapping[tuple[str, str], CellValue] = {},
    cached: Mapping[tuple[str, str], CellValue] = {},
    cached_at: Mapping[str, ValueAt] = {},
    names: Mapping[str, str] = {},
    full_calc_on_load: bool = True,
    chart_edit: Callable[[str], str] | None = None,
    rows: Mapping[str, RowBlock] = {},
    formulas_end: Mapping[str, int] = {},
) -> None:
    """Write ``src`` to ``dst`` with the given constants, cached formula results and defined names.

    ``values``: (sheet, "B12") -> constant (None clears it, keeping the style; a formula there is
    replaced). ``cached``: (sheet, "C7") -> new cached result of a formula cell, whose <f> is kept.
    ``cached_at``: sheet -> ``value_at(row, column)``, for results of many cells without a map of
    them: it is asked once for each formula cell (and each cell of an array formula's range) not
    given in ``values``, in document order, and returns the new cached result or :data:`MISSING`.
    ``names``: workbook-level defined name -> new refersTo text. ``full_calc_on_load`` makes Excel
    recalculate on open. ``chart_edit`` rewrites each chart part's XML text (the runner grows the
    epoch log's chart ranges with it). ``rows``: sheet -> a :class:`RowBlock` of constants
    written row by row (the epoch log; rows below the sheet's last row are rendered as the file is
    written, so the save is linear in them and holds none of them). ``formulas_end``: sheet -> the
    last row holding a formula (as the caller's evaluator read the file), which lets a save that
    appends below it copy the rows between untouched. Every other member keeps its
    content, name, order and compression; the write is atomic, so on any error dst is as it was.
    Raises :class:`WorkbookError` (one line)."""
    src, dst = Path(src), Path(dst)
    edits: dict[str, dict[tuple[int, int], tuple[bool, CellValue]]] = {sheet: {} for sheet in (*cached_at, *rows)}
    for is_cached, mapping in ((False, values), (True, cached)):
        for (sheet, ref), value in mapping.items():
            key = cell_ref(ref, f"{src}: sheet {sheet!r}")
            if not isinstance(value, numbers.Real | str | None | Remove):  # numbers.Real: numpy's numbers too
                raise WorkbookError(f"{src}: unsupported value {value!r} for {sheet}!{ref}")
            if key in edits.setdefault(sheet, {}):
                raise WorkbookError(f"{src}: cell {sheet}!{ref} is given more than once")
            edits[sheet][key] = (is_cached, value)
    with atomic_output(dst, error=WorkbookError, mode_from=src) as tmp, _open(src) as zin:
        try:
            changed, dropped = _patched_parts(
                zin, src, edits, cached_at, names, full_calc_on_load, chart_edit, rows, formulas_end
            )
            grown = {paths[sheet] for sheet in rows if sheet in (paths := package(zin).sheets)}
            _write_archive(zin, tmp, changed, dropped, src, grown)
        except _CORRUPT as exc:
            raise WorkbookError(f"{src}: corrupt workbook ({type(exc).__name__}: {exc})") from None


def _reader(given: dict[tuple[int, int], CellValue], value_at: ValueAt | None) -> ValueAt | None:
    """One reader for the cached results given by cell and by ``cached_at``; a cell given is
    taken out of ``given``, so what is left there afterwards found no formula cell."""
    if not given:
        return value_at
    if value_at is None:
        return lambda row, col: given.pop((row, col), MISSING)
    return lambda row, col: v if (v := given.pop((row, col), MISSING)) is not MISSING else value_at(row, col)


def _patched_sheet(
    data: bytes, edits: dict, value_at: ValueAt | None, where: str, block: RowBlock | None, formulas_end: int | None
) -> tuple[list[str | memoryview | Iterator[str]] | None, bool]:
    """The sheet's new XML as pieces (None if nothing changed) and whether a formula was removed:
    cached results first, in one forward pass over the formula cells; then the constants, and any
    cached result given for a cell the pass found no formula in (the slow path says why that is
    wrong, or fills an array formula's member). The caller passes the text without keeping it,
    so each version is freed once the next exists: a sheet can be a hundred megabytes.

    When ``block`` appends rows below every formula (``formulas_end``, the last row holding one)
    and every edit, the rows between are split off first and copied untouched, so a save that
    grows a long log costs what it adds, not what the log already holds."""
    tail, xml = None, None
    if block is not None and formulas_end is not None:
        through = max([formulas_end, *(row for row, _ in edits)])
        if block.first_row > through and (split := split_tail(data, where, through)) is not None:
            if split[1].last_row < block.first_row:
                xml, tail = split
            del split
    if xml is None:
        xml = data.decode("utf-8")
    del data  # the tail's view keeps the bytes it needs
    given = {key: value for key, (is_cached, value) in edits.items() if is_cached}
    constants = {key: edit for key, edit in edits.items() if not edit[0]}
    changed = False
    if (reader := _reader(given, value_at)) is not None:
        data = SheetData(xml, where)
        new = CachedPass(xml, reader, frozenset(constants), where).run(data.body_start, data.body_end)
        changed, xml = new is not xml, new
        del new
    rest = constants | {key: (True, value) for key, value in given.items()}
    if rest or block is not None:
        return patch_sheet(xml, rest, where, block, tail)
    return ([xml] if changed else None), False


def _patched_parts(
    zin: zipfile.ZipFile,
    src: Path,
    edits: dict,
    cached_at: Mapping[str, ValueAt],
    names: Mapping[str, str],
    full_calc: bool,
    chart_edit: Callable[[str], str] | None,
    rows: Mapping[str, RowBlock],
    formulas_end: Mapping[str, int],
) -> tuple[dict[str, list[str | memoryview | Iterator[str]]], str | None]:
    """New text of each member that changes (pieces, written out by :func:`_write_archive`), and
    the member to leave out (calcChain) if any."""
    pkg = package(zin)
    book, paths = pkg.workbook, pkg.sheets
    done: dict[str, list[str | memoryview | Iterator[str]]] = {}
    changed: dict[str, str] = {}
    formula_removed = False
    for sheet, cell_edits in edits.items():
        if sheet not in paths:
            raise WorkbookError(f"{src}: no sheet {sheet!r} (sheets: {', '.join(paths)})")
        where = f"{src}: sheet {sheet!r}"
        new, removed = _patched_sheet(
            part_bytes(zin, paths[sheet]),
            cell_edits,
            cached_at.get(sheet),
            where,
            rows.get(sheet),
            formulas_end.get(sheet),
        )
        if new is not None:  # a sheet without formulas is left as it is
            done[paths[sheet]] = new
        formula_removed |= removed
        del new
    if names or full_calc:
        changed[book] = patch_workbook_xml(part_text(zin, book), names, full_calc, str(src))
    dropped = drop_calc_chain(zin, book, changed) if formula_removed else None
    if chart_edit is not None:
        for part in chart_parts(zin, pkg):
            xml = part_text(zin, part)
            if (edited := chart_edit(xml)) != xml:
                changed[part] = edited
    return done | {part: [xml] for part, xml in changed.items()}, dropped


def _write_archive(
    zin: zipfile.ZipFile,
    out: Path,
    changed: dict[str, list[str | memoryview | Iterator[str]]],
    dropped: str | None,
    src: Path,
    grown: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Copy the archive into ``out`` with the changed members (checked well-formed as they are
    written), leaving out ``dropped``. A member in ``grown`` (a sheet whose rows a save appends:
    the epoch log) is compressed at zlib's fastest level: at the default level compressing a log
    row costs more than playing its epoch, and the file is about a fifth larger for it."""
    with zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            if info.filename != dropped:
                new = zipfile.ZipInfo(info.filename, info.date_time)
                new.compress_type, new.external_attr = info.compress_type, info.external_attr
                new.create_system, new.comment = info.create_system, info.comment
                if info.filename in changed:
                    if info.filename in grown:
                        new._compresslevel = FAST_COMPRESSION  # type: ignore[attr-defined]  # zipfile's per-member level
                    with zout.open(new, "w") as stream:
                        write_checked(stream, changed[info.filename], f"{src}: {info.filename}")
                else:
                    zout.writestr(new, read_member(zin, info.filename))
