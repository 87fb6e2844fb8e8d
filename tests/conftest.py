"""Shared fixtures: built workbooks and the LibreOffice guard.

LibreOffice tests skip on a developer machine without soffice, but never in CI: there
(CI set) a missing soffice is a failure, because `.ci/run` must have installed it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gdsheet.commands.build import build
from tests.support.libreoffice import soffice

PUBLISHED_STATE = {"m_start": 2.051, "b_start": 25.075}


@pytest.fixture(scope="session")
def need_soffice() -> str:
    binary = soffice()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("soffice is not installed, and LibreOffice tests must run in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    return binary


@pytest.fixture(scope="session")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The workbooks most tests look at, built once per session."""
    out = tmp_path_factory.mktemp("books")
    return {
        "corrected": build(out / "corrected.xlsx"),
        "seed": build(out / "seed.xlsx", "seed"),
        "seed_published": build(out / "seed_published.xlsx", "seed", **PUBLISHED_STATE),
        # two live epochs: the Live sheet with every column (the estimates drive the update)
        "finite_difference": build(
            out / "fd.xlsx", gradient="finite-difference", m_start=1.5, b_start=20.0, live_epochs=2
        ),
    }
