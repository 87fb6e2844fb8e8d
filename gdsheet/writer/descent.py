"""The descent section: controls, the per-sample descent table, and the (empty) epoch log.

Row 1 of the table starts from each parameter's ``p_start`` (the line's m_start and b_start);
row k+1 starts from row k's ``new_p``, so one recalculation plays one epoch. `gdsheet run` plays
more epochs by copying each ``next_p`` back into ``p_start``: that is all the Run Epoch button
did. An optimizer's state (velocity, running means, Adam's step count) rides along the same way:
each state column has a ``next_X`` cell (the last row) and an ``X_start`` cell (the controls).
Everything here is written over the model's parameter list (``lesson.params``).
"""

from __future__ import annotations

import math

from openpyxl.worksheet.worksheet import Worksheet

from gdsheet.lesson.spec import Lesson, loss_key
from gdsheet.writer.cells import (
    ACCURACY,
    HINT_FONT,
    INTEGER,
    WRAP_TOP,
    Font,
    accuracy_formula,
    loss_formula,
    name_ref,
    put,
)
from gdsheet.writer.descent_rows import (
    batch_start,
    column_formats,
    column_hints,
    first_row_sources,
    mark_batch_end,
    row_formulas,
    sources_above,
)
from gdsheet.writer.formats import param_format
from gdsheet.writer.layout import FIRST_COL, HYPER_COLS, LOSS_COLS, PARAM_COLS, STATE_COLS, Layout, cell
from gdsheet.writer.models import MODELS
from gdsheet.writer.optimizers import TEMPLATES
from gdsheet.writer.text import hand_play_note

NOTE_FONT = Font(italic=True)
NOTE_LINE_HEIGHT = 15  # points: a line of the 11-point note
NOTE_CHARS_PER_LINE = 110  # of the note across columns C to the page split (about 125; DejaVu is wider)


