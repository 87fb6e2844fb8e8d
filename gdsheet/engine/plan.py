"""Order a workbook's formula runs for evaluation: what depends on what, and in which loop.

Works on runs (a column's consecutive rows of one formula shape), not cells, so its cost does
not grow with the number of rows. Each run's references become edges to the runs they
touch. A strongly connected group of runs (the descent table: row k+1's m reads row k's new_m,
which reads row k's m) is evaluated in lock-step: one loop over the rows, each iteration
computing every run of the group at that row. A group that cannot be stepped that way falls
back to single cells in a topological order, found with an explicit stack; a true cycle is a
:class:`CircularReference`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from gdsheet.engine.book import Book, Run
from gdsheet.engine.shapes import Node, Unsupported, walk
from gdsheet.engine.xlvalues import ADDRESS_FUNCTIONS, DYNAMIC
from gdsheet.errors import WorkbookError
from gdsheet.limits import EXCEL_COLUMNS, EXCEL_ROWS
from gdsheet.xlsx.ranges import Range, RangeError, a1, split_range


class CircularReference(WorkbookError):
    """Formulas that depend on themselves: exit code 3, naming a cell of the cycle."""


def name_area(book: Book, name: str, sheet: int | None = None) -> Range:
    """The rectangle a defined name points at (one area, no formula), seen from ``sheet``: a
    sheet-scoped name of that sheet wins over the workbook's, as in Excel."""
    text = book.name_text(name, sheet)
    if text is None:
        raise Unsupported(f"unknown name {name!r}")
    try:
        sheet_name, area = split_range(text)
    except RangeError:
        sheet_name = None
    if sheet_name is None:
        raise Unsupported(f"name {name!r} is not one rectangle ({text[:60]!r})")
    sheet = book.sheet_index(sheet_name)
    if sheet is None:
        raise Unsupported(f"name {name!r} points at a missing sheet")
    return replace(area, sheet=sheet)


@dataclass
class Ref:
    """One reference of a run's shape, resolved: a single cell (relative or fixed) or a rectangle.

    For a relative single cell, ``row`` is an offset from the run's row, else the fixed row;
    ``rect`` is the union of everything the run's rows touch.
    """

    sheet: int
    col: int
    row: int
    row_relative: bool
    rect: Range
    is_range: bool


def dependency_nodes(tree: Node) -> list[Node]:
    """The reference nodes whose values ``tree`` reads: not the arguments ROW, COLUMN, ROWS and
    COLUMNS read for their address only, nor OFFSET's base (its cells are found while evaluating)."""
    skipped: set[int] = set()
    for node in walk(tree):
        if node[0] != "fn":
            continue
        if node[1] in ADDRESS_FUNCTIONS:
            skipped.update(id(arg) for arg in node[2] if arg[0] in ("ref", "rng", "name"))
        elif node[1] in DYNAMIC and node[2] and node[2][0][0] in ("ref", "rng", "name"):
            skipped.add(id(node[2][0]))
    return [node for node in walk(tree) if node[0] in ("ref", "rng", "name") and id(node) not in skipped]


def resolve_refs(book: Book, run: Run, tree: Node) -> list[Ref]:
    """Every reference ``tree`` reads as seen from ``run``; raises Unsupported for what cannot be."""
    return [resolve_ref(book, run, node) for node in dependency_nodes(tree)]


def _sheet_of(book: Book, run: Run, sheet: str | None) -> int:
    if sheet is None:
        return run.sheet
    index = book.sheet_index(sheet)
    if index is None:
        raise Unsupported(f"a reference to a missing sheet {sheet!r}")
    return index


