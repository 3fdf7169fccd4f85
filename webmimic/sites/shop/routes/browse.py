"""Browsing: the home page, search results and category listings (one results template for both)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from webmimic.sites.shop.catalog import Category
from webmimic.sites.shop.resources import catalog, resources
from webmimic.sites.shop.routes.helpers import int_arg, side_bar
from webmimic.sites.shop.search import PRICE_BUCKETS, RATING_FLOORS, SORTS, SearchPage

__all__ = ["bp"]

bp = Blueprint("browse", __name__)


@bp.get("/")
def home() -> str:
    """Featured products (the most reviewed of the first eight categories) and popular searches."""
    shop = resources()
    categories = shop.categories
    featured = [max(shop.catalog.products(c.slug), key=lambda p: (p.review_count, p.slug)) for c in categories[:8]]
    popular = shop.catalog.index.popular(6)
    return render_template("home.html", page="home", categories=categories, featured=featured, popular=popular)


def results(page_type: str, query: str, category: Category | None) -> str:
    """A page of search or category results, with the filters, sort and pagination in the query string."""
    args = request.args
    rating = int_arg(args.get("rating"), 0, 0, 5)
    result: SearchPage = catalog().search(
        query,
        category=category.slug if category else None,
        brand=args.get("brand") or None,
        min_rating=rating if rating in RATING_FLOORS else None,
        price=args.get("price") or None,
        free_delivery=args.get("free_delivery") == "1",
        sort=args.get("sort_by", "relevance"),
        page=int_arg(args.get("page"), 1, 1, 10_000),
    )
    filtered = any(args.get(k) for k in ("brand", "rating", "price", "free_delivery"))
    first = lo = (result.page - 1) * result.request.per_page + 1
    window = sorted({1, result.pages, *range(max(1, result.page - 2), min(result.pages, result.page + 2) + 1)})
    return render_template(
        "results.html",
        page=page_type,
        query=query,
        category=category,
        result=result,
        filtered=filtered,
        price_buckets=PRICE_BUCKETS,
        rating_floors=RATING_FLOORS,
        sorts=SORTS,
        window=window,
        first=first if result.total else 0,
        last=min(lo + result.request.per_page - 1, result.total),
        sort=args.get("sort_by", "relevance"),
        side_bar=side_bar(),
        rating=rating,
    )


@bp.get("/search")
def search() -> str:
    """Full-text search over the whole catalog."""
    return results("search", request.args.get("search_input", ""), None)


@bp.get("/category/<slug>")
def category(slug: str) -> str:
    """Every product of one category, filterable like search results."""
    cat = catalog().category(slug)
    if cat is None:
        abort(404)
    return results("category", "", cat)
