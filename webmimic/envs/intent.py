"""Shopping intents for ``webmimic/Shop-v0`` and the WebShop-style rating of a purchase.

An intent is drawn from a real catalog product: its category, sometimes its brand, one of its
options, and a budget above its price. A purchase is rated by the share of the intent's parts it
satisfies (category, brand, options, price within budget), as WebShop rates attributes,
options and price; buying the intent's own product with the asked options scores 1.0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import math

import numpy as np

from webmimic.sites.shop.catalog import Catalog, Product

__all__ = ["Intent", "sample_intent", "rate_purchase"]


@dataclass(frozen=True)
class Intent:
    """What the shopper wants. ``target`` is the product the intent was drawn from."""

    target: str
    category: str
    noun: str
    brand: str | None
    options: Mapping[str, str] = field(default_factory=dict)
    budget: float = 0.0

    def text(self) -> str:
        parts = [f"I want to buy {self.noun.lower()}"]
        if self.brand:
            parts.append(f"from {self.brand}")
        parts += [f"with {name} {value}" for name, value in self.options.items()]
        parts.append(f"for at most ${self.budget:.0f}")
        return " ".join(parts) + "."

    def to_dict(self) -> dict[str, object]:
        return {"target": self.target, "category": self.category, "noun": self.noun, "brand": self.brand,
                "options": dict(self.options), "budget": self.budget, "text": self.text()}


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
