"""The writer's update rules: one formula template per optimizer, over any model's parameters.

A template knows an optimizer's hyper-parameter cells (each a defined name, so no constant such
as 1E-8 is ever written into a formula, which the `formulas` parser could not read), the hint and
number format of each kind of state column, and how to write one row's update given the row's
cells by column NAME. The reference computes the same rules on its own
(:mod:`gdsheet.reference.optimizers`); the two share only the names of :mod:`gdsheet.lesson.optimizers`.
A new optimizer is one :class:`FormulaTemplate` added to :data:`TEMPLATES` (and one step on the
other side).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gdsheet.lesson.optimizers import OPTIMIZER_SPECS
from gdsheet.writer.cells import INTEGER, PARAM, PREDICTION


@dataclass(frozen=True)
class RowCells:
    """What one row's update formulas may refer to.

    ``params``: the model's parameters; ``here``: this row's cells by column name (``here["m"]``
    is "E91"); ``before``: where each state column starts from (the row above, or its ``X_start``
    name on the first row); ``grad``: the cell driving each parameter's update (de/dp, or the estimate);
    ``lr``: the learning rate's cell or name (``learn``, or a schedule's rate of this row's epoch).
    """

    params: Sequence[str]
    here: Mapping[str, str]
    before: Mapping[str, str]
    grad: Mapping[str, str]
    lr: str = "learn"


Formulas = Callable[[RowCells], dict[str, str]]
Hints = Callable[[str], dict[str, str]]


@dataclass(frozen=True)
class FormulaTemplate:
    """One optimizer on the workbook side: its row formulas, and the hint and format of each column.

    ``rows(cells)`` returns the formulas of every ``new_p`` and every state column; ``hints(p)`` the
    hints of p's columns (``new_p`` and p's state); ``formats`` the number format of each kind of
    state (``vel``, ``sq``, ``avg``, ``t``).
    """

    name: str
    hints: Hints
    formats: Mapping[str, str]
    rows: Formulas

    @property
    def hypers(self) -> tuple[str, ...]:
        """The defined names of the input cells its formulas read (besides ``learn``)."""
        return OPTIMIZER_SPECS[self.name].hypers

    def state(self, params: Sequence[str]) -> tuple[str, ...]:
        return OPTIMIZER_SPECS[self.name].state(params)

    def column_hints(self, params: Sequence[str]) -> dict[str, str]:
        return {name: hint for p in params for name, hint in self.hints(p).items()}

    def column_formats(self, params: Sequence[str]) -> dict[str, str]:
        return {name: self.formats[name.split("_", 1)[0] if "_" in name else name] for name in self.state(params)}


def _sgd(c: RowCells) -> dict[str, str]:
    return {f"new_{p}": f"={c.here[p]}-{c.lr}*{c.grad[p]}" for p in c.params}


def _momentum(c: RowCells) -> dict[str, str]:
    formulas = {}
    for p in c.params:
        formulas[f"vel_{p}"] = f"=momentum*{c.before[f'vel_{p}']}+{c.grad[p]}"
        formulas[f"new_{p}"] = f"={c.here[p]}-{c.lr}*{c.here[f'vel_{p}']}"
    return formulas


def _rmsprop(c: RowCells) -> dict[str, str]:
    formulas = {}
    for p in c.params:
        g = c.grad[p]
        formulas[f"sq_{p}"] = f"=alpha*{c.before[f'sq_{p}']}+(1-alpha)*{g}^2"
        formulas[f"new_{p}"] = f"={c.here[p]}-{c.lr}*{g}/(SQRT({c.here[f'sq_{p}']})+eps)"
    return formulas


def _adam(c: RowCells) -> dict[str, str]:
    t = c.here["t"]
    formulas = {"t": f"={c.before['t']}+1"}
    for p in c.params:
        g, avg, sq = c.grad[p], c.here[f"avg_{p}"], c.here[f"sq_{p}"]
        formulas[f"avg_{p}"] = f"=beta1*{c.before[f'avg_{p}']}+(1-beta1)*{g}"
        formulas[f"sq_{p}"] = f"=beta2*{c.before[f'sq_{p}']}+(1-beta2)*{g}^2"
        formulas[f"new_{p}"] = f"={c.here[p]}-{c.lr}*({avg}/(1-beta1^{t}))/(SQRT({sq}/(1-beta2^{t}))+eps)"
    return formulas


def _adam_hints(p: str) -> dict[str, str]:
    return {
        "t": "steps so far",
        f"avg_{p}": f"beta1·avg + (1-beta1)·de/d{p}",
        f"sq_{p}": f"beta2·sq + (1-beta2)·(de/d{p})^2",
        f"new_{p}": f"{p} - learn·(avg_{p}/(1-beta1^t))/(√(sq_{p}/(1-beta2^t))+eps)",
    }


TEMPLATES: Mapping[str, FormulaTemplate] = {
    template.name: template
    for template in (
        FormulaTemplate("sgd", lambda p: {f"new_{p}": f"{p} - learn·de/d{p}"}, {}, _sgd),
        FormulaTemplate(
            "momentum",
            lambda p: {f"vel_{p}": f"momentum·vel + de/d{p}", f"new_{p}": f"{p} - learn·vel_{p}"},
            {"vel": PREDICTION},
            _momentum,
        ),
        FormulaTemplate(
            "rmsprop",
            lambda p: {
                f"sq_{p}": f"alpha·sq + (1-alpha)·(de/d{p})^2",
                f"new_{p}": f"{p} - learn·de/d{p}/(√sq_{p}+eps)",
            },
            {"sq": PREDICTION},
            _rmsprop,
        ),
        FormulaTemplate("adam", _adam_hints, {"t": INTEGER, "avg": PARAM, "sq": PREDICTION}, _adam),
    )
}
"""Optimizer name -> its formula template."""
