"""Read a lesson back from a workbook's inputs, through its defined names only.

`gdsheet check` compares a workbook with the reference computed from the workbook's *own*
inputs, so a lesson edited in Excel (new data, another learn rate) is checked as edited.
Derived cells are never read here: a y cell that holds a formula stands for the model at its
actual parameters (the line's y = m_actual·x + b_actual), whatever the formula says, so the check
can catch a wrong formula. The model is read from the ``model`` cell (a workbook without one is a
line lesson), and every name asked for is the model's.
"""

from __future__ import annotations

from gdsheet.engine.evaluator import Evaluator
from gdsheet.errors import WorkbookError
from gdsheet.lesson.contract import ACTIVATION_NAME, MODEL_NAME, PARAMETERS_NAME, start_name
from gdsheet.lesson.models import DEFAULT_MODEL, MODELS, ModelSpec
from gdsheet.lesson.optimizers import HYPER_PARAMETERS, OPTIMIZER_SPECS
from gdsheet.lesson.schedules import DEFAULT_SCHEDULE, EPOCH, SCHEDULE_INPUTS
from gdsheet.lesson.spec import PARAM_FIELDS, Lesson, model_key
from gdsheet.lesson.sweep import OPTIMIZERS_NAME, RATES_NAME
from gdsheet.reference.models import MODELS as REFERENCE_MODELS
from gdsheet.xlsx.cellvalue import is_number

COMMON_NAMES = ("data_y", "descent_y", "learn", "epochs", "fd_step", "gradient", "loss")
"""The inputs every lesson has, whatever its model."""


def _number(ev: Evaluator, name: str) -> float:
    return ev.numbers(name)[0]


def _text(ev: Evaluator, name: str, default: str) -> str:
    return str(ev.constants(name)[0]) if name in ev.names else default


def _parameters(ev: Evaluator, spec: ModelSpec) -> tuple[tuple[str, ...], int, int]:
    """The model's parameters as the ``parameters`` cells name them, its number of inputs and (for
    a model with a hidden layer) of hidden units."""
    if PARAMETERS_NAME not in ev.names:
        return spec.params(1), 1, 0
    named = tuple(str(value) for value in ev.constants(PARAMETERS_NAME))
    for hidden in range(1, spec.max_hidden + 1) if spec.activations else (0,):
        for k in range(1, spec.max_features + 1):
            if (spec.params(k, hidden) if hidden else spec.params(k)) == named:
                return named, k, hidden
    raise WorkbookError(f"{ev.path}: the {PARAMETERS_NAME} cells {named!r} are not the {spec.name} model's")


def _landscape(ev: Evaluator, params: tuple[str, ...]) -> tuple[str, str]:
    """The grid's two parameters: the ``grid_p`` names; the rows' axis is the left-most (column C)."""
    axes = sorted((p for p in params if f"grid_{p}" in ev.names), key=lambda p: ev.area(f"grid_{p}").min_col)
    if len(axes) != 2:
        raise WorkbookError(f"{ev.path}: expected two grid axes (grid_p names), found {len(axes)}")
    return axes[0], axes[1]


def _samples_y(ev: Evaluator, name: str, model: str, actual: dict[str, float] | None,
               columns: list[tuple[float, ...]], on_model: bool = False) -> tuple[float, ...] | None:  # fmt: skip
    """The y cells of ``name``: each number as it is, each formula as the model at the actual
    parameters; with ``on_model``, ``None`` when any cell is not a number (the samples lie on the model)."""
    stored = ev.constants(name)
    if on_model and actual is not None and not all(isinstance(y, (int, float)) for y in stored):
        return None  # formulas there: the block is derived, and any constant in it a mismatch
    predict = REFERENCE_MODELS[model].predict
    values = []
    for i, y in enumerate(stored):
        if isinstance(y, (int, float)):
            values.append(float(y))
        elif actual is None:
            raise WorkbookError(f"{ev.path}: {name} holds a formula, but the lesson has no actual parameters")
        else:
            values.append(float(predict(actual, [column[i] for column in columns], None, 0.0)))
    return tuple(values)


