"""Recalculate any workbook's own formulas with the `formulas` package, headlessly.

The evaluator knows a workbook only through its defined names or cells it is told
(``Sheet!A1``), never through gdsheet's layout, so it runs workbooks gdsheet did not build.
It reads the file through openpyxl (names, constants, which cells hold formulas) and hands the
formulas to the `formulas` package, which evaluates them the way Excel does.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
from openpyxl.utils.cell import range_boundaries

from gdsheet.errors import WorkbookError

os.environ.setdefault("TQDM_DISABLE", "1")  # `formulas` shows progress bars while loading
import formulas

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


@dataclass(frozen=True)
class Area:
    """A rectangle of one sheet: ``Sheet!A1`` or ``Sheet!A1:C9``, 1-based, inclusive."""

    sheet: str
    min_col: int
    min_row: int
    max_col: int
    max_row: int

    def cells(self) -> Iterator[tuple[int, int]]:
        """(column, row) of every cell, row by row."""
        for row in range(self.min_row, self.max_row + 1):
            for column in range(self.min_col, self.max_col + 1):
                yield column, row

    @property
    def shape(self) -> tuple[int, int]:
        return self.max_row - self.min_row + 1, self.max_col - self.min_col + 1

    def ref(self) -> str:
        """A1 text of the rectangle (without the sheet)."""
        first = a1(self.min_col, self.min_row)
        return first if self.shape == (1, 1) else f"{first}:{a1(self.max_col, self.max_row)}"


def a1(column: int, row: int) -> str:
    """The A1 address of a 1-based (column, row)."""
    return f"{openpyxl.utils.get_column_letter(column)}{row}"


def parse_area(text: str, sheets: Sequence[str], default_sheet: str | None = None) -> Area:
    """``Sheet!B2`` (or ``'My sheet'!B2:C4``) as an Area; the sheet must exist."""
    sheet_part, _, ref = text.rpartition("!")
    sheet = sheet_part.strip("'").replace("''", "'") if sheet_part else default_sheet
    if sheet is None:
        raise WorkbookError(f"{text!r}: give the sheet, as Sheet!A1")
    matches = [name for name in sheets if name.lower() == sheet.lower()]
    if not matches:
        raise WorkbookError(f"{text!r}: no sheet named {sheet!r} (sheets: {', '.join(sheets)})")
    parts = ref.replace("$", "").split(":")
    if not 1 <= len(parts) <= 2 or not all(_CELL.match(part) for part in parts):
        raise WorkbookError(f"{text!r}: not a cell reference like Sheet!A1 or Sheet!A1:B9")
    try:
        min_col, min_row, max_col, max_row = range_boundaries(":".join(parts))
    except ValueError:
        raise WorkbookError(f"{text!r}: not a valid cell reference") from None
    if min(min_col, min_row) < 1:
        raise WorkbookError(f"{text!r}: not a cell reference (rows and columns start at 1)")
    if max_col > 16384 or max_row > 1048576:
        raise WorkbookError(f"{text!r}: beyond the last cell of a sheet (XFD1048576)")
    return Area(matches[0], min_col, min_row, max_col, max_row)


def _quiet_load(path: Path, **options: object) -> openpyxl.Workbook:
    """openpyxl.load_workbook, with its warnings (unsupported extensions) kept off the terminal."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path, **options)


def open_workbook(path: str | Path, **options: object) -> openpyxl.Workbook:
    """Open an .xlsx/.xlsm with openpyxl, turning every way it can fail into one WorkbookError."""
    path = Path(path)
    if not path.is_file():
        raise WorkbookError(f"{path}: no such file")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise WorkbookError(f"{path}: not an .xlsx or .xlsm workbook")
    if not zipfile.is_zipfile(path):
        raise WorkbookError(f"{path}: not a workbook (not a zip archive; truncated or corrupt?)")
    try:
        return _quiet_load(path, **options)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise WorkbookError(f"{path}: cannot read the workbook ({type(exc).__name__}: {exc})") from None


