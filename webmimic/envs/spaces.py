"""A gymnasium space for free text: pages, URLs, agent outputs.

``gymnasium.spaces.Text`` only admits a fixed character set, but HTML and model output may hold
any character, so webmimic's observations and actions use ``AnyText``: any ``str`` up to a
maximum length.
"""

from __future__ import annotations

from typing import Any

from gymnasium import spaces
import numpy as np

__all__ = ["AnyText"]

_SAMPLE_ALPHABET = np.array(list('abcdefghijklmnopqrstuvwxyz0123456789 _.{}":<>/é'))


class AnyText(spaces.Space[str]):
    """Any string of at most ``max_length`` characters."""

    def __init__(self, max_length: int = 1 << 20, *, seed: int | np.random.Generator | None = None):
        self.max_length = int(max_length)
        super().__init__(dtype=str, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        length = int(self.np_random.integers(0, min(self.max_length, 64) + 1))
        return "".join(self.np_random.choice(_SAMPLE_ALPHABET, size=length))

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"AnyText(max_length={self.max_length})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, AnyText) and other.max_length == self.max_length
