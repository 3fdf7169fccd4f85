"""The shop's pages through Flask's test client: names, determinism, state, checkout, escaping."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from bs4 import BeautifulSoup
import pytest

from webmimic.core.names import is_valid_name
from webmimic.sites.shop.app import SESSION_COOKIE, create_app
from webmimic.sites.shop.catalog import Catalog

INTERACTIVE = ("a", "button", "input", "select", "textarea")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.open(0)


@pytest.fixture()
def app(catalog: Catalog):
    return create_app(catalog)


@pytest.fixture()
def client(app):
    return app.test_client()


def soup(resp) -> BeautifulSoup:
    assert resp.status_code == 200, resp.status_code
    return BeautifulSoup(resp.data, "lxml")


def names(page: BeautifulSoup) -> list[str]:
    return [el.get("name") for el in page.find_all(INTERACTIVE)]


def page_type(page: BeautifulSoup) -> str:
    return page.body["data-page"]


def assert_names_ok(page: BeautifulSoup) -> list[str]:
    found = names(page)
    for el, name in zip(page.find_all(INTERACTIVE), found, strict=False):
        if el.name == "a" and not el.get("href"):
            continue
        assert name, f"unnamed <{el.name}>: {el}"
        assert is_valid_name(name), name
    assert len(found) == len(set(found)), sorted(n for n in found if found.count(n) > 1)
    return found


def product_with(catalog: Catalog, option: str):
    return next(p for p in catalog.products() if option in p.options and len(p.options[option]) > 1)


def visit_everything(client, catalog: Catalog) -> dict[str, bytes]:
    """One fixed journey through every page type; returns each page's HTML."""
    p = product_with(catalog, "size")
    out: dict[str, bytes] = {}
    out["home"] = client.get("/").data
    out["search"] = client.get("/search?search_input=wireless+headphones&rating=4&sort_by=price_low_to_high").data
    out["typo"] = client.get("/search?search_input=hedphones").data
    out["category"] = client.get("/category/running_shoes?page=2&free_delivery=1").data
    second = p.options["size"][1]
    out["product"] = client.get(f"/product/{p.slug}?size={second}").data
    out["reviews"] = client.get(f"/product/{p.slug}/reviews?stars=5").data
    r = client.post(f"/cart/add/{p.slug}?size={second}&next=/product/{p.slug}", data={"quantity": "2"})
    out["side_bar"] = client.get(r.headers["Location"]).data
    client.post(f"/cart/add/{p.slug}", data={"quantity": "1"})  # same product, other size
    other = catalog.products()[7]
    client.post(f"/cart/add/{other.slug}", data={"quantity": "1"})
    client.post(f"/cart/{other.slug}/save")
    out["cart"] = client.get("/cart").data
    client.post("/checkout/start")
    client.post("/checkout", data={"checkout.full_name": "Ada Lovelace"})
    out["checkout"] = client.get("/checkout").data
    client.post(
        "/checkout",
        data={
            "checkout.full_name": "Ada Lovelace",
            "checkout.street": "1 Main St",
            "checkout.city": "Springfield",
            "checkout.zip": "12345",
            "place_order": "",
        },
    )
    out["order"] = client.get("/order/1001").data
    out["orders"] = client.get("/orders").data
    return out


def test_every_page_renders_with_unique_paper_names(client, catalog: Catalog) -> None:
    pages = visit_everything(client, catalog)
    expected = {
        "home": "home",
        "search": "search",
        "typo": "search",
        "category": "category",
        "product": "product",
        "reviews": "reviews",
        "side_bar": "product",
        "cart": "cart",
        "checkout": "checkout",
        "order": "order",
        "orders": "orders",
    }
    for key, html in pages.items():
        page = BeautifulSoup(html, "lxml")
        assert page_type(page) == expected[key], key
        found = assert_names_ok(page)
        for common in (
            "nav_bar.home",
            "nav_bar.cart",
            "nav_bar.orders",
            "search_input",
            "search_button",
            "nav_bar.categories.headphones",
        ):
            assert common in found, (key, common)
        assert len(html) < 250_000, (key, len(html))  # realistic markup: icons, JSON-LD, mega-menus, critical CSS


def test_same_state_gives_identical_html(app, catalog: Catalog) -> None:
    one = visit_everything(app.test_client(), catalog)
    two = visit_everything(app.test_client(), catalog)
    assert one == two
    three = visit_everything(create_app(catalog).test_client(), catalog)
    assert one == three


def test_session_cookie_is_not_in_html(client) -> None:
    resp = client.get("/")
    sid = client.get_cookie(SESSION_COOKIE).value
    assert sid and sid.encode() not in resp.data
    assert client.get("/").data == resp.data


