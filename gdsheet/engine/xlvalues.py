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
    """A function of one number; over an array (inside SUMPRODUCT) it applies to each element, as
    Excel's array evaluation does."""

    def function(arg: object) -> object:
        if isinstance(arg, Grid):
            return Grid([[function(value) for value in row] for row in arg.rows])
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


# --- the functions of real workbooks (the fast.ai lessons and their kin) --------------------


def _lift(op: Callable[..., object]) -> Callable[..., object]:
    """A scalar function applied to each value of an array argument (Excel's array evaluation)."""

    def function(*args: object) -> object:
        grids = [arg for arg in args if isinstance(arg, Grid)]
        if not grids:
            return op(*args)
        rows = max(g.shape[0] for g in grids)
        cols = max(g.shape[1] for g in grids)

        def at(arg: object, r: int, c: int) -> object:
            if not isinstance(arg, Grid):
                return arg
            nr, nc = arg.shape
            i, j = (0 if nr == 1 else r), (0 if nc == 1 else c)
            return arg.rows[i][j] if i < nr and j < nc else NA

        return Grid([[op(*(at(a, r, c) for a in args)) for c in range(cols)] for r in range(rows)])

    return function


def _numeric(op: Callable[..., object]) -> Callable[..., object]:
    """A function of numbers: each argument coerced as arithmetic does, the first error wins."""

    def function(*args: object) -> object:
        numbers = [to_number(arg) for arg in args]
        if (error := first_error(*numbers)) is not None:
            return error
        try:
            result = op(*numbers)
        except (ValueError, OverflowError, ZeroDivisionError):
            return NUM
        return finite_or_num(result) if isinstance(result, float) else result

    return _lift(function)


def excel_round(x: float, digits: float = 0.0) -> float:
    """ROUND as Excel: half away from zero on the number's 15 significant digits, so that
    ROUND(1.005, 2) is 1.01 (the double nearest 1.005 is 1.00499999999999989...)."""
    import decimal

    places = int(digits)
    if not math.isfinite(x):
        return x
    text = format(x, ".15g")
    quantum = decimal.Decimal(1).scaleb(-places)
    with decimal.localcontext() as context:
        context.prec = 400
        rounded = decimal.Decimal(text).quantize(quantum, rounding=decimal.ROUND_HALF_UP)
    return float(rounded)


def _log(x: float, base: float = 10.0) -> object:
    if x <= 0 or base <= 0:
        return NUM
    if base == 1:
        return DIV0
    return math.log(x) / math.log(base) if base != 10.0 else math.log10(x)


def _to_multiple(rounding: Callable[[float], int]) -> Callable[..., object]:
    """CEILING.MATH (``math.ceil``) or FLOOR.MATH (``math.floor``): to a multiple of the
    significance; a negative number rounds the other way (toward zero) when ``mode`` is not 0."""

    def function(x: float, significance: float = 1.0, mode: float = 0.0) -> object:
        if significance == 0:
            return 0.0
        significance = abs(significance)
        if x < 0 and mode != 0:
            return -rounding(-x / significance) * significance
        return rounding(x / significance) * significance

    return function


def _mod(x: float, y: float) -> object:
    if y == 0:
        return DIV0
    return x - y * math.floor(x / y)


def _truths(args: Sequence[object]) -> list[bool] | XlError:
    """The logical values of AND/OR/XOR arguments: ranges give their numbers and booleans only."""
    found: list[bool] = []
    for arg in args:
        values = arg.values() if isinstance(arg, Grid) else [arg]
        for value in values:
            if isinstance(value, XlError):
                return value
            if isinstance(value, bool):
                found.append(value)
            elif isinstance(value, (int, float)):
                found.append(value != 0)
            elif isinstance(value, str) and not isinstance(arg, Grid):
                upper = value.upper()
                if upper not in ("TRUE", "FALSE"):
                    return VALUE
                found.append(upper == "TRUE")
    return found if found else VALUE


def _logical(reduce: Callable[[list[bool]], bool]) -> Callable[..., object]:
    def function(*args: object) -> object:
        truths = _truths(args)
        return truths if isinstance(truths, XlError) else reduce(truths)

    return function


