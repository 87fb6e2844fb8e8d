"""Formula shapes: one parse per distinct relative formula, not one per cell.

Every column of a lesson repeats one formula down its rows (``=E90-learn*J90``,
``=E91-learn*J91``, ...). Written relative to its own cell (R1C1 style) each of those is the
same *shape*. :class:`ShapeTable` keys formulas by that shape, and parses a shape once
(openpyxl's tokenizer, then :func:`parse_shape`'s shunting-yard) into a small tree whose
references are offsets from the cell (or absolute where the formula says ``$``).

Tree nodes are tuples:

- ``("num", float)``, ``("str", text)``, ``("bool", flag)``, ``("err", code)``, ``("empty",)``
- ``("ref", sheet, row, col)`` and ``("rng", sheet, row1, col1, row2, col2)`` where sheet is
  None (the cell's own sheet) or a name, and each row/col is ``(absolute, number)``: an absolute
  index, or an offset from the formula's cell
- ``("name", lower_name)`` or ``("name", lower_name, sheet)``: a defined name (``Sheet!name``)
- ``("op", symbol, left, right)``, ``("neg", x)``, ``("pos", x)``, ``("pct", x)``
- ``("fn", NAME, (args...))`` (NAME without Excel's ``_xlfn.`` prefix), ``("array", rows)``
- ``("arrayformula", tree)``: a multi-cell array formula's whole result; ``("aelem", ("ref",
  master), row, col)``: a cell of its range (range starting at row, col) picking its element
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gdsheet.engine.tokens import Token, Tokenizer, TokenizerError
from gdsheet.errors import WorkbookError
from gdsheet.limits import EXCEL_COLUMNS, EXCEL_ROWS
from gdsheet.xlsx.ranges import column_index, on_sheet

Node = tuple
Coord = tuple[bool, int]

# A cell reference outside quotes: $?COL$?ROW, not part of a longer word, a function name
# (LOG10() or a sheet name (Sheet1!). Strings and quoted sheet names are matched first so
# that their contents are never taken for references.
_SCAN = re.compile(
    r"\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*'"
    r"|(?<![A-Za-z0-9_.$])(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})(?![A-Za-z0-9_.(!])"
)


@dataclass(frozen=True)
class CellRef:
    """One A1 reference found in a formula's text, with its ``$`` flags."""

    col_abs: bool
    col: int
    row_abs: bool
    row: int


def scan_refs(text: str) -> list[CellRef]:
    """The cell references of a formula's text, in order (strings and quoted names skipped)."""
    found = []
    for match in _SCAN.finditer(text):
        if match.group(2) is None:
            continue
        col, row = column_index(match.group(2)), int(match.group(4))
        if on_sheet(row, col):
            found.append(CellRef(match.group(1) == "$", col, match.group(3) == "$", row))
    return found


def shape_key(text: str, row: int, col: int) -> str:
    """The formula with each relative reference written as an offset from (row, col)."""

    def relative(match: re.Match[str]) -> str:
        if match.group(2) is None:
            return match.group(0)
        c, r = column_index(match.group(2)), int(match.group(4))
        if not on_sheet(r, c):
            return match.group(0)
        col_part = f"C{c}" if match.group(1) else f"C[{c - col}]"
        row_part = f"R{r}" if match.group(3) else f"R[{r - row}]"
        return f"\x00{row_part}{col_part}\x00"

    return _SCAN.sub(relative, text.strip())


class Unsupported(Exception):
    """A formula the compiled engine does not evaluate (it falls back to `formulas`)."""


_LETTERS: dict[int, str] = {}


def _letters(col: int) -> str:
    letters = _LETTERS.get(col)
    if letters is None:
        index, letters = col, ""
        while index:
            index, rem = divmod(index - 1, 26)
            letters = chr(65 + rem) + letters
        _LETTERS[col] = letters
    return letters


def _template(text: str, row: int, col: int) -> list[object]:
    """The formula as literal pieces and references (relative ones as offsets from (row, col))."""
    parts: list[object] = []
    last = 0
    for match in _SCAN.finditer(text):
        if match.group(2) is None:
            continue
        c, r = column_index(match.group(2)), int(match.group(4))
        if not on_sheet(r, c):
            continue
        parts.append(text[last : match.start()])
        col_abs, row_abs = match.group(1) == "$", match.group(3) == "$"
        parts.append((col_abs, c if col_abs else c - col, row_abs, r if row_abs else r - row))
        last = match.end()
    parts.append(text[last:])
    return parts


