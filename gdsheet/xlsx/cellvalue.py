"""What an evaluated cell holds, in the words `run` and `check` report it.

The evaluator hands back floats, bools, str (text, or an Excel error code such as ``"#NUM!"``)
and None for an empty cell. Two commands must sort these the same way: `run` stops a
diverged lesson (exit 4) but refuses bad input (exit 3), and `check` accepts a non-finite
workbook value where the reference overflows too. Numeric overflow is the one thing both treat
as "the maths blew up", so it is defined once, here.
"""

from __future__ import annotations

import math

OVERFLOW_ERRORS = frozenset({"#NUM!", "#DIV/0!"})
"""Excel's errors for arithmetic that left the finite numbers (overflow, 0/0, √ of −inf ...)."""


def is_number(value: object) -> bool:
    """A finite number (a bool is not: Excel keeps TRUE apart from 1)."""
    return isinstance(value, float) and not isinstance(value, bool) and math.isfinite(value)


def is_overflow(value: object) -> bool:
    """inf, NaN, or an Excel error that arithmetic produces when numbers leave the finite range."""
    if isinstance(value, float) and not isinstance(value, bool):
        return not math.isfinite(value)
    return isinstance(value, str) and value in OVERFLOW_ERRORS


def describe(value: object) -> str:
    """What a cell holds, for a one-line message: ``nothing``, ``the text 'abc'``, ``#REF!``."""
    if value is None:
        return "nothing (it is empty)"
    if isinstance(value, bool):
        return f"the boolean {str(value).upper()}"
    if isinstance(value, str):
        if value.startswith("#") and (value.endswith("!") or value.endswith("?") or value == "#N/A"):
            return f"the error {value}"
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, float):
        return f"the number {value!r}"
    return repr(value)


def json_number(value: object) -> object:
    """A value JSON can carry: non-finite floats become the strings "inf", "-inf" and "nan"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value
