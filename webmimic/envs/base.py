"""What webmimic's envs share: the browser runtime, render modes, observation pieces, close."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import gymnasium as gym
from gymnasium import spaces
import numpy as np

from webmimic.envs.runtime import Runtime
from webmimic.envs.spaces import AnyText
from webmimic.simulator import Action, Browser, BrowserConfig, Tab

__all__ = ["BrowserEnv", "history_entry", "page_spaces"]

MAX_PAGE_CHARS = 4_000_000


def history_entry(action: Action, rationale: str | None, url: str) -> dict[str, str]:
    """One past step as the agent sees it: the action JSON, its rationale, the page's URL."""
    return {"action": action.to_json(), "rationale": rationale or "", "url": url}


def page_spaces() -> dict[str, spaces.Space]:
    """page: simplified HTML; url; history: the actions so far; persona: free text."""
    entry = spaces.Dict({"action": AnyText(4096), "rationale": AnyText(65536), "url": AnyText(8192)})
    return {
        "page": AnyText(MAX_PAGE_CHARS),
        "url": AnyText(8192),
        "history": spaces.Sequence(entry, stack=False),
        "persona": AnyText(65536),
    }


class BrowserEnv(gym.Env):
    """A gymnasium env over a live browser. ``render_mode="human"`` opens a headed, slowed browser."""

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 2}

    def __init__(self, *, render_mode: str | None, browser: Browser | None, browser_config: BrowserConfig | None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, not {render_mode!r}.")
        self.render_mode = render_mode
        config = browser_config or BrowserConfig()
        if render_mode == "human":
            config = dataclasses.replace(config, headless=False, slow_mo_ms=config.slow_mo_ms or 250)
        self._runtime = Runtime(config, browser=browser)
        self.action_space = AnyText(1 << 16)

    @property
    def tab(self) -> Tab:
        """The tab the env is driving (for screenshots and element boxes); reset() first."""
        return self._runtime.tab

    def render(self) -> np.ndarray | None:
        """rgb_array: a screenshot of the page; human: nothing to do, the browser is visible."""
        if self.render_mode != "rgb_array":
            return None
        from PIL import Image

        png = self._runtime.tab.screenshot()
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))

    def close(self) -> None:
        self._runtime.close()
        super().close()

    def __enter__(self) -> "BrowserEnv":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
