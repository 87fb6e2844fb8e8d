"""Optimizers and live epochs: the reference against torch.optim and by hand, and every workbook
cell (descent table, optimizer state, the Live sheet) recalculated by LibreOffice and by the
`formulas` package against the reference, over 10 epochs; `gdsheet run` carries the state.

Workbooks are built once per session, and LibreOffice recalculates all of them in one start.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.cli import main
from gdsheet.commands.build import make_lesson
from gdsheet.commands.check import check_workbook
from gdsheet.engine.evaluator import defined_areas
from gdsheet.errors import GdsheetError
from gdsheet.lesson.optimizers import OPTIMIZER_SPECS, OPTIMIZERS, optimizer_state
from gdsheet.lesson.spec import Lesson, load_preset
from gdsheet.reference.optimizers import STEPS
from gdsheet.reference.oracle import LessonValues, descent_epoch, hypers, lesson_values, run_epochs, unrolled
from gdsheet.writer.optimizers import TEMPLATES
from gdsheet.xlsx.ranges import Range
from tests.support.libreoffice import Grid, cell_text, recalculate_many

LIVE = 10
DONE_WHEN_LEARN = 0.1
CONVERGING_LEARN = {"sgd": 0.001, "momentum": 0.0001, "rmsprop": 0.1, "adam": 0.1}
"""Learning rates at which each optimizer stays finite for 10 epochs of the default samples."""


SMALL_DATA = "x,y\n7,44.5\n9,47.25\n28,86\n50,129.5\n22,74.75\n3,36\n"
"""Six samples near y = 2x + 30: small workbooks keep the `formulas` checks quick."""


def build_args(optimizer: str, learn: float, live: int = LIVE) -> list[str]:
    return ["--optimizer", optimizer, "--learn", repr(learn), "--live-epochs", str(live)]


def cli_build(path: Path, args: list[str]) -> Path:
    assert main(["build", str(path), *args]) == 0
    return path


@pytest.fixture(scope="session")
def optimizer_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Lesson]]:
    """Each optimizer at a converging rate (small data), each as the issue's done-when builds it
    (learn 0.1, default samples), and the small Adam workbook with learn edited."""
    out = tmp_path_factory.mktemp("optimizers")
    data = out / "small.csv"
    data.write_text(SMALL_DATA, encoding="utf-8")
    books = {}
    for optimizer in OPTIMIZERS:
        learn = CONVERGING_LEARN[optimizer]
        args = [*build_args(optimizer, learn), "--data", str(data)]
        lesson = make_lesson(data=data, optimizer=optimizer, learn=learn, live_epochs=LIVE)
        books[f"{optimizer}_converging"] = (cli_build(out / f"{optimizer}_converging.xlsx", args), lesson)
        # the command, on the default 20 samples
        lesson = make_lesson(optimizer=optimizer, learn=DONE_WHEN_LEARN, live_epochs=LIVE)
        path = cli_build(out / f"{optimizer}_done_when.xlsx", build_args(optimizer, DONE_WHEN_LEARN))
        books[f"{optimizer}_done_when"] = (path, lesson)
    # A learner edits learn in the built Adam workbook: every live epoch must follow.
    edited = out / "adam_edited.xlsx"
    book = openpyxl.load_workbook(books["adam_converging"][0])
    learn = defined_areas(book)["learn"]
    book[learn.sheet].cell(row=learn.min_row, column=learn.min_col).value = 0.03
    book.save(edited)
    books["adam_edited"] = (edited, make_lesson(data=data, optimizer="adam", learn=0.03, live_epochs=LIVE))
    return books


@pytest.fixture(scope="session")
def recalculated(need_soffice: str, optimizer_books: dict[str, tuple[Path, Lesson]]) -> dict[Path, dict[str, Grid]]:
    """Every optimizer workbook recalculated by LibreOffice, in one conversion."""
    return recalculate_many([path for path, _ in optimizer_books.values()], shown=False)


def expected_areas(values: LessonValues, lesson: Lesson) -> dict[str, np.ndarray]:
    """What each defined name must show, written out here independently of `check`'s mapping."""
    state = lesson.state
    expected = {
        "descent": values.descent.block(lesson.columns),
        "descent_estimates": values.descent.block(lesson.estimates),
        "live_descent": values.live.block(lesson.columns),
        "live_log": values.live_log,
        **{f"next_{p}": np.array([[values.next_values[p]]]) for p in lesson.params},
    }
    if state:
        expected["descent_state"] = values.descent.block(state)
        expected["live_state"] = values.live.block(state)
        expected |= {f"next_{name}": np.array([[values.next_values[name]]]) for name in state}
    return expected


