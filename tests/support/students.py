"""Simulated students for `grade`'s tests: an assigned workbook's blank columns (de/dm and
new_m, on the Lesson and Live sheets) filled in with openpyxl, the way a student would."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from gdsheet.engine.evaluator import Evaluator

BLANK = ("de/dm", "new_m")
DM, NEW_M = 7, 8  # their positions among the descent columns
RIGHT_DE_DM = "=2*{x}*({p}-{y})"
"""The right de/dm of a descent row, by the row's cells (x, y, m and the prediction p)."""


def fill_blank_columns(
    source: Path, target: Path, de_dm: object, student_id: str | None = None, new_m: object = None
) -> None:
    """Write the blank columns as a student would: ``de_dm(area, k, cells) -> formula or number``;
    new_m is right (=m-learn*de/dm) unless ``new_m`` says otherwise, so a wrong de/dm must not
    cost new_m's points."""
    ev = Evaluator(source)
    wb = openpyxl.load_workbook(source)
    for name in ("descent", "live_descent"):
        if name not in ev.names:
            continue  # a lesson without a Live sheet
        area = ev.area(name)
        ws = wb[area.sheet]
        for k, row in enumerate(range(area.min_row, area.max_row + 1)):
            cell = {
                key: f"{get_column_letter(area.min_col + i)}{row}"
                for key, i in (("x", 0), ("y", 1), ("m", 2), ("p", 4))
            }
            dm = f"{get_column_letter(area.min_col + DM)}{row}"
            ws[dm] = de_dm(name, k, cell)  # type: ignore[operator]
            own = new_m(name, k, cell) if new_m else f"={cell['m']}-learn*{dm}"  # type: ignore[operator]
            ws[f"{get_column_letter(area.min_col + NEW_M)}{row}"] = own
    if student_id is not None:
        wb["Lesson"]["C2"] = student_id
    wb.save(target)