@dataclass
class Shape:
    """One relative formula: its text at its first cell (the anchor), and its parsed tree."""

    key: str
    text: str
    row: int
    col: int
    tree: Node | None = None
    problem: str | None = None
    parsed: bool = False
    template: list[object] | None = None

    def text_at(self, row: int, col: int) -> str | None:
        """The formula's text at another cell (None if it would leave the sheet)."""
        if self.template is None:
            self.template = _template(self.text, self.row, self.col)
        pieces = []
        for part in self.template:
            if isinstance(part, str):
                pieces.append(part)
                continue
            col_abs, c, row_abs, r = part  # type: ignore[misc]
            c = c if col_abs else c + col
            r = r if row_abs else r + row
            if not on_sheet(r, c):
                return None
            pieces.append(f"{'$' if col_abs else ''}{_letters(c)}{'$' if row_abs else ''}{r}")
        return "".join(pieces)


@dataclass
class ShapeTable:
    """Shapes by key; ``shape_of`` gives each formula cell its shape's index."""

    shapes: list[Shape] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)
    arrays: set[int] = field(default_factory=set)

    def shape_of(self, text: str, row: int, col: int, guess: int | None = None) -> int:
        """The shape of the formula ``text`` at (row, col). ``guess`` (the shape of the cell
        above, usually the same) is tried first: rendering it is cheaper than finding the key."""
        if guess is not None and self.shapes[guess].text_at(row, col) == text.strip():
            return guess
        key = shape_key(text, row, col)
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.shapes)
            self.shapes.append(Shape(key, text.strip(), row, col))
        return index

    def mark_array(self, index: int) -> None:
        """The shape is a multi-cell array formula: its value is its whole array."""
        self.arrays.add(index)

    def array_element(self, virtual_col: int, row: int, col: int) -> int:
        """A shape for the cells of the array formula whose value sits at (row, virtual_col) and
        whose range starts at (row, col): each picks its own element."""
        key = f"\x00array {virtual_col} {row} {col}"
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.shapes)
            master = ("ref", None, (True, row), (True, virtual_col))
            self.shapes.append(Shape(key, key, row, col, ("aelem", ("ref", master), row, col), None, True))
        return index

    def tree(self, index: int) -> Node:
        """The parsed tree of a shape; raises Unsupported when it cannot be compiled."""
        shape = self.shapes[index]
        if not shape.parsed:
            shape.parsed = True
            try:
                shape.tree = parse_shape(shape.text, shape.row, shape.col)
            except Unsupported as exc:
                shape.problem = str(exc)
            if shape.tree is not None and index in self.arrays:
                shape.tree = ("arrayformula", shape.tree)
        if shape.tree is None:
            raise Unsupported(shape.problem or "cannot parse")
        return shape.tree

    def __len__(self) -> int:
        return len(self.shapes)


def walk(tree: Node) -> list[Node]:
    """Every node of a tree, with an explicit stack (a long formula must not recurse)."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        if node[0] == "op":
            stack.extend((node[2], node[3]))
        elif node[0] in ("neg", "pos", "pct", "arrayformula"):
            stack.append(node[1])
        elif node[0] == "aelem":
            stack.append(node[1][1])
        elif node[0] == "fn":
            stack.extend(node[2])
    return found


MAX_FORMULA_LENGTH = 8192
"""Excel's own limit on a formula's characters: a longer one is refused, naming its cell."""
MAX_NESTING = 64
"""Excel's own limit on nested function levels: a deeper formula is refused, naming its cell."""


class FormulaRefused(WorkbookError):
    """A formula beyond Excel's own limits (length, nesting): the workbook is refused, exit 3."""


def _coord(absolute: bool, value: int, anchor: int) -> Coord:
    return (True, value) if absolute else (False, value - anchor)