def formula_cells(book: openpyxl.Workbook, area: Range) -> list[tuple[int, int]]:
    ws = book[area.sheet]
    return [(c, r) for r, c in area.cells() if ws.cell(row=r, column=c).data_type == "f"]


def compare(
    sheets: dict[str, Grid], path: Path, lesson: Lesson, names: tuple[str, ...] | None = None
) -> tuple[float, int, dict[str, int]]:
    """Worst relative error of LibreOffice's formula cells against the reference, cells compared,
    and per name the cells where both are non-finite (LibreOffice shows an error, numpy inf/nan)."""
    book = openpyxl.load_workbook(path)
    areas = defined_areas(book)
    worst, compared, diverged = 0.0, 0, {}
    for name, want in expected_areas(lesson_values(lesson), lesson).items():
        if names is not None and name not in names:
            continue
        area = areas[name]
        want = np.reshape(want, area.shape)
        for column, row in formula_cells(book, area):
            text = cell_text(sheets[area.sheet], f"{openpyxl.utils.get_column_letter(column)}{row}")
            value = want[row - area.min_row, column - area.min_col]
            if not math.isfinite(value):
                assert text.startswith(("#", "Err:")), (name, column, row, text, value)
                diverged[name] = diverged.get(name, 0) + 1
                continue
            got = float(text)
            assert got == pytest.approx(value, rel=1e-9, abs=1e-12), (name, column, row)
            worst = max(worst, 0.0 if got == value else abs(got - value) / max(abs(got), abs(value)))
            compared += 1
    return worst, compared, diverged


# --- the reference ---------------------------------------------------------------------------


def test_every_optimizer_has_one_object_per_side() -> None:
    assert set(STEPS) == set(TEMPLATES) == set(OPTIMIZERS) == set(OPTIMIZER_SPECS)
    for name in OPTIMIZERS:
        for params in (("m", "b"), ("w1", "w2", "w3", "b")):
            assert STEPS[name].state(params) == TEMPLATES[name].state(params) == optimizer_state(name, params)
    assert optimizer_state("adam", ("m", "b")) == ("t", "avg_m", "avg_b", "sq_m", "sq_b")
    assert optimizer_state("momentum", ("w1", "b")) == ("vel_w1", "vel_b")


def test_first_steps_by_hand() -> None:
    # x = 7, y = 44 from m = b = 1: residual 8 - 44 = -36, g = (2·7·-36, 2·-36) = (-504, -72)
    lesson = load_preset("corrected").with_overrides(learn=0.01)
    settings = hypers(lesson)
    g = (-504.0, -72.0)

    def first(optimizer: str) -> dict[str, float]:
        return descent_epoch("line", [[7]], [44], {"m": 1.0, "b": 1.0}, settings, "analytic", 0.01, optimizer)[0].row(0)

    momentum = first("momentum")
    assert (momentum["vel_m"], momentum["vel_b"]) == g  # v starts at 0: v = g
    assert momentum["new_m"] == pytest.approx(1 + 0.01 * 504, rel=1e-15)
    rmsprop = first("rmsprop")
    assert rmsprop["sq_m"] == pytest.approx(0.01 * 504**2, rel=1e-15)
    assert rmsprop["new_m"] == pytest.approx(1 + 0.01 * 504 / (math.sqrt(0.01) * 504 + 1e-8), rel=1e-15)
    adam = first("adam")
    assert adam["t"] == 1 and adam["avg_m"] == pytest.approx(0.1 * -504, rel=1e-15)
    # bias correction makes Adam's first step lr·g/(|g| + eps): 0.01 towards the data
    assert adam["new_m"] == pytest.approx(1 + 0.01 * 504 / (504 + 1e-8), rel=1e-14)
    assert adam["new_b"] == pytest.approx(1 + 0.01 * 72 / (72 + 1e-8), rel=1e-14)


