"""The bundled mock shop: a deterministic catalog, BM25 search and a server-rendered store.

Data generators and environments use the catalog directly::

    from webmimic.sites.shop import Catalog
    catalog = Catalog.open(seed=0)
    page = catalog.search("wireless headphones", price="50_to_100", min_rating=4)
    for product in page.products: ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from webmimic.sites.shop.catalog import Catalog, Category, Product, Review, generate_products
from webmimic.sites.shop.search import PRICE_BUCKETS, RATING_FLOORS, SORTS, PriceBucket, SearchPage, SearchRequest

if TYPE_CHECKING:
    from flask import Flask

    from webmimic.sites.shop.state import ShopState

__all__ = [
    "Catalog",
    "Category",
    "Product",
    "Review",
    "generate_products",
    "PRICE_BUCKETS",
    "RATING_FLOORS",
    "SORTS",
    "PriceBucket",
    "SearchPage",
    "SearchRequest",
    "create_app",
]


def create_app(catalog: Catalog | None = None, *, seed: int = 0, state: ShopState | None = None) -> Flask:
    """``webmimic.sites.shop.app.create_app``, imported lazily (Flask only when serving)."""
    from webmimic.sites.shop.app import create_app as _create

    return _create(catalog, seed=seed, state=state)
