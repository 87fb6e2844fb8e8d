"""The lesson's sentences, made true of the workbook they are written into.

A preset's text holds placeholders such as ``{samples}`` or ``{update_rule}``; :func:`lesson_facts`
computes each one from the lesson (numbers such as the epoch where the published rule's loss
bottoms out come from the numpy reference, at build time), and :func:`render` fills them in. A
fact that does not hold for this lesson is ``None``, and every sentence naming it is left out,
so a sentence is either computed or absent: never a stale number from another lesson.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import numpy as np

from gdsheet.errors import GdsheetError
from gdsheet.lesson.spec import Lesson
from gdsheet.reference.oracle import EpochRecord, diverges_at, lesson_grid, model_accuracy, run_epochs

HORIZON = 500
"""Epochs the reference plays to describe where a rule's loss goes."""
DIVERGE_EPOCHS = 100
"""Epochs the reference plays to find a larger rate that diverges, for the text."""
BUDGET = 400_000
"""At most this many sample steps (epochs × samples) are played for the text; beyond, those
sentences are left out rather than slowing the build of a large lesson."""

_PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")
# a sentence ends at its stop, or after a placeholder that is a sentence of its own
# ("{slice_note} Its lowest cell …": without the second rule a missing slice note dropped the next sentence)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`\"{])|(?<=\})\s+(?=[A-Z])")

LOSS_NAMES = {
    "rmse": "root mean squared error (RMSE)",
    "root-sum-square": "root of the sum of squared errors",
    "log-loss": "log loss (binary cross-entropy)",
}
LOSS_HOW = {
    "rmse": "Square each gap between prediction and truth, take the mean of those squares, then the square "
    "root: that is the RMSE, in the units of y.",
    "root-sum-square": "Square each gap between prediction and truth, add the squares up, then take the square "
    "root. No mean is taken, so this loss grows with the number of points.",
    "log-loss": "For each point take −(y·ln p + (1−y)·ln(1−p)), where p is the predicted probability of class 1 "
    "and y the true probability; the log loss is the mean of those. The cells compute it as softplus(z) − y·z "
    "(z the score inside the sigmoid), the same number written so that it never asks for the logarithm of 0.",
}


def number(value: float) -> str:
    """A number as the text shows it: up to 4 significant digits, no trailing zeros, a real minus."""
    text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}·10^{int(exponent)}"
    return text.replace("-", "−")


