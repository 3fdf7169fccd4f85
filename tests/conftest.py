"""Shared fixtures: one Playwright driver and Chromium for the whole run, one shop server.

pytest-playwright's fixtures are pointed at the system Chromium that webmimic finds, and its
``playwright`` fixture is replaced by webmimic's shared driver: Playwright's sync API allows one
driver per thread, and webmimic's own Browser objects use the same one.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def chromium_path() -> str:
    from webmimic.simulator.chromium import find_chromium

    return find_chromium(headless=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    from webmimic.simulator.chromium import LAUNCH_ARGS

    return {**browser_type_launch_args, "executable_path": chromium_path, "args": list(LAUNCH_ARGS)}


@pytest.fixture(scope="session")
def playwright():
    from webmimic.simulator.browser import shared_playwright

    with shared_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def wm_browser(playwright):
    """A webmimic Browser (headless) for the whole test session."""
    from webmimic.simulator import Browser, BrowserConfig

    with Browser(BrowserConfig(headless=True)) as browser:
        yield browser


@pytest.fixture(scope="session")
def shop_server():
    """The bundled shop, served on 127.0.0.1 for the whole test session."""
    from webmimic.sites import get_site

    with get_site("shop").serve() as server:
        yield server


@pytest.fixture(scope="session")
def shop_url(shop_server) -> str:
    return shop_server.url


@pytest.fixture(scope="session")
def pages_url():
    """tests/pages served over HTTP on 127.0.0.1 (for navigation and form tests)."""
    import functools
    import http.server
    from pathlib import Path
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(Path(__file__).parent / "pages"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def wm_tab(wm_browser):
    """A fresh tab (own context) of the session's webmimic Browser."""
    tab = wm_browser.new_tab()
    yield tab
    tab.close()
