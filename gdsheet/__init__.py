"""gdsheet: gradient descent taught in a spreadsheet, built, run and checked headlessly.

The folders are the pipeline: ``lesson`` (options, presets, samples) feeds both ``reference``
(the numpy oracle) and ``writer`` (the .xlsx lesson); ``xlsx`` is the workbook file (zip, XML,
saving); ``engine`` evaluates any workbook's formulas; ``commands`` (build, run/reset, check,
recalc, assign/grade) sit on top, and ``cli`` is the command line. The public entry points are re-exported
here, imported on first use: ``gdsheet --version`` must not pay for numpy or `formulas`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"
"""The source tree's version; `gdsheet --version` prefers the installed package's metadata."""

_EXPORTS = {
    "GdsheetError": ("gdsheet.errors", "GdsheetError"),
    "assign": ("gdsheet.commands.assign", "assign"),
    "grade": ("gdsheet.commands.grade", "grade"),
    "Lesson": ("gdsheet.lesson.spec", "Lesson"),
    "build": ("gdsheet.commands.build", "build"),
    "check": ("gdsheet.commands.check", "check_workbook"),
    "load_preset": ("gdsheet.lesson.spec", "load_preset"),
    "make_lesson": ("gdsheet.commands.build", "make_lesson"),
    "preset_names": ("gdsheet.lesson.spec", "preset_names"),
    "recalc": ("gdsheet.commands.recalc", "recalc"),
    "reset": ("gdsheet.commands.run", "reset"),
    "run": ("gdsheet.commands.run", "run"),
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from gdsheet.commands.assign import assign
    from gdsheet.commands.build import build, make_lesson
    from gdsheet.commands.check import check_workbook as check
    from gdsheet.commands.grade import grade
    from gdsheet.commands.recalc import recalc
    from gdsheet.commands.run import reset, run
    from gdsheet.errors import GdsheetError
    from gdsheet.lesson.spec import Lesson, load_preset, preset_names


def __getattr__(name: str) -> object:
    """An entry point, imported when first asked for (PEP 562)."""
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'gdsheet' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


__all__ = [
    "GdsheetError",
    "Lesson",
    "__version__",
    "assign",
    "build",
    "check",
    "grade",
    "load_preset",
    "make_lesson",
    "preset_names",
    "recalc",
    "reset",
    "run",
]
