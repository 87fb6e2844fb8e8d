"""Every sentence a workbook shows is true of it: counts, rules, loss and computed numbers follow the options."""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.commands.build import build, make_lesson
from gdsheet.engine.evaluator import defined_areas
from gdsheet.lesson.spec import Lesson, preset_names
from gdsheet.reference.oracle import run_epochs
from gdsheet.writer.text import HORIZON, lesson_texts

RULES = [
    ("analytic", "sgd"),
    ("finite-difference", "sgd"),
    ("swapped", "sgd"),
    *(("analytic", o) for o in ("momentum", "rmsprop", "adam")),
]
LEARN = {"sgd": 0.0001, "momentum": 0.00001, "rmsprop": 0.05, "adam": 0.1}
OPTIMIZER_PHRASES = {
    "momentum": "hands them to momentum",
    "rmsprop": "hands them to RMSprop",
    "adam": "hands them to Adam",
}
GRID = list(itertools.product(("corrected", "seed"), RULES, ("rmse", "root-sum-square"), (None, 7)))


def losses(lesson: Lesson) -> np.ndarray:
    return np.array([r.rmse for r in run_epochs(lesson, HORIZON)])


@pytest.mark.parametrize(("preset", "rule", "loss", "samples"), GRID)
def test_no_sentence_contradicts_the_options(
    preset: str, rule: tuple[str, str], loss: str, samples: int | None
) -> None:
    gradient, optimizer = rule
    lesson = make_lesson(
        preset, gradient=gradient, optimizer=optimizer, loss=loss, samples=samples, learn=LEARN[optimizer]
    )
    texts = lesson_texts(lesson)
    everything = "\n".join(texts.values())
    assert "{" not in everything and "}" not in everything
    n = len(lesson.descent_x)
    assert re.findall(r"holds ([\d,]+) samples", everything) == [str(n)]
    # the loss
    assert ("root mean squared error" in everything) == (loss == "rmse")
    assert ("No mean is taken" in everything) == (loss == "root-sum-square")
    assert ("although it is not a mean" in everything) == (loss == "root-sum-square" and preset == "seed")
    # the update rule
    assert ("derivatives are swapped" in everything) == (gradient == "swapped")
    assert ("uses estimated slopes" in everything) == (gradient == "finite-difference")
    for name, phrase in OPTIMIZER_PHRASES.items():
        assert (phrase in everything) == (name == optimizer), name
    assert ("optimizer's state" in everything) == (optimizer != "sgd")
    assert ("The Live sheet repeats the table" in everything) == bool(lesson.live_epochs)
    # numbers from the reference: where the published rule bottoms out, and whether ours always falls
    swapped = losses(dataclasses.replace(lesson, gradient="swapped", optimizer="sgd"))
    low = int(np.argmin(swapped))
    climbs = np.all(np.isfinite(swapped)) and 0 < low < HORIZON - 1 and swapped[-1] > 2 * swapped[low]
    said = re.findall(r"bottoms out at epoch (\d+)", everything)
    assert said == ([str(low + 1)] if climbs else [])
    own = losses(lesson)
    falls = bool(np.all(np.isfinite(own)) and np.all(np.diff(own) < 0))
    assert (f"falls at every one of the first {HORIZON} epochs" in everything) == falls


def test_the_published_numbers_are_what_the_seed_says() -> None:
    descent = lesson_texts(make_lesson("seed"))["descent"]
    assert "bottoms out at epoch 27 (at 4.262)" in descent and "at epoch 500 it is 3576" in descent
    assert "holds 20 samples" in descent


