"""The reference's update rules: one small step object per optimizer, in plain float maths.

These are the reference side of an update rule; the workbook side is the formula templates in
:mod:`gdsheet.writer.optimizers`, and the two share nothing but the state names in
:data:`gdsheet.lesson.spec.OPTIMIZER_STATE`. Each step is written from torch.optim's documented
update (SGD with momentum, RMSprop, Adam), not from the formulas, so the check means something.
A new optimizer is one :class:`Step` added to :data:`STEPS` (and one template on the other side).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gdsheet.lesson.spec import OPTIMIZER_STATE

State = dict[str, float]
Pair = tuple[float, float]


@dataclass(frozen=True)
class Hypers:
    """What a step may read besides the gradient: the learning rate and the hyper-parameters."""

    learn: float
    momentum: float
    alpha: float
    beta1: float
    beta2: float
    eps: float


@dataclass(frozen=True)
class Step:
    """One optimizer's per-sample update: (params, grads, state before) -> (new params, state after).

    ``params`` and ``grads`` are (m, b) and (dm, db); the state is keyed by the names in
    :data:`~gdsheet.lesson.spec.OPTIMIZER_STATE` (a missing entry starts at 0).
    """

    name: str
    update: Callable[[Pair, Pair, Mapping[str, float], Hypers], tuple[Pair, State]]

    @property
    def state(self) -> tuple[str, ...]:
        return OPTIMIZER_STATE[self.name]


def _sgd(params: Pair, grads: Pair, state: Mapping[str, float], h: Hypers) -> tuple[Pair, State]:
    """p -= lr·g."""
    (m, b), (gm, gb) = params, grads
    return (m - h.learn * gm, b - h.learn * gb), {}


def _momentum(params: Pair, grads: Pair, state: Mapping[str, float], h: Hypers) -> tuple[Pair, State]:
    """torch.optim.SGD(momentum=μ, dampening=0): v = μ·v + g; p -= lr·v."""
    new_params, new_state = [], {}
    for p, g, key in zip(params, grads, ("vel_m", "vel_b"), strict=True):
        v = h.momentum * state.get(key, 0.0) + g
        new_state[key] = v
        new_params.append(p - h.learn * v)
    return (new_params[0], new_params[1]), new_state


def _rmsprop(params: Pair, grads: Pair, state: Mapping[str, float], h: Hypers) -> tuple[Pair, State]:
    """torch.optim.RMSprop: s = α·s + (1−α)·g²; p -= lr·g/(√s + ε)."""
    new_params, new_state = [], {}
    for p, g, key in zip(params, grads, ("sq_m", "sq_b"), strict=True):
        s = h.alpha * state.get(key, 0.0) + (1 - h.alpha) * g * g
        new_state[key] = s
        new_params.append(p - h.learn * g / (math.sqrt(s) + h.eps))
    return (new_params[0], new_params[1]), new_state


def _adam(params: Pair, grads: Pair, state: Mapping[str, float], h: Hypers) -> tuple[Pair, State]:
    """torch.optim.Adam: t += 1; a = β1·a + (1−β1)·g; s = β2·s + (1−β2)·g²;
    p -= lr·(a/(1−β1ᵗ)) / (√(s/(1−β2ᵗ)) + ε)."""
    t = state.get("t", 0.0) + 1
    new_params, new_state = [], {"t": t}
    for p, g, suffix in zip(params, grads, ("m", "b"), strict=True):
        a = h.beta1 * state.get(f"avg_{suffix}", 0.0) + (1 - h.beta1) * g
        s = h.beta2 * state.get(f"sq_{suffix}", 0.0) + (1 - h.beta2) * g * g
        new_state[f"avg_{suffix}"], new_state[f"sq_{suffix}"] = a, s
        a_hat, s_hat = a / (1 - h.beta1**t), s / (1 - h.beta2**t)
        new_params.append(p - h.learn * a_hat / (math.sqrt(s_hat) + h.eps))
    return (new_params[0], new_params[1]), new_state


STEPS: Mapping[str, Step] = {
    step.name: step
    for step in (Step("sgd", _sgd), Step("momentum", _momentum), Step("rmsprop", _rmsprop), Step("adam", _adam))
}
"""Optimizer name -> its reference step."""
