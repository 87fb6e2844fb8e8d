"""The one-hidden-layer network as formulas, one variant per activation (``mlp/tanh`` …).

In the descent table the forward pass is written out (a_j = h{j}_w1*x1+…+h{j}_b, h_j = act(a_j),
y_pred = out_w1*h1+…+out_b, each from the cells before it) and so is the backward pass
(dE/dy_pred = 2*(y_pred-y), dE/da_j = dE/dy_pred*out_wj*act′(a_j)); each slope is then one product
of two cells. Where one formula must hold the whole network (the loss grid, the loss cells, the
shifted errors of the finite-difference rule) :func:`prediction` writes it inline, with the
activations spelled so that they work element by element inside SUMPRODUCT: TANH(a),
logistic's sigmoid (which never overflows), and relu as (a+ABS(a))/2 (MAX would take the whole array's maximum).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from gdsheet.writer.models import logistic
from gdsheet.writer.models.base import FormulaModel, squared_error

ACTIVATION: Mapping[str, Callable[[str], str]] = {
    "tanh": lambda a: f"TANH({a})",
    "sigmoid": logistic.sigmoid,
    "relu": lambda a: f"(({a})+ABS({a}))/2",
}
"""Each activation of a pre-activation's formula text."""

SLOPE_OF_ACTIVATION: Mapping[str, Callable[[str, str], str]] = {
    "tanh": lambda a, h: f"(1-{h}^2)",
    "sigmoid": lambda a, h: f"{h}*(1-{h})",
    "relu": lambda a, h: f"IF({a}>0,1,0)",
}
"""act′(a_j) from the cells of a_j and h_j: 1 − h², h(1 − h), and relu′ = 1 for a > 0 else 0."""

HINT = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu"}


def _units(p: Mapping[str, str]) -> range:
    return range(1, sum(1 for name in p if name.startswith("out_w")) + 1)


def _shifted(p: Mapping[str, str], name: str, shift: str | None) -> str:
    return f"({p[name]}+fd_step)" if shift == name else p[name]


def pre_activation(j: int, x: Sequence[str], p: Mapping[str, str], shift: str | None = None) -> str:
    """a_j = h{j}_w1*x1+…+h{j}_b, one parameter raised by fd_step when shifted."""
    terms = [f"{_shifted(p, f'h{j}_w{i}', shift)}*{xi}" for i, xi in enumerate(x, start=1)]
    return "+".join([*terms, _shifted(p, f"h{j}_b", shift)])


def variant(activation: str) -> FormulaModel:
    """The network's formula templates for one activation."""
    act, slope_of_act = ACTIVATION[activation], SLOPE_OF_ACTIVATION[activation]

    def prediction(x: Sequence[str], p: Mapping[str, str], shift: str | None = None) -> str:
        """out_w1*act(a1)+…+out_b, the whole forward pass in one formula."""
        terms = [f"{_shifted(p, f'out_w{j}', shift)}*{act(pre_activation(j, x, p, shift))}" for j in _units(p)]
        return "+".join([*terms, _shifted(p, "out_b", shift)])

    def columns(x: Sequence[str], p: Mapping[str, str], here: Mapping[str, str]) -> dict[str, str]:
        """The forward and backward passes' cells of one row, and y_pred from the h_j cells."""
        units = _units(p)
        formulas = {f"a{j}": f"={pre_activation(j, x, p)}" for j in units}
        formulas |= {f"h{j}": f"={act(here[f'a{j}'])}" for j in units}
        formulas["y_pred"] = "=" + "+".join([*(f"{p[f'out_w{j}']}*{here[f'h{j}']}" for j in units), p["out_b"]])
        formulas["dE/dy_pred"] = f"=2*({here['y_pred']}-{here['y']})"
        for j in units:
            formulas[f"dE/da{j}"] = (
                f"={here['dE/dy_pred']}*{p[f'out_w{j}']}*{slope_of_act(here[f'a{j}'], here[f'h{j}'])}"
            )
        return formulas

    def slope(param: str, x: Sequence[str], residual: str, here: Mapping[str, str] | None = None) -> str:
        """dE/dout_wj = dE/dy_pred·h_j, dE/dout_b = dE/dy_pred, dE/dh{j}_w{i} = dE/da_j·x_i,
        dE/dh{j}_b = dE/da_j: one product of the row's cells."""
        assert here is not None, "the network's slopes read the row's backward pass"
        if param == "out_b":
            return here["dE/dy_pred"]
        if param.startswith("out_w"):
            return f"{here['dE/dy_pred']}*{here[f'h{param[5:]}']}"
        unit, weight = param[1:].split("_", 1)
        if weight == "b":
            return here[f"dE/da{unit}"]
        return f"{here[f'dE/da{unit}']}*{x[int(weight[1:]) - 1]}"

    def hints(params: Sequence[str]) -> Mapping[str, str]:
        units = range(1, sum(1 for name in params if name.startswith("out_w")) + 1)
        text = {"y_pred": "Σ out_wj·hj + out_b", "error_sq": "(y_pred-y)^2", "dE/dy_pred": "2(y_pred-y)"}
        derivative = {"tanh": "(1-hj²)", "sigmoid": "hj(1-hj)", "relu": "(aj>0)"}[activation]
        for j in units:
            text |= {f"a{j}": f"h{j}_w·x+h{j}_b", f"h{j}": f"{HINT[activation]}(a{j})",
                     f"dE/da{j}": f"dE/dy_pred·out_w{j}·{derivative.replace('j', str(j))}"}  # fmt: skip
            text |= {f"de/dout_w{j}": f"dE/dy_pred·h{j}", f"de/dh{j}_b": f"dE/da{j}"}
        for name in params:
            text[f"err_{name}1"] = f"error with {name}+h"
            if name.startswith("h") and "_w" in name:
                unit, weight = name[1:].split("_w")
                text[f"de/d{name}"] = f"dE/da{unit}·x{weight}"
        return text | {"de/dout_b": "dE/dy_pred"}

    return FormulaModel(
        f"mlp/{activation}", prediction, slope, hints, squared_error(prediction),
        "the network's curve at its start weights", "0.0000", columns=columns,
    )  # fmt: skip


VARIANTS = tuple(variant(activation) for activation in ACTIVATION)
