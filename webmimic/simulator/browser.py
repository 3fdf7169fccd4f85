"""Browser and Tab: one Chromium per Browser, one isolated BrowserContext + Page per Tab.

A fresh context per tab gives fresh cookies and storage, hence fresh site state, without the
seconds a new Chromium costs. Every Browser in a thread shares that thread's Playwright driver
(``shared_playwright``). ``Browser.close`` leaves no Chromium process behind, even after errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import os
import sys
import threading
import time
from types import TracebackType
from typing import Any, Mapping
import uuid

from playwright.sync_api import Browser as PWBrowser
from playwright.sync_api import BrowserContext, Error as PWError, Locator, Page, Route
from playwright.sync_api import TimeoutError as PWTimeout

from webmimic.errors import ActionTimeoutError, BrowserClosedError, WebmimicError
from webmimic.simulator import processes
from webmimic.simulator.actions import Action
from webmimic.simulator.chromium import LAUNCH_ARGS, find_chromium
from webmimic.simulator.driver import PlaywrightLease, shared_playwright
from webmimic.simulator.execute import css_for, perform, resolve
from webmimic.simulator.observation import Observation, observe_page, settle

__all__ = ["BrowserConfig", "Browser", "Tab", "shared_playwright"]


@dataclass(frozen=True)
class BrowserConfig:
    """How to launch Chromium. ``timeout_ms`` bounds every wait (loads, actions, settling)."""

    headless: bool = True
    slow_mo_ms: float = 0
    timeout_ms: float = 5000
    viewport: tuple[int, int] = (1280, 800)
    executable_path: str | None = None


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
        self._thread = threading.get_ident()

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

    def start(self) -> "Browser":
        """Launch Chromium (no-op when already started)."""
        self._check_usable()
        if self._browser is not None:
            return self
        path = self.config.executable_path or find_chromium(headless=self.config.headless)
        if not self.config.headless and sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        ):
            raise WebmimicError(
                "A headed browser needs a display, and neither DISPLAY nor WAYLAND_DISPLAY is set. "
                "On a machine without one, run the command under a virtual display: xvfb-run -a <command>."
            )
        self._lease = shared_playwright()
        try:
            pw = self._lease.acquire()
            self._browser = pw.chromium.launch(
                executable_path=path,
                args=[*LAUNCH_ARGS, self._marker],
                headless=self.config.headless,
                slow_mo=self.config.slow_mo_ms,
                timeout=max(self.config.timeout_ms, 30_000),
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
        return self

    def close(self) -> None:
        """Close every tab and Chromium; make sure none of its processes survives."""
        if self._closed:
            return
        self._closed = True
        tree = []
        if self._root_pid is not None:
            tree = [self._root_pid, *processes.descendants(self._root_pid)]
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
            left = processes.wait_gone(tree, timeout_s=5.0)
            processes.kill(left)
            # A killed process can take seconds to finish exiting on a loaded machine (tearing
            # down a large address space); wait_gone returns as soon as it has.
            processes.wait_gone(left, timeout_s=10.0)

    def _kill_marked(self) -> None:
        for pid in processes.find_marked_pids(self._marker):
            processes.kill([pid, *processes.descendants(pid)])

    def _check_usable(self) -> None:
        if self._closed:
            raise BrowserClosedError("This Browser was closed; create a new one.")
        if threading.get_ident() != self._thread:
            raise WebmimicError("A Browser must be used in the thread that created it (Playwright sync API).")

    def __enter__(self) -> "Browser":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- tabs ------------------------------------------------------------------------------
    def new_tab(self, *, offline: bool = False) -> "Tab":
        """A fresh, isolated context + page. ``offline`` aborts every network request."""
        self._check_usable()
        self.start()
        assert self._browser is not None
        width, height = self.config.viewport
        context = self._browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(self.config.timeout_ms)
        context.set_default_navigation_timeout(self.config.timeout_ms)
        if offline:
            context.route("**/*", lambda route: route.abort("internetdisconnected"))
        tab = Tab(self, context, context.new_page(), offline=offline)
        self._tabs.append(tab)
        return tab

    def _forget(self, tab: "Tab") -> None:
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

    @property
    def timeout_ms(self) -> float:
        return self.browser.config.timeout_ms

    @property
    def closed(self) -> bool:
        return self._closed or self.browser.closed

    def _check(self) -> None:
        if self.closed:
            raise BrowserClosedError("This tab (or its browser) was closed.")

    def _deadline(self) -> float:
        return time.monotonic() + self.timeout_ms / 1000

    # -- navigation ------------------------------------------------------------------------
    def goto(self, url: str) -> Observation:
        """Load ``url``, wait until it settles, and observe it."""
        with self._loading(f"{url} to load", f"Could not load {url}") as deadline:
            self.page.goto(url, wait_until="load", timeout=self.timeout_ms)
        return self._observed(settle(self.page, deadline, "the page loaded by goto"))

    def set_content(self, html: str, url: str | None = None) -> Observation:
        """Show recorded HTML without the network; with ``url`` the page appears at that address."""
        with self._loading("the recorded page to load", "Could not show the recorded page") as deadline:
            if url is None:
                self.page.set_content(html, wait_until="load", timeout=self.timeout_ms)
            else:
                target = url

                def fulfil(route: Route) -> None:
                    route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

                self.page.route(lambda u: _same_url(u, target), fulfil, times=1)
                self.page.goto(url, wait_until="load", timeout=self.timeout_ms)
        return self._observed(settle(self.page, deadline, "the recorded page"))

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

    # -- observing and acting --------------------------------------------------------------
    def observe(self, *, measure_raw: bool = False) -> Observation:
        """The simplified HTML and names of the live page (also marks names in the DOM)."""
        self._check()
        return self._observed(observe_page(self.page, self._deadline(), measure_raw=measure_raw))

    def _observed(self, obs: Observation) -> Observation:
        self.last_observation = obs
        return obs

    def act(self, action: Action | Mapping[str, Any] | str) -> Observation:
        """Carry out one paper-format action like a person would; return the new observation."""
        self._check()
        settled = perform(self, action)
        return self._observed(settled) if settled is not None else self.observe()

    def locate(self, name: str) -> Locator:
        """The Playwright Locator of the element carrying ``name`` (ElementNotFoundError if none)."""
        self._check()
        resolve(self, name)
        return self.page.locator(css_for(name))

    def screenshot(self, *, full_page: bool = False) -> bytes:
        """A PNG of the viewport (or the whole page)."""
        self._check()
        try:
            return self.page.screenshot(full_page=full_page, timeout=self.timeout_ms)
        except PWTimeout as err:
            raise ActionTimeoutError(f"Timed out after {self.timeout_ms:.0f} ms taking a screenshot.") from err

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.browser._forget(self)
        if not self.browser.closed or self.browser._browser is not None:
            try:
                self.context.close()
            except PWError:
                pass  # the browser is already gone

    def __enter__(self) -> "Tab":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")
