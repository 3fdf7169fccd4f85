"""Where the bundled (synthetic) sessions live inside the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

__all__ = ["bundled_sessions_path", "SPLITS"]

SPLITS = ("train", "test")


def bundled_sessions_path(split: Literal["train", "test"] = "test") -> Path:
    """Path of the bundled synthetic-shopper sessions of one split (JSON Lines, gzip)."""
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; the bundled splits are {', '.join(SPLITS)}.")
    return Path(str(resources.files("webmimic.replay") / "data" / f"{split}.jsonl.gz"))
