"""Search over the catalog: FTS5 BM25 matching, results-page filters and sorting, query
suggestions, and typo correction from the FTS5 vocabulary.

Every ordering has a final tie-break on catalog position, so the same request always yields the
same page. User text never reaches FTS5 syntax: queries are reduced to ``[a-z0-9]+`` tokens and
each is quoted, so quotes, ``AND``, ``*`` or ``NEAR(`` in a query are just words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
import difflib
import math
import re
import sqlite3
import threading
from typing import TYPE_CHECKING
import unicodedata

if TYPE_CHECKING:
    from webmimic.sites.shop.catalog import Product

__all__ = [
    "PriceBucket",
    "PRICE_BUCKETS",
    "SORTS",
    "RATING_FLOORS",
    "SearchRequest",
    "SearchPage",
    "SearchIndex",
    "run_search",
    "tokenize",
    "normalize_query",
]


@dataclass(frozen=True)
class PriceBucket:
    key: str  # == slugify(label)
    label: str
    low: float
    high: float

    def contains(self, price: float) -> bool:
        return self.low <= price < self.high


PRICE_BUCKETS: tuple[PriceBucket, ...] = (
    PriceBucket("under_25", "Under $25", 0.0, 25.0),
    PriceBucket("25_to_50", "$25 to $50", 25.0, 50.0),
    PriceBucket("50_to_100", "$50 to $100", 50.0, 100.0),
    PriceBucket("100_to_200", "$100 to $200", 100.0, 200.0),
    PriceBucket("200_and_above", "$200 and above", 200.0, math.inf),
)
SORTS: tuple[tuple[str, str], ...] = (
    ("relevance", "Featured"),
    ("price_low_to_high", "Price: Low to High"),
    ("price_high_to_low", "Price: High to Low"),
    ("avg_customer_review", "Avg. Customer Review"),
)
RATING_FLOORS: tuple[int, ...] = (4, 3)

_TOKEN = re.compile(r"[a-z0-9]+")


def normalize_query(text: str) -> str:
    """Lower case, accents folded, whitespace collapsed: the form suggestions are matched in."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(plain.split())


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(normalize_query(text))


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    category: str | None = None
    brand: str | None = None  # brand slug
    min_rating: int | None = None
    price: str | None = None  # PriceBucket.key
    free_delivery: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 16


@dataclass(frozen=True)
class SearchPage:
    """One page of results plus what the results page shows around them."""

    request: SearchRequest
    products: tuple[Product, ...]
    total: int
    page: int
    pages: int
    brand_facets: tuple[tuple[str, str, int], ...]  # (brand, brand slug, count), most common first
    corrected: str | None  # a "did you mean" query, only offered when nothing matched
    suggestions: tuple[str, ...]  # for a no-results page
    related: tuple[str, ...]  # related searches for a results page

    @property
    def empty(self) -> bool:
        return self.total == 0


