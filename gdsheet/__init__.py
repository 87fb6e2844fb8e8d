"""gdsheet: gradient descent taught in a spreadsheet, built, run and checked headlessly.

The data flows one way: lesson spec -> (numpy reference | workbook writer); workbook ->
evaluator -> records. The public entry points are re-exported here.
"""

from gdsheet.build import build, make_lesson
from gdsheet.errors import GdsheetError
from gdsheet.lesson import Lesson, load_preset, preset_names

__all__ = ["GdsheetError", "Lesson", "build", "load_preset", "make_lesson", "preset_names"]
