"""The loss landscape: a grid of losses over two parameters (the line's: rows = m, columns = b), as a
heat map, with the cell nearest the current parameters marked "you are here".

A model of more parameters shows a slice: the grid's two parameters vary, every other one stays
at its start value (the formulas read its ``p_start`` cell).

The grid's conditional formats are written for every spreadsheet that imports them, Google
Sheets included: Sheets shows only fills and font colours and styles (no borders), applies the
first rule that matches a cell, and does not document defined names inside a conditional
format's formula. So the marker is a fill and a font colour (the border stays for Excel and
LibreOffice), it is the grid's first rule and stops there (``stopIfTrue``, so Excel does not
paint the colour scale over it), and its formula reads plain, absolute cell references. Each rule
is its own ``<conditionalFormatting>`` element: LibreOffice paints a colour scale over the other
rules of its element, whatever their priority, but honours the priority between elements."""

from __future__ import annotations

from openpyxl.formatting.formatting import ConditionalFormatting
from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
from openpyxl.styles import Border, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import Lesson
from gdsheet.writer.cells import HEADER_FONT, Font, loss_formula, name_ref, put
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

YOU_ARE_HERE_FILL = PatternFill("solid", fgColor="1F4E79", bgColor="1F4E79")
"""Dark blue: a colour no cell of the green-yellow-red scale can take (white bold type on it)."""
YOU_ARE_HERE_FONT = Font(bold=True, color="FFFFFF")
YOU_ARE_HERE_BORDER = Border(*(Side(style="medium", color="000000"),) * 4)


class _OwnElement(ConditionalFormatting):
    """A ``<conditionalFormatting>`` element of its own, even over a range that has one already
    (openpyxl merges rules by range otherwise)."""

    __attrs__ = ConditionalFormatting.__attrs__  # what to serialise: openpyxl's metaclass would find none here
    __elements__ = ConditionalFormatting.__elements__
    __eq__ = object.__eq__
    __hash__ = object.__hash__


def you_are_here(lesson: Lesson, at: Layout) -> FormulaRule:
    """The rule marking the grid cell nearest the start values of the grid's two parameters (the
    line's m_start, b_start): its row's value and its column's are each at least as close as any
    other (SUMPRODUCT counts closer ones; no array formula needed). Relative to the grid's top-left
    cell; every other reference is absolute, by address (no defined name, for Google Sheets)."""
    rows_p, cols_p = lesson.landscape
    first_b = FIRST_COL + 1
    last_row = at.grid_first + len(lesson.grid_m) - 1
    last_b = first_b + len(lesson.grid_b) - 1
    axis_p = f"{cell(FIRST_COL, at.grid_first, True)}:{cell(FIRST_COL, last_row, True)}"
    axis_q = f"{cell(first_b, at.grid_header, True)}:{cell(last_b, at.grid_header, True)}"
    start_p = cell(*at.start_cell(lesson.params.index(rows_p)), absolute=True)
    start_q = cell(*at.start_cell(lesson.params.index(cols_p)), absolute=True)
    here_p = f"${col(FIRST_COL)}{at.grid_first}"
    here_q = f"{col(first_b)}${at.grid_header}"
    formula = (
        f"AND(SUMPRODUCT(--(ABS({axis_p}-{start_p})<ABS({here_p}-{start_p})))=0,"
        f"SUMPRODUCT(--(ABS({axis_q}-{start_q})<ABS({here_q}-{start_q})))=0)"
    )
    return FormulaRule(
        formula=[formula],
        stopIfTrue=True,
        fill=YOU_ARE_HERE_FILL,
        font=YOU_ARE_HERE_FONT,
        border=YOU_ARE_HERE_BORDER,
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
            squares = f"SUMPRODUCT({MODELS[lesson.model].error(inputs, params, None, 'data_y', None)})"
            put(ws, first_b + j, row, loss_formula(lesson.loss, squares, inputs[0]), lesson.grid_format)
    last_row = at.grid_first + len(lesson.grid_m) - 1
    last_col = first_b + len(lesson.grid_b) - 1
    grid = f"{cell(first_b, at.grid_first)}:{cell(last_col, last_row)}"
    ws.conditional_formatting.add(_OwnElement(grid), you_are_here(lesson, at))  # priority 1, and it stops there
    ws.conditional_formatting.add(_OwnElement(grid), HEAT_MAP)
    return {
        "grid": name_ref(first_b, at.grid_first, last_col, last_row),
        f"grid_{rows_p}": name_ref(FIRST_COL, at.grid_first, FIRST_COL, last_row),
        f"grid_{cols_p}": name_ref(first_b, at.grid_header, last_col, at.grid_header),
    }
