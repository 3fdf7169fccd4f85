"""A persona-driven stochastic shopper: picks the next action from what the live page offers.

The policy only ever chooses among the element names of the current observation, so every
recorded action is one the browser layer actually performed. Its habits follow the paper's
human data: sessions open with a search, people search again and again (reformulating,
fixing typos) far more often than they filter, compare several products, read reviews, fill
carts they abandon, and mostly leave without buying (about 1 in 7 buys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
import random
import re
from urllib.parse import parse_qs, urlsplit

from webmimic.core.actions import Action
from webmimic.core.names import is_purchase_name, last_part, slugify
from webmimic.shoppers.personas import Traits
from webmimic.shoppers.rationales import say
from webmimic.simulator.observation import Observation
from webmimic.sites import SHOP_PURCHASE_NAMES
from webmimic.sites.shop.catalog import Catalog, Product
from webmimic.sites.shop.intent import Intent
from webmimic.sites.shop.vocab import VOCAB, CategoryVocab

__all__ = ["Decision", "Shopper", "click_type", "page_kind", "relative_url", "draw_intent"]

_VOCAB: dict[str, CategoryVocab] = {slugify(v.name): v for v in VOCAB}
_RESULT = re.compile(r"^search_results\.(.+)\.view_product$")
_RELATED = re.compile(r"^related_products\.(.+)\.view_product$")
_CART_LINE = re.compile(r"^cart\.(.+)\.view_product$")
_SUGGESTED = ("did_you_mean", "suggestions.", "related_searches.", "popular_searches.", "search_suggestions.")
_CART_PAGE = re.compile(
    r"^(cart\..+\.(quantity\..+|delete|save_for_later)|saved\..+\.(move_to_cart|delete)|proceed_to_checkout)$"
)


def click_type(name: str) -> str:
    """OPeRA's click category for a shop element name (one of its 13 types)."""
    last = last_part(name)
    if is_purchase_name(name, SHOP_PURCHASE_NAMES):
        return "purchase"
    if name == "search_button":
        return "search"
    if name.startswith(_SUGGESTED):
        return "suggested_term"
    if name.startswith("cart_side_bar."):
        return "cart_side_bar"
    if _CART_PAGE.match(name):
        return "cart_page_select"
    if last == "view_product":
        return "product_link"
    if name.startswith("product_options."):
        return "product_option"
    if name.startswith("quantity."):
        return "quantity"
    if name.startswith("reviews."):
        return "review"
    if name.startswith(("refinements.", "sort_by.")):
        return "filter"
    if name.startswith("pagination."):
        return "page_related"
    if name.startswith(("nav_bar.", "categories.", "breadcrumbs.", "continue_shopping")):
        return "nav_bar"
    return "other"


def relative_url(url: str) -> str:
    """The site-relative part (path and query) of a page URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_kind(url: str) -> str:
    path = urlsplit(url).path
    if path == "/":
        return "home"
    if path == "/search" or path.startswith("/category/"):
        return "results"
    if path.startswith("/product/"):
        return "reviews" if path.endswith("/reviews") else "product"
    if path == "/cart":
        return "cart"
    return "other"


def draw_intent(rng: random.Random, traits: Traits) -> Intent:
    category = rng.choice(traits.interests) if rng.random() < 0.85 else rng.choice(tuple(_VOCAB))
    vocab = _VOCAB[category]
    brand = None
    if traits.brand_loyal and traits.favourite_brand in vocab.brands and rng.random() < 0.7:
        brand = traits.favourite_brand
    elif rng.random() < 0.15:
        brand = rng.choice(vocab.brands)
    colours = dict(vocab.options).get("color", ())
    noun = rng.choice(vocab.nouns)
    feature = rng.choice(vocab.features) if rng.random() < 0.5 else None
    colour = rng.choice(colours) if colours and rng.random() < 0.4 else None
    return Intent(
        target=None,
        category=category,
        noun=noun,
        brand=brand,
        options={"color": colour} if colour else {},
        budget=traits.budget_for(*vocab.price),
        feature=feature,
    )


@dataclass(frozen=True)
class Decision:
    """The chosen action, the real reason as a sentence, and the decision's kind (for stats)."""

    action: Action
    rationale: str
    kind: str


