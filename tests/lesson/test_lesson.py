"""The lesson model: presets load, overrides apply, bad settings are refused."""

from __future__ import annotations

import math

import pytest

from gdsheet.errors import GdsheetError
from gdsheet.lesson.spec import lesson_from_toml, load_preset, preset_names


def test_presets_are_shipped() -> None:
    assert preset_names() == ["corrected", "linear", "logistic", "mlp", "seed"]


def test_seed_preset_is_the_published_lesson() -> None:
    seed = load_preset("seed")
    assert seed.data_x == (7, 9, 28, 30, 50)
    assert (seed.m_actual, seed.b_actual, seed.m_guess, seed.b_guess) == (2, 30, 1, 1)
    assert seed.grid_m == tuple(range(1, 9)) and seed.grid_b == tuple(range(0, 31, 3))
    assert len(seed.descent_x) == 20 and seed.descent_x[:11] == (7, 9, 28, 30, 50, 22, 3, 9, 30, 23, 40)
    assert (seed.learn, seed.epochs, seed.gradient, seed.loss) == (0.0001, 5, "swapped", "root-sum-square")
    assert seed.samples_y == tuple(2 * x + 30 for x in seed.descent_x)


def test_corrected_preset_is_the_default_rules() -> None:
    corrected = load_preset("corrected")
    assert (corrected.gradient, corrected.loss, corrected.loss_label) == ("analytic", "rmse", "RMSE")


def test_overrides_apply_and_none_keeps_the_preset() -> None:
    lesson = load_preset("seed").with_overrides(m_start=2.051, b_start=None, learn=0.001)
    assert (lesson.m_start, lesson.b_start, lesson.learn) == (2.051, 1, 0.001)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("learn", 0.0, "learn must be > 0"),
        ("learn", -1.0, "learn must be > 0"),
        ("learn", math.inf, "learn must be a finite number"),
        ("epochs", 0, "epochs must be a whole number from 1 to 1,000,000, got 0"),
        ("m_start", math.nan, "m_start must be a finite number"),
        ("b_start", -math.inf, "b_start must be a finite number"),
        ("gradient", "steepest", "gradient must be one of"),
    ],
)
def test_bad_settings_are_refused(setting: str, value: object, message: str) -> None:
    with pytest.raises(GdsheetError, match=message):
        load_preset("corrected").with_overrides(**{setting: value})


def test_unknown_preset_names_the_choices() -> None:
    with pytest.raises(GdsheetError, match="choose one of: corrected, linear, logistic, mlp, seed"):
        load_preset("nope")


def test_broken_preset_file_is_one_clear_error() -> None:
    with pytest.raises(GdsheetError, match=r"mine\.toml: missing setting 'line'"):
        lesson_from_toml('name = "x"\n', "mine.toml")
    with pytest.raises(GdsheetError, match=r"mine\.toml: not valid TOML"):
        lesson_from_toml("name = ", "mine.toml")
