"""Opening a workbook's zip archive as hostile input: bounded before anything is inflated.

An .xlsx/.xlsm is a zip from anyone. A 1 MB zip can declare (and really hold) gigabytes of
XML, name members ``../../etc/x`` or hold a million entries; reading such a file naively ends
in a MemoryError minutes later. :func:`open_archive` refuses it from the central directory
alone, in milliseconds; :func:`read_member` then inflates one member in chunks and stops as
soon as the bytes really produced pass the limit, whatever the header said. Limits (see
:mod:`gdsheet.limits`): 512 MB in all, 256 MB per member, 10,000 members by default; raise them
with ``GDSHEET_MAX_UNZIPPED_MB``, ``GDSHEET_MAX_MEMBER_MB`` and ``GDSHEET_MAX_MEMBERS``.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from gdsheet.errors import WorkbookError
from gdsheet.limits import MB, archive_limit

CHUNK = 1 * MB
_DRIVE = re.compile(r"[A-Za-z]:")


def _bad_name(name: str) -> str | None:
    """Why a member name is unsafe to trust, or None."""
    if "\\" in name:
        return "a backslash"
    if name.startswith("/") or _DRIVE.match(name):
        return "an absolute path"
    if ".." in name.split("/"):
        return "a '..' component"
    if "\x00" in name:
        return "a NUL character"
    return None


def _describe(limit: int) -> str:
    return f"{limit // MB:,} MB" if limit >= MB else f"{limit:,} bytes"


def open_archive(path: str | Path) -> zipfile.ZipFile:
    """The workbook's zip, after checking its central directory: member names, count and
    declared uncompressed sizes (each and in total). Raises :class:`WorkbookError` (one line)."""
    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise WorkbookError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise WorkbookError(f"{path}: is a directory, not a workbook") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise WorkbookError(f"{path}: not a workbook (not a zip archive; truncated or corrupt?)") from None
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        _check_directory(zf, path)
    except BaseException:
        zf.close()
        raise
    return zf


def _check_directory(zf: zipfile.ZipFile, path: Path) -> None:
    infos = zf.infolist()
    most = archive_limit("members")
    if len(infos) > most:
        raise WorkbookError(f"{path}: the archive has {len(infos):,} members, more than the limit of {most:,}")
    per_member, total_limit = archive_limit("member"), archive_limit("total")
    seen: set[str] = set()
    total = 0
    for info in infos:
        if why := _bad_name(info.filename):
            raise WorkbookError(f"{path}: refused: member name {info.filename!r} has {why}")
        if info.filename in seen:
            raise WorkbookError(f"{path}: refused: member {info.filename!r} appears twice")
        seen.add(info.filename)
        if info.file_size > per_member:
            raise WorkbookError(
                f"{path}: member {info.filename} would inflate to {info.file_size:,} bytes, more than the "
                f"limit of {_describe(per_member)} (GDSHEET_MAX_MEMBER_MB raises it)"
            )
        total += info.file_size
        if total > total_limit:
            raise WorkbookError(
                f"{path}: the archive would inflate to more than {_describe(total_limit)} "
                "(GDSHEET_MAX_UNZIPPED_MB raises it)"
            )


def read_member(zf: zipfile.ZipFile, name: str, limit: int | None = None) -> bytes:
    """The inflated bytes of member ``name``, read in chunks; stops with :class:`WorkbookError`
    as soon as the bytes actually produced pass ``limit`` (default: the per-member limit), so a
    header that lies about the size cannot make us allocate more than the limit."""
    limit = archive_limit("member") if limit is None else limit
    where = f"{zf.filename}: member {name}"
    out = bytearray()
    try:
        with zf.open(name) as member:
            while chunk := member.read(min(CHUNK, limit + 1 - len(out))):
                out += chunk
                if len(out) > limit:
                    raise WorkbookError(f"{where} inflates to more than {_describe(limit)}")
    except KeyError:
        raise WorkbookError(f"{zf.filename}: no member {name!r}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, RuntimeError) as exc:
        raise WorkbookError(f"{where} is corrupt ({type(exc).__name__}: {exc})") from None
    return bytes(out)


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def check_workbook_archive(path: str | Path) -> None:
    """Refuse a file that is not an .xlsx/.xlsm, or a hostile archive (see :func:`open_archive`),
    before a reader that trusts it opens it."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise WorkbookError(f"{path}: not an .xlsx or .xlsm workbook")
    open_archive(path).close()
