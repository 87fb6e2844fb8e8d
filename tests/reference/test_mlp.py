"""The network's reference: its backpropagation against the chain rule's meaning (central finite
differences of the squared error, and the table's backward columns), for each activation; and,
when torch is importable, against torch.autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdsheet.commands.build import make_lesson
from gdsheet.lesson.models import MODELS as SPECS
from gdsheet.reference.models import MODELS
from gdsheet.reference.oracle import lesson_epoch

PARAMS = {"h1_w1": 0.4, "h1_w2": -0.7, "h2_w1": 0.9, "h2_w2": 0.3, "h1_b": 0.1, "h2_b": -0.2,
          "out_w1": 1.1, "out_w2": -0.6, "out_b": 0.05}  # fmt: skip
ACT = {"tanh": math.tanh, "sigmoid": lambda a: 1 / (1 + math.exp(-a)), "relu": lambda a: max(a, 0.0)}


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_backpropagation_is_the_slope_of_the_error(activation: str) -> None:
    model = MODELS[f"mlp/{activation}"]
    for x, y in (([0.3, 1.2], 1.0), ([-0.8, 0.5], 0.0), ([1.5, -1.1], 0.4)):
        a = [PARAMS["h1_w1"] * x[0] + PARAMS["h1_w2"] * x[1] + PARAMS["h1_b"],
             PARAMS["h2_w1"] * x[0] + PARAMS["h2_w2"] * x[1] + PARAMS["h2_b"]]  # fmt: skip
        y_pred = PARAMS["out_w1"] * ACT[activation](a[0]) + PARAMS["out_w2"] * ACT[activation](a[1]) + PARAMS["out_b"]
        assert model.predict(PARAMS, x, None, 0.0) == pytest.approx(y_pred, rel=1e-15)
        grads = model.slopes(PARAMS, x, y_pred - y)
        assert list(grads) == list(SPECS["mlp"].params(2, 2))
        for name in PARAMS:
            h = 1e-6
            up = model.error(PARAMS, x, y, name, h)
            down = model.error(PARAMS, x, y, name, -h)
            assert grads[name] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9), (activation, name)


def test_the_backward_columns_chain_to_the_slopes() -> None:
    lesson = make_lesson(model="mlp", data=None, activation="sigmoid", hidden=3)
    table, _ = lesson_epoch(lesson, lesson.values_of("start"), {})
    x = table.column("x1")
    d_y = table.column("dE/dy_pred")
    np.testing.assert_allclose(d_y, 2 * (table.column("y_pred") - table.column("y")), rtol=1e-15)
    for j in (1, 2, 3):
        h = table.column(f"h{j}")
        np.testing.assert_allclose(h, 1 / (1 + np.exp(-table.column(f"a{j}"))), rtol=1e-15)
        np.testing.assert_allclose(table.column(f"de/dout_w{j}"), d_y * h, rtol=1e-15)
        d_a = table.column(f"dE/da{j}")
        np.testing.assert_allclose(d_a, d_y * table.column(f"out_w{j}") * h * (1 - h), rtol=1e-15)
        np.testing.assert_allclose(table.column(f"de/dh{j}_w1"), d_a * x, rtol=1e-15)
        np.testing.assert_allclose(table.column(f"de/dh{j}_b"), d_a, rtol=1e-15)


def test_relu_slope_is_one_above_zero_and_zero_at_or_below() -> None:
    model = MODELS["mlp/relu"]
    p = dict(PARAMS, h1_w1=1.0, h1_w2=0.0, h1_b=0.0)  # a1 = x1
    for x1, on in ((0.5, True), (0.0, False), (-0.5, False)):
        columns = model.columns(p, [x1, 0.2], 1.0)
        d_y = columns["dE/dy_pred"]
        assert columns["dE/da1"] == (d_y * p["out_w1"] if on else 0.0)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_per_sample_gradients_match_torch_autograd(activation: str) -> None:
    torch = pytest.importorskip("torch")
    lesson = make_lesson(model="mlp", data=None, activation=activation)
    table, _ = lesson_epoch(lesson, lesson.values_of("start"), {})
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[activation]
    x = torch.tensor(table.column("x1"), dtype=torch.float64)
    y = torch.tensor(table.column("y"), dtype=torch.float64)
    p = {name: torch.tensor(table.column(name), dtype=torch.float64, requires_grad=True) for name in lesson.params}
    hidden = [act(p[f"h{j}_w1"] * x + p[f"h{j}_b"]) for j in (1, 2)]
    y_pred = p["out_w1"] * hidden[0] + p["out_w2"] * hidden[1] + p["out_b"]
    ((y_pred - y) ** 2).sum().backward()
    for name in lesson.params:
        np.testing.assert_allclose(table.column(f"de/d{name}"), p[name].grad.numpy(), rtol=1e-12, err_msg=name)
