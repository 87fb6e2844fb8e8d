"""The logistic model's reference: its loss, slopes and accuracy against the textbook formulas
written out here, finite for any finite z, and (when torch is importable) against torch.autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdsheet.commands.build import make_lesson
from gdsheet.reference.models import MODELS
from gdsheet.reference.oracle import lesson_epoch, model_accuracy, model_loss

LOGISTIC = MODELS["logistic"]


def test_loss_and_slopes_are_the_textbook_ones() -> None:
    p = {"w1": 0.7, "b": -1.3}
    for x, y in ((0.5, 0.0), (2.0, 1.0), (4.0, 0.0)):
        prob = 1 / (1 + math.exp(-(0.7 * x - 1.3)))
        assert LOGISTIC.predict(p, [x], None, 0.0) == pytest.approx(prob, rel=1e-15)
        want = -(y * math.log(prob) + (1 - y) * math.log(1 - prob))
        assert LOGISTIC.error(p, [x], y, None, 0.0) == pytest.approx(want, rel=1e-14)
        assert LOGISTIC.slopes(p, [x], prob - y) == pytest.approx({"w1": x * (prob - y), "b": prob - y}, rel=1e-15)


def test_the_loss_stays_finite_where_ln_p_would_not() -> None:
    for z in (-800.0, 800.0):
        for y in (0.0, 1.0):
            loss = float(LOGISTIC.error({"w1": 0.0, "b": z}, [1.0], y, None, 0.0))
            assert math.isfinite(loss)
            assert loss == pytest.approx(abs(z) if (z > 0) != (y == 1) else 0.0, abs=1e-300)


def test_accuracy_is_the_share_of_samples_on_the_right_side() -> None:
    x, y = [(-1.0, 0.5, 2.0, 3.0)], (0.0, 1.0, 0.0, 1.0)
    assert model_accuracy("logistic", {"w1": 1.0, "b": 0.0}, x, y) == 0.75  # only x = 2 is on the wrong side
    assert model_accuracy("logistic", {"w1": 1.0, "b": -1.0}, x, y) == 0.5
    assert model_accuracy("logistic", {"w1": 1.0, "b": -2.5}, x, y) == 0.75
    assert model_accuracy("line", {"m": 1.0, "b": 0.0}, x, y) is None
    assert model_loss("logistic", {"w1": 0.0, "b": 0.0}, x, y, "log-loss") == pytest.approx(math.log(2))


def test_per_sample_gradients_match_torch_autograd() -> None:
    torch = pytest.importorskip("torch")
    lesson = make_lesson(model="logistic")
    table, _ = lesson_epoch(lesson, lesson.values_of("start"), {})
    x = torch.tensor(table.column("x1"), dtype=torch.float64)
    y = torch.tensor(table.column("y"), dtype=torch.float64)
    w = torch.tensor(table.column("w1"), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(table.column("b"), dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(w * x + b, y, reduction="sum")
    loss.backward()
    np.testing.assert_allclose(table.column("de/dw1"), w.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(table.column("de/db"), b.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(table.column("error_sq"), torch.nn.functional.binary_cross_entropy_with_logits(
        w * x + b, y, reduction="none").detach().numpy(), rtol=1e-12)  # fmt: skip
