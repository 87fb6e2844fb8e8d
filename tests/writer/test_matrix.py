"""Every model × optimizer × batch size × schedule: every formula cell equals the numpy reference.

The whole product (4 models: line, linear of two inputs, logistic of two inputs, mlp; 4
optimizers; batch sizes 1, 3 and N; constant, step and cosine schedules: 144 lessons of 4
samples, a 3 × 3 grid and 10 live epochs) through the compiled engine, built and after 10 `run`
epochs, whose log must be the reference's run; all 144 run workbooks through LibreOffice, in ONE
shared conversion with the built workbooks of a pairwise-covering 16 (every pair of two factors'
values at least once), and those 16 through the `formulas` package. Each comparison is rel 1e-9
(check's)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gdsheet.commands.build import make_lesson
from gdsheet.commands.check import check_workbook
from gdsheet.commands.recalc import recalc
from gdsheet.commands.run import run
from gdsheet.engine.evaluator import Evaluator
from gdsheet.lesson.spec import Lesson
from gdsheet.reference.oracle import run_epochs
from gdsheet.writer.writer import build_workbook
from tests.support.libreoffice import assert_equals_reference, recalculate_many

LIVE = 10
RUN = 10
SAMPLES = 4
MODELS = ("line", "linear", "logistic", "mlp")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
BATCHES = (1, 3, SAMPLES)
SCHEDULES = ("constant", "step", "cosine")

DATA = {  # four samples each: small numbers, so every optimizer converges at its rate below
    "line": "x,y\n0,1\n1,2.9\n2,5.2\n3,6.8\n",
    "linear": "x1,x2,y\n0,1,2\n1,0.5,3.1\n2,2,6.2\n3,1.5,6.9\n",
    "logistic": "x1,x2,y\n0.5,3,0\n1,1,0\n3.5,0.5,1\n4,2.5,1\n",
    "mlp": "x,y\n-1,1\n-0.3,0.1\n0.4,0.2\n1,0.9\n",
}
LEARN = {  # (sgd and momentum, rmsprop and adam)
    "line": (0.02, 0.1),
    "linear": (0.02, 0.1),
    "logistic": (0.2, 0.1),
    "mlp": (0.1, 0.05),
}
GRID = {"grid_m": (0.0, 1.0, 2.0), "grid_b": (-1.0, 0.0, 1.0)}

Case = tuple[str, str, int, str]
CASES: list[Case] = list(itertools.product(MODELS, OPTIMIZERS, BATCHES, SCHEDULES))


def pairwise() -> list[Case]:
    """16 cases covering every pair of factor values: model i, optimizer j, batch (i + j) mod 3,
    schedule (i + 2j) mod 3 (over residues mod 3, (i, j) -> (i + j, i + 2j) is one to one)."""
    return [(m, o, BATCHES[(i + j) % 3], SCHEDULES[(i + 2 * j) % 3])
            for i, m in enumerate(MODELS) for j, o in enumerate(OPTIMIZERS)]  # fmt: skip


def _name(case: Case) -> str:
    return "-".join(map(str, case))


def _lesson(out: Path, case: Case) -> Lesson:
    model, optimizer, batch, schedule = case
    data = out / f"{model}.csv"
    if not data.exists():
        data.write_text(DATA[model], encoding="utf-8")
    learn = LEARN[model][optimizer in ("rmsprop", "adam")]
    extra: dict[str, object] = {"step_epochs": 3, "decay": 0.5} if schedule == "step" else {}
    return make_lesson(model=model, data=data, optimizer=optimizer, learn=learn, batch_size=batch,
                       schedule=schedule, live_epochs=LIVE, epochs=RUN, **GRID, **extra)  # fmt: skip


@pytest.fixture(scope="session")
def shelf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every xdist worker of the session (their base temp's parent), so a case's
    workbooks are built once, whichever test needs them first. Without xdist the base temp's
    parent is every session's: the session's own base temp is used, never a shelf of an earlier
    session's code."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "matrix-books"
    folder.mkdir(exist_ok=True)
    return folder


def _shelved(shelf: Path, name: str, make: Callable[[Path], None]) -> Path:
    """``shelf / name``, made by ``make(path)`` if it is not there yet (in a folder of this
    process's, then renamed: a rename is atomic, and two workers making one file make the same)."""
    path = shelf / name
    if not path.exists():
        work = shelf / f"work-{os.getpid()}"
        work.mkdir(exist_ok=True)
        make(work / name)
        os.replace(work / name, path)
    return path


def _ran(shelf: Path, case: Case) -> Path:
    """The case's workbook after 10 `run` epochs (its ``epochs``): `run` writes every cached value,
    so it is built without `build`'s recalculation."""

    def make(path: Path) -> None:
        build_workbook(_lesson(path.parent, case), path)
        run(path)

    return _shelved(shelf, f"{_name(case)}-run.xlsx", make)


def _built(shelf: Path, case: Case) -> Path:
    """The case's workbook as `build` writes it, with its cached values."""

    def make(path: Path) -> None:
        build_workbook(_lesson(path.parent, case), path)
        recalc(path)

    return _shelved(shelf, f"{_name(case)}.xlsx", make)


def test_the_subset_covers_every_pair() -> None:
    chosen = pairwise()
    for a, b in itertools.combinations(range(4), 2):
        factors = (MODELS, OPTIMIZERS, BATCHES, SCHEDULES)
        want = set(itertools.product(factors[a], factors[b]))
        assert {(case[a], case[b]) for case in chosen} == want, (a, b)


def _log(path: Path, width: int) -> np.ndarray:
    ev = Evaluator(path)
    area = ev.area("epoch_log")
    return np.array([[ev.stored(area.sheet, area.min_col + c, area.min_row + r) for c in range(width)]
                     for r in range(RUN)], dtype=float)  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=_name)
