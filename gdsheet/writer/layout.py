"""Where each block of the lesson sits on the sheet.

With ``published_rows`` (the seed preset) the rows follow the published sheet top to bottom
(data at row 8, guess at 17, errors at 26, the grid at 44-53, controls at 83-86, the descent
table from row 90 for a 5-point, 8-row-grid lesson); other lessons close the gaps the published
sheet left above the grid and in the descent section. Blocks move down when a lesson has more
data points or grid rows. Prose sits in
column A, the blocks start in column C. Every block module asks this one for its cells, so the
positions are decided once.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from gdsheet.lesson.contract import with_estimates
from gdsheet.lesson.spec import Lesson

TEXT_COL = 1  # A: prose
FIRST_COL = 3  # C: the blocks
LOG_GAP = 2  # the epoch log starts this many columns right of the table's last column


def col(index: int) -> str:
    """Column letter of a 1-based column index."""
    return get_column_letter(index)


def cell(column: int, row: int, absolute: bool = False) -> str:
    """A1-style reference; ``absolute`` gives $A$1 (for defined names)."""
    if absolute:
        return f"${col(column)}${row}"
    return f"{col(column)}{row}"


@dataclass(frozen=True)
class Layout:
    """Row and column positions of every block, derived from the lesson's sizes."""

    n_data: int
    n_features: int
    n_samples: int
    n_grid_b: int
    table_columns: tuple[str, ...]
    """The descent table's columns, left to right: the ``descent`` ones, optimizer state, estimates."""
    descent_columns: tuple[str, ...]
    """The ``descent`` name's columns (the model's), the first of :attr:`table_columns`."""
    state_columns: tuple[str, ...]
    estimate_columns: tuple[str, ...]
    """The estimates' columns (empty when the lesson has none: the published rule)."""
    param_rows: int
    """Rows the controls give the parameters (one each, and at least the two of the line)."""
    data_header: int
    m_actual_row: int
    guess_header: int
    m_guess_row: int
    error_header: int
    guess_loss_row: int
    landscape_text_row: int
    grid_label_row: int
    grid_header: int
    descent_title_row: int
    controls_header: int
    hints_row: int
    descent_header: int
    title_row: int = 1
    intro_row: int = 3

    @property
    def data_first(self) -> int:
        return self.data_header + 1

    @property
    def guess_first(self) -> int:
        return self.guess_header + 1

    @property
    def error_first(self) -> int:
        return self.error_header + 1

    @property
    def grid_first(self) -> int:
        return self.grid_header + 1

    @property
    def epochs_row(self) -> int:
        return self.controls_header + 1

    @property
    def descent_first(self) -> int:
        return self.descent_header + 1

    @property
    def descent_last(self) -> int:
        return self.descent_first + self.n_samples - 1

    @property
    def with_estimates(self) -> bool:
        return bool(self.estimate_columns)

    @property
    def rule_row(self) -> int:
        """The controls' row of h, the rule and the loss: below epochs and learn, and below every parameter."""
        return self.epochs_row + max(2, self.param_rows)

    @property
    def last_col(self) -> int:
        """The right-most column of the main blocks (the grid or the descent table)."""
        return FIRST_COL + max(self.n_grid_b, len(self.table_columns) - 1)

    @property
    def log_col(self) -> int:
        """First column of the epoch log: right of the descent table, whatever its width."""
        return FIRST_COL + len(self.table_columns) - 1 + LOG_GAP

    @property
    def descent_text_last_col(self) -> int:
        """The descent section's text spans A to here; its charts sit to the right."""
        return FIRST_COL + 4

    @property
    def page_split(self) -> int:
        """The last column of the left-hand printed pages: the grid's last column, and at least the
        six chart columns right of the descent text. The charts left of it end there, the others
        start two columns right of it, so a page break here cuts no chart (print_setup)."""
        return max(FIRST_COL + self.n_grid_b, self.descent_text_last_col + 7)

    def start_cell(self, index: int) -> tuple[int, int]:
        """(column, row) of the parameter's current value, ``p_start`` (index in ``lesson.params``):
        what the descent table's first row reads, and what the "you are here" marker compares by address."""
        return PARAM_COLS[2], self.epochs_row + index

    def descent_col(self, header: str) -> int:
        """Column of a descent-table column, by name (a KeyError-like ValueError if absent)."""
        return FIRST_COL + self.table_columns.index(header)


# Controls, rows epochs_row (epochs, m), +1 (learn, b), +2 (h): labels in C, values in D;
# the m and b rows carry a label (E), the actual value (F), the current one (G) and the
# value `gdsheet reset` restores (H); the loss at the current m and b is in I (label), J.
PARAM_COLS = (FIRST_COL + 2, FIRST_COL + 3, FIRST_COL + 4, FIRST_COL + 5)
LOSS_COLS = (FIRST_COL + 6, FIRST_COL + 7)
# The optimizer: its name in the header row and its hyper-parameters below, label and value
# (L, M); its state, one row each: name, start value (carried by a run) and reset value (O-Q).
HYPER_COLS = (FIRST_COL + 9, FIRST_COL + 10)
STATE_COLS = (FIRST_COL + 12, FIRST_COL + 13, FIRST_COL + 14)
CONTROL_ROWS = 3  # epochs/m, learn/b, h/rule (a model of more parameters moves h and the rule below them)


def layout_for(lesson: Lesson) -> Layout:
    """The layout of a lesson's workbook: blocks top to bottom.

    With ``published_rows`` (the seed preset) and the published sizes (5 data points, 8 grid
    rows) this gives the published rows: data 8, guess 17, errors 26, loss 33, grid 44-53,
    controls 83-86, table from 90. Other lessons close the gaps the published sheet left.
    """
    n = len(lesson.data_x)
    params = len(lesson.params)
    data_header = 8
    # under each of the data and guess blocks: a blank row, then one row per parameter, then a blank row
    guess_header = data_header + n + 2 + params
    error_header = guess_header + n + 2 + params
    guess_loss_row = error_header + n + 2
    landscape_text_row = guess_loss_row + 2
    # the published gaps, or what the landscape's paragraph and the descent's text and charts need
    grid_label_row = landscape_text_row + (9 if lesson.published_rows else 5)
    descent_title_row = grid_label_row + 2 + len(lesson.grid_m) + 1
    controls_header = descent_title_row + (28 if lesson.published_rows else 22)
    state = lesson.state
    hints_row = controls_header + max(CONTROL_ROWS, params + 1, len(state)) + 2
    estimates = lesson.estimates if with_estimates(lesson) else ()
    return Layout(
        n_data=n,
        n_features=lesson.n_features,
        n_samples=len(lesson.descent_x),
        n_grid_b=len(lesson.grid_b),
        table_columns=lesson.columns + state + estimates,
        descent_columns=lesson.columns,
        state_columns=state,
        estimate_columns=estimates,
        param_rows=params,
        data_header=data_header,
        m_actual_row=data_header + n + 1,
        guess_header=guess_header,
        m_guess_row=guess_header + n + 1,
        error_header=error_header,
        guess_loss_row=guess_loss_row,
        landscape_text_row=landscape_text_row,
        grid_label_row=grid_label_row,
        grid_header=grid_label_row + 1,
        descent_title_row=descent_title_row,
        controls_header=controls_header,
        hints_row=hints_row,
        descent_header=hints_row + 1,
    )
