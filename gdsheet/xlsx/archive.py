"""Opening a workbook's zip archive as hostile input: bounded before anything is inflated.

An .xlsx/.xlsm is a zip from anyone. A 1 MB zip can declare (and really hold) gigabytes of
XML, name members ``../../etc/x`` or hold a million entries; reading such a file naively ends
in a MemoryError minutes later. :func:`open_archive` refuses it from the central directory
alone, in milliseconds; :func:`read_member` then inflates one member in chunks and stops as
soon as the bytes really produced pass the limit, whatever the header said. Limits (see
:mod:`gdsheet.limits`): 512 MB in all, 256 MB per member, 10,000 members by default; raise them
with ``GDSHEET_MAX_UNZIPPED_MB``, ``GDSHEET_MAX_MEMBER_MB`` and ``GDSHEET_MAX_MEMBERS``.

Members zipfile cannot inflate (the encryption flag set, Deflate64, bzip2 or any method but
stored and deflate, which is all Excel writes) are refused from the directory too. Every member
any reader opens through the archive is a :class:`Member` stream: corrupt deflate data or a bad
CRC is one :class:`WorkbookError` naming the member, and an XML member's bytes are scanned as
they are inflated so that no single token (a tag with its attributes, or the text up to the next
tag) grows past ``GDSHEET_MAX_XML_TOKEN_MB`` (1 MB) before a parser materialises it.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from gdsheet.errors import WorkbookError
from gdsheet.limits import MB, archive_limit

CHUNK = 1 * MB
_DRIVE = re.compile(r"[A-Za-z]:")
READABLE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
METHOD_NAMES = {9: "Deflate64", zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 93: "Zstandard", 99: "AES"}
XML_SUFFIXES = (".xml", ".rels", ".vml")
"""Members read as XML, whose tokens are bounded (others, images say, are only copied)."""
_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError)
_LT = ord("<")


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


def _why(exc: BaseException) -> str:
    """zipfile's and zlib's own words, without zlib's bare ``error`` class name."""
    return str(exc) if isinstance(exc, zlib.error) else f"{type(exc).__name__}: {exc}"


def _describe(limit: int) -> str:
    return f"{limit // MB:,} MB" if limit >= MB else f"{limit:,} bytes"


class Member(io.RawIOBase):
    """One member's inflated bytes, read through: zipfile's errors become one WorkbookError
    naming the member, and (for an XML member) no run of bytes without a ``<`` may pass
    ``token_limit``. That run bounds every attribute, tag and text node a parser would build;
    a comment or CDATA section that holds ``<`` is bounded by the member limit alone."""

    def __init__(self, raw: io.BufferedIOBase, where: str, token_limit: int | None) -> None:
        super().__init__()
        self._raw, self._where, self._limit = raw, where, token_limit
        self._since = 0  # bytes since the last "<"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self._raw.read(len(buffer))
        except _CORRUPT as exc:
            raise WorkbookError(f"{self._where} is corrupt ({_why(exc)})") from None
        if self._limit is not None and data:
            self._scan(data)
        buffer[: len(data)] = data
        return len(data)

    def _scan(self, data: bytes) -> None:
        at = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == _LT)
        if at.size == 0:
            longest = self._since = self._since + len(data)
        else:
            longest = max(self._since + int(at[0]), int(np.diff(at).max()) if at.size > 1 else 0)
            self._since = len(data) - int(at[-1])
        if longest > self._limit:  # type: ignore[operator]
            raise WorkbookError(
                f"{self._where} holds an XML token (an attribute, a tag or a text) of more than "
                f"{_describe(self._limit)} (GDSHEET_MAX_XML_TOKEN_MB raises it)"  # type: ignore[arg-type]
            )

    def close(self) -> None:
        self._raw.close()
        super().close()


class Archive(zipfile.ZipFile):
    """A checked workbook zip whose members open as :class:`Member` streams (``read`` too)."""

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):  # type: ignore[no-untyped-def]
        if mode != "r":
            return super().open(name, mode, pwd, force_zip64=force_zip64)
        member = name.filename if isinstance(name, zipfile.ZipInfo) else name
        where = f"{self.filename}: member {member}"
        try:
            raw = super().open(name, mode, pwd)
        except KeyError:
            raise
        except _CORRUPT as exc:
            raise WorkbookError(f"{where} is corrupt ({_why(exc)})") from None
        xml = member.lower().endswith(XML_SUFFIXES)
        return io.BufferedReader(Member(raw, where, archive_limit("token") if xml else None), CHUNK)


def open_archive(path: str | Path) -> zipfile.ZipFile:
    """The workbook's zip, after checking its central directory: member names, count, declared
    uncompressed sizes (each and in total), encryption and compression methods. Raises
    :class:`WorkbookError` (one line)."""
    path = Path(path)
    try:
        zf = Archive(path)
    except FileNotFoundError:
        raise WorkbookError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise WorkbookError(f"{path}: is a directory, not a workbook") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error):
        raise WorkbookError(f"{path}: not a workbook (not a zip archive; truncated or corrupt?)") from None
    except NotImplementedError as exc:  # a member that needs a newer zip version than zipfile reads
        raise WorkbookError(f"{path}: refused: the archive cannot be read ({exc})") from None
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
        if info.flag_bits & 0x1:
            raise WorkbookError(f"{path}: refused: member {info.filename} is encrypted")
        if info.compress_type not in READABLE_METHODS:
            method = METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
            raise WorkbookError(
                f"{path}: refused: member {info.filename} is compressed with {method}; "
                "a workbook's members are stored or deflated"
            )
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
    except _CORRUPT as exc:
        raise WorkbookError(f"{where} is corrupt ({_why(exc)})") from None
    return bytes(out)


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def check_workbook_archive(path: str | Path) -> None:
    """Refuse a file that is not an .xlsx/.xlsm, or a hostile archive (see :func:`open_archive`),
    before a reader that trusts it opens it."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise WorkbookError(f"{path}: not an .xlsx or .xlsm workbook")
    open_archive(path).close()