def test_search_page_controls(client, catalog: Catalog) -> None:
    page = soup(client.get("/search?search_input=headphones"))
    found = names(page)
    results = [n for n in found if n.startswith("search_results.") and n.endswith(".view_product")]
    assert len(results) == 16
    assert {
        "refinements.customer_reviews.4_stars__up",
        "refinements.customer_reviews.3_stars__up",
        "refinements.free_delivery",
        "refinements.price.under_25",
        "refinements.price.200_and_above",
        "sort_by",
        "pagination.2",
        "pagination.next",
    } <= set(found)
    assert any(n.startswith("refinements.brand.") for n in found)
    assert any(n.startswith("search_results.") and n.endswith(".add_to_cart") for n in found)
    assert any(n.startswith("related_searches.") for n in found)
    assert [o["value"] for o in page.find("select", attrs={"name": "sort_by"}).find_all("option")] == [
        "relevance",
        "price_low_to_high",
        "price_high_to_low",
        "avg_customer_review",
    ]
    # follow a filter link, then page 2 has previous/next and a clear link
    href = page.find("a", attrs={"name": "refinements.customer_reviews.4_stars__up"})["href"]
    filtered = soup(client.get(href))
    assert "refinements.clear_all" in names(filtered)
    nxt = filtered.find("a", attrs={"name": "pagination.next"})
    if nxt is not None:
        assert "pagination.previous" in names(soup(client.get(nxt["href"])))


def test_typo_and_no_results(client) -> None:
    page = soup(client.get("/search?search_input=hedphones"))
    link = page.find("a", attrs={"name": "did_you_mean"})
    assert link is not None and link.text == "headphones"
    assert "No results for" in page.text
    assert soup(client.get(link["href"])).find("a", attrs={"name": "search_results." + "x"}) is None
    empty = soup(client.get("/search?search_input=qqqqzzzz"))
    assert "No results for" in empty.text and empty.find("a", attrs={"name": "did_you_mean"}) is None
    assert any(n.startswith("suggestions.") for n in names(empty))


def test_xss_is_escaped(client) -> None:
    evil = "<script>alert(1)</script>"
    resp = client.get("/search?" + urlencode({"search_input": evil}))
    assert b"<script>alert(1)</script>" not in resp.data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in resp.data
    assert soup(resp).find("input", attrs={"name": "search_input"})["value"] == evil


def test_suggest_api(client) -> None:
    data = json.loads(client.get("/api/suggest?q=wirel").data)
    assert data["suggestions"]
    for s in data["suggestions"]:
        assert s["name"].startswith("search_suggestions.") and is_valid_name(s["name"])
        assert s["url"].startswith("/search?search_input=")
    assert json.loads(client.get("/api/suggest?q=").data)["suggestions"] == []


def test_product_page_controls(client, catalog: Catalog) -> None:
    p = product_with(catalog, "color")
    page = soup(client.get(f"/product/{p.slug}"))
    found = names(page)
    assert {
        "add_to_cart",
        "buy_now",
        "quantity",
        "reviews.see_all",
        "reviews.filter.5_star",
        "reviews.filter.1_star",
        f"breadcrumbs.{p.category}",
    } <= set(found)
    assert [o.text for o in page.find("select", attrs={"name": "quantity"}).find_all("option")] == [
        str(i) for i in range(1, 11)
    ]
    second = p.options["color"][1]
    from webmimic.core.names import slugify

    swatch = page.find("a", attrs={"name": f"product_options.color.{slugify(second)}"})
    chosen = soup(client.get(swatch["href"]))
    assert (
        f"Color: {second}" in chosen.text.replace("\n", " ").replace("  ", " ")
        or second in chosen.find(class_="label").text
    )
    see_all = soup(client.get(page.find("a", attrs={"name": "reviews.see_all"})["href"]))
    assert page_type(see_all) == "reviews" and "reviews.filter.all_stars" in names(see_all)


def test_cart_actions_and_isolation(app, catalog: Catalog) -> None:
    a, b = app.test_client(), app.test_client()
    p, q = catalog.products()[0], catalog.products()[300]
    r = a.post(f"/cart/add/{p.slug}?next=/search%3Fsearch_input%3Dx", data={"quantity": "3"})
    assert r.status_code == 303 and r.headers["Location"].startswith("/search?search_input=x&added=")
    side = soup(a.get(r.headers["Location"]))
    assert {"cart_side_bar.view_cart", "cart_side_bar.proceed_to_checkout", "cart_side_bar.close"} <= set(names(side))
    assert "Cart 3" in soup(a.get("/")).find("a", attrs={"name": "nav_bar.cart"}).text.replace("\n", " ")
    assert f"cart.{p.slug}.quantity".encode() not in b.get("/cart").data  # the other browser's cart is empty
    a.post(f"/cart/add/{q.slug}", data={"quantity": "1"})
    a.post(f"/cart/{p.slug}/quantity", data={f"cart.{p.slug}.quantity": "5"})
    cart = soup(a.get("/cart"))
    sel = cart.find("select", attrs={"name": f"cart.{p.slug}.quantity"})
    assert sel.find("option", selected=True)["value"] == "5"
    assert {f"cart.{p.slug}.delete", f"cart.{p.slug}.save_for_later", "proceed_to_checkout"} <= set(names(cart))
    a.post(f"/cart/{q.slug}/save")
    cart = soup(a.get("/cart"))
    assert f"saved.{q.slug}.move_to_cart" in names(cart) and f"cart.{q.slug}.delete" not in names(cart)
    a.post(f"/saved/{q.slug}/move")
    a.post(f"/cart/{p.slug}/delete")
    cart_names = names(soup(a.get("/cart")))
    assert f"cart.{q.slug}.delete" in cart_names and f"cart.{p.slug}.delete" not in cart_names
    assert a.post("/cart/no_such_line/delete").status_code == 404
    assert a.post("/cart/add/x?next=//evil.example/").status_code == 404
    r = a.post(f"/cart/add/{p.slug}?next=//evil.example/")
    assert r.headers["Location"].startswith("/?added=")


