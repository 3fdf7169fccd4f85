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
import contextlib
from dataclasses import dataclass
from functools import lru_cache
import html as htmllib
import importlib.resources
import re
import time
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Error as PWError
from playwright.sync_api import Response
from playwright.sync_api import TimeoutError as PWTimeoutError

from webmimic.simulator.observation import WALK, Observation, from_walk

if TYPE_CHECKING:
    from webmimic.simulator.browser import Tab

__all__ = ["Capture", "CaptureEvent", "recorder_script", "mask_form_values", "MASK", "replay_operation"]

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
    fills: tuple[tuple[str, str], ...] = ()
    """With an action: the text fields typed into and not submitted, (name, text), in typing order."""
    nav_type: str | None = None
    """With a page: how its document was reached ("navigate", "reload", "back_forward")."""
    nav_index: int = -1
    """With a page: its index in the tab's session history (-1: unknown)."""


@lru_cache(maxsize=1)
def recorder_script() -> str:
    """The init script: record.js applied to the walk, which the tab's context defines on each
    document before this script runs (``install_script``), and before the page's scripts could
    replace it."""
    record = importlib.resources.files("webmimic.simulator").joinpath("record.js").read_text(encoding="utf-8")
    return f"({record.strip()})({WALK});"


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
        obs = from_walk(msg["obs"])
        if msg.get("kind") == "action":
            fills = tuple((str(f["name"]), str(f["text"])) for f in msg.get("fills") or ())
            self._on_event(CaptureEvent(obs, msg.get("action"), msg.get("t"), fills=fills))
            return
        nav = msg.get("nav") or {}
        self._on_event(CaptureEvent(obs, nav_type=nav.get("type"), nav_index=int(nav.get("index", -1))))

    def watch_documents(self, on_document: Callable[[str, int], None]) -> None:
        """Call ``on_document(url, status)`` for every document response of the tab's main frame
        (how the recorder hears that the site confirmed a purchase)."""
        page = self._tab.page

        def on_response(response: Response) -> None:
            request = response.request
            if request.resource_type == "document" and response.frame == page.main_frame:
                on_document(response.url, response.status)

        page.on("response", on_response)

    def wait_until_observed(self, timeout_ms: float = 10_000) -> None:
        """Wait until the snapshot of the current page is current (and already reported to Python).

        Useful before handing the page to the person, and in tests before closing the page.
        """
        page = self._tab.page
        deadline = time.monotonic() + timeout_ms / 1000
        page.wait_for_load_state("load", timeout=timeout_ms)
        while True:
            left_ms = max(1.0, (deadline - time.monotonic()) * 1000)  # one deadline across navigations
            try:
                page.wait_for_function(_OBSERVED_JS, polling="raf", timeout=left_ms).dispose()
                return
            except PWTimeoutError:
                raise
            except PWError:
                if page.is_closed():
                    raise
                page.wait_for_load_state("load", timeout=left_ms)  # a navigation replaced the document

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


# -- saved pages: form values masked ------------------------------------------------------------

MASK = "***"
_NOT_TEXT = frozenset({"checkbox", "radio", "submit", "button", "reset", "image", "range", "color", "hidden", "file"})
_INPUT = re.compile(r"<input\b[^>]*>")
_TEXTAREA = re.compile(r'(<textarea\b[^>]*\bname="([^"]*)"[^>]*>)(.*?)(</textarea>)', re.S)
_ATTR = re.compile(r'\s([a-z-]+)="([^"]*)"')


def _is_search(name: str, kind: str) -> bool:
    return kind == "search" or "search" in name.rsplit(".", 1)[-1]


def _mask_input(match: re.Match[str]) -> str:
    tag = match.group(0)
    attrs = dict(_ATTR.findall(tag))
    kind, name = attrs.get("type", "text"), htmllib.unescape(attrs.get("name", ""))
    if "value" not in attrs or kind in _NOT_TEXT or _is_search(name, kind):
        return tag
    return tag.replace(f' value="{attrs["value"]}"', f' value="{MASK}"', 1)


def mask_form_values(page: str) -> str:
    """``page`` (simplified HTML) with what was typed into form fields replaced by ``MASK``:
    text inputs (any type but search, checkboxes, radios, buttons) and textareas, except search
    fields (type search, or a name whose last part says "search"). Passwords never have a value
    in observations at all. Idempotent, and the same for a recorded page and a live one, so a
    replay compares them masked."""
    page = _INPUT.sub(_mask_input, page)
    return _TEXTAREA.sub(
        lambda m: (
            m.group(0)
            if _is_search(htmllib.unescape(m.group(2)), "") or not m.group(3)
            else m.group(1) + MASK + m.group(4)
        ),
        page,
    )


# -- replaying a step's unscored operations -----------------------------------------------------

_NAMED_JS = """(name) => !!document.querySelector(
  '[data-wm-name="' + CSS.escape(name) + '"], [name="' + CSS.escape(name) + '"]')"""


def replay_operation(tab: Tab, op: str, name: str | None, text: str | None, then: str | None) -> Observation:
    """Do one of a step's ``before`` operations as the person did: ``fill`` types ``text`` into the
    field ``name`` (input events, no submit), ``back``/``forward`` press the browser's buttons;
    then wait until the page settled and, when ``then`` (the name the step acts on next) is
    given, until an element with that name exists (suggestions arrive after typing), up to the
    tab's timeout. Returns the observation of the page."""
    from webmimic.simulator.observation import settle

    page = tab.page
    timeout = tab.timeout_ms
    if op not in ("fill", "back", "forward"):
        raise ValueError(f"unknown step operation {op!r}; known: fill, back, forward")
    with tab._errors(f"replaying the recorded {op}" + (f" of {name!r}" if name else "")):  # webmimic's errors
        if op == "fill":
            assert name is not None
            tab.locate(name).fill(text or "", timeout=timeout)
        elif op == "back":
            page.go_back(timeout=timeout, wait_until="load")
        else:
            page.go_forward(timeout=timeout, wait_until="load")
    if then is not None:
        # On a timeout the action itself reports the missing element, naming what the page has.
        with contextlib.suppress(PWError):
            page.wait_for_function(_NAMED_JS, arg=then, polling="raf", timeout=timeout).dispose()
    return settle(page, time.monotonic() + timeout / 1000, f"the replayed {op}")
