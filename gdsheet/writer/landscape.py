"""The loss landscape: a grid of losses over two parameters (the line's: rows = m, columns = b), as a heat map.

A model of more parameters shows a slice: the grid's two parameters vary, every other one stays
at its start value (the formulas read its ``p_start`` cell)."""

from __future__ import annotations

from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import Lesson
from gdsheet.writer.cells import HEADER_FONT, loss_formula, name_ref, put
from gdsheet.writer.layout import FIRST_COL, Layout, cell, col
from gdsheet.writer.models import MODELS

# Low losses green, high red, the median yellow: the usual three-colour heat map.
HEAT_MAP = ColorScaleRule(
    start_type="min",
    start_color="63BE7B",
    mid_type="percentile",
    mid_value=50,
    mid_color="FFEB84",
    end_type="max",
    end_color="F8696B",
)


def write_landscape(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """Axis values as inputs, every grid cell a formula over the data block, and its heat map.

    Each cell is the loss of (the row parameter in its row's column C, the column parameter in
    its column's header row) over ``data_x``/``data_y``, written with SUMPRODUCT so the sum over
    samples stays in one cell. The axes are named ``grid_<p>`` (the line's ``grid_m``, ``grid_b``).
    """
    rows_p, cols_p = lesson.landscape
    inputs = [f"data_{feature}" for feature in lesson.features]
    put(ws, FIRST_COL, at.grid_label_row, f"{rows_p} ↓  {cols_p} →", header=True)
    put(ws, FIRST_COL, at.grid_header, f"{rows_p} \\ {cols_p}", header=True)
    first_b = FIRST_COL + 1
    for j, b in enumerate(lesson.grid_b):
        put(ws, first_b + j, at.grid_header, b, editable=True)
        ws[cell(first_b + j, at.grid_header)].font = HEADER_FONT
    for i, m in enumerate(lesson.grid_m):
        row = at.grid_first + i
        put(ws, FIRST_COL, row, m, editable=True)
        ws[cell(FIRST_COL, row)].font = HEADER_FONT
        for j in range(len(lesson.grid_b)):
            params = {p: f"{p}_start" for p in lesson.params}
            params[rows_p] = f"${col(FIRST_COL)}{row}"
            params[cols_p] = f"{col(first_b + j)}${at.grid_header}"
            squares = f"SUMPRODUCT({MODELS[lesson.model_key].error(inputs, params, None, 'data_y', None)})"
            put(ws, first_b + j, row, loss_formula(lesson.loss, squares, inputs[0]), lesson.grid_format)
    last_row = at.grid_first + len(lesson.grid_m) - 1
    last_col = first_b + len(lesson.grid_b) - 1
    ws.conditional_formatting.add(f"{cell(first_b, at.grid_first)}:{cell(last_col, last_row)}", HEAT_MAP)
    return {
        "grid": name_ref(first_b, at.grid_first, last_col, last_row),
        f"grid_{rows_p}": name_ref(FIRST_COL, at.grid_first, FIRST_COL, last_row),
        f"grid_{cols_p}": name_ref(first_b, at.grid_header, last_col, at.grid_header),
    }
