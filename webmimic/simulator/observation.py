"""The observation: the paper's simplified HTML of the live, rendered page, plus its names.

All DOM work happens in one ``page.evaluate`` of ``simplify.js`` (the walk, the naming, a
pre-serialised string); Python only finishes it with lxml (parse, canonical serialisation),
which keeps a step to a few milliseconds. ``settle`` waits for a page to stop changing without
fixed sleeps: the load event, then one animation frame with no DOM mutation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
import importlib.resources
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from lxml import etree
from lxml import html as lxml_html
from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PWError
from playwright.sync_api import TimeoutError as PWTimeout

from webmimic.core.errors import ActionTimeoutError, WebmimicError
from webmimic.simulator import greenlets

if TYPE_CHECKING:
    from webmimic.simulator.browser import Browser

__all__ = [
    "Observation",
    "script",
    "install_script",
    "WALK",
    "observe_page",
    "from_walk",
    "settle",
    "finish_html",
    "simplify_html",
    "simplify_source",
]


@dataclass(frozen=True)
class Observation:
    """What an agent sees at one step. ``names`` are all element names, in document order;
    ``status`` is the HTTP status of the response that brought the document (None where none
    did: a shown HTML string, a browser error page)."""

    url: str
    title: str
    html: str
    names: tuple[str, ...]
    raw_bytes: int | None = None
    status: int | None = None

    def __contains__(self, name: object) -> bool:
        return name in self.names


@lru_cache(maxsize=1)
def script() -> str:
    """The in-page walk (package data), read once."""
    return importlib.resources.files("webmimic.simulator").joinpath("simplify.js").read_text(encoding="utf-8")


# The walk's 25 KB of source, sent with every op, cost about 1 ms a call (serialised, piped
# through the driver, compiled). A tab's context defines it on every new document instead
# (``install_script``) and ops call it by name (``WALK``); a document without it gets the whole source.
WALK = "window.__webmimicOp"
_CALL = f'(req) => typeof {WALK} === "function" ? {WALK}(req) : null'


@lru_cache(maxsize=1)
def _definition() -> str:
    """`WALK = <simplify.js>`: an expression that defines the walk and evaluates to it."""
    return f"{WALK} = ({script().strip()})"


def install_script(context: BrowserContext) -> None:
    """Define the walk (``WALK``) on every document of ``context``, so that ops need not send it."""
    context.add_init_script(_definition() + ";")


_PARSER = lxml_html.HTMLParser(remove_comments=True, remove_blank_text=False)


def finish_html(raw: str) -> str:
    """Canonical serialisation of the walk's output (well-formed, entities normalised)."""
    root = lxml_html.document_fromstring(raw, parser=_PARSER)
    body = root.find("body")
    return etree.tostring(body if body is not None else root, encoding="unicode", method="html")


def _ms_left(deadline: float) -> float:
    return (deadline - time.monotonic()) * 1000


def _wait_for_load(page: Page, deadline: float, what: str) -> None:
    """The page's load event by ``deadline``; Playwright's errors become webmimic's, saying ``what``."""
    try:
        page.wait_for_load_state("load", timeout=max(_ms_left(deadline), 1))
    except PWTimeout as err:
        raise ActionTimeoutError(f"Timed out waiting for the load event while {what}.") from err
    except PWError as err:
        raise WebmimicError(f"The page failed while {what}: {err.message.splitlines()[0]}") from err


def evaluate(page: Page, request: dict[str, Any], deadline: float, what: str) -> Any:
    """Run one op of simplify.js, bounded by ``deadline`` even if a script hangs the page.

    A navigation that replaces the document mid-call is waited for, then the op runs again.
    """
    while True:
        left = _ms_left(deadline)
        if left < 1:
            raise ActionTimeoutError(f"Timed out before the page could be read while {what}.")
        try:
            return _run_op(page, request, left / 1000)
        except TimeoutError as err:
            raise ActionTimeoutError(
                f"The page did not answer within {left:.0f} ms while {what}: a script on it may be stuck."
            ) from err
        except PWError as err:
            left = _ms_left(deadline)
            if left <= 1 or page.is_closed():
                raise WebmimicError(f"Could not read the page while {what}: {err.message.splitlines()[0]}") from err
            _wait_for_load(page, deadline, what)


