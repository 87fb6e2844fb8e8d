"""One gdsheet process at a time per workbook, and none while an office suite has it open.

`run` reads a workbook, plays epochs for a while, then saves. Two runs on the same file at once
would each save their own epochs over the other's, and the first run's epochs would be lost
without a word; a save under an open LibreOffice or Excel is overwritten by the user's next
save there. So :func:`workbook_lock` (around the whole of `run` and `reset`):

- refuses (exit 3) a read-only workbook before any work is done;
- refuses (exit 3) when LibreOffice's ``.~lock.NAME#`` or Excel's ``~$NAME`` lock file says the
  workbook is open, unless ``force``;
- takes an exclusive ``fcntl.flock`` on the sibling ``.NAME.gdsheet-lock`` without waiting: a
  second gdsheet process on the same workbook fails at once with one line (exit 3), so it never
  plays epochs that would then be thrown away. The lock file is removed on release;
- removes gdsheet's own stale temporary files beside the workbook (left by a killed process).

A symlinked workbook is locked (and saved) as its target, so two links to one file share a lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from gdsheet.errors import WorkbookError
from gdsheet.xlsx.atomic import refuse_read_only, remove_stale_temps, resolve_target


def lock_file(path: Path) -> Path:
    """The sibling file gdsheet locks for the workbook ``path`` (a resolved path)."""
    return path.with_name(f".{path.name}.gdsheet-lock")


def office_lock_files(path: Path) -> list[Path]:
    """The lock files of LibreOffice and Excel that exist for ``path`` (under its name and,
    for a symlink, its target's)."""
    found = []
    for candidate in {path, resolve_target(path)}:
        name = candidate.name
        names = [f".~lock.{name}#", f"~${name}"] + ([f"~${name[2:]}"] if len(name) > 2 else [])
        found += [candidate.with_name(n) for n in names if candidate.with_name(n).is_file()]
    return sorted(set(found))


def _acquire(lock: Path, workbook: Path) -> int:
    """An fd holding the exclusive flock of ``lock``; re-tried if the file was replaced meanwhile."""
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise WorkbookError(f"{workbook}: cannot create the lock file {lock} ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WorkbookError(f"{workbook} is being run by another gdsheet process; try again when it ends") from None
        except OSError as exc:
            os.close(fd)
            raise WorkbookError(f"{workbook}: cannot lock {lock} ({exc.strerror or exc})") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False  # the holder removed it as it released: lock the new one
        if same:
            return fd
        os.close(fd)


@contextlib.contextmanager
def workbook_lock(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Hold the workbook's exclusive lock for the duration; yields the path to read and write.

    Raises :class:`WorkbookError` (one line) for a missing or read-only workbook, one open in an
    office suite (unless ``force``), or one another gdsheet process is running.
    """
    given = Path(path)
    target = resolve_target(given)
    if not target.is_file():
        raise WorkbookError(f"{given}: no such file" if not target.exists() else f"{given}: not a regular file")
    refuse_read_only(target, WorkbookError)
    if not force and (locks := office_lock_files(given)):
        raise WorkbookError(
            f"{given} is open in LibreOffice or Excel ({locks[0].name} exists); "
            "close it there first, or pass --force to run anyway"
        )
    lock = lock_file(target)
    fd = _acquire(lock, given)
    try:
        remove_stale_temps(target)
        yield given
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)
