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


class CheckFailed(GdsheetError):
    """`gdsheet check` found a cell that disagrees with the reference: exit code 1."""

    exit_code = 1


class Diverged(GdsheetError):
    """A run produced a non-finite value or a spreadsheet error: exit code 4.

    ``records`` holds the epochs that finished before it (they are saved in the workbook).
    """

    exit_code = 4

    def __init__(self, message: str, records: list[dict[str, float | int]] | None = None) -> None:
        super().__init__(message)
        self.records = records or []
