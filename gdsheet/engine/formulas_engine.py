"""The `formulas` package behind the engine interface: the reference interpreter.

Slow (its graph library makes loading grow faster than the sheet), but independent of our
compiler, so the differential tests hold the compiled engine to it, and ``--engine formulas``
or a formula the compiled engine does not support runs it.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from gdsheet.engine.book import Book
from gdsheet.errors import WorkbookError
from gdsheet.xlsx.ranges import a1

os.environ.setdefault("TQDM_DISABLE", "1")  # `formulas` shows progress bars while loading
import formulas

Cell = tuple[int, int, int]


class FormulasEngine:
    """A workbook loaded into `formulas`; cells are (sheet index, column, row) as in the compiled engine."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.path = book.path
        suffix = self.path.suffix.lower()
        self._prefix = f"[book{suffix}]"
        # `formulas` keys everything by the file's name; a copy with a plain name keeps odd
        # file names (brackets, quotes) out of those keys.
        with tempfile.TemporaryDirectory(prefix="gdsheet-") as tmp:
            plain = Path(tmp) / f"book{suffix}"
            shutil.copyfile(self.path, plain)
            try:
                with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._model = formulas.ExcelModel().loads(str(plain)).finish()
            except Exception as exc:  # a formula `formulas` cannot parse, a damaged part, ...
                raise WorkbookError(
                    f"{self.path}: cannot evaluate the workbook ({type(exc).__name__}: {exc})"
                ) from None

    def _key(self, cell: Cell) -> str:
        sheet, col, row = cell
        return f"'{self._prefix}{self.book.sheets[sheet].name.upper()}'!{a1(col, row)}"

    def formula_cells(self) -> Iterator[Cell]:
        for run in self.book.runs():
            for row in range(run.first, run.last + 1):
                yield run.sheet, run.col, row

    def _solve(self, inputs: Mapping[str, object], wanted: Sequence[str]) -> Mapping[str, object]:
        nodes = self._model.dsp.data_nodes
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return self._model.calculate(
                    inputs={k: v for k, v in inputs.items() if k in nodes}, outputs=[k for k in wanted if k in nodes]
                )
        except Exception as exc:
            raise WorkbookError(f"{self.path}: recalculation failed ({type(exc).__name__}: {exc})") from None

    def evaluate(self, inputs: Mapping[Cell, object]) -> Callable[[Cell], object]:
        keyed = {self._key(cell): value for cell, value in inputs.items()}
        solution = self._solve(keyed, [self._key(cell) for cell in self.formula_cells()])

        def read(cell: Cell) -> object:
            key = self._key(cell)
            if key in keyed:
                return keyed[key]
            if key not in solution:
                return self.book.sheets[cell[0]].constants.get(cell[1], {}).get(cell[2])
            return _plain(_first(solution[key]))

        return read

    def stepper(self, inputs: Sequence[Cell], outputs: Sequence[Cell]) -> Callable[[Sequence[float]], list[object]]:
        """`formulas`' compiled sub-model for exactly these cells (about 3x a full calculate)."""
        in_keys = [self._key(cell) for cell in inputs]
        out_keys = [self._key(cell) for cell in outputs]
        unique_out = [key for key in dict.fromkeys(out_keys) if key not in in_keys]
        nodes = self._model.dsp.data_nodes
        if not all(key in nodes for key in in_keys + unique_out) or len(set(in_keys)) != len(in_keys):

            def slow(values: Sequence[float]) -> list[object]:
                read = self.evaluate(dict(zip(inputs, values, strict=True)))
                return [read(cell) for cell in outputs]

            return slow
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled = self._model.compile(inputs=in_keys, outputs=unique_out)

        def fast(values: Sequence[float]) -> list[object]:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    results = compiled(*values)
                if len(unique_out) == 1:  # a one-output sub-model returns its value, not a tuple
                    results = (results,)
            except Exception as exc:
                raise WorkbookError(f"{self.path}: recalculation failed ({type(exc).__name__}: {exc})") from None
            by_key = {key: _plain(_first(result)) for key, result in zip(unique_out, results, strict=True)}
            by_key.update(zip(in_keys, values, strict=True))
            return [by_key[key] for key in out_keys]

        return fast


def _first(result: object) -> object:
    """The top-left value of a `formulas` result (a Ranges, an array or a scalar)."""
    value = getattr(result, "value", result)
    return np.asarray(value, dtype=object).ravel()[0]


def _plain(value: object) -> object:
    """A cell value as float, bool, str (text and Excel errors) or None (empty)."""
    if value is None or isinstance(value, bool) or type(value) is str:
        return value
    if isinstance(value, str):  # formulas' XlError is a str subclass
        return str(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = str(value)
    return None if text == "" or text == "empty" else text
