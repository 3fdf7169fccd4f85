"""The package's layering, checked from its sources and in fresh interpreters."""

from __future__ import annotations

import ast
from pathlib import Path
import re
import subprocess
import sys
import tomllib

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "webmimic"
HEAVY = ("playwright", "torch", "transformers")
MAX_FUNCTION_LINES = 60
# distribution name -> import name, where they differ
IMPORT_NAMES = {"pillow": "PIL", "pytest-playwright": "pytest_playwright"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", ["webmimic.core", "webmimic.replay.session", "webmimic.replay", "webmimic.agents"])
def test_importing_the_core_and_the_session_format_loads_no_browser_or_model(module):
    code = f"import sys, {module}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"importing {module} loaded {out.strip()}"


def test_only_the_simulator_imports_playwright():
    offenders = []
    for path in _modules():
        if path.is_relative_to(PACKAGE / "simulator"):
            continue
        if any(name.split(".")[0] == "playwright" for name in _imported(ast.parse(path.read_text()))):
            offenders.append(str(path.relative_to(PACKAGE.parent)))
    assert offenders == []


def test_each_script_lives_next_to_the_python_that_loads_it():
    for script in PACKAGE.rglob("*.js"):
        if script.parent.name == "static":
            continue  # the shop's own page scripts, served to the browser by the site
        loaders = [p for p in _modules() if script.name in p.read_text()]
        assert loaders and all(p.parent == script.parent for p in loaders), (script, loaders)


def test_no_function_is_longer_than_sixty_lines():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


def test_every_error_is_in_the_one_tree():
    from webmimic.core import errors

    classes = [getattr(errors, name) for name in errors.__all__ if isinstance(getattr(errors, name), type)]
    assert all(issubclass(c, errors.WebmimicError) for c in classes)
    assert all(c.__name__ in errors.__doc__ for c in classes)
    for path in _modules():
        if path == PACKAGE / "core" / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                assert not bases & {"Exception", "WebmimicError"}, (
                    f"{path}: {node.name} belongs in webmimic.core.errors"
                )


def test_declared_dependencies_are_exactly_the_imported_ones():
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=!~\[ ;]", spec)[0].lower() for spec in project["dependencies"]}
    imported = set()
    for path in _modules():
        imported |= {name.split(".")[0] for name in _imported(ast.parse(path.read_text()))}
    third_party = {name for name in imported if name not in sys.stdlib_module_names and name != "webmimic"}
    assert {IMPORT_NAMES.get(name, name) for name in declared} == third_party
