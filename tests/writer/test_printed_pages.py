"""What a teacher prints: LibreOffice renders the lesson to PDF, and pdftotext reads each page back.

Every page the descent table runs onto starts with its header row (print titles), on the Lesson
sheet and on the Live sheet, and the headers, formula hints and log headers print whole."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import gdsheet
from gdsheet.commands.build import make_lesson
from gdsheet.writer.text import lesson_texts
from tests.support.libreoffice import render_pdf

pytestmark = pytest.mark.libreoffice
XOR = Path(__file__).resolve().parents[2] / "examples" / "xor_like.csv"
RATES = [0.0001, 0.0005, 0.001]


def pages(pdf: Path) -> list[str]:
    """Each page's text, as pdftotext lays it out (form feeds separate the pages)."""
    result = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return result.stdout.split("\f")[:-1]


def words(page: str) -> list[str]:
    return page.split()


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = tmp_path_factory.mktemp("printed")
    books = {
        "noisy": gdsheet.build(out / "noisy.xlsx", samples=200, noise=4, seed=1, live_epochs=0),
        "corrected": gdsheet.build(out / "corrected.xlsx"),
        "seed": gdsheet.build(out / "seed.xlsx", preset="seed"),
        "mlp": gdsheet.build(out / "mlp.xlsx", model="mlp", hidden=3, data=XOR, optimizer="adam", learn=0.05),
        "sweep": gdsheet.build(out / "sweep.xlsx", live_epochs=3, sweep=RATES, compare=["sgd", "momentum", "adam"]),
    }
    pdfs = render_pdf(list(books.values()), out / "pdf")
    return {name: pages(pdf) for name, pdf in zip(books, pdfs, strict=True)}


def test_the_table_header_heads_every_page_it_runs_onto(printed: dict[str, list[str]], need_soffice: str) -> None:
    header = ["x", "y", "m", "b", "y_pred", "error_sq"]
    noisy = printed["noisy"]
    first = next(i for i, page in enumerate(noisy) if "error_sq" in words(page))
    assert len(noisy) - first >= 2  # 200 samples run onto more than one page
    for page in noisy[first:]:  # left pages: the table's first columns; right pages: the rest and the log
        lines = [line.split() for line in page.splitlines()]
        left = [line for line in lines if "error_sq" in line]
        right = [line for line in lines if line[:4] == ["est", "de/dm", "est", "de/db"]]
        assert [line[: len(header)] for line in left] == [header] or (not left and len(right) == 1), page[:300]
    # the Live sheet: every page after its first starts with the unrolled table's header
    live = [i for i, page in enumerate(printed["corrected"]) if "Live epochs" in page]
    (start,) = live
    assert len(printed["corrected"]) - start > 2
    for page in printed["corrected"][start + 1 :]:
        first_words = words(page)[:5]
        assert first_words == ["epoch", "x", "y", "m", "b"], first_words


def test_headers_and_hints_print_whole(printed: dict[str, list[str]], need_soffice: str) -> None:
    seed = " ".join(printed["seed"])
    assert "root_sum_square" in words(seed)  # the seed's log header, not clipped
    corrected = " ".join(printed["corrected"])
    for text in ("(mx+b-y)^2", "est de/dm", "Epoch log", "RMSE"):
        assert text in corrected, text


def test_the_left_pages_hold_the_whole_left_part(printed: dict[str, list[str]], need_soffice: str) -> None:
    """Printed two pages across at a readable scale, the left-hand page of each band still holds
    every column up to the split: the intro, which spans them, prints whole on the first page."""
    intro = " ".join(lesson_texts(make_lesson())["intro"].split())
    first_page = " ".join(printed["corrected"][0].split())
    assert intro in first_page


def test_long_labels_print_whole(printed: dict[str, list[str]], need_soffice: str) -> None:
    """The optimizer state's names beside the controls (Adam's for 3 units: avg_out_w1 …) and the
    Sweep log's variant headers ("momentum lr=0.0001", wider than a column: wrapped) print whole,
    not cut at the next column."""
    mlp = words(" ".join(printed["mlp"]))
    for name in ("avg_out_w1", "avg_out_w3", "sq_out_w1", "avg_h3_w2"):
        assert name in mlp, name
    sweep = words(" ".join(printed["sweep"]))
    glued = [word for word in sweep if re.search(r"lr=[0-9.]+[a-z]", word)]  # "lr=0.0005adam": overprinted
    assert glued == []
    cut = [word for word in sweep if word.startswith("lr=") and word.rstrip(",.") not in {f"lr={r:g}" for r in RATES}]
    assert cut == []  # the chart's legend too ("lr=0.000" could be any of them)
