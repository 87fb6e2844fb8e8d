"""The optimizers a lesson can use, and the state each carries, for any model's parameters.

Both sides build their state columns from these names: ``t`` (Adam's step count) once, and
one column per parameter p and per kind of state: ``vel_p`` (momentum's velocity), ``avg_p``
(a running mean of the gradient), ``sq_p`` (a running mean of its square). The update rules
themselves live on each side (:mod:`gdsheet.writer.optimizers`, :mod:`gdsheet.reference.optimizers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

HYPER_PARAMETERS = {"momentum": 0.9, "alpha": 0.99, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
"""Each optimizer hyper-parameter and its default, torch.optim's (SGD momentum, RMSprop, Adam)."""


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer's names: the state it keeps once (``shared``), per parameter (``per_param``
    prefixes), and the hyper-parameters it reads besides ``learn``."""

    name: str
    shared: tuple[str, ...]
    per_param: tuple[str, ...]
    hypers: tuple[str, ...]

    def state(self, params: Sequence[str]) -> tuple[str, ...]:
        """The state columns for these parameters, in table order: shared, then each kind per parameter."""
        return self.shared + tuple(f"{kind}_{p}" for kind in self.per_param for p in params)


OPTIMIZER_SPECS: Mapping[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (
        OptimizerSpec("sgd", (), (), ()),
        OptimizerSpec("momentum", (), ("vel",), ("momentum",)),
        OptimizerSpec("rmsprop", (), ("sq",), ("alpha", "eps")),
        OptimizerSpec("adam", ("t",), ("avg", "sq"), ("beta1", "beta2", "eps")),
    )
}
"""Optimizer name -> its names (state and hyper-parameters)."""

OPTIMIZERS = tuple(OPTIMIZER_SPECS)


def optimizer_state(optimizer: str, params: Sequence[str]) -> tuple[str, ...]:
    """The state columns ``optimizer`` carries from row to row for ``params``."""
    return OPTIMIZER_SPECS[optimizer].state(params)
