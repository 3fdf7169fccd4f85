"""JSON endpoints: search suggestions for the search box and this browser's state for the envs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, g, jsonify, request
from werkzeug.wrappers import Response

from webmimic.core.names import slugify
from webmimic.sites.shop.resources import catalog, store
from webmimic.sites.shop.state import CartLine

__all__ = ["bp"]

bp = Blueprint("api", __name__)


@bp.get("/api/suggest")
def suggest() -> Response:
    """Search-box completions for ``q``, each with its element name and results URL."""
    q = request.args.get("q", "")
    return jsonify(
        {
            "query": q,
            "suggestions": [
                {
                    "term": t,
                    "name": f"search_suggestions.{slugify(t)}",
                    "url": "/search?" + urlencode({"search_input": t}),
                }
                for t in catalog().index.suggest(q)
            ],
        }
    )


def _line(ln: CartLine) -> dict[str, Any]:
    return {"slug": ln.slug, "options": dict(ln.options), "quantity": ln.quantity}


@bp.get("/api/state")
def state() -> Response:
    """This browser's cart, checkout and orders as JSON: how envs read back what was bought."""
    shop_state = store()
    _, checkout_lines = shop_state.checkout_lines(g.sid)
    return jsonify(
        {
            "cart": [_line(ln) for ln in shop_state.cart(g.sid)],
            "checkout": [_line(ln) for ln in checkout_lines],
            "orders": [
                {
                    "number": o.number,
                    "items": [
                        {"slug": i.slug, "options": dict(i.options), "quantity": i.quantity, "price": i.price}
                        for i in o.items
                    ],
                }
                for o in shop_state.orders(g.sid)
            ],
        }
    )
