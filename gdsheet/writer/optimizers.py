"""The writer's update rules: one formula template per optimizer.

A template knows an optimizer's state columns (their headers, hints and number formats), its
hyper-parameter cells (each a defined name, so no constant such as 1E-8 is ever written into a
formula, which the `formulas` parser could not read), and how to write one row's update given
the row's cells by column NAME. The reference computes the same rules on its own
(:mod:`gdsheet.reference.optimizers`); the two share only the state names of
:data:`gdsheet.lesson.spec.OPTIMIZER_STATE`. A new optimizer is one :class:`FormulaTemplate` added to
:data:`TEMPLATES` (and one step on the other side).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gdsheet.lesson.spec import OPTIMIZER_STATE
from gdsheet.writer.cells import INTEGER, PARAM, PREDICTION


@dataclass(frozen=True)
class RowCells:
    """What one row's update formulas may refer to.

    ``here``: this row's cells by column name (``here["m"]`` is "E91"); ``before``: where each
    state column starts from (the row above, or its ``X_start`` name on the first row);
    ``grad``: the cells driving the update of m and b (de/dm and de/db, or the estimates).
    """

    here: Mapping[str, str]
    before: Mapping[str, str]
    grad: Mapping[str, str]


Formulas = Callable[[RowCells], dict[str, str]]


@dataclass(frozen=True)
class FormulaTemplate:
    """One optimizer on the workbook side: its state columns, hyper-parameters and row formulas.

    ``rows(cells)`` returns the formulas of ``new_m``, ``new_b`` and every state column.
    ``hypers`` are the defined names of the input cells its formulas read (besides ``learn``).
    """

    name: str
    hypers: tuple[str, ...]
    hints: Mapping[str, str]
    formats: Mapping[str, str]
    rows: Formulas

    @property
    def state(self) -> tuple[str, ...]:
        return OPTIMIZER_STATE[self.name]


def _sgd(c: RowCells) -> dict[str, str]:
    return {f"new_{p}": f"={c.here[p]}-learn*{c.grad[p]}" for p in "mb"}


def _momentum(c: RowCells) -> dict[str, str]:
    formulas = {}
    for p in "mb":
        formulas[f"vel_{p}"] = f"=momentum*{c.before[f'vel_{p}']}+{c.grad[p]}"
        formulas[f"new_{p}"] = f"={c.here[p]}-learn*{c.here[f'vel_{p}']}"
    return formulas


def _rmsprop(c: RowCells) -> dict[str, str]:
    formulas = {}
    for p in "mb":
        g = c.grad[p]
        formulas[f"sq_{p}"] = f"=alpha*{c.before[f'sq_{p}']}+(1-alpha)*{g}^2"
        formulas[f"new_{p}"] = f"={c.here[p]}-learn*{g}/(SQRT({c.here[f'sq_{p}']})+eps)"
    return formulas


def _adam(c: RowCells) -> dict[str, str]:
    t = c.here["t"]
    formulas = {"t": f"={c.before['t']}+1"}
    for p in "mb":
        g, avg, sq = c.grad[p], c.here[f"avg_{p}"], c.here[f"sq_{p}"]
        formulas[f"avg_{p}"] = f"=beta1*{c.before[f'avg_{p}']}+(1-beta1)*{g}"
        formulas[f"sq_{p}"] = f"=beta2*{c.before[f'sq_{p}']}+(1-beta2)*{g}^2"
        formulas[f"new_{p}"] = f"={c.here[p]}-learn*({avg}/(1-beta1^{t}))/(SQRT({sq}/(1-beta2^{t}))+eps)"
    return formulas


TEMPLATES: Mapping[str, FormulaTemplate] = {
    template.name: template
    for template in (
        FormulaTemplate(
            "sgd",
            hypers=(),
            hints={"new_m": "m - learn·de/dm", "new_b": "b - learn·de/db"},
            formats={},
            rows=_sgd,
        ),
        FormulaTemplate(
            "momentum",
            hypers=("momentum",),
            hints={
                "vel_m": "momentum·vel + de/dm",
                "vel_b": "momentum·vel + de/db",
                "new_m": "m - learn·vel_m",
                "new_b": "b - learn·vel_b",
            },
            formats={"vel_m": PREDICTION, "vel_b": PREDICTION},
            rows=_momentum,
        ),
        FormulaTemplate(
            "rmsprop",
            hypers=("alpha", "eps"),
            hints={
                "sq_m": "alpha·sq + (1-alpha)·(de/dm)^2",
                "sq_b": "alpha·sq + (1-alpha)·(de/db)^2",
                "new_m": "m - learn·de/dm/(√sq_m+eps)",
                "new_b": "b - learn·de/db/(√sq_b+eps)",
            },
            formats={"sq_m": PREDICTION, "sq_b": PREDICTION},
            rows=_rmsprop,
        ),
        FormulaTemplate(
            "adam",
            hypers=("beta1", "beta2", "eps"),
            hints={
                "t": "steps so far",
                "avg_m": "beta1·avg + (1-beta1)·de/dm",
                "avg_b": "beta1·avg + (1-beta1)·de/db",
                "sq_m": "beta2·sq + (1-beta2)·(de/dm)^2",
                "sq_b": "beta2·sq + (1-beta2)·(de/db)^2",
                "new_m": "m - learn·(avg_m/(1-beta1^t))/(√(sq_m/(1-beta2^t))+eps)",
                "new_b": "b - learn·(avg_b/(1-beta1^t))/(√(sq_b/(1-beta2^t))+eps)",
            },
            formats={"t": INTEGER, "avg_m": PARAM, "avg_b": PARAM, "sq_m": PREDICTION, "sq_b": PREDICTION},
            rows=_adam,
        ),
    )
}
"""Optimizer name -> its formula template."""