def _not(value: object) -> object:
    truths = _truths([scalar(value)])
    return truths if isinstance(truths, XlError) else not truths[0]


def _iferror(value: object, fallback: object = 0.0) -> object:
    return _lift(lambda v, f: f if isinstance(v, XlError) else v)(value, fallback)


def _ifna(value: object, fallback: object = 0.0) -> object:
    return _lift(lambda v, f: f if isinstance(v, XlError) and v.code == "#N/A" else v)(value, fallback)


def _truth(value: object) -> bool | XlError:
    truths = _truths([scalar(value)])
    return truths if isinstance(truths, XlError) else truths[0]


def _ifs(*args: object) -> object:
    if len(args) < 2 or len(args) % 2:
        return NA
    for index in range(0, len(args), 2):
        test = _truth(args[index])
        if isinstance(test, XlError):
            return test
        if test:
            return args[index + 1]
    return NA


def _switch(value: object, *cases: object) -> object:
    value = scalar(value)
    if isinstance(value, XlError):
        return value
    default = cases[-1] if len(cases) % 2 else NA
    for index in range(0, len(cases) - 1, 2):
        case = scalar(cases[index])
        if isinstance(case, XlError):
            return case
        if OPERATORS["="](value, case) is True:
            return cases[index + 1]
    return default


_CRITERION = re.compile(r"^(<=|>=|<>|<|>|=)?(.*)$", re.DOTALL)


def criterion(spec: object) -> Callable[[object], bool]:
    """COUNTIF's and SUMIF's criterion (``">5"``, ``"<>a"``, ``"a*"``, ``3``) as a test of one value."""
    spec = scalar(spec)
    if not isinstance(spec, str):
        target = spec
        return lambda v: not isinstance(v, XlError) and v is not None and _compare_key(v) == _compare_key(target)
    match = _CRITERION.match(spec)
    assert match is not None
    op, text = match.group(1) or "=", match.group(2)
    number = to_number(text) if _NUMERIC_TEXT.match(text) else None
    if isinstance(number, float):

        def numeric(v: object) -> bool:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return op == "<>"
            return bool(OPERATORS[op](float(v), number))

        return numeric
    if op in ("=", "<>"):
        pattern = re.compile(
            "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in text),
            re.IGNORECASE | re.DOTALL,
        )

        def textual(v: object) -> bool:
            if text == "":
                hit = v is None or v == ""
            else:
                hit = isinstance(v, str) and pattern.fullmatch(v) is not None
            return hit if op == "=" else not hit

        return textual
    return lambda v: isinstance(v, str) and bool(OPERATORS[op](v, text))


def _countif(where: object, spec: object) -> object:
    test = criterion(spec)
    values = where.values() if isinstance(where, Grid) else [where]
    return float(sum(1 for v in values if test(v)))


def _sumif(where: object, spec: object, sums: object = None) -> object:
    test = criterion(spec)
    grid = where if isinstance(where, Grid) else Grid([[where]])
    adding = sums if isinstance(sums, Grid) else grid
    total = 0.0
    for r, row in enumerate(grid.rows):
        for c, value in enumerate(row):
            if test(value):
                picked = adding.rows[r][c] if r < len(adding.rows) and c < len(adding.rows[r]) else None
                if isinstance(picked, XlError):
                    return picked
                if isinstance(picked, float):
                    total += picked
    return finite_or_num(total)


def _variance(sample: bool) -> Callable[[list[float]], object]:
    def reduce(values: list[float]) -> object:
        n = len(values)
        if n - (1 if sample else 0) <= 0:
            return DIV0
        mean = math.fsum(values) / n
        return finite_or_num(math.fsum((v - mean) ** 2 for v in values) / (n - 1 if sample else n))

    return reduce


def _stdev(sample: bool) -> Callable[[list[float]], object]:
    variance = _variance(sample)
    return lambda values: v if isinstance(v := variance(values), XlError) else math.sqrt(v)


