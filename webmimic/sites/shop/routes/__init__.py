"""The shop's views, one blueprint per area of the site; every blueprint sits at the site root.

- ``site``: app-wide hooks (session cookie, cache headers, layout globals, the 404 page)
- ``browse``: ``/``, ``/search``, ``/category/<slug>``
- ``product``: ``/product/<slug>``, ``/product/<slug>/reviews``, ``/img/<slug>.svg``
- ``api``: ``/api/suggest``, ``/api/state``
- ``cart``: ``/cart``, ``/cart/add/<slug>``, ``/cart/<key>/...``, ``/saved/<key>/...``
- ``checkout``: ``/buy/<slug>``, ``/checkout/start``, ``/checkout``, ``/order/<number>``, ``/orders``

Each module is named after its blueprint, and endpoints are ``<blueprint>.<view>`` (``cart.cart_save``).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from webmimic.sites.shop.routes import api, browse, cart, checkout, product, site

__all__ = ["BLUEPRINTS", "register"]

BLUEPRINTS: tuple[Blueprint, ...] = (site.bp, browse.bp, product.bp, api.bp, cart.bp, checkout.bp)


def register(app: Flask) -> None:
    """Attach every area's blueprint to ``app`` (all at the site root: URLs carry no blueprint prefix)."""
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