def test_the_workbook_shows_the_rendered_texts(tmp_path: Path) -> None:
    path = build(tmp_path / "adam.xlsx", optimizer="adam", learn=0.1, samples=9, noise=1.5, seed=2, live_epochs=2)
    lesson = make_lesson(optimizer="adam", learn=0.1, samples=9, noise=1.5, seed=2, live_epochs=2)
    shown = {
        c.value for row in openpyxl.load_workbook(path)["Lesson"].iter_rows() for c in row if isinstance(c.value, str)
    }
    texts = lesson_texts(lesson)
    assert {texts[key] for key in ("intro", "data", "guess", "error", "landscape", "descent")} <= shown
    assert (
        "holds 9 samples, evenly spaced along the line, plus Gaussian noise (standard deviation 1.5, seed 2)"
        in texts["descent"]
    )
    assert not any("{" in text for text in shown)


@pytest.mark.parametrize("field", ["optimizer", "model"])
def test_an_unknown_optimizer_or_model_has_no_sentence(field: str) -> None:
    """A rule the text code does not know is an error, never another rule's sentence (Adam's was the default)."""
    from gdsheet.errors import GdsheetError
    from gdsheet.writer.text import update_rule

    lesson = make_lesson()
    object.__setattr__(lesson, field, "lion")  # past validation, as a registry entry without text would be
    with pytest.raises(GdsheetError, match=r"no sentence for the .* 'lion'"):
        update_rule(lesson)


@pytest.mark.parametrize(
    ("preset", "options"),
    [
        *((preset, {}) for preset in preset_names()),
        ("corrected", {"optimizer": "adam", "learn": 0.1, "live_epochs": 0}),
        ("corrected", {"batch_size": 4}),
    ],
)
def test_the_controls_say_how_to_play_an_epoch_in_words(tmp_path: Path, preset: str, options: dict) -> None:
    """Cells are read in a spreadsheet: the controls say how to play an epoch by hand (paste the new
    parameters as values), on the Live sheet when there is one, and name gdsheet run as the headless
    way; no cell text carries Markdown backticks."""
    path = build(tmp_path / "lesson.xlsx", preset, **options)
    lesson = make_lesson(preset, **options)
    book = openpyxl.load_workbook(path)
    shown = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert [text for text in shown if "`" in text] == []
    (note,) = [text for text in shown if text.startswith("One epoch by hand")]
    assert "from the table's last row and paste them as values" in note
    assert all(f"new {p}" in note for p in lesson.params), note
    assert ("the Live sheet plays" in note) == bool(lesson.live_epochs)
    assert ("each state column's last value" in note) == bool(lesson.state)
    assert f"gdsheet run plays {lesson.epochs:,} epochs" in note
    areas = defined_areas(book)
    note_cell = next(c for row in book["Lesson"].iter_rows() for c in row if c.value == note)
    assert areas["epochs"].min_row < note_cell.row < areas["descent"].min_row  # among the controls


@pytest.mark.parametrize(
    ("model", "options"),
    [("logistic", {}), ("logistic", {"samples": 30, "features": 2}), ("linear", {"samples": 20}), ("linear", {})],
)
def test_the_text_names_every_parameter_and_says_where_the_grid_is_lowest(model: str, options: dict) -> None:
    """A two-input logistic lesson was written as if it had one input ("z = w1·x1 + b", "did not know w1
    and b"), and a lesson whose grid is no slice lost its lowest-cell sentence with the slice note."""
    lesson = make_lesson(model=model, **options)
    texts = lesson_texts(lesson)
    listed = ", ".join(lesson.params[:-1]) + " and " + lesson.params[-1]
    weighted = " + ".join(f"{w}·x{w[1:]}" for w in lesson.params[:-1]) + " + b"
    assert weighted in texts["intro"]
    assert f"did not know {listed}" in texts["guess"] or "did not know the parameters" in texts["guess"]
    for p in lesson.params:
        assert f"{p} = " in texts["guess"], p
    best = re.findall(r"Its lowest cell is at (\w+) = (\S+), (\w+) = (\S+) \(loss", texts["landscape"])
    assert [(rows, cols) for rows, _, cols, _ in best] == [lesson.landscape]
