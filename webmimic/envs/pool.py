"""A pool of workers (each owning an env) on one browser, doing jobs N at a time.

What ``webmimic eval --workers N`` and ``webmimic rollouts --envs N`` share: one Chromium and one
server per site for all N workers, each worker's env an isolated context; a worker takes the next
job when it finishes one, and the N run at once (``Browser.run_concurrently``), in this thread.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
import functools
from types import TracebackType
from typing import Generic, Protocol, TypeVar, cast

from webmimic.envs.runtime import SiteServers
from webmimic.simulator import Browser, BrowserConfig

__all__ = ["EnvPool", "together"]


class _Closable(Protocol):
    def close(self) -> None: ...


W = TypeVar("W", bound=_Closable)
J = TypeVar("J")
T = TypeVar("T")


def together(browser: Browser, calls: Sequence[Callable[[], T]]) -> list[T]:
    """Each call's result, the calls run at once on ``browser``; the first error any raised is
    raised once all have finished."""
    results = browser.run_concurrently(calls)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return cast(list[T], results)


class EnvPool(Generic[W]):
    """``size`` workers made by ``make(browser, servers)``; context manager, closes them all."""

    def __init__(self, make: Callable[[Browser, SiteServers], W], size: int, config: BrowserConfig | None = None):
        if size < 1:
            raise ValueError(f"A pool needs at least 1 worker, not {size}.")
        self.browser = Browser(config or BrowserConfig())
        self.servers = SiteServers()
        self.workers: list[W] = []
        self.interrupted = False  # Ctrl-C came: no job starts, and what is in flight is not a result
        try:
            self.workers += [make(self.browser, self.servers) for _ in range(size)]
        except BaseException:
            self.close()
            raise

    def run(self, jobs: Sequence[J], work: Callable[[W, J], None]) -> None:
        """``work(worker, job)`` for every job, in order of start, N at a time; the first error
        any worker raised is raised once all have stopped (each stops at its error).

        On Ctrl-C (in any worker, or while all wait on the browser) ``interrupted`` is set before
        the KeyboardInterrupt goes on: the workers still in a job may resume while the pool closes,
        against closed envs, and ``work`` must not take what they then return for a result.
        """
        queue = collections.deque(jobs)

        def loop(worker: W) -> None:
            while queue and not self.interrupted:
                work(worker, queue.popleft())

        try:
            together(self.browser, [functools.partial(loop, w) for w in self.workers])
        except KeyboardInterrupt:
            self.interrupted = True
            raise

    def together(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """:func:`together` on the pool's browser (calls on its workers' envs)."""
        return together(self.browser, calls)

    def close(self) -> None:
        try:
            for worker in self.workers:
                worker.close()
            self.browser.close()
        finally:
            self.servers.close()

    def __enter__(self) -> EnvPool[W]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
