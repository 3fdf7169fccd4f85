"""The recorder: a person shops in a real browser; their actions become a ``recorded`` session.

Capture is the browser layer's (``Tab.capture``, see ``webmimic.simulator.capture``): each action
arrives with the page as it was before it, and each settled page is reported too, which gives
the final ``terminate`` step its page. This module turns those events into a session.

Recorded actions: a click on a named control; Enter in a named text input (or typing and then
clicking the form's default button) as ``type_and_submit``; choosing an ``<option>`` as a click on
the option's name. Password inputs are never recorded (and observations never carry their value).
Clicks that only focus a text field or open a ``<select>`` are not actions. The session ends when
the page is closed (``terminate``) or an order is placed (``place_order`` → ``purchase``).

If the output file exists, the new session is appended: the file is read (and validated), the new
id must not be in it, and all sessions are written back atomically.

Ctrl-C keeps what was recorded: the actions so far are saved as a session ending in ``terminate``
(its ``meta`` says ``"ended": "interrupted"``), and ``RecordingInterrupted`` (a KeyboardInterrupt)
says where; with no action yet, nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import logging
import os
import sys
import uuid

from webmimic.core.actions import Action
from webmimic.core.errors import WebmimicError
from webmimic.core.names import last_part
from webmimic.replay.session import Persona, Session, Step, read_sessions, write_sessions
from webmimic.simulator import Browser, BrowserConfig, Observation, Tab
from webmimic.simulator.capture import Capture, CaptureEvent
from webmimic.sites import Site, SiteServer, get_site

__all__ = ["record_session", "record_main", "RecordingInterrupted", "HOW_TO"]

log = logging.getLogger(__name__)

HOW_TO = "Shop in the browser window; close it to end the session."


class RecordingInterrupted(KeyboardInterrupt):
    """Ctrl-C ended a recording; ``session`` is what was saved to ``output`` (None: no action yet, nothing saved)."""

    def __init__(self, session: Session | None, output: str) -> None:
        super().__init__(output)
        self.session = session
        self.output = output


def _iso(ms: float | None) -> str:
    when = datetime.now(UTC) if ms is None else datetime.fromtimestamp(ms / 1000, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Recorder:
    """Turns the page's reports into steps; knows when the session is over."""

    def __init__(self, site: Site, server: SiteServer) -> None:
        self.site = site
        self.server = server
        self.steps: list[Step] = []
        self.last: Observation | None = None
        self.purchased = False
        self.capture: Capture | None = None

    def on_event(self, event: CaptureEvent) -> None:
        if self.purchased:
            return
        obs = self.last = event.observation
        if event.action is None:
            return
        action = Action.from_dict(event.action)
        if action.name not in obs.names:
            log.warning("Ignoring %s: its element is not in the observed page.", action)
            return
        url, when = self.server.relative(obs.url), _iso(event.time_ms)
        self.steps.append(Step(action=action, url=url, timestamp=when, page=obs.html))
        if action.type == "click" and self.site.is_purchase(action.name) and last_part(action.name) == "place_order":
            self.purchased = True
            if self.capture is not None:
                self.capture.close_after_next_load()  # end the session once the confirmation has loaded

    def session(self, session_id: str, site_name: str, persona: str | None, *, interrupted: bool = False) -> Session:
        steps = list(self.steps)
        if not self.purchased:
            last = self.last
            steps.append(
                Step(
                    action=Action.terminate(),
                    url=self.server.relative(last.url) if last else self.site.start_path,
                    timestamp=_iso(None),
                    page=last.html if last else None,
                )
            )
        return Session(
            id=session_id,
            site=site_name,
            start_url=self.site.start_path,
            steps=tuple(steps),
            outcome="purchase" if self.purchased else "terminate",
            persona=Persona(text=persona) if persona else None,
            source="recorded",
            meta={"ended": "interrupted"} if interrupted else {},
        )


def _new_id() -> str:
    return "rec-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def record_session(
    *,
    site: str = "shop",
    output: str | os.PathLike[str],
    persona: str | None = None,
    headless: bool = False,
    browser: Browser | None = None,
    session_id: str | None = None,
    on_ready: Callable[[Tab, Capture], None] | None = None,
) -> Session:
    """Record one session of a person shopping; append it to ``output`` and return it.

    ``on_ready(tab, capture)`` runs once the start page is observed (tests drive the page as the
    person there); the recorder then waits for the page to close (or an order to be placed).
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
    recorders: list[_Recorder] = []
    try:
        _record(the_site, b, recorders, on_ready)
    except KeyboardInterrupt as stop:
        steps = recorders[0].steps if recorders else []
        kept = recorders[0].session(session_id, site, persona, interrupted=True) if steps else None
        if kept is not None:
            write_sessions(output, [*existing, kept])
        raise RecordingInterrupted(kept, output) from stop
    finally:
        if own:
            b.close()
    session = recorders[0].session(session_id, site, persona)
    write_sessions(output, [*existing, session])
    return session


def _record(
    site: Site, browser: Browser, into: list[_Recorder], on_ready: Callable[[Tab, Capture], None] | None
) -> None:
    """Serve ``site`` and record in a new tab until the page closes; the recorder goes into ``into``
    as soon as it exists, so that Ctrl-C at any point finds the steps so far."""
    with site.serve() as server:
        rec = _Recorder(site, server)
        into.append(rec)
        with browser.new_tab() as tab:
            capture = rec.capture = tab.capture(rec.on_event)
            tab.goto(server.url + site.start_path)
            capture.wait_until_observed()
            if on_ready is not None:
                on_ready(tab, capture)
            capture.wait_closed()


def record_main(
    site: str,
    output: str,
    persona: str | None,
    *,
    headless: bool = False,
    on_ready: Callable[[Tab, Capture], None] | None = None,
) -> int:
    """``webmimic record``: open a browser window on the site and record one session; Ctrl-C
    saves the steps so far and exits 130. ``headless``/``on_ready`` as in ``record_session``."""
    print(HOW_TO, flush=True)
    try:
        session = record_session(site=site, output=output, persona=persona, headless=headless, on_ready=on_ready)
    except RecordingInterrupted as stop:
        if stop.session is None:
            print("Interrupted before any action was recorded; nothing was saved.", flush=True)
        else:
            steps = len(stop.session.steps)
            print(
                f"Interrupted: saved the {steps} step(s) recorded so far (the last a terminate) as session "
                f"{stop.session.id!r} in {output}.",
                flush=True,
            )
        return 130
    except WebmimicError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    steps = len(session.steps)
    print(f"Recorded session {session.id!r}: {steps} step(s), outcome {session.outcome}; saved to {output}.")
    return 0