def resolve_ref(book: Book, run: Run, node: Node) -> Ref:
    """One reference node as seen from ``run``."""
    if node[0] == "name":
        scope = run.sheet if len(node) == 2 else _sheet_of(book, run, node[2])
        rect = name_area(book, node[1], scope)
        single = rect.size == 1
        return Ref(rect.sheet, rect.min_col, rect.min_row, False, rect, not single)
    sheet = _sheet_of(book, run, node[1])
    if node[0] == "ref":
        (row_abs, row), (col_abs, col) = node[2], node[3]
        col = col if col_abs else run.col + col
        if row_abs:
            rows = (row, row)
        else:
            rows = (run.first + row, run.last + row)
        rect = Range(sheet, rows[0], col, rows[1], col)
        virtual = col_abs and col > EXCEL_COLUMNS and rect.min_row >= 1 and rect.max_row <= EXCEL_ROWS
        if not (rect.on_grid() or virtual):  # an array formula's whole result lies beyond the last column
            raise Unsupported("a reference off the sheet (#REF!)")
        return Ref(sheet, col, row, not row_abs, rect, False)
    corners = []
    for row_c, col_c in ((node[2], node[3]), (node[4], node[5])):
        (row_abs, row), (col_abs, col) = row_c, col_c
        col = col if col_abs else run.col + col
        low = row if row_abs else run.first + row
        high = row if row_abs else run.last + row
        corners.append((low, high, col))
    (lo1, hi1, c1), (lo2, hi2, c2) = corners
    rect = _clipped(book, Range(sheet, min(lo1, lo2), min(c1, c2), max(hi1, hi2), max(c1, c2)))
    if not rect.on_grid():
        raise Unsupported("a range off the sheet (#REF!)")
    return Ref(sheet, c1, 0, False, rect, True)


def _clipped(book: Book, rect: Range) -> Range:
    """A whole-column or whole-row range cut to the sheet's used cells (what lies beyond is empty,
    so no value changes, and a million-row column costs nothing)."""
    if rect.max_row < EXCEL_ROWS and rect.max_col < EXCEL_COLUMNS:
        return rect
    sheet = book.sheets[rect.sheet]
    max_row, max_col = rect.max_row, rect.max_col
    if max_row == EXCEL_ROWS:
        max_row = max(min(sheet.max_row(), EXCEL_ROWS), rect.min_row)
    if max_col == EXCEL_COLUMNS:
        used = [c for c in (*sheet.constants, *sheet.runs) if c <= EXCEL_COLUMNS]
        max_col = max(max(used, default=1), rect.min_col)
    return Range(rect.sheet, rect.min_row, rect.min_col, max_row, max_col)


@dataclass
class Unit:
    """One step of the program: runs evaluated together, row by row (``cells`` for a fallback)."""

    runs: list[Run]
    first: int = 0
    last: int = 0
    descending: bool = False
    cells: list[tuple[Run, int]] | None = None  # cell-by-cell order, when the runs cannot loop
    cyclic: bool = False  # a cycle left in, for iterative calculation


@dataclass
class Plan:
    """The whole workbook in evaluation order, with each run's resolved references."""

    units: list[Unit]
    refs: dict[int, list[Ref]]  # id(run) -> refs
    deps: dict[int, set[int]] = field(default_factory=dict)  # id(run) -> ids of runs it reads
    by_id: dict[int, Run] = field(default_factory=dict)

    @property
    def cyclic(self) -> bool:
        """Whether a cycle was kept for iterative calculation (the workbook enables it)."""
        return any(unit.cyclic for unit in self.units)


