"""A person shopping with real X11 input: run under ``xvfb-run -a`` by tests/test_record_e2e.py.

``python tests/record_person_x11.py OUT`` records one session with ``webmimic record``'s own
function, headed, and plays the person with xdotool only (mouse moves, clicks, typing, Alt+Left,
Alt+Right, Ctrl+W); Playwright is used only to read where things are and to wait for conditions
(a URL, the recorder's settled snapshot, an element), never to act. Not collected by pytest.
"""

from __future__ import annotations

import subprocess
import sys

from webmimic.replay.record import record_main
from webmimic.simulator import Tab
from webmimic.simulator.capture import Capture

ADDRESS = [("full_name", "Ada Lovelace"), ("street", "1 Main St"), ("city", "London")]
FIRST_PRODUCT = '[data-wm-name^="search_results."][data-wm-name$=".view_product"]'
TIMEOUT_MS = 20_000


def xdo(*args: str) -> str:
    done = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=30)
    if done.returncode:
        raise RuntimeError(f"xdotool {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


class Person:
    def __init__(self, tab: Tab, capture: Capture) -> None:
        self.page, self.capture = tab.page, capture
        window = xdo("search", "--sync", "--onlyvisible", "--class", "chromium").split()[0]
        xdo("windowfocus", "--sync", window)
        self.dx, self.dy = self.calibrate()

    def calibrate(self) -> tuple[float, float]:
        """Screen minus page coordinates, from a real mouse move seen by the page."""
        self.page.evaluate(
            "() => addEventListener('mousemove', (e) => {"
            " window.__wmOffset = [e.screenX - e.clientX, e.screenY - e.clientY]; }, {once: true})"
        )
        x, y = self.page.evaluate("() => [screenX + outerWidth / 2, screenY + outerHeight - innerHeight / 2]")
        xdo("mousemove", "--sync", str(int(x)), str(int(y)))
        handle = self.page.wait_for_function("() => window.__wmOffset", timeout=TIMEOUT_MS)
        dx, dy = handle.json_value()
        handle.dispose()
        return dx, dy

    def click(self, selector: str) -> None:
        loc = self.page.locator(selector).first
        loc.wait_for(state="visible", timeout=TIMEOUT_MS)
        loc.scroll_into_view_if_needed(timeout=TIMEOUT_MS)  # like a person scrolling to it
        box = loc.bounding_box()
        assert box is not None, selector
        x, y = self.dx + box["x"] + box["width"] / 2, self.dy + box["y"] + box["height"] / 2
        xdo("mousemove", "--sync", str(int(x)), str(int(y)), "click", "1")

    def type(self, selector: str, text: str) -> None:
        self.click(selector)
        self.page.wait_for_function("(s) => document.activeElement === document.querySelector(s)", arg=selector)
        xdo("type", "--delay", "5", text)
        self.page.wait_for_function(
            "([s, t]) => document.querySelector(s).value === t", arg=[selector, text], timeout=TIMEOUT_MS
        )

    def key(self, keys: str) -> None:
        """Keys from the keyboard (XTEST) to the focused window. Not ``--window``: its XSendEvent
        to a window that Ctrl+W closed between key-down and key-up is an X error (BadWindow)."""
        xdo("key", keys)

    def settled(self, url_glob: str | None = None) -> None:
        if url_glob is not None:
            self.page.wait_for_url(url_glob, timeout=TIMEOUT_MS)
        self.capture.wait_until_observed(TIMEOUT_MS)


def css(name: str) -> str:
    return f'[data-wm-name="{name}"]'


def shop(tab: Tab, capture: Capture) -> None:
    """The session: suggestion click, a product, Alt+Left and Alt+Right, buy now, the address
    typed without submitting, a refused order (no zip), the zip, a confirmed order, a look at
    the orders after the purchase (not recorded), Ctrl+W."""
    me = Person(tab, capture)
    me.type('input[name="search_input"]', "head")
    me.click("#search-suggestions a")
    me.settled("**/search?*")
    me.click(FIRST_PRODUCT)
    me.settled("**/product/*")
    me.key("alt+Left")
    me.settled("**/search?*")
    me.key("alt+Right")
    me.settled("**/product/*")
    me.click(css("buy_now"))
    me.settled("**/checkout")
    for field, text in ADDRESS:
        me.type(f'input[name="checkout.{field}"]', text)
    me.click(css("place_order"))
    me.settled("**/checkout?missing=1")
    me.type('input[name="checkout.zip"]', "12345")
    me.click(css("place_order"))
    me.settled("**/order/*")
    me.click(css("nav_bar.orders"))  # the window stayed open; this is after the purchase
    me.settled("**/orders")
    me.key("ctrl+w")


def main(output: str) -> int:
    return record_main("shop", output, "A person at a real keyboard.", headless=False, on_ready=shop)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
