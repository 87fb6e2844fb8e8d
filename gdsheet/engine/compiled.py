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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from gdsheet.engine import xlvalues as xl
from gdsheet.engine.book import Book, Run
from gdsheet.engine.codegen import RUNTIME, Context, Slow, check_supported, exact_statement, fast_statement
from gdsheet.engine.plan import Plan, Unit, make_plan
from gdsheet.engine.shapes import Node, Unsupported

Cell = tuple[int, int, int]  # (sheet index, column, row)
_FAST_FAILURES = (Slow, ZeroDivisionError, OverflowError, ValueError, TypeError, FloatingPointError, IndexError)


class CompiledEngine:
    """One workbook compiled; ``evaluate`` recalculates everything with some cells overridden."""

    def __init__(self, book: Book) -> None:
        self.book = book
        if book.unsupported:
            raise Unsupported(book.unsupported[0])
        self.trees: dict[int, Node] = {}
        for run in book.runs():
            if run.shape not in self.trees:
                tree = book.shapes.tree(run.shape)
                check_supported(tree)
                self.trees[run.shape] = tree
        self.plan: Plan = make_plan(book, self.trees)
        self.run_of: dict[tuple[int, int], list[Run]] = {}
        for unit in self.plan.units:
            for run in unit.runs:
                self.run_of.setdefault((run.sheet, run.col), []).append(run)
        self.column_ids: dict[tuple[int, int], int] = {}
        self._fast_runs = self._decide_fast()
        self._whole_fast = self._compile(self.plan.units, fast=True)
        self._whole_exact: tuple[Callable[..., None], list[object]] | None = None
        self._base = self._constant_lists()
        self.values = self._evaluate_lists({})

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
                    for col in range(rect.col1, rect.col2 + 1):
                        key = (rect.sheet, col, rect.row1, rect.row2)
                        if key not in checked:
                            checked[key] = self._numeric(rect.sheet, col, rect.row1, rect.row2, fast | members)
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

    def _compile(
        self,
        units: Iterable[Unit],
        *,
        fast: bool,
        inputs: Sequence[Cell] = (),
        inline: Callable[[int, int, int], object] | None = None,
    ) -> tuple[Callable[..., None], list[object]]:
        ctx = Context(self.book, self.column_ids, inline=inline)
        body: list[str] = []
        for index, cell in enumerate(inputs):
            body.append(f"    {ctx.column(cell[0], cell[1])}[{cell[2]}] = P[{index}]")
        for unit in units:
            body.extend(self._unit_code(ctx, unit, fast))
        used = sorted(set(self.column_ids.values()))
        prologue = [f"    L{k} = V[{k}]" for k in used]
        source = "def _program(V, K, P):\n" + "\n".join(prologue + body + ["    return None"]) + "\n"
        namespace = dict(RUNTIME)
        exec(compile(source, f"<gdsheet {self.book.path.name}>", "exec"), namespace)  # our own generated code
        return namespace["_program"], ctx.constants  # type: ignore[return-value]

    def _unit_code(self, ctx: Context, unit: Unit, fast: bool) -> list[str]:
        def statement(run: Run, row_code: str) -> str:
            tree = self.trees[run.shape]
            if fast and id(run) in self._fast_runs:
                return fast_statement(ctx, run, tree, row_code)
            return exact_statement(ctx, run, tree, row_code)

        if unit.cells is not None:
            return [
                f"    {ctx.column(run.sheet, run.col)}[{row}] = {statement(run, str(row))}" for run, row in unit.cells
            ]
        if unit.first == unit.last:
            row = str(unit.first)
            return [f"    {ctx.column(run.sheet, run.col)}[{row}] = {statement(run, row)}" for run in unit.runs]
        rows = (
            f"range({unit.last}, {unit.first - 1}, -1)" if unit.descending else f"range({unit.first}, {unit.last + 1})"
        )
        lines = [f"    for r in {rows}:"]
        lines += [f"        {ctx.column(run.sheet, run.col)}[r] = {statement(run, 'r')}" for run in unit.runs]
        return lines

    def _constant_lists(self) -> list[list[object]]:
        """One list per column the programs touch, long enough for every row they read."""
        height: dict[int, int] = {}
        for sheet_index, sheet in enumerate(self.book.sheets):
            height[sheet_index] = sheet.max_row()
        for refs in self.plan.refs.values():
            for ref in refs:
                height[ref.rect.sheet] = max(height.get(ref.rect.sheet, 0), ref.rect.row2)
        lists: list[list[object]] = [[] for _ in range(len(self.column_ids))]
        for (sheet, col), k in self.column_ids.items():
            column = [None] * (height.get(sheet, 0) + 2)
            for row, value in self.book.sheets[sheet].constants.get(col, {}).items():
                column[row] = value
            lists[k] = column
        return lists

    def _ensure_columns(self, cells: Iterable[Cell]) -> None:
        grown = False
        for sheet, col, _ in cells:
            if (sheet, col) not in self.column_ids:
                self.column_ids[(sheet, col)] = len(self.column_ids)
                grown = True
        if grown:
            self._base = self._constant_lists()
            self.values = self._evaluate_lists({})

    # --- evaluation ----------------------------------------------------------------------

    def _evaluate_lists(self, inputs: Mapping[Cell, object]) -> list[list[object]]:
        lists = [column.copy() for column in self._base]
        for (sheet, col, row), value in inputs.items():
            lists[self.column_ids[(sheet, col)]][row] = value
        program, constants = self._whole_fast
        try:
            with np.errstate(all="raise", under="ignore"):
                program(lists, constants, ())
            if self._all_finite(lists):
                return lists
        except _FAST_FAILURES:
            pass
        if self._whole_exact is None:
            self._whole_exact = self._compile(self.plan.units, fast=False)
        lists = [column.copy() for column in self._base]
        for (sheet, col, row), value in inputs.items():
            lists[self.column_ids[(sheet, col)]][row] = value
        program, constants = self._whole_exact
        program(lists, constants, ())
        return lists

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
        """Every formula cell, by run."""
        for run in self._runs():
            for row in range(run.first, run.last + 1):
                yield run.sheet, run.col, row

    def stepper(self, inputs: Sequence[Cell], outputs: Sequence[Cell]) -> Callable[[Sequence[float]], list[object]]:
        """A program from the inputs' values to the outputs' values, computing only what it must."""
        self._check_inputs(inputs)
        self._ensure_columns(list(inputs) + list(outputs))
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

        fast = self._compile(units, fast=True, inputs=inputs, inline=inline)
        exact_program: list[tuple[Callable[..., None], list[object]]] = []
        self._ensure_columns(())
        touched = {self.column_ids[(run.sheet, run.col)] for unit in units for run in unit.runs}
        touched |= {self.column_ids[(cell[0], cell[1])] for cell in inputs}
        lists = [column.copy() if k in touched else column for k, column in enumerate(self.values)]
        if len(lists) < len(self.column_ids):  # columns first seen while compiling
            self._base = self._constant_lists()
            self.values = self._evaluate_lists({})
            lists = [column.copy() if k in touched else column for k, column in enumerate(self.values)]
        out_index = [(self.column_ids[(s, c)], r) for s, c, r in outputs]

        def step(values: Sequence[float]) -> list[object]:
            program, constants = fast
            try:
                with np.errstate(all="raise", under="ignore"):
                    program(lists, constants, values)
                result = [lists[k][row] for k, row in out_index]
                if all(isinstance(v, float) and math.isfinite(v) for v in result):
                    return result
            except _FAST_FAILURES:
                pass
            if not exact_program:
                exact_program.append(self._compile(units, fast=False, inputs=inputs, inline=inline))
            program, constants = exact_program[0]
            program(lists, constants, values)
            return [lists[k][row] for k, row in out_index]

        return step

    def _dynamic_runs(self, inputs: set[Cell]) -> set[int]:
        dynamic: set[int] = set()
        for unit in self.plan.units:
            hit = False
            for run in unit.runs:
                if self.plan.deps[id(run)] & dynamic:
                    hit = True
                    break
                for ref in self.plan.refs[id(run)]:
                    rect = ref.rect
                    if any(
                        s == rect.sheet and rect.col1 <= c <= rect.col2 and rect.row1 <= r <= rect.row2
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


def plain(value: object) -> object:
    """A value as the runner and check see it: float, bool, str (text or an error's code), or None."""
    if isinstance(value, xl.XlError):
        return value.code
    return value


__all__ = ["CompiledEngine", "plain", "xl"]