def _run_op(page: Page, request: dict[str, Any], timeout_s: float) -> Any:
    """The op's answer (never null); the whole source goes only to a document that lacks the walk."""
    started = time.monotonic()
    answer = greenlets.within(page, lambda impl: impl.evaluate(_CALL, request), timeout_s)
    if answer is not None:
        return answer
    left = max(timeout_s - (time.monotonic() - started), 0.001)
    return greenlets.within(page, lambda impl: impl.evaluate(f"(req) => ({_definition()})(req)", request), left)


def from_walk(data: Mapping[str, Any]) -> Observation:
    """The Observation of what the walk's ``observe`` returned."""
    return Observation(
        url=data["url"],
        title=data["title"],
        html=finish_html(data["html"]),
        names=tuple(data["names"]),
        raw_bytes=data.get("rawBytes"),
        status=data.get("status") or None,
    )


def observe_page(page: Page, deadline: float, *, measure_raw: bool = False) -> Observation:
    return from_walk(evaluate(page, {"op": "observe", "raw": measure_raw}, deadline, "observing it"))


# The page is given this much less than the deadline to settle, so that it answers (quiet or
# not) before Playwright's own timeout, which only fires for a page that no longer answers.
_ANSWER_MARGIN_MS = 50


def settle(page: Page, deadline: float, what: str, *, departure: Callable[[float], None] | None = None) -> Observation:
    """Wait until ``what`` reached the load event and a frame passed without DOM mutations;
    return the observation of the settled page.

    With ``departure``, a document that started loading another one (a clicked link, a
    submitted form) is not observed: ``departure(deadline)`` waits until the new one commits
    (or the load ends without one), then the new page settles.
    Raises ActionTimeoutError naming the condition that did not come true before ``deadline``.
    """
    while True:
        left = _ms_left(deadline)
        if left < 1:
            raise ActionTimeoutError(f"Timed out waiting for {what} to finish loading.")
        _wait_for_load(page, deadline, f"waiting for {what}")
        budget = max(_ms_left(deadline) - _ANSWER_MARGIN_MS, 1)
        request = {"op": "settle", "budget": budget, "leave": departure is not None}
        data = evaluate(page, request, deadline, f"waiting for {what} to settle")
        if departure is None or not data.get("leaving"):
            break
        departure(deadline)
    if not data["quiet"]:
        raise ActionTimeoutError(
            f"Timed out waiting for the DOM to stop changing after {what}: it was still mutating "
            "every animation frame when the time ran out."
        )
    return from_walk(data)


def simplify_html(html: str, *, browser: Browser | None = None, url: str | None = None) -> str:
    """Simplified HTML of a static page, rendered offline (no network) in a fresh tab."""
    from webmimic.simulator.browser import Browser

    own = browser is None
    b = Browser() if own else browser
    assert b is not None
    try:
        tab = b.new_tab(offline=True)
        try:
            return tab.set_content(html, url=url).html
        finally:
            tab.close()
    finally:
        if own:
            b.close()


def simplify_source(source: str, *, browser: Browser | None = None) -> str:
    """Simplified HTML of a file path or an http(s)/file URL (what ``webmimic simplify`` prints)."""
    from webmimic.simulator.browser import Browser

    scheme = urlparse(source).scheme
    if scheme in ("http", "https"):
        own = browser is None
        b = Browser() if own else browser
        assert b is not None
        try:
            with b.new_tab() as tab:
                return tab.goto(source).html
        finally:
            if own:
                b.close()
    path = Path(urlparse(source).path if scheme == "file" else source)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise WebmimicError(f"Cannot read {source}: {err.strerror or err}") from err
    return simplify_html(text, browser=browser)
