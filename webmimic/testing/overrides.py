"""The pytest-playwright fixtures webmimic replaces: the driver and the browser's launch args.

A separate plugin module, registered by ``webmimic.testing.plugin`` at ``pytest_configure``:
that runs after every entry-point plugin is loaded, and of two plugin fixtures with one name the
later registered wins, so these override pytest-playwright's whatever order the entry points
load in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def playwright(_pw_api_request_contexts: Any) -> Iterator[Any]:
    """The thread's shared Playwright driver: Playwright's sync API allows one per thread, and
    webmimic's own Browsers (``webmimic_browser``, envs) use the same one."""
    from webmimic.simulator import shared_playwright

    with shared_playwright() as pw:
        if _pw_api_request_contexts:
            _pw_api_request_contexts.instrument(pw)
        yield pw


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], browser_name: str | None, browser_channel: str | None
) -> dict[str, Any]:
    """pytest-playwright's launch args, pointed at the system Chromium webmimic finds (Playwright's
    own download is unreachable on many CIs), unless another browser, a channel or an executable
    was asked for."""
    from webmimic.simulator.chromium import LAUNCH_ARGS, find_chromium

    args = dict(browser_type_launch_args)
    if browser_name not in (None, "chromium") or browser_channel or "executable_path" in args:
        return args
    args["executable_path"] = find_chromium(headless=args.get("headless", True) is not False)
    args["args"] = [*args.get("args", []), *LAUNCH_ARGS]
    return args
