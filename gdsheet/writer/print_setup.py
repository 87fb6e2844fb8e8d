"""How the lesson prints (and renders to PDF): landscape, one page wide, a page per section,
and no text that runs into its neighbour.

Kept apart from the blocks because it is about paper, not content: page breaks fall before
the landscape, before the descent section and before the controls, so the charts beside each
section stay whole on its page; labels right of a number get an indent so the two never touch;
the formula hints above the descent table wrap in a taller row instead of running together.
"""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import Lesson
from gdsheet.writer.layout import CONTROL_ROWS, HYPER_COLS, LOSS_COLS, PARAM_COLS, STATE_COLS, Layout, cell

HINT_ROW_HEIGHT = 26  # points: two lines of the 9-point hint font
LABEL = Alignment(horizontal="left", indent=1)
HINT = Alignment(horizontal="center", vertical="bottom", wrap_text=True)


def fit_to_width(ws: Worksheet) -> None:
    """Landscape, every column on one page width, as many pages down as needed."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def set_up_lesson_pages(ws: Worksheet, lesson: Lesson, at: Layout) -> None:
    """The Lesson sheet's page setup, page breaks, label indents and hint row."""
    fit_to_width(ws)
    # the table's formula hints and headers head every page the table runs onto
    ws.print_title_rows = f"{at.hints_row}:{at.descent_header}"
    for row in (at.landscape_text_row, at.descent_title_row, at.controls_header):
        ws.row_breaks.append(Break(id=row - 1))
    rows = max(CONTROL_ROWS, len(lesson.params) + 1, len(lesson.state))
    for column in (PARAM_COLS[0], LOSS_COLS[0], HYPER_COLS[0], STATE_COLS[0]):
        for row in range(at.epochs_row, at.epochs_row + rows):
            if ws[cell(column, row)].value is not None:
                ws[cell(column, row)].alignment = LABEL
    ws.row_dimensions[at.hints_row].height = HINT_ROW_HEIGHT
    for column in range(at.descent_col(at.table_columns[0]), at.descent_col(at.table_columns[-1]) + 1):
        if ws[cell(column, at.hints_row)].value is not None:
            ws[cell(column, at.hints_row)].alignment = HINT


def set_up_live_pages(ws: Worksheet, table_header: int) -> None:
    """The Live sheet: one page wide, the unrolled table's header row heading every page."""
    fit_to_width(ws)
    ws.print_title_rows = f"{table_header}:{table_header}"
