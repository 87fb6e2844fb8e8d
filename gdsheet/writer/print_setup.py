"""How the lesson prints (and renders to PDF): landscape, type that stays readable, a page per
section, no chart cut in two, and no text that runs into its neighbour.

Kept apart from the blocks because it is about paper, not content. Fitting the whole Lesson sheet
to one page width shrank its type to about half size (the prose column, the grid and the charts
beside it, the descent table and the epoch log are 250 characters wide and more), so the sheet
prints two pages across instead: a manual column break after :attr:`Layout.page_split` (the
grid's last column; the charts end before it or start after it), each band of rows printed left
page then right page, at one scale that fits the left-hand part on the page (about 58%, where it was about 40%).
A band that would need less than :data:`READABLE_SCALE` to fit a page height flows onto the pages
below it instead of shrinking every page.
Row breaks fall before the landscape, before the descent section and before the controls, so the
charts beside each section stay whole on its pages; labels right of a number get an indent so the
two never touch; the formula hints above the descent table wrap in a taller row.
"""

from __future__ import annotations

import itertools
import math

from openpyxl.styles import Alignment
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import Lesson
from gdsheet.writer.layout import CONTROL_ROWS, HYPER_COLS, LOSS_COLS, PARAM_COLS, STATE_COLS, Layout, cell, col

HINT_LINE_HEIGHT = 12  # points: a line of the 9-point hint font
HINT_CHARS_PER_LINE = 12  # of the italic 9-point hint font in a 10-character column
LABEL = Alignment(horizontal="left", indent=1)
HINT = Alignment(horizontal="center", vertical="bottom", wrap_text=True)


def fit_to_width(ws: Worksheet) -> None:
    """Landscape, every column on one page width, as many pages down as needed."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


MARGIN_INCHES = 0.5
TOP_BOTTOM_INCHES = 0.6
PRINTABLE_POINTS = (11 - 2 * MARGIN_INCHES) * 72
"""A landscape Letter page's width less its side margins (A4 is wider: Letter decides)."""
PRINTABLE_HEIGHT = (8.27 - 2 * TOP_BOTTOM_INCHES) * 72
"""A landscape A4 page's height less its top and bottom margins (Letter is taller: A4 decides)."""
ROW_POINTS = 15.0
"""Excel's default row height (LibreOffice's is lower): a section's height is counted with it."""
FALLBACK_WIDTH = 1.27
"""How much wider a column prints where Calibri (and its metric twin Carlito) is missing and
LibreOffice falls back to DejaVu Sans, which sizes columns by its own wider digits (measured on
this project's LibreOffice 7.4 renders: columns A to H print 1.27 times Excel's width). The scale
is chosen for that case, so that no machine cuts the left-hand part."""
SCALE_SLACK = 0.97
"""A little room besides, for rounding in either application."""
MIN_SCALE, MAX_SCALE = 40, 100


def column_points(width: float | None) -> float:
    """A column's printed width in points: Excel's pixels for a width in characters (7 per
    character of Calibri 11, plus 5 of padding; 8.43 characters when unset), at 96 per inch."""
    return ((8.43 if width is None else width) * 7 + 5) * 0.75


READABLE_SCALE = 55
"""The smallest scale a section is shrunk to so that it prints on one page (type of about
6 points). A taller section (a data block of many samples) flows onto the pages below instead."""


def _band_fit(ws: Worksheet, first: int, last: int) -> float:
    """The scale (a fraction) at which rows ``first`` to ``last`` fill one page height."""
    return PRINTABLE_HEIGHT / sum(ws.row_dimensions[row].height or ROW_POINTS for row in range(first, last + 1))


def readable_scale(ws: Worksheet, last_column: int, bands: list[tuple[int, int]]) -> int:
    """The largest print scale (percent) at which columns A to ``last_column`` fit one page width
    and each band of rows (first, last) one page height, except a band that would need a scale
    under :data:`READABLE_SCALE`: shrinking the whole sheet to fit it made every page unreadable
    (a 30-house data block printed the Lesson at 40%), so that band flows over several pages."""
    width = sum(column_points(ws.column_dimensions[col(index)].width) for index in range(1, last_column + 1))
    fits = [PRINTABLE_POINTS / (width * FALLBACK_WIDTH)]
    fits += [fit for first, last in bands if 100 * SCALE_SLACK * (fit := _band_fit(ws, first, last)) >= READABLE_SCALE]
    return max(MIN_SCALE, min(MAX_SCALE, int(100 * SCALE_SLACK * min(fits))))


def rows_per_page(scale: int) -> int:
    """How many rows of the default height one printed page holds at ``scale`` percent: what a
    chart in a band that flows over several pages may span and still print whole on its first."""
    return int(SCALE_SLACK * PRINTABLE_HEIGHT * 100 / scale / ROW_POINTS)


def two_pages_across(ws: Worksheet, split: int, bands: list[tuple[int, int]]) -> None:
    """Landscape, a column break after ``split`` and a row break after each band of rows (first,
    last), left page then right page for each band, at the scale that fits a band's left-hand part
    on a page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.pageOrder = "overThenDown"
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = readable_scale(ws, split, bands)
    ws.page_margins.left = ws.page_margins.right = MARGIN_INCHES
    ws.page_margins.top = ws.page_margins.bottom = TOP_BOTTOM_INCHES
    ws.page_margins.header = ws.page_margins.footer = TOP_BOTTOM_INCHES / 2
    ws.col_breaks.append(Break(id=split))
    for _, last in bands:
        ws.row_breaks.append(Break(id=last))


def set_up_lesson_pages(ws: Worksheet, lesson: Lesson, at: Layout) -> None:
    """The Lesson sheet's page setup, page breaks, label indents and hint row."""
    # the table's formula hints and headers head every page the table runs onto
    ws.print_title_rows = f"{at.hints_row}:{at.descent_header}"
    rows = max(CONTROL_ROWS, len(lesson.params) + 1, len(lesson.state))
    for column in (PARAM_COLS[0], LOSS_COLS[0], HYPER_COLS[0], STATE_COLS[0]):
        for row in range(at.epochs_row, at.epochs_row + rows):
            if ws[cell(column, row)].value is not None:
                ws[cell(column, row)].alignment = LABEL
    hints = []
    for column in range(at.descent_col(at.table_columns[0]), at.descent_col(at.table_columns[-1]) + 1):
        if ws[cell(column, at.hints_row)].value is not None:
            ws[cell(column, at.hints_row)].alignment = HINT
            hints.append(str(ws[cell(column, at.hints_row)].value))
    # as many lines as the longest hint wraps to (Adam's "beta1·avg + (1-beta1)·de/dm" takes three)
    lines = max([2, *(math.ceil(len(hint) / HINT_CHARS_PER_LINE) for hint in hints)])
    ws.row_dimensions[at.hints_row].height = HINT_LINE_HEIGHT * lines + 2
    # the sections above the table, each on its own band of pages (the table flows on)
    starts = (1, at.landscape_text_row, at.descent_title_row, at.controls_header)
    two_pages_across(ws, at.page_split, [(first, after - 1) for first, after in itertools.pairwise(starts)])


def set_up_live_pages(ws: Worksheet, table_header: int) -> None:
    """The Live sheet: one page wide, the unrolled table's header row heading every page."""
    fit_to_width(ws)
    ws.print_title_rows = f"{table_header}:{table_header}"
