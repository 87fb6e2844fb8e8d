"""Every preset's workbook is valid Office Open XML, as built and after `gdsheet run`.

`openxml-audit` checks the parts against the ECMA-376 schemas (the same places Microsoft's Open
XML SDK validator reports): Excel repairs, or refuses, a file that fails them. openpyxl leaves
out the scatter charts' required ``c:scatterStyle`` and writes a font's children out of schema
order; the writer puts both right. Warnings (inline strings, which Excel moves to a shared
table on its next save) are not errors and are allowed.
"""

from __future__ import annotations

from pathlib import Path

import openxml_audit
import pytest

import gdsheet
from gdsheet.lesson.spec import preset_names


def schema_errors(path: Path) -> list[str]:
    """Every error (not warning) the validator reports for the workbook at ``path``."""
    result = openxml_audit.OpenXmlValidator().validate(str(path))
    return [str(e) for e in result.errors if e.severity == openxml_audit.ValidationSeverity.ERROR]


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_is_valid_built_and_after_run(tmp_path: Path, preset: str) -> None:
    book = tmp_path / f"{preset}.xlsx"
    gdsheet.build(book, preset=preset)
    assert schema_errors(book) == []
    gdsheet.run(book, epochs=2)
    assert schema_errors(book) == []


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_optimizer_lessons_are_valid(tmp_path: Path, optimizer: str) -> None:
    """The state columns, hyper-parameter cells and the Live sheet's extra columns validate too."""
    book = tmp_path / f"{optimizer}.xlsx"
    gdsheet.build(book, optimizer=optimizer, learn=0.1 if optimizer == "adam" else 0.0001, live_epochs=3)
    assert schema_errors(book) == []


SHEET_OPTIONS = {
    "wireframe": {"wireframe": True},
    "sweep": {"sweep": (0.00001, 0.00002), "compare": ("sgd", "adam")},
    "batches-schedule": {"batch_size": 3, "schedule": "cosine"},
}


@pytest.mark.parametrize("kind", SHEET_OPTIONS)
def test_extra_sheets_and_options_are_valid_built_and_after_run(tmp_path: Path, kind: str) -> None:
    """The Surface and Sweep sheets, their charts, and the batch and schedule columns."""
    book = tmp_path / f"{kind}.xlsx"
    gdsheet.build(book, **SHEET_OPTIONS[kind])
    assert schema_errors(book) == []
    gdsheet.run(book, epochs=2)
    assert schema_errors(book) == []
