"""Hostile files made inside the tests: zip bombs and archives with forged headers, all small on disk."""

from __future__ import annotations

import struct
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