_CELL_TEXT = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})$")
_NAME_TEXT = re.compile(r"^[A-Za-z_\\][A-Za-z0-9_.\\?]*$")
_BINARY = {"^": 5, "*": 4, "/": 4, "+": 3, "-": 3, "&": 2, "=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1}
_UNION_PRECEDENCE = 8  # a reference operator: binds before any other
UNION_FUNCTIONS = frozenset(("SUM", "COUNT", "MIN", "MAX", "AVERAGE", "SUMSQ", "PRODUCT", "STDEV", "STDEV.P",
                             "STDEV.S", "VAR", "VAR.P", "VAR.S", "AND", "OR", "XOR"))  # fmt: skip
"""Functions for which a union of references, ``SUM((A1:A3,C1:C3))``, is its areas given as
arguments one by one (Excel's meaning): each takes any number of arguments and treats every one
alike, so a union's areas are arguments as good as any. A union anywhere else (INDEX's areas,
RANK's reference, a union in arithmetic) is left to `formulas`."""
_PREFIX_PRECEDENCE = 7  # Excel negates before % and ^: -2^2 is 4
_PERCENT_PRECEDENCE = 6
_PREFIXES = ("_XLFN._XLWS.", "_XLFN.", "_XLWS.")


def function_name(text: str) -> str:
    """A function's name as the engine knows it: upper case, without Excel's ``_xlfn.`` prefixes."""
    name = text.upper()
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _split_sheet(text: str) -> tuple[str | None, str]:
    """(sheet or None, the rest) of an operand such as ``'My sheet'!A1`` or ``Data!B2:C3``."""
    if text.startswith("'"):
        index = 1
        while index < len(text):
            if text[index] == "'":
                if text[index + 1 : index + 2] == "'":
                    index += 2
                    continue
                break
            index += 1
        if text[index + 1 : index + 2] != "!":
            raise Unsupported(f"reference {text[:40]!r}")
        return text[1:index].replace("''", "'"), text[index + 2 :]
    sheet, bang, rest = text.partition("!")
    if not bang:
        return None, text
    if sheet.startswith("["):
        raise Unsupported(f"a reference to another workbook {text[:40]!r}")
    return sheet, rest


def _cell(text: str) -> tuple[bool, int, bool, int] | None:
    match = _CELL_TEXT.match(text)
    if match is None:
        return None
    col, row = column_index(match.group(2)), int(match.group(4))
    if not on_sheet(row, col):
        return None
    return match.group(1) == "$", col, match.group(3) == "$", row


def operand_node(text: str, row: int, col: int) -> Node:
    """A RANGE operand of the tokenizer: a cell, a rectangle or a defined name."""
    sheet, body = _split_sheet(text)
    if body.upper() == "#REF!":
        return ("err", "#REF!")
    corners = body.split(":")
    cells = [_cell(part) for part in corners]
    if len(corners) in (1, 2) and all(cell is not None for cell in cells):
        coords = [(_coord(r_abs, r, row), _coord(c_abs, c, col)) for c_abs, c, r_abs, r in cells]  # type: ignore[misc]
        if len(coords) == 1:
            return ("ref", sheet, coords[0][0], coords[0][1])
        return ("rng", sheet, coords[0][0], coords[0][1], coords[1][0], coords[1][1])
    whole = _whole_lines(corners, row, col)
    if whole is not None:
        return ("rng", sheet, *whole)
    if len(corners) == 1 and _NAME_TEXT.match(body):
        return ("name", body.lower()) if sheet is None else ("name", body.lower(), sheet)
    if "[" in body:
        raise Unsupported(f"a structured reference {text[:40]!r} to no table of the workbook")
    raise Unsupported(f"reference {text[:40]!r} (whole rows or columns, or a range operator)")


_WHOLE_COLUMN = re.compile(r"^(\$?)([A-Za-z]{1,3})$")
_WHOLE_ROW = re.compile(r"^(\$?)([0-9]{1,7})$")


def _whole_lines(corners: list[str], row: int, col: int) -> tuple[Coord, ...] | None:
    """``A:C`` (whole columns) or ``2:5`` (whole rows) as range corners, or None. The engine
    clips them to the sheet's used cells, which changes no function's value but ROWS/COLUMNS'
    (they read the written address)."""
    if len(corners) != 2:
        return None
    columns = [_WHOLE_COLUMN.match(part) for part in corners]
    if all(columns):
        c1, c2 = (column_index(m.group(2)) for m in columns)  # type: ignore[union-attr]
        if not (on_sheet(1, c1) and on_sheet(1, c2)):
            return None
        a, b = columns  # type: ignore[misc]
        return ((True, 1), _coord(a.group(1) == "$", c1, col), (True, EXCEL_ROWS), _coord(b.group(1) == "$", c2, col))
    lines = [_WHOLE_ROW.match(part) for part in corners]
    if all(lines):
        r1, r2 = (int(m.group(2)) for m in lines)  # type: ignore[union-attr]
        if not (on_sheet(r1, 1) and on_sheet(r2, 1)):
            return None
        a, b = lines  # type: ignore[misc]
        return (
            _coord(a.group(1) == "$", r1, row),
            (True, 1),
            _coord(b.group(1) == "$", r2, row),
            (True, EXCEL_COLUMNS),
        )
    return None


def _constant(token: Token) -> object:
    if token.subtype == Token.NUMBER:
        return float(token.value)
    if token.subtype == Token.TEXT:
        return token.value[1:-1].replace('""', '"')
    if token.subtype == Token.LOGICAL:
        return token.value.upper() == "TRUE"
    if token.subtype == Token.ERROR:
        from gdsheet.engine.xlvalues import XlError

        return XlError(token.value.upper())
    raise Unsupported(f"{token.value!r} in an array constant")


def _leaf(token: Token, row: int, col: int) -> Node:
    if token.subtype == Token.RANGE:
        return operand_node(token.value, row, col)
    if token.subtype == Token.NUMBER:
        try:
            return ("num", float(token.value))
        except ValueError:
            raise Unsupported(f"number {token.value!r}") from None
    if token.subtype == Token.TEXT:
        return ("str", token.value[1:-1].replace('""', '"'))
    if token.subtype == Token.LOGICAL:
        return ("bool", token.value.upper() == "TRUE")
    if token.subtype == Token.ERROR:
        return ("err", token.value.upper())
    raise Unsupported(f"operand {token.value!r}")


def _array(tokens: list[Token], start: int) -> tuple[Node, int]:
    """An array constant ``{1,2;3,4}`` from the token after its ``{``; returns (node, next index)."""
    rows: list[list[object]] = [[]]
    negative = False
    index = start
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token.type == Token.ARRAY and token.subtype == Token.CLOSE:
            if len({len(r) for r in rows}) != 1 or not rows[0]:
                raise Unsupported("an array constant with ragged rows")
            return ("array", tuple(tuple(r) for r in rows)), index
        if token.type == Token.OPERAND:
            value = _constant(token)
            rows[-1].append(-value if negative and isinstance(value, float) else value)
            negative = False
        elif token.type == Token.OP_PRE and token.value in "-+":
            negative = token.value == "-"
        elif token.type == Token.SEP and token.subtype == Token.ROW:
            rows.append([])
        elif token.type == Token.SEP and token.subtype == Token.ARG:
            pass
        elif token.type != Token.WSPACE:
            raise Unsupported(f"{token.value!r} in an array constant")
    raise Unsupported("an unclosed array constant")


def parse_shape(text: str, row: int, col: int) -> Node:
    """Parse ``text`` (the formula at (row, col)) into a tree with relative references.

    openpyxl's tokenizer splits the formula; the tree is built by shunting-yard with explicit
    stacks, so no formula's length or depth reaches Python's recursion limit. Beyond Excel's own
    limits (8,192 characters, 64 nested functions) a formula is refused (:class:`FormulaRefused`).
    """
    formula = text if text.startswith("=") else "=" + text
    if len(formula) - 1 > MAX_FORMULA_LENGTH:
        raise FormulaRefused(f"a formula of {len(formula) - 1:,} characters (Excel's limit is {MAX_FORMULA_LENGTH:,})")
    try:
        tokens = [t for t in Tokenizer(formula).items if t.type != Token.WSPACE]
    except (TokenizerError, IndexError, ValueError) as exc:
        raise Unsupported(f"a formula that does not parse ({exc})") from None
    out: list[Node] = []
    ops: list[tuple] = []  # ("bin", symbol, precedence) | ("pre", kind) | ("paren",) | ("fn", name, out height)
    expecting = True  # an operand comes next
    nesting = 0

    def reduce() -> None:
        op = ops.pop()
        if op[0] == "bin":
            if len(out) < 2:
                raise Unsupported("an operator without operands")
            right, left = out.pop(), out.pop()
            if op[1] == ",":  # a union: its areas, in order
                parts = (
                    *(left[1:] if left[0] == "union" else (left,)),
                    *(right[1:] if right[0] == "union" else (right,)),
                )
                if not all(part[0] in ("ref", "rng", "name") for part in parts):
                    raise Unsupported("a union of something other than references")
                out.append(("union", *parts))
                return
            out.append(("op", op[1], left, right))
        else:
            if not out:
                raise Unsupported("an operator without an operand")
            out.append((op[1], out.pop()))

    def precedence(op: tuple) -> int:
        return op[2] if op[0] == "bin" else _PREFIX_PRECEDENCE if op[0] == "pre" else -1

    def close_to(kind: str) -> tuple:
        while ops and ops[-1][0] not in ("paren", "fn"):
            reduce()
        if not ops or ops[-1][0] != kind:
            raise Unsupported("unbalanced parentheses")
        return ops[-1]

    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        kind, sub = token.type, token.subtype
        if kind == Token.OPERAND:
            if not expecting:
                raise Unsupported("two operands in a row (an intersection)")
            out.append(_leaf(token, row, col))
            expecting = False
        elif kind == Token.ARRAY and sub == Token.OPEN:
            node, index = _array(tokens, index)
            out.append(node)
            expecting = False
        elif kind == Token.FUNC and sub == Token.OPEN:
            nesting += 1
            if nesting > MAX_NESTING:
                raise FormulaRefused(f"a formula nested deeper than Excel's {MAX_NESTING} levels")
            ops.append(("fn", function_name(token.value[:-1]), len(out)))
            expecting = True
        elif kind == Token.SEP and sub == Token.ARG:
            close_to("fn")
            if expecting:
                out.append(("empty",))
            expecting = True
        elif kind == Token.FUNC and sub == Token.CLOSE:
            marker = close_to("fn")
            ops.pop()
            nesting -= 1
            height = marker[2]
            if expecting and len(out) > height:  # a trailing empty argument: F(a,)
                out.append(("empty",))
            args = tuple(out[height:])
            del out[height:]
            if marker[1] in UNION_FUNCTIONS:
                args = tuple(part for arg in args for part in (arg[1:] if arg[0] == "union" else (arg,)))
            out.append(("fn", marker[1], args))
            expecting = False
        elif kind == Token.PAREN and sub == Token.OPEN:
            ops.append(("paren",))
            expecting = True
        elif kind == Token.PAREN and sub == Token.CLOSE:
            close_to("paren")
            ops.pop()
            expecting = False
        elif kind == Token.OP_PRE:
            if token.value not in "-+":
                raise Unsupported(f"prefix operator {token.value!r}")
            ops.append(("pre", "neg" if token.value == "-" else "pos"))
        elif kind == Token.OP_IN:
            symbol = token.value
            level = _UNION_PRECEDENCE if symbol == "," else _BINARY.get(symbol)
            if level is None:
                raise Unsupported(f"operator {symbol!r} (a range operator)")
            while ops and precedence(ops[-1]) >= level:
                reduce()
            ops.append(("bin", symbol, level))
            expecting = True
        elif kind == Token.OP_POST:
            while ops and precedence(ops[-1]) > _PERCENT_PRECEDENCE:
                reduce()
            if not out:
                raise Unsupported("% without an operand")
            out.append(("pct", out.pop()))
        else:
            raise Unsupported(f"token {token.value!r}")
    while ops:
        if ops[-1][0] in ("paren", "fn"):
            raise Unsupported("unbalanced parentheses")
        reduce()
    if len(out) != 1:
        raise Unsupported("an expression the engine does not understand")
    if any(node[0] == "union" for node in walk(out[0])):
        raise Unsupported(f"a union outside {', '.join(sorted(UNION_FUNCTIONS))}")
    return out[0]
