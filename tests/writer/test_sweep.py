"""Sweeps (``--sweep RATES``, ``--compare OPTIMIZERS``): a Sweep sheet unrolls the live epochs once
per variant from the same start on the same samples; ``sweep_log`` gives each variant's loss per
epoch; LibreOffice and both engines agree with the reference on every cell, a variant equals the
same lesson built with that rate or optimizer, and a diverging variant is named, not a broken chart."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.commands.build import build, make_lesson
from gdsheet.commands.check import check_workbook
from gdsheet.commands.lesson_reader import lesson_from_workbook
from gdsheet.commands.run import run
from gdsheet.engine.evaluator import Evaluator
from gdsheet.errors import GdsheetError
from tests.support.cli_inprocess import run_cli
from tests.support.libreoffice import assert_equals_reference, assert_tampering_caught, recalculate_many

RATES = (0.0001, 0.0003, 0.0016)  # the last diverges on the default lesson
CASES = {
    "rates": {"sweep": RATES},
    "optimizers": {"compare": ("sgd", "momentum", "adam"), "learn": 0.0002, "batch_size": 3},
    "both": {"compare": ("rmsprop", "adam"), "sweep": (0.05, 0.5), "optimizer": "momentum"},
    "logistic": {"model": "logistic", "sweep": (0.1, 0.2, 0.5, 0.8, 1, 2)},
}


@pytest.fixture(scope="module")
def sweep_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("sweep")
    return {key: build(out / f"sweep-{key}.xlsx", live_epochs=10, **options) for key, options in CASES.items()}


def _log(path: Path) -> np.ndarray:
    return np.array(Evaluator(path).values({}, ["sweep_log"])["sweep_log"], dtype=object)


@pytest.mark.parametrize("key", CASES)
def test_check_covers_every_sweep_cell(sweep_books: dict, key: str) -> None:
    path = sweep_books[key]
    report = check_workbook(path)
    assert report.ok and not report.unchecked, report.mismatches[:3]
    ev = Evaluator(path)
    variants = make_lesson(live_epochs=10, **CASES[key]).sweep
    assert ev.area("sweep_log").shape == (10, 1 + len(variants))
    sweep_cells = {cell for cell in ev.formula_cells() if cell[0] == "Sweep"}
    assert len(sweep_cells) > 10 * 20 * len(variants)  # every variant's table is formulas
    assert lesson_from_workbook(ev).sweep == variants  # read back from the names


def test_a_variant_is_the_lesson_built_with_its_rate(sweep_books: dict, tmp_path: Path) -> None:
    """Workbook against workbook: the sweep's 0.0003 column is the live log of the lesson built with
    learn 0.0003, and its adam column is the lesson built with --optimizer adam."""
    log = _log(sweep_books["rates"])
    alone = build(tmp_path / "alone.xlsx", learn=RATES[1], live_epochs=10)
    live = np.array(Evaluator(alone).values({}, ["live_log"])["live_log"], dtype=float)
    np.testing.assert_allclose(log[:, 2].astype(float), live[:, 3], rtol=1e-12)
    log = _log(sweep_books["optimizers"])
    adam = build(tmp_path / "adam.xlsx", optimizer="adam", learn=0.0002, batch_size=3, live_epochs=10)
    live = np.array(Evaluator(adam).values({}, ["live_log"])["live_log"], dtype=float)
    np.testing.assert_allclose(log[:, 3].astype(float), live[:, 3], rtol=1e-12)


def test_a_diverging_variant_is_named_and_the_chart_stays_readable(sweep_books: dict) -> None:
    path = sweep_books["rates"]
    log = _log(path)
    last = log[-1, 3]
    assert isinstance(last, str) or last > 1e3 * float(log[-1, 1])  # it ran away (or overflowed to #NUM!)
    text = openpyxl.load_workbook(path)["Sweep"]["B2"].value
    assert "Diverged at the built inputs" in text and text.rstrip(".").endswith("sgd lr=0.0016")
    with zipfile.ZipFile(path) as archive:
        chart = _sweep_chart(archive)
    assert len(re.findall(r"<(?:c:)?ser>", chart)) == len(RATES)  # one series per variant
    assert re.search(r'<(?:c:)?logBase val="10"', chart)  # 1 to 10^4: decades
    top = float(re.findall(r'<(?:c:)?max val="([^"]+)"', chart)[-1])
    assert top <= 1e4  # capped near 10x the start loss, not at the diverging curve's 1e8 and beyond


def _sweep_chart(archive: zipfile.ZipFile) -> str:
    """The chart part whose series read the Sweep sheet."""
    for name in archive.namelist():
        if name.startswith("xl/charts/chart"):
            text = archive.read(name).decode()
            if re.search(r"Sweep'?!", text):
                return text
    raise AssertionError("no chart reads the Sweep sheet")


def test_the_logistic_sweep_says_which_overshot(sweep_books: dict) -> None:
    text = openpyxl.load_workbook(sweep_books["logistic"])["Sweep"]["B2"].value
    assert "Overshot" in text and "sgd lr=2" in text.split("Overshot")[1]
    assert "Diverged" not in text


def test_the_sweep_follows_a_run(sweep_books: dict, tmp_path: Path) -> None:
    copy = tmp_path / "run.xlsx"
    copy.write_bytes(sweep_books["both"].read_bytes())
    run(copy, 3)
    report = check_workbook(copy)
    assert report.ok, report.mismatches[:3]


def test_the_formulas_engine_agrees(tmp_path: Path) -> None:
    path = build(tmp_path / "small.xlsx", samples=5, live_epochs=10, compare=("sgd", "adam"), sweep=(0.0001, 0.001))
    report = check_workbook(path, engine="formulas")
    assert report.ok and report.cells > 800, report.mismatches[:3]


@pytest.mark.libreoffice
def test_libreoffice_agrees_and_tampering_fails(need_soffice: str, sweep_books: dict, tmp_path: Path) -> None:
    source = sweep_books["optimizers"]
    ev = Evaluator(source)
    copies = {}
    for name in ("sweep_log", "sweep_2", "sweep_3"):
        area = ev.area(name)
        book = openpyxl.load_workbook(source)
        row, column = area.min_row + 2, area.min_col + (1 if name == "sweep_log" else 3)
        book[area.sheet].cell(row, column).value = "=1.5"
        copies[name] = tmp_path / f"tampered-{name}.xlsx"
        book.save(copies[name])
    books = list(sweep_books.values())
    recalculated = recalculate_many([*books, *copies.values()], shown=False)
    for book in books:
        assert_equals_reference(book, recalculated[book.resolve()])
    for name, copy in copies.items():
        assert_tampering_caught(name, copy, recalculated[copy.resolve()])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--sweep", "0.1,-0.2"), "--sweep: every rate must be a number > 0, got -0.2"),
        (("--sweep", "0.1,abc"), "argument --sweep: expected comma-separated numbers"),
        (("--compare", "sgd,newton"), "argument --compare: 'newton' is not one of"),
        (("--sweep", "0.1", "--live-epochs", "0"), "a sweep unrolls the live epochs: give --live-epochs N"),
        (("--compare", "adam", "--gradient", "finite-difference"), "--compare adam: the adam optimizer uses"),
        (("--sweep", "0.001", "--samples", "524280", "--live-epochs", "2"), "--live-epochs 2: the Sweep sheet's"),
    ],
)
def test_bad_sweep_options_are_one_line(tmp_path: Path, options: tuple[str, ...], message: str) -> None:
    out = tmp_path / "t.xlsx"
    result = run_cli("build", str(out), *options)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not out.exists()


def test_python_takes_the_command_lines_spelling(tmp_path: Path) -> None:
    """``build(sweep="0.1,0.2")`` is ``--sweep 0.1,0.2``; a bad list is the option's one error."""
    assert make_lesson(sweep="0.1,0.2", compare="sgd,adam").sweep == make_lesson(
        sweep=(0.1, 0.2), compare=("sgd", "adam")
    ).sweep == (("sgd", 0.1), ("sgd", 0.2), ("adam", 0.1), ("adam", 0.2))  # fmt: skip
    for options, message in (
        ({"sweep": "0.1,x"}, "--sweep: expected comma-separated numbers such as 0.1,0.5,1, got '0.1,x'"),
        ({"sweep": ["a"]}, "--sweep: every rate must be a number > 0, got 'a'"),
        ({"compare": "sgd,foo"}, "--compare: 'foo' is not one of sgd, momentum, rmsprop, adam"),
    ):
        with pytest.raises(GdsheetError) as caught:
            build(tmp_path / "t.xlsx", **options)
        assert str(caught.value) == message
        assert not (tmp_path / "t.xlsx").exists()
