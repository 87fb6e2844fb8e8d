"""The defined-name contract: a built workbook has exactly the contract's names, each of its kind.

The names are read back from the saved file (not from the writer's own bookkeeping), and each
kind is held to what it means: a derived name's cells are formulas (but for the contract's label
and empty columns, and the samples an input also covers), an input's cells are constants, and
`check` compares every derived name.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from gdsheet.commands.build import build, make_lesson
from gdsheet.commands.check import expected_for
from gdsheet.engine.evaluator import defined_areas
from gdsheet.lesson.contract import contract
from gdsheet.lesson.optimizers import OPTIMIZERS

CASES = [
    *({"optimizer": name, "learn": 0.001, "live_epochs": 2} for name in OPTIMIZERS),
    {"preset": "seed", "gradient": "swapped"},
    {"gradient": "finite-difference", "live_epochs": 2},
    {"live_epochs": 0, "samples": 7},
    {"schedule": "step", "decay": 0.5, "step_epochs": 2, "live_epochs": 3},
    {"schedule": "cosine", "optimizer": "adam", "learn": 0.1, "live_epochs": 0},
]


@pytest.mark.parametrize("options", CASES, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_the_workbook_has_exactly_the_contracts_names(tmp_path: Path, options: dict[str, object]) -> None:
    options = dict(options)
    preset = str(options.pop("preset", "corrected"))
    lesson = make_lesson(preset, **options)
    path = build(tmp_path / "lesson.xlsx", preset, **options)
    book = openpyxl.load_workbook(path)
    areas = defined_areas(book)
    promised = contract(lesson)
    assert set(areas) == set(promised)  # no more, no fewer
    inputs = {name for name, entry in promised.items() if entry.kind == "input"}
    covered_by_inputs = {
        (areas[name].sheet, row, column) for name in inputs for row, column in areas[name].cells()
    }  # the descent table's samples: constants inside the derived `descent`
    for name, entry in promised.items():
        area = areas[name]
        ws = book[area.sheet]
        kinds = {}
        for row, column in area.cells():
            offset = column - area.min_col
            if offset in entry.empty_columns or offset in entry.label_columns:
                continue
            kinds[(area.sheet, row, column)] = ws.cell(row=row, column=column).data_type
        if entry.kind == "derived":
            formulas = {key for key, kind in kinds.items() if kind == "f"}
            assert formulas | (set(kinds) & covered_by_inputs) == set(kinds), name
            assert entry.quantity is not None, name
        elif name == "descent_y":  # samples on the model are its formula; a CSV's are numbers
            assert {kind for kind in kinds.values()} == ({"f"} if lesson.descent_y is None else {"n"})
        elif entry.kind == "input":
            assert "f" not in kinds.values(), name
    derived = {name for name, entry in promised.items() if entry.kind == "derived"}
    assert set(expected_for(lesson, set(areas))) == derived  # check compares every derived name


def test_names_follow_the_parameters() -> None:
    lesson = make_lesson(optimizer="adam")
    names = contract(lesson)
    for p in ("m", "b"):
        assert {f"{p}_start", f"next_{p}", f"{p}_reset"} <= names.keys()
        assert {f"avg_{p}_start", f"sq_{p}_start", f"next_avg_{p}"} <= names.keys()
    assert names["t_start"].kind == "input" and names["t_reset"].kind == "control"
    assert names["epoch_log"].kind == "log" and names["grid"].quantity is not None
