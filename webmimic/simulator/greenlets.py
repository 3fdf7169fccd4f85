"""Many Playwright sync-API calls at once, on one driver, in one thread.

The sync API runs Playwright's asyncio loop in a "dispatcher" greenlet and parks the calling
greenlet while the browser works. Run each call in a greenlet of its own and the loop serves all
of them: N tabs of one Chromium load, act and settle at the same time. Threads cannot do this
(the sync API stays in the thread that started it), and a driver per thread costs about 125 MB.
Playwright runs its own event handlers this way; the two helpers used here are its own, from
``playwright._impl``, and ``within`` runs a sync-API object's async twin (``_impl_obj``) the way
the sync API does, which is why ``pyproject.toml`` pins Playwright's minor version
(``tests/test_simulator_greenlets.py`` checks the behaviour).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
import functools
import signal
import threading
from types import FrameType
from typing import Any, TypeVar

import greenlet
from playwright._impl._greenlets import run_in_greenlet, wait_for_future
from playwright.sync_api import Page

__all__ = ["run_concurrently", "within", "Wakeup", "OneAtATime", "ctrl_c_between_tasks"]

T = TypeVar("T")


def run_concurrently(owner: Any, calls: Sequence[Callable[[], T]]) -> list[T | Exception]:
    """Each call's result, or the Exception it raised, in order; the calls run at once.

    ``owner`` is any sync-API object of the driver the calls use (a Playwright Browser). A call
    that blocks on the browser lets the others run; pure Python work is not parallel. Ctrl-C in
    any call, or while all wait, reaches the caller at once; the calls it leaves parked may
    resume later (when the browser closes under them), and what they raise then is dropped.
    """
    if len(calls) < 2:
        return [_outcome(call) for call in calls]
    loop, dispatcher = owner._loop, owner._dispatcher_fiber
    abandoned = False

    def guarded(call: Callable[[], T]) -> T | _Raised | None:
        # run_in_greenlet keeps only an Exception in the future; anything else would go on into
        # asyncio's callback, which prints it as a traceback.
        try:
            return call()
        except (KeyboardInterrupt, SystemExit):
            raise  # asyncio hands these on to the caller, at once
        except BaseException as err:
            if abandoned:
                return None  # no one will read it (an error left unread is logged at exit)
            if isinstance(err, Exception):
                raise
            return _Raised(err)  # e.g. a cancelled wait: raised to the caller, as in a plain call

    futures: list[asyncio.Future[T | _Raised | None]] = []

    async def start_all() -> None:
        for call in calls:
            futures.append(run_in_greenlet(greenlet.greenlet, functools.partial(guarded, call)))
        await asyncio.wait(futures)

    task = loop.create_task(start_all())
    try:
        wait_for_future(loop, dispatcher, task)
    except BaseException:
        abandoned = True
        for future in futures:  # read the errors raised before (Ctrl-C also reaches Chromium)
            if future.done() and not future.cancelled():
                future.exception()  # or asyncio logs each, unread, at exit
        raise
    return [_settled(future) for future in futures]


def within(page: Page, call: Callable[[Any], Awaitable[T]], timeout_s: float) -> T:
    """``call(page's async-API object)``, run to completion or until TimeoutError after ``timeout_s``.

    Some sync-API calls have no timeout and wait forever for a page whose script never yields
    (``evaluate``, ``mouse.click``); the timed ones (``wait_for_function``, locator actions)
    first inject Playwright's selector engine into each new document, about 25 ms of a step.
    So the async call runs as a task bounded by ``asyncio.wait_for``: cancelling it aborts the
    call in the driver.
    """
    impl = page._impl_obj
    task = impl._loop.create_task(asyncio.wait_for(call(impl), timeout_s))
    wait_for_future(impl._loop, impl._dispatcher_fiber, task)
    result: T = task.result()
    return result


@dataclass(frozen=True)
class _Raised:
    """A call's non-Exception error (a cancelled wait), carried out of its greenlet."""

    error: BaseException


def _settled(future: asyncio.Future[Any]) -> Any:
    error = future.exception()
    if isinstance(error, Exception):
        return error
    result = future.result()  # guarded lets nothing else into its future
    if isinstance(result, _Raised):
        raise result.error
    return result


def _outcome(call: Callable[[], T]) -> T | Exception:
    try:
        return call()
    except Exception as err:  # the same contract as the concurrent path
        return err


class Wakeup:
    """Lets a sync-API caller wait, bounded, until an event handler calls ``set()``."""

    def __init__(self) -> None:
        self._future: asyncio.Future[None] | None = None

    def set(self) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(None)

    def wait(self, page: Page, timeout_s: float) -> None:
        """Return at the next ``set()``; TimeoutError after ``timeout_s`` without one."""
        future = self._future = page._impl_obj._loop.create_future()
        try:
            within(page, lambda _impl: future, timeout_s)
        finally:
            self._future = None


class OneAtATime:
    """Work that the first greenlet to ask does while the others that ask meanwhile wait for it
    (e.g. relaunching a Chromium that died under several envs' concurrent calls)."""

    def __init__(self) -> None:
        self._running: asyncio.Future[None] | None = None

    def run(self, owner: Any, work: Callable[[], None]) -> None:
        """``work()``, unless another greenlet is doing it: then wait until it has finished."""
        if self.wait(owner):
            return
        running: asyncio.Future[None] = owner._loop.create_future()
        self._running = running
        try:
            work()
        finally:
            self._running = None
            running.set_result(None)

    def wait(self, owner: Any) -> bool:
        """Wait for the work another greenlet is doing; whether there was any."""
        running = self._running
        if running is None:
            return False
        wait_for_future(owner._loop, owner._dispatcher_fiber, running)
        return True


def ctrl_c_between_tasks() -> None:
    """Make Ctrl-C that lands in the driver's event loop reach the caller between its tasks.

    Python raises KeyboardInterrupt in whatever code runs when the signal comes. Raised inside
    the task that reads the driver's messages, it ends that task, and the connection with it:
    the next sync call (closing the envs) fails ("Playwright connection closed", or the same
    KeyboardInterrupt again, with a traceback). Raised in the user's code, or from one of the
    loop's callbacks, it reaches the sync caller and the loop lives on. So SIGINT raises at once
    in the thread's own greenlet, as Python's handler does, and elsewhere from a callback.
    Installed only over Python's default handler, in the main thread.
    """
    main = threading.current_thread() is threading.main_thread()
    if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)


def _on_sigint(_signum: int, _frame: FrameType | None) -> None:
    loop = asyncio._get_running_loop()
    if loop is None or greenlet.getcurrent().parent is None:
        raise KeyboardInterrupt
    loop.call_soon_threadsafe(_interrupt)  # threadsafe: it also wakes a loop waiting in select


def _interrupt() -> None:
    raise KeyboardInterrupt
