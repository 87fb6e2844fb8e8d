"""The formulas of one descent-table row, wherever the table sits (the Lesson sheet or Live).

A row is written from two maps of cell addresses by column name: ``here`` (this row's cells)
and ``before`` (what m, b and each optimizer state start from: the row above, or the
``m_start``/``X_start`` names on a table's first row). Nothing here knows a column's position,
so the same rows serve the lesson's table and the unrolled epochs.
"""

from __future__ import annotations

from collections.abc import Mapping

from gdsheet.lesson.spec import OPTIMIZER_STATE, Lesson
from gdsheet.writer.cells import INTEGER, PARAM, PREDICTION
from gdsheet.writer.formats import table_formats
from gdsheet.writer.optimizers import TEMPLATES, RowCells

# What each column computes, shown in small italics above its header. The two derivative
# hints depend on the rule: the published sheet swaps them. The optimizer adds its own.
HINTS = {
    "y_pred": "(mx+b)",
    "error_sq": "(mx+b-y)^2",
    "err_m1": "((m+h)x+b-y)^2",
    "err_b1": "(mx+b+h-y)^2",
    "est de/dm": "(err_m1-error_sq)/h",
    "est de/db": "(err_b1-error_sq)/h",
}
TRUE_SLOPES = {"de/dm": "2x(mx+b-y)", "de/db": "2(mx+b-y)"}
SWAPPED_SLOPES = {"de/dm": "2(mx+b-y)", "de/db": "2x(mx+b-y)"}

FORMATS = {
    "x": INTEGER,
    "y": INTEGER,
    "m": PARAM,
    "b": PARAM,
    "y_pred": PREDICTION,
    "error_sq": INTEGER,
    "err_m1": INTEGER,
    "de/dm": INTEGER,
    "new_m": PARAM,
    "err_b1": INTEGER,
    "de/db": INTEGER,
    "new_b": PARAM,
    "est de/dm": INTEGER,
    "est de/db": INTEGER,
}


def column_hints(lesson: Lesson) -> dict[str, str]:
    """The hint above each column, for this lesson's gradient rule and optimizer."""
    slopes = SWAPPED_SLOPES if lesson.gradient == "swapped" else TRUE_SLOPES
    return HINTS | slopes | dict(TEMPLATES[lesson.optimizer].hints)


def column_formats(lesson: Lesson) -> dict[str, str]:
    """The number format of each column, the optimizer's state columns included: the published
    ones for the seed, formats that show the data otherwise (:mod:`gdsheet.writer.formats`)."""
    return table_formats(lesson, FORMATS | dict(TEMPLATES[lesson.optimizer].formats))


def first_row_sources(lesson: Lesson) -> dict[str, str]:
    """What a table's first row starts from: the named start cells of m, b and the state."""
    return {name: f"{name}_start" for name in ("m", "b", *OPTIMIZER_STATE[lesson.optimizer])}


def sources_above(lesson: Lesson, above: Mapping[str, str]) -> dict[str, str]:
    """What a later row starts from: the row above's new m, new b and state, by column name."""
    return {"m": above["new_m"], "b": above["new_b"]} | {
        name: above[name] for name in OPTIMIZER_STATE[lesson.optimizer]
    }


def row_formulas(lesson: Lesson, here: Mapping[str, str], before: Mapping[str, str]) -> dict[str, str]:
    """Every formula of one row by column name (all columns but x; y from the line)."""
    x, y, m, b = here["x"], here["y"], here["m"], here["b"]
    residual = f"({here['y_pred']}-{y})"
    true_dm, true_db = f"=2*{x}*{residual}", f"=2*{residual}"
    swapped = lesson.gradient == "swapped"
    if lesson.gradient == "finite-difference":
        grad = {"m": here["est de/dm"], "b": here["est de/db"]}
    else:
        grad = {"m": here["de/dm"], "b": here["de/db"]}
    formulas = {
        "y": f"=m_actual*{x}+b_actual",
        "m": f"={before['m']}",
        "b": f"={before['b']}",
        "y_pred": f"={m}*{x}+{b}",
        "error_sq": f"={residual}^2",
        "err_m1": f"=(({m}+fd_step)*{x}+{b}-{y})^2",
        "de/dm": true_db if swapped else true_dm,
        "err_b1": f"=({m}*{x}+{b}+fd_step-{y})^2",
        "de/db": true_dm if swapped else true_db,
        "est de/dm": f"=({here['err_m1']}-{here['error_sq']})/fd_step",
        "est de/db": f"=({here['err_b1']}-{here['error_sq']})/fd_step",
    }
    return formulas | TEMPLATES[lesson.optimizer].rows(RowCells(here, before, grad))
