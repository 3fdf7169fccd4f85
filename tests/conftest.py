"""Shared fixtures, on top of webmimic's own pytest plugin (webmimic/testing/plugin.py).

The plugin points pytest-playwright at the system Chromium webmimic finds, shares the one
Playwright driver per thread with webmimic's Browser objects, and provides ``shop_url``,
``webmimic_browser`` and ``webmimic_servers``; the names below are the suite's older aliases.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def chromium_path(webmimic_chromium_path):
    return webmimic_chromium_path


@pytest.fixture(scope="session")
def wm_browser(webmimic_browser):
    """A webmimic Browser (headless unless --headed) for the whole test session."""
    return webmimic_browser


@pytest.fixture(scope="session")
def shop_server(webmimic_servers):
    """The bundled shop, served on 127.0.0.1 for the whole test session (the plugin's shop_url)."""
    return webmimic_servers.site("shop")[1]


@pytest.fixture(scope="session")
def pages_url():
    """tests/pages served over HTTP on 127.0.0.1 (for navigation and form tests)."""
    import functools
    import http.server
    from pathlib import Path

    from envs_helpers import served

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    with served(functools.partial(Quiet, directory=str(Path(__file__).parent / "pages"))) as url:
        yield url


@pytest.fixture
def wm_tab(wm_browser):
    """A fresh tab (own context) of the session's webmimic Browser."""
    tab = wm_browser.new_tab()
    yield tab
    tab.close()


@pytest.fixture(scope="session")
def tiny_sft_folder(tmp_path_factory):
    """A model folder from `webmimic train` (tiny preset, 2 bundled sessions, 2 steps) and its examples.jsonl."""
    from webmimic.cli import main
    from webmimic.replay.bundled import bundled_sessions_path

    out = tmp_path_factory.mktemp("train") / "tiny"
    train = str(bundled_sessions_path("train"))
    assert main(["train", "--sessions", train, "--out", str(out), "--limit", "2", "--max-steps", "2"]) == 0
    return out
