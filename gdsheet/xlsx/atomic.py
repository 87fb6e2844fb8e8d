"""Atomic file output: write a sibling temporary file, then put it in place of the target.

A crash, a full disk or an error half-way leaves the user's existing file as it was and no
half-written file behind: the rename is the only step that touches the target. Saving respects
what the user expects of their file, as office suites do:

- a symlink is written through: its target gets the new content, the link stays a link;
- a read-only file (no write permission bit for its owner, even when we are root) is refused;
- the new file keeps the permissions of the one it replaces (or of ``mode_from``, or the umask's
  default), and its owner and group (chown, where we may);
- a file with more than one hard link, or whose owner we cannot give the new file, is written
  in place instead of renamed over: the temporary file is complete and synced first, then copied
  over the original, so every link and the owner stay. That copy is the one step that is not
  atomic (a crash during it can leave the original partly written).

Temporary files are named ``.NAME.PID.XXXXXXXX.tmp``, so a later run can tell one left by a
killed process (its PID is gone) and remove it: :func:`remove_stale_temps`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from gdsheet.errors import GdsheetError

STALE_UNNAMED_SECONDS = 3600
"""A temporary file of the old naming (no PID) is removed once it is this old."""


def resolve_target(path: str | Path) -> Path:
    """The file that writing ``path`` should change: a symlink's final target, else ``path``."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def refuse_read_only(path: Path, error: type[GdsheetError] = GdsheetError) -> None:
    """Raise ``error`` when ``path`` exists and is read-only (no owner write bit, or no access)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISREG(st.st_mode) and (not st.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK)):
        raise error(f"{path}: the file is read-only; make it writable (chmod u+w) or save a copy")


def _mode_for(target: Path, mode_from: Path | None) -> int:
    for source in (target, mode_from):
        if source is not None and source.exists():
            return source.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _temp_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(target.name)}\.(?:(\d+)\.)?[A-Za-z0-9_]{{8}}\.tmp")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # ours, but not being written now: the caller holds the workbook's lock
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Remove gdsheet's own temporary files beside ``path`` that no live process is writing.

    Call it while holding the workbook's lock. Returns the files removed.
    """
    target = resolve_target(path)
    pattern = _temp_pattern(target)
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None or not entry.is_file(follow_symlinks=False):
            continue
        with contextlib.suppress(OSError):
            stale = not _alive(int(m.group(1))) if m.group(1) else (
                time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_UNNAMED_SECONDS
            )  # fmt: skip
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _copy_in_place(tmp: Path, target: Path) -> None:
    """Copy the finished temporary file over ``target``'s content (its inode, links and owner stay)."""
    with open(tmp, "rb") as source, open(target, "r+b") as dest:
        shutil.copyfileobj(source, dest, 1024 * 1024)
        dest.truncate()
        dest.flush()
        os.fsync(dest.fileno())
    if target.stat().st_size != tmp.stat().st_size:
        raise OSError(f"the copy over {target} is incomplete")


def _put_in_place(tmp: Path, target: Path, mode: int) -> None:
    """Replace ``target`` by ``tmp``: rename when that keeps everything, else copy in place."""
    try:
        st = target.stat()
    except FileNotFoundError:
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        return
    if st.st_nlink > 1:
        _copy_in_place(tmp, target)
        return
    tmp_st = tmp.stat()
    if (st.st_uid, st.st_gid) != (tmp_st.st_uid, tmp_st.st_gid):
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except PermissionError:
            _copy_in_place(tmp, target)
            return
    os.chmod(tmp, mode)  # after chown, which may clear set-id bits
    os.replace(tmp, target)


@contextlib.contextmanager
def atomic_output(path: str | Path, *, error: type[GdsheetError] = GdsheetError,
                  mode_from: str | Path | None = None) -> Iterator[Path]:  # fmt: skip
    """Yield a temporary path next to ``path``; on success it replaces ``path``, else it is removed.

    Failures to create, sync or rename the file are raised as ``error`` with one line.
    """
    target = resolve_target(path)
    directory = target.parent
    if not directory.is_dir():
        raise error(f"{target}: cannot write (directory {directory} does not exist)")
    refuse_read_only(target, error)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise error(f"{target}: cannot write ({exc.strerror or exc})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        _put_in_place(tmp, target, _mode_for(target, Path(mode_from) if mode_from is not None else None))
    except OSError as exc:
        raise error(f"{target}: cannot write ({exc.strerror or exc})") from None
    finally:
        tmp.unlink(missing_ok=True)
