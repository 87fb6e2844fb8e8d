"""Writing one cell with its look: number formats, fonts and fills shared by every block.

Blocks call :func:`put` so the same kind of value looks the same everywhere (an input cell is
always shaded, a header always bold), and a number format is chosen in one place.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.writer.layout import cell

SHEET = "Lesson"

INTEGER = "0"
THOUSANDS = "#,##0"
PARAM = "0.000"
PREDICTION = "0.0"

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # cells a learner is invited to edit
HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=16)
HEADING_FONT = Font(bold=True, size=13)
HINT_FONT = Font(italic=True, color="666666", size=9)
HEADER_BORDER = Border(bottom=Side(style="thin"))
WRAP_TOP = Alignment(wrap_text=True, vertical="top")


def input_format(values: object) -> str:
    """Whole numbers as whole numbers, anything else in General (a distance of 0.085 km must not
    show as 0): the number format of a column of samples."""
    numbers = list(values)  # type: ignore[call-overload]
    return INTEGER if all(float(v).is_integer() for v in numbers) else "General"


def put(
    ws: Worksheet,
    column: int,
    row: int,
    value: object,
    fmt: str | None = None,
    *,
    header: bool = False,
    editable: bool = False,
    text: bool = False,
) -> str:
    """Write ``value`` (a number, text or ``=formula``) at (column, row); return its A1 address.

    ``text`` (and ``header``): ``value`` is text from the lesson (a preset, an option), written
    as a string cell even when it starts with ``=``, so it can never become a live formula such as
    ``=HYPERLINK(...)``; Excel and LibreOffice show it as typed (quotePrefix, like a leading ').
    """
    address = cell(column, row)
    target = ws[address]
    target.value = value
    if (text or header) and target.data_type == "f":
        target.data_type = "s"
        target.quotePrefix = True
    if fmt is not None:
        target.number_format = fmt
    if header:
        target.font = HEADER_FONT
        target.border = HEADER_BORDER
        target.alignment = Alignment(horizontal="center")
    if editable:
        target.fill = INPUT_FILL
    return address


def name_ref(column: int, row: int, last_column: int | None = None, last_row: int | None = None) -> str:
    """The refers-to text of a defined name over one cell or a rectangle of this sheet."""
    first = cell(column, row, absolute=True)
    if last_column is None or last_row is None:
        return f"{SHEET}!{first}"
    return f"{SHEET}!{first}:{cell(last_column, last_row, absolute=True)}"


def loss_formula(loss: str, squares: str, count_of: str) -> str:
    """The loss over a sum of squares: √(Σ/n) for ``rmse``, √Σ for ``root-sum-square``.

    ``squares`` is an expression giving the sum of squared errors, ``count_of`` a range whose
    COUNT is the number of samples.
    """
    if loss == "rmse":
        return f"=SQRT({squares}/COUNT({count_of}))"
    return f"=SQRT({squares})"
