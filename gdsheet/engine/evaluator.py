"""Any workbook, recalculated headlessly: cells and names in, values out.

The evaluator knows a workbook only through its defined names or cells it is told
(``Sheet!A1``), never through gdsheet's layout, so it runs workbooks gdsheet did not build.
It reads the file by streaming its XML (:mod:`gdsheet.engine.book`) and evaluates with an
engine (:mod:`gdsheet.engine`): the compiled one by default, or the `formulas` package.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from gdsheet.engine import DEFAULT_ENGINE, Engine, formulas_fallback, load_engine
from gdsheet.engine.book import WORKBOOK_SUFFIXES, Book, read_book, with_constants
from gdsheet.engine.compiled import plain
from gdsheet.engine.shapes import Unsupported
from gdsheet.errors import WorkbookError
from gdsheet.limits import archive_limit
from gdsheet.xlsx.ranges import Range, RangeError, quote_sheet, split_range, unquote_sheet

__all__ = ["WORKBOOK_SUFFIXES", "Evaluator", "defined_areas", "parse_area"]


def parse_area(text: str, sheets: Sequence[str], default_sheet: str | None = None) -> Range:
    """``Sheet!B2`` (or ``'My sheet'!B2:C4``) as a Range on that sheet, which must exist."""
    try:
        sheet, area = split_range(text)
    except RangeError as exc:
        raise WorkbookError(str(exc)) from None
    sheet = sheet if sheet is not None else default_sheet
    if sheet is None:
        raise WorkbookError(f"{text!r}: give the sheet, as Sheet!A1")
    matches = [name for name in sheets if name.lower() == sheet.lower()]
    if not matches:
        raise WorkbookError(f"{text!r}: no sheet named {sheet!r} (sheets: {', '.join(sheets)})")
    return replace(area, sheet=matches[0])


def _names_to_areas(names: Mapping[str, str], sheets: Sequence[str]) -> dict[str, Range]:
    areas = {}
    for name, text in names.items():
        with contextlib.suppress(WorkbookError):
            areas[name.lower()] = parse_area(text, sheets)
    return areas


def defined_areas(book: object) -> dict[str, Range]:
    """Workbook-level defined names of an openpyxl workbook that point at one rectangle."""
    sheets = list(book.sheetnames)  # type: ignore[attr-defined]
    texts = {}
    for name, definition in book.defined_names.items():  # type: ignore[attr-defined]
        destinations = list(definition.destinations) if definition.attr_text else []
        if len(destinations) == 1:
            sheet, ref = destinations[0]
            texts[name] = f"{quote_sheet(sheet)}!{ref}"
    return _names_to_areas(texts, sheets)


class Evaluator:
    """One workbook, loaded for recalculation.

    ``values(inputs, outputs)`` recalculates with some cells overridden and returns the
    requested areas as numpy arrays; Excel errors come back as their text (``"#NUM!"``).
    """

    def __init__(
        self,
        path: str | Path,
        engine: str = DEFAULT_ENGINE,
        verbose: bool = False,
        book: Book | None = None,
        seed: int = 0,
    ) -> None:
        self.path = Path(path)
        self.seed = seed
        self.book: Book = read_book(self.path) if book is None else book
        self.sheets: list[str] = [sheet.name for sheet in self.book.sheets]
        self.names = _names_to_areas(self.book.names, self.sheets)
        self.engine_kind = engine
        self.verbose = verbose
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The evaluation engine, loaded on first use (reading names needs none)."""
        if self._engine is None:
            self._engine = load_engine(self.book, self.engine_kind, self.verbose, self.seed)
        return self._engine

    def _fallback(self, why: Unsupported) -> Engine:
        """Switch to the `formulas` engine for what the compiled one cannot do."""
        self._engine = formulas_fallback(self.book, why, self.verbose)
        return self._engine

    # --- addressing -----------------------------------------------------------------

    def area(self, target: str) -> Range:
        """A defined name (case-insensitive), ``Sheet!A1[:B2]`` or ``Sheet!name`` as a Range, bounded in size.

        Names are resolved as Excel does: ``Sheet!name`` is that sheet's own name, else the
        workbook's; a bare name is the workbook's, else the sheet-level name of the one sheet
        that defines it (several: one line asking which)."""
        if "!" not in target:
            area = self._bare_name(target)
        else:
            try:
                area = parse_area(target, self.sheets)
            except WorkbookError:
                sheet, _, name = target.rpartition("!")
                area = self._sheet_name(target, unquote_sheet(sheet), name)
        rows, cols = area.shape
        if rows * cols > archive_limit("cells"):
            raise WorkbookError(
                f"{self.path}: {target!r} covers {area.sheet}!{area.ref()}, {rows * cols:,} cells, more than "
                f"the limit of {archive_limit('cells'):,} (raise it with GDSHEET_MAX_CELLS)"
            )
        return area

    def _bare_name(self, name: str) -> Range:
        if name.lower() in self.names:
            return self.names[name.lower()]
        local = self._local_areas(name)
        if len(local) == 1:
            return next(iter(local.values()))
        if local:
            qualified = ", ".join(f"{quote_sheet(sheet)}!{name}" for sheet in local)
            raise WorkbookError(f"{self.path}: {name!r} is a name of several sheets ({qualified}): say which")
        raise WorkbookError(f"{self.path}: no defined name {name!r} (and not a Sheet!A1 cell)")

    def _sheet_name(self, target: str, sheet: str, name: str) -> Range:
        """``Sheet!name``: the sheet's own name wins, as in Excel; else the workbook's name."""
        matches = [s for s in self.sheets if s.lower() == sheet.lower()]
        if not matches:
            raise WorkbookError(f"{target!r}: no sheet named {sheet!r} (sheets: {', '.join(self.sheets)})")
        local = self._local_areas(name)
        if matches[0] in local:
            return local[matches[0]]
        if name.lower() in self.names:
            return self.names[name.lower()]
        raise WorkbookError(f"{target!r}: not a cell reference like Sheet!A1, nor a name of sheet {matches[0]!r}")

    def _local_areas(self, name: str) -> dict[str, Range]:
        """Sheet -> the area of that sheet's own ``name`` (a sheet-level defined name)."""
        areas = {}
        for defined in self.book.defined:
            if defined.sheet is not None and defined.name.lower() == name.lower():
                sheet = next((s for s in self.sheets if s.lower() == defined.sheet.lower()), None)
                with contextlib.suppress(WorkbookError):
                    if sheet is not None:
                        areas[sheet] = parse_area(defined.text, self.sheets, sheet)
        return areas

    def require(self, names: Sequence[str], hint: str = "") -> None:
        """Raise one WorkbookError naming every defined name in ``names`` the workbook lacks."""
        missing = [name for name in names if name.lower() not in self.names]
        if missing:
            raise WorkbookError(f"{self.path}: not a gdsheet lesson (missing names: {', '.join(missing)}){hint}")

    def _index(self, sheet: str) -> int:
        return self.sheets.index(sheet)

    def is_formula(self, sheet: str, column: int, row: int) -> bool:
        """Whether the cell holds a formula (as stored in the file)."""
        return self.book.sheets[self._index(sheet)].formula_at(column, row) is not None

    def stored(self, sheet: str, column: int, row: int) -> object:
        """The cell's stored constant (None for a formula or an empty cell)."""
        return plain(self.book.sheets[self._index(sheet)].constants.get(column, {}).get(row))

    def constants(self, name: str) -> list[object]:
        """The stored constants of a named area, row by row (None where a cell holds a formula)."""
        area = self.area(name)
        return [None if self.is_formula(area.sheet, c, r) else self.stored(area.sheet, c, r) for r, c in area.cells()]

    def numbers(self, name: str) -> tuple[float, ...]:
        """The named area's constants, which must all be finite numbers (inputs, not results)."""
        values = self.constants(name)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
            raise WorkbookError(f"{self.path}: the cells named {name!r} must hold numbers")
        return tuple(float(v) for v in values)  # type: ignore[arg-type]

    def formula_cells(self) -> list[tuple[str, int, int]]:
        """(sheet, column, row) of every formula cell of every worksheet."""
        return [(self.sheets[s], c, r) for s, c, r in self.engine.formula_cells()]

    def with_constants(self, cells: Iterable[tuple[str, int, int]]) -> Evaluator:
        """Another evaluator of this workbook in which ``cells`` (sheet, column, row) hold the
        number 0 instead of their formulas, so that inputs may set them (an input cell may not
        hold a formula). Nothing is read again; the engine is compiled anew on first use."""
        constants = {(self._index(sheet), column, row): 0.0 for sheet, column, row in cells}
        return Evaluator(self.path, self.engine_kind, self.verbose, with_constants(self.book, constants))

    # --- recalculation --------------------------------------------------------------

    def _cell(self, target: str) -> tuple[int, int, int]:
        area = self.area(target)
        if area.shape != (1, 1):
            raise WorkbookError(f"{target!r}: must be a single cell")
        return self._index(area.sheet), area.min_col, area.min_row

    def _evaluate(self, inputs: Mapping[str, float]) -> Callable[[tuple[int, int, int]], object]:
        cells = {self._cell(target): float(value) for target, value in inputs.items()}
        try:
            return self.engine.evaluate(cells)
        except Unsupported as why:
            return self._fallback(why).evaluate(cells)

    def values(self, inputs: Mapping[str, float], outputs: Sequence[str]) -> dict[str, np.ndarray]:
        """Recalculate with ``inputs`` (target -> number, single cells) and read ``outputs``.

        Targets are defined names or ``Sheet!A1`` areas. Each output comes back as a 2-D
        object array of its area's shape (numbers as float, errors and text as str).
        """
        read = self._evaluate(inputs)
        result = {}
        for target in outputs:
            area = self.area(target)
            sheet = self._index(area.sheet)
            flat = [plain(read((sheet, c, r))) for r, c in area.cells()]
            result[target] = np.array(flat, dtype=object).reshape(area.shape)
        return result

    def stepper(self, inputs: Sequence[str], outputs: Sequence[str], carry: Sequence[int] | None = None,
                width: int = 0) -> Callable[[Sequence[float]], list[object]]:  # fmt: skip
        """A fast function from input values (floats) to output values (single cells, plain:
        numbers as float, errors and text as str), called per epoch. With ``carry`` the compiled
        engine's function may also play many epochs a call (its ``epochs``, see
        :meth:`gdsheet.engine.compiled.CompiledEngine.stepper`)."""
        in_cells = [self._cell(target) for target in inputs]
        out_cells = [self._cell(target) for target in outputs]
        try:
            if carry is not None and getattr(self.engine, "plain_steps", False):  # the compiled engine
                step = self.engine.stepper(in_cells, out_cells, carry, width)  # type: ignore[call-arg]
            else:
                step = self.engine.stepper(in_cells, out_cells)
        except Unsupported as why:
            step = self._fallback(why).stepper(in_cells, out_cells)
        if getattr(self.engine, "plain_steps", False):
            return step  # called once an epoch: no wrapper
        return lambda values: [plain(v) for v in step([float(v) for v in values])]

    def all_values(self, inputs: Mapping[str, float] | None = None) -> dict[tuple[str, int, int], object]:
        """Every formula cell's value after one full recalculation, keyed (sheet, column, row)."""
        read = self._evaluate(inputs or {})
        return {(self.sheets[s], c, r): plain(read((s, c, r))) for s, c, r in self.engine.formula_cells()}

    def last_formula_rows(self) -> dict[str, int]:
        """Sheet -> the last row that holds a formula (0 for none), as the file was read: a save
        that appends below it can copy the rows between untouched."""
        return {
            sheet.name: max((run.last for runs in sheet.runs.values() for run in runs), default=0)
            for sheet in self.book.sheets
        }

    def formula_readers(self, inputs: Mapping[str, float] | None = None) -> dict[str, Callable[[int, int], object]]:
        """Sheet -> ``value_at(row, column)``: a formula cell's value after one full recalculation
        (None for a cell without a formula), read on demand from the engine.

        :meth:`all_values` as random access: saving a large lesson asks for a million cells, and a
        map of them all would cost far more time and memory than the save itself."""
        read = self._evaluate(inputs or {})

        def reader(index: int) -> Callable[[int, int], object]:
            formula_at = self.book.sheets[index].formula_at
            return lambda row, col: plain(read((index, col, row))) if formula_at(col, row) is not None else None

        return {sheet: reader(index) for index, sheet in enumerate(self.sheets)}