def test_adam_counts_steps_across_rows_and_epochs() -> None:
    lesson = load_preset("corrected").with_overrides(optimizer="adam", learn=0.1)
    table, _ = unrolled(lesson, 3)
    assert list(table.column("t")) == list(range(1, 3 * len(lesson.descent_x) + 1))


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam"])
def test_reference_equals_torch_optim(optimizer: str) -> None:
    torch = pytest.importorskip("torch")
    lesson = load_preset("corrected").with_overrides(
        optimizer=optimizer, learn=0.01 if optimizer != "momentum" else 1e-4
    )
    x, y = lesson.descent_x[:8], lesson.samples_y[:8]
    params = torch.tensor([lesson.m_start, lesson.b_start], dtype=torch.float64, requires_grad=True)
    make = {
        "momentum": lambda p: torch.optim.SGD([p], lr=lesson.learn, momentum=0.9),
        "rmsprop": lambda p: torch.optim.RMSprop([p], lr=lesson.learn),  # alpha 0.99, eps 1e-8
        "adam": lambda p: torch.optim.Adam([p], lr=lesson.learn),  # betas (0.9, 0.999), eps 1e-8
    }
    opt = make[optimizer](params)
    start = {"m": lesson.m_start, "b": lesson.b_start}
    table, _ = descent_epoch("line", [x], y, start, hypers(lesson), "analytic", 0.01, optimizer)
    for k, (xk, yk) in enumerate(zip(x, y, strict=True)):
        opt.zero_grad()
        ((params[0] * xk + params[1] - yk) ** 2).backward()
        opt.step()
        row = table.row(k)
        assert params[0].item() == pytest.approx(row["new_m"], rel=1e-12), k
        assert params[1].item() == pytest.approx(row["new_b"], rel=1e-12), k
    state = opt.state[params]
    torch_state = {
        "momentum": {"vel_m": state.get("momentum_buffer")},
        "rmsprop": {"sq_m": state.get("square_avg")},
        "adam": {"avg_m": state.get("exp_avg"), "sq_m": state.get("exp_avg_sq")},
    }[optimizer]
    for name, tensor in torch_state.items():
        assert tensor[0].item() == pytest.approx(table.last(name), rel=1e-12)
        assert tensor[1].item() == pytest.approx(table.last(name[:-1] + "b"), rel=1e-12)
    if optimizer == "adam":
        assert float(state["step"]) == table.last("t") == len(x)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"optimizer": "lbfgs"}, "optimizer must be one of sgd, momentum, rmsprop, adam"),
        ({"optimizer": "adam", "gradient": "swapped"}, "the adam optimizer uses the analytic gradient"),
        ({"beta2": 1.0}, "beta2 must be >= 0 and < 1"),
        ({"eps": 0.0}, "eps must be > 0"),
        ({"live_epochs": -1}, "live_epochs must be a whole number from 0 to 1000"),
        ({"optimizer": "momentum", "state_start": {"t": 3.0}}, "the momentum optimizer has no state t"),
    ],
)
def test_bad_optimizer_settings_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(GdsheetError, match=message):
        load_preset("corrected").with_overrides(**overrides)


