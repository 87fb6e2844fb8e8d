"""The ``Surface`` sheet: the loss grid as a formula-projected wireframe, with the descent path on it.

A spreadsheet's 3D surface chart is a surface in Excel only (LibreOffice draws 3D columns, Google
Sheets has no 3D charts), but a scatter chart of straight lines draws everywhere. So each grid
point (p, q, loss) is projected to the page by formulas, with p and q scaled to 0..1 over the
grid's axes (u, w), the view angle θ (``view_angle``, degrees) and the height h (``view_height``):

    x = u·cos θ − w·sin θ,    y = (u·sin θ + w·cos θ)/2 + h·loss/MAX(grid)

and the chart (:mod:`gdsheet.writer.wireframe_chart`) joins the points of every grid row and every
grid column. The descent path (the start values, then the parameters after each live epoch, with
the grid's loss at each) is projected the same way and drawn as one more series. Editing the view,
a sample, learn or a start value redraws the mesh and the path. The reference projects on its own
(:mod:`gdsheet.reference.wireframe`).
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.contract import WIRE_LOG_POINTS
from gdsheet.lesson.spec import Lesson
from gdsheet.writer.cells import GENERAL, HEADING_FONT, SHEET, WRAP_TOP, loss_formula, put
from gdsheet.writer.layout import FIRST_COL, Layout, cell, col
from gdsheet.writer.live import LIVE_SHEET, LiveLayout
from gdsheet.writer.models import MODELS

SURFACE_SHEET = "Surface"
LABEL_COL = 2  # B
CHART_ROW, CHART_ROWS, CHART_COLUMNS = 7, 24, 12
LOG_COUNT = "COUNT(INDEX(epoch_log,0,1))"
"""The epoch log's rows in use: the numbers in its epoch column."""

EXPLANATION = (
    "The loss landscape of the Lesson sheet's grid drawn as a wireframe: every grid row and every "
    "grid column is a line, each point lifted by its loss, and the red line is the descent path (the "
    "start values, then each live epoch), at the grid's loss; after a run, the dark line is the "
    "epoch log's path, from its first epoch to its last. The points are formulas below the "
    "chart: turn the view angle or change the height and the mesh turns or stretches; change a "
    "sample, learn or a start value and the surface and the path follow."
)


@dataclass(frozen=True)
class SurfaceLayout:
    """Rows of the Surface sheet: the view inputs, the chart, then the projected blocks."""

    rows: int
    columns: int
    points: int
    """Points of the descent path (the start, then each live epoch)."""

    @property
    def x_first(self) -> int:
        return CHART_ROW + CHART_ROWS + 3

    @property
    def y_first(self) -> int:
        return self.x_first + self.rows + 2

    @property
    def path_header(self) -> int:
        return self.y_first + self.rows + 1

    @property
    def path_first(self) -> int:
        return self.path_header + 1

    @property
    def log_header(self) -> int:
        return self.path_first + self.points + 2  # a blank row, then its title, above the header

    @property
    def log_first(self) -> int:
        return self.log_header + 1


def surface_layout(lesson: Lesson) -> SurfaceLayout:
    return SurfaceLayout(len(lesson.grid_m), len(lesson.grid_b), 1 + lesson.live_epochs)


def _ref(column: int, row: int, last_column: int | None = None, last_row: int | None = None) -> str:
    first = f"{SURFACE_SHEET}!{cell(column, row, absolute=True)}"
    return first if last_column is None else f"{first}:{cell(last_column, last_row or row, absolute=True)}"


def _projection(lesson: Lesson, p: str, q: str, loss: str) -> tuple[str, str]:
    """The page x and y formulas of the point (p, q, loss), each an expression or a cell."""
    rows_p, cols_p = lesson.landscape
    u = f"({p}-MIN(grid_{rows_p}))/(MAX(grid_{rows_p})-MIN(grid_{rows_p}))"
    w = f"({q}-MIN(grid_{cols_p}))/(MAX(grid_{cols_p})-MIN(grid_{cols_p}))"
    theta = "view_angle*PI()/180"
    x = f"=({u})*COS({theta})-({w})*SIN({theta})"
    y = f"=(({u})*SIN({theta})+({w})*COS({theta}))/2+view_height*{loss}/MAX(grid)"
    return x, y


