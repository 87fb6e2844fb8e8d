"""The numpy reference against the published numbers and against arithmetic done by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdsheet.commands.build import make_lesson
from gdsheet.lesson.spec import load_preset
from gdsheet.reference import oracle as ref
from tests.support.published import DESCENT_ROWS, GRID, table

SEED = load_preset("seed")
X5 = [7, 9, 28, 30, 50]
Y5 = [44, 48, 86, 90, 130]


def shown(value: float, decimals: int) -> str:
    """A number at the sheet's display precision (no published value sits on a rounding tie)."""
    text = f"{value:.{decimals}f}"
    return "0" if text == "-0" else text


def test_grid_matches_the_published_grid() -> None:
    grid = ref.landscape(SEED.grid_m, SEED.grid_b, X5, Y5, "root-sum-square")
    assert [[shown(v, 0) for v in row] for row in grid] == table(GRID)


def test_guess_loss_is_root_of_the_sum_15711() -> None:
    # (8-44)² + (10-48)² + (29-86)² + (31-90)² + (51-130)² = 1296+1444+3249+3481+6241 = 15711
    assert ref.loss_value(1, 1, X5, Y5, "root-sum-square") == pytest.approx(math.sqrt(15711), rel=1e-15)
    assert ref.loss_value(1, 1, X5, Y5, "rmse") == pytest.approx(math.sqrt(15711 / 5), rel=1e-15)


def test_published_descent_rows_with_the_swapped_rule() -> None:
    rows = ref.sgd_epoch(SEED.descent_x, SEED.samples_y, 2.051, 25.075, 0.0001, "swapped", 0.01)
    decimals = (0, 0, 3, 3, 1, 0, 0, 0, 3, 0, 0, 3)
    shown_rows = rows.block(SEED.columns)[:11]
    got = [[shown(v, d) for v, d in zip(row, decimals, strict=True)] for row in shown_rows]
    assert got == table(DESCENT_ROWS)


def test_first_descent_row_by_hand() -> None:
    # x=7, y=44, m=2.051, b=25.075: y_pred = 14.357 + 25.075 = 39.432, residual -4.568
    row = ref.sgd_epoch([7], [44], 2.051, 25.075, 0.0001, "analytic", 0.01).row(0)
    assert row["y_pred"] == pytest.approx(39.432, rel=1e-14)
    assert row["error_sq"] == pytest.approx(20.866624, rel=1e-13)
    assert row["err_m1"] == pytest.approx((2.061 * 7 + 25.075 - 44) ** 2, rel=1e-14)  # (-4.498)² = 20.232004
    assert row["de/dm"] == pytest.approx(2 * 7 * -4.568, rel=1e-13)  # true de/dm = -63.952
    assert row["de/db"] == pytest.approx(2 * -4.568, rel=1e-13)  # true de/db = -9.136
    assert row["new_m"] == pytest.approx(2.051 + 0.0001 * 63.952, rel=1e-14)
    assert row["new_b"] == pytest.approx(25.075 + 0.0001 * 9.136, rel=1e-14)


def test_swapped_rule_exchanges_the_derivatives() -> None:
    true = ref.sgd_epoch([7], [44], 2.051, 25.075, 0.0001, "analytic", 0.01).row(0)
    swapped = ref.sgd_epoch([7], [44], 2.051, 25.075, 0.0001, "swapped", 0.01).row(0)
    assert swapped["de/dm"] == true["de/db"] and swapped["de/db"] == true["de/dm"]


def test_finite_difference_estimates_exceed_the_slope_by_h_x_squared() -> None:
    # ((m+h)x+b-y)² - (mx+b-y)² = 2hx·r + h²x², so the estimate is 2x·r + h·x² (and 2r + h for b)
    x, y, m, b, h = 9.0, 48.0, 1.5, 20.0, 0.01
    r = m * x + b - y
    row = ref.sgd_epoch([x], [y], m, b, 0.0001, "finite-difference", h).row(0)
    est_m, est_b = row["est de/dm"], row["est de/db"]
    assert est_m == pytest.approx(2 * x * r + h * x * x, rel=1e-9)
    assert est_b == pytest.approx(2 * r + h, rel=1e-9)


def test_landscape_broadcasting_equals_a_loop() -> None:
    m_values, b_values = [0.5, 2.0, 3.25], [-1.0, 30.0]
    grid = ref.landscape(m_values, b_values, X5, Y5, "rmse")
    for i, m in enumerate(m_values):
        for j, b in enumerate(b_values):
            assert grid[i, j] == pytest.approx(ref.loss_value(m, b, X5, Y5, "rmse"), rel=1e-15)


def test_summary_loss_over_twenty_rows_shows_17() -> None:
    loss = ref.loss_value(2.051, 25.075, SEED.descent_x, SEED.samples_y, "root-sum-square")
    assert shown(loss, 0) == "17"
    assert 16.5 <= loss < 17.5


def test_seed_rule_diverges_where_the_true_gradient_does_not() -> None:
    seed = ref.run_epochs(SEED, 500)
    corrected = ref.run_epochs(load_preset("corrected"), 500)
    seed_loss = np.array([r.rmse for r in seed])
    corrected_loss = np.array([r.rmse for r in corrected])
    assert seed_loss.argmin() < 100 < 500  # it reaches its best early ...
    assert seed_loss[-1] > 100 * seed_loss.min()  # ... then climbs out and explodes
    assert abs(seed[-1].m) > 50
    assert np.all(np.diff(corrected_loss) < 0)  # the true gradient keeps going down


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"preset": "seed"},  # the swapped rule, root-sum-square
        {"gradient": "finite-difference"},
        {"optimizer": "adam", "learn": 0.1},
        {"optimizer": "momentum", "batch_size": 4, "schedule": "step", "decay": 0.5, "step_epochs": 2},
        {"model": "logistic", "optimizer": "rmsprop"},
        {"model": "mlp", "hidden": 3, "activation": "sigmoid"},
    ],
)
def test_the_log_replay_ends_each_epoch_where_the_table_does(options: dict[str, object]) -> None:
    """`check`'s epoch-log replay (:func:`ref.lesson_epoch_ends`, no table, Python floats) lands
    on the table's last row and state, bit for bit, epoch after epoch; a start that overflows
    (Python's floats raise, numpy's give inf) too."""
    options = dict(options)
    lesson = make_lesson(options.pop("preset", "corrected"), model=options.pop("model", None))  # type: ignore[arg-type]
    lesson = lesson.with_overrides(**options) if options else lesson
    end = ref.lesson_epoch_ends(lesson)
    start, state = lesson.values_of("start"), {}
    for epoch in range(1, 6):
        table, want_state = ref.lesson_epoch(lesson, start, state, epoch)
        got, got_state = end(start, state, epoch)
        assert got == {p: table.last(f"new_{p}") for p in lesson.params} and got_state == want_state
        start, state = got, got_state
    with np.errstate(all="ignore"):
        table, want_state = ref.lesson_epoch(lesson, dict.fromkeys(lesson.params, 1e200), {}, 1)
        got, got_state = end(dict.fromkeys(lesson.params, 1e200), {}, 1)
    want = [table.last(f"new_{p}") for p in lesson.params] + list(want_state.values())
    np.testing.assert_array_equal([*got.values(), *got_state.values()], want)  # nan equals nan here