def write_controls(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """epochs, learn and h; each parameter as actual, current and reset-to; the loss at the current values.

    The model's name heads the parameters' labels (the ``model`` name) and the labels are the
    ``parameters`` name: what `run`, `reset` and `check` read to know the lesson's parameters."""
    label, actual, current, reset = PARAM_COLS
    # two tables side by side, each with its header: the settings (label, value) and the parameters
    put(ws, FIRST_COL, at.controls_header, "setting", header=True)
    put(ws, FIRST_COL + 1, at.controls_header, "value", header=True)
    put(ws, label, at.controls_header, lesson.model, header=True)
    shown = (("actual", actual),) if lesson.actual_known else ()
    for header, column in (*shown, ("current", current), ("reset to", reset)):
        put(ws, column, at.controls_header, header, header=True)
    rows = {"epochs": at.epochs_row, "learn": at.epochs_row + 1, "h": at.epochs_row + 2}
    put(ws, FIRST_COL, rows["epochs"], "epochs")
    put(ws, FIRST_COL + 1, rows["epochs"], lesson.epochs, editable=True)
    put(ws, FIRST_COL, rows["learn"], "learn")
    put(ws, FIRST_COL + 1, rows["learn"], lesson.learn, editable=True)
    put(ws, FIRST_COL, rows["h"], "h")
    put(ws, FIRST_COL + 1, rows["h"], lesson.fd_step, editable=True)
    batch = {}
    if lesson.batch_size > 1:  # the table's formulas are laid out by batch: shown, not an input
        put(ws, FIRST_COL, rows["h"] + 1, "batch size")
        put(ws, FIRST_COL + 1, rows["h"] + 1, lesson.batch_size, INTEGER)
        batch["batch_size"] = name_ref(FIRST_COL + 1, rows["h"] + 1)
    names: dict[str, str] = {}
    first, last = at.epochs_row, at.epochs_row + len(lesson.params) - 1
    params = param_format(lesson)
    for index, (param, start) in enumerate(lesson.values_of("start").items()):
        _, row = at.start_cell(index)
        put(ws, label, row, param)
        if lesson.actual_known:
            put(ws, actual, row, f"={param}_actual")
        put(ws, current, row, start, params, editable=True)
        put(ws, reset, row, start, params)
        names |= {f"{param}_start": name_ref(current, row), f"{param}_reset": name_ref(reset, row)}
    note = label if lesson.batch_size > 1 else FIRST_COL  # in the free row above the hints
    ws[cell(note, at.hints_row - 1)].value = hand_play_note(lesson)
    ws[cell(note, at.hints_row - 1)].font = NOTE_FONT
    ws[cell(note, at.hints_row - 1)].alignment = WRAP_TOP
    ws.merge_cells(f"{cell(note, at.hints_row - 1)}:{cell(at.page_split, at.hints_row - 1)}")  # on the left page
    lines = math.ceil(len(hand_play_note(lesson)) / NOTE_CHARS_PER_LINE)
    ws.row_dimensions[at.hints_row - 1].height = NOTE_LINE_HEIGHT * lines
    loss_label, loss_value = LOSS_COLS
    # The rules are shown (and named) so a reader, and `gdsheet check`, know what the formulas do.
    put(ws, label, at.rule_row, "rule")
    put(ws, actual, at.rule_row, lesson.gradient)
    put(ws, loss_label, at.rule_row, "loss")
    put(ws, loss_value, at.rule_row, lesson.loss)
    put(ws, loss_label, first, lesson.loss_label, text=True)
    inputs = [f"descent_{feature}" for feature in lesson.features]
    starts = {p: f"{p}_start" for p in lesson.params}
    squares = f"SUMPRODUCT({MODELS[lesson.model].error(inputs, starts, None, 'descent_y', None)})"
    put(ws, loss_value, first, loss_formula(lesson.loss, squares, inputs[0]), lesson.loss_format)
    scores = {}
    if lesson.spec.classes:
        put(ws, loss_label, first + 1, "accuracy", text=True)
        put(ws, loss_value, first + 1, accuracy_formula(lesson, inputs, starts), ACCURACY)
        scores["accuracy"] = name_ref(loss_value, first + 1)
    return (
        _optimizer_controls(ws, lesson, at)
        | names
        | {
            "epochs": name_ref(FIRST_COL + 1, rows["epochs"]),
            "learn": name_ref(FIRST_COL + 1, rows["learn"]),
            "fd_step": name_ref(FIRST_COL + 1, rows["h"]),
            "model": name_ref(label, at.controls_header),
            "parameters": name_ref(label, first, label, last),
            "rmse": name_ref(loss_value, first),
            **({"actual_shown": name_ref(actual, first, actual, last)} if lesson.actual_known else {}),
            "gradient": name_ref(actual, at.rule_row),
            "loss": name_ref(loss_value, at.rule_row),
        }
        | scores
        | batch
    )


def _optimizer_controls(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """The optimizer's name, its hyper-parameters (editable, named) and its state's start and reset values.

    The start cells are what the table's first row reads and what a run carries each state
    into (``next_X`` -> ``X_start``); `gdsheet reset` copies the reset column back (zeros).
    """
    template = TEMPLATES[lesson.optimizer]
    label, value = HYPER_COLS
    put(ws, label, at.controls_header, "optimizer", header=True)
    put(ws, value, at.controls_header, lesson.optimizer, header=True)
    names = {"optimizer": name_ref(value, at.controls_header)}
    for i, hyper in enumerate(template.hypers):
        put(ws, label, at.epochs_row + i, hyper)
        put(ws, value, at.epochs_row + i, getattr(lesson, hyper), editable=True)
        names[hyper] = name_ref(value, at.epochs_row + i)
    if lesson.state:
        state_label, start, reset = STATE_COLS
        for header, column in (("state", state_label), ("start", start), ("reset to", reset)):
            put(ws, column, at.controls_header, header, header=True)
        formats = column_formats(lesson)
        for i, state in enumerate(lesson.state):
            row = at.epochs_row + i
            put(ws, state_label, row, state)
            put(ws, start, row, float(lesson.state_start.get(state, 0.0)), formats[state], editable=True)
            put(ws, reset, row, 0.0, formats[state])
            names[f"{state}_start"] = name_ref(start, row)
            names[f"{state}_reset"] = name_ref(reset, row)
    return names


def write_descent_table(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """Hints, headers and one row per sample; x (and y from a CSV) are inputs, the rest formulas."""
    columns = at.table_columns
    hints, formats = column_hints(lesson), column_formats(lesson)
    for header in columns:
        column = at.descent_col(header)
        put(ws, column, at.descent_header, header, header=True)
        if header in hints:
            put(ws, column, at.hints_row, hints[header])
            ws[cell(column, at.hints_row)].font = HINT_FONT
    before = first_row_sources(lesson)
    features = lesson.features
    for k, inputs in enumerate(zip(*lesson.x_columns, strict=True)):
        row = at.descent_first + k
        here = {name: cell(at.descent_col(name), row) for name in columns}

        def cells(j: int) -> dict[str, str]:
            return {name: cell(at.descent_col(name), at.descent_first + j) for name in columns}

        formulas = row_formulas(lesson, here, before, batch_start(lesson, k, at.n_samples, cells))
        if lesson.descent_y is not None:
            formulas["y"] = lesson.descent_y[k]
        for feature, x in zip(features, inputs, strict=True):
            put(ws, at.descent_col(feature), row, x, formats[feature], editable=True)
        for header in columns[len(features) :]:
            put(ws, at.descent_col(header), row, formulas[header], formats[header])
        mark_batch_end(ws, lesson, k, at.n_samples, row, [at.descent_col(name) for name in columns])
        before = sources_above(lesson, here)
    first, last = at.descent_first, at.descent_last
    names = {"descent": name_ref(at.descent_col(columns[0]), first, at.descent_col(at.descent_columns[-1]), last)}
    for name in (*features, "y"):
        names[f"descent_{name}"] = name_ref(at.descent_col(name), first, at.descent_col(name), last)
    names |= {f"next_{p}": name_ref(at.descent_col(f"new_{p}"), last) for p in lesson.params}
    names |= _band(at, "descent_state", at.state_columns, first, last)
    names |= {f"next_{name}": name_ref(at.descent_col(name), last) for name in at.state_columns}
    return names | _band(at, "descent_estimates", at.estimate_columns, first, last)


def _band(at: Layout, name: str, columns: tuple[str, ...], first: int, last: int) -> dict[str, str]:
    """``name`` over the adjacent table columns ``columns`` (no name when there are none)."""
    if not columns:
        return {}
    return {name: name_ref(at.descent_col(columns[0]), first, at.descent_col(columns[-1]), last)}


def write_epoch_log(ws: Worksheet, lesson: Lesson, at: Layout) -> dict[str, str]:
    """An empty log (epoch, each parameter, loss) that `gdsheet run` fills and `gdsheet reset` clears.

    ``epoch_log`` always names at least one row; rows with an empty epoch cell are unused.
    The first body row carries the number formats that the rows added later inherit.
    """
    headers = ("epoch", *lesson.params, loss_key(lesson.loss), *(("accuracy",) if lesson.spec.classes else ()))
    formats = (INTEGER, *(param_format(lesson) for _ in lesson.params), lesson.loss_format, ACCURACY)[: len(headers)]
    log = at.log_col
    put(ws, log, at.hints_row, "Epoch log")
    for i, (header, fmt) in enumerate(zip(headers, formats, strict=True)):
        put(ws, log + i, at.descent_header, header, header=True)
        put(ws, log + i, at.descent_first, None, fmt)
    return {"epoch_log": name_ref(log, at.descent_first, log + len(headers) - 1, at.descent_first)}
