"""fast.ai's graddesc.xlsm written out again in plain Python, sheet by sheet, so that `gdsheet run`
on the workbook (with the carry maps of tests/data/fastai/SOURCE.md) can be held to something that
shares nothing with the engine.

Each of the five sheets fits y = a·x + b to the 29 samples in A4:B32, one row per sample: row r
starts from b (C) and a (D), predicts, takes the slopes, and hands its new b and a (and any
optimizer state) to row r + 1. Row 4 starts from C1, C2 and the state in row 3 (J3 = J33, …).
The `onestep` macro then copies, all at once, row 32's *starting* b and a into C1 and C2 (C1 ←
C32, C2 ← D32, not the updated values of row 32) and row 32's state into row 33 (J33 ← J32, …).

Only the inputs (samples, start values, rates, betas, the state cells of row 33, adam_ann's N3)
are read from the workbook, as constants; every formula is written here from its cells' text.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

SHEETS = ("basic", "momentum", "rmsprop", "adam", "adam_ann")
FIRST, LAST = 4, 32  # the rows of the samples
STATE = {"basic": (), "momentum": ("J", "K"), "rmsprop": ("J", "K"), "adam": ("J", "K", "L", "M"),
         "adam_ann": ("J", "K", "L", "M")}  # fmt: skip
# What `run` records per sheet besides the carried cells: cells computed from a whole pass.
SUMMARY = {"basic": ("F33", "K33", "L33"), "momentum": ("L33",), "rmsprop": (), "adam": (),
           "adam_ann": ("F33", "G33", "N33", "N34")}  # fmt: skip


@dataclass
class Row:
    """One row of a sheet: its starting b and a, the prediction, the slopes, the state after it."""

    b: float
    a: float
    pred: float
    db: float
    da: float
    new_b: float
    new_a: float
    state: tuple[float, ...]


def _number(sheet: object, ref: str) -> float:
    value = sheet[ref].value  # type: ignore[index]
    assert isinstance(value, int | float) and not isinstance(value, bool), (ref, value)
    return float(value)


def _basic(x: float, y: float, b: float, a: float, state: tuple[float, ...], h: dict[str, float]) -> Row:
    pred = b + a * x  # E = C+D*A
    db = 2 * (pred - y)  # K = 2*(E-B)
    da = db * x  # L = K*A
    return Row(b, a, pred, db, da, b - db * h["lr"], a - da * h["lr"], ())  # N = C-K*lr, M = D-L*lr


def _slopes(x: float, y: float, b: float, a: float) -> tuple[float, float, float]:
    pred = b + a * x  # E = C+D*A
    db = 2 * (a * x + b - y)  # F = 2*(D*A+C-B)
    return pred, db, db * x  # G = F*A


def _momentum(x: float, y: float, b: float, a: float, state: tuple[float, ...], h: dict[str, float]) -> Row:
    pred, db, da = _slopes(x, y, b, a)
    j = state[0] * h["beta"] + (1 - h["beta"]) * db  # J = J_prev*beta + (1-beta)*F
    k = state[1] * h["beta"] + (1 - h["beta"]) * da
    return Row(b, a, pred, db, da, b - j * h["lr"], a - k * h["lr"], (j, k))  # H = C-J*lr


def _rmsprop(x: float, y: float, b: float, a: float, state: tuple[float, ...], h: dict[str, float]) -> Row:
    pred, db, da = _slopes(x, y, b, a)
    j = state[0] * h["beta"] + (1 - h["beta"]) * db**2  # J = J_prev*beta + (1-beta)*F^2
    k = state[1] * h["beta"] + (1 - h["beta"]) * da**2
    # the sheet divides by the previous row's mean square (H = C-F*lr/SQRT(J_prev))
    return Row(b, a, pred, db, da, b - db * h["lr"] / math.sqrt(state[0]), a - da * h["lr"] / math.sqrt(state[1]),
               (j, k))  # fmt: skip


def _adam(x: float, y: float, b: float, a: float, state: tuple[float, ...], h: dict[str, float]) -> Row:
    pred, db, da = _slopes(x, y, b, a)
    j = state[0] * h["beta"] + (1 - h["beta"]) * db  # J = J_prev*beta1 + (1-beta1)*F
    k = state[1] * h["beta"] + (1 - h["beta"]) * da
    m1 = state[2] * h["beta2"] + (1 - h["beta2"]) * db**2  # L = L_prev*beta2 + (1-beta2)*F^2
    m2 = state[3] * h["beta2"] + (1 - h["beta2"]) * da**2
    # no bias correction; H = C-J*lr/SQRT(L), this row's own L
    return Row(b, a, pred, db, da, b - j * h["lr"] / math.sqrt(m1), a - k * h["lr"] / math.sqrt(m2), (j, k, m1, m2))


RULES: dict[str, Callable[..., Row]] = {"basic": _basic, "momentum": _momentum, "rmsprop": _rmsprop, "adam": _adam,
                                        "adam_ann": _adam}  # fmt: skip


def _hyper(sheet: object, name: str) -> dict[str, float]:
    if name == "basic":
        return {"lr": _number(sheet, "F1")}
    hyper = {"lr": _number(sheet, "D2"), "beta": _number(sheet, "J1")}
    if name in ("adam", "adam_ann"):
        hyper["beta2"] = _number(sheet, "L1")
    return hyper


def _pass(name: str, samples: list[tuple[float, float]], b: float, a: float, state: tuple[float, ...],
          hyper: dict[str, float]) -> list[Row]:  # fmt: skip
    rows = []
    for x, y in samples:
        rows.append(RULES[name](x, y, b, a, state, hyper))
        b, a, state = rows[-1].new_b, rows[-1].new_a, rows[-1].state
    return rows


def _summary(name: str, rows: list[Row], samples: list[tuple[float, float]], state: tuple[float, ...],
             n3: float) -> dict[str, float]:  # fmt: skip
    """The sheet's cells over a whole pass and its carried state (rows 33, 34), as its formulas
    compute them."""
    squares = [(y - row.pred) ** 2 for row, (_, y) in zip(rows, samples, strict=True)]
    if name == "basic":  # F33 = SQRT(SUM(F4:F32)), K33 = SQRT(SUMSQ(K4:K32)), L33 = SQRT(SUMSQ(L4:L32))
        return {"F33": math.sqrt(sum(squares)), "K33": math.sqrt(sum(r.db**2 for r in rows)),
                "L33": math.sqrt(sum(r.da**2 for r in rows))}  # fmt: skip
    if name == "momentum":  # L33 = SQRT(SUM(L4:L32)), L = (B-E)^2
        return {"L33": math.sqrt(sum(squares))}
    if name == "adam_ann":  # F33 = SQRT(SUMSQ(F4:F32))/COUNT(F4:F32); N33 = SQRT(L33)+SQRT(M33); N34 = N33/N3
        n33 = math.sqrt(state[2]) + math.sqrt(state[3])
        return {"F33": math.sqrt(sum(r.db**2 for r in rows)) / len(rows),
                "G33": math.sqrt(sum(r.da**2 for r in rows)) / len(rows), "N33": n33, "N34": n33 / n3}  # fmt: skip
    return {}  # rmsprop and adam compute nothing over a pass


def epochs(sheet: object, name: str, count: int) -> list[dict[str, float]]:
    """What `gdsheet run` records after each of ``count`` epochs of sheet ``name`` (an openpyxl
    worksheet read with data_only): the carried cells (C1, C2, row 33's state) and the sheet's
    summary cells, all after the carry, so the summaries are those of the next epoch's pass."""
    samples = [(_number(sheet, f"A{r}"), _number(sheet, f"B{r}")) for r in range(FIRST, LAST + 1)]
    hyper = _hyper(sheet, name)
    b, a = _number(sheet, "C1"), _number(sheet, "C2")
    state = tuple(_number(sheet, f"{column}33") for column in STATE[name])
    n3 = _number(sheet, "N3") if name == "adam_ann" else 0.0
    out = []
    for _ in range(count):
        rows = _pass(name, samples, b, a, state, hyper)
        b, a, state = rows[-1].b, rows[-1].a, rows[-1].state  # C1 <- C32, C2 <- D32, J33 <- J32, …
        record = {"C1": b, "C2": a, **{f"{column}33": v for column, v in zip(STATE[name], state, strict=True)}}
        record.update(_summary(name, _pass(name, samples, b, a, state, hyper), samples, state, n3))
        out.append(record)
    return out


def carries(name: str) -> list[str]:
    """The sheet's carry map as `run --carry` options (tests/data/fastai/SOURCE.md)."""
    pairs = [("C1", "C32"), ("C2", "D32"), *((f"{column}33", f"{column}32") for column in STATE[name])]
    return [part for target, source in pairs for part in ("--carry", f"{name}!{target}={name}!{source}")]