def _listed(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


SLOPES = {
    "line": "de/dm = 2x(mx+b−y) and de/db = 2(mx+b−y)",
    "linear": "de/dwj = 2·xj·(ŷ−y) for each weight wj and de/db = 2(ŷ−y), where ŷ = w1·x1 + … + b",
    "logistic": "de/dwj = xj·(p−y) for each weight wj and de/db = (p−y), where p = 1/(1+e^(−z))",
    "mlp": (
        "backpropagation, the chain rule column by column: dE/dy_pred = 2(ŷ−y), de/dout_wj = dE/dy_pred·hj, "
        "dE/daj = dE/dy_pred·out_wj·act′(aj) and de/dhj_wi = dE/daj·xi"
    ),
}
"""Each model's exact derivatives of a sample's squared error, in words (one entry per model)."""


def update_rule(lesson: Lesson) -> str:
    """What each row does to the parameters, for this lesson's model, gradient rule and optimizer
    (and, with mini-batches, how the batches change that)."""
    rule = _row_rule(lesson)
    if (schedule := schedule_sentence(lesson)) is not None:
        rule = f"{rule} {schedule}"
    if lesson.batch_size == 1:
        return rule
    size, n = lesson.batch_size, len(lesson.descent_x)
    batches = "one batch of every sample (full-batch gradient descent)" if size == n else f"batches of {size}"
    return (
        f"{rule} The samples go in {batches}, in table order: every row of a batch computes its slopes "
        "at the batch's starting values, the rows inside a batch hand those values on unchanged, and "
        "the batch's last row (ruled off below) makes the one update, with the mean of the batch's slopes."
    )


def schedule_sentence(lesson: Lesson) -> str | None:
    """The schedule in words, for the descent's text (None for a constant rate)."""
    if lesson.schedule == "step":
        return (
            f"The learning rate follows a step schedule: epoch e plays rate = learn·decay^⌊(e−1)/S⌋, "
            f"so it is multiplied by {number(lesson.decay)} every {lesson.step_epochs} epoch(s); the rows "
            "use rate where the text says learn."
        )
    if lesson.schedule == "cosine":
        return (
            f"The learning rate follows a cosine schedule over {lesson.cosine_span} epochs: epoch e plays "
            "rate = learn·(1 + cos(π(e−1)/E))/2, from learn at epoch 1 down towards 0; the rows use rate "
            "where the text says learn."
        )
    return None


def _row_rule(lesson: Lesson) -> str:
    """What each row does to the parameters, for this lesson's model, gradient rule and optimizer.

    A model or an optimizer this module has no sentence for is an error, never another's text."""
    if lesson.model not in SLOPES:
        raise GdsheetError(f"the lesson text has no sentence for the model {lesson.model!r}")
    params = list(lesson.params)
    true = SLOPES[lesson.model]
    moves = _listed([f"new {p} = {p} − learn·de/d{p}" for p in params])
    if lesson.optimizer == "sgd":
        if lesson.gradient == "swapped":
            return (
                "As in the published sheet, the derivatives are swapped: the de/dm column holds 2(mx+b−y), which "
                "is the slope for b, and the de/db column holds 2x(mx+b−y), the slope for m. "
                f"The row then sets {moves}."
            )
        if lesson.gradient == "finite-difference":
            estimates = _listed([f"est de/d{p} = (err_{p}1 − error_sq)/h" for p in params])
            return (
                f"The update uses estimated slopes: {estimates} measure how much the squared error grows "
                f"when {_listed(params).replace(' and ', ' or ')} grows by h. "
                f"The row sets {_listed([f'new {p} = {p} − learn·est de/d{p}' for p in params])}; the exact "
                f"derivatives {true} are shown beside them for comparison."
            )
        return (
            f"Its exact derivatives are {true}. The row sets {moves}. Beside them, "
            f"{_listed([f'est de/d{p}' for p in params])} estimate the same slopes by nudging "
            f"{_listed(params).replace(' and ', ' or ')} by h."
        )
    grads = f"The row computes the exact derivatives {true} and hands them to "
    each = f"each of {_listed(params)}"
    if lesson.optimizer == "momentum":
        return grads + (
            f"momentum (μ = {number(lesson.momentum)}): {each} keeps a velocity, v = μ·v + slope "
            f"(columns {_listed([f'vel_{p}' for p in params])}), and moves by p = p − learn·v."
        )
    if lesson.optimizer == "rmsprop":
        return grads + (
            f"RMSprop (α = {number(lesson.alpha)}, ε = {number(lesson.eps)}): {each} keeps a running "
            f"mean of its squared slope, s = α·s + (1−α)·slope² (columns {_listed([f'sq_{p}' for p in params])}), "
            "and moves by p = p − learn·slope/(√s + ε)."
        )
    if lesson.optimizer == "adam":
        return grads + (
            f"Adam (β1 = {number(lesson.beta1)}, β2 = {number(lesson.beta2)}, ε = {number(lesson.eps)}): running "
            f"means of each slope ({', '.join(f'avg_{p}' for p in params)}) and of its square "
            f"({', '.join(f'sq_{p}' for p in params)}), divided by 1−β1^t and 1−β2^t "
            "where t counts the steps, set each move p = p − learn·avg/(√sq + ε)."
        )
    raise GdsheetError(f"the lesson text has no sentence for the optimizer {lesson.optimizer!r}")


def _trajectory_facts(lesson: Lesson) -> dict[str, str | None]:
    """Where the published (swapped, plain SGD) rule and this lesson's own rule take the loss.

    The published rule needs two parameters to swap: for other models only the own rule is told."""
    facts: dict[str, str | None] = dict.fromkeys(
        ("swap_low_epoch", "swap_low_loss", "swap_end_loss", "swap_end_m", "swap_end_b", "own_falls_epochs",
         "own_end_b", "own_end_loss", "slope_ratio", "diverge_learn", "diverge_epoch")
    )  # fmt: skip
    facts["horizon"] = str(HORIZON)
    if HORIZON * len(lesson.descent_x) > BUDGET:
        return facts
    own = None
    if "swapped" in lesson.spec.gradients:
        swapped = dataclasses.replace(lesson, gradient="swapped", optimizer="sgd", state_start={})
        records = run_epochs(swapped, HORIZON)
        losses = np.array([r.rmse for r in records])
        low = int(losses.argmin()) if np.all(np.isfinite(losses)) else -1
        if 0 < low < HORIZON - 1 and losses[-1] > 2 * losses[low]:
            end = records[-1]
            facts |= {
                "swap_low_epoch": str(low + 1),
                "swap_low_loss": number(losses[low]),
                "swap_end_loss": number(losses[-1]),
                "swap_end_m": number(end.m),
                "swap_end_b": number(end.b),
            }
        if lesson.gradient == "swapped" and lesson.optimizer == "sgd":
            own = losses
    own_records = run_epochs(lesson, HORIZON)
    own = np.array([r.rmse for r in own_records]) if own is None else own
    if np.all(np.isfinite(own)) and np.all(np.diff(own) < 0):
        facts["own_falls_epochs"] = str(HORIZON)
    return facts | _slow_b_facts(lesson, own_records)


def _slow_b_facts(lesson: Lesson, records: list[EpochRecord]) -> dict[str, str | None]:
    """How far the lesson's own rule has taken b after HORIZON epochs, when it is plain SGD on the
    line and b is still far from b_actual (its slope is small next to m's), and how large a slope
    m's is, on average, next to b's (the mean |x| of the samples)."""
    facts: dict[str, str | None] = dict.fromkeys(("own_end_b", "own_end_loss", "slope_ratio"))
    if lesson.optimizer != "sgd" or lesson.gradient == "swapped" or "b" not in lesson.params or not records:
        return facts
    end = records[-1]
    gap = abs(lesson.b_actual - lesson.b_start)
    if not (np.isfinite(end.rmse) and gap > 0 and abs(lesson.b_actual - end.b) > gap / 2):
        return facts
    facts |= {
        "own_end_b": number(end.b),
        "own_end_loss": number(end.rmse),
        "slope_ratio": number(float(np.mean(np.abs(lesson.descent_x)))),
    }
    for times in (10, 100, 1000):  # the first larger rate that overflows within DIVERGE_EPOCHS
        faster = dataclasses.replace(lesson, learn=lesson.learn * times)
        if (epoch := diverges_at(faster, DIVERGE_EPOCHS)) is not None:
            return facts | {"diverge_learn": number(faster.learn), "diverge_epoch": str(epoch)}
    return facts


def lesson_facts(lesson: Lesson) -> dict[str, str | None]:
    """Every placeholder's text for this lesson (``None``: the sentence does not hold, leave it out)."""
    grid = lesson_grid(lesson)
    best_m, best_b = np.unravel_index(int(grid.argmin()), grid.shape)
    published_label = lesson.loss == "root-sum-square" and lesson.loss_label.lower() == "rmse"
    on_line = lesson.data_y is None
    rows_p, cols_p = lesson.landscape
    others = [p for p in lesson.params if p not in (rows_p, cols_p)]
    facts: dict[str, str | None] = {
        "own_data": None
        if on_line
        else f"The data block holds the {len(lesson.data_x):,} samples the descent table fits",
        "on_line": "" if on_line else None,
        "model_formula": _formula(lesson),
        "parameters": _listed(list(lesson.params)),
        "guess_values": ", ".join(f"{p} = {number(v)}" for p, v in lesson.values_of("guess").items()),
        "start_values": ", ".join(f"{p} = {number(v)}" for p, v in lesson.values_of("start").items()),
        "landscape_rows": rows_p,
        "landscape_cols": cols_p,
        "slice_note": (
            f"With {len(lesson.params)} parameters the grid is a slice: the others ({_listed(others)}) stay at "
            "their start values, as the grid's formulas read them."
            if others
            else None
        ),
        "samples": f"{len(lesson.descent_x):,}",
        "samples_note": lesson.samples_note
        or ("each labelled 0 or 1" if lesson.spec.classes else None)
        or f"each on the line y = {number(lesson.m_actual)}x + {number(lesson.b_actual)}",
        "data_points": f"{len(lesson.data_x):,}",
        "learn": number(lesson.learn),
        "epochs": f"{lesson.epochs:,}",
        "loss_name": LOSS_NAMES[lesson.loss],
        "loss_how": LOSS_HOW[lesson.loss],
        "loss_label": lesson.loss_label,
        "label_note": "rmse" if published_label else None,
        f"grid_best_{lesson.landscape[0]}": number(lesson.grid_m[best_m]),
        f"grid_best_{lesson.landscape[1]}": number(lesson.grid_b[best_b]),
        "activation": lesson.activation or None,
        "seed": str(lesson.start_seed) if lesson.spec.start_values is not None else None,
        "grid_best_rows": number(lesson.grid_m[best_m]),  # the same, whatever the two parameters are
        "grid_best_cols": number(lesson.grid_b[best_b]),
        "grid_best_loss": number(grid[best_m, best_b]),
        "update_rule": update_rule(lesson),
        "optimizer_state": " and the optimizer's state" if lesson.optimizer != "sgd" else "",
        "live_epochs": f"{lesson.live_epochs:,}" if lesson.live_epochs else None,
    }
    for kind in ("actual", "guess", "start"):  # the actual values only while the data lie on them
        facts |= {f"{p}_{kind}": number(v) if on_line or kind != "actual" else None
                  for p, v in lesson.values_of(kind).items()}  # fmt: skip
    if lesson.spec.classes:
        facts |= _accuracy_facts(lesson)
    return facts | _trajectory_facts(lesson)


def _formula(lesson: Lesson) -> str:
    """The model as the text writes it (one entry per model in :data:`FORMULAS`)."""
    weighted = " + ".join([f"{w}·x{w[1:]}" for w in lesson.params if w != "b"] + ["b"])
    return FORMULAS[lesson.model].format(sum=weighted, activation=lesson.activation)


FORMULAS = {
    "line": "y = m·x + b",
    "linear": "y = {sum}",
    "logistic": "p = 1/(1 + e^(−z)) with z = {sum}",
    "mlp": "ŷ = out_w1·h1 + … + out_b with hj = {activation}(hj_w1·x1 + … + hj_b)",
}
"""Each model's formula in words; ``{sum}`` is its weighted sum of the inputs (w1·x1 + … + b)."""


def _accuracy_facts(lesson: Lesson) -> dict[str, str | None]:
    """A classifier's accuracy at the start and after the horizon's epochs of its own rule."""
    start = model_accuracy(lesson.model_key, lesson.values_of("start"), lesson.x_columns, lesson.samples_y)
    facts: dict[str, str | None] = {"start_accuracy": f"{start:.0%}" if start is not None else None}
    facts["end_accuracy"] = None
    if HORIZON * len(lesson.descent_x) <= BUDGET:
        end = run_epochs(lesson, HORIZON)[-1].accuracy
        facts["end_accuracy"] = f"{end:.0%}" if end is not None else None
    return facts


def render(template: str, facts: Mapping[str, str | None]) -> str:
    """Fill the placeholders in; drop each sentence naming a fact that is ``None`` (and empty paragraphs)."""
    unknown = sorted(set(_PLACEHOLDER.findall(template)) - set(facts))
    if unknown:
        raise GdsheetError(f"unknown placeholder(s) in the lesson text: {', '.join('{' + u + '}' for u in unknown)}")
    paragraphs = []
    for paragraph in template.split("\n\n"):
        kept = [
            _PLACEHOLDER.sub(lambda m: str(facts[m.group(1)]), sentence)
            for sentence in _SENTENCE_END.split(paragraph.strip())
            if all(facts[name] is not None for name in _PLACEHOLDER.findall(sentence))
        ]
        if kept := [sentence for sentence in kept if sentence]:
            paragraphs.append(" ".join(kept))
    return "\n\n".join(paragraphs)


def hand_play_note(lesson: Lesson) -> str:
    """The controls' one line on playing an epoch: by hand in any spreadsheet (what the published
    sheet's Run Epoch button did), on the Live sheet, or headless. Plain text, no Markdown: it is a
    cell, read in a spreadsheet."""
    news = _listed([f"new {p}" for p in lesson.params])
    starts = _listed(lesson.params)
    state = ", and each state column's last value into its start cell" if lesson.state else ""
    live = f"; the Live sheet plays {lesson.live_epochs:,} epochs with formulas alone" if lesson.live_epochs else ""
    return (
        f"One epoch by hand: copy {news} from the table's last row and paste them as values (Paste Special, "
        f"values only) into current {starts} above{state}{live}; headless, gdsheet run plays {lesson.epochs:,} "
        "epochs into the epoch log, and gdsheet reset empties it and puts the start values back."
    )


def lesson_texts(lesson: Lesson) -> dict[str, str]:
    """Every text of the lesson, rendered (the keys of the preset's [text] table)."""
    facts = lesson_facts(lesson)
    return {key: render(value, facts) for key, value in lesson.text.items()}
