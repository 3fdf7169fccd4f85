"""What a shopper wants from the shop, and the WebShop-style rating of a purchase against it.

One intent type serves both users: ``webmimic/Shop-v0`` draws an intent from a real catalog
product (``sample_intent``: its category, sometimes its brand, one of its options, a budget
above its price) and rates the purchase; the synthetic shoppers (``webmimic.shoppers``) draw
one from a persona and shop toward it. A purchase is rated by the share of the intent's parts it
satisfies (category, noun, brand, options, price within budget), as WebShop rates attributes,
options and price; buying the intent's own product with the asked options scores 1.0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import math

import numpy as np

from webmimic.core.names import slugify
from webmimic.sites.shop.catalog import Catalog, Product
from webmimic.sites.shop.vocab import VOCAB, CategoryVocab

__all__ = ["Intent", "sample_intent", "rate_purchase"]

_VOCAB: dict[str, CategoryVocab] = {slugify(v.name): v for v in VOCAB}


@dataclass(frozen=True)
class Intent:
    """What the shopper wants: a kind of product, maybe a brand and options, and a price ceiling.

    ``target`` is the catalog product the intent was drawn from (None when drawn from a persona);
    ``feature`` is a word a shopper may add to a query ("wireless").
    """

    target: str | None
    category: str
    noun: str
    brand: str | None
    options: Mapping[str, str] = field(default_factory=dict)
    budget: float = 0.0
    feature: str | None = None

    @property
    def colour(self) -> str | None:
        return self.options.get("color")

    @property
    def vocab(self) -> CategoryVocab:
        """The shop vocabulary of the intent's category (nouns, brands, options, prices)."""
        return _VOCAB[self.category]

    @property
    def what(self) -> str:
        """A short description as a shopper thinks of it: "black wireless headphones from Acme"."""
        words = [self.colour, self.feature, self.noun]
        text = " ".join(w.lower() for w in words if w)
        return f"{text} from {self.brand}" if self.brand else text

    def text(self) -> str:
        """The task as Shop-v0 states it to the agent."""
        parts = [f"I want to buy {self.noun.lower()}"]
        if self.brand:
            parts.append(f"from {self.brand}")
        parts += [f"with {name} {value}" for name, value in self.options.items()]
        parts.append(f"for at most ${self.budget:.0f}")
        return " ".join(parts) + "."

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "target": self.target,
            "category": self.category,
            "noun": self.noun,
            "brand": self.brand,
            "options": dict(self.options),
            "budget": self.budget,
        }
        if self.feature is not None:
            out["feature"] = self.feature
        out["text"] = self.text()
        return out


def sample_intent(catalog: Catalog, rng: np.random.Generator) -> Intent:
    """Draw an intent from a random product of the catalog."""
    products = catalog.products()
    product = products[int(rng.integers(len(products)))]
    options: dict[str, str] = {}
    if product.options:
        name = sorted(product.options)[int(rng.integers(len(product.options)))]
        values = product.options[name]
        options[name] = values[int(rng.integers(len(values)))]
    brand = product.brand if rng.random() < 0.5 else None
    budget = float(math.ceil(product.price * 1.25))
    return Intent(product.slug, product.category, product.noun, brand, options, budget)


def rate_purchase(intent: Intent, product: Product, options: Mapping[str, str]) -> float:
    """Share of the intent's parts the bought product satisfies, in [0, 1]."""
    checks = [product.category == intent.category, product.price <= intent.budget]
    if intent.brand:
        checks.append(product.brand == intent.brand)
    checks += [options.get(name) == value for name, value in intent.options.items()]
    checks.append(product.noun == intent.noun)
    return sum(checks) / len(checks)
