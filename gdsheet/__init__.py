"""gdsheet: gradient descent taught in a spreadsheet, built, run and checked headlessly.

The data flows one way: lesson spec -> (numpy reference | workbook writer); workbook ->
evaluator -> records. The public entry points are re-exported here.
"""

import types

import gdsheet.check as _check_module
from gdsheet.build import build, make_lesson
from gdsheet.errors import GdsheetError
from gdsheet.lesson import Lesson, load_preset, preset_names
from gdsheet.runner import reset, run

__version__ = "0.1.0"
"""The source tree's version; `gdsheet --version` prefers the installed package's metadata."""


class _CallableModule(types.ModuleType):
    """``gdsheet.check`` is both the module and the function: ``gdsheet.check(path)`` calls
    :func:`gdsheet.check.check_workbook`. A plain function named ``check`` here would be replaced
    by the submodule as soon as anything imports ``gdsheet.check``."""

    def __call__(self, path: object, *args: object, **kwargs: object) -> object:
        """Check the workbook at ``path`` against the numpy reference; see ``check_workbook``."""
        return self.check_workbook(path, *args, **kwargs)


_check_module.__class__ = _CallableModule
check = _check_module

__all__ = [
    "GdsheetError",
    "Lesson",
    "__version__",
    "build",
    "check",
    "load_preset",
    "make_lesson",
    "preset_names",
    "reset",
    "run",
]
