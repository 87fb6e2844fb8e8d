"""Atomic file output: write a sibling temporary file, then rename it over the target.

A crash, a full disk or an error half-way leaves the user's existing file as it was and no
half-written file behind: the rename is the only step that touches the target. The new file
keeps the permissions of the one it replaces (or of ``mode_from``, or the umask's default).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gdsheet.errors import GdsheetError


def _mode_for(target: Path, mode_from: Path | None) -> int:
    for source in (target, mode_from):
        if source is not None and source.exists():
            return source.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(path: str | Path, *, error: type[GdsheetError] = GdsheetError,
                  mode_from: str | Path | None = None) -> Iterator[Path]:  # fmt: skip
    """Yield a temporary path next to ``path``; on success it replaces ``path``, else it is removed.

    Failures to create, sync or rename the file are raised as ``error`` with one line.
    """
    target = Path(path)
    directory = target.parent
    if not directory.is_dir():
        raise error(f"{target}: cannot write (directory {directory} does not exist)")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise error(f"{target}: cannot write ({exc.strerror or exc})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(target, Path(mode_from) if mode_from is not None else None))
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise error(f"{target}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
