"""Errors a user can cause, each with the exit code the command line returns for it.

Every failure a user can trigger (bad input file, bad option, divergence) is raised as a
subclass of :class:`GdsheetError`, so the command line can print one line and exit with a
documented code instead of a traceback.
"""

from __future__ import annotations


class GdsheetError(Exception):
    """A problem with the user's input: reported as one line, exit code 2."""

    exit_code = 2


class WorkbookError(GdsheetError):
    """A workbook that cannot be read, or lacks the cells or names asked for: exit code 3."""

    exit_code = 3


class RunStopped(GdsheetError):
    """A run that stopped before its last epoch. ``records`` holds the epochs that finished
    before it; they are saved in the workbook, and the command line prints them."""

    def __init__(self, message: str, records: list[dict[str, float | int]] | None = None) -> None:
        super().__init__(message)
        self.records = records or []


class Diverged(RunStopped):
    """A run produced numeric overflow (inf, NaN, ``#NUM!``, ``#DIV/0!``): exit code 4."""

    exit_code = 4


class BadCell(RunStopped, WorkbookError):
    """A carried or recorded cell holds something that is not a number (empty, text, a bool,
    ``#REF!``, ``#NAME?``, ``#VALUE!``, ``#N/A``): the workbook is wrong, not the maths. Exit 3."""


class Interrupted(RunStopped):
    """SIGINT or SIGTERM stopped a run after saving its finished epochs: exit 128 + the signal
    (130 for SIGINT, Ctrl-C; 143 for SIGTERM), as shells report a process a signal ended."""

    def __init__(self, message: str, signum: int, records: list[dict[str, float | int]] | None = None) -> None:
        super().__init__(message, records)
        self.exit_code = 128 + signum
