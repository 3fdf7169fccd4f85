"""What a real shop puts in a page for machines rather than people: schema.org JSON-LD,
stable product ids for analytics, deterministic placeholder images and the header mega-menu.

Everything here is a pure function of the catalog and the request's host, so pages stay
byte-identical for the same state. None of it reaches the simplified observation: JSON-LD
lives in ``<script>``, images are decorative (``alt=""`` inside ``aria-hidden`` tiles) and the
mega-menu panels are ``hidden`` until a real pointer dwells on a category link.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
import hashlib
from typing import Any
from urllib.parse import urlencode

from webmimic.core.names import slugify
from webmimic.sites.shop.catalog import Catalog, Category, Product

__all__ = [
    "SHOP_NAME",
    "asin",
    "organization",
    "website",
    "breadcrumbs",
    "product_ld",
    "item_list",
    "mega_menus",
    "placeholder_svg",
    "IMAGE_WIDTHS",
]

SHOP_NAME = "shopmimic"
IMAGE_WIDTHS = (160, 320, 640)


def asin(slug: str) -> str:
    """A stable, Amazon-style 10-character product id for analytics and JSON-LD ``sku``."""
    return "B0" + hashlib.sha1(slug.encode()).hexdigest()[:8].upper()


def organization(base: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": base + "#organization",
        "name": SHOP_NAME,
        "url": base,
        "logo": base + "img/logo.svg",
    }


def website(base: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "@id": base + "#website",
        "name": SHOP_NAME,
        "url": base,
        "publisher": {"@id": base + "#organization"},
        "potentialAction": {
            "@type": "SearchAction",
            "target": {"@type": "EntryPoint", "urlTemplate": base + "search?search_input={search_term_string}"},
            "query-input": "required name=search_term_string",
        },
    }


def breadcrumbs(base: str, trail: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``trail`` is (name, path) pairs, home first; path is site-relative without the leading slash."""
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": name, "item": base + path}
            for i, (name, path) in enumerate(trail, start=1)
        ],
    }


def _offer(base: str, p: Product) -> dict[str, Any]:
    return {
        "@type": "Offer",
        "url": f"{base}product/{p.slug}",
        "priceCurrency": "USD",
        "price": f"{p.price:.2f}",
        "availability": "https://schema.org/InStock",
        "itemCondition": "https://schema.org/NewCondition",
        "seller": {"@id": base + "#organization"},
        "shippingDetails": {
            "@type": "OfferShippingDetails",
            "shippingRate": {
                "@type": "MonetaryAmount",
                "value": "0.00" if p.free_delivery else "5.99",
                "currency": "USD",
            },
        },
    }


def _product_core(base: str, p: Product) -> dict[str, Any]:
    return {
        "@type": "Product",
        "name": p.title,
        "sku": asin(p.slug),
        "url": f"{base}product/{p.slug}",
        "image": f"{base}img/{p.slug}.svg?w=640",
        "category": p.category_name,
        "brand": {"@type": "Brand", "name": p.brand},
        "aggregateRating": {
            "@type": "AggregateRating",
            "ratingValue": f"{p.rating:.1f}",
            "bestRating": "5",
            "reviewCount": p.review_count,
        },
        "offers": _offer(base, p),
    }


def product_ld(base: str, p: Product, chosen: dict[str, str]) -> dict[str, Any]:
    """The product page's Product: offer, rating, options as additionalProperty and its reviews."""
    data = {"@context": "https://schema.org", **_product_core(base, p), "description": p.description}
    if chosen:
        data["additionalProperty"] = [
            {"@type": "PropertyValue", "name": k.capitalize(), "value": v} for k, v in chosen.items()
        ]
    data["review"] = [
        {
            "@type": "Review",
            "name": r.title,
            "reviewBody": r.text,
            "author": {"@type": "Person", "name": r.author},
            "reviewRating": {"@type": "Rating", "ratingValue": str(r.stars), "bestRating": "5"},
        }
        for r in p.reviews
    ]
    return data


def item_list(base: str, products: Iterable[Product], first: int, name: str) -> dict[str, Any]:
    """A results page's ItemList, positions counted across pages."""
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": name,
        "itemListElement": [
            {"@type": "ListItem", "position": first + i, "item": _product_core(base, p)} for i, p in enumerate(products)
        ],
    }


def mega_menus(catalog: Catalog, categories: Iterable[Category]) -> dict[str, dict[str, Any]]:
    """Per category slug: its top brands (by product count) and its popular searches."""
    menus: dict[str, dict[str, Any]] = {}
    for c in categories:
        counts = Counter(p.brand for p in catalog.products(c.slug))
        brands = sorted(counts, key=lambda b: (-counts[b], b))[:8]
        searches = list(catalog.index.related(c.name, 8))
        menus[c.slug] = {
            "brands": [(b, f"/category/{c.slug}?{urlencode({'brand': slugify(b)})}") for b in brands],
            "searches": [(t, "/search?" + urlencode({"search_input": t})) for t in searches],
        }
    return menus


_TINTS = ("#f3f3f3", "#eef3f8", "#f6f1ea", "#eef6ef", "#f5eef5", "#f8f4e6")


def placeholder_svg(letter: str, key: str, width: int) -> str:
    """The letter tile every product shows until real photography exists: a soft gradient and
    the category's initial, tinted by a hash of ``key`` (deterministic)."""
    tint = _TINTS[int(hashlib.sha1(key.encode()).hexdigest(), 16) % len(_TINTS)]
    letter = (letter or "?")[:1].upper().replace("&", "&amp;").replace("<", "&lt;")
    size = max(16, width // 3)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{width}" viewBox="0 0 {width} {width}">'
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="{tint}"/>'
        f'<stop offset="1" stop-color="#dcdcdc"/></linearGradient></defs>'
        f'<rect width="100%" height="100%" fill="url(#g)"/>'
        f'<text x="50%" y="50%" dy=".35em" text-anchor="middle" font-family="Arial, Helvetica, sans-serif" '
        f'font-size="{size}" fill="#999">{letter}</text></svg>'
    )
