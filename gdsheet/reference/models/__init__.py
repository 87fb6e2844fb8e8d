"""The reference's models, one module each, in one registry (the lesson's model names)."""

from __future__ import annotations

from collections.abc import Mapping

from gdsheet.reference.models import line, linear, logistic, mlp
from gdsheet.reference.models.base import ReferenceModel

MODELS: Mapping[str, ReferenceModel] = {
    model.name: model for model in (line.MODEL, linear.MODEL, logistic.MODEL, *mlp.VARIANTS)
}
"""Model key (the name; ``mlp/tanh`` for a variant of an activation) -> its numpy reference."""

__all__ = ["MODELS", "ReferenceModel"]