def test_cli_refuses_estimates_with_adam_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.xlsx"
    assert main(["build", str(out), "--optimizer", "adam", "--gradient", "finite-difference"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gdsheet: error: the adam optimizer uses the analytic gradient") and "\n" not in err
    assert not out.exists()


# --- the workbooks -----------------------------------------------------------------------------


def test_names_state_cells_and_log_placement(optimizer_books: dict[str, tuple[Path, Lesson]]) -> None:
    book = openpyxl.load_workbook(optimizer_books["adam_converging"][0])
    areas = defined_areas(book)
    n = SMALL_DATA.count("\n") - 1
    assert areas["descent_state"].shape == (n, 5)
    assert areas["live_descent"].shape == (n * LIVE, 12) and areas["live_state"].shape == (n * LIVE, 5)
    assert areas["live_log"].shape == (LIVE, 4) and areas["live_log"].sheet == "Live"
    for name in ("beta1", "beta2", "eps", "t_start", "avg_m_start", "sq_b_start", "next_t", "t_reset"):
        assert areas[name].shape == (1, 1), name
    ws = book["Lesson"]
    for name in ("beta1", "beta2", "eps", "t_start"):  # inputs a learner may edit: shaded
        area = areas[name]
        assert ws.cell(row=area.min_row, column=area.min_col).fill.fgColor.rgb.endswith("FFF2CC"), name
    right_of_table = max(areas[name].max_col for name in ("descent", "descent_state", "descent_estimates"))
    assert areas["epoch_log"].min_col > right_of_table
    no_sci = [c.value for row in ws.iter_rows() for c in row if c.data_type == "f" and "E-" in str(c.value).upper()]
    assert no_sci == []  # eps lives in its cell, never as 1E-08 in a formula


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_formulas_check_covers_every_cell(optimizer_books: dict[str, tuple[Path, Lesson]], optimizer: str) -> None:
    path, _ = optimizer_books[f"{optimizer}_converging"]
    report = check_workbook(path)
    book = openpyxl.load_workbook(path)
    formulas = sum(c.data_type == "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)
    assert report.mismatches == [] and report.unchecked == []
    assert report.cells == formulas > 500
    assert report.max_rel_error <= 1e-9


@pytest.mark.libreoffice
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_libreoffice_equals_the_reference(
    optimizer_books: dict[str, tuple[Path, Lesson]], recalculated: dict[Path, dict[str, Grid]], optimizer: str
) -> None:
    path, lesson = optimizer_books[f"{optimizer}_converging"]
    worst, compared, diverged = compare(recalculated[path.resolve()], path, lesson)
    assert diverged == {} and compared > 500 and worst <= 1e-9


@pytest.mark.libreoffice
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_done_when_learn_0_1_live_log_agrees(
    optimizer_books: dict[str, tuple[Path, Lesson]], recalculated: dict[Path, dict[str, Grid]], optimizer: str
) -> None:
    """`build x.xlsx --optimizer O --learn 0.1 --live-epochs 10`: every live-log value agrees.

    sgd and momentum diverge at that rate on these samples: numpy overflows to inf/nan and
    LibreOffice shows an error in the same cells; every finite value agrees at rel 1e-9.
    (Only the log: once values reach 1e30 and more, LibreOffice's subtraction rounds a
    difference of nearly equal numbers to 0, so the finite-difference estimates part ways.)
    """
    path, lesson = optimizer_books[f"{optimizer}_done_when"]
    _, compared, diverged = compare(recalculated[path.resolve()], path, lesson, names=("live_log",))
    assert compared > 0
    finite = all(math.isfinite(v) for v in lesson_values(lesson).live_log.ravel())
    assert (diverged == {}) == finite


@pytest.mark.libreoffice
def test_editing_learn_moves_every_live_epoch(
    optimizer_books: dict[str, tuple[Path, Lesson]], recalculated: dict[Path, dict[str, Grid]]
) -> None:
    path, lesson = optimizer_books["adam_edited"]
    worst, _, diverged = compare(recalculated[path.resolve()], path, lesson)
    assert diverged == {} and worst <= 1e-9
    before = lesson_values(optimizer_books["adam_converging"][1]).live_log
    after = lesson_values(lesson).live_log
    assert np.all(before[:, 1:] != after[:, 1:])  # every epoch's m, b and loss changed


# --- gdsheet run ------------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam"])
def test_run_carries_the_optimizer_state(tmp_path: Path, capsys: pytest.CaptureFixture[str], optimizer: str) -> None:
    learn = CONVERGING_LEARN[optimizer]
    data = tmp_path / "small.csv"
    data.write_text(SMALL_DATA, encoding="utf-8")
    path = cli_build(tmp_path / f"{optimizer}.xlsx", [*build_args(optimizer, learn, live=0), "--data", str(data)])
    capsys.readouterr()
    assert main(["run", str(path), "--epochs", "3", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)["epochs"]
    lesson = make_lesson(data=data, optimizer=optimizer, learn=learn)
    expected = run_epochs(lesson, 3)
    for got, want in zip(records, expected, strict=True):
        assert got["epoch"] == want.epoch
        for key in ("m", "b", "rmse"):
            assert got[key] == pytest.approx(getattr(want, key), rel=1e-9), (got["epoch"], key)
    table, _ = unrolled(lesson, 3)
    book = openpyxl.load_workbook(path)
    areas = defined_areas(book)

    def stored(name: str) -> float:
        area = areas[name]
        return book[area.sheet].cell(row=area.min_row, column=area.min_col).value

    for name in optimizer_state(optimizer, ("m", "b")):  # the state after epoch 3 waits in X_start for epoch 4
        assert stored(f"{name}_start") == pytest.approx(table.last(name), rel=1e-9), name
    if optimizer == "adam":
        assert stored("t_start") == 3 * len(lesson.descent_x)
        assert main(["reset", str(path)]) == 0
        book = openpyxl.load_workbook(path)
        assert [stored(f"{name}_start") for name in optimizer_state("adam", ("m", "b"))] == [0] * 5
