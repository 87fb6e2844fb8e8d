"""The writer's models, one module of formula templates each, in one registry."""

from __future__ import annotations

from collections.abc import Mapping

from gdsheet.writer.models import line, linear, logistic, mlp
from gdsheet.writer.models.base import FormulaModel

MODELS: Mapping[str, FormulaModel] = {
    model.name: model for model in (line.MODEL, linear.MODEL, logistic.MODEL, *mlp.VARIANTS)
}
"""Model key (the name; ``mlp/tanh`` for a variant of an activation) -> its formula templates."""

__all__ = ["MODELS", "FormulaModel"]
