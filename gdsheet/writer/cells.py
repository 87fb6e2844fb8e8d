"""Writing one cell with its look: number formats, fonts and fills shared by every block.

Blocks call :func:`put` so the same kind of value looks the same everywhere (an input cell is
always shaded, a header always bold), and a number format is chosen in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.styles import Font as OpenpyxlFont
from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import Lesson
from gdsheet.writer.layout import cell
from gdsheet.writer.models import MODELS

SHEET = "Lesson"


class Font(OpenpyxlFont):
    """openpyxl's Font, serialised in the order ECMA-376 requires (CT_Font is a sequence).

    openpyxl writes name, family and color before b, i and sz; Excel tolerates it, but schema
    validators (and Microsoft's Open XML SDK) report every such font as invalid.
    """

    __elements__ = (
        "b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color", "name",
        "family", "charset", "scheme",
    )  # fmt: skip
    # openpyxl's metaclass derives these from the class's own descriptors, which are the parent's
    __nested__ = OpenpyxlFont.__nested__
    __attrs__ = OpenpyxlFont.__attrs__


def schema_font(font: OpenpyxlFont) -> Font:
    """The same font, written in schema order (for fonts openpyxl made, such as its default)."""
    return font if isinstance(font, Font) else Font.from_tree(font.to_tree())


INTEGER = "0"
THOUSANDS = "#,##0"
PARAM = "0.000"
PREDICTION = "0.0"
ACCURACY = "0.0%"
GENERAL = "General"
"""Significant digits, as many as the column holds, and scientific notation before a non-zero value
would show as 0 (the same in Excel, LibreOffice and Google Sheets); such a number fills its
column, so it is indented by one character to keep it apart from the number on its left."""
GENERAL_ALIGNMENT = Alignment(horizontal="right", indent=1)

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # cells a learner is invited to edit
HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=16)
HEADING_FONT = Font(bold=True, size=13)
HINT_FONT = Font(italic=True, color="666666", size=9)
HEADER_BORDER = Border(bottom=Side(style="thin"))
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
HEADER_WRAP = Alignment(horizontal="center", vertical="bottom", wrap_text=True)
"""A header wider than its column: wrapped at its spaces, not run into its neighbours' text."""


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
        if fmt == GENERAL:
            target.alignment = GENERAL_ALIGNMENT
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


def accuracy_formula(lesson: Lesson, inputs: Sequence[str], params: Mapping[str, str]) -> str:
    """A classifier's accuracy over the descent samples: the share whose class (p ≥ 0.5) is y.

    ``inputs`` are the feature ranges, ``params`` the parameters' cells or names."""
    predicted = MODELS[lesson.model_key].prediction(inputs, params, None)
    return f"=SUMPRODUCT(({predicted}>=0.5)*(descent_y=1)+({predicted}<0.5)*(descent_y=0))/COUNT({inputs[0]})"


def loss_formula(loss: str, squares: str, count_of: str) -> str:
    """The loss over a sum of per-sample losses: √(Σ/n) for ``rmse``, √Σ for ``root-sum-square``
    (the per-sample losses being squared errors), Σ/n for ``log-loss``.

    ``squares`` is an expression giving the sum of the per-sample losses, ``count_of`` a range whose
    COUNT is the number of samples.
    """
    if loss == "log-loss":
        return f"={squares}/COUNT({count_of})"
    if loss == "rmse":
        return f"=SQRT({squares}/COUNT({count_of}))"
    return f"=SQRT({squares})"