def test_the_compiled_engine_agrees(shelf: Path, tmp_path: Path, case: Case) -> None:
    """Every derived cell after the run (the Live sheet's 10 epochs from where it stopped, the
    cells the run changed), and its log is the reference's 10 epochs; the pairwise subset's built
    workbooks too (the others' formulas are the same, at other inputs)."""
    lesson = _lesson(tmp_path, case)
    ran = _ran(shelf, case)
    for book in (_built(shelf, case), ran) if case in pairwise() else (ran,):
        report = check_workbook(book)
        assert report.ok and not report.unchecked, (book.name, report.mismatches[:3], report.unchecked[:3])
    records = run_epochs(lesson, RUN)
    want = np.array([[r.epoch, *r.params.values(), r.rmse] for r in records], dtype=float)
    assert np.isfinite(want).all(), "the case diverges: give it a smaller rate"
    np.testing.assert_allclose(_log(ran, want.shape[1]), want, rtol=1e-9, atol=1e-12)


@pytest.mark.libreoffice
def test_libreoffice_agrees_on_every_case(need_soffice: str, shelf: Path) -> None:
    """All 144 run workbooks and the pairwise subset's 16 built ones in ONE LibreOffice start (a
    forced full recalculation), every formula cell against the reference."""
    books = [_ran(shelf, case) for case in CASES] + [_built(shelf, case) for case in pairwise()]
    recalculated = recalculate_many(books, shown=False)
    for book in books:
        assert_equals_reference(book, recalculated[book.resolve()])


@pytest.mark.parametrize("case", pairwise(), ids=_name)
def test_the_formulas_package_agrees_on_the_pairwise_subset(shelf: Path, case: Case) -> None:
    """After the run: its 10 live epochs from where the run stopped, and the cells the run changed.
    (A pairwise subset: `formulas`, the reference interpreter, takes seconds a workbook.)"""
    ran = _ran(shelf, case)
    report = check_workbook(ran, engine="formulas")
    assert report.ok and not report.unchecked, (ran.name, report.mismatches[:3])
