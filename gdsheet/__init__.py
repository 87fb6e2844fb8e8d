"""gdsheet: gradient descent taught in a spreadsheet, built, run and checked headlessly.

The folders are the pipeline: ``lesson`` (options, presets, samples) feeds both ``reference``
(the numpy oracle) and ``writer`` (the .xlsx lesson); ``xlsx`` is the workbook file (zip, XML,
saving); ``engine`` evaluates any workbook's formulas; ``commands`` (build, run/reset, check, assign/grade) sit
on top, and ``cli`` is the command line. The public entry points are re-exported here.
"""

from gdsheet.commands.assign import assign
from gdsheet.commands.build import build, make_lesson
from gdsheet.commands.check import check_workbook as check
from gdsheet.commands.grade import grade
from gdsheet.commands.run import reset, run
from gdsheet.errors import GdsheetError
from gdsheet.lesson.spec import Lesson, load_preset, preset_names

__version__ = "0.1.0"
"""The source tree's version; `gdsheet --version` prefers the installed package's metadata."""

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
    "reset",
    "run",
]
