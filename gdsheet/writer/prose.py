"""The lesson's explanatory text: merged, wrapped cells beside or above each block."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import Lesson
from gdsheet.writer.cells import HEADING_FONT, TITLE_FONT, WRAP_TOP, put
from gdsheet.writer.layout import FIRST_COL, TEXT_COL, Layout, cell
from gdsheet.writer.text import lesson_texts


def _paragraph(ws: Worksheet, text: str, first_row: int, last_row: int, last_col: int) -> None:
    """Text in one merged, wrapped block from column A to ``last_col``."""
    if not text:
        return
    put(ws, TEXT_COL, first_row, text, text=True)
    ws[cell(TEXT_COL, first_row)].alignment = WRAP_TOP
    ws.merge_cells(f"{cell(TEXT_COL, first_row)}:{cell(last_col, last_row)}")


def write_prose(ws: Worksheet, lesson: Lesson, at: Layout) -> None:
    """Title, intro, the side notes of the data, guess and error blocks, and the two essays.

    The preset's texts are rendered first (:mod:`gdsheet.writer.text`), so every number and rule
    they state is this lesson's.
    """
    text = lesson_texts(lesson)
    put(ws, TEXT_COL, at.title_row, text.get("title") or "Gradient descent in a spreadsheet", text=True)
    ws[cell(TEXT_COL, at.title_row)].font = TITLE_FONT
    _paragraph(ws, text.get("intro", ""), at.intro_row, at.data_header - 1, at.page_split)  # the left-hand page
    # Side notes sit in column A only, level with their block.
    _paragraph(ws, text.get("data", ""), at.data_header, at.m_actual_row + 1, TEXT_COL)
    _paragraph(ws, text.get("guess", ""), at.guess_header, at.m_guess_row + 1, TEXT_COL)
    _paragraph(ws, text.get("error", ""), at.error_header, at.guess_loss_row, TEXT_COL)
    grid_last_col = FIRST_COL + at.n_grid_b  # the landscape's text stays over the grid: its chart is beside it
    _paragraph(ws, text.get("landscape", ""), at.landscape_text_row, at.grid_label_row - 1, grid_last_col)
    put(ws, TEXT_COL, at.descent_title_row, text.get("descent_title") or "The descent", text=True)
    ws[cell(TEXT_COL, at.descent_title_row)].font = HEADING_FONT
    _paragraph(ws, text.get("descent", ""), at.descent_title_row + 1, at.controls_header - 1, at.descent_text_last_col)
