"""What webmimic's envs share: the browser runtime, render modes, the agent-output path, observations.

Data flows one way through ``step``: the agent's raw output is parsed once (``AgentOutput``),
its action goes to the tab, a failure lands in ``info["error"]`` (an agent can never crash the
env), and the observation is built here from the tab's last observation and the history.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
import io
from typing import Any, SupportsFloat, TypeVar

import gymnasium as gym
from gymnasium import spaces
import numpy as np

from webmimic.core.actions import Action, AgentOutput
from webmimic.core.errors import ActionError
from webmimic.envs.runtime import Runtime, SiteServers
from webmimic.envs.spaces import AnyText
from webmimic.simulator import Browser, BrowserConfig, Observation, Tab
from webmimic.simulator.chromium import has_display

__all__ = ["BrowserEnv", "history_entry", "page_spaces", "rendered_config", "Obs", "Info", "StepResult"]

MAX_PAGE_CHARS = 4_000_000
T = TypeVar("T")

Obs = dict[str, Any]
Info = dict[str, Any]
StepResult = tuple[Obs, SupportsFloat, bool, bool, Info]


def history_entry(action: Action, rationale: str | None, url: str, page: str) -> dict[str, str]:
    """One past step as the agent sees it: the page it was taken on (its URL and simplified HTML),
    the action JSON and its rationale. The pages let an agent see every page the human saw, also
    after ``reset(options={"step": k})``."""
    return {"action": action.to_json(), "rationale": rationale or "", "url": url, "page": page}


def page_spaces() -> dict[str, spaces.Space[Any]]:
    """page: simplified HTML; url; history: the actions so far; persona: free text."""
    entry = spaces.Dict(
        {"action": AnyText(4096), "rationale": AnyText(65536), "url": AnyText(8192), "page": AnyText(MAX_PAGE_CHARS)}
    )
    return {
        "page": AnyText(MAX_PAGE_CHARS),
        "url": AnyText(8192),
        "history": spaces.Sequence(entry, stack=False),
        "persona": AnyText(65536),
    }


def render_modes() -> list[str]:
    """The render modes this machine can show: ``human`` needs a display (or ``xvfb-run``)."""
    return ["human", "rgb_array"] if has_display() else ["rgb_array"]


def rendered_config(config: BrowserConfig | None, render_mode: str | None) -> BrowserConfig:
    """The browser a render mode needs: ``human`` shows it, slowed down enough to follow, and
    the frames of ``rgb_array`` show the pages' pictures (unless ``images=False`` says not to)."""
    config = config or BrowserConfig()
    if render_mode == "human":
        return dataclasses.replace(config, headless=False, slow_mo_ms=config.slow_mo_ms or 250)
    if render_mode == "rgb_array" and config.images is None:
        return dataclasses.replace(config, images=True)
    return config


class BrowserEnv(gym.Env[Obs, Any]):
    """A gymnasium env over a live browser. ``render_mode="human"`` opens a headed, slowed browser.

    ``metadata["render_modes"]`` lists what this machine can render: without a display there is
    no ``human`` mode (asking for it fails at ``reset`` saying to use ``xvfb-run``).
    """

    metadata: dict[str, Any] = {"render_modes": ["human", "rgb_array"], "render_fps": 2}

    def __init__(
        self,
        *,
        render_mode: str | None,
        browser: Browser | None,
        browser_config: BrowserConfig | None,
        timings: bool,
        servers: SiteServers | None = None,
    ) -> None:
        known = type(self).metadata["render_modes"]
        if render_mode is not None and render_mode not in known:
            raise ValueError(f"render_mode must be one of {known}, not {render_mode!r}.")
        self.metadata = {**type(self).metadata, "render_modes": render_modes()}
        self.render_mode = render_mode
        if render_mode == "rgb_array" and browser is not None and not browser.config.loads_images:
            gym.logger.warn(
                "render_mode='rgb_array' on a browser that loads no images: its frames show the pages'"
                " picture boxes empty. Pass a browser launched with BrowserConfig(images=True), or none."
            )
        self.timings = timings
        self._runtime = Runtime(rendered_config(browser_config, render_mode), browser=browser, servers=servers)
        self.action_space = AnyText(1 << 16)
        self._obs: Observation | None = None
        self._history: list[dict[str, str]] = []

    @property
    def tab(self) -> Tab:
        """The tab the env is driving (for screenshots, element boxes, the overlay); reset() first.
        A new one after Chromium died and the episode was restored: ask again rather than keep it."""
        return self._runtime.tab

    def on_page(self, work: Callable[[Tab], T]) -> T:
        """``work(tab)`` on the env's page; should Chromium die meanwhile, the episode is restored
        (``info["browser_restarts"]``) and the work done again on the new tab."""
        return self._runtime.call(work)

    # -- the agent's output ---------------------------------------------------------------
    @staticmethod
    def parse(output: Any) -> AgentOutput:
        """Parse an agent's output the way ``step`` does (``step`` accepts the result as is)."""
        return AgentOutput.parse(output)

    def _act(self, action: Action, rationale: str | None, info: Info) -> bool:
        """Carry out ``action`` on the tab and add it to the history with the page it was taken on;
        an action the page refuses goes into ``info["error"]`` instead."""
        page, url = self._page(), self._url()
        try:
            self._obs = self._runtime.act(action)
        except ActionError as err:
            info["error"] = f"{type(err).__name__}: {err}"
            return False
        self._history.append(history_entry(action, rationale, url, page))
        return True

    def _noting_restarts(self, info: Info) -> Info:
        """``info`` with ``browser_restarts``: how often Chromium died since the last call and
        the episode was restored (the page reloaded, the actions so far redone)."""
        restarts = self._runtime.take_restarts()
        if restarts:
            info["browser_restarts"] = restarts
        return info

    # -- observations ---------------------------------------------------------------------
    def _site_name(self) -> str | None:
        """The site whose server the URLs are relative to (None: show URLs as they are)."""
        return None

    def _url(self) -> str:
        return self._runtime.relative(self._obs, self._site_name()) if self._obs is not None else ""

    def _extra_observation(self) -> dict[str, str]:
        """What a subclass adds to the shared observation keys."""
        return {}

    def _persona(self) -> str:
        return ""

    def _page(self) -> str:
        return self._obs.html if self._obs is not None else ""

    def _observation(self) -> Obs:
        return {
            "page": self._page(),
            "url": self._url(),
            "history": tuple(dict(entry) for entry in self._history),
            "persona": self._persona(),
            **self._extra_observation(),
        }

    # -- rendering and closing ------------------------------------------------------------
    def render(self) -> np.ndarray[Any, np.dtype[np.uint8]] | None:
        """rgb_array: a screenshot of the page; human: nothing to do, the browser is visible."""
        if self.render_mode != "rgb_array":
            return None
        from PIL import Image

        png = self.on_page(lambda tab: tab.screenshot())
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))

    def close(self) -> None:
        """Close the tab, the servers and (when owned) the browser; safe to call twice."""
        self._runtime.close()
        super().close()
