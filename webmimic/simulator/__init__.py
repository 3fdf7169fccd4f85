"""The live simulator: Chromium through Playwright, the paper's observation, and its actions.

``Browser`` launches one Chromium; ``Browser.new_tab()`` gives an isolated ``Tab`` whose
``observe()`` returns the simplified HTML with semantic names and whose ``act()`` carries out
``{"type": "click" | "type_and_submit" | "terminate", ...}`` actions by those names.
"""

from webmimic.simulator.actions import Action, parse_action, parse_agent_output
from webmimic.simulator.browser import Browser, BrowserConfig, Tab
from webmimic.simulator.driver import shared_playwright
from webmimic.simulator.observation import Observation, simplify_html, simplify_source

__all__ = [
    "Action",
    "Browser",
    "BrowserConfig",
    "Observation",
    "Tab",
    "parse_action",
    "parse_agent_output",
    "shared_playwright",
    "simplify_html",
    "simplify_source",
]
