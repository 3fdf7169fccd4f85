"""Browser and Tab: one Chromium per Browser, one isolated BrowserContext + Page per Tab.

A fresh context per tab gives fresh cookies and storage, hence fresh site state, without the
seconds a new Chromium costs. Every Browser in a thread shares that thread's Playwright driver
(``shared_playwright``). ``Browser.close`` leaves no Chromium process behind, even after errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
import contextlib
from contextlib import contextmanager
from dataclasses import dataclass
import os
from pathlib import Path
import threading
import time
from types import TracebackType
from typing import Any, TypeVar
import uuid

from playwright.sync_api import Browser as PWBrowser
from playwright.sync_api import BrowserContext, Frame, Locator, Page, Request, Response, Route
from playwright.sync_api import Error as PWError
from playwright.sync_api import TimeoutError as PWTimeout

from webmimic.core.actions import Action
from webmimic.core.errors import (
    ActionTimeoutError,
    BrowserClosedError,
    ElementNotFoundError,
    ElementNotInteractableError,
    SiteFailureError,
    WebmimicError,
)
from webmimic.simulator import greenlets, overlay, processes
from webmimic.simulator.capture import Capture, CaptureEvent
from webmimic.simulator.chromium import LAUNCH_ARGS, NO_DISPLAY, NO_IMAGES, find_chromium, has_display
from webmimic.simulator.driver import PlaywrightLease, shared_playwright
from webmimic.simulator.execute import css_for, perform, resolve
from webmimic.simulator.observation import Observation, install_script, observe_page, settle

__all__ = ["BrowserConfig", "Browser", "Tab", "shared_playwright"]

T = TypeVar("T")


@dataclass(frozen=True)
class BrowserConfig:
    """How to launch Chromium. ``timeout_ms`` bounds every wait (loads, actions, settling).

    ``images``: whether pages load their images. None (the default) loads them only in a headed
    browser, where a person sees them: text observations are the same either way, and a
    headless step costs less without them. Say True for screenshots with the pictures in.
    """

    headless: bool = True
    slow_mo_ms: float = 0
    timeout_ms: float = 5000
    viewport: tuple[int, int] = (1280, 800)
    executable_path: str | None = None
    images: bool | None = None

    @property
    def loads_images(self) -> bool:
        return not self.headless if self.images is None else self.images


class Browser:
    """A Chromium process; hands out isolated tabs. Context manager; ``close()`` is idempotent."""

    def __init__(self, config: BrowserConfig = BrowserConfig()) -> None:
        self.config = config
        self._lease: PlaywrightLease | None = None
        self._browser: PWBrowser | None = None
        self._tabs: list[Tab] = []
        self._closed = False
        self._marker = f"--webmimic-browser={uuid.uuid4().hex}"
        self._pid: int | None = None  # Chromium's main process
        self._root_pid: int | None = None  # what the driver launched (maybe a wrapper script)
        self._processes: processes.ProcessSet | None = None  # every process of it, from launch on
        self._thread = threading.get_ident()
        self._playwright: Any = None  # the driver's sync-API object (its loop serves run_concurrently)
        self._relaunch = greenlets.OneAtATime()
        self.restarts = 0  # Chromiums launched in place of one that died

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def started(self) -> bool:
        return self._browser is not None

    @property
    def pid(self) -> int | None:
        """Pid of Chromium's main process (Linux), None before start or where /proc is missing."""
        return self._pid

    def start(self) -> Browser:
        """Launch Chromium (no-op when already started)."""
        self._check_usable()
        if self._browser is None and self._playwright is not None:
            self._relaunch.wait(self._playwright)  # another env's call is replacing a dead Chromium
        if self._browser is not None:
            return self
        return self._launch()

    def _launch(self) -> Browser:
        path = self.config.executable_path or find_chromium(headless=self.config.headless)
        if not self.config.headless and not has_display():
            raise WebmimicError(NO_DISPLAY)
        self._lease = shared_playwright()
        try:
            pw = self._playwright = self._lease.acquire()
            self._browser = pw.chromium.launch(
                executable_path=path,
                args=[*LAUNCH_ARGS, *(() if self.config.loads_images else (NO_IMAGES,)), self._marker],
                headless=self.config.headless,
                slow_mo=self.config.slow_mo_ms,
                timeout=max(self.config.timeout_ms, 30_000),
                # Ctrl-C is Python's to handle (KeyboardInterrupt, then an orderly close): Playwright's
                # own handler would kill Chromium first, failing every session still in flight.
                handle_sigint=False,
            )
        except PWError as err:
            self._lease.release()
            self._lease = None
            self._kill_marked()
            raise WebmimicError(f"Chromium at {path} failed to start: {err.message.splitlines()[0]}") from err
        except BaseException:
            self._lease.release()
            self._lease = None
            self._kill_marked()
            raise
        marked = processes.find_marked_pids(self._marker)
        self._root_pid = marked[0] if marked else None
        self._pid = marked[-1] if marked else None
        if self._root_pid is not None:
            self._processes = processes.ProcessSet(self._root_pid)
        return self

    @property
    def crashed(self) -> bool:
        """Whether the Chromium this Browser started died under it (killed, crashed): close()
        was not called, yet its main process is gone or the driver lost the connection."""
        if self._closed or self._browser is None:
            return False
        return (self._pid is not None and not processes.alive(self._pid)) or not self._browser.is_connected()

    def revive(self) -> None:
        """Launch a new Chromium in place of one that died (a no-op while it lives); the old
        one's tabs are dead, open new ones. When envs sharing this browser all notice one death
        at once (``run_concurrently``), the first relaunches and the others wait for it."""
        self._check_usable()
        if self._playwright is not None:
            self._relaunch.run(self._playwright, self._relaunch_now)

    def _relaunch_now(self) -> None:
        if not self.crashed:
            return
        for tab in self._tabs:
            tab._closed = tab._crashed = True
        self._tabs.clear()
        family, lease = self._processes, self._lease
        self._browser = self._lease = self._processes = None
        self._pid = self._root_pid = None
        try:
            if family is not None:
                family.refresh()
                family.end(grace_s=5.0, kill_s=10.0)  # what is left of the dead one: zygotes, renderers
            self._launch()
            self.restarts += 1
        finally:
            if lease is not None:
                lease.release()  # after start() took its own lease, so the driver stays up

    def close(self) -> None:
        """Close every tab and Chromium; make sure none of its processes survives."""
        if self._closed:
            return
        self._closed = True
        # Every process of this Chromium, each held by a pidfd: the launched process, its
        # descendants and the rest of its session, where a process reparented away stays.
        family, self._processes = self._processes, None
        if family is not None:
            family.refresh()
        try:
            for tab in list(self._tabs):
                tab.close()
            if self._browser is not None:
                self._browser.close()
        except PWError:
            pass  # the browser may already be dead; the process check below still runs
        finally:
            self._browser = None
            if self._lease is not None:
                self._lease.release()
                self._lease = None
            if family is not None:
                # A killed process can take seconds to finish exiting on a loaded machine (tearing
                # down a large address space); end() returns as soon as every one has.
                family.end(grace_s=5.0, kill_s=10.0)

    def _kill_marked(self) -> None:
        for pid in processes.find_marked_pids(self._marker):
            processes.kill([pid, *processes.descendants(pid)])

    def _check_usable(self) -> None:
        if self._closed:
            raise BrowserClosedError("This Browser was closed; create a new one.")
        if threading.get_ident() != self._thread:
            raise WebmimicError("A Browser must be used in the thread that created it (Playwright sync API).")

    def __enter__(self) -> Browser:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- tabs ------------------------------------------------------------------------------
    def new_tab(self, *, offline: bool = False) -> Tab:
        """A fresh, isolated context + page. ``offline`` aborts every network request."""
        self._check_usable()
        self.start()
        assert self._browser is not None
        width, height = self.config.viewport
        try:
            context = self._browser.new_context(viewport={"width": width, "height": height})
            context.set_default_timeout(self.config.timeout_ms)
            context.set_default_navigation_timeout(self.config.timeout_ms)
            install_script(context)
            page = context.new_page()
        except PWError as err:
            raise BrowserClosedError(f"Chromium could not open a tab: {err.message.splitlines()[0]}") from err
        tab = Tab(self, context, page, offline=offline)
        if offline:
            tab._route_requests()  # before the page can load anything
        self._tabs.append(tab)
        return tab

    def run_concurrently(self, calls: Sequence[Callable[[], T]]) -> list[T | Exception]:
        """Run calls that drive this browser's tabs at the same time, in this thread; each call's
        result or the Exception it raised, in order (``webmimic.simulator.greenlets``)."""
        self._check_usable()
        self.start()
        return greenlets.run_concurrently(self._browser, calls)

    def _forget(self, tab: Tab) -> None:
        if tab in self._tabs:
            self._tabs.remove(tab)


