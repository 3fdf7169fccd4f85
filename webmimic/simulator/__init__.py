"""The live simulator: Chromium through Playwright, the paper's observation, and its actions.

``Browser`` launches one Chromium; ``Browser.new_tab()`` gives an isolated ``Tab`` whose
``observe()`` returns the simplified HTML with semantic names and whose ``act()`` carries out
paper-format actions (``webmimic.core.actions.Action``) by those names. This package is the only
one that imports Playwright: ``Tab`` offers what the layers above need (screenshots, element
boxes, JSON requests in the tab's context, tracing, the debugging overlay, the recorder's capture).
"""

from webmimic.simulator.browser import Browser, BrowserConfig, Tab
from webmimic.simulator.driver import shared_playwright
from webmimic.simulator.observation import Observation, simplify_html, simplify_source

__all__ = [
    "Browser",
    "BrowserConfig",
    "Observation",
    "Tab",
    "shared_playwright",
    "simplify_html",
    "simplify_source",
]