class _Columns:
    """Runs of each (sheet, column), sorted by first row, for overlap queries."""

    def __init__(self, runs: list[Run]) -> None:
        self.by_col: dict[tuple[int, int], list[Run]] = {}
        for run in runs:
            self.by_col.setdefault((run.sheet, run.col), []).append(run)
        self.firsts = {}
        for key, col_runs in self.by_col.items():
            col_runs.sort(key=lambda r: r.first)
            self.firsts[key] = [r.first for r in col_runs]
        self.cols_by_sheet: dict[int, list[int]] = {}
        for sheet, col in self.by_col:
            self.cols_by_sheet.setdefault(sheet, []).append(col)
        for cols in self.cols_by_sheet.values():
            cols.sort()

    def overlapping(self, rect: Range) -> Iterator[Run]:
        cols = self.cols_by_sheet.get(rect.sheet, [])
        start = bisect.bisect_left(cols, rect.min_col)
        for col in cols[start : bisect.bisect_right(cols, rect.max_col)]:
            runs, firsts = self.by_col[(rect.sheet, col)], self.firsts[(rect.sheet, col)]
            index = max(bisect.bisect_right(firsts, rect.min_row) - 1, 0)
            while index < len(runs) and runs[index].first <= rect.max_row:
                if runs[index].last >= rect.min_row:
                    yield runs[index]
                index += 1


def _split(run: Run, first: int, last: int) -> list[Run]:
    """``run`` cut so that rows first..last form one piece."""
    pieces = []
    if run.first < first:
        pieces.append(Run(run.sheet, run.col, run.first, first - 1, run.shape))
    pieces.append(Run(run.sheet, run.col, max(run.first, first), min(run.last, last), run.shape))
    if run.last > last:
        pieces.append(Run(run.sheet, run.col, last + 1, run.last, run.shape))
    return pieces


def _sccs(nodes: list[int], deps: dict[int, set[int]]) -> list[list[int]]:
    """Tarjan's strongly connected components, iterative; dependencies come first in the result."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    result: list[list[int]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(deps.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(deps.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
    return result


def make_plan(book: Book, trees: dict[int, Node]) -> Plan:
    """Order every formula run of ``book``; ``trees`` maps shape index -> parsed tree."""
    runs = list(book.runs())
    for _ in range(8):  # align the runs of loop groups; each pass only splits
        plan, changed = _plan_once(book, runs, trees)
        if not changed:
            return plan
        runs = [run for unit in plan.units for run in unit.runs]
    return _plan_once(book, runs, trees, final=True)[0]


def _plan_once(book: Book, runs: list[Run], trees: dict[int, Node], final: bool = False) -> tuple[Plan, bool]:
    columns = _Columns(runs)
    refs: dict[int, list[Ref]] = {}
    deps: dict[int, set[int]] = {}
    by_id = {id(run): run for run in runs}
    for run in runs:
        run_refs = resolve_refs(book, run, trees[run.shape])
        refs[id(run)] = run_refs
        deps[id(run)] = {id(other) for ref in run_refs for other in columns.overlapping(ref.rect)}
    order = sorted(by_id, key=lambda i: (by_id[i].sheet, by_id[i].first, by_id[i].col))
    units: list[Unit] = []
    changed = False
    for component in _sccs(order, deps):
        members = [by_id[i] for i in component]
        if len(members) == 1 and id(members[0]) not in deps[id(members[0])]:
            run = members[0]
            units.append(Unit([run], run.first, run.last))
            continue
        first = max(run.first for run in members)
        last = min(run.last for run in members)
        if not final and first <= last and any(run.first != first or run.last != last for run in members):
            pieces = [piece for run in members for piece in _split(run, first, last)]
            units.append(Unit(pieces))
            changed = True
            continue
        units.append(_loop_unit(members, refs, by_id, deps) or _cell_unit(book, members, refs))
    return Plan(units, refs, deps, by_id), changed


def _loop_unit(members: list[Run], refs: dict[int, list[Ref]], by_id: dict[int, Run],
               deps: dict[int, set[int]]) -> Unit | None:  # fmt: skip
    """The group as one loop over rows, if every edge inside it is a same-or-earlier row offset."""
    first, last = members[0].first, members[0].last
    if any(run.first != first or run.last != last for run in members):
        return None
    inside = {(run.sheet, run.col): run for run in members}
    same_row: dict[int, set[int]] = {id(run): set() for run in members}
    directions = set()
    for run in members:
        for ref in refs[id(run)]:
            target = inside.get((ref.sheet, ref.col)) if not ref.is_range else None
            touches = any(
                other.sheet == ref.rect.sheet
                and ref.rect.min_col <= other.col <= ref.rect.max_col
                and ref.rect.min_row <= other.last
                and other.first <= ref.rect.max_row
                for other in members
            )
            if not touches:
                continue
            if target is None or not ref.row_relative:
                return None
            if ref.row == 0:
                same_row[id(run)].add(id(target))
            else:
                directions.add(ref.row < 0)
    if len(directions) > 1:
        return None
    ordered = _topological(list(same_row), same_row)
    if ordered is None:
        return None
    descending = directions == {False}
    return Unit([by_id[i] for i in ordered], first, last, descending)


def _topological(nodes: list[int], deps: dict[int, set[int]]) -> list[int] | None:
    """Kahn's algorithm; None when there is a cycle."""
    remaining = {node: len(deps[node] & set(nodes)) for node in nodes}
    users: dict[int, list[int]] = {node: [] for node in nodes}
    for node in nodes:
        for dep in deps[node]:
            if dep in users:
                users[dep].append(node)
    ready = [node for node in nodes if remaining[node] == 0]
    ordered = []
    while ready:
        node = ready.pop(0)
        ordered.append(node)
        for user in users[node]:
            remaining[user] -= 1
            if remaining[user] == 0:
                ready.append(user)
    return ordered if len(ordered) == len(nodes) else None


