"""The recorder: a person shops in a real browser; their actions become a ``recorded`` session.

Capture is the browser layer's (``Tab.capture``, see ``webmimic.simulator.capture``): each action
arrives with the page as it was before it, and each settled page is reported too, which gives
the final ``terminate`` step its page. This module turns those events into a session.

Recorded actions: a click on a named control; Enter in a named text input (or typing and then
clicking the form's default button) as ``type_and_submit``; choosing an ``<option>`` as a click on
the option's name. Password inputs are never recorded (and observations never carry their value).
Clicks that only focus a text field or open a ``<select>`` are not actions. Controls added after
the page loaded (search suggestions, menus) are named when clicked, with the names a replay's
observation gives them.

Beyond the paper's action space (click / type_and_submit / terminate), a person also types into
fields without submitting and uses the browser's back and forward buttons. These are not agent
actions and are not scored; they are recorded as the next step's ``before`` operations
(``{"op": "fill", "name", "text"}``, ``{"op": "back"}``, ``{"op": "forward"}``, see
docs/session-format.md), which a replay performs before it shows that step's page. The step's
``page`` is the page after them, as the person saw it when acting.

The outcome is ``purchase`` only when the site confirms one: a click on a purchase name followed by
a document response that ``Site.confirms_purchase`` accepts (the shop: its ``/order/<n>``
confirmation page). A refused order (say, an incomplete address) is an ordinary click. After a
confirmed purchase the window stays open until the person closes it; nothing after the purchase
is recorded, so the session ends with the purchase click. Otherwise closing the window ends the
session with ``terminate``.

Saved pages mask what was typed into form fields (``mask_form_values``: value ``***``), search
text aside; ``keep_inputs`` (``webmimic record --keep-inputs``) keeps them. Passwords are never
saved. The texts of ``type_and_submit`` actions and of fills are kept: replaying needs them.

``url`` (``webmimic record --url URL``) records on any web app instead of a bundled site: the
session says ``"site": "web"`` with the ``origin`` (scheme://host:port) of URL, ``start_url`` is
URL's path, and step URLs are paths under the origin (absolute elsewhere). A web app names no
purchase buttons, so ``purchase_url`` (``--purchase-url REGEX``) says which document responses
confirm a purchase (the regex is searched in their URL); the click just before one is the
purchase. Without it, web sessions end in ``terminate``.

While recording, a small "REC" badge shows in the corner of the window. It is not part of the
observed page: the observation script skips it, so observations are byte-identical with and without it.

If the output file exists, the new session is appended: the file is read (and validated), the new
id must not be in it, and all sessions are written back atomically.

Ctrl-C keeps what was recorded: the actions so far are saved as a session ending in ``terminate``
(its ``meta`` says ``"ended": "interrupted"``), and ``RecordingInterrupted`` (a KeyboardInterrupt)
says where; with no action yet, nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
import logging
import os
import re
import sys
from urllib.parse import urlsplit
import uuid

from webmimic.core.actions import Action
from webmimic.core.errors import WebmimicError
from webmimic.replay.session import (
    WEB_SITE,
    Persona,
    Session,
    Step,
    StepOp,
    read_sessions,
    relative_url,
    write_sessions,
)
from webmimic.simulator import Browser, BrowserConfig, Observation, Tab
from webmimic.simulator.capture import Capture, CaptureEvent, mask_form_values
from webmimic.simulator.chromium import NO_DISPLAY, has_display
from webmimic.sites import Site, get_site

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


@dataclass(frozen=True)
class _Target:
    """Where a session is recorded: a bundled site served here, or any web app at ``origin``."""

    site: str
    base: str  # the URL that step URLs are relative to (the server's, or the origin)
    start_path: str
    origin: str | None = None
    bundled: Site | None = None
    purchase_url: str | None = None  # web apps: a regex searched in confirming responses' URLs

    def relative(self, url: str) -> str:
        return relative_url(url, self.base)

    def confirms_purchase(self, url: str, status: int) -> bool:
        if self.bundled is not None:
            return self.bundled.confirms_purchase(url, status)
        return self.purchase_url is not None and 200 <= status < 300 and re.search(self.purchase_url, url) is not None

    def is_purchase(self, name: str | None) -> bool:
        """Bundled sites name their buy buttons; on a web app, the confirmed click is the purchase."""
        return self.bundled.is_purchase(name) if self.bundled is not None else name is not None


class _Recorder:
    """Turns the page's reports into steps; knows when the session is over."""

    def __init__(self, target: _Target, *, keep_inputs: bool = False) -> None:
        self.site = target
        self.keep_inputs = keep_inputs
        self.steps: list[Step] = []
        self.last: Observation | None = None
        self.purchased = False
        self.pending: list[StepOp] = []  # back/forward since the last action
        self.nav_index = -1

    def page(self, obs: Observation) -> str:
        return obs.html if self.keep_inputs else mask_form_values(obs.html)

    def on_event(self, event: CaptureEvent) -> None:
        if self.purchased:
            return  # the session ended with the confirmed purchase; the window stays open
        obs = self.last = event.observation
        if event.action is None:
            self.on_page(event)
            return
        action = Action.from_dict(event.action)
        if action.name not in obs.names:
            log.warning("Ignoring %s: its element is not in the observed page.", action)
            return
        before = (*self.pending, *(StepOp("fill", name, text) for name, text in event.fills))
        self.pending = []
        url, when = self.site.relative(obs.url), _iso(event.time_ms)
        self.steps.append(Step(action=action, url=url, timestamp=when, page=self.page(obs), before=before))

    def on_page(self, event: CaptureEvent) -> None:
        """A page reached with the history buttons: ``back``/``forward`` ops for the next step."""
        index, previous = event.nav_index, self.nav_index
        if index < 0:
            return
        self.nav_index = index
        if event.nav_type == "back_forward" and previous >= 0 and index != previous:
            op = StepOp("back") if index < previous else StepOp("forward")
            self.pending.extend([op] * abs(index - previous))

    def on_document(self, url: str, status: int) -> None:
        """A document response: the site confirming a purchase makes the last click the purchase."""
        if self.purchased or not self.site.confirms_purchase(url, status) or not self.steps:
            return
        last = self.steps[-1].action
        if last.type == "click" and self.site.is_purchase(last.name):
            self.purchased = True
            log.info("The site confirmed the purchase (%s); close the window to end the session.", url)

    def session(self, session_id: str, persona: str | None, *, interrupted: bool = False) -> Session:
        steps = list(self.steps)
        if not self.purchased:
            last = self.last
            steps.append(
                Step(
                    action=Action.terminate(),
                    url=self.site.relative(last.url) if last else self.site.start_path,
                    timestamp=_iso(None),
                    page=self.page(last) if last else None,
                    before=tuple(self.pending),
                )
            )
        return Session(
            id=session_id,
            site=self.site.site,
            origin=self.site.origin,
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
    keep_inputs: bool = False,
    url: str | None = None,
    purchase_url: str | None = None,
) -> Session:
    """Record one session of a person shopping; append it to ``output`` and return it.

    ``on_ready(tab, capture)`` runs once the start page is observed (tests drive the page as the
    person there); the recorder then waits for the person to close the page. ``keep_inputs``
    keeps form values in the saved pages (by default they are masked, search text aside).
    ``url`` records on any web app there instead of ``site`` (a ``"web"`` session with its
    ``origin``); ``purchase_url`` (a regex) says which of its responses confirm a purchase
    (without it, web sessions end in terminate).
    """
    output = os.fspath(output)
    existing = read_sessions(output) if os.path.exists(output) and os.path.getsize(output) > 0 else []
    session_id = session_id or _new_id()
    if any(s.id == session_id for s in existing):
        raise WebmimicError(f"{output} already holds a session {session_id!r}; choose another id.")
    the_site = get_site(site) if url is None else None
    if purchase_url is not None:
        check_purchase_url(purchase_url)
    own = browser is None
    b = Browser(BrowserConfig(headless=headless, timeout_ms=30_000)) if own else browser
    assert b is not None
    recorders: list[_Recorder] = []
    try:
        with _target(the_site, url, purchase_url) as target:
            _record(target, b, recorders, on_ready, keep_inputs=keep_inputs)
    except KeyboardInterrupt as stop:
        steps = recorders[0].steps if recorders else []
        kept = recorders[0].session(session_id, persona, interrupted=True) if steps else None
        if kept is not None:
            write_sessions(output, [*existing, kept])
        raise RecordingInterrupted(kept, output) from stop
    finally:
        if own:
            b.close()
    session = recorders[0].session(session_id, persona)
    write_sessions(output, [*existing, session])
    return session


