"""The reference's update rules: one small step object per optimizer, in plain float maths.

These are the reference side of an update rule; the workbook side is the formula templates in
:mod:`gdsheet.writer.optimizers`, and the two share nothing but the state names of
:mod:`gdsheet.lesson.optimizers`. Each step is written from torch.optim's documented update (SGD
with momentum, RMSprop, Adam), not from the formulas, so the check means something. Every step
works on any model's parameters, by name. A new optimizer is one :class:`Step` added to
:data:`STEPS` (and one template on the other side).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gdsheet.lesson.optimizers import optimizer_state

State = dict[str, float]
Params = dict[str, float]


@dataclass(frozen=True)
class Hypers:
    """What a step may read besides the gradient: the learning rate and the hyper-parameters."""

    learn: float
    momentum: float
    alpha: float
    beta1: float
    beta2: float
    eps: float


Update = Callable[[Mapping[str, float], Mapping[str, float], Mapping[str, float], Hypers], tuple[Params, State]]


@dataclass(frozen=True)
class Step:
    """One optimizer's per-sample update: (params, grads, state before) -> (new params, state after).

    ``params`` and ``grads`` are keyed by parameter name (the line's m and b); the state is keyed
    by the names of :func:`gdsheet.lesson.optimizers.optimizer_state` (a missing entry starts at 0).
    """

    name: str
    update: Update

    def state(self, params: Sequence[str]) -> tuple[str, ...]:
        return optimizer_state(self.name, params)


def _sgd(params: Mapping[str, float], grads: Mapping[str, float], state: Mapping[str, float], h: Hypers
         ) -> tuple[Params, State]:  # fmt: skip
    """p -= lr·g."""
    return {p: value - h.learn * grads[p] for p, value in params.items()}, {}


def _momentum(params: Mapping[str, float], grads: Mapping[str, float], state: Mapping[str, float], h: Hypers
              ) -> tuple[Params, State]:  # fmt: skip
    """torch.optim.SGD(momentum=μ, dampening=0): v = μ·v + g; p -= lr·v."""
    new_params, new_state = {}, {}
    for p, value in params.items():
        v = h.momentum * state.get(f"vel_{p}", 0.0) + grads[p]
        new_state[f"vel_{p}"] = v
        new_params[p] = value - h.learn * v
    return new_params, new_state


def _rmsprop(params: Mapping[str, float], grads: Mapping[str, float], state: Mapping[str, float], h: Hypers
             ) -> tuple[Params, State]:  # fmt: skip
    """torch.optim.RMSprop: s = α·s + (1−α)·g²; p -= lr·g/(√s + ε)."""
    new_params, new_state = {}, {}
    for p, value in params.items():
        g = grads[p]
        s = h.alpha * state.get(f"sq_{p}", 0.0) + (1 - h.alpha) * g * g
        new_state[f"sq_{p}"] = s
        new_params[p] = value - h.learn * g / (math.sqrt(s) + h.eps)
    return new_params, new_state


def _adam(params: Mapping[str, float], grads: Mapping[str, float], state: Mapping[str, float], h: Hypers
          ) -> tuple[Params, State]:  # fmt: skip
    """torch.optim.Adam: t += 1; a = β1·a + (1−β1)·g; s = β2·s + (1−β2)·g²;
    p -= lr·(a/(1−β1ᵗ)) / (√(s/(1−β2ᵗ)) + ε)."""
    t = state.get("t", 0.0) + 1
    new_params, new_state = {}, {"t": t}
    for p, value in params.items():
        g = grads[p]
        a = h.beta1 * state.get(f"avg_{p}", 0.0) + (1 - h.beta1) * g
        s = h.beta2 * state.get(f"sq_{p}", 0.0) + (1 - h.beta2) * g * g
        new_state[f"avg_{p}"], new_state[f"sq_{p}"] = a, s
        a_hat, s_hat = a / (1 - h.beta1**t), s / (1 - h.beta2**t)
        new_params[p] = value - h.learn * a_hat / (math.sqrt(s_hat) + h.eps)
    return new_params, new_state


STEPS: Mapping[str, Step] = {
    step.name: step
    for step in (Step("sgd", _sgd), Step("momentum", _momentum), Step("rmsprop", _rmsprop), Step("adam", _adam))
}
"""Optimizer name -> its reference step."""
