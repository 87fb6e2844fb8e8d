"""Evaluation engines behind one small interface, so the runner and `check` can swap them.

An engine is loaded from a :class:`~gdsheet.engine.book.Book` and offers:

- ``evaluate(inputs)``: recalculate every formula with some cells overridden; returns a
  reader of any cell's value;
- ``stepper(inputs, outputs)``: a function from the inputs' values to the outputs' values,
  called once per epoch;
- ``formula_cells()``: every formula cell (the compiled engine lists them in evaluation order,
  each after the cells it reads, so a checker can report a root cause before its victims).

Cells are ``(sheet index, column, row)``. ``compiled`` (the default) generates Python from
the formulas; ``formulas`` is the `formulas` package, the reference interpreter. A formula
calling a function the compiled engine does not implement, or one its parser refuses (an
intersection, a union outside SUM and its kin), is evaluated by `formulas`, cell by cell,
inside the compiled program; a workbook it cannot take at all falls back to ``formulas`` as a
whole. Both say so when asked to be verbose.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the engine itself is imported on first use: `gdsheet --version` must stay light
    from gdsheet.engine.book import Book
    from gdsheet.engine.shapes import Unsupported

Cell = tuple[int, int, int]
ENGINES = ("compiled", "formulas")
DEFAULT_ENGINE = "compiled"


class Engine(Protocol):
    """What the runner and `check` ask of an engine."""

    def evaluate(self, inputs: Mapping[Cell, object]) -> Callable[[Cell], object]: ...

    def stepper(self, inputs: Sequence[Cell], outputs: Sequence[Cell]) -> Callable[[Sequence[float]], list[object]]: ...

    def formula_cells(self) -> Iterator[Cell]: ...


def load_engine(book: Book, kind: str = DEFAULT_ENGINE, verbose: bool = False, seed: int = 0) -> Engine:
    """The engine ``kind`` for ``book``; ``compiled`` falls back to ``formulas`` where it must.
    ``seed`` starts the compiled engine's stream of RAND and RANDBETWEEN draws."""
    if kind not in ENGINES:
        raise ValueError(f"unknown engine {kind!r}")
    if kind == "compiled":
        from gdsheet.engine.compiled import CompiledEngine
        from gdsheet.engine.shapes import Unsupported

        try:
            engine = CompiledEngine(book, seed)
        except Unsupported as exc:
            return formulas_fallback(book, exc, verbose)
        if verbose and engine.note:
            print(f"gdsheet: {book.path.name}: {engine.note}", file=sys.stderr)
        return engine
    from gdsheet.engine.formulas_engine import FormulasEngine

    return FormulasEngine(book)


def formulas_fallback(book: Book, why: Unsupported, verbose: bool = False) -> Engine:
    """The `formulas` engine for what the compiled one cannot do (``why``), saying so when verbose:
    the one fallback, whether loading finds it out or a later evaluation does."""
    from gdsheet.engine.formulas_engine import FormulasEngine

    if verbose:
        print(f"gdsheet: {book.path.name}: using the formulas engine ({why})", file=sys.stderr)
    return FormulasEngine(book)