def _sumxmy2(a: object, b: object) -> object:
    ga = a if isinstance(a, Grid) else Grid([[a]])
    gb = b if isinstance(b, Grid) else Grid([[b]])
    xs, ys = ga.values(), gb.values()
    if len(xs) != len(ys):
        return NA
    total = 0.0
    for x, y in zip(xs, ys, strict=True):
        if isinstance(x, XlError):
            return x
        if isinstance(y, XlError):
            return y
        if isinstance(x, float) and isinstance(y, float):
            total += (x - y) ** 2
    return finite_or_num(total)


def as_grid(value: object) -> Grid:
    return value if isinstance(value, Grid) else Grid([[value]])


def _mmult(a: object, b: object) -> object:
    ga, gb = as_grid(a), as_grid(b)
    (n, k), (k2, m) = ga.shape, gb.shape
    if k != k2:
        return VALUE
    for value in ga.values() + gb.values():
        if isinstance(value, XlError):
            return value
        if not isinstance(value, float):
            return VALUE
    rows = []
    for i in range(n):
        left = ga.rows[i]
        rows.append([finite_or_num(math.fsum(left[t] * gb.rows[t][j] for t in range(k))) for j in range(m)])  # type: ignore[operator]
    return Grid(rows)


def _transpose(a: object) -> object:
    g = as_grid(a)
    return Grid([list(column) for column in zip(*g.rows, strict=True)])


def _index(where: object, row: object = 0.0, col: object = 0.0) -> object:
    g = as_grid(where)
    r, c = to_number(row), to_number(col)
    if (error := first_error(r, c)) is not None:
        return error
    r, c = int(r), int(c)  # type: ignore[arg-type]
    rows, cols = g.shape
    if rows == 1 and c == 0 and r != 0:  # INDEX(row range, k)
        r, c = 1, r
    if r < 0 or c < 0 or r > rows or c > cols:
        return REF
    if r == 0 and c == 0:
        return g
    if r == 0:
        return Grid([[g.rows[i][c - 1]] for i in range(rows)])
    if c == 0:
        return Grid([g.rows[r - 1]]) if cols > 1 else g.rows[r - 1][0]
    return g.rows[r - 1][c - 1]


def _match(value: object, where: object, kind: object = 1.0) -> object:
    value = scalar(value)
    if isinstance(value, XlError):
        return value
    how = to_number(kind)
    if isinstance(how, XlError):
        return how
    g = as_grid(where)
    if g.shape[0] > 1 and g.shape[1] > 1:
        return NA
    values = g.values()
    key = _compare_key(value)
    if how == 0:
        test = criterion(value) if isinstance(value, str) else None
        for index, candidate in enumerate(values):
            if test is not None and isinstance(candidate, str) and test(candidate):
                return float(index + 1)
            if test is None and candidate is not None and not isinstance(candidate, XlError):
                if _compare_key(candidate) == key:
                    return float(index + 1)
        return NA
    return _approximate_match(values, key, how > 0)


def _approximate_match(values: list[object], key: tuple[int, object], ascending: bool) -> object:
    """MATCH type 1 (or -1 on descending data) as Excel does it: a binary search that stops at an
    equal value (then takes the last of its run of equals), so unsorted data gives Excel's answer
    (``MATCH(1, {1,0})`` is 1), not a linear scan's."""
    low, high = 0, len(values) - 1
    while low <= high:
        mid = (low + high) // 2
        candidate = values[mid]
        if candidate is None or isinstance(candidate, XlError) or _compare_key(candidate)[0] != key[0]:
            high = mid - 1 if ascending else high
            low = low if ascending else mid + 1
            continue
        ck = _compare_key(candidate)
        if ck == key:
            while mid + 1 < len(values) and values[mid + 1] is not None and _compare_key(values[mid + 1]) == key:
                mid += 1
            return float(mid + 1)
        if (ck < key) == ascending:
            low = mid + 1
        else:
            high = mid - 1
    return NA if high < 0 else float(high + 1)


def _rows(value: object) -> object:
    return float(as_grid(value).shape[0])


def _columns(value: object) -> object:
    return float(as_grid(value).shape[1])


def _round_function(x: float, digits: float = 0.0) -> object:
    return excel_round(x, digits)


