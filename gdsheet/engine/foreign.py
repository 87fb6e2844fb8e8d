"""Formulas the compiled engine does not implement, evaluated cell by cell by `formulas`.

A shape that calls a function outside :data:`gdsheet.engine.xlvalues.FUNCTIONS` (TRUNC, say)
still parses, so its references are known and its cells take their place in the plan like any
other (a formula our parser refuses gets its references from `formulas`' own inputs).
Only its value comes from the `formulas` package: its formula is compiled once by
`formulas`, and each cell calls that function with its own references' values, shifted from
the shape's first cell. So one unusual cell costs one slow call, not the whole workbook.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Sequence

import numpy as np

from gdsheet.engine import xlvalues as xl
from gdsheet.engine.book import Book
from gdsheet.engine.plan import name_area
from gdsheet.engine.shapes import Node, Shape, Unsupported, operand_node, scan_refs, walk
from gdsheet.xlsx.ranges import a1

os.environ.setdefault("TQDM_DISABLE", "1")


@functools.cache
def known_functions() -> frozenset[str]:
    """The functions `formulas` implements, read only when a fallback needs them: the registry
    imports scipy.stats, about a second that no command should pay before it must."""
    import formulas

    return frozenset(formulas.get_functions())


def _at(coord: tuple[bool, int], anchor: int) -> int:
    absolute, value = coord
    return value if absolute else anchor + value


def _node_key(book: Book, node: Node, shape: Shape) -> str:
    """The node as `formulas` names an input: ``A1``, ``B2:C3``, ``SHEET!A1``, ``LEARN``."""
    if node[0] == "name":
        return node[1].upper()
    corners = [(node[2], node[3])] if node[0] == "ref" else [(node[2], node[3]), (node[4], node[5])]
    ref = ":".join(a1(_at(col, shape.col), _at(row, shape.row)) for row, col in corners)
    return f"{node[1].upper()}!{ref}" if node[1] else ref


def _plain_key(key: str) -> str:
    sheet, bang, ref = key.rpartition("!")
    if not bang:
        return key.upper()
    return f"{sheet.strip(chr(39)).replace(chr(39) * 2, chr(39)).upper()}!{ref.upper()}"


def _to_formulas(value: object) -> object:
    import schedula
    from formulas.tokens.operand import Error as _FormulasError

    if value is None:
        return schedula.EMPTY
    if isinstance(value, xl.XlError):
        return _FormulasError.errors.get(value.code, _FormulasError.errors["#VALUE!"])
    if isinstance(value, xl.Grid):
        return np.array([[_to_formulas(v) for v in row] for row in value.rows], dtype=object)
    return value


def _from_formulas(value: object) -> object:
    import schedula

    value = np.asarray(getattr(value, "value", value), dtype=object).ravel()[0]
    if value is schedula.EMPTY:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return xl.finite_or_num(float(value))
    if type(value) is not str and isinstance(value, str):  # formulas' XlError is a str subclass
        return xl.XlError(str(value))
    return value


class ForeignFormula:
    """One shape evaluated by `formulas`: called with its inputs' values, in `formulas`' order."""

    def __init__(self, book: Book, shape: Shape, tree: Node | None, why: str) -> None:
        """``tree`` is None for a formula our parser refuses: its inputs are then the ones
        `formulas` names, with the ``$`` of the formula's own text."""
        import formulas

        self.why = why
        known = known_functions()
        self.unknown = [node[1] for node in walk(tree or ("empty",)) if node[0] == "fn" and node[1] not in known]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._function = formulas.Parser().ast("=" + shape.text.lstrip("="))[1].compile()
        except Exception as exc:  # the formulas package cannot compile it either
            raise Unsupported(f"{why}, which the formulas package cannot compile ({type(exc).__name__})") from None
        if tree is None:
            try:
                tree = ("fn", "_FOREIGN", tuple(_input_node(key, shape) for key in self._function.inputs))
            except Unsupported as exc:
                raise Unsupported(f"{why}, whose inputs the engine cannot place ({exc})") from None
        self.tree = tree
        refs = [node for node in walk(tree) if node[0] in ("ref", "rng", "name")]
        nodes = {_node_key(book, node, shape): node for node in refs}
        for node in nodes.values():
            if node[0] == "name":
                name_area(book, node[1])  # a name the plan can resolve
        self.inputs: list[Node] = []
        for key in self._function.inputs:
            node = nodes.get(_plain_key(key))
            if node is None:
                raise Unsupported(f"{why}, whose input {key} the engine cannot match")
            self.inputs.append(node)

    def __call__(self, *values: object) -> object:
        if self.unknown:
            return xl.NAME
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                result = self._function(*(_to_formulas(v) for v in values))
            except Exception:  # formulas raises for some bad inputs: Excel shows #VALUE!
                return xl.VALUE
        return _from_formulas(result)


def _input_node(key: str, shape: Shape) -> Node:
    """An input `formulas` names (``A1``, ``SHEET!B2:C3``, ``LEARN``) as a tree node, each corner
    absolute where the formula's text writes it with ``$``."""
    node = operand_node(key, shape.row, shape.col)
    if node[0] not in ("ref", "rng"):
        return node
    flags = {(ref.col, ref.row): (ref.col_abs, ref.row_abs) for ref in scan_refs(shape.text)}
    corners = [(node[2], node[3])] if node[0] == "ref" else [(node[2], node[3]), (node[4], node[5])]
    fixed = []
    for (_, row_off), (_, col_off) in corners:
        row, col = shape.row + row_off, shape.col + col_off
        col_abs, row_abs = flags.get((col, row), (False, False))
        fixed.append(((True, row) if row_abs else (False, row_off), (True, col) if col_abs else (False, col_off)))
    return (node[0], node[1], *[coord for corner in fixed for coord in corner])


def foreign_formulas(book: Book, trees: dict[int, Node], unsupported: dict[int, str]) -> dict[int, ForeignFormula]:
    """A :class:`ForeignFormula` per shape index in ``unsupported`` (index -> why)."""
    return {
        index: ForeignFormula(book, book.shapes.shapes[index], trees[index], why) for index, why in unsupported.items()
    }


def describe(foreign: dict[int, ForeignFormula], counts: Sequence[int]) -> str:
    """One line: how many cells fall back, and why."""
    reasons = sorted({formula.why for formula in foreign.values()})
    return f"{sum(counts):,} formula cell(s) evaluated by the formulas package ({'; '.join(reasons)})"
