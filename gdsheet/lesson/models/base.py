"""What a model is on the lesson side: its parameters, its data columns, its landscape.

A model is the one place that knows a lesson's parameters and math. This side holds only its
metadata (names, sizes, which rules it allows); the writer's formula templates
(:mod:`gdsheet.writer.models`) and the reference's numpy functions (:mod:`gdsheet.reference.models`)
are one module per model on their own sides, sharing nothing but these names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _no_columns(k: int, hidden: int = 0) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class ModelSpec:
    """One model's metadata, as functions of its number of features k (and, for a model with a
    hidden layer, its number of hidden units).

    ``features(k)``: the data columns before ``y`` (the CSV header and the descent table's first
    columns); ``params(k, hidden)``: the parameters, in table order; ``landscape(k)``: the two parameters
    the loss grid spans by default (rows, columns); ``gradients``: the gradient rules it allows;
    ``max_features``: the largest k (1 for a model of one input); ``losses``: the losses it
    reports (the first is its default); ``classes``: the labels y may take (empty: any number,
    a regression), a classifier's log and JSON also give its ``accuracy``; ``forward(k, hidden)``
    and ``backward(k, hidden)``: the descent table's columns of intermediate values, written
    between the parameters and y_pred and after error_sq (a network's forward and backward pass);
    ``activations``: the activations it takes (empty: none, and no hidden units); ``max_hidden``:
    the most hidden units; ``start_values(k, hidden, seed)``: every parameter's start value, drawn
    when the lesson's shape is known (None: the preset's values).
    """

    name: str
    summary: str
    features: Callable[[int], tuple[str, ...]]
    params: Callable[..., tuple[str, ...]]
    landscape: Callable[[int], tuple[str, str]]
    gradients: tuple[str, ...]
    max_features: int = 1
    losses: tuple[str, ...] = ("rmse", "root-sum-square")
    classes: tuple[float, ...] = ()
    curve_points: int = 2
    """Points of the fit chart's curve through the start values, evenly spaced over the samples'
    x (two draw a line)."""
    forward: Callable[..., tuple[str, ...]] = _no_columns
    backward: Callable[..., tuple[str, ...]] = _no_columns
    activations: tuple[str, ...] = ()
    max_hidden: int = 0
    start_values: Callable[[int, int, int], dict[str, float]] | None = None