def _typo(rng: random.Random, text: str) -> str | None:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return None
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.randrange(3)
    if op == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # swap neighbours
    elif op == 1:
        w = w[:j] + w[j + 1 :]  # drop a letter
    else:
        w = w[:j] + w[j] + w[j:]  # double a letter
    if w == words[i]:
        return None
    words[i] = w
    return " ".join(words)


def _weighted(rng: random.Random, options: list[tuple[float, str]]) -> str:
    total = sum(w for w, _ in options if w > 0)
    x = rng.random() * total
    for w, key in options:
        if w <= 0:
            continue
        x -= w
        if x < 0:
            return key
    return [k for w, k in options if w > 0][-1]


@dataclass
class Shopper:
    """One session's policy state; ``decide`` is called with each new observation."""

    traits: Traits
    intent: Intent
    rng: random.Random
    catalog: Catalog
    will_buy: bool
    target_len: int
    mods: list[str] = field(default_factory=list)
    noun: str = ""
    query: str = ""
    typo_fix: str | None = None
    steps: int = 0
    viewed: list[str] = field(default_factory=list)
    cart: dict[str, int] = field(default_factory=dict)
    options_picked: dict[str, int] = field(default_factory=dict)
    reviews_read: set[str] = field(default_factory=set)
    star_filtered: set[str] = field(default_factory=set)
    sorted_once: bool = False
    searches: int = 0

    @classmethod
    def start(cls, traits: Traits, rng: random.Random, catalog: Catalog) -> Shopper:
        intent = draw_intent(rng, traits)
        will_buy = rng.random() < traits.buy_propensity
        length = max(4, min(24, round(rng.gauss(traits.patience, 3.0))))
        s = cls(traits, intent, rng, catalog, will_buy, length)
        s.noun = intent.noun.lower()
        opening = rng.random()
        if intent.brand and opening < 0.4:
            s.mods = [intent.brand.lower()]
        elif intent.feature and opening < 0.7:
            s.mods = [intent.feature.lower()]
        return s

    # -- the decision -----------------------------------------------------------------------
    def decide(self, obs: Observation) -> Decision:
        d = self._decide(obs)
        self.steps += 1
        if d.action.type == "type_and_submit":
            self.searches += 1
        return d

    def _decide(self, obs: Observation) -> Decision:
        kind = page_kind(obs.url)
        names = obs.names
        if self.steps == 0:
            return self._search(self._query_text(), "first_search", what=self.intent.what)
        if self.typo_fix is not None and kind == "results":
            return self._fix_typo(names)
        late = self.steps >= self.target_len - 1
        if "cart_side_bar.close" in names and not (late and not self.will_buy):
            # The "added to cart" panel covers the page: people deal with it first.
            if not self.will_buy and self.rng.random() < 0.45:
                return self._click("cart_side_bar.view_cart", "view_cart")
            return self._click("cart_side_bar.close", "close_side_bar")
        if self.will_buy and (late or self.steps >= self.target_len + 6):
            return self._head_to_buy(obs, kind)
        if not self.will_buy and late:
            return self._terminate()
        if kind == "results":
            return self._on_results(obs)
        if kind == "product":
            return self._on_product(obs)
        if kind == "reviews":
            return self._on_reviews(obs)
        if kind == "cart":
            return self._on_cart(obs)
        return self._new_search()

    # -- searching --------------------------------------------------------------------------
    def _query_text(self) -> str:
        return " ".join([*self.mods, self.noun])

    def _search(self, clean: str, kind: str, **facts: object) -> Decision:
        typed = clean
        if kind != "typo_retype" and self.rng.random() < self.traits.typo_rate:
            bad = _typo(self.rng, clean)
            if bad is not None:
                typed, self.typo_fix = bad, clean
        self.query = clean
        return Decision(Action.type_and_submit("search_input", typed), say(self.rng, kind, query=clean, **facts), kind)

    def _fix_typo(self, names: tuple[str, ...]) -> Decision:
        fixed, self.typo_fix = self.typo_fix, None
        assert fixed is not None
        if "did_you_mean" in names and self.rng.random() < 0.5:
            return self._click("did_you_mean", "typo_did_you_mean")
        return self._search(fixed, "typo_retype")

    def _reformulate(self, over_budget: bool = False) -> Decision:
        """A new query for the same intent: add or drop a word, a brand, a colour, or a synonym."""
        old = self._query_text()
        vocab = self.intent.vocab
        choices: list[tuple[float, str]] = [
            (0.3 if len(self.mods) < 2 else 0.0, "refine_query"),
            (0.35 if self.mods else 0.0, "broaden_query"),
            (0.25, "synonym_query"),
            (0.15 if self.intent.brand and self.intent.brand.lower() not in self.mods else 0.0, "brand_query"),
            (0.1 if self.intent.colour and self.intent.colour.lower() not in self.mods else 0.0, "colour_query"),
        ]
        kind = _weighted(self.rng, choices)
        if kind == "refine_query":
            feats = [f.lower() for f in vocab.features if f.lower() not in self.mods]
            self.mods = [*self.mods, self.rng.choice(feats)]
        elif kind == "broaden_query":
            self.mods = self.mods[:-1] if self.rng.random() < 0.5 else self.mods[1:]
        elif kind == "synonym_query":
            others = [n.lower() for n in vocab.nouns if n.lower() != self.noun] + [vocab.name.lower()]
            self.noun = self.rng.choice(others)
        elif kind == "brand_query":
            assert self.intent.brand is not None
            self.mods = [self.intent.brand.lower(), *[m for m in self.mods if m not in _brands(vocab)]]
        else:
            assert self.intent.colour is not None
            self.mods = [self.intent.colour.lower(), *self.mods]
        new = self._query_text()
        if new == old:
            self.mods = []
            new = self._query_text()
        if over_budget:
            return self._search(new, "over_budget_query", budget=self.intent.budget)
        return self._search(new, kind, brand=self.intent.brand, colour=self.intent.colour, old=old)

    def _new_search(self) -> Decision:
        d = self._reformulate()
        return Decision(d.action, say(self.rng, "new_product_search", query=self.query), "new_product_search")

    # -- pages ------------------------------------------------------------------------------
    def _results(self, names: tuple[str, ...]) -> list[Product]:
        out = []
        for n in names:
            m = _RESULT.match(n)
            p = self.catalog.find(m.group(1)) if m else None
            if p is not None:
                out.append(p)
        return out

    def _on_results(self, obs: Observation) -> Decision:
        names = obs.names
        products = self._results(names)
        if not products:
            return self._no_results(names)
        args = parse_qs(urlsplit(obs.url).query)
        fresh = [p for p in products if p.slug not in self.viewed]
        cheap = [p for p in fresh if p.price <= self.intent.budget]
        top = products[:4]
        over = sum(p.price > self.intent.budget for p in top) >= 3
        filtered = any(k in args for k in ("brand", "price", "rating", "free_delivery"))
        related = [n for n in names if n.startswith("related_searches.")]
        searched_here = sum(1 for p in products if p.slug in self.viewed)
        choice = _weighted(
            self.rng,
            [
                (0.55 if fresh else 0.0, "view"),
                (0.17 + 0.12 * over + 0.1 * min(searched_here, 2), "search"),
                (0.0 if filtered else 0.07 + 0.05 * self.traits.brand_loyal, "filter"),
                (0.0 if self.sorted_once else 0.04 + 0.05 * over * self.traits.price_sensitivity, "sort"),
                (0.05 if "pagination.next" in names else 0.0, "page"),
                (0.03 if related else 0.0, "related"),
                (0.02 if cheap and any(n.endswith(".add_to_cart") for n in names) else 0.0, "add"),
            ],
        )
        if choice == "view":
            return self._view(fresh)
        if choice == "search":
            return self._reformulate(over_budget=over and self.rng.random() < 0.5)
        if choice == "filter":
            return self._filter(names)
        if choice == "sort":
            return self._sort(names, over)
        if choice == "page":
            return self._click("pagination.next", "paginate")
        if choice == "related":
            term = self.rng.choice(related[:4])
            self._adopt_query(term.split(".", 1)[1].replace("_", " "))
            return self._click(term, "related_search", term=term.split(".", 1)[1].replace("_", " "))
        p = self._pick(cheap)
        self.cart[p.slug] = 1
        return self._click(f"search_results.{p.slug}.add_to_cart", "add_from_results", title=p.title, price=p.price)

    def _adopt_query(self, text: str) -> None:
        self.mods, self.noun = text.split()[:-1], text.split()[-1]
        self.query = text

    def _no_results(self, names: tuple[str, ...]) -> Decision:
        sugg = [n for n in names if n.startswith("suggestions.")]
        if sugg and self.rng.random() < 0.3:
            name = self.rng.choice(sugg[:3])
            term = name.split(".", 1)[1].replace("_", " ")
            self._adopt_query(term)
            return self._click(name, "no_results_suggestion", term=term)
        old = self._query_text()
        self.mods = self.mods[1:] if self.mods else []
        if self._query_text() == old:
            self.noun = self.intent.vocab.name.lower()
        return self._search(self._query_text(), "no_results_broaden", old=old)

    def _pick(self, products: list[Product]) -> Product:
        t = self.traits
        weights = []
        for rank, p in enumerate(products):
            w = 0.78**rank
            w *= 1.5 if p.price <= self.intent.budget else max(0.1, 1 - 0.85 * t.price_sensitivity)
            if self.intent.brand and p.brand == self.intent.brand:
                w *= 2.5
            if t.review_reader:
                w *= max(0.2, 1 + (p.rating - 3.8))
            weights.append(w)
        return self.rng.choices(products, weights=weights, k=1)[0]

    def _view(self, fresh: list[Product]) -> Decision:
        p = self._pick(fresh)
        self.viewed.append(p.slug)
        name = f"search_results.{p.slug}.view_product"
        facts = {"title": p.title, "price": p.price, "budget": self.intent.budget, "rating": p.rating, "brand": p.brand}
        if len(self.viewed) > 1 and self.rng.random() < 0.4:
            return self._click(name, "compare_product", **facts)
        if self.intent.brand and p.brand == self.intent.brand:
            return self._click(name, "view_brand_product", **facts)
        if self.traits.price_sensitivity > 0.6 and p.price <= self.intent.budget:
            return self._click(name, "view_cheap_product", **facts)
        if self.traits.review_reader and p.rating >= 4.3:
            return self._click(name, "view_rated_product", **facts)
        return self._click(name, "view_product", **facts)

    def _filter(self, names: tuple[str, ...]) -> Decision:
        brand = self.intent.brand and f"refinements.brand.{slugify(self.intent.brand)}"
        if brand and brand in names:
            return self._click(brand, "filter_brand", brand=self.intent.brand)
        options: list[tuple[float, str]] = [
            (0.2 + self.traits.price_sensitivity, "price"),
            (0.5 if self.traits.review_reader else 0.15, "rating"),
            (0.2, "delivery"),
        ]
        pick = _weighted(self.rng, options)
        if pick == "price":
            from webmimic.sites.shop.search import PRICE_BUCKETS

            fits = [b for b in PRICE_BUCKETS if b.low < self.intent.budget and f"refinements.price.{b.key}" in names]
            if fits:
                b = fits[-1] if self.rng.random() < 0.6 else self.rng.choice(fits)
                return self._click(
                    f"refinements.price.{b.key}", "filter_price", budget=self.intent.budget, label=b.label
                )
        if pick == "rating" and "refinements.customer_reviews.4_stars__up" in names:
            return self._click("refinements.customer_reviews.4_stars__up", "filter_rating", stars=4)
        return self._click("refinements.free_delivery", "filter_delivery")

    def _sort(self, names: tuple[str, ...], over: bool) -> Decision:
        self.sorted_once = True
        if (
            over or self.traits.price_sensitivity > 0.5 or not self.traits.review_reader
        ) and "sort_by.price_low_to_high" in names:
            return self._click("sort_by.price_low_to_high", "sort_price", budget=self.intent.budget)
        return self._click("sort_by.avg_customer_review", "sort_rating")

    def _current_product(self, obs: Observation) -> Product | None:
        parts = urlsplit(obs.url).path.split("/")
        return self.catalog.find(parts[2]) if len(parts) > 2 else None

    def _on_product(self, obs: Observation) -> Decision:
        names = obs.names
        p = self._current_product(obs)
        if p is None:
            return self._new_search()
        facts = {"title": p.title, "price": p.price, "budget": self.intent.budget, "rating": p.rating, "brand": p.brand}
        if p.slug not in self.viewed:
            self.viewed.append(p.slug)
        opts = [n for n in names if n.startswith("product_options.")]
        qtys = [n for n in names if n.startswith("quantity.") and n != "quantity.1"]
        related = [n for n in names if (m := _RELATED.match(n)) and m.group(1) not in self.viewed]
        affordable = p.price <= self.intent.budget * 1.1
        picked = self.options_picked.get(p.slug, 0)
        reader = self.traits.review_reader
        choice = _weighted(
            self.rng,
            [
                (0.25 if opts and picked < 2 else 0.0, "option"),
                (0.04 if qtys and picked < 3 else 0.0, "quantity"),
                ((0.2 if reader else 0.06) if p.slug not in self.reviews_read else 0.0, "reviews"),
                (0.1 if affordable and p.slug not in self.cart and "add_to_cart" in names else 0.0, "add"),
                (0.22, "search"),
                (0.1 if related else 0.0, "related"),
                (0.03 if f"breadcrumbs.{p.category}" in names else 0.0, "category"),
                (0.015 if "visit_brand_store" in names else 0.0, "brand_store"),
                (0.04 if self.cart and "nav_bar.cart" in names else 0.0, "cart"),
            ],
        )
        if choice == "option":
            return self._pick_option(p, opts)
        if choice == "quantity":
            self.options_picked[p.slug] = picked + 1
            name = self.rng.choice(qtys[:3])
            return self._click(name, "pick_quantity", qty=name.split(".")[-1])
        if choice == "reviews":
            self.reviews_read.add(p.slug)
            stars = [n for n in names if n.startswith("reviews.filter.")]
            if stars and self.rng.random() < 0.3:
                return self._star_filter(p, stars)
            return self._click("reviews.see_all", "read_reviews", **facts)
        if choice == "add":
            self.cart[p.slug] = 1
            return self._click("add_to_cart", "add_to_cart", **facts)
        if choice == "related":
            name = self.rng.choice(related[:4])
            r = self.catalog.find(name.removeprefix("related_products.").removesuffix(".view_product"))
            return self._click(name, "view_related", title=r.title if r else "item")
        if choice == "category":
            return self._click(f"breadcrumbs.{p.category}", "category_nav", category=p.category_name)
        if choice == "brand_store":
            self._adopt_query(p.brand.lower() + " " + self.noun)
            return self._click("visit_brand_store", "brand_store", brand=p.brand)
        if choice == "cart":
            return self._click("nav_bar.cart", "view_cart")
        return self._new_search()

    def _pick_option(self, p: Product, opts: list[str]) -> Decision:
        self.options_picked[p.slug] = self.options_picked.get(p.slug, 0) + 1
        want = self.intent.colour and f"product_options.color.{slugify(self.intent.colour)}"
        name = want if want in opts and self.rng.random() < 0.8 else self.rng.choice(opts)
        _, option, value = name.split(".", 2)
        label = next((v for v in p.options.get(option, ()) if slugify(v) == value), value)
        return self._click(name, "pick_option", option=option, value=label)

    def _star_filter(self, p: Product, stars: list[str]) -> Decision:
        self.star_filtered.add(p.slug)
        name = self.rng.choice([s for s in stars if "all" not in s] or stars)
        n = name.rsplit(".", 1)[-1].split("_")[0]
        feel = "dislike" if n in ("1", "2") else "like"
        return self._click(name, "review_star_filter", stars=n, feel=feel)

    def _on_reviews(self, obs: Observation) -> Decision:
        names = obs.names
        p = self._current_product(obs)
        stars = [n for n in names if n.startswith("reviews.filter.") and "all" not in n]
        if p is not None and p.slug not in self.star_filtered and stars and self.rng.random() < 0.35:
            return self._star_filter(p, stars)
        if "reviews.back_to_product" in names and self.rng.random() < 0.7:
            verdict = "good" if p is not None and p.rating >= 4 else "mixed"
            return self._click("reviews.back_to_product", "back_to_product", verdict=verdict)
        return self._new_search()

    def _cart_lines(self, names: tuple[str, ...]) -> list[tuple[str, Product]]:
        out = []
        for n in names:
            m = _CART_LINE.match(n)
            p = self.catalog.find(m.group(1)) if m else None
            if p is not None and m is not None:
                out.append((m.group(1), p))
        return out

    def _on_cart(self, obs: Observation) -> Decision:
        names = obs.names
        lines = self._cart_lines(names)
        if not lines:
            if "continue_shopping" in names and self.rng.random() < 0.3:
                return self._click("continue_shopping", "go_home")
            return self._new_search()
        key, p = self.rng.choice(lines)
        facts = {"title": p.title, "price": p.price}
        choice = _weighted(self.rng, [(0.2, "qty"), (0.15, "delete"), (0.12, "save"), (0.2, "view"), (0.3, "search")])
        if choice == "qty":
            qty = 2 if self.cart.get(key, 1) == 1 else 1
            name = f"cart.{key}.quantity.{qty}"
            if name in names:
                self.cart[key] = qty
                return self._click(name, "cart_quantity", qty=qty, **facts)
        if (
            choice in ("delete", "save")
            and f"cart.{key}.{'delete' if choice == 'delete' else 'save_for_later'}" in names
        ):
            self.cart.pop(key, None)
            if choice == "delete":
                return self._click(f"cart.{key}.delete", "cart_delete", **facts)
            return self._click(f"cart.{key}.save_for_later", "cart_save", **facts)
        if choice == "view":
            return self._click(f"cart.{key}.view_product", "cart_view_product", **facts)
        return self._new_search()

    # -- endings ----------------------------------------------------------------------------
    def _head_to_buy(self, obs: Observation, kind: str) -> Decision:
        names = obs.names
        if kind == "product" and "buy_now" in names:
            p = self._current_product(obs)
            title = p.title if p else "item"
            price = p.price if p else 0.0
            return self._click("buy_now", "buy", title=title, price=price, budget=self.intent.budget)
        if kind == "results":
            products = self._results(names)
            if products:
                p = self._pick(products)
                self.viewed.append(p.slug)
                return self._click(f"search_results.{p.slug}.view_product", "buy_return", title=p.title)
        if kind == "reviews" and "reviews.back_to_product" in names:
            return self._click("reviews.back_to_product", "back_to_product", verdict="good")
        if kind == "cart":
            lines = self._cart_lines(names)
            if lines:
                key, p = lines[0]
                return self._click(f"cart.{key}.view_product", "buy_return", title=p.title)
        if kind == "results" and self.typo_fix is None:
            return self._no_results(names)
        return self._new_search()

    def _terminate(self) -> Decision:
        if self.cart and self.rng.random() < 0.6:
            return Decision(Action.terminate(), say(self.rng, "terminate_cart"), "terminate")
        return Decision(Action.terminate(), say(self.rng, "terminate", budget=self.intent.budget), "terminate")

    def _click(self, name: str, kind: str, **facts: object) -> Decision:
        return Decision(Action.click(name), say(self.rng, kind, **facts), kind)


def _brands(vocab: CategoryVocab) -> set[str]:
    return {b.lower() for b in vocab.brands}
