"""Turn a plan into Python source: one loop per unit of same-shape runs, two dialects.

- The *fast* dialect is plain float arithmetic (numpy for ranges), used for a unit only when
  everything it reads is provably a number. Whatever Excel would turn into an error value
  (division by zero, overflow, the square root of a negative...) raises instead, and the
  caller re-runs the same program in the exact dialect.
- The *exact* dialect calls :mod:`gdsheet.engine.xlvalues` for every operation, so text,
  empty cells, booleans and error values behave as in Excel.

Cell values live in one Python list per worksheet column, indexed by row; generated code
reads ``L<k>[row]`` and stores into it, so a loop's body is a handful of list operations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from gdsheet.engine import xlvalues as xl
from gdsheet.engine.book import Book, Run
from gdsheet.engine.plan import Plan, Unit, resolve_ref
from gdsheet.engine.shapes import Node, Unsupported, walk

Cell = tuple[int, int, int]  # (sheet index, column, row)
MAX_CODE_DEPTH = 40
"""Nesting of generated code beyond which a subexpression goes into a temporary (Python's parser
refuses about 200 nested parentheses)."""
ELEMENT_CELLS = 32
"""Arrays of at most this many cells are iterated in Python, larger ones computed by numpy: below
it numpy's cost per operation (about a microsecond) outweighs the arithmetic (about 30 ns a cell)."""
FAST_SCALAR_FUNCTIONS = {"SQRT": "_msqrt", "ABS": "abs", "EXP": "_mexp", "LN": "_mlog"}
AGGREGATES = ("SUM", "SUMSQ", "MIN", "MAX", "AVERAGE", "COUNT", "SUMPRODUCT")
_COMPARE = {"=": "==", "<>": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_EXACT_OPS = {"+": "_o_add", "-": "_o_sub", "*": "_o_mul", "/": "_o_div", "^": "_o_pow", "&": "_o_cat",
              "=": "_o_eq", "<>": "_o_ne", "<": "_o_lt", ">": "_o_gt", "<=": "_o_le", ">=": "_o_ge"}  # fmt: skip


class Slow(Exception):
    """The fast dialect met something only the exact dialect handles (a non-finite value)."""


class _TooDeep(Exception):
    """An element's expression nests too deep to stay inside its loop (see ``_Gen.fast_expr``)."""


def _fin(value: float) -> float:
    if value - value == 0.0:
        return value
    raise Slow


def _fpow(a: float, b: float) -> float:
    if a == 0.0 and b <= 0.0:
        raise Slow
    return math.pow(a, b)


def _as_float(x: object) -> float:
    return float(x.sum()) if isinstance(x, np.ndarray) else x  # type: ignore[union-attr]


def _fsum(*args: object) -> float:
    total = 0.0
    for arg in args:
        total += _as_float(arg)
    return total


def _fsumsq(*args: object) -> float:
    total = 0.0
    for arg in args:
        total += float((arg * arg).sum()) if isinstance(arg, np.ndarray) else arg * arg  # type: ignore[operator]
    return total


def _fextreme(pick: Callable[..., object]) -> Callable[..., float]:
    def function(*args: object) -> float:
        values = []
        for arg in args:
            if isinstance(arg, np.ndarray):
                if not np.isfinite(arg).all():
                    raise Slow
                values.append(float(pick(arg)))
            elif isinstance(arg, list):  # an array's elements (the element form)
                values.append(float(pick([_fin(value) for value in arg])))
            else:
                values.append(_fin(arg))  # type: ignore[arg-type]
        return float(pick(values))

    return function


def _garr(lists: tuple[list[object], ...], first: int, last: int) -> np.ndarray:
    return np.array([column[first : last + 1] for column in lists], dtype=float).T


def _grid(lists: tuple[list[object], ...], first: int, last: int) -> xl.Grid:
    return xl.Grid([[column[row] for column in lists] for row in range(first, last + 1)])


def _grid1(value: object) -> xl.Grid:
    return xl.Grid([[value]])


RUNTIME: dict[str, object] = {
    "_Slow": Slow,
    "_fin": _fin,
    "_fpow": _fpow,
    "_mpow": math.pow,
    "_msqrt": math.sqrt,
    "_mexp": math.exp,
    "_mlog": math.log,
    "_fsum": _fsum,
    "_fsumsq": _fsumsq,
    "_fmin": _fextreme(np.min),
    "_fmax": _fextreme(np.max),
    "_garr": _garr,
    "_grid": _grid,
    "_grid1": _grid1,
    "_aelem": xl.array_element,
    "_keep": xl.keep_array,
    "_rowsof": lambda first, last: xl.Grid([[float(r)] for r in range(first, last + 1)]),
    "_VALUE": xl.VALUE,
    "_np": np,
    "_cell": xl.cell_result,
    "_neg": xl.negate,
    "_pos": xl.plus,
    "_pct": xl.percent,
    "_EMPTY": xl.EMPTY_ARG,
    **{name: xl.OPERATORS[symbol] for symbol, name in _EXACT_OPS.items()},
    **{f"_F_{name.replace('.', '_')}": function for name, function in xl.FUNCTIONS.items()},
}


@dataclass
class Context:
    """What code generation needs to know about the workbook and this program."""

    book: Book
    column_ids: dict[tuple[int, int], int]
    constants: list[object] = field(default_factory=list)  # K[i]: literals that are not Python syntax
    inline: Callable[[int, int, int], object] | None = None  # fixed cell -> value to bake in, or None
    static_range: Callable[[int, int, int, int, int], np.ndarray | None] | None = None  # fixed range -> array
    registers: dict[tuple[int, int, int], str] = field(default_factory=dict)  # (sheet, col, row offset) -> local
    temporaries: int = 0
    static_column: Callable[[int, int, range], tuple[float, ...] | None] | None = None  # fixed numbers, by row
    loop_rows: range | None = None  # the rows of the loop being written, in its order
    loop_values: dict[tuple[int, int, int], str | None] = field(default_factory=dict)  # (sheet, col, offset) -> var
    loop_sources: list[str] = field(default_factory=list)  # what each loop variable c0, c1... iterates
    numpy: bool = False  # whether the code computes with numpy arrays (the caller then sets errstate)
    fixed: dict[tuple[str, int], str] | None = None  # (list, row) -> the local that holds it, in a stepper

    def column(self, sheet: int, col: int) -> str:
        key = (sheet, col)
        if key not in self.column_ids:
            self.column_ids[key] = len(self.column_ids)
        return f"L{self.column_ids[key]}"

    def constant(self, value: object) -> str:
        self.constants.append(value)
        return f"K[{len(self.constants) - 1}]"

    def hoist(self, prelude: list[str], code: str) -> str:
        """``code`` stored in a new temporary (a line of ``prelude``); returns the temporary."""
        self.temporaries += 1
        name = f"_t{self.temporaries}"
        prelude.append(f"{name} = {code}")
        return name


def _row(row_code: str, offset: int) -> str:
    if row_code.isdigit():
        return str(int(row_code) + offset)
    return row_code if offset == 0 else f"{row_code}{offset:+d}"


def _literal(value: object) -> str | None:
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


class _Gen:
    """Generates one expression for one run, in one dialect."""

    def __init__(self, ctx: Context, run: Run, row_code: str, fast: bool) -> None:
        self.ctx, self.run, self.row_code, self.fast = ctx, run, row_code, fast
        self.prelude: list[str] = []  # temporaries the expression reads, computed before it

    # --- shared --------------------------------------------------------------------------

    def _cell(self, sheet: int, col: int, row_expr: str, fixed_row: int | None) -> str:
        if (
            fixed_row is not None
            and self.ctx.fixed
            and (local := self.ctx.fixed.get((self.ctx.column(sheet, col), fixed_row)))
        ):
            return local  # computed earlier in this program: read from its local
        if fixed_row is not None and self.ctx.inline is not None:
            value = self.ctx.inline(sheet, col, fixed_row)
            if value is not None:
                literal = _literal(value) if self.fast else None
                return literal if literal is not None else self.ctx.constant(value)
        return f"{self.ctx.column(sheet, col)}[{row_expr}]"

    def _ref(self, node: Node) -> str:
        """Code of a single-cell reference: a loop's local, a baked-in constant or a list read."""
        ref = resolve_ref(self.ctx.book, self.run, node)
        if ref.row_relative:
            register = self.ctx.registers.get((ref.sheet, ref.col, ref.row))
            if register is not None and self.row_code == "r":
                return register
            if self.fast and self.row_code == "r" and (value := self._loop_value(ref.sheet, ref.col, ref.row)):
                return value
            row = _row(self.row_code, ref.row)
            return self._cell(ref.sheet, ref.col, row, int(row) if row.isdigit() else None)  # a cell's row: fixed
        return self._cell(ref.sheet, ref.col, str(ref.row), ref.row)

    def _loop_value(self, sheet: int, col: int, offset: int) -> str | None:
        """A loop variable for a relative cell whose rows hold numbers no input changes (the
        samples): the loop iterates them with its rows, which is cheaper than a list read each."""
        ctx = self.ctx
        key = (sheet, col, offset)
        if ctx.static_column is None or ctx.loop_rows is None:
            return None
        if key not in ctx.loop_values:
            rows = range(ctx.loop_rows.start + offset, ctx.loop_rows.stop + offset, ctx.loop_rows.step)
            values = ctx.static_column(sheet, col, rows)
            ctx.loop_values[key] = None if values is None else f"c{len(ctx.loop_sources)}"
            if values is not None:
                ctx.loop_sources.append(ctx.constant(values))
        return ctx.loop_values[key]

    def _range_rows(self, node: Node, clip: bool = True) -> tuple[str, str, int, int, int]:
        """(first-row code, last-row code, sheet, col1, col2) of a range at the current row; a
        whole column or row is clipped to the sheet's used cells unless ``clip`` is False."""
        ref = resolve_ref(self.ctx.book, self.run, node)
        rect = ref.rect
        if node[0] == "name":
            return str(rect.min_row), str(rect.max_row), rect.sheet, rect.min_col, rect.max_col
        first, last, sheet, col1, col2 = self._written_corners(node, ref.sheet)
        if clip and first.isdigit() and last.isdigit():
            first, last = str(rect.min_row), str(rect.max_row)
        if clip:
            col1, col2 = max(col1, rect.min_col), min(col2, rect.max_col)
        return first, last, sheet, col1, col2

    def _written_corners(self, node: Node, sheet: int) -> tuple[str, str, int, int, int]:
        rows, cols = [], []
        for row_c, col_c in ((node[2], node[3]), (node[4], node[5])):
            (row_abs, row), (col_abs, col) = row_c, col_c
            rows.append((row_abs, row))
            cols.append(col if col_abs else self.run.col + col)
        codes = [str(v) if absolute else _row(self.row_code, v) for absolute, v in rows]
        # a range written bottom-up: Excel normalises it; relative mixes are rare, keep text order
        if rows[0][0] == rows[1][0] and rows[0][1] > rows[1][1]:
            codes.reverse()
        return codes[0], codes[1], sheet, min(cols), max(cols)

    def _lists(self, sheet: int, col1: int, col2: int) -> str:
        names = [self.ctx.column(sheet, col) for col in range(col1, col2 + 1)]
        return "(" + ", ".join(names) + ",)"

    def is_range(self, node: Node) -> bool:
        if node[0] == "rng":
            return True
        if node[0] == "name":
            return resolve_ref(self.ctx.book, self.run, node).is_range
        return False

    # --- the walk: post-order with an explicit stack, deep subexpressions hoisted -------------

    def _fold(self, root: Node, flag: bool, children: Callable, combine: Callable) -> tuple:
        """``combine(node, flag, child results)`` bottom-up without recursion; a result whose
        code nests deeper than :data:`MAX_CODE_DEPTH` is stored in a temporary first, so the
        generated code stays within Python's parser limits however long the formula."""
        results: list[tuple] = []
        work: list[tuple[Node, bool, bool]] = [(root, flag, False)]
        while work:
            node, node_flag, expanded = work.pop()
            kids = children(node, node_flag)
            if not expanded:
                work.append((node, node_flag, True))
                work.extend((kid, kid_flag, False) for kid, kid_flag in reversed(kids))
                continue
            args = results[len(results) - len(kids) :] if kids else []
            if kids:
                del results[len(results) - len(kids) :]
            result = combine(node, node_flag, args)
            depth = 1 + max((arg[-1] for arg in args), default=0)
            if depth > MAX_CODE_DEPTH:
                if len(result) == 4 and result[2]:  # an element's expression exists only inside its loop
                    raise _TooDeep
                result = (self.ctx.hoist(self.prelude, result[0]), *result[1:-1], 0)
            else:
                result = (*result[:-1], depth)
            results.append(result)
        return results[0]

    # --- fast dialect --------------------------------------------------------------------
    #
    # An array is numpy's, or, when every range of the formula is small enough to iterate in
    # Python (ELEMENT_CELLS) and can be (one column, or numbers no input changes), a loop over
    # its elements: for twenty cells numpy's per-operation cost is several times the
    # arithmetic. In that *element* form an array's code is its element's expression, over
    # loop variables (``e3``) bound to what they iterate (``bindings``); an aggregate writes its
    # loop into the prelude and is a scalar temporary. Both forms compute the same values
    # (sums in order, as Excel adds), and raise where the other raises.

    def fast_expr(self, node: Node) -> tuple[str, tuple[int, int] | None]:
        """(code, array shape or None for a scalar); raises Unsupported when not fast-able."""
        self.sources: dict[int, tuple[str, tuple[int, int]] | None] = {}
        self.elements = self._element_form(node)
        try:
            code, shape, _, _ = self._fold(node, False, self._fast_children, self._fast_combine)
        except _TooDeep:  # numpy's arrays can be kept in temporaries
            self.elements, self.prelude = False, []
            code, shape, _, _ = self._fold(node, False, self._fast_children, self._fast_combine)
        return code, shape

    def _element_form(self, root: Node) -> bool:
        """Whether every range ``root`` reads can be iterated in Python (see above)."""
        for node in walk(root):
            if node[0] in ("ref", "name", "rng") and self.is_range(node):
                source = self._element_source(node)
                if source is None or source[1][0] * source[1][1] > ELEMENT_CELLS:
                    return False
        return True

    def _element_source(self, node: Node) -> tuple[str, tuple[int, int]] | None:
        """(what a loop over the range's elements iterates, row by row; its shape), or None."""
        if id(node) in self.sources:
            return self.sources[id(node)]
        first, last, sheet, col1, col2 = self._range_rows(node)
        shape = self._range_shape(node)
        source = None
        if first.isdigit() and last.isdigit() and self.ctx.static_range is not None:
            array = self.ctx.static_range(sheet, int(first), col1, int(last), col2)
            if array is not None:
                source = self.ctx.constant(tuple(array.ravel().tolist()))
        if source is None and col1 == col2:
            source = f"{self.ctx.column(sheet, col1)}[{first}:{_row(last, 1) if last.isdigit() else last + ' + 1'}]"
        self.sources[id(node)] = None if source is None else (source, shape)
        return self.sources[id(node)]

    def _fast_children(self, node: Node, flag: bool) -> list[tuple[Node, bool]]:
        kind = node[0]
        if kind == "op":
            if node[1] == "^" and node[3][0] == "num" and node[3][1] != 0:
                return [(node[2], False)]
            return [(node[2], False), (node[3], False)]
        if kind in ("neg", "pos", "pct"):
            return [(node[1], False)]
        if kind == "fn":
            name, args = node[1], node[2]
            if name == "IF" and len(args) == 3 and args[0][0] == "op" and args[0][1] in _COMPARE:
                return [(args[0][2], False), (args[0][3], False), (args[1], False), (args[2], False)]
            if (name in FAST_SCALAR_FUNCTIONS and len(args) == 1) or (name in AGGREGATES and args):
                return [(arg, False) for arg in args]
            raise Unsupported(f"{name} in the fast dialect")
        return []

    def _fast_combine(self, node: Node, flag: bool, args: list[tuple]) -> tuple:
        """(code, shape, element bindings, depth placeholder) of ``node`` from its children's."""
        kind = node[0]
        if kind == "num":
            return repr(node[1]), None, (), 0
        if kind in ("ref", "name") and not self.is_range(node):
            return self._ref(node), None, (), 0
        if kind in ("ref", "name", "rng"):
            return (*self._fast_range(node), 0)
        bindings = tuple(binding for arg in args for binding in arg[2])
        if kind == "op":
            symbol = node[1]
            if symbol not in ("+", "-", "*", "/", "^"):
                raise Unsupported(f"operator {symbol} in the fast dialect")
            left, lshape = args[0][0], args[0][1]
            if symbol == "^":
                if len(args) == 1:
                    power = node[3][1]
                    if self.elements and lshape is not None and power == 2:  # numpy squares: x * x
                        self.ctx.temporaries += 1
                        square = f"_w{self.ctx.temporaries}"
                        return f"(({square} := {left}) * {square})", lshape, bindings, 0
                    if float(power).is_integer():
                        return f"({left} ** {power!r})", lshape, bindings, 0
                    if lshape is None:
                        return f"_mpow({left}, {power!r})", None, bindings, 0
                    raise Unsupported("a fractional power of an array")
                if lshape is not None or args[1][1] is not None:
                    raise Unsupported("a computed power of an array")
                return f"_fpow({left}, {args[1][0]})", None, bindings, 0
            right, rshape = args[1][0], args[1][1]
            shape = _merge(lshape, rshape)
            if symbol == "/" and (rshape is None or self.elements) and not _is_number(right):
                right = f"_fin({right})"  # x / inf is 0: the inf must not vanish
            if self.elements and shape is not None:  # a scalar is computed once, not per element
                left, right = (self._once(code) if s is None else code for code, s in ((left, lshape), (right, rshape)))
            return f"({left} {symbol} {right})", shape, bindings, 0
        if kind == "neg":
            return f"(-{args[0][0]})", args[0][1], bindings, 0
        if kind == "pos":
            return args[0][0], args[0][1], bindings, 0
        if kind == "pct":
            return f"({args[0][0]} / 100.0)", args[0][1], bindings, 0
        if kind == "fn":
            return self._fast_function(node[1], node[2], args), None, (), 0
        raise Unsupported(f"{kind} in the fast dialect")

    def _once(self, code: str) -> str:
        """A scalar inside an element loop, in a temporary unless it is a literal or a local."""
        return code if _is_number(code) or code.isidentifier() else self.ctx.hoist(self.prelude, code)

    def _range_shape(self, node: Node) -> tuple[int, int]:
        first, _, _, col1, col2 = self._range_rows(node)
        rect = resolve_ref(self.ctx.book, self.run, node).rect
        height = rect.max_row - rect.min_row + 1 if node[0] == "name" or first.isdigit() else None
        if height is None:
            rows = (node[2], node[4])
            height = abs(rows[1][1] - rows[0][1]) + 1 if rows[0][0] == rows[1][0] else None
        if height is None:
            raise Unsupported("a range with one fixed and one relative row")
        return height, col2 - col1 + 1

    def _fast_range(self, node: Node) -> tuple[str, tuple[int, int], tuple[tuple[str, str], ...]]:
        """(code, shape, bindings) of a range: an element variable, or a numpy array."""
        if self.elements:
            source, shape = self._element_source(node)  # type: ignore[misc]
            self.ctx.temporaries += 1
            element = f"e{self.ctx.temporaries}"
            return element, shape, ((element, source),)
        first, last, sheet, col1, col2 = self._range_rows(node)
        shape = self._range_shape(node)
        self.ctx.numpy = True
        if first.isdigit() and last.isdigit() and self.ctx.static_range is not None:
            array = self.ctx.static_range(sheet, int(first), col1, int(last), col2)
            if array is not None:
                return self.ctx.constant(array), shape, ()
        return f"_garr({self._lists(sheet, col1, col2)}, {first}, {last})", shape, ()

    def _element_loop(self, code: str, bindings: tuple[tuple[str, str], ...], kind: str) -> str:
        """A loop over the elements, in the prelude: their ``sum``, the sum of their squares
        (``sumsq``) or their ``list``; returns the temporary that holds it."""
        total = self.ctx.hoist(self.prelude, "[]" if kind == "list" else "0.0")
        names = ", ".join(name for name, _ in bindings)
        sources = bindings[0][1] if len(bindings) == 1 else f"zip({', '.join(source for _, source in bindings)})"
        self.prelude.append(f"for {names} in {sources}:")
        if kind == "sumsq":
            self.prelude += [f"    {total}_q = {code}", f"    {total} += {total}_q * {total}_q"]
        else:
            self.prelude.append(f"    {total}.append({code})" if kind == "list" else f"    {total} += {code}")
        return total

    def _fast_function(self, name: str, nodes: tuple[Node, ...], args: list[tuple]) -> str:
        if name in FAST_SCALAR_FUNCTIONS:
            code, shape = args[0][0], args[0][1]
            if shape is not None:
                raise Unsupported(f"{name} of an array")
            if name == "EXP" and not _is_number(code):
                code = f"_fin({code})"
            return f"{FAST_SCALAR_FUNCTIONS[name]}({code})"
        if name == "IF":
            (left, ls, _, _), (right, rs, _, _), (yes, ys, _, _), (no, ns, _, _) = args
            if any(s is not None for s in (ls, rs, ys, ns)):
                raise Unsupported("IF over arrays")
            return f"({yes} if _fin({left}) {_COMPARE[nodes[0][1]]} _fin({right}) else {no})"
        codes = [arg[0] for arg in args]
        sizes = [1 if arg[1] is None else arg[1][0] * arg[1][1] for arg in args]
        if name == "COUNT":
            return repr(float(sum(sizes)))
        if name == "SUMPRODUCT":
            shapes = {arg[1] for arg in args}
            if len(shapes) != 1 or None in shapes:
                raise Unsupported("SUMPRODUCT of arrays of different sizes")
            if self.elements:
                bindings = tuple(binding for arg in args for binding in arg[2])
                return self._element_loop(" * ".join(codes), bindings, "sum")
            return f"float(({' * '.join(codes)}).sum())"
        if self.elements:
            kind = {"SUMSQ": "sumsq", "MIN": "list", "MAX": "list"}.get(name, "sum")
            codes = [
                code if arg[1] is None else self._element_loop(code, arg[2], kind)
                for code, arg in zip(codes, args, strict=True)
            ]
            if kind == "sumsq":  # each array is its sum of squares already; the scalars square
                squares = [code if arg[1] is not None else f"{(once := self._once(code))} * {once}"
                           for code, arg in zip(codes, args, strict=True)]  # fmt: skip
                return f"_fsum({', '.join(squares)})"
        if name == "AVERAGE":
            return f"(_fsum({', '.join(codes)}) / {float(sum(sizes))!r})"
        helper = {"SUM": "_fsum", "SUMSQ": "_fsumsq", "MIN": "_fmin", "MAX": "_fmax"}[name]
        return f"{helper}({', '.join(codes)})"

    # --- exact dialect -------------------------------------------------------------------

    def exact_expr(self, node: Node, as_reference: bool = False) -> str:
        return self._fold(node, as_reference, self._exact_children, self._exact_combine)[0]

    def _exact_children(self, node: Node, flag: bool) -> list[tuple[Node, bool]]:
        kind = node[0]
        if kind == "op":
            return [(node[2], False), (node[3], False)]
        if kind in ("neg", "pos", "pct"):
            return [(node[1], False)]
        if kind == "arrayformula":
            return [(node[1], True)]
        if kind == "fn":
            name, args = node[1], node[2]
            if name in xl.ADDRESS_FUNCTIONS and all(_is_reference(arg) for arg in args):
                return []
            if name == "OFFSET" and args and _is_reference(args[0]):
                return [(arg, False) for arg in args[1:]]
            by_reference = name in xl.BY_REFERENCE
            return [(arg, by_reference) for arg in args]
        return []

    def _exact_combine(self, node: Node, as_reference: bool, args: list[tuple]) -> tuple:
        kind = node[0]
        if kind in ("num", "str", "bool"):
            return repr(node[1]), 0
        if kind == "err":
            return self.ctx.constant(xl.XlError(node[1])), 0
        if kind == "array":
            return self.ctx.constant(xl.Grid(node[1])), 0
        if kind == "empty":
            return "_EMPTY", 0
        if kind == "aelem":
            (_, master), i0, j0 = node[1], node[2], node[3]
            code = self._ref(master)
            return f"_aelem({code}, {_row(self.row_code, -i0)}, {self.run.col - j0})", 0
        if kind == "arrayformula":
            return args[0][0], 0
        if kind in ("ref", "name", "rng"):
            if self.is_range(node):
                first, last, sheet, col1, col2 = self._range_rows(node)
                return f"_grid({self._lists(sheet, col1, col2)}, {first}, {last})", 0
            code = self._ref(node)
            return (f"_grid1({code})" if as_reference else code), 0
        codes = [arg[0] for arg in args]
        if kind == "op":
            return f"{_EXACT_OPS[node[1]]}({codes[0]}, {codes[1]})", 0
        if kind in ("neg", "pos", "pct"):
            return f"_{kind}({codes[0]})", 0
        if kind == "fn":
            return self._exact_function(node[1], node[2], codes), 0
        raise Unsupported(f"{kind}")

    def _exact_function(self, name: str, nodes: tuple[Node, ...], codes: list[str]) -> str:
        if name in xl.ADDRESS_FUNCTIONS and all(_is_reference(arg) for arg in nodes):
            return self._address_function(name, nodes)
        if name == "OFFSET" and nodes and _is_reference(nodes[0]):
            first, last, sheet, col1, col2 = self._corners(nodes[0])
            rest = ", ".join("None" if code == "_EMPTY" else code for code in codes)
            return f"_offset(V, {sheet}, {first}, {col1}, {last}, {col2}, {rest})"
        if name == "RAND" and not codes:
            return "_rand()"
        if name == "RANDBETWEEN" and len(codes) == 2:
            return f"_randbetween({codes[0]}, {codes[1]})"
        if name not in xl.FUNCTIONS:  # a function no engine knows (others were sent to `formulas`)
            return self.ctx.constant(xl.NAME)
        if name != "IF":
            codes = ["None" if code == "_EMPTY" else code for code in codes]
        return f"_F_{_identifier(name)}({', '.join(codes)})"

    def _corners(self, node: Node, clip: bool = True) -> tuple[str, str, int, int, int]:
        """(first-row code, last-row code, sheet, col1, col2) of any reference node."""
        if self.is_range(node):
            return self._range_rows(node, clip)
        ref = resolve_ref(self.ctx.book, self.run, node)
        row = _row(self.row_code, ref.row) if ref.row_relative else str(ref.row)
        return row, row, ref.sheet, ref.col, ref.col

    def _address_function(self, name: str, nodes: tuple[Node, ...]) -> str:
        """ROW, COLUMN, ROWS, COLUMNS of a reference: its address, never its values."""
        if not nodes:
            return {"ROW": f"float({self.row_code})", "COLUMN": f"{float(self.run.col)!r}"}.get(name, "_VALUE")
        first, last, _, col1, col2 = self._corners(nodes[0], clip=False)
        if name == "ROW":
            return f"float({first})" if first == last else f"_rowsof({first}, {last})"
        if name == "COLUMN":
            return (
                repr(float(col1))
                if col1 == col2
                else self.ctx.constant(xl.Grid([[float(c) for c in range(col1, col2 + 1)]]))
            )
        if name == "COLUMNS":
            return repr(float(col2 - col1 + 1))
        return f"float(({last}) - ({first}) + 1)"


def _is_reference(node: Node) -> bool:
    return node[0] in ("ref", "rng", "name")


def _identifier(name: str) -> str:
    """A function's name as a Python identifier (STDEV.P -> STDEV_P)."""
    return name.replace(".", "_")


def _merge(a: tuple[int, int] | None, b: tuple[int, int] | None) -> tuple[int, int] | None:
    if a is None:
        return b
    if b is None or a == b:
        return a
    raise Unsupported("arithmetic on arrays of different sizes")


def _is_number(code: str) -> bool:
    try:
        float(code)
    except ValueError:
        return False
    return True


Statement = tuple[list[str], str]
"""Lines to run first (temporaries of a deep formula), then the value's expression."""


def fast_statement(ctx: Context, run: Run, tree: Node, row_code: str) -> Statement:
    """A run's cell in the fast dialect (raises Unsupported if it cannot be)."""
    gen = _Gen(ctx, run, row_code, fast=True)
    code, shape = gen.fast_expr(tree)
    if shape is not None:
        raise Unsupported("a formula whose result is an array")
    return gen.prelude, code


def exact_statement(ctx: Context, run: Run, tree: Node, row_code: str) -> Statement:
    """A run's cell in the exact dialect (a multi-cell array formula keeps its whole array)."""
    gen = _Gen(ctx, run, row_code, fast=False)
    code = gen.exact_expr(tree)
    wrapper = "_keep" if tree[0] == "arrayformula" else "_cell" if tree[0] != "aelem" else ""
    return gen.prelude, f"{wrapper}({code})"


def foreign_statement(ctx: Context, run: Run, inputs: list[Node], function: object, row_code: str) -> Statement:
    """A cell whose formula `formulas` evaluates: its inputs' values, exact."""
    gen = _Gen(ctx, run, row_code, fast=False)
    args = ", ".join(gen.exact_expr(node) for node in inputs)
    return gen.prelude, f"_cell({ctx.constant(function)}({args}))"


NATIVE_SPECIALS = frozenset(("RAND", "RANDBETWEEN", "OFFSET", "ROW", "COLUMN"))
"""Functions compiled as special code (the generator's own, not in xlvalues.FUNCTIONS)."""


def check_supported(tree: Node) -> None:
    """Raise Unsupported for a function the engine does not evaluate itself."""
    for node in walk(tree):
        if node[0] == "fn" and node[1] not in xl.FUNCTIONS and node[1] not in NATIVE_SPECIALS:
            raise Unsupported(f"the function {node[1]}")


@dataclass(frozen=True)
class Program:
    """A compiled program: ``run(V, K, P)`` computes into the column lists ``V`` with the
    constants ``K`` and the inputs' values ``P``, and returns the outputs' values (None for a
    program without outputs). A fast program with outputs raises :class:`Slow` unless every
    output is a finite number; ``numpy`` says whether it computes with numpy's arrays (whose
    overflow raises only under ``np.errstate``)."""

    run: Callable[..., list[object] | None]
    constants: list[object]
    numpy: bool
    source: str


class ProgramWriter:
    """Writes and compiles the programs of one compiled workbook: the whole workbook's, and a
    stepper's (only some units, inputs set first, outputs returned)."""

    def __init__(self, book: Book, plan: Plan, trees: dict[int, Node], foreign: dict[int, object],
                 fast_runs: set[int], column_ids: dict[tuple[int, int], int]) -> None:  # fmt: skip
        self.book, self.plan, self.trees, self.foreign = book, plan, trees, foreign
        self.fast_runs, self.column_ids = fast_runs, column_ids

    def program(
        self,
        units: Iterable[Unit],
        runtime: Mapping[str, object],
        *,
        fast: bool,
        inputs: Sequence[Cell] = (),
        outputs: Sequence[Cell] = (),
        inline: Callable[[int, int, int], object] | None = None,
        static_range: Callable[[int, int, int, int, int], np.ndarray | None] | None = None,
        static_column: Callable[[int, int, range], tuple[float, ...] | None] | None = None,
        stores: dict[int, str] | None = None,
        carry: Sequence[int] | None = None,
        width: int = 0,
    ) -> Program:
        """The program of ``units`` in one dialect; ``runtime``: the engine's own functions
        (``_rand``, ``_randbetween``, ``_offset``). ``inline``, ``static_range`` and
        ``static_column`` give the values no input changes, baked into the code; ``stores``
        says which runs' values must reach their lists (see :meth:`store_policy`).

        ``carry`` (a fast stepper's): the program plays epochs, ``run(V, K, P, N, A)``: up to
        ``N`` of them, each feeding output ``carry[i]`` into input i of the next, appending each
        epoch's first ``width`` outputs to the array ``A``, and stopping at the first epoch whose
        outputs are not all finite floats or that raises one of ``runtime["_fails"]``; it returns
        (epochs finished, the inputs of the last one, the inputs of the next)."""
        ctx = Context(self.book, self.column_ids, inline=inline, static_range=static_range,
                      static_column=static_column)  # fmt: skip
        body: list[str] = []
        if stores is not None:
            ctx.fixed = {}
        for index, cell in enumerate(inputs):
            body += _fixed_store(ctx, ctx.column(cell[0], cell[1]), cell[2], f"P[{index}]", f"x{index}")
        for unit in units:
            body.extend(self._unit_code(ctx, unit, fast, stores))
        if carry is None:
            body += _returns(ctx, outputs, fast)
        else:
            body = _epoch_loop(body + _returns(ctx, outputs, fast)[: len(outputs)], len(outputs), carry, width)
        named = {int(k) for line in body for k in _COLUMN.findall(line)}  # a text constant may look like one
        used = sorted(named & set(self.column_ids.values()))  # the lists this program reads
        prologue = [f"    L{k} = V[{k}]" for k in used]
        signature = "V, K, P" if carry is None else "V, K, P, N, A"
        source = f"def _program({signature}):\n" + "\n".join(prologue + body) + "\n"
        namespace = dict(RUNTIME, **runtime)
        exec(compile(source, f"<gdsheet {self.book.path.name}>", "exec"), namespace)  # our own generated code
        return Program(namespace["_program"], ctx.constants, ctx.numpy, source)  # type: ignore[arg-type]

    def _statement(self, ctx: Context, run: Run, row_code: str, fast: bool) -> Statement:
        tree = self.trees[run.shape]
        if run.shape in self.foreign:
            foreign = self.foreign[run.shape]
            return foreign_statement(ctx, run, foreign.inputs, foreign, row_code)  # type: ignore[attr-defined]
        if fast and id(run) in self.fast_runs:
            return fast_statement(ctx, run, tree, row_code)
        return exact_statement(ctx, run, tree, row_code)

    def _assign(self, ctx: Context, indent: str, target: str, run: Run, row_code: str, fast: bool) -> list[str]:
        prelude, code = self._statement(ctx, run, row_code, fast)
        return [indent + line for line in prelude] + [f"{indent}{target} = {code}"]

    def _unit_code(self, ctx: Context, unit: Unit, fast: bool, stores: dict[int, str] | None) -> list[str]:
        """One unit's statements. ``stores`` says which runs' values must reach their lists
        ("all" rows, or the "last" row only, for a stepper); None stores everything."""
        if unit.cells is not None or unit.first == unit.last:
            lines = []
            for run, row in unit.cells if unit.cells is not None else [(run, unit.first) for run in unit.runs]:
                prelude, code = self._statement(ctx, run, str(row), fast)
                lines += [f"    {line}" for line in prelude]
                lines += _fixed_store(
                    ctx, ctx.column(run.sheet, run.col), row, code, f"f{ctx.column(run.sheet, run.col)[1:]}_{row}"
                )
            return lines
        step = 1 if unit.descending else -1  # the row offset that reads the previous iteration
        carried = self._carried(unit, step)
        names = {id(run): ctx.column(run.sheet, run.col) for run in unit.runs}
        before = unit.last + 1 if unit.descending else unit.first - 1
        lines = [f"    p{names[i][1:]} = {names[i]}[{before}]" for i in carried]
        rows = range(unit.last, unit.first - 1, -1) if unit.descending else range(unit.first, unit.last + 1)
        ctx.registers = {(run.sheet, run.col, 0): f"v{names[id(run)][1:]}" for run in unit.runs}
        ctx.registers |= {
            (run.sheet, run.col, step): f"p{names[id(run)][1:]}" for run in unit.runs if id(run) in carried
        }
        ctx.loop_rows, ctx.loop_values, ctx.loop_sources = rows, {}, []
        statements = []
        for run in unit.runs:
            policy = "all" if stores is None or unit.descending else stores.get(id(run))
            prelude, code = self._statement(ctx, run, "r", fast)
            statements.append(_LoopStatement(names[id(run)], f"v{names[id(run)][1:]}", prelude, code, policy,
                                             f"p{names[id(run)][1:]}" if id(run) in carried else None))  # fmt: skip
        loop, after = _loop_body(statements, unit.last)
        if ctx.fixed is not None:  # after the loop, its last row's values are still in their locals
            ctx.fixed |= {(st.column, unit.last): st.code if st.alias else st.local for st in statements
                          if st.policy == "last" and len(ctx.fixed) < MAX_FIXED_LOCALS}  # fmt: skip
        header = f"range({rows.start}, {rows.stop}{', -1' if unit.descending else ''})"
        if ctx.loop_sources:  # the rows' fixed numbers, iterated with them
            variables = ", ".join(f"c{k}" for k in range(len(ctx.loop_sources)))
            lines.append(f"    for r, {variables} in zip({header}, {', '.join(ctx.loop_sources)}):")
        else:
            lines.append(f"    for r in {header}:")
        ctx.registers, ctx.loop_rows, ctx.loop_values, ctx.loop_sources = {}, None, {}, []
        return lines + loop + after

    def _carried(self, unit: Unit, step: int) -> list[int]:
        """Runs of a loop that a member reads one iteration back (kept in locals)."""
        members = {(run.sheet, run.col): id(run) for run in unit.runs}
        carried = []
        for run in unit.runs:
            for ref in self.plan.refs[id(run)]:
                target = members.get((ref.sheet, ref.col))
                if target is not None and not ref.is_range and ref.row_relative and ref.row == step:
                    carried.append(target)
        return sorted(set(carried))

    def store_policy(self, units: list[Unit], outputs: Sequence[Cell],
                     run_of: Mapping[tuple[int, int], list[Run]]) -> dict[int, str]:  # fmt: skip
        """For a stepper: which runs must store every row, and which only their last row."""
        policy: dict[int, str] = {}

        def need(run_id: int, what: str) -> None:
            if policy.get(run_id) != "all":
                policy[run_id] = what

        unit_of = {id(run): index for index, unit in enumerate(units) for run in unit.runs}
        for index, unit in enumerate(units):
            for reader in unit.runs:
                for ref in self.plan.refs[id(reader)]:
                    for target_id in self.plan.deps[id(reader)]:
                        target = self.plan.by_id.get(target_id)
                        if target is None or target_id not in unit_of:
                            continue
                        rect = ref.rect
                        if not (target.sheet == rect.sheet and rect.min_col <= target.col <= rect.max_col):
                            continue
                        if not (rect.min_row <= target.last and target.first <= rect.max_row):
                            continue
                        same_loop = unit_of[target_id] == index and unit.cells is None and unit.first != unit.last
                        if same_loop and not ref.is_range and ref.row_relative and ref.row in (0, 1, -1):
                            continue  # read from a local
                        fixed = not ref.is_range and not ref.row_relative
                        need(target_id, "last" if fixed and ref.row == target.last else "all")
        for sheet, col, row in outputs:
            for run in run_of.get((sheet, col), []):
                if run.first <= row <= run.last:
                    need(id(run), "last" if row == run.last else "all")
        return policy


@dataclass
class _LoopStatement:
    """One run's statement in a loop over rows: its list, its local, the code, its store policy
    and, for a run the next row reads, the local that carries it there."""

    column: str
    local: str
    prelude: list[str]
    code: str
    policy: str | None
    carry: str | None
    alias: bool = False


_LOCAL = re.compile(r"\b[vp][0-9]+\b")
_COLUMN = re.compile(r"\bL([0-9]+)\b")


def _loop_body(statements: list[_LoopStatement], last: int) -> tuple[list[str], list[str]]:
    """The loop's body, and the stores after it, with the copies between locals left out:

    - a run that only copies another local (``=K80``: this row's m is the last row's new m) is
      no statement: its readers read that local;
    - a carried run whose previous row no later statement reads is computed straight into the
      local that carries it, so no ``p = v`` ends the row.

    The names are the generator's own (``v3``, ``p8``), renamed as whole words."""
    renames: dict[str, str] = {}

    def rename(st: _LoopStatement) -> None:
        def one(text: str) -> str:
            return _LOCAL.sub(lambda m: renames.get(m.group(0), m.group(0)), text)

        st.prelude, st.code = [one(line) for line in st.prelude], one(st.code)

    for st in statements:
        rename(st)
        if not st.prelude and _LOCAL.fullmatch(st.code) and st.carry is None and st.policy != "last":
            st.alias, renames[st.local] = True, st.code
    for i, st in enumerate(statements):
        if st.carry is None or st.alias:
            continue
        later = [text for other in statements[i + 1 :] for text in (*other.prelude, other.code)]
        if not any(re.search(rf"\b{st.carry}\b", text) for text in later):
            renames = {st.local: st.carry}
            for other in statements[i + 1 :]:
                rename(other)
            st.local, st.carry = st.carry, None
    loop, after = [], []
    for st in statements:
        value = st.code if st.alias else st.local
        if not st.alias:
            loop += [f"        {line}" for line in st.prelude] + [f"        {st.local} = {st.code}"]
        if st.policy == "all":
            loop.append(f"        {st.column}[r] = {value}")
        elif st.policy == "last":
            after.append(f"    {st.column}[{last}] = {value}")
    loop += [f"        {st.carry} = {st.local}" for st in statements if st.carry is not None]
    return loop, after


MAX_FIXED_LOCALS = 256
"""A stepper keeps at most this many single cells in locals (the rest are read from their lists)."""


def _fixed_store(ctx: Context, column: str, row: int, code: str, local: str) -> list[str]:
    """``column[row] = code``; in a stepper through a local that later reads of the cell use."""
    if ctx.fixed is None or len(ctx.fixed) >= MAX_FIXED_LOCALS:
        return [f"    {column}[{row}] = {code}"]
    ctx.fixed[(column, row)] = local
    return [f"    {local} = {code}", f"    {column}[{row}] = {local}"]


def _epoch_loop(body: list[str], outputs: int, carry: Sequence[int], width: int) -> list[str]:
    """A fast stepper's ``body`` (its outputs computed into ``o0``…) played as epochs (see
    :meth:`ProgramWriter.program`'s ``carry``). Every statement sits one line to a line, so the
    body moves into the loop by its indent. An epoch that fails is not counted: its inputs are
    returned as the next, and the caller plays it the slow way (the exact program)."""
    floats = " and ".join(f"type(o{i}) is float" for i in range(outputs))
    finite = " + ".join(f"(o{i} - o{i})" for i in range(outputs))
    record = "".join(f"o{i}, " for i in range(width))
    following = "".join(f"o{i}, " for i in carry)
    return [
        "    _extend = A.extend", "    _e = 0", "    Q = P", "    try:", "        while _e < N:",
        *(f"        {line}" for line in body),
        f"            if {floats} and {finite} == 0.0:",
        f"                _extend(({record}))",
        "                Q = P",
        f"                P = ({following})",
        "                _e += 1",
        "            else:",
        "                break",
        "    except _fails:",
        "        pass",
        "    return _e, Q, P",
    ]  # fmt: skip


def _returns(ctx: Context, outputs: Sequence[Cell], fast: bool) -> list[str]:
    """The program's last lines: the outputs' values; a fast program checks that each is a
    finite number (``x - x`` is 0.0 only then; text raises TypeError), else raises Slow."""
    if not outputs:
        return ["    return None"]
    fixed = ctx.fixed or {}
    lines = [f"    o{i} = {fixed.get((name := ctx.column(sheet, col), row), f'{name}[{row}]')}"
             for i, (sheet, col, row) in enumerate(outputs)]  # fmt: skip
    values = ", ".join(f"o{i}" for i in range(len(outputs)))
    if not fast:
        return [*lines, f"    return [{values}]"]
    finite = " + ".join(f"(o{i} - o{i})" for i in range(len(outputs)))
    return [*lines, f"    if {finite} == 0.0:", f"        return [{values}]", "    raise _Slow"]
