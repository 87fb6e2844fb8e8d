"""The mlp lesson's workbook: every formula cell, recalculated by LibreOffice (a forced full
recalculation) and by the compiled engine, equals the numpy reference (backpropagation written out
there on its own), for each activation and every optimizer, over 10 live epochs and after 10 `run`
epochs; the `formulas` engine on one small workbook; `check` catches a tampered cell in each column
the network adds; bad input is one line naming the option, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from gdsheet.commands.build import build, make_lesson
from gdsheet.commands.check import check_workbook, expected_by_name
from gdsheet.commands.lesson_reader import lesson_from_workbook
from gdsheet.commands.run import reset, run
from gdsheet.engine.evaluator import Evaluator, defined_areas
from gdsheet.reference.oracle import run_epochs
from tests.support.books import tampered
from tests.support.cli_inprocess import run_cli
from tests.support.libreoffice import assert_equals_reference, recalculate_many

LIVE = 10
RUN = 10
XOR = Path(__file__).resolve().parents[2] / "examples" / "xor_like.csv"
CASES: dict[str, dict[str, object]] = {  # every optimizer and activation, mini-batches, finite differences
    "tanh-adam-xor-batch3": {"data": XOR, "activation": "tanh", "optimizer": "adam", "learn": 0.02, "batch_size": 3},
    "tanh-rmsprop-xor": {"data": XOR, "activation": "tanh", "optimizer": "rmsprop", "learn": 0.01},
    "sigmoid-momentum": {"activation": "sigmoid", "optimizer": "momentum", "learn": 0.1, "hidden": 3},
    "relu-sgd-fd": {"activation": "relu", "optimizer": "sgd", "learn": 0.05, "gradient": "finite-difference"},
}


@pytest.fixture(scope="module")
def lessons(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Per case: the built lesson and a copy after 10 run epochs (``<case>-run``)."""
    out = tmp_path_factory.mktemp("mlp")
    books = {}
    for name, options in CASES.items():
        books[name] = build(out / f"{name}.xlsx", model="mlp", live_epochs=LIVE, **options)  # type: ignore[arg-type]
        ran = build(out / f"{name}-run.xlsx", model="mlp", live_epochs=LIVE, **options)  # type: ignore[arg-type]
        run(ran, RUN)
        books[f"{name}-run"] = ran
    return books


@pytest.mark.libreoffice
def test_libreoffice_values_equal_the_reference(need_soffice: str, lessons: dict[str, Path]) -> None:
    recalculated = recalculate_many(list(lessons.values()), shown=False)
    for key, path in lessons.items():
        ev = Evaluator(path)
        assert {"descent", "live_descent", "live_log", "rmse", "grid", "guess_pred"} <= expected_by_name(ev).keys()
        assert len(assert_equals_reference(path, recalculated[path.resolve()])) > 2000, key


@pytest.mark.parametrize("case", CASES)
def test_the_compiled_engine_agrees_and_run_follows_the_reference(lessons: dict[str, Path], case: str) -> None:
    for path in (lessons[case], lessons[f"{case}-run"]):
        report = check_workbook(path)
        assert report.ok and report.cells > 1000, report.mismatches[:3]
        assert not report.unchecked
    built = lesson_from_workbook(Evaluator(lessons[case]))
    assert built.activation == CASES[case]["activation"] and built.hidden == CASES[case].get("hidden", 2)
    want = run_epochs(built, RUN)
    log = openpyxl.load_workbook(lessons[f"{case}-run"], data_only=True)
    area = defined_areas(log)["epoch_log"]
    sheet = log[area.sheet]
    width = 2 + len(built.params)
    header = [sheet.cell(area.min_row - 1, c).value for c in range(area.min_col, area.min_col + width)]
    assert header == ["epoch", *built.params, "rmse"]
    assert header[1] == "h1_w1" and header[-2] == "out_b"
    got = np.array([[sheet.cell(r, c).value for c in range(area.min_col, area.min_col + width)]
                    for r in range(area.min_row, area.min_row + RUN)], dtype=float)  # fmt: skip
    np.testing.assert_allclose(got[:, 0], [r.epoch for r in want])
    np.testing.assert_allclose(got[:, 1:-1], [[r.params[p] for p in built.params] for r in want], rtol=1e-9)
    np.testing.assert_allclose(got[:, -1], [r.rmse for r in want], rtol=1e-9)


def test_the_defaults_converge_on_the_shipped_xor_data() -> None:
    """`--model mlp --data xor_like.csv --live-epochs 50` with the preset's defaults learns XOR."""
    lesson = make_lesson(model="mlp", data=XOR, live_epochs=50)
    assert (lesson.hidden, lesson.activation, lesson.n_features) == (2, "tanh", 2)
    losses = [record.rmse for record in run_epochs(lesson, 200)]
    assert losses[0] > 0.5 and losses[49] < 0.15 and losses[-1] < 0.08


def test_the_formulas_engine_agrees_on_a_small_lesson(tmp_path: Path) -> None:
    data = tmp_path / "small.csv"
    data.write_text("x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n", encoding="utf-8")
    path = build(tmp_path / "small.xlsx", model="mlp", data=data, optimizer="adam", learn=0.1, live_epochs=3)
    report = check_workbook(path, engine="formulas")
    assert report.ok and report.cells > 500, report.mismatches[:3]


