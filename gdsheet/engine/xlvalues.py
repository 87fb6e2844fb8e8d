"""Excel's values and the functions the compiled engine supports, with Excel's semantics.

A cell value is a float, a str (text), a bool, None (an empty cell) or an :class:`XlError`.
These are the *exact* implementations: every operation takes any value and returns a value,
errors included (``#DIV/0!``, ``#NUM!``, ``#VALUE!``...), never raising. The generated code
uses plain float arithmetic where it can prove the operands are numbers, and falls back to
these when that fast path meets anything else (see :mod:`gdsheet.engine.codegen`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

_NUMERIC_TEXT = re.compile(r"^\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*$")


class XlError:
    """An Excel error value such as ``#DIV/0!``; compares equal to its code."""

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code

    def __eq__(self, other: object) -> bool:
        if isinstance(other, XlError):
            return other.code == self.code
        return isinstance(other, str) and other == self.code

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return self.code

    __str__ = __repr__


DIV0, NUM, VALUE, REF, NAME, NA = (XlError(c) for c in ("#DIV/0!", "#NUM!", "#VALUE!", "#REF!", "#NAME?", "#N/A"))


class Grid:
    """A rectangle of values (a range, or an array computed from ranges), row by row."""

    __slots__ = ("rows",)

    def __init__(self, rows: Sequence[Sequence[object]]) -> None:
        self.rows = [list(row) for row in rows]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0]) if self.rows else 0

    def values(self) -> list[object]:
        return [value for row in self.rows for value in row]


def first_error(*values: object) -> XlError | None:
    """The leftmost error among an operation's operands: Excel returns it, whatever the others hold."""
    return next((value for value in values if isinstance(value, XlError)), None)


def finite_or_num(value: float) -> float | XlError:
    return value if math.isfinite(value) else NUM


def to_number(value: object) -> float | XlError:
    """A scalar operand of arithmetic: empty is 0, TRUE is 1, numeric text is its number."""
    if isinstance(value, Grid):
        value = scalar(value)
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, XlError):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str) and _NUMERIC_TEXT.match(value):
        return finite_or_num(float(value))
    return VALUE


def scalar(value: object) -> object:
    """A value used where one value is expected: a one-cell grid is its cell, a bigger one #VALUE!."""
    if isinstance(value, Grid):
        return value.rows[0][0] if value.shape == (1, 1) else VALUE
    return value


def cell_result(value: object) -> object:
    """What a formula cell holds: a reference to an empty cell shows 0."""
    value = scalar(value)
    if value is None:
        return 0.0
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _broadcast(op: Callable[[object, object], object], a: object, b: object) -> object:
    if not isinstance(a, Grid) and not isinstance(b, Grid):
        return op(a, b)
    ga = a if isinstance(a, Grid) else Grid([[a]])
    gb = b if isinstance(b, Grid) else Grid([[b]])
    (ra, ca), (rb, cb) = ga.shape, gb.shape
    rows, cols = max(ra, rb), max(ca, cb)

    def at(g: Grid, r: int, c: int, nr: int, nc: int) -> object:
        i = 0 if nr == 1 else r
        j = 0 if nc == 1 else c
        return g.rows[i][j] if i < nr and j < nc else NA

    return Grid([[op(at(ga, r, c, ra, ca), at(gb, r, c, rb, cb)) for c in range(cols)] for r in range(rows)])


def _unary(op: Callable[[object], object], a: object) -> object:
    if isinstance(a, Grid):
        return Grid([[op(v) for v in row] for row in a.rows])
    return op(a)


def _arith(symbol: str) -> Callable[[object, object], object]:
    def scalar_op(a: object, b: object) -> object:
        x, y = to_number(a), to_number(b)
        if (error := first_error(x, y)) is not None:
            return error
        if symbol == "+":
            return finite_or_num(x + y)
        if symbol == "-":
            return finite_or_num(x - y)
        if symbol == "*":
            return finite_or_num(x * y)
        if symbol == "/":
            return DIV0 if y == 0 else finite_or_num(x / y)
        return power(x, y)

    return lambda a, b: _broadcast(scalar_op, a, b)


def power(x: float, y: float) -> float | XlError:
    """x^y as Excel: 0^0 is #NUM!, 0^negative is #DIV/0!, a negative base needs a whole exponent."""
    if x == 0 and y == 0:
        return NUM
    if x == 0 and y < 0:
        return DIV0
    if x < 0 and y != int(y):
        return NUM
    try:
        return finite_or_num(math.pow(x, y))
    except (OverflowError, ValueError):
        return NUM


def _compare_key(value: object) -> tuple[int, object]:
    if isinstance(value, bool):
        return 2, value
    if isinstance(value, str):
        return 1, value.lower()
    return 0, value


