"""The models a lesson can teach, one module each (their metadata), in one registry.

A new model is one module here, one in :mod:`gdsheet.writer.models` (its formulas) and one in
:mod:`gdsheet.reference.models` (its numpy reference), and one line in each registry.
"""

from __future__ import annotations

from collections.abc import Mapping

from gdsheet.lesson.models import line, linear, logistic, mlp
from gdsheet.lesson.models.base import ModelSpec

MODELS: Mapping[str, ModelSpec] = {model.name: model for model in (line.MODEL, linear.MODEL, logistic.MODEL, mlp.MODEL)}
"""Model name -> its metadata."""

DEFAULT_MODEL = "line"

__all__ = ["DEFAULT_MODEL", "MODELS", "ModelSpec"]
