"""openpyxl's formula tokenizer, without the rest of openpyxl.

Why: ``import openpyxl.formula.tokenizer`` first runs ``openpyxl/__init__``, which imports
openpyxl's whole workbook model (and numpy, through ``openpyxl.compat``): about 0.1 s, a fifth
of a whole ``gdsheet run`` of the default lesson, spent on code a run never calls. The tokenizer
module needs nothing but :mod:`re`, so it is executed from openpyxl's own file, as
:mod:`importlib.util` documents for importing a source file directly. It is the same code either
way; when openpyxl is already imported, or its file is not where openpyxl has kept it (since
2.4), the ordinary import is used.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _tokenizer() -> ModuleType:
    if "openpyxl.formula.tokenizer" not in sys.modules:
        package = importlib.util.find_spec("openpyxl")  # finds the package without running it
        places = package.submodule_search_locations if package is not None else None
        path = Path(next(iter(places))) / "formula" / "tokenizer.py" if places else None
        if path is not None and path.is_file():
            spec = importlib.util.spec_from_file_location("gdsheet.engine._openpyxl_tokenizer", path)
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                return module
    from openpyxl.formula import tokenizer

    return tokenizer


_module = _tokenizer()
Token = _module.Token
Tokenizer = _module.Tokenizer
TokenizerError = _module.TokenizerError

__all__ = ["Token", "Tokenizer", "TokenizerError"]
