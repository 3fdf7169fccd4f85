"""The recorder: a person shops in a real browser; their actions become a ``recorded`` session.

How capture works (and why it is ordered correctly): ``simulator/record.js`` runs in every
document of the recording context (an init script). It keeps a snapshot of the page taken with
``simplify.js``'s own observe once the page settled, and reports each action through a Playwright
binding *synchronously from the event listener*, carrying that snapshot. So the page attached to
an action is the page as it was before the action, even when the click starts a navigation
before Python hears of it; Python never has to race the page. The page also reports each settled
snapshot, which gives the final ``terminate`` step its page.

Recorded actions: a click on a named control; Enter in a named text input (or typing and then
clicking the form's default button) as ``type_and_submit``; choosing an ``<option>`` as a click on
the option's name. Password inputs are never recorded (and observations never carry their value).
Clicks that only focus a text field or open a ``<select>`` are not actions. The session ends when
the page is closed (``terminate``) or an order is placed (``place_order`` → ``purchase``).

If the output file exists, the new session is appended: the file is read (and validated), the new
id must not be in it, and all sessions are written back atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
import importlib.resources
import logging
import os
from typing import Any
import uuid

from playwright.sync_api import Error as PWError, Page

from webmimic.errors import WebmimicError
from webmimic.replay.session import Persona, Session, Step, read_sessions, write_sessions
from webmimic.simulator import Action, Browser, BrowserConfig, Observation
from webmimic.simulator.observation import finish_html, script as simplify_script
from webmimic.sites import Site, get_site

__all__ = ["record_session", "record_main", "recorder_script", "wait_until_observed", "HOW_TO"]

log = logging.getLogger(__name__)

HOW_TO = "Shop in the browser window; close it to end the session."
BINDING = "__wmRecord"
_OBSERVED_JS = """() => {
  const R = window.__wmRec;
  return !!R && document.readyState === "complete" && !R.typing && !R.need && R.snapMuts === R.muts;
}"""


@lru_cache(maxsize=1)
def recorder_script() -> str:
    """The init script: record.js applied to simplify.js (both package data)."""
    record = importlib.resources.files("webmimic.simulator").joinpath("record.js").read_text(encoding="utf-8")
    return f"({record.strip()})(\n{simplify_script().strip()}\n);"


def wait_until_observed(page: Page, timeout_ms: float = 10_000) -> None:
    """Wait until the recorder's snapshot of the current page is current (and reported).

    The snapshot's report is sent before this returns, so Python already holds it: useful before
    handing the page to the person, and in tests before closing the page.
    """
    page.wait_for_load_state("load", timeout=timeout_ms)
    while True:
        try:
            page.wait_for_function(_OBSERVED_JS, polling="raf", timeout=timeout_ms).dispose()
            return
        except PWError:
            if page.is_closed():
                raise
            page.wait_for_load_state("load", timeout=timeout_ms)  # a navigation replaced the document


def _relative(url: str, base: str) -> str:
    """The URL without the server's origin (path + query), so files don't depend on the port."""
    if url.startswith(base):
        rest = url[len(base):]
        return rest if rest.startswith("/") else "/" + rest
    return url


def _iso(ms: float | None) -> str:
    when = datetime.now(timezone.utc) if ms is None else datetime.fromtimestamp(ms / 1000, timezone.utc)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _observation(raw: Mapping[str, Any]) -> Observation:
    return Observation(url=raw["url"], title=raw["title"], html=finish_html(raw["html"]), names=tuple(raw["names"]))


class _Recorder:
    """Turns the page's reports into steps; knows when the session is over."""

    def __init__(self, site: Site, base_url: str) -> None:
        self.site = site
        self.base = base_url
        self.steps: list[Step] = []
        self.last: Observation | None = None
        self.purchased = False
        self.page: Page | None = None

    def on_message(self, source: Mapping[str, Any], msg: Mapping[str, Any]) -> None:
        # Only the session's own page: a tab the person opened aside is not part of the path.
        if self.purchased or not isinstance(msg, Mapping) or (self.page is not None and source.get("page") is not self.page):
            return
        obs = _observation(msg["obs"])
        self.last = obs
        if msg.get("kind") != "action":
            return
        action = Action.from_dict(msg["action"])
        if action.name not in obs.names:
            log.warning("Ignoring %s: its element is not in the observed page.", action)
            return
        self.steps.append(Step(action=action, url=_relative(obs.url, self.base), timestamp=_iso(msg.get("t")), page=obs.html))
        if action.type == "click" and self.site.is_purchase(action.name) and action.name.rsplit(".", 1)[-1] == "place_order":
            self.purchased = True
            page = source.get("page")
            if page is not None:
                # The order is placed: end the session once its confirmation has loaded.
                page.once("load", lambda p: p.close())

    def session(self, session_id: str, site_name: str, persona: str | None) -> Session:
        steps = list(self.steps)
        if not self.purchased:
            last = self.last
            steps.append(Step(
                action=Action.terminate(),
                url=_relative(last.url, self.base) if last else self.site.start_path,
                timestamp=_iso(None),
                page=last.html if last else None,
            ))
        return Session(
            id=session_id, site=site_name, start_url=self.site.start_path, steps=tuple(steps),
            outcome="purchase" if self.purchased else "terminate",
            persona=Persona(text=persona) if persona else None, source="recorded",
        )


def _new_id() -> str:
    return "rec-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def record_session(
    *,
    site: str = "shop",
    output: str | os.PathLike[str],
    persona: str | None = None,
    headless: bool = False,
    browser: Browser | None = None,
    session_id: str | None = None,
    on_ready: Callable[[Page], None] | None = None,
) -> Session:
    """Record one session of a person shopping; append it to ``output`` and return it.

    ``on_ready(page)`` runs once the start page is observed (tests drive the page as the person
    there); the recorder then waits for the page to close (or an order to be placed).
    """
    output = os.fspath(output)
    existing = read_sessions(output) if os.path.exists(output) and os.path.getsize(output) > 0 else []
    session_id = session_id or _new_id()
    if any(s.id == session_id for s in existing):
        raise WebmimicError(f"{output} already holds a session {session_id!r}; choose another id.")
    the_site = get_site(site)
    own = browser is None
    b = Browser(BrowserConfig(headless=headless, timeout_ms=30_000)) if own else browser
    assert b is not None
    try:
        with the_site.serve() as server:
            rec = _Recorder(the_site, server.url)
            tab = b.new_tab()
            try:
                tab.context.expose_binding(BINDING, rec.on_message)
                tab.context.add_init_script(recorder_script())
                page = rec.page = tab.page
                page.goto(server.url + the_site.start_path, wait_until="load")
                wait_until_observed(page)
                if on_ready is not None:
                    on_ready(page)
                if not page.is_closed():
                    try:
                        page.wait_for_event("close", timeout=0)
                    except PWError:
                        if not page.is_closed() and not b.closed:
                            raise  # not the person closing the window: a real failure
            finally:
                tab.close()
    finally:
        if own:
            b.close()
    session = rec.session(session_id, site, persona)
    write_sessions(output, [*existing, session])
    return session


def record_main(site: str, output: str, persona: str | None) -> int:
    """``webmimic record``: open a browser window on the site and record one session."""
    print(HOW_TO, flush=True)
    try:
        session = record_session(site=site, output=output, persona=persona)
    except WebmimicError as err:
        print(f"error: {err}")
        return 1
    steps = len(session.steps)
    print(f"Recorded session {session.id!r}: {steps} step(s), outcome {session.outcome}; saved to {output}.")
    return 0