def _compare(symbol: str) -> Callable[[object, object], object]:
    def scalar_op(a: object, b: object) -> object:
        a, b = scalar(a), scalar(b)
        if (error := first_error(a, b)) is not None:
            return error
        if a is None:
            a = "" if isinstance(b, str) else False if isinstance(b, bool) else 0.0
        if b is None:
            b = "" if isinstance(a, str) else False if isinstance(a, bool) else 0.0
        ka, kb = _compare_key(a), _compare_key(b)
        if symbol == "=":
            return ka == kb
        if symbol == "<>":
            return ka != kb
        if symbol == "<":
            return ka < kb
        if symbol == ">":
            return ka > kb
        if symbol == "<=":
            return ka <= kb
        return ka >= kb

    return lambda a, b: _broadcast(scalar_op, a, b)


def to_text(value: object) -> str | XlError:
    value = scalar(value)
    if isinstance(value, XlError):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else format(value, ".15g")
    return str(value)


def _concat(a: object, b: object) -> object:
    def scalar_op(x: object, y: object) -> object:
        tx, ty = to_text(x), to_text(y)
        if (error := first_error(tx, ty)) is not None:
            return error
        return tx + ty

    return _broadcast(scalar_op, a, b)


OPERATORS: dict[str, Callable[[object, object], object]] = {
    **{symbol: _arith(symbol) for symbol in "+-*/^"},
    **{symbol: _compare(symbol) for symbol in ("=", "<>", "<", ">", "<=", ">=")},
    "&": _concat,
}


def negate(a: object) -> object:
    return _unary(lambda v: x if isinstance(x := to_number(v), XlError) else -x, a)


def plus(a: object) -> object:
    return a


def percent(a: object) -> object:
    return _unary(lambda v: x if isinstance(x := to_number(v), XlError) else x / 100.0, a)


# --- functions ---------------------------------------------------------------------------


def _numbers(args: Sequence[object]) -> list[float] | XlError:
    """The numbers of SUM-like arguments: ranges give their numbers only, direct values coerce."""
    found: list[float] = []
    for arg in args:
        if isinstance(arg, Grid):
            for value in arg.values():
                if isinstance(value, XlError):
                    return value
                if isinstance(value, float):
                    found.append(value)
        elif arg is None:
            continue
        else:
            number = to_number(arg)
            if isinstance(number, XlError):
                return number
            found.append(number)
    return found


def _aggregate(reduce: Callable[[list[float]], object]) -> Callable[..., object]:
    def function(*args: object) -> object:
        numbers = _numbers(args)
        return numbers if isinstance(numbers, XlError) else reduce(numbers)

    return function


def _sum(values: list[float]) -> object:
    total = 0.0
    for value in values:
        total += value
    return finite_or_num(total)


def _count(*args: object) -> float:
    total = 0
    for arg in args:
        if isinstance(arg, Grid):
            total += sum(1 for v in arg.values() if isinstance(v, float))
        elif isinstance(arg, (float, bool)) or (isinstance(arg, str) and _NUMERIC_TEXT.match(arg)):
            total += 1
    return float(total)


def _sumproduct(*args: object) -> object:
    grids = [arg if isinstance(arg, Grid) else Grid([[arg]]) for arg in args]
    if not grids or any(g.shape != grids[0].shape for g in grids):
        return VALUE
    total = 0.0
    for values in zip(*(g.values() for g in grids), strict=True):
        product = 1.0
        for value in values:
            if isinstance(value, XlError):
                return value
            product *= value if isinstance(value, float) else 0.0
        total += product
    return finite_or_num(total)


def _one(op: Callable[[float], object]) -> Callable[[object], object]:
    def function(arg: object) -> object:
        x = to_number(arg)
        return x if isinstance(x, XlError) else op(x)

    return function


def _sqrt(x: float) -> object:
    return NUM if x < 0 else math.sqrt(x)


def _exp(x: float) -> object:
    try:
        return finite_or_num(math.exp(x))
    except OverflowError:
        return NUM


def _ln(x: float) -> object:
    return NUM if x <= 0 else math.log(x)


def _if(condition: object, when_true: object = False, when_false: object = False) -> object:
    test = scalar(condition)
    if isinstance(test, XlError):
        return test
    if isinstance(test, str):
        upper = test.upper()
        if upper not in ("TRUE", "FALSE"):
            return VALUE
        test = upper == "TRUE"
    truth = bool(test) if test is not None else False
    chosen = when_true if truth else when_false
    return 0.0 if chosen is EMPTY_ARG else chosen


def _power(a: object, b: object) -> object:
    return OPERATORS["^"](a, b)


EMPTY_ARG = object()
"""An argument left out (``IF(A1,,2)``): IF treats it as 0."""

FUNCTIONS: dict[str, Callable[..., object]] = {
    "SUM": _aggregate(_sum),
    "SUMSQ": _aggregate(lambda v: _sum([x * x for x in v])),
    "SUMPRODUCT": _sumproduct,
    "COUNT": _count,
    "AVERAGE": _aggregate(lambda v: DIV0 if not v else finite_or_num(sum(v) / len(v))),
    "MIN": _aggregate(lambda v: min(v) if v else 0.0),
    "MAX": _aggregate(lambda v: max(v) if v else 0.0),
    "SQRT": _one(_sqrt),
    "ABS": _one(abs),
    "EXP": _one(_exp),
    "LN": _one(_ln),
    "IF": _if,
    "POWER": _power,
}
"""Every function the compiled engine evaluates itself; any other falls back to `formulas`."""
