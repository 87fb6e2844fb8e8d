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
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gdsheet.engine import xlvalues as xl
from gdsheet.engine.book import Book, Run
from gdsheet.engine.plan import resolve_ref
from gdsheet.engine.shapes import Node, Unsupported, walk

FAST_SCALAR_FUNCTIONS = {"SQRT": "_msqrt", "ABS": "abs", "EXP": "_mexp", "LN": "_mlog"}
AGGREGATES = ("SUM", "SUMSQ", "MIN", "MAX", "AVERAGE", "COUNT", "SUMPRODUCT")
_COMPARE = {"=": "==", "<>": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_EXACT_OPS = {"+": "_o_add", "-": "_o_sub", "*": "_o_mul", "/": "_o_div", "^": "_o_pow", "&": "_o_cat",
              "=": "_o_eq", "<>": "_o_ne", "<": "_o_lt", ">": "_o_gt", "<=": "_o_le", ">=": "_o_ge"}  # fmt: skip


class Slow(Exception):
    """The fast dialect met something only the exact dialect handles (a non-finite value)."""


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
    "_np": np,
    "_cell": xl.cell_result,
    "_neg": xl.negate,
    "_pos": xl.plus,
    "_pct": xl.percent,
    "_EMPTY": xl.EMPTY_ARG,
    **{name: xl.OPERATORS[symbol] for symbol, name in _EXACT_OPS.items()},
    **{f"_F_{name}": function for name, function in xl.FUNCTIONS.items()},
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

    def column(self, sheet: int, col: int) -> str:
        key = (sheet, col)
        if key not in self.column_ids:
            self.column_ids[key] = len(self.column_ids)
        return f"L{self.column_ids[key]}"

    def constant(self, value: object) -> str:
        self.constants.append(value)
        return f"K[{len(self.constants) - 1}]"


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

    # --- shared --------------------------------------------------------------------------

    def _cell(self, sheet: int, col: int, row_expr: str, fixed_row: int | None) -> str:
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
            return self._cell(ref.sheet, ref.col, _row(self.row_code, ref.row), None)
        return self._cell(ref.sheet, ref.col, str(ref.row), ref.row)

    def _range_rows(self, node: Node) -> tuple[str, str, int, int, int]:
        """(first-row code, last-row code, sheet, col1, col2) of a range at the current row."""
        if node[0] == "name":
            ref = resolve_ref(self.ctx.book, self.run, node)
            rect = ref.rect
            return str(rect.min_row), str(rect.max_row), rect.sheet, rect.min_col, rect.max_col
        sheet = resolve_ref(self.ctx.book, self.run, node).sheet
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

    # --- fast dialect --------------------------------------------------------------------

    def fast_expr(self, node: Node) -> tuple[str, tuple[int, int] | None]:
        """(code, array shape or None for a scalar); raises Unsupported when not fast-able."""
        kind = node[0]
        if kind == "num":
            return repr(node[1]), None
        if kind in ("ref", "name") and not self.is_range(node):
            return self._ref(node), None
        if self.is_range(node):
            first, last, sheet, col1, col2 = self._range_rows(node)
            rect = resolve_ref(self.ctx.book, self.run, node).rect
            height = rect.max_row - rect.min_row + 1 if node[0] == "name" or first.isdigit() else None
            if height is None:
                rows = (node[2], node[4])
                height = abs(rows[1][1] - rows[0][1]) + 1 if rows[0][0] == rows[1][0] else None
            if height is None:
                raise Unsupported("a range with one fixed and one relative row")
            if first.isdigit() and last.isdigit() and self.ctx.static_range is not None:
                array = self.ctx.static_range(sheet, int(first), col1, int(last), col2)
                if array is not None:
                    return self.ctx.constant(array), (height, col2 - col1 + 1)
            return f"_garr({self._lists(sheet, col1, col2)}, {first}, {last})", (height, col2 - col1 + 1)
        if kind == "op":
            symbol = node[1]
            if symbol not in "+-*/^" or symbol == "":
                raise Unsupported(f"operator {symbol} in the fast dialect")
            left, lshape = self.fast_expr(node[2])
            if symbol == "^":
                return self._fast_power(left, lshape, node[3])
            right, rshape = self.fast_expr(node[3])
            shape = _merge(lshape, rshape)
            if symbol == "/" and rshape is None and not _is_number(right):
                right = f"_fin({right})"
            return f"({left} {symbol} {right})", shape
        if kind == "neg":
            code, shape = self.fast_expr(node[1])
            return f"(-{code})", shape
        if kind == "pos":
            return self.fast_expr(node[1])
        if kind == "pct":
            code, shape = self.fast_expr(node[1])
            return f"({code} / 100.0)", shape
        if kind == "fn":
            return self._fast_function(node[1], node[2]), None
        raise Unsupported(f"{kind} in the fast dialect")

    def _fast_power(self, base: str, shape: tuple[int, int] | None, exponent: Node) -> tuple[str, object]:
        if exponent[0] == "num" and exponent[1] != 0:
            power = exponent[1]
            if float(power).is_integer():
                return f"({base} ** {power!r})", shape
            if shape is None:
                return f"_mpow({base}, {power!r})", None
            raise Unsupported("a fractional power of an array")
        code, exp_shape = self.fast_expr(exponent)
        if shape is not None or exp_shape is not None:
            raise Unsupported("a computed power of an array")
        return f"_fpow({base}, {code})", None

    def _fast_function(self, name: str, args: tuple[Node, ...]) -> str:
        if name in FAST_SCALAR_FUNCTIONS and len(args) == 1:
            code, shape = self.fast_expr(args[0])
            if shape is not None:
                raise Unsupported(f"{name} of an array")
            if name == "EXP" and not _is_number(code):
                code = f"_fin({code})"
            return f"{FAST_SCALAR_FUNCTIONS[name]}({code})"
        if name == "IF" and len(args) == 3 and args[0][0] == "op" and args[0][1] in _COMPARE:
            cond = args[0]
            (left, ls), (right, rs) = self.fast_expr(cond[2]), self.fast_expr(cond[3])
            (yes, ys), (no, ns) = self.fast_expr(args[1]), self.fast_expr(args[2])
            if any(s is not None for s in (ls, rs, ys, ns)):
                raise Unsupported("IF over arrays")
            return f"({yes} if _fin({left}) {_COMPARE[cond[1]]} _fin({right}) else {no})"
        if name in AGGREGATES and args:
            parts = [self.fast_expr(arg) for arg in args]
            codes = [code for code, _ in parts]
            if name == "COUNT":
                return repr(float(sum(1 if shape is None else shape[0] * shape[1] for _, shape in parts)))
            if name == "SUMPRODUCT":
                shapes = {shape for _, shape in parts}
                if len(shapes) != 1 or None in shapes:
                    raise Unsupported("SUMPRODUCT of arrays of different sizes")
                return f"float(({' * '.join(codes)}).sum())"
            if name == "AVERAGE":
                count = sum(1 if shape is None else shape[0] * shape[1] for _, shape in parts)
                return f"(_fsum({', '.join(codes)}) / {float(count)!r})"
            helper = {"SUM": "_fsum", "SUMSQ": "_fsumsq", "MIN": "_fmin", "MAX": "_fmax"}[name]
            return f"{helper}({', '.join(codes)})"
        raise Unsupported(f"{name} in the fast dialect")

    # --- exact dialect -------------------------------------------------------------------

    def exact_expr(self, node: Node, as_reference: bool = False) -> str:
        kind = node[0]
        if kind == "num":
            return repr(node[1])
        if kind == "str":
            return repr(node[1])
        if kind == "bool":
            return repr(node[1])
        if kind == "err":
            return self.ctx.constant(xl.XlError(node[1]))
        if kind == "empty":
            return "_EMPTY"
        if kind in ("ref", "name", "rng"):
            if self.is_range(node):
                first, last, sheet, col1, col2 = self._range_rows(node)
                return f"_grid({self._lists(sheet, col1, col2)}, {first}, {last})"
            code = self._ref(node)
            return f"_grid1({code})" if as_reference else code
        if kind == "op":
            return f"{_EXACT_OPS[node[1]]}({self.exact_expr(node[2])}, {self.exact_expr(node[3])})"
        if kind in ("neg", "pos", "pct"):
            return f"_{kind}({self.exact_expr(node[1])})"
        if kind == "fn":
            name, args = node[1], node[2]
            if name not in xl.FUNCTIONS:
                raise Unsupported(f"the function {name}")
            by_reference = name in AGGREGATES
            codes = [self.exact_expr(arg, as_reference=by_reference) for arg in args]
            if name != "IF":
                codes = ["None" if code == "_EMPTY" else code for code in codes]
            return f"_F_{name}({', '.join(codes)})"
        raise Unsupported(f"{kind}")


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


def fast_statement(ctx: Context, run: Run, tree: Node, row_code: str) -> str:
    """``value`` code of one run's cell in the fast dialect (raises Unsupported if it cannot be)."""
    code, shape = _Gen(ctx, run, row_code, fast=True).fast_expr(tree)
    if shape is not None:
        raise Unsupported("a formula whose result is an array")
    return code


def exact_statement(ctx: Context, run: Run, tree: Node, row_code: str) -> str:
    """``value`` code of one run's cell in the exact dialect."""
    return f"_cell({_Gen(ctx, run, row_code, fast=False).exact_expr(tree)})"


def foreign_statement(ctx: Context, run: Run, inputs: list[Node], function: object, row_code: str) -> str:
    """``value`` code of one cell whose formula `formulas` evaluates: its inputs' values, exact."""
    gen = _Gen(ctx, run, row_code, fast=False)
    args = ", ".join(gen.exact_expr(node) for node in inputs)
    return f"_cell({ctx.constant(function)}({args}))"


def check_supported(tree: Node) -> None:
    """Raise Unsupported for a function the engine does not evaluate itself."""
    for node in walk(tree):
        if node[0] == "fn" and node[1] not in xl.FUNCTIONS:
            raise Unsupported(f"the function {node[1]}")
