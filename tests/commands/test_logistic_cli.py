"""The logistic lesson from the command line: --model logistic, its CSV (header x1,y, labels 0 or
1), generated classes, and bad input refused in one line with exit 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

from gdsheet.commands.build import make_lesson
from tests.support.cli_inprocess import run_cli


def test_a_label_other_than_0_or_1_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("x1,y\n1,0\n2,2\n3,1\n", encoding="utf-8")
    out = tmp_path / "t.xlsx"
    result = run_cli("build", str(out), "--model", "logistic", "--data", str(data))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"gdsheet: error: {data}:3: y must be 0 or 1 (a class label), got '2'"
    ]
    assert not out.exists() and list(tmp_path.iterdir()) == [data]


def test_a_plain_x_header_is_the_first_input_of_every_model(tmp_path: Path) -> None:
    """``x,y`` means one input, k = 1, whatever the model calls it (x1 for linear and logistic)."""
    rows = "1,0\n2,1\n3,1\n"
    (tmp_path / "plain").mkdir(), (tmp_path / "numbered").mkdir()
    plain, numbered = tmp_path / "plain" / "s.csv", tmp_path / "numbered" / "s.csv"  # one note: "read from s.csv"
    plain.write_text("x,y\n" + rows, encoding="utf-8")
    numbered.write_text("x1,y\n" + rows, encoding="utf-8")
    for model in ("line", "linear", "logistic"):
        lesson = make_lesson(model=model, data=plain)
        assert lesson.n_features == 1 and lesson.descent_x == (1.0, 2.0, 3.0)
        assert lesson.descent_y == (0.0, 1.0, 1.0) and lesson.data_y == lesson.descent_y
        assert lesson == make_lesson(model=model, data=numbered)
    assert make_lesson(model="linear", data=plain).params == ("w1", "b")


def test_a_header_of_more_inputs_than_a_model_takes_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "three.csv"
    data.write_text("x1,x2,x3,y\n1,2,3,0\n", encoding="utf-8")
    result = run_cli("build", str(tmp_path / "t.xlsx"), "--model", "line", "--data", str(data))
    assert result.returncode == 2
    assert result.stderr.strip() == f"gdsheet: error: {data}:1: the line model reads the header x,y, got x1,x2,x3,y"
    bad = tmp_path / "bad.csv"
    bad.write_text("x2,y\n1,0\n", encoding="utf-8")
    result = run_cli("build", str(tmp_path / "t.xlsx"), "--model", "logistic", "--data", str(bad))
    assert result.returncode == 2 and "header must be 'x,y' or 'x1,…,xk,y'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "t.xlsx").exists()


def test_a_preset_of_another_model_is_refused(tmp_path: Path) -> None:
    result = run_cli("build", str(tmp_path / "t.xlsx"), "--model", "logistic", "--preset", "seed")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "gdsheet: error: --model logistic: the preset 'seed' is a line lesson, and its text would not be true of "
        "logistic (use --preset logistic)"
    )


def test_generated_classes_are_reproducible_and_split_at_the_true_boundary() -> None:
    clean = make_lesson(model="logistic", samples=50)
    assert clean.n_features == 1 and clean.params == ("w1", "b")
    w1, b = clean.values_of("actual").values()
    assert clean.descent_y == tuple(1.0 if w1 * x + b >= 0 else 0.0 for x in clean.descent_x)
    noisy = make_lesson(model="logistic", samples=50, noise=2.0, seed=3)
    assert noisy.descent_y == make_lesson(model="logistic", samples=50, noise=2.0, seed=3).descent_y
    assert noisy.descent_y != clean.descent_y and set(noisy.descent_y) == {0.0, 1.0}
    assert noisy.descent_x == clean.descent_x
    assert noisy.descent_y != make_lesson(model="logistic", samples=50, noise=2.0, seed=4).descent_y


def test_noise_without_samples_on_a_classifier_is_refused(tmp_path: Path) -> None:
    result = run_cli("build", str(tmp_path / "t.xlsx"), "--model", "logistic", "--noise", "1")
    assert result.returncode == 2 and "give --samples N with it" in result.stderr


def test_build_run_check_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert (
        run_cli("build", str(out), "--model", "logistic", "--samples", "30", "--noise", "1", "--seed", "2").returncode
        == 0
    )
    result = run_cli("run", str(out), "--epochs", "2")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].split() == ["epoch", "w1", "b", "log_loss", "accuracy"]
    assert run_cli("check", str(out)).returncode == 0
