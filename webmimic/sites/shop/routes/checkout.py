"""Checkout and orders: buy now, start checkout from the cart, the address form, placing an order.

A checkout holds either the whole cart or one "buy now" line; placing the order clears the
cart only in the first case.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request
from werkzeug.wrappers import Response

from webmimic.sites.shop.resources import store
from webmimic.sites.shop.routes.helpers import int_arg, lines_view, product_options, product_or_404
from webmimic.sites.shop.state import ADDRESS_FIELDS, Address, CartLine, OrderItem

__all__ = ["bp"]

bp = Blueprint("checkout", __name__)


@bp.post("/buy/<slug>")
def buy_now(slug: str) -> Response:
    """Check out just this product (with the query's options), leaving the cart as it is."""
    p = product_or_404(slug)
    line = CartLine(p.slug, product_options(p, request.args), int_arg(request.form.get("quantity"), 1, 1, 10))
    store().start_checkout(g.sid, buy_now=line)
    return redirect("/checkout", code=303)


@bp.post("/checkout/start")
def checkout_start() -> Response:
    """Check out the whole cart."""
    store().start_checkout(g.sid)
    return redirect("/checkout", code=303)


@bp.get("/checkout")
def checkout() -> str:
    """The items being bought and the address form; ``missing=1`` flags the empty required fields."""
    shop_state = store()
    source, lines = shop_state.checkout_lines(g.sid)
    items = lines_view(lines)
    address = shop_state.address(g.sid)
    missing = address.missing() if request.args.get("missing") == "1" and items else ()
    return render_template(
        "checkout.html",
        page="checkout",
        source=source,
        items=items,
        address=address,
        fields=ADDRESS_FIELDS,
        missing=missing,
        total=round(sum(v["total"] for v in items), 2),
    )


@bp.post("/checkout")
def checkout_submit() -> Response:
    """Save the address typed so far and, when ``place_order`` was pressed, place the order."""
    shop_state = store()
    # Enter in any one field lands here too: keep whatever was typed so far.
    old = shop_state.address(g.sid)
    values = {key: request.form.get(f"checkout.{key}", getattr(old, key)).strip()[:200] for key, _ in ADDRESS_FIELDS}
    address = Address(**values)
    shop_state.save_address(g.sid, address)
    if "place_order" not in request.form:
        return redirect("/checkout", code=303)
    source, lines = shop_state.checkout_lines(g.sid)
    items = lines_view(lines)
    if not items or address.missing():
        return redirect("/checkout?missing=1", code=303)
    order = shop_state.place_order(
        g.sid,
        [OrderItem(v["p"].slug, v["p"].title, v["line"].options, v["line"].quantity, v["p"].price) for v in items],
        address,
        clear_cart=source == "cart",
    )
    return redirect(f"/order/{order.number}", code=303)


@bp.get("/order/<int:number>")
def order(number: int) -> str:
    """One placed order's confirmation page."""
    found = store().order(g.sid, number)
    if found is None:
        abort(404)
    return render_template("order.html", page="order", order=found)


@bp.get("/orders")
def orders() -> str:
    """This browser's order history."""
    return render_template("orders.html", page="orders", orders=store().orders(g.sid))
