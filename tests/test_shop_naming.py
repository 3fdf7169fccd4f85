"""The paper's slug rule for element-name parts."""

from __future__ import annotations

import pytest

from webmimic.core.names import is_valid_name, join_name, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("4 Stars & Up", "4_stars__up"),
        ("3 Stars & Up", "3_stars__up"),
        ("Black", "black"),
        ("Noise-Cancelling Headphones", "noise_cancelling_headphones"),
        ("T-Shirts", "t_shirts"),
        ("$25 to $50", "25_to_50"),
        ("Under $25", "under_25"),
        ("Café Crème", "cafe_creme"),
        ("  padded  ", "padded"),
        ("Columbia Shirt", "columbia_shirt"),
        ("15.6 inch, 16GB RAM", "156_inch_16gb_ram"),
        ("already_slug", "already_slug"),
        ("", "item"),
        ("!!!", "item"),
        ("日本", "item"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_slugify_keeps_each_space() -> None:
    assert slugify("a  b") == "a__b"
    assert slugify("a\tb") == "a_b"


def test_names() -> None:
    assert (
        join_name("refinements", "customer_reviews", slugify("4 Stars & Up"))
        == "refinements.customer_reviews.4_stars__up"
    )
    assert is_valid_name("search_results.acme_x.view_product")
    assert is_valid_name("pagination.2")
    for bad in ("", "Search", "a..b", ".a", "a.", "a-b", "a b"):
        assert not is_valid_name(bad)
