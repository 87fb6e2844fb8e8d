"""Build a lesson's workbook: every block in order, the defined names, and an atomic save."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName

from gdsheet.errors import GdsheetError
from gdsheet.lesson.contract import contract
from gdsheet.lesson.spec import Lesson, loss_key
from gdsheet.limits import EXCEL_COLUMNS, EXCEL_ROWS
from gdsheet.writer.cells import SHEET
from gdsheet.writer.charts import add_charts
from gdsheet.writer.decision_chart import add_decision_chart
from gdsheet.writer.descent import write_controls, write_descent_table, write_epoch_log
from gdsheet.writer.fit_blocks import write_data_block, write_error_block, write_guess_block
from gdsheet.writer.landscape import write_landscape
from gdsheet.writer.layout import FIRST_COL, STATE_COLS, TEXT_COL, Layout, col, layout_for
from gdsheet.writer.live import LIVE_SHEET, LiveLayout, write_live_sheet
from gdsheet.writer.print_setup import fit_to_width, set_up_lesson_pages, set_up_live_pages
from gdsheet.writer.prose import write_prose
from gdsheet.writer.schedule import write_schedule
from gdsheet.writer.streaming import buffered_workbook, save_streaming
from gdsheet.writer.sweep import SHEET as SWEEP_SHEET
from gdsheet.writer.sweep import write_sweep_sheet
from gdsheet.writer.sweep_chart import add_sweep_chart
from gdsheet.writer.wireframe import SURFACE_SHEET, write_surface_sheet
from gdsheet.writer.wireframe_chart import add_wireframe_chart
from gdsheet.xlsx.atomic import atomic_output

BLOCKS = (
    write_data_block,
    write_guess_block,
    write_error_block,
    write_landscape,
    write_controls,
    write_schedule,
    write_descent_table,
    write_epoch_log,
)


def check_sheet_fits(lesson: Lesson, at: Layout) -> None:
    """Refuse sizes that would put a block past Excel's last column (XFD) or row, naming the setting,
    before anything is written (a sheet past XFD opens nowhere)."""
    if at.last_col > EXCEL_COLUMNS:
        raise GdsheetError(
            f"grid_b has {len(lesson.grid_b):,} values: the grid would pass Excel's last column XFD "
            f"(at most {EXCEL_COLUMNS - FIRST_COL:,})"
        )
    if at.descent_last > EXCEL_ROWS:
        raise GdsheetError(
            f"data_x, grid_m and the {len(lesson.descent_x):,} descent samples would pass Excel's last row "
            f"({EXCEL_ROWS:,})"
        )


def lesson_workbook(lesson: Lesson) -> Workbook:
    """The lesson as a workbook of buffered sheets, for :func:`save_streaming` (not yet saved)."""
    at = layout_for(lesson)
    check_sheet_fits(lesson, at)
    wb, add_sheet = buffered_workbook()
    ws = add_sheet(SHEET)
    write_prose(ws, lesson, at)
    for block in BLOCKS:
        for name, ref in block(ws, lesson, at).items():
            wb.defined_names[name] = DefinedName(name, attr_text=ref)
    ws.column_dimensions[col(TEXT_COL)].width = 44
    ws.column_dimensions[col(TEXT_COL + 1)].width = 2
    for index in range(FIRST_COL, at.log_col + 4):
        ws.column_dimensions[col(index)].width = 10
    ws.column_dimensions[col(FIRST_COL + 2)].width = 14  # fits the "(y_pred - y)^2" header
    label_col = STATE_COLS[0]  # the optimizer state's names, one a row ("avg_out_w1", "sq_h16_w12")
    ws.column_dimensions[col(label_col)].width = max([10, *(len(name) + 2 for name in lesson.state)])
    loss_header = loss_key(lesson.loss)  # the log's loss column fits its header ("root_sum_square")
    ws.column_dimensions[col(at.log_col + 1 + len(lesson.params))].width = max(10, len(loss_header) + 2)
    # Printed (and rendered to PDF) one page wide, a page per section (gdsheet/workbook/print_setup.py).
    set_up_lesson_pages(ws, lesson, at)
    if lesson.has_wireframe:  # before Live, whose pages print last (their header heads each)
        surface = add_sheet(SURFACE_SHEET)
        for name, ref in write_surface_sheet(surface, lesson, at).items():
            wb.defined_names[name] = DefinedName(name, attr_text=ref)
        fit_to_width(surface)
    if lesson.live_epochs:
        live = add_sheet(LIVE_SHEET)
        for name, ref in write_live_sheet(live, lesson, at).items():
            wb.defined_names[name] = DefinedName(name, attr_text=ref)
        live.column_dimensions[col(TEXT_COL)].width = 12
        for index in range(TEXT_COL + 1, at.log_col + 1):
            live.column_dimensions[col(index)].width = 10
        set_up_live_pages(live, LiveLayout(lesson.live_epochs, at.n_samples).table_header)
    if lesson.sweep:
        sweep = add_sheet(SWEEP_SHEET)
        for name, ref in write_sweep_sheet(sweep, lesson, at).items():
            wb.defined_names[name] = DefinedName(name, attr_text=ref)
        fit_to_width(sweep)

    # Charts (gdsheet/writer/charts.py): they read the cells above.
    for name, ref in add_charts(wb, lesson, at).items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    for name, ref in add_decision_chart(wb, lesson, at).items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    add_wireframe_chart(wb, lesson)
    add_sweep_chart(wb, lesson)
    _check_contract(lesson, set(wb.defined_names))
    return wb


def _check_contract(lesson: Lesson, written: set[str]) -> None:
    """The names written are exactly the contract's (:mod:`gdsheet.lesson.contract`): a block that
    adds or forgets a name is a bug here, not a workbook that `check` or `run` misread later."""
    promised = set(contract(lesson))
    if written != promised:
        extra, missing = sorted(written - promised), sorted(promised - written)
        raise RuntimeError(f"the writer broke the name contract: extra {extra}, missing {missing}")


def build_workbook(lesson: Lesson, path: str | Path) -> Path:
    """Write the lesson's workbook to ``path`` atomically; returns the path written."""
    wb = lesson_workbook(lesson)
    with atomic_output(path) as tmp:
        save_streaming(wb, tmp)
    return Path(path)
