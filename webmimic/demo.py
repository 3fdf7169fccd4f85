"""The main job behind ``make demo``: the shop in a headless Chromium, a search, a product.

It prints each page's simplified observation as the agent would see it, and the shop's URL
so a person can browse the same site by hand.
"""

from __future__ import annotations

from webmimic.simulator import Action, Browser, BrowserConfig, Observation
from webmimic.sites import get_site

__all__ = ["run_demo"]


def _show(step: str, obs: Observation) -> None:
    print(f"\n=== {step}: {obs.url}  ({len(obs.names)} named elements, {len(obs.html)} chars)")
    print(obs.html)


def run_demo(*, query: str = "wireless headphones", headed: bool = False, slow_mo_ms: float = 0.0) -> int:
    site = get_site("shop")
    config = BrowserConfig(headless=not headed, slow_mo_ms=slow_mo_ms)
    with site.serve() as server, Browser(config) as browser, browser.new_tab() as tab:
        print(f"The shop is serving at {server.url} while this demo runs.")
        _show("home", tab.goto(server.url + site.start_path))
        results = tab.act(Action.type_and_submit("search_input", query))
        _show(f"search {query!r}", results)
        product = next((n for n in results.names if n.endswith(".view_product")), None)
        if product is None:
            print(f"No product found for {query!r}; try another --query.")
            return 1
        _show(f"click {product}", tab.act(Action.click(product)))
        print(f"\nBrowse the same shop by hand: webmimic serve --site shop  (then open the printed URL)")
    return 0
