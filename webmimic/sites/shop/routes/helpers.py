"""Request helpers more than one blueprint needs: argument parsing, URL building and view models.

They read the current request, session (``g.sid``) and app resources, so views stay short and
every area parses a query string or renders a cart line the same way.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, g, request

from webmimic.sites.shop.catalog import Product
from webmimic.sites.shop.resources import catalog, store
from webmimic.sites.shop.state import CartLine, line_keys

__all__ = [
    "QUANTITIES",
    "int_arg",
    "safe_next",
    "with_args",
    "here_args",
    "product_options",
    "product_or_404",
    "side_bar",
    "lines_view",
]

QUANTITIES = tuple(range(1, 11))


def int_arg(value: Any, default: int, lo: int, hi: int) -> int:
    """``value`` as an int clamped to [lo, hi]; junk from a hand-edited URL gives ``default``, not a 500."""
    try:
        return min(hi, max(lo, int(value)))
    except (TypeError, ValueError):
        return default


def safe_next(target: str | None) -> str:
    """Only same-site paths may be redirect targets."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def with_args(path: str, args: dict[str, str], **changes: Any) -> str:
    """``path`` with ``args`` updated in place by ``changes`` (None removes a key)."""
    merged = dict(args)
    for key, value in changes.items():
        if value is None or value is False:
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return f"{path}?{urlencode(merged)}" if merged else path


def here_args() -> dict[str, str]:
    """The request's query minus ``added``, so links from a page never reopen its side bar."""
    return {k: v for k, v in request.args.items() if k != "added"}


def product_options(product: Product, args: Any) -> tuple[tuple[str, str], ...]:
    """The product's options as chosen in the query string, defaults for the rest."""
    return tuple(
        (name, args.get(name) if args.get(name) in values else values[0]) for name, values in product.options.items()
    )


def product_or_404(slug: str) -> Product:
    """The product with ``slug``; unknown slugs end the request with the shop's 404 page."""
    product = catalog().find(slug)
    if product is None:
        abort(404)
    return product


def side_bar() -> dict[str, Any] | None:
    """The "added to cart" panel, shown when a redirect after add-to-cart asks for it."""
    cat = catalog()
    slug = request.args.get("added")
    product = cat.find(slug) if slug else None
    if product is None:
        return None
    lines = store().cart(g.sid)
    subtotal = sum(cat.get(ln.slug).price * ln.quantity for ln in lines if cat.find(ln.slug))
    return {"product": product, "subtotal": round(subtotal, 2), "count": sum(ln.quantity for ln in lines)}


def lines_view(lines: tuple[CartLine, ...]) -> list[dict[str, Any]]:
    """Cart or checkout lines joined with their products (lines whose product vanished are dropped)."""
    cat = catalog()
    out = []
    for ln, key in zip(lines, line_keys(lines), strict=True):
        p = cat.find(ln.slug)
        if p is not None:
            out.append({"key": key, "line": ln, "p": p, "total": round(p.price * ln.quantity, 2)})
    return out
