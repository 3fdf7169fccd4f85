"""One Playwright driver per thread, shared by reference count.

Playwright's sync API allows a single driver per thread: a second ``sync_playwright().start()``
in the same thread fails. Every webmimic Browser, pytest-playwright's ``playwright`` fixture and
vector envs therefore share the thread's driver through ``shared_playwright()``; the driver is
stopped when its last user releases it.
"""

from __future__ import annotations

from dataclasses import dataclass
import threading
from types import TracebackType

from playwright.sync_api import Playwright, sync_playwright

from webmimic.simulator import greenlets

__all__ = ["PlaywrightLease", "shared_playwright", "driver_users"]


@dataclass
class _Driver:
    playwright: Playwright
    users: int = 0


_local = threading.local()


def _current() -> _Driver | None:
    return getattr(_local, "driver", None)


def driver_users() -> int:
    """How many leases hold this thread's driver (0: no driver running)."""
    driver = _current()
    return driver.users if driver is not None else 0


class PlaywrightLease:
    """One reference to the thread's shared driver; holds at most one reference at a time.

    Use as a context manager (``with shared_playwright() as pw``) or call ``acquire()`` and
    ``release()``. Release is idempotent.
    """

    def __init__(self) -> None:
        self._held = False
        self._thread = threading.get_ident()

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self) -> Playwright:
        if threading.get_ident() != self._thread:
            raise RuntimeError("A Playwright lease must be used in the thread that created it.")
        driver = _current()
        if self._held and driver is not None:
            return driver.playwright
        if driver is None:
            greenlets.ctrl_c_between_tasks()
            driver = _Driver(sync_playwright().start())
            _local.driver = driver
        driver.users += 1
        self._held = True
        return driver.playwright

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        driver = _current()
        if driver is None:
            return
        driver.users -= 1
        if driver.users <= 0:
            _local.driver = None
            driver.playwright.stop()

    def __enter__(self) -> Playwright:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def shared_playwright() -> PlaywrightLease:
    """A new lease on this thread's Playwright driver (started on first acquire)."""
    return PlaywrightLease()