def test_checkout_saves_draft_and_validates(client, catalog: Catalog) -> None:
    p = product_with(catalog, "size")
    size = p.options["size"][-1]
    r = client.post(f"/buy/{p.slug}?size={size}", data={"quantity": "2"})
    assert r.status_code == 303 and r.headers["Location"] == "/checkout"
    page = soup(client.get("/checkout"))
    assert {
        "checkout.full_name",
        "checkout.street",
        "checkout.city",
        "checkout.zip",
        "checkout.save_address",
        "place_order",
    } <= set(names(page))
    # implicit submission (Enter in one field) goes through the first submit button, not place_order
    buttons = [b["name"] for b in page.find("form", class_="address").find_all("button")]
    assert buttons[0] == "checkout.save_address" and "place_order" in buttons
    client.post("/checkout", data={"checkout.full_name": "Ada Lovelace", "checkout.save_address": ""})
    page = soup(client.get("/checkout"))
    assert page.find("input", attrs={"name": "checkout.full_name"})["value"] == "Ada Lovelace"
    client.post(
        "/checkout",
        data={
            "checkout.full_name": "Ada Lovelace",
            "checkout.street": "1 Main St",
            "checkout.city": "",
            "checkout.zip": "",
        },
    )
    r = client.post(
        "/checkout",
        data={
            "checkout.full_name": "Ada Lovelace",
            "checkout.street": "1 Main St",
            "checkout.city": "",
            "checkout.zip": "",
            "place_order": "",
        },
    )
    assert r.headers["Location"] == "/checkout?missing=1"
    page = soup(client.get(r.headers["Location"]))
    alert = page.find(class_="alert").text
    assert "City" in alert and "ZIP code" in alert and "Full name" not in alert
    assert page.find("input", attrs={"name": "checkout.street"})["value"] == "1 Main St"
    r = client.post(
        "/checkout",
        data={
            "checkout.full_name": "Ada Lovelace",
            "checkout.street": "1 Main St",
            "checkout.city": "Springfield",
            "checkout.zip": "12345",
            "place_order": "",
        },
    )
    assert r.headers["Location"] == "/order/1001"
    order = soup(client.get("/order/1001"))
    assert page_type(order) == "order" and "#1001" in order.text and size in order.text
    assert f"{p.price * 2:,.2f}" in order.text
    assert (
        soup(client.get("/cart")).find("p", string="Your cart is empty.") is not None
    )  # buy now leaves the cart alone
    # a second order gets the next number; the checkout is empty again until started
    assert "place_order" not in names(soup(client.get("/checkout")))
    client.post(f"/cart/add/{p.slug}")
    client.post("/checkout/start")
    r = client.post("/checkout", data={"place_order": ""})  # address kept from the draft
    assert r.headers["Location"] == "/order/1002"
    orders = names(soup(client.get("/orders")))
    assert orders.index("orders.1002.view_order") < orders.index("orders.1001.view_order")
    assert client.get("/order/1003").status_code == 404


def test_orders_are_per_session(app, catalog: Catalog) -> None:
    a, b = app.test_client(), app.test_client()
    p = catalog.products()[1]
    for c in (a, b):
        c.post(f"/buy/{p.slug}")
        c.post(
            "/checkout",
            data={
                "checkout.full_name": "A",
                "checkout.street": "B",
                "checkout.city": "C",
                "checkout.zip": "1",
                "place_order": "",
            },
        )
    assert a.get("/order/1001").status_code == 200 and b.get("/order/1001").status_code == 200
    assert a.get("/order/1002").status_code == 404


def test_unknown_pages_404(client) -> None:
    for url in ("/product/nope", "/category/nope", "/product/nope/reviews", "/nope"):
        resp = client.get(url)
        assert resp.status_code == 404
        assert_names_ok(BeautifulSoup(resp.data, "lxml"))


def test_static_files_and_images_are_cached_and_pages_never(client) -> None:
    """A page load must not revalidate shop.css and shop.js (two requests a step); pages depend on the cart."""
    for path in ("/static/shop.css", "/static/shop.js", "/img/logo.svg?w=160"):
        resp = client.get(path)
        assert resp.status_code == 200 and "max-age=86400" in resp.headers["Cache-Control"], path
    for path in ("/", "/cart", "/search?search_input=lamp"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
