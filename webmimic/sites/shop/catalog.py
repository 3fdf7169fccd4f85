"""The shop's products: generated deterministically from a seed, stored in a cached SQLite file.

Generation uses one ``random.Random(seed)`` walked in a fixed order, so a seed always yields
the same catalog. The SQLite file (products as JSON plus FTS5 tables for search) is built once
per seed and vocabulary version into the cache directory and swapped in atomically, so many
servers and test runs can share it and start fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
import hashlib
import json
from pathlib import Path
import random
import sqlite3
import tempfile
from typing import Any

from webmimic.core.errors import SiteError
from webmimic.core.files import atomic_path, default_cache_dir
from webmimic.core.names import slugify
from webmimic.sites.shop.search import PRICE_BUCKETS, SearchIndex, SearchPage, SearchRequest, run_search
from webmimic.sites.shop.vocab import REVIEW_AUTHORS, REVIEW_TEXTS, VOCAB, CategoryVocab

__all__ = [
    "Product",
    "Review",
    "Category",
    "Catalog",
    "generate_products",
    "build_database",
    "cache_path",
    "SCHEMA_VERSION",
    "PRODUCTS_PER_CATEGORY",
]

SCHEMA_VERSION = 1
PRODUCTS_PER_CATEGORY = 150


@dataclass(frozen=True)
class Review:
    stars: int
    title: str
    text: str
    author: str


@dataclass(frozen=True)
class Category:
    slug: str
    name: str


@dataclass(frozen=True)
class Product:
    """One catalog item. ``options`` maps an option name to its values; the first is the default."""

    slug: str
    title: str
    brand: str
    category: str  # category slug
    category_name: str
    noun: str
    features: tuple[str, ...]
    price: float
    rating: float
    review_count: int
    options: dict[str, tuple[str, ...]] = field(hash=False)
    description: str
    free_delivery: bool
    reviews: tuple[Review, ...]

    @property
    def brand_slug(self) -> str:
        return slugify(self.brand)

    def default_options(self) -> dict[str, str]:
        return {name: values[0] for name, values in self.options.items()}

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["options"] = {k: list(v) for k, v in self.options.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Product:
        data = dict(data)
        data["options"] = {k: tuple(v) for k, v in data["options"].items()}
        data["reviews"] = tuple(Review(**r) for r in data["reviews"])
        data["features"] = tuple(data["features"])
        return cls(**data)


# -- generation ---------------------------------------------------------------------------


def _price(rng: random.Random, lo: float, hi: float) -> float:
    # Skewed towards the cheap end, ending in .99 or .49 like real shelf prices.
    raw = lo + (hi - lo) * rng.random() ** 1.8
    return round(max(1.0, int(raw) + rng.choice((0.99, 0.49, 0.99))), 2)


def _reviews(rng: random.Random, rating: float, noun: str) -> tuple[Review, ...]:
    out = []
    for _ in range(rng.randint(3, 6)):
        stars = max(1, min(5, round(rng.gauss(rating, 1.0))))
        titles, texts = REVIEW_TEXTS[stars]
        out.append(
            Review(stars, rng.choice(titles), rng.choice(texts).format(noun=noun.lower()), rng.choice(REVIEW_AUTHORS))
        )
    return tuple(out)


def _one_product(rng: random.Random, vocab: CategoryVocab, taken: set[str]) -> Product:
    brand = noun = ""
    title = ""
    feats: list[int] = []
    for attempt in range(200):
        brand = rng.choice(vocab.brands)
        noun = rng.choice(vocab.nouns)
        feats = sorted(rng.sample(range(len(vocab.features)), 2))
        spec = rng.choice(vocab.specs)
        title = " ".join([brand, vocab.features[feats[0]], vocab.features[feats[1]], noun])
        if spec:
            title += f", {spec}"
        if attempt > 100:
            title += f", Model {attempt - 100}"
        if slugify(title) not in taken:
            break
    slug = slugify(title)
    taken.add(slug)
    options: dict[str, tuple[str, ...]] = {}
    for opt_name, values in vocab.options:
        if opt_name == "size":
            options[opt_name] = values
        else:
            k = rng.randint(min(2, len(values)), min(5, len(values)))
            picked = sorted(rng.sample(range(len(values)), k))
            options[opt_name] = tuple(values[i] for i in picked)
    rating = round(min(5.0, max(1.0, rng.triangular(2.0, 5.0, 4.5))), 1)
    price = _price(rng, *vocab.price)
    feature_text = ", ".join(vocab.features[i].lower() for i in feats)
    description = f"{title}. {vocab.blurb} Features: {feature_text}."
    return Product(
        slug=slug,
        title=title,
        brand=brand,
        category=slugify(vocab.name),
        category_name=vocab.name,
        noun=noun,
        features=tuple(vocab.features[i] for i in feats),
        price=price,
        rating=rating,
        review_count=int(rng.random() ** 2 * 8000) + 3,
        options=options,
        description=description,
        free_delivery=rng.random() < 0.55,
        reviews=_reviews(rng, rating, noun),
    )


def generate_products(seed: int = 0, per_category: int = PRODUCTS_PER_CATEGORY) -> tuple[Product, ...]:
    """The whole catalog for ``seed``, category by category, in a fixed order."""
    rng = random.Random(seed)
    taken: set[str] = set()
    return tuple(_one_product(rng, vocab, taken) for vocab in VOCAB for _ in range(per_category))


# -- storage ------------------------------------------------------------------------------


def _vocab_digest() -> str:
    return hashlib.sha256(
        repr((SCHEMA_VERSION, PRODUCTS_PER_CATEGORY, VOCAB, REVIEW_TEXTS, REVIEW_AUTHORS)).encode()
    ).hexdigest()[:10]


def cache_path(seed: int, cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / f"shop-{seed}-v{SCHEMA_VERSION}-{_vocab_digest()}.sqlite"


def build_database(path: Path, products: Iterable[Product]) -> None:
    """Write products and their FTS5 indexes to ``path`` atomically (``webmimic.core.files``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        conn = sqlite3.connect(tmp)
        try:
            conn.executescript(
                """
                CREATE TABLE products (id INTEGER PRIMARY KEY, slug TEXT UNIQUE NOT NULL, data TEXT NOT NULL);
                CREATE VIRTUAL TABLE products_fts USING fts5(
                    title, brand, category, description, tokenize='porter unicode61'
                );
                CREATE VIRTUAL TABLE terms_fts USING fts5(text, tokenize='unicode61');
                CREATE VIRTUAL TABLE terms_vocab USING fts5vocab(terms_fts, 'row');
                """
            )
            for i, p in enumerate(products, start=1):
                conn.execute(
                    "INSERT INTO products VALUES (?, ?, ?)", (i, p.slug, json.dumps(p.to_json(), sort_keys=True))
                )
                conn.execute(
                    "INSERT INTO products_fts(rowid, title, brand, category, description) VALUES (?, ?, ?, ?, ?)",
                    (i, p.title, p.brand, p.category_name, p.description),
                )
                conn.execute(
                    "INSERT INTO terms_fts(rowid, text) VALUES (?, ?)", (i, f"{p.title} {p.brand} {p.category_name}")
                )
            conn.execute("INSERT INTO products_fts(products_fts) VALUES ('optimize')")
            conn.commit()
        finally:
            conn.close()


class Catalog:
    """Read-only access to one seed's products and search. Thread-safe; open with ``Catalog.open``."""

    def __init__(self, path: Path, seed: int):
        self.path = path
        self.seed = seed
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        rows = conn.execute("SELECT id, data FROM products ORDER BY id").fetchall()
        self._products: tuple[Product, ...] = tuple(Product.from_json(json.loads(d)) for _, d in rows)
        self._by_slug = {p.slug: p for p in self._products}
        self._by_id = {i: p for (i, _), p in zip(rows, self._products, strict=True)}
        cats: dict[str, Category] = {}
        in_category: dict[str, list[Product]] = {}
        for p in self._products:
            cats.setdefault(p.category, Category(p.category, p.category_name))
            in_category.setdefault(p.category, []).append(p)
        self._categories = tuple(cats.values())
        self._in_category = {slug: tuple(ps) for slug, ps in in_category.items()}
        self.index = SearchIndex(conn, self._by_id)

    @classmethod
    def open(cls, seed: int = 0, cache_dir: Path | None = None) -> Catalog:
        """The catalog for ``seed``, building its cache file first when missing."""
        path = cache_path(seed, cache_dir)
        if not path.exists():
            try:
                build_database(path, generate_products(seed))
            except OSError:  # read-only home: build a private copy in the temp dir
                path = cache_path(seed, Path(tempfile.gettempdir()) / "webmimic")
                if not path.exists():
                    build_database(path, generate_products(seed))
        try:
            return cls(path, seed)
        except sqlite3.Error as exc:
            raise SiteError(f"Shop catalog at {path} is unreadable ({exc}); delete it to rebuild.") from exc

    # -- lookups --------------------------------------------------------------------------
    def products(self, category: str | None = None) -> tuple[Product, ...]:
        """All products in catalog order, or only those of one category slug."""
        if category is None:
            return self._products
        return self._in_category.get(category, ())

    def get(self, slug: str) -> Product:
        """The product with ``slug``; KeyError when there is none."""
        return self._by_slug[slug]

    def find(self, slug: str) -> Product | None:
        return self._by_slug.get(slug)

    def categories(self) -> tuple[Category, ...]:
        return self._categories

    def category(self, slug: str) -> Category | None:
        return next((c for c in self._categories if c.slug == slug), None)

    def brands(self, category: str | None = None) -> tuple[str, ...]:
        """Brand names (sorted), of one category slug or of the whole catalog."""
        return tuple(sorted({p.brand for p in self.products(category)}))

    def search(
        self,
        query: str = "",
        *,
        category: str | None = None,
        brand: str | None = None,
        min_rating: int | None = None,
        price: str | None = None,
        free_delivery: bool = False,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 16,
    ) -> SearchPage:
        """BM25 search with the results page's filters; ``price`` is a bucket key of PRICE_BUCKETS."""
        req = SearchRequest(
            query=query,
            category=category,
            brand=brand,
            min_rating=min_rating,
            price=price,
            free_delivery=free_delivery,
            sort=sort,
            page=page,
            per_page=per_page,
        )
        return run_search(self.index, self._products, req)

    def __len__(self) -> int:
        return len(self._products)


__all__ += ["PRICE_BUCKETS", "default_cache_dir"]
