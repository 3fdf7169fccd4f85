"""Browser.run_concurrently: calls on several tabs of one Chromium run at once, in one thread."""

from __future__ import annotations

import asyncio
import gc
import signal

import pytest

from webmimic.core.actions import parse_action
from webmimic.core.errors import ElementNotFoundError
from webmimic.simulator import greenlets

# Resolved by window.release(value), or after 20 s by itself (so a failure fails, not hangs).
WAITS = "() => new Promise(resolve => { window.release = resolve; setTimeout(() => resolve('gave up'), 20000) })"


@pytest.fixture
def two_tabs(wm_browser):
    tabs = [wm_browser.new_tab(), wm_browser.new_tab()]
    yield tabs
    for tab in tabs:
        tab.close()


def test_a_call_waiting_on_the_browser_lets_the_others_run(wm_browser, two_tabs):
    # The first call waits for a promise that only the second call resolves: run one after the
    # other, the first would wait until its timeout; run together, both finish.
    first, second = two_tabs
    first.set_content("<p>first</p>")
    second.set_content("<button>Go</button>")

    def wait_for_release():
        return first.page.evaluate(WAITS)

    def release():
        observation = second.act(parse_action('{"type": "click", "name": "go"}'))
        first.page.evaluate("() => window.release('released')")
        return observation.names

    assert wm_browser.run_concurrently([wait_for_release, release]) == ["released", ("go",)]


def test_each_call_gets_its_own_result_or_error(wm_browser, two_tabs):
    first, second = two_tabs

    def show(tab, html):
        return lambda: tab.set_content(html).names

    def missing():
        return first.act(parse_action('{"type": "click", "name": "no_such_button"}'))

    results = wm_browser.run_concurrently([show(first, "<button>A</button>"), missing, show(second, "<a href=#>B</a>")])
    assert results[0] == ("a",) and results[2] == ("b",)
    assert isinstance(results[1], ElementNotFoundError)


def test_zero_or_one_call_runs_plainly(wm_browser, wm_tab):
    assert wm_browser.run_concurrently([]) == []
    assert wm_browser.run_concurrently([lambda: wm_tab.set_content("<button>x</button>").names]) == [("x",)]
    [error] = wm_browser.run_concurrently([lambda: 1 / 0])
    assert isinstance(error, ZeroDivisionError)


def test_within_aborts_a_call_that_never_answers_and_the_page_goes_on(wm_tab):
    page = wm_tab.page
    with pytest.raises(TimeoutError):
        greenlets.within(page, lambda impl: impl.evaluate("() => new Promise(() => {})", None), 0.2)
    assert page.evaluate("() => 1 + 1") == 2


def test_after_ctrl_c_the_calls_left_parked_end_quietly(wm_browser, two_tabs, caplog):
    # Ctrl-C in one call reaches the caller while another is still parked on the browser. When that
    # one resumes later with an error no one reads (its wait cancelled, as a closing pool does),
    # asyncio must not log it as "Exception in callback" or "exception was never retrieved".
    first, second = two_tabs
    loop = first.page._impl_obj._loop
    never_settled, broken = loop.create_future(), loop.create_future()

    def interrupted():
        raise KeyboardInterrupt

    parked = [
        lambda: greenlets.within(first.page, lambda _impl: never_settled, 20),
        lambda: greenlets.within(second.page, lambda _impl: broken, 20),
    ]
    with pytest.raises(KeyboardInterrupt):
        wm_browser.run_concurrently([*parked, interrupted])
    never_settled.cancel()  # CancelledError: not an Exception
    broken.set_exception(RuntimeError("page closed"))
    assert second.page.evaluate("() => 1 + 1") == 2  # the loop runs: both parked calls resume
    gc.collect()
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


def test_a_cancelled_wait_is_raised_to_the_caller(wm_browser, two_tabs):
    first, second = two_tabs
    loop = first.page._impl_obj._loop
    cancelled = loop.create_future()

    def cancel_it():
        cancelled.cancel()
        return second.page.evaluate("() => 'ran'")

    with pytest.raises(asyncio.CancelledError):
        wm_browser.run_concurrently([lambda: greenlets.within(first.page, lambda _impl: cancelled, 20), cancel_it])


def test_ctrl_c_in_an_event_handler_reaches_the_caller_and_the_driver_lives_on(wm_tab):
    # Event handlers run inside the task that reads the driver's messages: Ctrl-C raised there
    # would end that task, and with it the connection (the next call: "Playwright connection closed").
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # A shell without job control starts background commands so (`make test &` in a script):
        # Python then installs no handler of its own, and webmimic leaves the choice alone.
        pytest.skip("this process was started with SIGINT ignored: Ctrl-C cannot reach it")
    assert signal.getsignal(signal.SIGINT) is greenlets._on_sigint  # installed when the driver started
    page = wm_tab.page
    page.once("console", lambda _message: signal.raise_signal(signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        page.evaluate("() => new Promise(done => { console.log('now'); setTimeout(done, 300); })")
    assert greenlets.within(page, lambda impl: impl.evaluate("() => 1 + 1", None), 10) == 2
