"""Browser and Tab lifecycle: shared driver, isolation, offline tabs, no leaked Chromium."""

from __future__ import annotations

import dataclasses
import os

import pytest

from webmimic.core.actions import parse_action
from webmimic.core.errors import BrowserClosedError, WebmimicError
from webmimic.simulator import Browser, BrowserConfig, processes, shared_playwright
from webmimic.simulator.driver import driver_users


def test_shared_playwright_is_reference_counted(playwright):
    before = driver_users()
    lease = shared_playwright()
    assert lease.acquire() is playwright
    assert lease.acquire() is playwright  # one lease holds one reference
    assert driver_users() == before + 1
    with shared_playwright() as pw:
        assert pw is playwright
        assert driver_users() == before + 2
    lease.release()
    lease.release()
    assert driver_users() == before


def test_two_browsers_and_pytest_playwright_page_coexist(wm_browser, page):
    with Browser() as other:
        a = wm_browser.new_tab().set_content("<button>A</button>")
        b = other.new_tab().set_content("<button>B</button>")
    page.set_content("<p>pytest-playwright page</p>")
    assert a.names == ("a",) and b.names == ("b",)
    assert page.inner_text("p") == "pytest-playwright page"


def test_close_is_idempotent_and_leaves_no_chromium(playwright):
    browser = Browser().start()
    tab = browser.new_tab()
    tab.set_content("<button>x</button>")  # spawns a renderer
    pid = browser.pid
    assert pid is not None and processes.alive(pid)
    tree = [pid, *processes.descendants(pid)]
    assert len(tree) > 1
    browser.close()
    browser.close()
    tab.close()
    assert not [p for p in tree if processes.alive(p)]
    assert browser.closed and tab.closed


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_a_fork_not_yet_exec_d_is_not_taken_for_the_launched_process():
    # Chromium starts its helpers by fork and exec; until the exec, the child shows its parent's
    # command line, marker included. Browser.pid was now and then such a child (the network
    # service, a moment later), which has no descendants: the close test above then failed.
    import subprocess
    import sys
    import uuid

    marker = f"--webmimic-test={uuid.uuid4().hex}"
    code = (
        "import os, sys\n"
        "child = os.fork()\n"
        "if child:\n"
        "    print(child, flush=True)\n"
        "    sys.stdin.read()\n"
        "    os.waitpid(child, 0)\n"
        "else:\n"
        "    sys.stdin.read()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, marker], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        child = int(proc.stdout.readline())
        assert processes._cmdline(child) == processes._cmdline(proc.pid)  # the fork shows the marker too
        assert processes.find_marked_pids(marker) == [proc.pid]
    finally:
        proc.stdin.close()  # both read end-of-file and exit
        proc.wait()


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_close_ends_a_process_reparented_away_from_the_tree(playwright, chromium_path, tmp_path):
    # Chromium's zygotes outlive the browser process and are reparented to init: they leave
    # the process tree that close() used to wait for, not the session Playwright started
    # Chromium in. Here the launcher leaves such an orphan behind before it starts Chromium.
    import signal

    orphan_pid = tmp_path / "orphan.pid"
    launcher = tmp_path / "chromium"
    orphan_of = 'sleep 300 </dev/null >/dev/null 2>&1 & echo $! > "$0"'  # off Playwright's stdio pipes
    launcher.write_text(f"#!/bin/sh\nsh -c '{orphan_of}' '{orphan_pid}'\n'{chromium_path}' \"$@\"\n")
    launcher.chmod(0o755)
    browser = Browser(BrowserConfig(executable_path=str(launcher))).start()
    orphan = int(orphan_pid.read_text())
    try:
        assert processes.alive(orphan)
        assert orphan not in processes.descendants(browser._root_pid)
        browser.new_tab().set_content("<p>x</p>")
        browser.close()
        assert not processes.alive(orphan)
    finally:
        browser.close()
        if processes.alive(orphan):
            os.kill(orphan, signal.SIGKILL)


def test_exception_inside_with_still_closes(playwright):
    with pytest.raises(RuntimeError), Browser() as browser:
        pid = browser.pid
        browser.new_tab().set_content("<p>x</p>")
        raise RuntimeError("boom")
    assert pid is not None and not processes.alive(pid)


def test_closed_browser_and_tab_raise(playwright):
    browser = Browser().start()
    tab = browser.new_tab()
    browser.close()
    with pytest.raises(BrowserClosedError):
        browser.new_tab()
    with pytest.raises(BrowserClosedError):
        browser.start()
    with pytest.raises(BrowserClosedError):
        tab.observe()
    with pytest.raises(BrowserClosedError):
        tab.act(parse_action({"type": "click", "name": "x"}))


def test_closed_tab_raises_but_browser_lives(wm_browser):
    tab = wm_browser.new_tab()
    tab.close()
    tab.close()
    with pytest.raises(BrowserClosedError):
        tab.goto("about:blank")
    assert not wm_browser.closed


def test_tabs_are_isolated_contexts(wm_browser, pages_url):
    with wm_browser.new_tab() as a, wm_browser.new_tab() as b:
        a.goto(f"{pages_url}/page2.html")
        a.page.evaluate("document.cookie = 'cart=3'")
        b.goto(f"{pages_url}/page2.html")
        assert b.page.evaluate("document.cookie") == ""
        assert a.page.evaluate("document.cookie") == "cart=3"


def test_offline_tab_blocks_network(wm_browser, pages_url):
    with wm_browser.new_tab(offline=True) as tab:
        obs = tab.set_content(
            f'<img alt="remote" src="{pages_url}/nothing.png"><a href="{pages_url}/page2.html">Next</a>'
        )
        assert obs.names == ("next",)
        assert tab.page.evaluate("document.images[0].naturalWidth") == 0
        with pytest.raises(WebmimicError, match="Could not load"):
            tab.goto(f"{pages_url}/page2.html")


def test_recorded_pages_in_a_row_on_an_offline_tab_load_nothing(wm_browser, pages_url):
    # Each recorded page's sub-resources are routes in flight while the page itself is served.
    # set_content(url=...) used to serve the page through a second, page-level route with
    # times=1; its removal made Playwright's driver continue those routes to the network
    # (here: the reachable pages server) while the context's abort of the same routes failed
    # with "Route is already handled!", raised by a later, unrelated Playwright call.
    parts = "".join(
        f'<img alt="i{i}" src="{pages_url}/missing{i}.png"><link rel="stylesheet" href="{pages_url}/page2.html?{i}">'
        for i in range(10)
    )
    outcomes: list[tuple[str, str | None]] = []
    with wm_browser.new_tab(offline=True) as tab:
        tab.page.on("requestfinished", lambda r: outcomes.append((r.url, "finished")))
        tab.page.on("requestfailed", lambda r: outcomes.append((r.url, r.failure)))
        for i in range(20):
            obs = tab.set_content(f"<title>R{i}</title>{parts}<button>Buy {i}</button>", url=f"https://shop.test/p/{i}")
            assert (obs.url, obs.title, obs.names) == (f"https://shop.test/p/{i}", f"R{i}", (f"buy_{i}",))
        tab.observe()  # a route handler's error would be raised by this next call
    sub = [failure for url, failure in outcomes if url.startswith(pages_url)]
    assert sub and set(sub) == {"net::ERR_INTERNET_DISCONNECTED"}


def test_set_content_at_url_on_an_online_tab_leaves_the_rest_to_the_network(wm_tab, pages_url):
    obs = wm_tab.set_content("<title>Rec</title><button>Buy now</button>", url=f"{pages_url}/recorded.html")
    assert (obs.url, obs.title) == (f"{pages_url}/recorded.html", "Rec")
    assert wm_tab.page.evaluate("fetch('page2.html').then(r => r.status)") == 200
    assert wm_tab.goto(f"{pages_url}/page2.html").title == "Page two"
    assert wm_tab.goto(f"{pages_url}/recorded.html").title == "Error response"  # served once only


def test_set_content_at_url_and_screenshot(wm_tab):
    obs = wm_tab.set_content("<title>Rec</title><button>Buy now</button>", url="https://www.example.com/dp/123")
    assert obs.url == "https://www.example.com/dp/123" and obs.title == "Rec" and obs.names == ("buy_now",)
    png = wm_tab.screenshot()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert wm_tab.screenshot(full_page=True)[:4] == b"\x89PNG"


def test_config_is_frozen_with_defaults():
    config = BrowserConfig()
    assert (config.headless, config.slow_mo_ms, config.timeout_ms, config.viewport, config.executable_path) == (
        True,
        0,
        5000,
        (1280, 800),
        None,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.headless = False  # type: ignore[misc]


def test_browser_from_another_thread_is_refused(wm_browser):
    import threading

    from webmimic.core.errors import WebmimicError

    errors: list[BaseException] = []

    def use() -> None:
        try:
            wm_browser.new_tab()
        except WebmimicError as err:
            errors.append(err)

    t = threading.Thread(target=use)
    t.start()
    t.join()
    assert errors and "thread" in str(errors[0])


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_pid_is_a_chromium(wm_browser):
    with open(f"/proc/{wm_browser.pid}/cmdline", "rb") as f:
        assert b"chrom" in f.read().split(b"\0")[0]


def test_headed_without_a_display_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    browser = Browser(BrowserConfig(headless=False))
    with pytest.raises(WebmimicError, match="xvfb-run -a"):
        browser.start()
    browser.close()


def test_a_headless_browser_loads_no_images_and_observes_the_same_pages(wm_browser, shop_server):
    """Images load where someone sees them (headed, or ``images=True`` for screenshots); the
    shop sizes their boxes in CSS, so the text observation is the same without them."""
    assert wm_browser.config.images is None and not wm_browser.config.loads_images
    bare_types: list[str] = []
    full_types: list[str] = []
    with Browser(BrowserConfig(images=True)) as pictured:
        bare, full = wm_browser.new_tab(), pictured.new_tab()
        bare.page.on("request", lambda request: bare_types.append(request.resource_type))
        full.page.on("request", lambda request: full_types.append(request.resource_type))
        try:
            bare.goto(shop_server.url + "/")
            paths = ["/", "/search?q=jacket", bare.page.get_attribute("a[href^='/product/']", "href")]
            for path in paths:
                assert bare.goto(shop_server.url + path) == full.goto(shop_server.url + path), path
        finally:
            bare.close()
            full.close()
    assert "image" not in bare_types
    assert full_types.count("image") >= len(paths)
