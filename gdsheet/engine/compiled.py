"""The compiled engine: a workbook's formulas as generated Python, run at plain-Python speed.

Load: stream the workbook (:mod:`.book`), parse each formula shape once (:mod:`.shapes`),
order the runs (:mod:`.plan`), generate and ``compile()`` one program for the whole
workbook (:mod:`.codegen`) and run it once: that is every cell's value with no inputs
changed. A *stepper* is a second, smaller program for fixed inputs and outputs: it computes
only the runs that depend on the inputs and that the outputs need, reading everything else
from the values computed at load, with those constants baked into the code.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from gdsheet.engine import xlvalues as xl
from gdsheet.engine.book import Book, Run
from gdsheet.engine.codegen import (
    NATIVE_SPECIALS,
    Context,
    Program,
    ProgramWriter,
    Slow,
    check_supported,
    fast_statement,
)
from gdsheet.engine.foreign import ForeignFormula, describe, foreign_formulas
from gdsheet.engine.plan import Plan, Unit, make_plan
from gdsheet.engine.shapes import FormulaRefused, Node, Unsupported, walk
from gdsheet.limits import EXCEL_COLUMNS as MAX_COL
from gdsheet.xlsx.ranges import a1

Cell = tuple[int, int, int]  # (sheet index, column, row)
_FAST_FAILURES = (Slow, ZeroDivisionError, OverflowError, ValueError, TypeError, FloatingPointError, IndexError)


class CompiledEngine:
    """One workbook compiled; ``evaluate`` recalculates everything with some cells overridden."""

    plain_steps = True
    """Its steppers return plain values (:func:`plain`) from float inputs: the evaluator adds no wrapper."""

    def __init__(self, book: Book, seed: int = 0) -> None:
        self.book = book
        if book.unsupported:
            raise Unsupported(book.unsupported[0])
        self.seed = seed
        self._rng = random.Random(seed)
        self.trees: dict[int, Node] = {}
        unsupported: dict[int, str] = {}
        unparsed: dict[int, str] = {}
        for run in book.runs():
            if run.shape not in self.trees and run.shape not in unparsed:
                try:
                    tree = book.shapes.tree(run.shape)
                except FormulaRefused as exc:
                    raise FormulaRefused(f"{book.sheets[run.sheet].name}!{a1(run.col, run.first)}: {exc}") from None
                except Unsupported as exc:  # a formula our parser refuses: `formulas` takes its cells
                    unparsed[run.shape] = f"a formula the engine does not parse ({exc})"
                    continue
                try:
                    check_supported(tree)
                except Unsupported as why:
                    unsupported[run.shape] = str(why)
                self.trees[run.shape] = tree
        unknown = self._unknown_only(unsupported)
        self.foreign = foreign_formulas(book, self.trees, unsupported)
        for index, why in unparsed.items():  # `formulas` names their inputs, so the plan can place them
            self.foreign[index] = ForeignFormula(book, book.shapes.shapes[index], None, why)
            self.trees[index] = self.foreign[index].tree
        counts = [run.last - run.first + 1 for run in book.runs() if run.shape in self.foreign]
        notes = [describe(self.foreign, counts)] if self.foreign else []
        if unknown:
            cells = sum(run.last - run.first + 1 for run in book.runs() if run.shape in unknown)
            names = ", ".join(sorted({name for names in unknown.values() for name in names}))
            notes.append(f"{cells:,} formula cell(s) call a function no engine knows ({names}): #NAME?, as in Excel")
        self.note = "; ".join(notes) if notes else None
        self.plan: Plan = make_plan(book, self.trees)
        self.dynamic = any(
            node[0] == "fn" and node[1] in xl.DYNAMIC for tree in self.trees.values() for node in walk(tree)
        )
        self.cyclic = book.iterate is not None and self.plan.cyclic
        self.volatile_runs = self._volatile_runs()
        self.unstable = False  # the dynamic or iterative fixpoint did not settle
        self.run_of: dict[tuple[int, int], list[Run]] = {}
        for unit in self.plan.units:
            for run in unit.runs:
                self.run_of.setdefault((run.sheet, run.col), []).append(run)
        self.column_ids: dict[tuple[int, int], int] = {}
        self._fast_runs = self._decide_fast()
        self.writer = ProgramWriter(book, self.plan, self.trees, self.foreign, self._fast_runs, self.column_ids)
        self._whole_fast = self._compile(self.plan.units, fast=True)
        self._whole_exact: Program | None = None
        self._base = self._constant_lists()
        self.values = self._evaluate_lists({})

    def _unknown_only(self, unsupported: dict[int, str]) -> dict[int, list[str]]:
        """Shapes whose unsupported functions no engine knows: they stay compiled, each such call
        ``#NAME?`` (so ``IFERROR(FOO(), x)`` is x, as in Excel); removed from ``unsupported``.
        `formulas`' registry is read here, only when some function is unsupported."""
        if not unsupported:
            return {}
        from gdsheet.engine.foreign import known_functions

        known = known_functions()
        unknown: dict[int, list[str]] = {}
        for index in list(unsupported):
            names = [
                node[1]
                for node in walk(self.trees[index])
                if node[0] == "fn" and node[1] not in xl.FUNCTIONS and node[1] not in NATIVE_SPECIALS
            ]
            if not any(name in known for name in names):
                unknown[index] = names
                del unsupported[index]
        return unknown

    # --- programs ------------------------------------------------------------------------

    def _decide_fast(self) -> set[int]:
        """Runs whose code may use plain float arithmetic: fast-able formulas reading numbers only."""
        fast: set[int] = set()
        checked: dict[tuple[int, int, int, int], bool] = {}
        for unit in self.plan.units:
            if unit.cells is not None:
                continue
            members = {id(run) for run in unit.runs}
            ok = True
            for run in unit.runs:
                try:
                    fast_statement(Context(self.book, {}), run, self.trees[run.shape], "r")
                except Unsupported:
                    ok = False
                    break
                for ref in self.plan.refs[id(run)]:
                    rect = ref.rect
                    for col in range(rect.min_col, rect.max_col + 1):
                        key = (rect.sheet, col, rect.min_row, rect.max_row)
                        if key not in checked:
                            checked[key] = self._numeric(rect.sheet, col, rect.min_row, rect.max_row, fast | members)
                        if not checked[key]:
                            ok = False
                            break
                    if not ok:
                        break
                if not ok:
                    break
            if ok:
                fast |= members
        return fast

    def _numeric(self, sheet: int, col: int, first: int, last: int, fast: set[int]) -> bool:
        """Whether every cell of rows first..last of a column is a number or a fast formula."""
        constants = self.book.sheets[sheet].constants.get(col, {})
        runs = self.run_of.get((sheet, col), [])
        covered = 0
        for run in runs:
            low, high = max(run.first, first), min(run.last, last)
            if low <= high:
                if id(run) not in fast:
                    return False
                covered += high - low + 1
        if covered == last - first + 1:
            return True
        if len(constants) < last - first + 1 - covered:
            return False
        for row in range(first, last + 1):
            value = constants.get(row)
            if value is None:
                if not any(run.first <= row <= run.last for run in runs):
                    return False
            elif type(value) is not float:
                return False
        return True

    def _compile(self, units: Iterable[Unit], *, fast: bool, **options: object) -> Program:
        """A program of ``units`` (see :meth:`ProgramWriter.program`), with this engine's RAND,
        RANDBETWEEN and OFFSET."""
        runtime = {"_rand": self._rng.random, "_randbetween": self._randbetween, "_offset": self._offset,
                   "_fails": _FAST_FAILURES}  # fmt: skip
        return self.writer.program(units, runtime, fast=fast, **options)  # type: ignore[arg-type]

    def _constant_lists(self) -> list[list[object]]:
        """One list per column the programs touch, long enough for every row they read."""
        height: dict[int, int] = {}
        for sheet_index, sheet in enumerate(self.book.sheets):
            height[sheet_index] = sheet.max_row()
        for refs in self.plan.refs.values():
            for ref in refs:
                height[ref.rect.sheet] = max(height.get(ref.rect.sheet, 0), ref.rect.max_row)
        lists: list[list[object]] = [[] for _ in range(len(self.column_ids))]
        for (sheet, col), k in self.column_ids.items():
            column = [None] * (height.get(sheet, 0) + 2)
            for row, value in self.book.sheets[sheet].constants.get(col, {}).items():
                column[row] = value
            lists[k] = column
        return lists

    def _ensure_columns(self, cells: Iterable[Cell]) -> None:
        """Give every cell's column a list (and the load-time values one)."""
        for sheet, col, _ in cells:
            if (sheet, col) not in self.column_ids:
                self.column_ids[(sheet, col)] = len(self.column_ids)
        self._sync_lists()

    def _sync_lists(self) -> None:
        """Rebuild the lists when columns were added since (by a caller or while compiling)."""
        if len(self.values) < len(self.column_ids):
            self._base = self._constant_lists()
            self.values = self._evaluate_lists({})

    # --- evaluation ----------------------------------------------------------------------

    def _evaluate_lists(self, inputs: Mapping[Cell, object]) -> list[list[object]]:
        draws = self._rng.getstate()
        lists = [column.copy() for column in self._base]
        for (sheet, col, row), value in inputs.items():
            lists[self.column_ids[(sheet, col)]][row] = value
        if not (self.dynamic or self.cyclic):
            whole = self._whole_fast
            try:
                with np.errstate(all="raise", under="ignore"):
                    whole.run(lists, whole.constants, ())
                if self._all_finite(lists):
                    return lists
            except _FAST_FAILURES:
                pass
            lists = [column.copy() for column in self._base]
            for (sheet, col, row), value in inputs.items():
                lists[self.column_ids[(sheet, col)]][row] = value
            self._rng.setstate(draws)
        if self._whole_exact is None:
            self._whole_exact = self._compile(self.plan.units, fast=False)
        exact = self._whole_exact
        exact.run(lists, exact.constants, ())
        if self.dynamic or self.cyclic:
            self._settle(lists, exact.run, exact.constants, draws)
        return lists

    def _settle(self, lists: list[list[object]], program: Callable[..., None], constants: list[object],
                draws: object) -> None:  # fmt: skip
        """Re-run the program until its values stop changing.

        OFFSET's cells are known only while evaluating, so a cell may have read one that was
        computed later in the pass; every pass after the first reads the previous pass's values,
        so an acyclic workbook settles (its values equal twice in a row). With iterative
        calculation on (``calcPr iterate``), a cycle is iterated as Excel does: at most
        ``iterateCount`` passes, until no value moves by ``iterateDelta`` or more. The random
        draws repeat in every pass, so a volatile cell is one draw per recalculation."""
        count, delta = self.book.iterate if self.cyclic else (20, 0.0)  # type: ignore[misc]
        self.unstable = False
        for _ in range(count):
            before = [column.copy() for column in lists]
            self._rng.setstate(draws)  # type: ignore[arg-type]
            program(lists, constants, ())
            if _settled(before, lists, delta):
                return
        self.unstable = not self.cyclic

    def _randbetween(self, bottom: object, top: object) -> object:
        low, high = xl.to_number(bottom), xl.to_number(top)
        if (error := xl.first_error(low, high)) is not None:
            return error
        low, high = math.ceil(low), math.floor(high)  # type: ignore[arg-type]
        if low > high:
            return xl.NUM
        return float(self._rng.randint(low, high))

    def _offset(self, lists: list[list[object]], sheet: int, first: int, col1: int, last: int, col2: int,
                rows: object, cols: object, height: object = None, width: object = None) -> object:  # fmt: skip
        """OFFSET's cells, read from the values of this evaluation (see :meth:`_settle`)."""
        numbers = [xl.to_number(v) for v in (rows, cols)]
        numbers += [xl.to_number(v) if v is not None else float(d) for v, d in ((height, last - first + 1),
                                                                                (width, col2 - col1 + 1))]  # fmt: skip
        if (error := xl.first_error(*numbers)) is not None:
            return error
        dr, dc, h, w = (int(v) for v in numbers)  # type: ignore[arg-type]
        top, left = first + dr, col1 + dc
        if h < 1 or w < 1 or top < 1 or left < 1 or top + h - 1 > 1_048_576 or left + w - 1 > 16_384:
            return xl.REF
        if h * w > 1_000_000:
            return xl.REF
        grid = [[self._value_in(lists, sheet, c, r) for c in range(left, left + w)] for r in range(top, top + h)]
        return grid[0][0] if h == w == 1 else xl.Grid(grid)

    def _value_in(self, lists: list[list[object]], sheet: int, col: int, row: int) -> object:
        k = self.column_ids.get((sheet, col))
        if k is not None and k < len(lists) and row < len(lists[k]):
            return lists[k][row]
        return self.book.sheets[sheet].constants.get(col, {}).get(row)

    def _volatile_runs(self) -> set[int]:
        """Runs calling RAND, RANDBETWEEN, NOW or TODAY, and every run that reads one."""
        volatile = {
            id(run)
            for unit in self.plan.units
            for run in unit.runs
            if any(node[0] == "fn" and node[1] in xl.VOLATILE for node in walk(self.trees[run.shape]))
        }
        readers: dict[int, list[int]] = {}
        for run_id, deps in self.plan.deps.items():
            for dep in deps:
                readers.setdefault(dep, []).append(run_id)
        stack = list(volatile)
        while stack:
            for reader in readers.get(stack.pop(), ()):
                if reader not in volatile:
                    volatile.add(reader)
                    stack.append(reader)
        return volatile

    def is_volatile(self, cell: Cell) -> bool:
        """Whether a formula cell's value changes at every recalculation (RAND and its readers)."""
        sheet, col, row = cell
        return any(
            run.first <= row <= run.last and id(run) in self.volatile_runs for run in self.run_of.get((sheet, col), [])
        )

    def is_native(self, cell: Cell) -> bool:
        """Whether the compiled engine computes the cell itself (not the `formulas` fallback)."""
        sheet, col, row = cell
        return not any(
            run.first <= row <= run.last and run.shape in self.foreign for run in self.run_of.get((sheet, col), [])
        )

    def _all_finite(self, lists: list[list[object]]) -> bool:
        for run in self._runs():
            if id(run) in self._fast_runs:
                column = lists[self.column_ids[(run.sheet, run.col)]]
                if not np.isfinite(np.array(column[run.first : run.last + 1], dtype=float)).all():
                    return False
        return True

    def _runs(self) -> Iterator[Run]:
        for unit in self.plan.units:
            yield from unit.runs

    def _check_inputs(self, cells: Iterable[Cell]) -> None:
        for sheet, col, row in cells:
            for run in self.run_of.get((sheet, col), []):
                if run.first <= row <= run.last:
                    raise Unsupported("an input cell that holds a formula")

    def evaluate(self, inputs: Mapping[Cell, object]) -> Callable[[Cell], object]:
        """Recalculate with ``inputs`` overriding cells; returns a reader of any cell's value."""
        self._check_inputs(inputs)
        self._ensure_columns(inputs)
        lists = self.values if not inputs else self._evaluate_lists(inputs)
        return lambda cell: self._read(lists, cell)

    def _read(self, lists: list[list[object]], cell: Cell) -> object:
        sheet, col, row = cell
        k = self.column_ids.get((sheet, col))
        if k is None or row >= len(lists[k]):
            return self.book.sheets[sheet].constants.get(col, {}).get(row)
        return lists[k][row]

    def formula_cells(self) -> Iterator[Cell]:
        """Every formula cell, in evaluation order: a cell comes after every cell it reads
        (an array formula's whole result, kept beyond the sheet's last column, is no cell)."""
        for unit in self.plan.units:
            if unit.cells is not None:
                yield from ((run.sheet, run.col, row) for run, row in unit.cells if run.col <= MAX_COL)
                continue
            if unit.runs[0].col > MAX_COL:
                unit_runs = [run for run in unit.runs if run.col <= MAX_COL]
                rows = range(unit.first, unit.last + 1)
                yield from ((run.sheet, run.col, row) for row in rows for run in unit_runs)
                continue
            rows = range(unit.last, unit.first - 1, -1) if unit.descending else range(unit.first, unit.last + 1)
            for row in rows:
                for run in unit.runs:
                    yield run.sheet, run.col, row

    def stepper(self, inputs: Sequence[Cell], outputs: Sequence[Cell], carry: Sequence[int] | None = None,
                width: int = 0) -> Callable[[Sequence[float]], list[object]]:  # fmt: skip
        """A program from the inputs' values to the outputs' values, computing only what it must.

        With ``carry`` (output ``carry[i]`` feeds input i the next epoch) the function also has
        ``epochs(values, n, array)``, which plays up to ``n`` epochs in one call of the fast
        program, appending each one's first ``width`` outputs to ``array`` (see
        :meth:`ProgramWriter.program`), and returns (epochs played, the inputs of the last, the
        inputs of the next): a run's loop without a Python call an epoch. It stops short at an
        epoch the fast program cannot play; :func:`step` then plays that one. A workbook with
        volatile cells (RAND) has none: a failed fast epoch would have drawn numbers."""
        self._check_inputs(inputs)
        self._ensure_columns(list(inputs) + list(outputs))
        if self.dynamic or self.cyclic:  # cells found while evaluating: the whole program each time

            def whole(values: Sequence[float]) -> list[object]:
                lists = self._evaluate_lists(dict(zip(inputs, values, strict=True)))
                return [self._read(lists, cell) for cell in outputs]

            return whole
        input_set = set(inputs)
        dynamic = self._dynamic_runs(input_set)
        needed = self._needed_runs(outputs, dynamic)
        units = [unit for unit in self.plan.units if any(id(run) in needed for run in unit.runs)]
        runs_by_cell = self.run_of

        def inline(sheet: int, col: int, row: int) -> object:
            if (sheet, col, row) in input_set:
                return None
            for run in runs_by_cell.get((sheet, col), []):
                if run.first <= row <= run.last and id(run) in dynamic:
                    return None
            return self._read(self.values, (sheet, col, row))

        def static_range(sheet: int, row1: int, col1: int, row2: int, col2: int) -> np.ndarray | None:
            """A fixed range of numbers that no input changes, as the array the fast code reads."""
            for s_, c_, r_ in input_set:
                if s_ == sheet and col1 <= c_ <= col2 and row1 <= r_ <= row2:
                    return None
            columns = []
            for col in range(col1, col2 + 1):
                for run in runs_by_cell.get((sheet, col), []):
                    if run.first <= row2 and row1 <= run.last and id(run) in dynamic:
                        return None
                column = [self._read(self.values, (sheet, col, row)) for row in range(row1, row2 + 1)]
                if not all(type(v) is float for v in column):
                    return None
                columns.append(column)
            return np.array(columns, dtype=float).T

        def static_column(sheet: int, col: int, rows: range) -> tuple[float, ...] | None:
            """The numbers of a column's rows when no input changes any of them."""
            column = tuple(inline(sheet, col, row) for row in rows)
            return column if all(type(v) is float for v in column) else None

        stores = self.writer.store_policy(units, outputs, self.run_of)
        options = {"inputs": inputs, "outputs": outputs, "inline": inline, "static_range": static_range,
                   "static_column": static_column, "stores": stores}  # fmt: skip
        fast = self._compile(units, fast=True, **options)
        exact_program: list[Program] = []
        self._sync_lists()  # columns first seen while compiling
        touched = {self.column_ids[(run.sheet, run.col)] for unit in units for run in unit.runs}
        touched |= {self.column_ids[(cell[0], cell[1])] for cell in inputs}
        lists = [column.copy() if k in touched else column for k, column in enumerate(self.values)]

        def step(values: Sequence[float], run: Callable[..., list[object]] = fast.run,
                 constants: list[object] = fast.constants, errstate: bool = fast.numpy) -> list[object]:  # fmt: skip
            try:
                if not errstate:
                    return run(lists, constants, values)
                with np.errstate(all="raise", under="ignore"):
                    return run(lists, constants, values)
            except _FAST_FAILURES:
                pass
            if not exact_program:
                exact_program.append(self._compile(units, fast=False, **options))
            exact = exact_program[0]
            return [plain(value) for value in exact.run(lists, exact.constants, values)]  # type: ignore[union-attr]

        if carry is not None and not self.volatile_runs:
            looped = self._compile(units, fast=True, carry=carry, width=width, **options)

            def epochs(values: Sequence[float], n: int, array: object, run: Callable[..., object] = looped.run,
                       constants: list[object] = looped.constants) -> tuple[int, tuple, tuple]:  # fmt: skip
                if not looped.numpy:
                    return run(lists, constants, tuple(values), n, array)  # type: ignore[return-value]
                with np.errstate(all="raise", under="ignore"):
                    return run(lists, constants, tuple(values), n, array)  # type: ignore[return-value]

            step.epochs = epochs  # type: ignore[attr-defined]
        return step

    def _dynamic_runs(self, inputs: set[Cell]) -> set[int]:
        """Runs a step computes: those reading an input (or such a run), and the volatile ones
        (RAND draws anew at every recalculation, as in Excel)."""
        dynamic: set[int] = set(self.volatile_runs)
        for unit in self.plan.units:
            hit = False
            for run in unit.runs:
                if self.plan.deps[id(run)] & dynamic:
                    hit = True
                    break
                for ref in self.plan.refs[id(run)]:
                    rect = ref.rect
                    if any(
                        s == rect.sheet and rect.min_col <= c <= rect.max_col and rect.min_row <= r <= rect.max_row
                        for s, c, r in inputs
                    ):
                        hit = True
                        break
                if hit:
                    break
            if hit:
                dynamic |= {id(run) for run in unit.runs}
        return dynamic

    def _needed_runs(self, outputs: Sequence[Cell], dynamic: set[int]) -> set[int]:
        needed: set[int] = set()
        stack = [
            id(run)
            for sheet, col, row in outputs
            for run in self.run_of.get((sheet, col), [])
            if run.first <= row <= run.last and id(run) in dynamic
        ]
        while stack:
            node = stack.pop()
            if node in needed:
                continue
            needed.add(node)
            stack.extend(dep for dep in self.plan.deps[node] if dep in dynamic and dep not in needed)
        return needed


def _settled(before: list[list[object]], after: list[list[object]], delta: float) -> bool:
    """Whether no value moved (by ``delta`` or more, for numbers, when delta > 0)."""
    for old, new in zip(before, after, strict=True):
        if old == new:
            continue
        for a, b in zip(old, new, strict=True):
            if a is b or xl.grid_equal(a, b):
                continue
            if delta > 0 and isinstance(a, float) and isinstance(b, float) and abs(a - b) < delta:
                continue
            return False
    return True


def plain(value: object) -> object:
    """A value as the runner and check see it: float, bool, str (text or an error's code), or None."""
    if isinstance(value, xl.XlError):
        return value.code
    return value


__all__ = ["CompiledEngine", "plain", "xl"]
