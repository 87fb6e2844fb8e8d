"""Reading built lessons back in tests, through their defined names."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from gdsheet.engine.evaluator import defined_areas


def log_epochs(path: Path) -> list[int]:
    book = openpyxl.load_workbook(path)
    area = defined_areas(book)["epoch_log"]
    ws = book[area.sheet]
    column = [ws.cell(row, area.min_col).value for row in range(area.min_row, area.max_row + 1)]
    return [int(v) for v in column if isinstance(v, int | float)]


def tampered(source: Path, tmp_path: Path, cells: dict[str, object], sheet: str = "Lesson") -> Path:
    """A copy of ``source`` with some cells of ``sheet`` set (a number, a formula, or None to empty them)."""
    book = openpyxl.load_workbook(source)
    for cell, value in cells.items():
        book[sheet][cell].value = value
    path = tmp_path / "tampered.xlsx"
    book.save(path)
    return path