def _cell_unit(book: Book, members: list[Run], refs: dict[int, list[Ref]]) -> Unit:
    """The group cell by cell, in dependency order found with an explicit stack."""
    cells = {(run.sheet, run.col, row): run for run in members for row in range(run.first, run.last + 1)}
    if len(cells) > 2_000_000:
        raise Unsupported("a group of more than 2,000,000 interdependent formula cells")
    deps: dict[tuple[int, int, int], list[tuple[int, int, int]]] = {}
    for (sheet, col, row), run in cells.items():
        wanted = []
        for ref in refs[id(run)]:
            if ref.is_range or not ref.row_relative:
                rect = ref.rect if ref.is_range else Range(ref.sheet, ref.row, ref.col, ref.row, ref.col)
                if rect.size > 100_000:
                    wanted.extend(c for c in cells if c[0] == rect.sheet and _inside(rect, c))
                else:
                    wanted.extend((rect.sheet, c, r) for r, c in rect.cells() if (rect.sheet, c, r) in cells)
            elif (ref.sheet, ref.col, row + ref.row) in cells:
                wanted.append((ref.sheet, ref.col, row + ref.row))
        deps[(sheet, col, row)] = wanted
    order: list[tuple[Run, int]] = []
    cyclic = False
    state: dict[tuple[int, int, int], int] = {}  # 1 visiting, 2 done
    for start in sorted(cells, key=lambda c: (c[0], c[2], c[1])):
        if state.get(start) == 2:
            continue
        stack = [(start, iter(deps[start]))]
        state[start] = 1
        while stack:
            cell, it = stack[-1]
            for dep in it:
                mark = state.get(dep)
                if mark == 1:
                    if book.iterate is not None:  # iterative calculation: the cycle is iterated
                        cyclic = True
                        continue
                    sheet = book.sheets[dep[0]].name
                    raise CircularReference(f"circular reference through {sheet}!{a1(dep[1], dep[2])}")
                if mark is None:
                    state[dep] = 1
                    stack.append((dep, iter(deps[dep])))
                    break
            else:
                stack.pop()
                state[cell] = 2
                order.append((cells[cell], cell[2]))
    return Unit(members, cells=order, cyclic=cyclic)


def _inside(rect: Range, cell: tuple[int, int, int]) -> bool:
    return rect.min_col <= cell[1] <= rect.max_col and rect.min_row <= cell[2] <= rect.max_row
