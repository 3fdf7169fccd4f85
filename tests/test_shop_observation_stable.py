"""What agents see on the shop must not drift: a digest of every page's simplified HTML.

The shop's raw markup may change freely (styling, icons, JSON-LD, hidden menus, analytics
attributes), but the *observation* -- the simplified HTML, the page title and the element names
-- is what the bundled sessions were recorded against, so a fixed journey through every page
type is observed live and compared with ``tests/data/shop_observations.json`` (sha256 per page).

When a change to what agents see is deliberate, regenerate the fixture and review the diff:

    .venv/bin/python tests/test_shop_observation_stable.py --update

(``--dump PATH`` also writes the full observations as JSON, handy to diff before/after.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from webmimic.core.actions import parse_action

FIXTURE = Path(__file__).parent / "data" / "shop_observations.json"


def _product_with(catalog: Any, option: str) -> Any:
    return next(p for p in catalog.products() if option in p.options and len(p.options[option]) > 1)


def capture(browser: Any, base: str) -> dict[str, dict[str, Any]]:
    """One fixed journey through every page type; page key -> {title, names, html}."""
    from webmimic.core.names import slugify
    from webmimic.sites.shop.catalog import Catalog

    catalog = Catalog.open(0)
    base = base.rstrip("/")
    out: dict[str, dict[str, Any]] = {}

    def keep(key: str, obs: Any) -> None:
        out[key] = {"title": obs.title, "names": list(obs.names), "html": obs.html}

    p = _product_with(catalog, "size")
    second = p.options["size"][1]
    other = catalog.products()[7]
    with browser.new_tab() as tab:
        keep("home", tab.goto(base + "/"))
        keep("search", tab.act(parse_action({"type": "type_and_submit", "name": "search_input", "text": "headphones"})))
        keep("search_page_2", tab.act(parse_action({"type": "click", "name": "pagination.2"})))
        keep(
            "search_filtered",
            tab.act(parse_action({"type": "click", "name": "refinements.customer_reviews.4_stars__up"})),
        )
        keep(
            "search_sorted",
            tab.goto(f"{base}/search?search_input={quote('wireless headphones')}&rating=4&sort_by=price_low_to_high"),
        )
        keep("search_brand", tab.goto(f"{base}/search?search_input=headphones&free_delivery=1&price=25_to_50"))
        keep("typo", tab.goto(f"{base}/search?search_input=hedphones"))
        keep("no_results", tab.goto(f"{base}/search?search_input=zzqxv"))
        keep(
            "no_results_filtered",
            tab.goto(f"{base}/search?search_input=headphones&rating=5&price=200_and_above&brand=zz"),
        )
        keep("category", tab.act(parse_action({"type": "click", "name": "nav_bar.categories.headphones"})))
        keep("category_page_2", tab.goto(f"{base}/category/running_shoes?page=2&free_delivery=1"))
        keep("product", tab.goto(f"{base}/product/{p.slug}"))
        keep(
            "product_option",
            tab.act(parse_action({"type": "click", "name": f"product_options.size.{slugify(second)}"})),
        )
        keep("reviews", tab.act(parse_action({"type": "click", "name": "reviews.see_all"})))
        keep("reviews_5_star", tab.act(parse_action({"type": "click", "name": "reviews.filter.5_star"})))
        keep("reviews_1_star", tab.goto(f"{base}/product/{p.slug}/reviews?stars=1"))
        keep("cart_empty", tab.goto(base + "/cart"))
        keep("checkout_empty", tab.goto(base + "/checkout"))
        keep("orders_empty", tab.goto(base + "/orders"))
        tab.goto(f"{base}/product/{p.slug}?size={quote(second)}")
        keep("side_bar", tab.act(parse_action({"type": "click", "name": "add_to_cart"})))
        keep("side_bar_closed", tab.act(parse_action({"type": "click", "name": "cart_side_bar.close"})))
        results = tab.goto(f"{base}/search?search_input={quote(other.title.split()[0])}")
        add = next((n for n in results.names if n.endswith(".add_to_cart")), None)
        if add:
            keep("side_bar_results", tab.act(parse_action({"type": "click", "name": add})))
        tab.goto(f"{base}/product/{other.slug}")
        tab.act(parse_action({"type": "click", "name": "add_to_cart"}))
        cart = tab.goto(base + "/cart")
        keep("cart", cart)
        save = next(n for n in cart.names if n.endswith(".save_for_later"))
        keep("cart_saved", tab.act(parse_action({"type": "click", "name": save})))
        keep("checkout", tab.act(parse_action({"type": "click", "name": "proceed_to_checkout"})))
        keep(
            "checkout_draft",
            tab.act(parse_action({"type": "type_and_submit", "name": "checkout.full_name", "text": "Ada Lovelace"})),
        )
        keep("checkout_missing", tab.act(parse_action({"type": "click", "name": "place_order"})))
        for key, text in (("street", "1 Main St"), ("city", "Springfield"), ("zip", "12345")):
            tab.act(parse_action({"type": "type_and_submit", "name": f"checkout.{key}", "text": text}))
        keep("order", tab.act(parse_action({"type": "click", "name": "place_order"})))
        keep("orders", tab.act(parse_action({"type": "click", "name": "order.view_orders"})))
        keep("cart_after_order", tab.goto(base + "/cart"))
        keep("not_found", tab.goto(base + "/no/such/page"))
        keep("product_missing", tab.goto(base + "/product/no-such-product"))
    with browser.new_tab() as tab:
        tab.goto(f"{base}/product/{p.slug}")
        keep("buy_now_checkout", tab.act(parse_action({"type": "click", "name": "buy_now"})))
    return out


def digests(pages: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    return {
        key: {"html": sha(v["html"]), "title_names": sha(v["title"] + "\n" + "\n".join(v["names"]))}
        for key, v in sorted(pages.items())
    }


def test_shop_observations_unchanged(wm_browser, shop_url) -> None:
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))
    got = digests(capture(wm_browser, shop_url))
    assert sorted(got) == sorted(expected), "the journey changed: regenerate deliberately (see docstring)"
    changed = [key for key in expected if got[key] != expected[key]]
    assert not changed, f"what agents see changed on: {changed} (see this module's docstring to update deliberately)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite tests/data/shop_observations.json")
    parser.add_argument("--dump", metavar="PATH", help="write the full observations as JSON")
    args = parser.parse_args()
    from webmimic.simulator import Browser, BrowserConfig
    from webmimic.sites import get_site

    with get_site("shop").serve() as server, Browser(BrowserConfig()) as browser:
        pages = capture(browser, server.url)
    if args.dump:
        Path(args.dump).write_text(json.dumps(pages, indent=1, ensure_ascii=False), encoding="utf-8")
    got = digests(pages)
    if args.update:
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(json.dumps(got, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {FIXTURE} ({len(got)} pages)")
    else:
        expected = json.loads(FIXTURE.read_text(encoding="utf-8")) if FIXTURE.exists() else {}
        changed = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
        print("unchanged" if not changed else f"changed: {changed}")


if __name__ == "__main__":
    main()
