"""Mock sites served locally for replay: currently one realistic, deterministic shop.

``get_site("shop").serve()`` starts it on 127.0.0.1; see ``webmimic.sites.shop`` for the
catalog API (products, search) that data generators and environments use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from webmimic.core.errors import SiteError
from webmimic.core.names import slugify
from webmimic.sites.server import SiteServer
from webmimic.sites.site import Site

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["get_site", "SITE_NAMES", "Site", "SiteServer", "slugify", "SHOP_PURCHASE_NAMES"]

SITE_NAMES: tuple[str, ...] = ("shop",)
SHOP_PURCHASE_NAMES: frozenset[str] = frozenset({"buy_now", "place_order"})
# The shop's order confirmation page (``GET /order/<number>``, where placing an order redirects).
SHOP_PURCHASE_CONFIRMATION = r"^/order/\d+$"


def _shop_app() -> Flask:  # imported lazily: Flask and the catalog are only needed when serving
    from webmimic.sites.shop.app import create_app

    return create_app()


def get_site(name: str) -> Site:
    """The site called ``name``; SiteError listing the known sites otherwise."""
    if name == "shop":
        return Site(
            name="shop",
            purchase_names=SHOP_PURCHASE_NAMES,
            app_factory=_shop_app,
            start_path="/",
            purchase_confirmation=SHOP_PURCHASE_CONFIRMATION,
        )
    raise SiteError(f"Unknown site {name!r}; known sites: {', '.join(SITE_NAMES)}.")