class SearchIndex:
    """FTS5 queries on the catalog file plus in-memory vocabulary and suggestion terms."""

    def __init__(self, conn: sqlite3.Connection, by_id: Mapping[int, Product]):
        self._conn = conn
        self._lock = threading.Lock()
        self._by_id = by_id
        self._pos = {p.slug: i for i, p in by_id.items()}
        with self._lock:
            rows = conn.execute("SELECT term, doc FROM terms_vocab ORDER BY term").fetchall()
        self._vocab: dict[str, int] = {t: d for t, d in rows if len(t) >= 3 and not t.isdigit()}
        # most frequent first so difflib's ties go to the common word
        self._vocab_list = sorted(self._vocab, key=lambda t: (-self._vocab[t], t))
        self._terms = self._suggestion_terms(by_id.values())
        self._terms_with: dict[str, list[int]] = {}  # word -> positions of the terms containing it
        for i, (term, _) in enumerate(self._terms):
            for word in set(term.split()):
                self._terms_with.setdefault(word, []).append(i)

    @staticmethod
    def _suggestion_terms(products: Iterable[Product]) -> tuple[tuple[str, int], ...]:
        counts: Counter[str] = Counter()
        for p in products:
            noun = normalize_query(p.noun)
            counts[normalize_query(p.category_name)] += 1
            counts[noun] += 1
            counts[f"{normalize_query(p.brand)} {noun}"] += 1
            for feat in p.features:
                counts[f"{normalize_query(feat)} {noun}"] += 1
            counts[f"{normalize_query(p.features[0])} {normalize_query(p.features[1])} {noun}"] += 1
        return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def position(self, slug: str) -> int:
        return self._pos[slug]

    def match(self, tokens: Sequence[str]) -> list[Product]:
        """Products containing every token (porter-stemmed), best BM25 first."""
        if not tokens:
            return []
        fts_query = " ".join(f'"{t}"' for t in tokens)
        with self._lock:
            rows = self._conn.execute(
                "SELECT rowid FROM products_fts WHERE products_fts MATCH ? "
                "ORDER BY bm25(products_fts, 10.0, 4.0, 15.0, 1.0), rowid",
                (fts_query,),
            ).fetchall()
        return [self._by_id[r[0]] for r in rows]

    def correct(self, query: str) -> str | None:
        """The query with unknown words replaced by the closest vocabulary word, or None."""
        tokens = tokenize(query)
        fixed, changed = [], False
        for tok in tokens:
            if tok in self._vocab or tok.isdigit() or len(tok) < 3:
                fixed.append(tok)
                continue
            close = difflib.get_close_matches(tok, self._vocab_list, n=1, cutoff=0.75)
            if close:
                fixed.append(close[0])
                changed = True
            else:
                fixed.append(tok)
        if not changed:
            return None
        corrected = " ".join(fixed)
        return corrected if self.match(fixed) else None

    def suggest(self, prefix: str, limit: int = 8) -> tuple[str, ...]:
        """Completions for a partly typed query: terms starting with it, then terms containing it."""
        q = normalize_query(prefix)
        if not q:
            return ()
        # shorter completions first (as shops do), then by popularity
        starts = sorted((t for t, _ in self._terms if t.startswith(q)), key=lambda t: t.count(" "))
        inner = [t for t, _ in self._terms if f" {q}" in f" {t}" and not t.startswith(q)]
        return tuple((starts + inner)[:limit])

    def popular(self, limit: int = 6) -> tuple[str, ...]:
        """The most common search terms (home page "popular searches")."""
        return tuple(t for t, _ in self._terms[:limit])

    def related(self, query: str, limit: int = 6) -> tuple[str, ...]:
        """Other popular searches sharing a word with ``query`` (the "related searches" strip)."""
        tokens = set(tokenize(query))
        q = normalize_query(query)
        if not tokens:
            return ()
        shared = Counter(i for token in tokens for i in self._terms_with.get(token, ()))
        scored = sorted((-n, i) for i, n in shared.items() if self._terms[i][0] != q)
        return tuple(self._terms[i][0] for _, i in scored[:limit])

    def fallback_suggestions(self, query: str, limit: int = 6) -> tuple[str, ...]:
        """Something to click on a no-results page: completions of each word, then top terms."""
        out: list[str] = []
        for tok in tokenize(query):
            for t in self.suggest(tok[:4], limit):
                if t not in out:
                    out.append(t)
        for t, _ in self._terms:
            if len(out) >= limit:
                break
            if t not in out:
                out.append(t)
        return tuple(out[:limit])


def _sorted(products: list[Product], sort: str, position: Mapping[str, int]) -> list[Product]:
    if sort == "price_low_to_high":
        return sorted(products, key=lambda p: (p.price, position[p.slug]))
    if sort == "price_high_to_low":
        return sorted(products, key=lambda p: (-p.price, position[p.slug]))
    if sort == "avg_customer_review":
        return sorted(products, key=lambda p: (-p.rating, -p.review_count, position[p.slug]))
    return products  # relevance: already in BM25 (or catalog) order


def run_search(index: SearchIndex, all_products: Sequence[Product], req: SearchRequest) -> SearchPage:
    """Match, facet, filter, sort and paginate one results page."""
    tokens = tokenize(req.query)
    base = index.match(tokens) if tokens else list(all_products)
    if req.category:
        base = [p for p in base if p.category == req.category]
    brand_counts = Counter((p.brand, p.brand_slug) for p in base)
    facets = tuple((b, s, n) for (b, s), n in sorted(brand_counts.items(), key=lambda kv: (-kv[1], kv[0][0])))[:10]
    hits = base
    if req.brand:
        hits = [p for p in hits if p.brand_slug == req.brand]
    if req.min_rating:
        hits = [p for p in hits if p.rating >= req.min_rating]
    bucket = next((b for b in PRICE_BUCKETS if b.key == req.price), None)
    if bucket:
        hits = [p for p in hits if bucket.contains(p.price)]
    if req.free_delivery:
        hits = [p for p in hits if p.free_delivery]
    sort = req.sort if req.sort in dict(SORTS) else "relevance"
    position = {p.slug: index.position(p.slug) for p in hits}
    hits = _sorted(hits, sort, position)
    per_page = max(1, req.per_page)
    pages = max(1, math.ceil(len(hits) / per_page))
    page = min(max(1, req.page), pages)
    shown = tuple(hits[(page - 1) * per_page : page * per_page])
    corrected = suggestions = None
    if not hits and tokens:
        corrected = index.correct(req.query) if not base else None
        suggestions = index.fallback_suggestions(req.query)
    return SearchPage(
        request=req,
        products=shown,
        total=len(hits),
        page=page,
        pages=pages,
        brand_facets=facets,
        corrected=corrected,
        suggestions=suggestions or (),
        related=index.related(req.query) if hits else (),
    )