def check_purchase_url(pattern: str) -> None:
    """WebmimicError unless ``pattern`` is a valid regular expression."""
    try:
        re.compile(pattern)
    except re.error as err:
        raise WebmimicError(
            f"--purchase-url {pattern!r} is not a regular expression: {err}; e.g. '/order/\\d+$'."
        ) from err


@contextmanager
def _target(site: Site | None, url: str | None, purchase_url: str | None) -> Iterator[_Target]:
    """The bundled ``site`` served on a loopback port for the recording, or the web app at ``url``."""
    if site is None:
        assert url is not None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise WebmimicError(f"--url {url!r} is not an http(s) URL; give one such as http://127.0.0.1:8000/")
        origin = f"{parts.scheme}://{parts.netloc}"
        yield _Target(WEB_SITE, origin, relative_url(url, origin), origin=origin, purchase_url=purchase_url)
        return
    with site.serve() as server:
        yield _Target(site.name, server.url, site.start_path, bundled=site, purchase_url=purchase_url)


def _record(
    target: _Target,
    browser: Browser,
    into: list[_Recorder],
    on_ready: Callable[[Tab, Capture], None] | None,
    *,
    keep_inputs: bool = False,
) -> None:
    """Record at ``target`` in a new tab until the page closes; the recorder goes into ``into``
    as soon as it exists, so that Ctrl-C at any point finds the steps so far."""
    rec = _Recorder(target, keep_inputs=keep_inputs)
    into.append(rec)
    with browser.new_tab() as tab:
        capture = tab.capture(rec.on_event)
        capture.watch_documents(rec.on_document)
        tab.goto(target.base + target.start_path)
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
    keep_inputs: bool = False,
    url: str | None = None,
    purchase_url: str | None = None,
) -> int:
    """``webmimic record``: open a browser window on the site (or ``url``) and record one session;
    Ctrl-C saves the steps so far and exits 130; a problem found before recording exits 2. The
    options are ``record_session``'s."""
    if not headless and not has_display():
        print(f"webmimic record: error: {NO_DISPLAY}", file=sys.stderr)
        return 2
    print(HOW_TO, flush=True)
    try:
        session = record_session(
            site=site,
            output=output,
            persona=persona,
            headless=headless,
            on_ready=on_ready,
            keep_inputs=keep_inputs,
            url=url,
            purchase_url=purchase_url,
        )
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
        print(f"webmimic record: error: {err}", file=sys.stderr)
        return 1
    steps = len(session.steps)
    print(f"Recorded session {session.id!r}: {steps} step(s), outcome {session.outcome}; saved to {output}.")
    return 0
