"""Observation size and speed on the bundled shop (not a test).

For the home, results ("headphones"), product and cart pages: raw HTML bytes (the live
document's outerHTML, without webmimic's data-wm-name marks) vs simplified bytes, median ms
per observation, and median ms per click step (a click on a nav link or pagination plus the
new observation), next to a peer: the same clicks done with bare Playwright.

    .venv/bin/python benchmarks/bench_observation.py [--repeats 30]
"""

from __future__ import annotations

import argparse
from statistics import median
import time
from urllib.parse import quote

from webmimic.core.actions import parse_action
from webmimic.simulator import Browser, BrowserConfig, Tab
from webmimic.sites import get_site


def _time_observe(tab: Tab, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tab.observe()
        times.append(time.perf_counter() - start)
    return median(times) * 1000


def _time_clicks(tab: Tab, first: str, second: str, repeats: int) -> float:
    """Alternate clicks between two names that lead back and forth; median ms per step."""
    times = []
    for i in range(repeats):
        name = first if i % 2 == 0 else second
        start = time.perf_counter()
        tab.act(parse_action({"type": "click", "name": name}))
        times.append(time.perf_counter() - start)
    return median(times) * 1000


def _time_peer_clicks(tab: Tab, first: str, second: str, repeats: int) -> float:
    """The peer: a bare Playwright step on the same links (click with Playwright's own
    actionability waits, wait for the load event, read page.content()), no simplification."""
    page = tab.page
    times = []
    for i in range(repeats):
        name = first if i % 2 == 0 else second
        start = time.perf_counter()
        page.click(f'[name="{name}"]')
        page.wait_for_load_state("load")
        page.content()
        times.append(time.perf_counter() - start)
    return median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    n = args.repeats

    with get_site("shop").serve() as server, Browser(BrowserConfig()) as browser, browser.new_tab() as tab:
        base = server.url.rstrip("/")
        home = tab.goto(base + "/")
        results = tab.goto(f"{base}/search?search_input={quote('headphones')}")
        product_link = next(name for name in results.names if name.endswith(".view_product"))
        product = tab.act(parse_action({"type": "click", "name": product_link}))
        product_url = product.url
        add = next((name for name in product.names if name == "add_to_cart"), None)
        if add:
            tab.act(parse_action({"type": "click", "name": add}))
        tab.goto(base + "/cart")
        pagination = [name for name in results.names if name.startswith("pagination.")]

        pages = [
            ("home", base + "/", ("nav_bar.cart", "nav_bar.home")),
            (
                "results",
                f"{base}/search?search_input=headphones",
                (pagination[0], "pagination.1") if pagination else ("nav_bar.cart", "nav_bar.home"),
            ),
            ("product", product_url, ("nav_bar.cart", product_link)),
            ("cart", base + "/cart", ("nav_bar.home", "nav_bar.cart")),
        ]
        rows = []
        for label, url, (a, b) in pages:
            obs = tab.goto(url)
            raw = tab.observe(measure_raw=True).raw_bytes or 0
            simple = len(obs.html.encode())
            observe_ms = _time_observe(tab, n)
            tab.goto(url)
            if label == "product":
                # Alternate product -> cart -> product through the cart's line link if it has one.
                cart_obs = tab.goto(base + "/cart")
                back = next((x for x in cart_obs.names if product_link.rsplit(".", 2)[-2] in x), None)
                tab.goto(url)
                a, b = "nav_bar.cart", back or "nav_bar.home"
            click_ms = _time_clicks(tab, a, b, n)
            tab.goto(url)
            peer_ms = _time_peer_clicks(tab, a, b, n)
            rows.append(
                (label, raw, simple, raw / simple, len(obs.names), observe_ms, click_ms, peer_ms, f"{a} <-> {b}")
            )

    print(
        f"{'page':<8} {'raw B':>8} {'simple B':>9} {'ratio':>6} {'names':>6} {'observe ms':>11} "
        f"{'click step ms':>14} {'peer ms':>8} {'vs peer':>8}  clicks"
    )
    for label, raw, simple, ratio, names, obs_ms, click_ms, peer_ms, clicks in rows:
        print(
            f"{label:<8} {raw:>8} {simple:>9} {ratio:>5.1f}x {names:>6} {obs_ms:>11.1f} "
            f"{click_ms:>14.1f} {peer_ms:>8.1f} {click_ms / peer_ms:>7.2f}x  {clicks}"
        )
    print(f"(medians of {n} repeats; one headless Chromium, one tab; {home.url})")
    print("click step: webmimic act = find by name, click, settle, simplified observation;")
    print("peer: bare Playwright page.click + wait for load + page.content(), no simplification.")


if __name__ == "__main__":
    main()
