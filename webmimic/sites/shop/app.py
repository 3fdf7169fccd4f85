"""The shop's Flask app: server-rendered pages whose every control carries a paper-format name.

Pages are pure functions of (URL, session state): no clocks, random numbers or counters reach
the HTML, so the same clicks always give byte-identical pages. State changes are POSTs that
redirect (303) to a GET page, and page state (options, filters, sort, side bar) lives in the
URL query. The session cookie is random but never appears in a page.

The views live in :mod:`webmimic.sites.shop.routes`, one blueprint per area; the objects they
share (catalog, session store, menus, critical CSS) in :mod:`webmimic.sites.shop.resources`.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from webmimic.core.names import slugify
from webmimic.sites.shop import routes
from webmimic.sites.shop.catalog import Catalog
from webmimic.sites.shop.resources import ShopResources
from webmimic.sites.shop.routes.site import SESSION_COOKIE
from webmimic.sites.shop.state import ShopState

__all__ = ["create_app", "SESSION_COOKIE"]


def create_app(catalog: Catalog | None = None, *, seed: int = 0, state: ShopState | None = None) -> Flask:
    """A fresh shop app with its own (empty) session store."""
    catalog = catalog or Catalog.open(seed)
    here = Path(__file__).parent
    app = Flask(__name__, template_folder=str(here / "templates"), static_folder=str(here / "static"))
    app.config["JSON_SORT_KEYS"] = False
    ShopResources.build(catalog, state or ShopState()).install(app)
    app.jinja_env.filters["slug"] = slugify
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    routes.register(app)
    return app