def test_reset_puts_the_start_back(tmp_path: Path) -> None:
    path = build(tmp_path / "r.xlsx", model="mlp", data=XOR, optimizer="momentum", learn=0.05, live_epochs=0)
    first = run(path, 3)
    reset(path)
    assert run(path, 3) == first
    assert check_workbook(path).ok


def test_start_weights_come_from_the_seed_and_are_never_all_equal() -> None:
    lesson = make_lesson(model="mlp", data=XOR)
    start = lesson.values_of("start")
    names = ["h1_w1", "h1_w2", "h2_w1", "h2_w2", "h1_b", "h2_b", "out_w1", "out_w2", "out_b"]
    assert list(start) == names and len(set(start.values())) > 1
    draw = np.round(np.random.default_rng(0).uniform(-1.0, 1.0, len(names)), 2)
    assert list(start.values()) == list(draw)  # numpy.random.default_rng(seed), as documented
    assert make_lesson(model="mlp", data=XOR) == lesson
    assert make_lesson(model="mlp", data=XOR, seed=1).values_of("start") != start
    assert make_lesson(model="mlp", data=XOR, seed=1).values_of("start") == make_lesson(
        model="mlp", data=XOR, seed=1).values_of("start")  # fmt: skip


def _column_cell(ev: Evaluator, area_name: str, column: int, row: int = 2) -> str:
    area = ev.area(area_name)
    return f"{openpyxl.utils.get_column_letter(area.min_col + column)}{area.min_row + row}"


def test_check_catches_a_tampered_cell_in_each_new_column(tmp_path: Path) -> None:
    options = dict(CASES["tanh-adam-xor-batch3"], live_epochs=2)  # a small book: each check reads it all
    path = build(tmp_path / "small.xlsx", model="mlp", **options)  # type: ignore[arg-type]
    ev = Evaluator(path)
    lesson = lesson_from_workbook(ev)
    book = openpyxl.load_workbook(path)
    k, hidden = lesson.n_features, lesson.hidden
    between = (*lesson.spec.forward(k, hidden), "y_pred", "error_sq", *lesson.spec.backward(k, hidden))
    assert between == ("a1", "a2", "h1", "h2", "y_pred", "error_sq", "dE/dy_pred", "dE/da1", "dE/da2")
    kinds = ("h2_w1", "h1_b", "out_w2", "out_b")  # one parameter of each kind: its three columns
    new = [*between, *(f"{column}{p}" for p in kinds for column in ("de/d", "new_")), "err_h2_w11", "err_out_b1"]
    targets = [("Lesson", "descent", lesson.columns.index(name)) for name in new]
    targets += [("Lesson", "descent_state", lesson.state.index(name)) for name in ("t", "avg_h1_w2", "sq_out_b")]
    targets += [("Live", "live_descent", lesson.columns.index(name)) for name in ("a2", "h1", "dE/da1", "new_h2_b")]
    targets += [("Lesson", "grid", 0), ("Lesson", "rmse", 0), ("Lesson", "guess_pred", 0)]
    for sheet, name, column in targets:
        row = 0 if ev.area(name).shape[0] == 1 else 2  # row 2 ends a batch of 3: its update is live
        cell = _column_cell(ev, name, column, row)
        formula = book[sheet][cell].value
        assert isinstance(formula, str) and formula.startswith("="), (name, cell, formula)
        report = check_workbook(tampered(path, tmp_path, {cell: f"=({formula[1:]})*1.000001+1e-9"}, sheet))
        assert not report.ok and report.mismatches[0]["cell"] == f"{sheet}!{cell}", (name, cell, formula)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--model", "mlp", "--hidden", "0"], "--hidden must be a whole number from 1 to 16, got 0"),
        (["--model", "mlp", "--hidden", "17"], "--hidden must be a whole number from 1 to 16, got 17"),
        (["--hidden", "2"], "--hidden: the line model has no hidden layer (see --model mlp)"),
        (["--model", "linear", "--activation", "relu"],
         "--activation: the linear model has no hidden layer (see --model mlp)"),
        (["--model", "mlp", "--samples", "20"],
         "--samples: the mlp model has no actual parameters to generate samples on; give --data CSV"),
        (["--model", "mlp", "--m-start", "1"], "--m-start: the mlp model has no parameter m (its parameters: "
         "h1_w1, h2_w1, h1_b, h2_b, out_w1, out_w2, out_b; set their start values in a preset's [descent] table)"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_nothing_is_written(options: list[str], message: str, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    result = run_cli("build", str(out), *options)
    assert result.returncode == 2
    assert result.stderr.strip() == f"gdsheet: error: {message}"
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_network_whose_formula_would_pass_excels_limit_is_one_line(tmp_path: Path) -> None:
    """40 inputs and 16 hidden units: the loss cell's formula would be 16,548 characters (Excel
    takes 8,192), so the build says so in one line before writing anything."""
    data = tmp_path / "wide.csv"
    header = ",".join(f"x{j}" for j in range(1, 41))
    data.write_text(f"{header},y\n" + ",".join(["0.5"] * 40) + ",1\n" + ",".join(["0.25"] * 40) + ",0\n")
    out = tmp_path / "t.xlsx"
    result = run_cli("build", str(out), "--model", "mlp", "--hidden", "16", "--data", str(data))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "gdsheet: error: 40 inputs and 16 hidden units (--hidden) make the mlp lesson's loss formula 16,548 "
        "characters long, more than Excel's 8,192: give fewer"
    )
    assert not out.exists()
    assert make_lesson(model="mlp", hidden=7, data=data, live_epochs=0).n_features == 40  # 7 units fit