def defined_areas(book: openpyxl.Workbook) -> dict[str, Area]:
    """Workbook-level defined names that point at one rectangle, keyed by lower-case name."""
    sheets = list(book.sheetnames)
    areas = {}
    for name, definition in book.defined_names.items():
        destinations = list(definition.destinations) if definition.attr_text else []
        if len(destinations) == 1:
            sheet, ref = destinations[0]
            with contextlib.suppress(WorkbookError):
                areas[name.lower()] = parse_area(f"'{sheet}'!{ref}", sheets)
    return areas


class Evaluator:
    """One workbook, loaded for recalculation.

    ``values(inputs, outputs)`` recalculates with some cells overridden and returns the
    requested areas as numpy arrays; Excel errors come back as their text (``"#NUM!"``).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        book = open_workbook(self.path)
        self.sheets: list[str] = list(book.sheetnames)
        self.names = defined_areas(book)
        self._book = book
        self._model, self._key_prefix = self._load_model()

    def _load_model(self) -> tuple[formulas.ExcelModel, str]:
        # `formulas` keys everything by the file's name; a copy with a plain name keeps
        # odd file names (brackets, quotes) out of those keys.
        suffix = self.path.suffix.lower()
        with tempfile.TemporaryDirectory(prefix="gdsheet-") as tmp:
            plain = Path(tmp) / f"book{suffix}"
            shutil.copyfile(self.path, plain)
            try:
                with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = formulas.ExcelModel().loads(str(plain)).finish()
            except Exception as exc:  # a formula `formulas` cannot parse, a damaged part, ...
                raise WorkbookError(
                    f"{self.path}: cannot evaluate the workbook ({type(exc).__name__}: {exc})"
                ) from None
        return model, f"[book{suffix}]"

    # --- addressing -----------------------------------------------------------------

    def area(self, target: str) -> Area:
        """A defined name (case-insensitive) or ``Sheet!A1[:B2]`` as an Area."""
        if "!" not in target and target.lower() in self.names:
            return self.names[target.lower()]
        if "!" not in target:
            raise WorkbookError(f"{self.path}: no defined name {target!r} (and not a Sheet!A1 cell)")
        return parse_area(target, self.sheets)

    def require(self, names: Sequence[str], hint: str = "") -> None:
        """Raise one WorkbookError naming every defined name in ``names`` the workbook lacks."""
        missing = [name for name in names if name.lower() not in self.names]
        if missing:
            raise WorkbookError(f"{self.path}: not a gdsheet lesson (missing names: {', '.join(missing)}){hint}")

    def _key(self, sheet: str, column: int, row: int) -> str:
        return f"'{self._key_prefix}{sheet.upper()}'!{a1(column, row)}"

    def is_formula(self, sheet: str, column: int, row: int) -> bool:
        """Whether the cell holds a formula (as stored in the file)."""
        return self._book[sheet].cell(row=row, column=column).data_type == "f"

    def stored(self, sheet: str, column: int, row: int) -> object:
        """The cell's stored content: a constant, or the formula text."""
        return self._book[sheet].cell(row=row, column=column).value

    def constants(self, name: str) -> list[object]:
        """The stored constants of a named area, row by row (None where a cell holds a formula)."""
        area = self.area(name)
        return [None if self.is_formula(area.sheet, c, r) else self.stored(area.sheet, c, r) for c, r in area.cells()]

    def numbers(self, name: str) -> tuple[float, ...]:
        """The named area's constants, which must all be finite numbers (inputs, not results)."""
        values = self.constants(name)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
            raise WorkbookError(f"{self.path}: the cells named {name!r} must hold numbers")
        return tuple(float(v) for v in values)  # type: ignore[arg-type]

    def formula_cells(self) -> list[tuple[str, int, int]]:
        """(sheet, column, row) of every formula cell of every worksheet."""
        found = []
        for ws in self._book.worksheets:
            for row in ws.iter_rows():
                found.extend((ws.title, c.column, c.row) for c in row if c.data_type == "f")
        return found

    # --- recalculation --------------------------------------------------------------

    def values(self, inputs: Mapping[str, float], outputs: Sequence[str]) -> dict[str, np.ndarray]:
        """Recalculate with ``inputs`` (target -> number, single cells) and read ``outputs``.

        Targets are defined names or ``Sheet!A1`` areas. Each output comes back as a 2-D
        object array of its area's shape (numbers as float, errors and text as str).
        """
        input_keys = {}
        for target, value in inputs.items():
            area = self.area(target)
            if area.shape != (1, 1):
                raise WorkbookError(f"{target!r}: an input must be a single cell")
            input_keys[self._key(area.sheet, area.min_col, area.min_row)] = value
        areas = {target: self.area(target) for target in outputs}
        wanted = [self._key(a.sheet, c, r) for a in areas.values() for c, r in a.cells()]
        solution = self._solve(input_keys, wanted)
        result = {}
        for target, area in areas.items():
            flat = [self._read(solution, area.sheet, c, r, input_keys) for c, r in area.cells()]
            result[target] = np.array(flat, dtype=object).reshape(area.shape)
        return result

    def stepper(self, inputs: Sequence[str], outputs: Sequence[str]) -> Callable[[Sequence[float]], list[object]]:
        """A fast function from input values to output values, for single cells, called per epoch.

        It is `formulas`' compiled sub-model for exactly these inputs and outputs (about three
        times faster than a full ``calculate``); where a cell is not part of the formula graph
        it falls back to :meth:`values`.
        """
        in_keys = [self._single_key(target) for target in inputs]
        out_keys = [self._single_key(target) for target in outputs]
        unique_out = [key for key in dict.fromkeys(out_keys) if key not in in_keys]  # an input reads back as given
        nodes = self._model.dsp.data_nodes
        if not all(key in nodes for key in in_keys + unique_out) or len(set(in_keys)) != len(in_keys):

            def slow(values: Sequence[float]) -> list[object]:
                solved = self.values(dict(zip(inputs, values, strict=True)), outputs)
                return [solved[target][0, 0] for target in outputs]

            return slow
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled = self._model.compile(inputs=in_keys, outputs=unique_out)

        def fast(values: Sequence[float]) -> list[object]:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    results = compiled(*values)
            except Exception as exc:
                raise WorkbookError(f"{self.path}: recalculation failed ({type(exc).__name__}: {exc})") from None
            by_key = {key: _plain(_first(result)) for key, result in zip(unique_out, results, strict=True)}
            by_key.update(zip(in_keys, (float(v) for v in values), strict=True))
            return [by_key[key] for key in out_keys]

        return fast

    def _single_key(self, target: str) -> str:
        area = self.area(target)
        if area.shape != (1, 1):
            raise WorkbookError(f"{target!r}: must be a single cell")
        return self._key(area.sheet, area.min_col, area.min_row)

    def all_values(self, inputs: Mapping[str, float] | None = None) -> dict[tuple[str, int, int], object]:
        """Every formula cell's value after one full recalculation, keyed (sheet, column, row)."""
        input_keys = {}
        for target, value in (inputs or {}).items():
            area = self.area(target)
            input_keys[self._key(area.sheet, area.min_col, area.min_row)] = value
        cells = self.formula_cells()
        solution = self._solve(input_keys, [self._key(*cell) for cell in cells])
        return {cell: self._read(solution, *cell, input_keys) for cell in cells}

    def _solve(self, inputs: Mapping[str, float], wanted: Sequence[str]) -> Mapping[str, object]:
        nodes = self._model.dsp.data_nodes
        outputs = [key for key in wanted if key in nodes]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return self._model.calculate(inputs={k: v for k, v in inputs.items() if k in nodes}, outputs=outputs)
        except Exception as exc:
            raise WorkbookError(f"{self.path}: recalculation failed ({type(exc).__name__}: {exc})") from None

    def _read(
        self, solution: Mapping[str, object], sheet: str, column: int, row: int, inputs: Mapping[str, float]
    ) -> object:
        key = self._key(sheet, column, row)
        if key in inputs:
            return float(inputs[key])
        if key not in solution:  # a constant no formula refers to: read it from the file
            return _plain(self.stored(sheet, column, row))
        return _plain(_first(solution[key]))


def _first(result: object) -> object:
    """The top-left value of a `formulas` result (a Ranges, an array or a scalar)."""
    value = getattr(result, "value", result)
    return np.asarray(value, dtype=object).ravel()[0]


def _plain(value: object) -> object:
    """A cell value as float, str (text and Excel errors) or None (empty)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = str(value)
    return None if text == "" or text == "empty" else text
