"""Hostile files made inside the tests: zip bombs and archives with forged headers, all small on disk."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

MB = 1024 * 1024


def write_raw_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> None:
    """A zip of already-deflated members: (name, deflated data, crc32, declared uncompressed size)."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in members:
        encoded = name.encode("utf-8")
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0,
            offset,
        )  # fmt: skip
        central += encoded
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + eocd))


def zeros_bomb(path: Path, megabytes: int, name: str = "xl/worksheets/sheet1.xml") -> Path:
    """A zip whose one member inflates to ``megabytes`` MB of zeros (about 1 KB per MB on disk).

    Built from one full-flushed deflate block repeated, so making a 1 GB bomb takes well under a second.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(MB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = block * megabytes + compressor.flush(zlib.Z_FINISH)
    crc, zeros = 0, bytes(MB)
    for _ in range(megabytes):
        crc = zlib.crc32(zeros, crc)
    write_raw_zip(path, [(name, data, crc, megabytes * MB)])
    return path


def lying_bomb(path: Path, megabytes: int, declared: int, crc_of_declared: bool = False) -> Path:
    """Like :func:`zeros_bomb`, but its headers declare only ``declared`` bytes; the CRC is that of
    the whole content, or (``crc_of_declared``) that of its first ``declared`` bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    content = bytes(megabytes * MB)
    data = compressor.compress(content) + compressor.flush()
    crc = zlib.crc32(content[:declared] if crc_of_declared else content)
    write_raw_zip(path, [("xl/worksheets/sheet1.xml", data, crc, declared)])
    return path


SHEET = "xl/worksheets/sheet1.xml"


def _central_entry(data: bytes, name: str) -> int:
    """Offset of ``name``'s central directory entry."""
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + length] == name.encode():
            return at
        at = data.find(b"PK\x01\x02", at + 4)
    raise KeyError(name)


def _set_header_field(source: Path, target: Path, local: int, central: int, change: object) -> Path:
    """A copy of ``source`` whose sheet member has one 16-bit header field changed, in both its
    local header (offset ``local``) and its central directory entry (offset ``central``)."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as zf:
        offset = zf.getinfo(SHEET).header_offset
    for at in (offset + local, _central_entry(bytes(data), SHEET) + central):
        struct.pack_into("<H", data, at, change(struct.unpack_from("<H", data, at)[0]))  # type: ignore[operator]
    target.write_bytes(bytes(data))
    return target


def encrypted(source: Path, target: Path) -> Path:
    """The sheet member flagged as encrypted (general purpose bit 0), its data unchanged."""
    return _set_header_field(source, target, 6, 8, lambda flags: flags | 1)


def deflate64(source: Path, target: Path) -> Path:
    """The sheet member declared as Deflate64 (method 9), which zipfile cannot inflate."""
    return _set_header_field(source, target, 8, 10, lambda method: 9)


def corrupt_deflate(source: Path, target: Path) -> Path:
    """The sheet member's deflate stream with bytes flipped past its start (sizes and CRC kept)."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as zf:
        info = zf.getinfo(SHEET)
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    for at in range(start + 100, start + info.compress_size - 10, 7):
        data[at] ^= 0x55
    target.write_bytes(bytes(data))
    return target


def with_member_text(source: Path, target: Path, name: str, old: bytes, new: bytes) -> Path:
    """A copy of ``source`` whose member ``name`` has its first ``old`` replaced by ``new``."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == name:
                assert old in data, f"{old!r} not in {name}"
                data = data.replace(old, new, 1)
            zout.writestr(info, data)
    return target


def long_attribute(source: Path, target: Path, megabytes: int = 200) -> Path:
    """The sheet's first row with a ``spans`` attribute of ``megabytes`` MB (a few hundred KB on disk)."""
    return with_member_text(
        source, target, SHEET, b"<sheetData>", b'<sheetData><row r="1" spans="' + b"1" * (megabytes * MB) + b'"/>'
    )


def future_version(source: Path, target: Path) -> Path:
    """The sheet member declares it needs zip version 20.7 to extract (zipfile reads up to 6.3)."""
    return _set_header_field(source, target, 4, 6, lambda version: 207)
