"""Acceptance tests with webmimic: the pytest plugin (``webmimic.testing.plugin``, loaded by
pytest through the ``pytest11`` entry point) and ``replay``, its ``webmimic_replay`` as a function.

Nothing heavy is imported here: pytest imports this package at every start, in every project
where webmimic is installed, so the eval machinery loads only when a test first needs it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ReplayResult", "replay"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        import importlib

        return getattr(importlib.import_module("webmimic.testing.runs"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
