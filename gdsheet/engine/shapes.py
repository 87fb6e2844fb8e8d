"""Formula shapes: one parse per distinct relative formula, not one per cell.

Every column of a lesson repeats one formula down its rows (``=E90-learn*J90``,
``=E91-learn*J91``, ...). Written relative to its own cell (R1C1 style) each of those is the
same *shape*. :class:`ShapeTable` keys formulas by that shape, and parses a shape once, with
the `formulas` package's parser, into a small tree whose references are offsets from the
cell (or absolute where the formula says ``$``).

Tree nodes are tuples:

- ``("num", float)``, ``("str", text)``, ``("bool", flag)``, ``("err", code)``, ``("empty",)``
- ``("ref", sheet, row, col)`` and ``("rng", sheet, row1, col1, row2, col2)`` where sheet is
  None (the cell's own sheet) or a name, and each row/col is ``(absolute, number)``: an absolute
  index, or an offset from the formula's cell
- ``("name", lower_name)``: a defined name
- ``("op", symbol, left, right)``, ``("neg", x)``, ``("pos", x)``, ``("pct", x)``
- ``("fn", NAME, (args...))``
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

os.environ.setdefault("TQDM_DISABLE", "1")
import formulas
from formulas.builder import AstBuilder

from gdsheet.limits import EXCEL_ROWS
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


class _Recorder(AstBuilder):
    """The parser's output in postfix order (see ../shared/engine-notes.md)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.postfix: list[object] = []

    def append(self, token: object) -> None:
        self.postfix.append(token)
        super().append(token)


_Parser = type("_Parser", (formulas.Parser,), {"ast_builder": _Recorder})


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

    def tree(self, index: int) -> Node:
        """The parsed tree of a shape; raises Unsupported when it cannot be compiled."""
        shape = self.shapes[index]
        if not shape.parsed:
            shape.parsed = True
            try:
                shape.tree = parse_shape(shape.text, shape.row, shape.col)
            except Unsupported as exc:
                shape.problem = str(exc)
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
        elif node[0] in ("neg", "pos", "pct"):
            stack.append(node[1])
        elif node[0] == "fn":
            stack.extend(node[2])
    return found


def _coord(absolute: bool, value: int, anchor: int) -> Coord:
    return (True, value) if absolute else (False, value - anchor)


def parse_shape(text: str, row: int, col: int) -> Node:
    """Parse ``text`` (the formula at (row, col)) into a tree with relative references."""
    formula = text if text.startswith("=") else "=" + text
    parser = _Parser()
    try:
        _, builder = parser.ast(formula)
    except Exception as exc:  # the parser raises its own types for syntax it does not know
        raise Unsupported(f"the formulas parser rejects it ({type(exc).__name__})") from None
    refs = iter(scan_refs(formula))
    stack: list[Node] = []
    for token in builder.postfix:
        kind = type(token).__name__
        attr = getattr(token, "attr", {})
        name = getattr(token, "name", "")
        if kind == "Range":
            stack.append(_range_node(attr, name, refs, row, col))
        elif kind == "Number":
            upper = name.upper()
            if upper in ("TRUE", "FALSE"):
                stack.append(("bool", upper == "TRUE"))
            else:
                try:
                    stack.append(("num", float(name)))
                except ValueError:
                    raise Unsupported(f"number {name!r}") from None
        elif kind == "String":
            stack.append(("str", name))
        elif kind == "Error":
            stack.append(("err", name.upper()))
        elif kind == "Empty":
            stack.append(("empty",))
        elif kind == "OperatorToken":
            symbol = name
            if symbol in ("u-", "u+", "%"):
                operand = stack.pop()
                stack.append(({"u-": "neg", "u+": "pos", "%": "pct"}[symbol], operand))
            elif symbol in ("+", "-", "*", "/", "^", "&", "=", "<>", "<", ">", "<=", ">="):
                right, left = stack.pop(), stack.pop()
                stack.append(("op", symbol, left, right))
            else:
                raise Unsupported(f"operator {symbol!r}")
        elif kind == "Function":
            count = int(attr.get("n_args", 0))
            args = tuple(stack[len(stack) - count :]) if count else ()
            del stack[len(stack) - count :]
            stack.append(("fn", name.upper(), args))
        else:
            raise Unsupported(f"{kind} {name!r}")
    if len(stack) != 1:
        raise Unsupported("an expression the engine does not understand")
    if next(refs, None) is not None:
        raise Unsupported("references the engine could not match")
    return stack[0]


def _range_node(attr: dict[str, object], name: str, refs: object, row: int, col: int) -> Node:
    if attr.get("is_reference") and "r1" not in attr:
        if "!" in name:
            raise Unsupported(f"a sheet-qualified name {name!r}")
        return ("name", str(attr.get("ref", name)).lower())
    if "r1" not in attr:
        raise Unsupported(f"reference {name!r}")
    sheet = attr.get("sheet")
    sheet = str(sheet).replace("''", "'") if sheet else None
    r1, r2 = int(str(attr["r1"])), int(str(attr["r2"]))
    c1, c2 = column_index(str(attr["c1"])), column_index(str(attr["c2"]))
    ref_text = str(attr.get("ref", ""))
    if r1 < 1 or r2 > EXCEL_ROWS or "!" in ref_text:
        raise Unsupported(f"whole-row or whole-column reference {name!r}")
    corners = [(c1, r1)] if ":" not in ref_text else [(c1, r1), (c2, r2)]
    coords = []
    for c, r in corners:
        found = next(refs, None)  # type: ignore[call-overload]
        if found is None or found.col != c or found.row != r:
            raise Unsupported(f"reference {name!r} not matched in the text")
        coords.append((_coord(found.row_abs, r, row), _coord(found.col_abs, c, col)))
    if len(coords) == 1:
        return ("ref", sheet, coords[0][0], coords[0][1])
    (ra, ca), (rb, cb) = coords
    return ("rng", sheet, ra, ca, rb, cb)
