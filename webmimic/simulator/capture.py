"""The recorder's capture of one tab: every settled page and every action a person takes.

``record.js`` (next to this file) runs in every document of the tab's context as an init
script. It snapshots the page with ``simplify.js``'s own observe once the page settled, and
reports each action through a Playwright binding *synchronously from the event listener*,
carrying that snapshot: the page attached to an action is the page as it was before the action,
even when a click starts a navigation before Python hears of it. ``webmimic.replay.record``
turns these events into a session; this module is the Playwright half.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
import importlib.resources
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Error as PWError

from webmimic.simulator.observation import Observation, finish_html
from webmimic.simulator.observation import script as simplify_script

if TYPE_CHECKING:
    from webmimic.simulator.browser import Tab

__all__ = ["Capture", "CaptureEvent", "recorder_script"]

BINDING = "__wmRecord"
_OBSERVED_JS = """() => {
  const R = window.__wmRec;
  return !!R && document.readyState === "complete" && !R.typing && !R.need && R.snapMuts === R.muts;
}"""


@dataclass(frozen=True)
class CaptureEvent:
    """One report from the page: a settled snapshot (``action`` None) or an action with the page before it."""

    observation: Observation
    action: Mapping[str, Any] | None = None
    time_ms: float | None = None


@lru_cache(maxsize=1)
def recorder_script() -> str:
    """The init script: record.js applied to simplify.js (both package data)."""
    record = importlib.resources.files("webmimic.simulator").joinpath("record.js").read_text(encoding="utf-8")
    return f"({record.strip()})(\n{simplify_script().strip()}\n);"


def _observation(raw: Mapping[str, Any]) -> Observation:
    return Observation(url=raw["url"], title=raw["title"], html=finish_html(raw["html"]), names=tuple(raw["names"]))


class Capture:
    """Reports of one tab's page to ``on_event``; pages the person opens aside are ignored."""

    def __init__(self, tab: Tab, on_event: Callable[[CaptureEvent], None]) -> None:
        self._tab = tab
        self._on_event = on_event
        tab.context.expose_binding(BINDING, self._on_message)
        tab.context.add_init_script(recorder_script())

    def _on_message(self, source: Mapping[str, Any], msg: Any) -> None:
        if not isinstance(msg, Mapping) or source.get("page") is not self._tab.page:
            return
        obs = _observation(msg["obs"])
        action = msg.get("action") if msg.get("kind") == "action" else None
        self._on_event(CaptureEvent(obs, action, msg.get("t")))

    def wait_until_observed(self, timeout_ms: float = 10_000) -> None:
        """Wait until the snapshot of the current page is current (and already reported to Python).

        Useful before handing the page to the person, and in tests before closing the page.
        """
        page = self._tab.page
        page.wait_for_load_state("load", timeout=timeout_ms)
        while True:
            try:
                page.wait_for_function(_OBSERVED_JS, polling="raf", timeout=timeout_ms).dispose()
                return
            except PWError:
                if page.is_closed():
                    raise
                page.wait_for_load_state("load", timeout=timeout_ms)  # a navigation replaced the document

    def close_after_next_load(self) -> None:
        """Close the page once the document now loading has loaded (e.g. an order's confirmation)."""
        self._tab.page.once("load", lambda p: p.close())

    def wait_closed(self) -> None:
        """Block until the person closes the window (or the browser goes away)."""
        page = self._tab.page
        if page.is_closed():
            return
        try:
            page.wait_for_event("close", timeout=0)
        except PWError:
            if not page.is_closed() and not self._tab.browser.closed:
                raise  # not the person closing the window: a real failure