FUNCTIONS.update(
    {
        "LOG10": _numeric(lambda x: NUM if x <= 0 else math.log10(x)),
        "LOG": _numeric(_log),
        "TANH": _numeric(math.tanh),
        "SIN": _numeric(math.sin),
        "COS": _numeric(math.cos),
        "TAN": _numeric(math.tan),
        "ROUND": _numeric(_round_function),
        "INT": _numeric(lambda x: float(math.floor(x))),
        "MOD": _numeric(_mod),
        "QUOTIENT": _numeric(lambda x, y: DIV0 if y == 0 else float(math.trunc(x / y))),
        "SIGN": _numeric(lambda x: float((x > 0) - (x < 0))),
        "PI": lambda: math.pi,
        "NA": lambda: NA,  # a chart's gap: every application leaves #N/A out of a series
        "CEILING.MATH": _numeric(_to_multiple(math.ceil)),
        "FLOOR.MATH": _numeric(_to_multiple(math.floor)),
        "AND": _logical(all),
        "OR": _logical(any),
        "XOR": _logical(lambda truths: sum(truths) % 2 == 1),
        "NOT": _lift(_not),
        "TRUE": lambda: True,
        "FALSE": lambda: False,
        "IFERROR": _iferror,
        "IFNA": _ifna,
        "IFS": _ifs,
        "SWITCH": _switch,
        "COUNTIF": _countif,
        "SUMIF": _sumif,
        "STDEV.P": _aggregate(_stdev(False)),
        "STDEV.S": _aggregate(_stdev(True)),
        "STDEV": _aggregate(_stdev(True)),
        "VAR.P": _aggregate(_variance(False)),
        "VAR.S": _aggregate(_variance(True)),
        "VAR": _aggregate(_variance(True)),
        "PRODUCT": _aggregate(lambda v: finite_or_num(math.prod(v))),
        "SUMXMY2": _sumxmy2,
        "MMULT": _mmult,
        "TRANSPOSE": _transpose,
        "INDEX": _index,
        "MATCH": _match,
        "ROWS": _rows,
        "COLUMNS": _columns,
    }
)
for _name in ("SQRT", "ABS", "EXP", "LN"):
    FUNCTIONS[_name] = _lift(FUNCTIONS[_name])

BY_REFERENCE = frozenset(
    ("SUM", "SUMSQ", "MIN", "MAX", "AVERAGE", "COUNT", "SUMPRODUCT", "AND", "OR", "XOR", "COUNTIF", "SUMIF",
     "STDEV.P", "STDEV.S", "STDEV", "VAR.P", "VAR.S", "VAR", "PRODUCT", "SUMXMY2", "MMULT", "TRANSPOSE",
     "INDEX", "MATCH", "ROWS", "COLUMNS")
)  # fmt: skip
"""Functions that take a range as a range: a single-cell reference reaches them as a one-cell grid
(so SUM skips text in it, as Excel does)."""

ADDRESS_FUNCTIONS = frozenset(("ROW", "COLUMN", "ROWS", "COLUMNS"))
"""Functions that read a reference's address, never its values (they are no dependency)."""

VOLATILE = frozenset(("RAND", "RANDBETWEEN", "NOW", "TODAY"))
"""Functions whose value changes at every recalculation: never compared with a cached value."""

DYNAMIC = frozenset(("OFFSET",))
"""Functions whose reference is computed while evaluating (OFFSET): see the engine's fixpoint."""


def grid_equal(a: object, b: object) -> bool:
    """Whether two cell values (arrays included) are the same, for the dynamic fixpoint."""
    if isinstance(a, Grid) and isinstance(b, Grid):
        return a.rows == b.rows
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


def array_element(value: object, i: int, j: int) -> object:
    """Cell (i, j) of a multi-cell array formula's result, as Excel spreads it over its range:
    a single row or column repeats, and a cell beyond the result shows #N/A."""
    if not isinstance(value, Grid):
        return cell_result(value)
    rows, cols = value.shape
    i, j = (0 if rows == 1 else i), (0 if cols == 1 else j)
    if i >= rows or j >= cols:
        return NA
    return cell_result(value.rows[i][j])


def keep_array(value: object) -> object:
    """A multi-cell array formula's whole result, kept for its cells to pick from."""
    return value
