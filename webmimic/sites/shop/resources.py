"""Typed access to the objects one shop app shares between its blueprints.

``create_app`` builds a :class:`ShopResources` once and parks it in ``app.extensions``; views
reach it through :func:`resources` (or the :func:`catalog` / :func:`store` shortcuts) instead of
closures, so every blueprint module stays importable on its own and two apps never share state.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from webmimic.sites.shop import seo
from webmimic.sites.shop.catalog import Catalog, Category
from webmimic.sites.shop.state import ShopState

__all__ = ["EXTENSION", "ShopResources", "resources", "catalog", "store"]

EXTENSION = "webmimic_shop"
_HERE = Path(__file__).parent


@dataclass(frozen=True)
class ShopResources:
    """Per-app objects computed once at start-up: they never change while the app serves."""

    catalog: Catalog
    store: ShopState
    categories: tuple[Category, ...]
    menus: dict[str, dict[str, Any]]
    critical_css: str

    @classmethod
    def build(cls, catalog: Catalog, store: ShopState) -> ShopResources:
        """Derive the navigation menus and critical CSS from ``catalog`` (both are the same for every page)."""
        categories = catalog.categories()
        # Critical CSS: the utility classes the markup uses, inlined in <head> as shops do for first paint.
        critical_css = (_HERE / "static" / "utilities.css").read_text(encoding="utf-8").strip()
        return cls(catalog, store, categories, seo.mega_menus(catalog, categories), critical_css)

    @functools.cached_property
    def mega_menu_html(self) -> str:
        """The category bar's mega menus, two thirds of a page's bytes and the same on every page,
        so rendered once (on the first page, in its app context)."""
        template = current_app.jinja_env.get_template("_mega_menus.html")
        return template.render(nav_categories=self.categories, mega_menus=self.menus)

    def install(self, app: Flask) -> None:
        """Make these resources reachable from ``app``'s views (the older per-object keys stay for callers)."""
        app.extensions[EXTENSION] = self
        app.extensions["webmimic_catalog"] = self.catalog
        app.extensions["webmimic_state"] = self.store


def resources() -> ShopResources:
    """The current app's shared objects (needs an app context, as every view has)."""
    shared: ShopResources = current_app.extensions[EXTENSION]
    return shared


def catalog() -> Catalog:
    """The current app's product catalog."""
    return resources().catalog


def store() -> ShopState:
    """The current app's session store (carts, checkouts, orders)."""
    return resources().store