def write_surface_sheet(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """The view inputs and every projected point; returns the defined names (``at``: the Lesson sheet's)."""
    surface = surface_layout(lesson)
    rows_p, cols_p = lesson.landscape
    put(ws, LABEL_COL, 1, "The loss surface, as a wireframe")
    ws[cell(LABEL_COL, 1)].font = HEADING_FONT
    put(ws, LABEL_COL, 2, EXPLANATION)
    ws[cell(LABEL_COL, 2)].alignment = WRAP_TOP
    ws.merge_cells(f"{cell(LABEL_COL, 2)}:{cell(LABEL_COL + CHART_COLUMNS - 1, 2)}")
    ws.row_dimensions[2].height = 52
    ws.row_breaks.append(Break(id=surface.x_first - 2))  # the chart whole on the first page, the numbers after
    put(ws, LABEL_COL, 4, "view angle (°)")
    put(ws, LABEL_COL + 1, 4, lesson.view_angle, GENERAL, editable=True)
    put(ws, LABEL_COL, 5, "height")
    put(ws, LABEL_COL + 1, 5, lesson.view_height, GENERAL, editable=True)
    first = LABEL_COL + 1
    last_col = first + surface.columns - 1
    put(ws, LABEL_COL, surface.x_first - 1, "page x of each grid point (rows and columns as the grid's)")
    put(ws, LABEL_COL, surface.y_first - 1, "page y of each grid point")
    for i in range(surface.rows):
        p = f"{SHEET}!${cell(FIRST_COL, at.grid_first + i)}"
        for j in range(surface.columns):
            q = f"{SHEET}!{col(FIRST_COL + 1 + j)}${at.grid_header}"
            loss = f"{SHEET}!{cell(FIRST_COL + 1 + j, at.grid_first + i, absolute=True)}"
            x, y = _projection(lesson, p, q, loss)
            put(ws, first + j, surface.x_first + i, x, GENERAL)
            put(ws, first + j, surface.y_first + i, y, GENERAL)
    headers = (rows_p, cols_p, "loss", "page x", "page y")
    for k, header in enumerate(headers):
        put(ws, LABEL_COL + k, surface.path_header, header, header=True)
    live_first = LiveLayout(lesson.live_epochs, at.n_samples).log_first
    pair = (rows_p, cols_p)
    for k in range(surface.points):
        row = live_first + k - 1  # the live log's row of epoch k
        live = {name: f"{LIVE_SHEET}!{cell(FIRST_COL + _log_offset(lesson, name), row)}" for name in pair}
        sources = {name: f"{name}_start" for name in pair} if k == 0 else live
        _path_point(ws, lesson, LABEL_COL, surface.path_first + k, sources)
    last_path = surface.path_first + surface.points - 1
    log_title = f"the epoch log's path (after gdsheet run): {WIRE_LOG_POINTS} of its rows"
    put(ws, LABEL_COL, surface.log_header - 1, log_title)
    for k, header in enumerate(("log row", *headers)):
        put(ws, LABEL_COL + k, surface.log_header, header, header=True)
    for k in range(WIRE_LOG_POINTS):
        row = surface.log_first + k
        spread = f"=IF({LOG_COUNT}=0,NA(),1+INT({k}*({LOG_COUNT}-1)/{WIRE_LOG_POINTS - 1}))"
        at_row = put(ws, LABEL_COL, row, spread, GENERAL)
        sources = {name: f"INDEX(epoch_log,{at_row},{_log_offset(lesson, name) + 1})" for name in pair}
        _path_point(ws, lesson, LABEL_COL + 1, row, sources, absent=f"{LOG_COUNT}=0")
    last_log = surface.log_first + WIRE_LOG_POINTS - 1
    ws.column_dimensions[col(LABEL_COL)].width = 14
    return {
        "view_angle": _ref(LABEL_COL + 1, 4),
        "view_height": _ref(LABEL_COL + 1, 5),
        "wire_x": _ref(first, surface.x_first, last_col, surface.x_first + surface.rows - 1),
        "wire_y": _ref(first, surface.y_first, last_col, surface.y_first + surface.rows - 1),
        "wire_path": _ref(LABEL_COL, surface.path_first, LABEL_COL + 4, last_path),
        "wire_log_path": _ref(LABEL_COL, surface.log_first, LABEL_COL + 5, last_log),
    }


def _log_offset(lesson: Lesson, name: str) -> int:
    """Parameter ``name``'s column offset in a log, the Live sheet's (from FIRST_COL) and the
    epoch log alike: the epoch, then the parameters in the lesson's order."""
    return 1 + lesson.params.index(name)


def _path_point(ws: Worksheet, lesson: Lesson, column: int, row: int, sources: dict[str, str],
                absent: str | None = None) -> None:  # fmt: skip
    """One point of a path from ``column`` on: the grid's two parameters (``=source`` each), the
    grid's loss there (the same slice of the same loss over the data block as the grid's
    formulas), and its page x and y.

    Where the condition ``absent`` holds (the log is empty) the point's page x is 0 (the grid's
    first corner, on the mesh whatever the view) and the rest ``#N/A``: a scatter series whose
    x values are all errors is drawn by LibreOffice (and Excel) against 1, 2, 3, …, which
    squeezed the whole mesh into a sliver at the left of the chart."""
    rows_p, cols_p = lesson.landscape
    params = {p: f"{p}_start" for p in lesson.params}
    for offset, name in enumerate((rows_p, cols_p)):
        params[name] = put(ws, column + offset, row, f"={sources[name]}", GENERAL)
    inputs = [f"data_{feature}" for feature in lesson.features]  # as the grid's formulas read the data block
    squares = f"SUMPRODUCT({MODELS[lesson.model_key].error(inputs, params, None, 'data_y', None)})"
    loss = put(ws, column + 2, row, loss_formula(lesson.loss, squares, inputs[0]), GENERAL)
    x, y = _projection(lesson, params[rows_p], params[cols_p], loss)
    put(ws, column + 3, row, x if absent is None else f"=IF({absent},0,{x[1:]})", GENERAL)
    put(ws, column + 4, row, y, GENERAL)