def lesson_from_workbook(ev: Evaluator) -> Lesson:
    """The lesson whose inputs the workbook holds (text, labels and formats left at defaults)."""
    model = _text(ev, MODEL_NAME, DEFAULT_MODEL)
    if model not in MODELS:
        raise WorkbookError(f"{ev.path}: the model cell names {model!r}, not one of {', '.join(MODELS)}")
    spec = MODELS[model]
    params, k, hidden = _parameters(ev, spec)
    activation = _text(ev, ACTIVATION_NAME, "") if spec.activations else ""
    features = spec.features(k)
    actual_known = all(f"{p}_actual" in ev.names for p in params)
    kinds = PARAM_FIELDS if actual_known else tuple(kind for kind in PARAM_FIELDS if kind != "actual")
    per_param = tuple(f"{p}_{kind}" for p in params for kind in kinds)
    ev.require((*COMMON_NAMES, *per_param, *(f"descent_{f}" for f in features), *(f"data_{f}" for f in features)))
    rows_p, cols_p = _landscape(ev, params)
    values = {name: _number(ev, name) for name in per_param}
    x_columns = [ev.numbers(f"descent_{feature}") for feature in features]
    data_columns = [ev.numbers(f"data_{feature}") for feature in features]
    actual = {p: values[f"{p}_actual"] for p in params} if actual_known else None
    key = model_key(model, activation)
    descent_y = _samples_y(ev, "descent_y", key, actual, x_columns)
    data_y = _samples_y(ev, "data_y", key, actual, data_columns, on_model=True)
    epochs = _number(ev, "epochs")
    optimizer = _text(ev, "optimizer", "sgd")
    spec_opt = OPTIMIZER_SPECS.get(optimizer)
    state_names = spec_opt.state(params) if spec_opt else ()
    fields = {name: value for name, value in values.items() if name in _LINE_FIELDS}
    try:
        return Lesson(
            name=ev.path.stem,
            summary="",
            data_x=data_columns[0],
            data_more_x=tuple(data_columns[1:]),
            data_y=data_y,
            grid_m=ev.numbers(f"grid_{rows_p}"),
            grid_b=ev.numbers(f"grid_{cols_p}"),
            descent_x=x_columns[0],
            more_x=tuple(x_columns[1:]),
            descent_y=descent_y,
            actual_known=actual_known,
            landscape_params=(rows_p, cols_p),
            learn=_number(ev, "learn"),
            epochs=int(epochs) if epochs.is_integer() else -1,
            fd_step=_number(ev, "fd_step"),
            gradient=str(ev.constants("gradient")[0]),
            loss=str(ev.constants("loss")[0]),
            loss_label="",
            loss_format="",
            grid_format="",
            optimizer=optimizer,
            **{name: _number(ev, name) for name in HYPER_PARAMETERS if name in ev.names},
            state_start={name: _number(ev, start_name(name)) for name in state_names if start_name(name) in ev.names},
            live_epochs=ev.area("live_log").shape[0] if "live_log" in ev.names else 0,
            batch_size=int(_number(ev, "batch_size")) if "batch_size" in ev.names else 1,
            model=model,
            hidden=hidden,
            activation=activation,
            **_schedule(ev),
            sweep=_sweep(ev),
            **{name: _number(ev, name) for name in ("view_angle", "view_height") if name in ev.names},
            wireframe="wire_x" in ev.names,
            epoch_log=_epoch_log(ev, params) if "wire_log_path" in ev.names else {},
            param_values={name: value for name, value in values.items() if name not in _LINE_FIELDS},
            **_line_defaults(fields),
        )
    except WorkbookError:
        raise
    except Exception as exc:
        raise WorkbookError(f"{ev.path}: {exc}") from None


def _epoch_log(ev: Evaluator, params: tuple[str, ...]) -> dict[str, tuple[float | None, ...]]:
    """The epoch log's epoch and parameter columns as stored: a number, or None for an empty
    cell, a text or anything else (what the Surface sheet's log path reads, an input to it)."""
    log = ev.area("epoch_log")
    columns: dict[str, tuple[float | None, ...]] = {}
    for offset, header in enumerate(("epoch", *params)):
        if offset < log.shape[1]:
            cells = (ev.stored(log.sheet, log.min_col + offset, row) for row in range(log.min_row, log.max_row + 1))
            columns[header] = tuple(v if is_number(v) else None for v in cells)  # a stored number is a float
    return columns


def _whole(ev: Evaluator, name: str) -> int:
    """A whole-number input (a fraction becomes -1, which the lesson's validation refuses by name)."""
    value = _number(ev, name)
    return int(value) if value.is_integer() else -1


def _schedule(ev: Evaluator) -> dict[str, object]:
    """The learning-rate schedule's settings: its name and the inputs it reads, where the workbook has them."""
    schedule = _text(ev, "schedule", DEFAULT_SCHEDULE)
    settings: dict[str, object] = {"schedule": schedule}
    if schedule in SCHEDULE_INPUTS:
        for name in SCHEDULE_INPUTS[schedule]:
            ev.require((name,))
            settings[name] = _number(ev, name) if name == "decay" else _whole(ev, name)
    if start_name(EPOCH) in ev.names:
        settings["epoch_start"] = _whole(ev, start_name(EPOCH))
    return settings


def _sweep(ev: Evaluator) -> tuple[tuple[str, float | None], ...]:
    """The Sweep sheet's variants: each optimizer, and its rate where the sheet has rates."""
    if OPTIMIZERS_NAME not in ev.names:
        return ()
    optimizers = [str(value) for value in ev.constants(OPTIMIZERS_NAME)]
    rates: list[float | None] = list(ev.numbers(RATES_NAME)) if RATES_NAME in ev.names else [None] * len(optimizers)
    if len(rates) != len(optimizers):
        raise WorkbookError(f"{ev.path}: {RATES_NAME} and {OPTIMIZERS_NAME} must cover as many cells")
    return tuple(zip(optimizers, rates, strict=True))


_LINE_FIELDS = tuple(f"{p}_{kind}" for p in ("m", "b") for kind in PARAM_FIELDS)


def _line_defaults(values: dict[str, float]) -> dict[str, float]:
    """The Lesson's m/b fields: the workbook's where it has them, 0 for a model without m."""
    return {name: values.get(name, 0.0) for name in _LINE_FIELDS}
