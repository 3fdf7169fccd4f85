"""Catalog generation and search: determinism, coverage, BM25 ordering, typos, odd queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from webmimic.core.names import slugify
from webmimic.sites.shop.catalog import Catalog, build_database, cache_path, generate_products
from webmimic.sites.shop.search import PRICE_BUCKETS, normalize_query, tokenize


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.open(0)


def test_same_seed_same_products() -> None:
    assert generate_products(0) == generate_products(0)
    assert generate_products(1) != generate_products(0)
    assert [p.slug for p in generate_products(1)] != [p.slug for p in generate_products(0)]


def test_size_and_fields(catalog: Catalog) -> None:
    products = catalog.products()
    assert len(products) >= 2000
    assert len(catalog.categories()) >= 12
    assert len({p.slug for p in products}) == len(products)
    for p in products:
        assert p.slug == slugify(p.title)
        assert p.title and p.brand and p.description
        assert catalog.category(p.category) is not None
        assert round(p.price, 2) == p.price and p.price > 0
        assert 1.0 <= p.rating <= 5.0 and round(p.rating, 1) == p.rating
        assert p.review_count > 0
        assert 3 <= len(p.reviews) <= 6
        assert all(1 <= r.stars <= 5 and r.title and r.text and r.author for r in p.reviews)
        assert p.options and all(len(v) >= 1 for v in p.options.values())
        assert isinstance(p.free_delivery, bool)
    assert catalog.get(products[5].slug) == products[5]
    assert catalog.brands("headphones")
    with pytest.raises(KeyError):
        catalog.get("no_such_product")


def test_category_options_fit(catalog: Catalog) -> None:
    assert all("size" in p.options for p in catalog.products("running_shoes"))
    assert all("size" not in p.options for p in catalog.products("headphones"))
    assert all("storage" in p.options for p in catalog.products("laptops"))


def test_cache_file_is_reused_and_atomic(tmp_path: Path) -> None:
    first = Catalog.open(3, tmp_path)
    path = cache_path(3, tmp_path)
    assert path.exists() and first.path == path
    mtime = path.stat().st_mtime_ns
    second = Catalog.open(3, tmp_path)
    assert path.stat().st_mtime_ns == mtime
    assert first.products() == second.products()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp files left behind
    other = tmp_path / "x.sqlite"
    build_database(other, generate_products(3, per_category=2))
    assert other.exists()


def test_bm25_ordering(catalog: Catalog) -> None:
    page = catalog.search("wireless headphones")
    assert page.total > 0
    assert all("wireless" in p.title.lower() or "wireless" in p.description.lower() for p in page.products)
    assert page.products[0].category == "headphones"
    assert catalog.search("wireless headphones").products == page.products
    laptop = catalog.search("laptop")
    assert {p.category for p in laptop.products[:10]} == {"laptops"}


def test_filters_and_sorts(catalog: Catalog) -> None:
    q = "headphones"
    cheap = catalog.search(q, price="under_25", per_page=500)
    assert cheap.total and all(p.price < 25 for p in cheap.products)
    good = catalog.search(q, min_rating=4, per_page=500)
    assert good.total and all(p.rating >= 4 for p in good.products)
    free = catalog.search(q, free_delivery=True, per_page=500)
    assert free.total and all(p.free_delivery for p in free.products)
    brand = catalog.search(q).brand_facets[0][1]
    assert all(p.brand_slug == brand for p in catalog.search(q, brand=brand, per_page=500).products)
    asc = [p.price for p in catalog.search(q, sort="price_low_to_high", per_page=500).products]
    assert asc == sorted(asc)
    desc = [p.price for p in catalog.search(q, sort="price_high_to_low", per_page=500).products]
    assert desc == sorted(desc, reverse=True)
    rated = [p.rating for p in catalog.search(q, sort="avg_customer_review", per_page=500).products]
    assert rated == sorted(rated, reverse=True)
    assert [b.key for b in PRICE_BUCKETS] == [slugify(b.label) for b in PRICE_BUCKETS]


def test_pagination(catalog: Catalog) -> None:
    one = catalog.search("shoes", page=1)
    two = catalog.search("shoes", page=2)
    assert len(one.products) == 16 and one.pages > 2
    assert not set(one.products) & set(two.products)
    assert catalog.search("shoes", page=10_000).page == one.pages


def test_typo_gets_did_you_mean(catalog: Catalog) -> None:
    page = catalog.search("hedphones")
    assert page.total == 0
    assert page.corrected == "headphones"
    assert page.suggestions
    assert catalog.search("wireles hedphones").corrected == "wireless headphones"


def test_no_results(catalog: Catalog) -> None:
    page = catalog.search("zzzzqqqq")
    assert page.total == 0 and page.products == () and page.corrected is None
    assert page.suggestions


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unbalanced',
        "AND",
        "OR NOT",
        "*",
        "head*",
        "NEAR(a b)",
        "col:x",
        "a -b",
        "^",
        "()",
        "'; DROP TABLE products; --",
        "\x00",
        " ",
    ],
)
def test_fts_syntax_is_just_text(catalog: Catalog, query: str) -> None:
    catalog.search(query)


def test_suggest(catalog: Catalog) -> None:
    got = catalog.index.suggest("wirel")
    assert got and all("wirel" in t for t in got)
    assert catalog.index.suggest("wirel") == got
    assert catalog.index.suggest("") == ()
    assert "headphones" in catalog.index.suggest("headph")


@pytest.mark.parametrize("query", ["wireless headphones", "red running shoes", "uv400 sport sunglasses", "zzz", ""])
def test_related_searches_are_the_terms_sharing_most_words(catalog: Catalog, query: str) -> None:
    """The word index behind ``related`` gives what its definition says: the popular terms
    sharing a word with the query, most shared words first, then most popular."""
    tokens = set(tokenize(query))
    terms = catalog.index.popular(limit=10**6)
    shared = [(-len(tokens & set(t.split())), i, t) for i, t in enumerate(terms)]
    expected = tuple(t for n, _, t in sorted(shared) if n and t != normalize_query(query))[:6]
    assert catalog.index.related(query) == expected
    assert bool(expected) == bool(tokens - {"zzz"})


def test_products_of_a_category_keep_catalog_order(catalog: Catalog) -> None:
    for category in catalog.categories():
        assert catalog.products(category.slug) == tuple(p for p in catalog.products() if p.category == category.slug)
    assert catalog.products("no_such_category") == ()
