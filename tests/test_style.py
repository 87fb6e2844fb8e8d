"""The code stays ruff-clean (lint and format), as the house style asks."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff(command: list[str]) -> None:
    ruff = shutil.which("ruff")
    runner = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    paths = ["gdsheet", "tests", "examples", "benchmarks"]
    result = subprocess.run([*runner, *command, *paths], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_package_is_installed() -> None:
    """A package folder missing from pyproject.toml passes every test from the source tree and
    breaks `pip install . && gdsheet demo` (the tests import the checkout, not the install)."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(root).parts) for init in (root / "gdsheet").rglob("__init__.py")}
    assert found <= listed, f"not installed: {sorted(found - listed)}"


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in tests/support/; a test importing a test couples two test files."""
    root = Path(__file__).resolve().parent
    offenders = [
        f"{path.relative_to(root)}: {line.strip()}"
        for path in root.rglob("test_*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.match(r"\s*(from|import)\s+tests(\.\w+)*\.test_\w+", line)
    ]
    assert not offenders, offenders


LAYERS = {
    # the reference computes every lesson on its own: nothing of the writer, the engine or xlsx
    "reference": {"reference", "lesson", "errors", "limits"},
    # the engine knows a workbook file, never the lesson's writer or reference
    "engine": {"engine", "xlsx", "errors", "limits"},
    "xlsx": {"xlsx", "errors", "limits"},
    "lesson": {"lesson", "errors", "limits"},
    "writer": {"writer", "lesson", "reference", "xlsx", "errors", "limits"},
}
"""What each package of gdsheet may import from the others: the folder tree is the pipeline, and
the first line is the wall that keeps `check` honest (the reference shares no code with the writer)."""


def test_the_packages_import_only_what_their_layer_allows() -> None:
    import ast

    crossings = []
    for package, allowed in LAYERS.items():
        for path in sorted((ROOT / "gdsheet" / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
                names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
                for name in names:
                    parts = name.split(".")
                    if parts[0] == "gdsheet" and len(parts) > 1 and parts[1] not in allowed:
                        crossings.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert crossings == []
