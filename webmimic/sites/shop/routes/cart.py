"""The cart and saved-for-later list: add to cart, change quantities, save, move back, delete.

Every change is a POST that redirects (303) to a GET page, so reloading never repeats it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, g, redirect, render_template, request
from werkzeug.wrappers import Response

from webmimic.sites.shop.resources import store
from webmimic.sites.shop.routes.helpers import (
    QUANTITIES,
    int_arg,
    lines_view,
    product_options,
    product_or_404,
    safe_next,
)
from webmimic.sites.shop.state import CartLine

__all__ = ["bp"]

bp = Blueprint("cart", __name__)


def _redirect_added(target: str, slug: str) -> Response:
    """Back to ``target`` (same-site only) with ``added`` set, which opens the "added to cart" side bar."""
    target = safe_next(target)
    sep = "&" if "?" in target else "?"
    return redirect(f"{target}{sep}{urlencode({'added': slug})}", code=303)


def _cart_line(key: str, *, saved: bool = False) -> CartLine:
    """The cart (or saved-for-later) line with ``key``; stale keys end the request with a 404."""
    line = store().find(g.sid, key, saved=saved)
    if line is None:
        abort(404)
    return line


@bp.post("/cart/add/<slug>")
def add_to_cart(slug: str) -> Response:
    """Add the product, with the options in the query string, then go back where the click came from."""
    p = product_or_404(slug)
    quantity = int_arg(request.form.get("quantity"), 1, 1, 10)
    store().add_to_cart(g.sid, p.slug, product_options(p, request.args), quantity)
    return _redirect_added(request.args.get("next", f"/product/{p.slug}"), p.slug)


@bp.get("/cart")
def cart() -> str:
    """The cart and, below it, the saved-for-later list."""
    shop_state = store()
    lines = lines_view(shop_state.cart(g.sid))
    saved = lines_view(shop_state.saved(g.sid))
    subtotal = round(sum(v["total"] for v in lines), 2)
    return render_template("cart.html", page="cart", lines=lines, saved=saved, subtotal=subtotal, quantities=QUANTITIES)


@bp.post("/cart/<key>/quantity")
def cart_quantity(key: str) -> Response:
    """Set a line's quantity (0 removes it); an unreadable value keeps the old one."""
    line = _cart_line(key)
    store().set_quantity(g.sid, line, int_arg(request.form.get(f"cart.{key}.quantity"), line.quantity, 0, 10))
    return redirect("/cart", code=303)


@bp.post("/cart/<key>/delete")
def cart_delete(key: str) -> Response:
    """Remove a line from the cart."""
    store().remove(g.sid, _cart_line(key))
    return redirect("/cart", code=303)


@bp.post("/cart/<key>/save")
def cart_save(key: str) -> Response:
    """Move a cart line to the saved-for-later list."""
    store().save_for_later(g.sid, _cart_line(key))
    return redirect("/cart", code=303)


@bp.post("/saved/<key>/move")
def saved_move(key: str) -> Response:
    """Move a saved-for-later line back into the cart."""
    store().move_to_cart(g.sid, _cart_line(key, saved=True))
    return redirect("/cart", code=303)


@bp.post("/saved/<key>/delete")
def saved_delete(key: str) -> Response:
    """Drop a line from the saved-for-later list."""
    store().delete_saved(g.sid, _cart_line(key, saved=True))
    return redirect("/cart", code=303)