class Tab:
    """One page in its own context: navigate, observe, act. Context manager; close is idempotent."""

    def __init__(self, browser: Browser, context: BrowserContext, page: Page, *, offline: bool) -> None:
        self.browser = browser
        self.context = context
        self.page = page
        self.offline = offline
        self.last_observation: Observation | None = None
        self._closed = False
        self._crashed = False  # its renderer or its whole Chromium died
        page.on("crash", self._on_crash)
        self._navigation = _Navigation(page)
        self._routing = False  # whether _route is the context's route handler
        self._recorded: tuple[str, str] | None = None  # (url, html) set_content is loading

    @property
    def timeout_ms(self) -> float:
        return self.browser.config.timeout_ms

    @property
    def closed(self) -> bool:
        return self._closed or self.browser.closed

    @property
    def crashed(self) -> bool:
        """Whether the page died under the tab (its renderer or Chromium killed or crashed)."""
        return self._crashed or (not self._closed and self.page.is_closed())

    def _on_crash(self, _page: Page) -> None:
        self._crashed = True

    def _check(self) -> None:
        if self.closed:
            raise BrowserClosedError("This tab (or its browser) was closed.")

    def _deadline(self) -> float:
        return time.monotonic() + self.timeout_ms / 1000

    # -- navigation ------------------------------------------------------------------------
    def goto(self, url: str) -> Observation:
        """Load ``url``, wait until it settles, and observe it. SiteFailureError when the site
        answers 5xx, drops the connection or does not answer in time."""
        with self._site_checked():
            with self._loading(f"{url} to load", f"Could not load {url}") as deadline:
                self.page.goto(url, wait_until="load", timeout=self.timeout_ms)
            return self._observed(
                settle(self.page, deadline, "the page loaded by goto", departure=self.wait_for_departure)
            )

    @contextmanager
    def _site_checked(self) -> Iterator[None]:
        """Raise SiteFailureError when a main-frame page load started in the block failed (also when
        the block itself failed or timed out because of it). Offline tabs load no site."""
        self._navigation.forget()
        if self.offline:
            yield
            return
        try:
            yield
        except WebmimicError as err:
            failure = self._navigation.failure(self.timeout_ms, timed_out=isinstance(err, ActionTimeoutError))
            if failure is None or self._died():
                raise
            raise failure from err
        failure = self._navigation.failure(self.timeout_ms, timed_out=False)
        if failure is not None:
            raise failure

    def wait_for_departure(self, deadline: float) -> None:
        """Wait until the document the page started loading since the action began commits, or
        its load ends without one (204, a download, an error); ActionTimeoutError at ``deadline``."""
        try:
            self._navigation.wait_for_departure(deadline)
        except TimeoutError as err:
            raise ActionTimeoutError(
                f"Timed out after {self.timeout_ms:.0f} ms waiting for the page the action started loading."
            ) from err

    def _died(self) -> bool:
        """Chromium or the page died: that is a crash for the env to recover from, not the site's fault."""
        return self.crashed or self.browser.crashed

    def set_content(self, html: str, url: str | None = None) -> Observation:
        """Show recorded HTML without the network; with ``url`` the page appears at that address."""
        with self._loading("the recorded page to load", "Could not show the recorded page") as deadline:
            if url is None:
                self.page.set_content(html, wait_until="load", timeout=self.timeout_ms)
            else:
                self._route_requests()
                self._recorded = (url, html)
                try:
                    self.page.goto(url, wait_until="load", timeout=self.timeout_ms)
                finally:
                    self._recorded = None
        return self._observed(settle(self.page, deadline, "the recorded page"))

    def _route_requests(self) -> None:
        """Make ``_route`` the one route handler of this tab's context, for the tab's lifetime.

        One handler, never removed, serves both the recorded page and everything else. A second
        handler that comes and goes (a page route with ``times=1``) races with it: removing a
        page route makes Playwright's driver pass the page's routes in flight on by itself, to
        the network, while the client passes the same routes to the context's handler, whose
        ``abort`` then fails with "Route is already handled!".
        """
        if not self._routing:
            self.context.route("**/*", self._route)
            self._routing = True

    def _route(self, route: Route) -> None:
        """Serve the recorded page that set_content is loading; abort (offline) or pass on the rest."""
        request = route.request
        recorded = self._recorded
        try:
            if recorded is not None and request.is_navigation_request() and _same_url(request.url, recorded[0]):
                self._recorded = None  # served once; a reload of the address is a network request
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=recorded[1])
            elif self.offline:
                route.abort("internetdisconnected")
            else:
                route.fallback()
        except PWError:
            pass  # the request was cancelled (the page navigated on or closed) before the answer

    @contextmanager
    def _loading(self, waiting_for: str, failure: str) -> Iterator[float]:
        """Yield the deadline of a page load; translate Playwright's errors by type."""
        self._check()
        deadline = self._deadline()
        try:
            yield deadline
        except PWTimeout as err:
            raise ActionTimeoutError(f"Timed out after {self.timeout_ms:.0f} ms waiting for {waiting_for}.") from err
        except PWError as err:
            raise WebmimicError(f"{failure}: {err.message.splitlines()[0]}") from err

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Playwright's errors while ``doing`` as webmimic's: a timeout, or a page that failed or died."""
        self._check()
        try:
            yield
        except PWTimeout as err:
            raise ActionTimeoutError(f"Timed out after {self.timeout_ms:.0f} ms {doing}.") from err
        except PWError as err:
            raise WebmimicError(f"Failed {doing}: {err.message.splitlines()[0]}") from err

    # -- observing and acting --------------------------------------------------------------
    def observe(self, *, measure_raw: bool = False) -> Observation:
        """The simplified HTML and names of the live page (also marks names in the DOM)."""
        self._check()
        return self._observed(observe_page(self.page, self._deadline(), measure_raw=measure_raw))

    def _observed(self, obs: Observation) -> Observation:
        self.last_observation = obs
        return obs

    def act(self, action: Action) -> Observation:
        """Carry out one paper-format action like a person would; return the new observation.

        Takes a parsed ``Action``: agent output is parsed once, where it enters the env.
        """
        self._check()
        if not isinstance(action, Action):
            raise TypeError(f"Tab.act takes an Action, not {type(action).__name__}; parse agent output first.")
        with self._site_checked():
            settled = perform(self, action)
            return self._observed(settled) if settled is not None else self.observe()

    def locate(self, name: str) -> Locator:
        """The Playwright Locator of the element carrying ``name`` (ElementNotFoundError if none).

        For tests and power users: webmimic's own layers above the browser never hold Playwright objects.
        """
        self._check()
        resolve(self, name)
        return self.page.locator(css_for(name))

    def screenshot(self, *, full_page: bool = False, jpeg_quality: int | None = None) -> bytes:
        """A PNG of the viewport (or the whole page); a JPEG with ``jpeg_quality`` (1-100)."""
        self._check()
        with self._errors("taking a screenshot"):
            if jpeg_quality is None:
                return self.page.screenshot(full_page=full_page, timeout=self.timeout_ms)
            return self.page.screenshot(full_page=full_page, type="jpeg", quality=jpeg_quality, timeout=self.timeout_ms)

    # -- what the layers above need, without Playwright objects ----------------------------
    def box(self, name: str | None, *, scroll: bool = False) -> tuple[float, float, float, float] | None:
        """The element's box (x, y, width, height) in the viewport, or None when no rendered element
        carries ``name``. ``scroll`` first brings it into view (it changes no observation)."""
        if name is None:
            return None
        try:
            target = self.locate(name)
            if scroll:
                target.scroll_into_view_if_needed(timeout=self.timeout_ms)
            box = target.bounding_box(timeout=self.timeout_ms)
        except (ElementNotFoundError, ElementNotInteractableError, PWError):
            return None  # not on the page, detached or timed out: there is no box to show
        if box is None:
            return None
        return (box["x"], box["y"], box["width"], box["height"])

    def request_json(self, url: str) -> Any:
        """GET ``url`` inside the tab's context (its cookies, so the site's state for this tab) as JSON.
        SiteFailureError when the site answers 5xx, drops the connection or does not answer in time."""
        with self._errors(f"requesting {url}"):
            try:
                response = self.page.request.get(url, timeout=self.timeout_ms)
            except PWTimeout as err:
                raise site_failure(url, "timeout", self.timeout_ms) from err
            except PWError as err:
                if self.closed or self._died():
                    raise
                raise site_failure(url, "network", self.timeout_ms, detail=err.message.splitlines()[0]) from err
            if response.status >= 500:
                raise site_failure(url, "status", self.timeout_ms, status=response.status)
            return response.json()

    def show_step(self, human: Action | None, agent: Action | None, *, scroll: bool = True) -> None:
        """Draw the debugging overlay: the human's element in green, the agent's in red."""
        with self._errors("drawing the overlay"):
            overlay.show_step(self.page, human, agent, scroll=scroll)

    def clear_overlay(self) -> None:
        """Remove the debugging overlay (no-op when there is none)."""
        with self._errors("removing the overlay"):
            overlay.clear(self.page)

    def pause(self) -> None:
        """Open Playwright's inspector and wait until the person resumes (headed browsers only)."""
        self._check()
        self.page.pause()

    def start_tracing(self) -> None:
        """Record a Playwright trace (DOM snapshots and screenshots of every action) of this tab."""
        with self._errors("starting a trace"):
            self.context.tracing.start(screenshots=True, snapshots=True, sources=False)

    def stop_tracing(self, path: str | os.PathLike[str]) -> Path:
        """Stop tracing and write the trace zip to ``path`` (open it with ``playwright show-trace``)."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        with self._errors("writing the trace"):
            self.context.tracing.stop(path=str(out))
        return out

    def capture(self, on_event: Callable[[CaptureEvent], None]) -> Capture:
        """Report every settled page and every action a person takes here to ``on_event`` (the recorder)."""
        self._check()
        return Capture(self, on_event)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.browser._forget(self)
        if not self.browser.closed or self.browser._browser is not None:
            with contextlib.suppress(PWError):  # the browser may already be gone
                self.context.close()

    def __enter__(self) -> Tab:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _Navigation:
    """The latest main-frame page load of a page and how it ended, followed through the page's
    request events (a click's navigation is only seen this way), and its departures: documents
    committed in the main frame, and loads that ended without one."""

    def __init__(self, page: Page) -> None:
        self._page = page
        self._request: Request | None = None
        self._status: int | None = None
        self._error: str | None = None
        self._finished = False
        self._departures = 0
        self._since = 0  # departures already waited for, or before the action
        self._departed = greenlets.Wakeup()
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_failed)
        page.on("requestfinished", self._on_finished)
        page.on("framenavigated", self._on_navigated)
        page.on("download", lambda _download: self._depart())

    def forget(self) -> None:
        """Only loads and departures from now on count."""
        self._request = None
        self._since = self._departures

    def wait_for_departure(self, deadline: float) -> None:
        """Return once a departure happened since the last wait (or ``forget``); TimeoutError at ``deadline``."""
        while self._departures == self._since:
            self._departed.wait(self._page, max(deadline - time.monotonic(), 0.001))
        self._since = self._departures

    def _depart(self) -> None:
        self._departures += 1
        self._departed.set()

    def _on_navigated(self, frame: Frame) -> None:
        if frame.parent_frame is None:
            self._depart()

    def _main(self, request: Request) -> bool:
        try:
            return request.is_navigation_request() and request.frame.parent_frame is None
        except PWError:
            return False  # a service worker's request has no frame

    def _on_request(self, request: Request) -> None:
        if self._main(request):  # a redirect's next hop replaces the previous request
            self._request, self._status, self._error, self._finished = request, None, None, False

    def _on_response(self, response: Response) -> None:
        if response.request is self._request:
            self._status = response.status
            if response.status in (204, 205):  # no content: the page stays
                self._depart()

    def _on_failed(self, request: Request) -> None:
        if request is self._request:
            self._error = request.failure or "net::ERR_FAILED"
            self._depart()

    def _on_finished(self, request: Request) -> None:
        if request is self._request:
            self._finished = True

    def failure(self, timeout_ms: float, *, timed_out: bool) -> SiteFailureError | None:
        """The error for the load, if it failed: 5xx, a network error, or (``timed_out``) no answer yet."""
        if self._request is None:
            return None
        url = self._request.url
        if self._status is not None and self._status >= 500:
            return site_failure(url, "status", timeout_ms, status=self._status)
        # ERR_ABORTED: the load was cancelled (another navigation replaced it, or a download): no failure.
        if self._error is not None and "ERR_ABORTED" not in self._error:
            return site_failure(url, "network", timeout_ms, detail=self._error)
        if timed_out and self._error is None and not self._finished:
            return site_failure(url, "timeout", timeout_ms)
        return None


def site_failure(
    url: str, kind: str, timeout_ms: float, *, status: int | None = None, detail: str | None = None
) -> SiteFailureError:
    """The SiteFailureError of a request to ``url``, saying what the failure means."""
    if kind == "status":
        message = (
            f"The site answered HTTP {status} (a server error) for {url}: the server failed on this request, "
            "so the page or data the episode needs could not be had. Check the site's log."
        )
    elif kind == "network":
        message = (
            f"The site's connection failed for {url} ({detail}): the server refused or closed the connection "
            "without a complete answer (it crashed, was stopped, or dropped the request)."
        )
    else:
        message = (
            f"The site did not answer {url} within the timeout of {timeout_ms:.0f} ms: the server hangs or is "
            "overloaded. If it is only slow, raise the timeout (BrowserConfig.timeout_ms)."
        )
    return SiteFailureError(message, url=url, kind=kind, status=status, detail=detail)


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")
