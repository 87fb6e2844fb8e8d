"""The lesson model: one validated, immutable description of a gradient-descent lesson.

Everything downstream (the numpy reference and the workbook writer) reads a :class:`Lesson`
and nothing else, so the two stay independent and their agreement means something. Presets
are TOML files in ``templates/`` that a teacher can read and edit; they are shipped inside the
installed package as ``gdsheet/templates``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from gdsheet.errors import GdsheetError
from gdsheet.lesson.models import DEFAULT_MODEL, MODELS, ModelSpec
from gdsheet.lesson.optimizers import HYPER_PARAMETERS, OPTIMIZERS, optimizer_state
from gdsheet.lesson.preset_input import check_lesson_texts, parse_preset, read_preset_text
from gdsheet.lesson.schedules import DEFAULT_DECAY, DEFAULT_SCHEDULE, DEFAULT_STEP_EPOCHS, SCHEDULES
from gdsheet.limits import epochs_problem

GRADIENT_RULES = ("analytic", "finite-difference", "swapped")
"""How each parameter's new value is computed (for the line: new_m and new_b).

- ``analytic``: the true partial derivatives (the line's de/dm = 2x(mx+b−y), de/db = 2(mx+b−y)).
- ``finite-difference``: the estimates (err(p+h) − err)/h, one per parameter p.
- ``swapped``: the published sheet's rule, for a model of two parameters (the line): each is
  moved by the other's derivative, m by 2(mx+b−y) and b by 2x(mx+b−y).
"""

LOSSES = ("rmse", "root-sum-square", "log-loss")
"""``rmse`` is √(mean of squared errors); ``root-sum-square`` is the published sheet's √(sum);
``log-loss`` the mean of a classifier's −(y·ln p + (1−y)·ln(1−p)). Each model says which it takes."""


def descent_columns(
    features: tuple[str, ...],
    params: tuple[str, ...],
    forward: tuple[str, ...] = (),
    backward: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """The descent table's columns (the ``descent`` name's contract, shared by reference and writer):
    the inputs and y, the parameters, the model's ``forward`` columns (a network's a_j and h_j),
    y_pred and error_sq, its ``backward`` columns (dE/dy_pred, dE/da_j), then per parameter p its
    shifted error ``err_p1``, its slope ``de/dp`` and its new value ``new_p``. For the line: x, y,
    m, b, y_pred, error_sq, err_m1, de/dm, new_m, err_b1, de/db, new_b."""
    per_param = tuple(column for p in params for column in (f"err_{p}1", f"de/d{p}", f"new_{p}"))
    return (*features, "y", *params, *forward, "y_pred", "error_sq", *backward, *per_param)


def estimate_columns(params: tuple[str, ...]) -> tuple[str, ...]:
    """Finite-difference estimates of each slope, computed beside the table: ``est de/dp``."""
    return tuple(f"est de/d{p}" for p in params)


def loss_key(loss: str) -> str:
    """The loss as a log header and a JSON key: ``rmse`` or ``root_sum_square``."""
    return loss.replace("-", "_")


PARAM_FIELDS = ("start", "actual", "guess")
"""The values a lesson holds per parameter p, named ``p_start``, ``p_actual``, ``p_guess`` (as the
workbook's defined names are). The line's m and b are fields (``m_start`` ...); any other
parameter's are in :attr:`Lesson.param_values`."""

MAX_LIVE_EPOCHS = 1000

TEXT_KEYS = ("title", "intro", "data", "guess", "error", "landscape", "descent_title", "descent")


@dataclass(frozen=True)
class Lesson:
    """A lesson: the line, the data, the guess, the grid, the descent table and its rules.

    ``descent_y`` is ``None`` when the samples lie on the line (the workbook then derives
    each y with a formula); it holds numbers when the samples come from a CSV file.
    """

    name: str
    summary: str
    m_actual: float
    b_actual: float
    data_x: tuple[float, ...]
    m_guess: float
    b_guess: float
    grid_m: tuple[float, ...]
    grid_b: tuple[float, ...]
    descent_x: tuple[float, ...]
    descent_y: tuple[float, ...] | None
    m_start: float
    b_start: float
    learn: float
    epochs: int
    fd_step: float
    gradient: str
    loss: str
    loss_label: str
    loss_format: str
    grid_format: str
    text: Mapping[str, str] = field(default_factory=dict)
    optimizer: str = "sgd"
    momentum: float = HYPER_PARAMETERS["momentum"]
    alpha: float = HYPER_PARAMETERS["alpha"]
    beta1: float = HYPER_PARAMETERS["beta1"]
    beta2: float = HYPER_PARAMETERS["beta2"]
    eps: float = HYPER_PARAMETERS["eps"]
    state_start: Mapping[str, float] = field(default_factory=dict)
    """The optimizer state at the top of the table (missing entries are 0), e.g. after a run."""
    live_epochs: int = 0
    batch_size: int = 1
    """Samples per update: the parameters change once per batch of this many consecutive rows, by
    the mean of their slopes (1: every sample, the published lesson's; the number of samples:
    full-batch gradient descent)."""
    """Epochs unrolled as formulas on the ``Live`` sheet (0: no such sheet)."""
    samples_note: str = ""
    """Where the descent samples came from, for the lesson's text ("" : the preset's, on the line)."""
    published_rows: bool = False
    """Keep the published sheet's row gaps (the seed preset, whose cells sit where they were
    published); other lessons leave no more blank rows than their text and charts need."""
    published_formats: bool = False
    """Keep the published sheet's number formats (whole numbers, m and b to 3 decimals); other
    lessons show the samples as typed and every derived value without rounding it to 0."""
    model: str = DEFAULT_MODEL
    """The model the lesson fits (:data:`gdsheet.lesson.models.MODELS`)."""
    param_values: Mapping[str, float] = field(default_factory=dict)
    """Start, actual and guess values of parameters that are not the line's m and b, keyed
    ``p_start``, ``p_actual``, ``p_guess`` (missing: 0)."""
    schedule: str = DEFAULT_SCHEDULE
    """The learning-rate schedule (:mod:`gdsheet.lesson.schedules`): constant, step or cosine."""
    decay: float = DEFAULT_DECAY
    """The step schedule's factor G (> 0): the rate is multiplied by G every ``step_epochs`` epochs."""
    step_epochs: int = DEFAULT_STEP_EPOCHS
    """The step schedule's S (≥ 1): epochs between two decays."""
    cosine_epochs: int = 0
    """The cosine schedule's E (≥ 1), the epochs it anneals over; 0: the live epochs (or, without a
    Live sheet, the epochs per run). See :attr:`cosine_span`."""
    epoch_start: int = 1
    """The epoch number the descent table plays (what `run` advances from epoch to epoch)."""
    wireframe: bool = False
    """Add the Surface sheet: the loss grid as a projected wireframe with the descent path."""
    view_angle: float = 30.0
    """The wireframe's view angle in degrees (the Surface sheet's ``view_angle``)."""
    view_height: float = 0.6
    """The wireframe's height: the largest grid loss rises this far above the plane (``view_height``)."""
    sweep: tuple[tuple[str, float | None], ...] = ()
    """The Sweep sheet's variants, (optimizer, rate) each; rate ``None`` plays ``learn``
    (:mod:`gdsheet.lesson.sweep`). Empty: no Sweep sheet."""
    more_x: tuple[tuple[float, ...], ...] = ()
    """The descent samples' further inputs, one tuple per feature after the first (x2 … xk)."""
    data_more_x: tuple[tuple[float, ...], ...] = ()
    """The data block's further inputs, like :attr:`more_x`."""
    data_y: tuple[float, ...] | None = None
    """The data block's y values (the samples being fit); ``None``: on the model at ``p_actual``."""
    actual_known: bool = True
    """Whether the lesson has actual parameters (``p_actual``): not for samples from a CSV."""
    landscape_params: tuple[str, str] | None = None
    """The two parameters the loss grid spans (rows, columns); ``None``: the model's default."""
    hidden: int = 0
    """Hidden units, for a model with a hidden layer (``spec.activations``); 0 for any other."""
    activation: str = ""
    """The hidden layer's activation (one of ``spec.activations``); "" for a model without one."""
    start_seed: int = 0
    """The seed a network's start weights were drawn with (``spec.start_values``), for its text."""
    epoch_log: Mapping[str, tuple[float | None, ...]] = field(default_factory=dict)
    """The epoch log as the workbook holds it, column by column (``epoch`` and each parameter;
    ``None`` for an empty cell): what the Surface sheet's log path reads. Empty for a new lesson,
    whose log `gdsheet run` has not filled yet."""

    def __post_init__(self) -> None:
        _validate(self)

    def with_overrides(self, **overrides: Any) -> Lesson:
        """Return a copy with some fields replaced (``None`` values are ignored), re-validated."""
        changes = {key: value for key, value in overrides.items() if value is not None}
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise GdsheetError(f"unknown lesson setting(s): {', '.join(unknown)}")
        for key in ("data_x", "grid_m", "grid_b", "descent_x", "descent_y", "data_y", "landscape_params", "sweep"):
            if key in changes:
                changes[key] = tuple(changes[key])
        for key in ("more_x", "data_more_x"):
            if key in changes:
                changes[key] = tuple(tuple(column) for column in changes[key])
        return dataclasses.replace(self, **changes)

    @property
    def spec(self) -> ModelSpec:
        """The model's metadata."""
        return MODELS[self.model]

    @property
    def model_key(self) -> str:
        """The model's key in the writer's and the reference's registries: its name, and for a
        model with an activation the variant of that activation (``mlp/tanh``)."""
        return model_key(self.model, self.activation)

    @property
    def n_features(self) -> int:
        return len(self.x_columns)

    @property
    def x_columns(self) -> tuple[tuple[float, ...], ...]:
        """The descent samples' inputs, one tuple per feature (the line's one: ``descent_x``)."""
        return (self.descent_x, *self.more_x)

    @property
    def data_columns(self) -> tuple[tuple[float, ...], ...]:
        """The data block's inputs, one tuple per feature."""
        return (self.data_x, *self.data_more_x)

    @property
    def features(self) -> tuple[str, ...]:
        """The data columns before y (the line's ``x``)."""
        return self.spec.features(self.n_features)

    @property
    def params(self) -> tuple[str, ...]:
        """The model's parameters, in table order (the line's m and b)."""
        return (
            self.spec.params(self.n_features, self.hidden)
            if self.spec.activations
            else self.spec.params(self.n_features)
        )

    @property
    def landscape(self) -> tuple[str, str]:
        """The two parameters the loss grid spans: rows, columns."""
        return self.landscape_params or self.spec.landscape(self.n_features)

    @property
    def state(self) -> tuple[str, ...]:
        """The optimizer's state columns for this model's parameters."""
        return optimizer_state(self.optimizer, self.params)

    @property
    def columns(self) -> tuple[str, ...]:
        """The descent table's columns (the ``descent`` name's)."""
        spec, k = self.spec, self.n_features
        return descent_columns(self.features, self.params, spec.forward(k, self.hidden), spec.backward(k, self.hidden))

    @property
    def estimates(self) -> tuple[str, ...]:
        """The finite-difference estimate columns."""
        return estimate_columns(self.params)

    @property
    def has_wireframe(self) -> bool:
        """Whether the lesson draws the wireframe (``wireframe``, and a grid of at least two values on
        each axis: a mesh to draw)."""
        return self.wireframe and len(self.grid_m) >= 2 and len(self.grid_b) >= 2

    @property
    def cosine_span(self) -> int:
        """The cosine schedule's E: ``cosine_epochs``, or the live epochs, or the epochs per run."""
        return self.cosine_epochs or self.live_epochs or self.epochs

    def value(self, name: str) -> float:
        """A parameter's start, actual or guess value by its defined name (``m_start``, ``w2_guess``)."""
        if name in _FIELD_NAMES:
            return float(getattr(self, name))
        return float(self.param_values.get(name, 0.0))

    def values_of(self, kind: str) -> dict[str, float]:
        """Every parameter's ``kind`` value (``start``, ``actual`` or ``guess``), by parameter."""
        return {p: self.value(f"{p}_{kind}") for p in self.params}

    @property
    def samples_y(self) -> tuple[float, ...]:
        """The descent samples' y values, derived from the line when not given (only the line's
        samples may be left to the model: other models' lessons always carry their y)."""
        if self.descent_y is not None:
            return self.descent_y
        return tuple(self.m_actual * x + self.b_actual for x in self.descent_x)


def model_key(model: str, activation: str = "") -> str:
    """A model's registry key on the writer's and the reference's side (``mlp/tanh``, ``line``)."""
    return f"{model}/{activation}" if activation else model


_FIELD_NAMES = frozenset(f"{p}_{kind}" for p in ("m", "b") for kind in PARAM_FIELDS)


def _finite(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise GdsheetError(f"{name} must be a finite number, got {value!r}")


def _validate(lesson: Lesson) -> None:
    """Reject anything a workbook or the reference could not compute sensibly."""
    for name in ("m_actual", "b_actual", "m_guess", "b_guess", "m_start", "b_start", "learn", "fd_step"):
        _finite(name, getattr(lesson, name))
    if lesson.learn <= 0:
        raise GdsheetError(f"learn must be > 0, got {lesson.learn!r}")
    if lesson.fd_step <= 0:
        raise GdsheetError(f"fd_step must be > 0, got {lesson.fd_step!r}")
    if problem := epochs_problem(lesson.epochs, integer=True):
        raise GdsheetError(problem)
    for name in ("data_x", "grid_m", "grid_b", "descent_x"):
        values = getattr(lesson, name)
        if not values:
            raise GdsheetError(f"{name} must hold at least one number")
        for value in values:
            _finite(name, value)
    if lesson.descent_y is not None:
        if len(lesson.descent_y) != len(lesson.descent_x):
            raise GdsheetError("descent x and y must have the same length")
        for value in lesson.descent_y:
            _finite("descent_y", value)
    if lesson.model not in MODELS:
        raise GdsheetError(f"model must be one of {', '.join(MODELS)}, got {lesson.model!r}")
    _validate_inputs(lesson)
    _validate_hidden(lesson)
    if lesson.gradient not in GRADIENT_RULES:
        raise GdsheetError(f"gradient must be one of {', '.join(GRADIENT_RULES)}, got {lesson.gradient!r}")
    if lesson.gradient not in lesson.spec.gradients:
        allowed = ", ".join(lesson.spec.gradients)
        raise GdsheetError(f"the {lesson.model} model takes the gradient {allowed}; not {lesson.gradient!r}")
    allowed_values = {f"{p}_{kind}" for p in lesson.params for kind in PARAM_FIELDS} - _FIELD_NAMES
    for name, value in lesson.param_values.items():
        if name not in allowed_values:
            raise GdsheetError(f"the {lesson.model} model has no setting {name!r}")
        _finite(name, value)
    if lesson.loss not in LOSSES:
        raise GdsheetError(f"loss must be one of {', '.join(LOSSES)}, got {lesson.loss!r}")
    if lesson.loss not in lesson.spec.losses:
        raise GdsheetError(
            f"the {lesson.model} model takes the loss {', '.join(lesson.spec.losses)}; not {lesson.loss!r}"
        )
    _validate_classes(lesson)
    _validate_schedule(lesson)
    _validate_sweep(lesson)
    for name in ("view_angle", "view_height"):
        _finite(name, getattr(lesson, name))
    # preset input: texts and number formats (see gdsheet.lesson.preset_input)
    check_lesson_texts({f.name: getattr(lesson, f.name) for f in dataclasses.fields(lesson)}, lesson.text)
    _validate_optimizer(lesson)


def _whole(name: str, value: object, low: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= low


def _validate_schedule(lesson: Lesson) -> None:
    """The schedule's name, its factor and periods, and the epoch number the table plays."""
    if lesson.schedule not in SCHEDULES:
        raise GdsheetError(f"schedule must be one of {', '.join(SCHEDULES)}, got {lesson.schedule!r}")
    _finite("decay", lesson.decay)
    if lesson.decay <= 0:
        raise GdsheetError(f"decay must be > 0, got {lesson.decay!r}")
    if not _whole("step_epochs", lesson.step_epochs, 1):
        raise GdsheetError(f"step_epochs must be a whole number >= 1, got {lesson.step_epochs!r}")
    if not _whole("cosine_epochs", lesson.cosine_epochs, 0):
        raise GdsheetError(f"cosine_epochs must be a whole number >= 1, got {lesson.cosine_epochs!r}")
    if not _whole("epoch_start", lesson.epoch_start, 1):
        raise GdsheetError(f"epoch_start must be a whole number >= 1, got {lesson.epoch_start!r}")


MAX_SWEEP_VARIANTS = 64
"""At most this many variants on a Sweep sheet (one chart series each)."""


def _validate_sweep(lesson: Lesson) -> None:
    """Each variant's optimizer and rate; a sweep needs live epochs to unroll."""
    if not lesson.sweep:
        return
    if len(lesson.sweep) > MAX_SWEEP_VARIANTS:
        raise GdsheetError(f"a sweep has at most {MAX_SWEEP_VARIANTS} variants, got {len(lesson.sweep)}")
    if lesson.live_epochs < 1:
        raise GdsheetError("a sweep unrolls the live epochs: give --live-epochs N (at least 1)")
    for optimizer, rate in lesson.sweep:
        if optimizer not in OPTIMIZERS:
            raise GdsheetError(f"compare: optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
        if rate is not None:
            _finite("sweep rate", rate)
            if rate <= 0:
                raise GdsheetError(f"every sweep rate must be > 0, got {rate!r}")


def _validate_inputs(lesson: Lesson) -> None:
    """The model's inputs: as many features as it takes, columns of one length, a landscape of two
    of its parameters, y given where no actual parameters are."""
    k, most = lesson.n_features, lesson.spec.max_features
    if not 1 <= k <= most or len(lesson.data_columns) != k:
        raise GdsheetError(
            f"the {lesson.model} model takes 1 to {most} input(s); the samples have {k} and the data block "
            f"{len(lesson.data_columns)}"
        )
    for name, columns in (("descent", lesson.x_columns), ("data", lesson.data_columns)):
        for column in columns:
            if len(column) != len(columns[0]):
                raise GdsheetError(f"the {name} inputs must all have the same number of samples")
            for value in column:
                _finite(f"{name} x", value)
    if lesson.data_y is not None:
        if len(lesson.data_y) != len(lesson.data_x):
            raise GdsheetError("the data block's x and y must have the same length")
        for value in lesson.data_y:
            _finite("data_y", value)
    if not lesson.actual_known and (lesson.data_y is None or lesson.descent_y is None):
        raise GdsheetError(f"this {lesson.model} lesson needs its samples' y values (it has no actual parameters)")
    if lesson.descent_y is None and lesson.model != "line":  # Lesson.samples_y derives only the line's
        raise GdsheetError(f"the {lesson.model} model needs its descent samples' y values (a [descent] y list)")
    pair = lesson.landscape
    if len(pair) != 2 or pair[0] == pair[1] or not set(pair) <= set(lesson.params):
        raise GdsheetError(
            f"the landscape is two different parameters of the {lesson.model} model "
            f"({', '.join(lesson.params)}), got {','.join(map(str, pair))}"
        )


def _validate_hidden(lesson: Lesson) -> None:
    """A model with a hidden layer has 1 to ``max_hidden`` units and one of its activations; any
    other model neither."""
    spec = lesson.spec
    if not spec.activations:
        if lesson.hidden or lesson.activation:
            raise GdsheetError(f"the {lesson.model} model has no hidden layer (hidden units and an activation)")
        return
    size, most = lesson.hidden, spec.max_hidden
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= most:
        raise GdsheetError(f"hidden must be a whole number from 1 to {most}, got {size!r}")
    if lesson.activation not in spec.activations:
        raise GdsheetError(f"activation must be one of {', '.join(spec.activations)}, got {lesson.activation!r}")


def _validate_classes(lesson: Lesson) -> None:
    """A classifier's samples carry labels, each one of its classes (logistic: 0 or 1)."""
    classes = lesson.spec.classes
    if not classes:
        return
    if lesson.descent_y is None:
        raise GdsheetError(f"the {lesson.model} model needs the samples' labels y (a [descent] y list or --data)")
    for k, value in enumerate(lesson.descent_y, start=1):
        if value not in classes:
            allowed = " or ".join(f"{c:g}" for c in classes)
            raise GdsheetError(f"the {lesson.model} model's labels y must be {allowed}; sample {k} has y = {value!r}")


def _validate_optimizer(lesson: Lesson) -> None:
    """The optimizer, its hyper-parameters (torch.optim's ranges), its start state, live epochs."""
    if lesson.optimizer not in OPTIMIZERS:
        raise GdsheetError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {lesson.optimizer!r}")
    if lesson.optimizer != "sgd" and lesson.gradient != "analytic":
        raise GdsheetError(
            f"the {lesson.optimizer} optimizer uses the analytic gradient; gradient {lesson.gradient!r} needs sgd"
        )
    for name in HYPER_PARAMETERS:
        _finite(name, getattr(lesson, name))
    for name in ("momentum", "alpha", "beta1", "beta2"):
        if not 0 <= getattr(lesson, name) < 1:
            raise GdsheetError(f"{name} must be >= 0 and < 1, got {getattr(lesson, name)!r}")
    if lesson.eps <= 0:
        raise GdsheetError(f"eps must be > 0, got {lesson.eps!r}")
    unknown = sorted(set(lesson.state_start) - set(lesson.state))
    if unknown:
        raise GdsheetError(f"the {lesson.optimizer} optimizer has no state {', '.join(unknown)}")
    for name, value in lesson.state_start.items():
        _finite(f"{name}_start", value)
    size, n = lesson.batch_size, len(lesson.descent_x)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= n:
        raise GdsheetError(f"batch_size must be a whole number from 1 to {n:,} (the samples), got {size!r}")
    live = lesson.live_epochs
    if isinstance(live, bool) or not isinstance(live, int) or not 0 <= live <= MAX_LIVE_EPOCHS:
        raise GdsheetError(f"live_epochs must be a whole number from 0 to {MAX_LIVE_EPOCHS}, got {live!r}")
    for key in ("published_rows", "published_formats"):
        if not isinstance(getattr(lesson, key), bool):
            raise GdsheetError(f"layout.{key} must be true or false, got {getattr(lesson, key)!r}")


DEFAULT_PRESET = "corrected"
"""The preset `gdsheet build` uses when none is named."""


def _template_dir() -> Path:
    """Where the preset files are: inside the installed package, or ``templates/`` in a checkout."""
    installed = resources.files("gdsheet").joinpath("templates")
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parents[2] / "templates"


def preset_names() -> list[str]:
    """The names of the shipped presets, sorted."""
    return sorted(path.stem for path in _template_dir().glob("*.toml"))


def _numbers(table: Mapping[str, Any], key: str, where: str) -> tuple[float, ...]:
    values = table.get(key)
    if not isinstance(values, list):
        raise GdsheetError(f"{where}: '{key}' must be a list of numbers")
    return tuple(values)


def lesson_from_toml(text: str, where: str) -> Lesson:
    """Parse a preset's TOML text; ``where`` names the source in error messages."""
    doc = parse_preset(text, where)  # preset input: every value type-checked, texts and sizes bounded
    try:
        line, guess, grid = doc["line"], doc["guess"], doc["grid"]
        descent, rules = doc["descent"], doc["rules"]
        text_table = doc.get("text", {})
        model = rules.get("model", DEFAULT_MODEL)
        spec = MODELS.get(model, MODELS[DEFAULT_MODEL])
        # each parameter p is line.p_actual, guess.p and descent.p_start; the grid spans the
        # model's landscape parameters (the line's grid.m and grid.b)
        values = {}
        # (a preset whose data block gives its y, ``line.data_y``, has no actual parameters; any it
        # names are only where generated samples lie)
        hidden, activation = rules.get("hidden", 0), rules.get("activation", "")
        if spec.start_values is not None:  # drawn, not listed: guess and start are the same draw
            if isinstance(hidden, bool) or not isinstance(hidden, int) or not 1 <= hidden <= spec.max_hidden:
                raise GdsheetError(f"rules.hidden must be a whole number from 1 to {spec.max_hidden}, got {hidden!r}")
            drawn = spec.start_values(1, hidden, 0)  # `gdsheet build --seed K` draws them again
            values |= {f"{p}_{kind}": value for p, value in drawn.items() for kind in ("guess", "start")}
        for p in spec.params(1) if spec.start_values is None else ():
            values |= {f"{p}_guess": guess[p], f"{p}_start": descent[f"{p}_start"]}
            if "data_y" not in line or f"{p}_actual" in line:
                values[f"{p}_actual"] = line[f"{p}_actual"]
        rows_p, cols_p = spec.landscape(1)
        lesson = Lesson(
            name=doc["name"],
            summary=doc.get("summary", ""),
            data_x=_numbers(line, "data_x", where),
            grid_m=_numbers(grid, rows_p, where),
            grid_b=_numbers(grid, cols_p, where),
            descent_x=_numbers(descent, "x", where),
            descent_y=_numbers(descent, "y", where) if "y" in descent else None,
            data_y=_numbers(line, "data_y", where) if "data_y" in line else None,
            actual_known="data_y" not in line,
            **{name: values.get(name, 0.0) for name in _FIELD_NAMES},
            param_values={name: value for name, value in values.items() if name not in _FIELD_NAMES},
            learn=descent["learn"],
            epochs=descent["epochs"],
            fd_step=descent.get("fd_step", 0.01),
            gradient=rules["gradient"],
            loss=rules["loss"],
            loss_label=rules.get("loss_label", "RMSE"),
            loss_format=rules.get("loss_format", "0.00"),
            grid_format=rules.get("grid_format", "0.0"),
            text={key: str(text_table.get(key, "")).strip() for key in TEXT_KEYS},
            optimizer=rules.get("optimizer", "sgd"),
            live_epochs=descent.get("live_epochs", 0),
            batch_size=descent.get("batch_size", 1),
            published_rows=doc.get("layout", {}).get("published_rows", False),
            published_formats=doc.get("layout", {}).get("published_formats", False),
            model=model,
            hidden=hidden,
            activation=activation,
            schedule=rules.get("schedule", DEFAULT_SCHEDULE),
            decay=rules.get("decay", DEFAULT_DECAY),
            step_epochs=rules.get("step_epochs", DEFAULT_STEP_EPOCHS),
            cosine_epochs=rules.get("cosine_epochs", 0),
            **{name: rules.get(name, default) for name, default in HYPER_PARAMETERS.items()},
        )
    except KeyError as exc:
        raise GdsheetError(f"{where}: missing setting {exc.args[0]!r}") from None
    except GdsheetError as exc:
        raise GdsheetError(f"{where}: {exc}") from None
    return lesson


def preset_summary(name: str) -> str:
    """A shipped preset's one-line summary, read from its file without building the lesson (so
    that `gdsheet templates` imports no numpy, which a network's drawn start weights need)."""
    path = _template_dir() / f"{name}.toml"
    return str(parse_preset(read_preset_text(path), path.name).get("summary", ""))


def load_preset(name: str) -> Lesson:
    """Load a shipped preset by name, or a preset file by path (ending in .toml)."""
    path = Path(name) if name.endswith(".toml") else _template_dir() / f"{name}.toml"
    if not path.is_file():
        raise GdsheetError(f"unknown preset {name!r}; choose one of: {', '.join(preset_names())}")
    return lesson_from_toml(read_preset_text(path), str(path.name))
