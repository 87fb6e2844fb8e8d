"""Samples from CSV: good files load, every kind of bad file is one line naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gdsheet.errors import GdsheetError
from gdsheet.lesson.samples_csv import read_samples


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "samples.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_numbers_including_negatives(tmp_path: Path) -> None:
    path = write(tmp_path, "x,y\n1,32\n-2.5,25\n\n4,3.8e1\n")
    assert read_samples(path) == ((1.0, -2.5, 4.0), (32.0, 25.0, 38.0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("a,b\n1,2\n", ":1: header must be 'x,y'"),
        ("x,y\n", "no samples after the header"),
        ("x,y\n1,2\n3,abc\n", ":3: y 'abc' is not a number"),
        ("x,y\n=1+1,2\n", ":2: x '=1+1' looks like a formula"),
        ("x,y\n1,+cmd|' /C calc'!A0\n", ":2: y \"+cmd|' /C calc'!A0\" looks like a formula"),
        ("x,y\n@SUM(A1),2\n", ":2: x '@SUM(A1)' looks like a formula"),
        ("x,y\n-1-1,2\n", ":2: x '-1-1' looks like a formula"),
        ("x,y\nnan,2\n", ":2: x 'nan' is not a finite number"),
        ("x,y\n1,inf\n", ":2: y 'inf' is not a finite number"),
        ("x,y\n1,1e999\n", ":2: y '1e999' is not a finite number"),
        ("x,y\n1,2,3\n", ":2: expected 2 values"),
    ],
)
def test_bad_files_name_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(GdsheetError) as caught:
        read_samples(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GdsheetError, match="no such file"):
        read_samples(tmp_path / "absent.csv")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("x,y\n1,2\n".encode("utf-16"), "the file is UTF-16-encoded; save it as UTF-8"),
        ("x,y\n1,2\n".encode("utf-32"), "the file is UTF-32-encoded; save it as UTF-8"),
        ("x,y\n1,2\n".encode("utf-16-le"), "holds NUL bytes"),
        ("x,y\n1,2\n# café\n".encode("cp1252"), "not UTF-8 (byte 0xe9"),
    ],
)
def test_other_encodings_are_one_clear_line(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "samples.csv"
    path.write_bytes(data)
    with pytest.raises(GdsheetError) as caught:
        read_samples(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_utf8_bom_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "samples.csv"
    path.write_bytes("x,y\n1,2\n".encode("utf-8-sig"))
    assert read_samples(path) == ((1.0,), (2.0,))


def test_a_csv_is_bounded_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(16 * 1024 * 1024 + 1)  # sparse: no disk used
    with pytest.raises(GdsheetError, match=r"larger than 16 MB"):
        read_samples(path)
