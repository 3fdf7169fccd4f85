"""Synthetic shopper personas: a deterministic list drawn from a seed, marked as synthetic.

Each persona carries a short free-text description (what a prompt sees) and the numeric traits
the shopping policy in ``webmimic.shoppers.shopper`` actually acts on, so the text never claims a
habit the generated behaviour does not show. Personas are invented, not drawn from real people.
"""

from __future__ import annotations

from dataclasses import dataclass
import random

from webmimic.core.names import slugify
from webmimic.replay.session import Persona
from webmimic.sites.shop.vocab import VOCAB

__all__ = ["Traits", "make_personas", "traits_of", "DEFAULT_PERSONAS", "held_out_persona_ids"]

DEFAULT_PERSONAS = 80
CATEGORY_SLUGS: tuple[str, ...] = tuple(slugify(v.name) for v in VOCAB)
_BRANDS: dict[str, tuple[str, ...]] = {slugify(v.name): v.brands for v in VOCAB}

_ROLES = (
    "student",
    "nurse",
    "retired teacher",
    "software developer",
    "parent of two",
    "small business owner",
    "graduate student",
    "warehouse worker",
    "freelance designer",
    "office manager",
    "new homeowner",
    "college athlete",
    "accountant",
    "barista",
    "remote worker",
    "weekend hiker",
)
_BUDGET_WORDS = ((0.35, "Budget-minded"), (0.7, "Value-conscious"), (1.01, "Comfortable-spending"))


@dataclass(frozen=True)
class Traits:
    """What the policy reads from a persona. ``budget_level`` 0..1 maps to a price within a category's range."""

    budget_level: float
    price_sensitivity: float
    review_reader: bool
    brand_loyal: bool
    favourite_brand: str | None
    typo_rate: float
    patience: int
    buy_propensity: float
    interests: tuple[str, ...]

    def budget_for(self, low: float, high: float) -> float:
        """The most this persona pays in a category whose prices run from ``low`` to ``high``."""
        raw = low + (high - low) * (0.15 + 0.85 * self.budget_level) ** 1.6
        return float(max(10, int(round(raw / 10.0)) * 10))


def _describe(rng: random.Random, t: Traits) -> str:
    budget_word = next(w for cut, w in _BUDGET_WORDS if t.budget_level < cut)
    role = rng.choice(_ROLES)
    names = {slugify(v.name): v.name.lower() for v in VOCAB}
    interests = " and ".join(names[c] for c in t.interests[:2])
    habits = []
    if t.review_reader:
        habits.append("reads reviews before deciding")
    if t.price_sensitivity > 0.6:
        habits.append("compares prices carefully")
    if t.brand_loyal and t.favourite_brand:
        habits.append(f"sticks with {t.favourite_brand} when possible")
    if t.typo_rate > 0.15:
        habits.append("types quickly and makes the odd typo")
    if t.buy_propensity < 0.08:
        habits.append("mostly browses without buying")
    elif t.buy_propensity > 0.2:
        habits.append("decides fast once something fits")
    habit_text = ", ".join(habits) if habits else "browses casually"
    return f"Synthetic persona: {budget_word} {role} who {habit_text}; mostly shops for {interests}."


def _traits(rng: random.Random) -> Traits:
    interests = tuple(rng.sample(CATEGORY_SLUGS, rng.randint(2, 4)))
    brand_loyal = rng.random() < 0.3
    favourite = rng.choice(_BRANDS[interests[0]]) if brand_loyal else None
    return Traits(
        budget_level=round(rng.random(), 3),
        price_sensitivity=round(rng.random(), 3),
        review_reader=rng.random() < 0.45,
        brand_loyal=brand_loyal,
        favourite_brand=favourite,
        typo_rate=round(rng.choice((0.03, 0.06, 0.1, 0.15, 0.22)), 3),
        patience=rng.randint(6, 14),
        buy_propensity=rng.choice((0.03, 0.08, 0.12, 0.18, 0.3)),
        interests=interests,
    )


def make_personas(seed: int = 0, n: int = DEFAULT_PERSONAS) -> tuple[Persona, ...]:
    """``n`` personas ``p000``, ``p001``, ... from ``random.Random(f"personas:{seed}")``."""
    rng = random.Random(f"personas:{seed}")
    out = []
    for i in range(n):
        t = _traits(rng)
        fields = {
            "synthetic": True,
            "budget_level": t.budget_level,
            "price_sensitivity": t.price_sensitivity,
            "review_reader": t.review_reader,
            "brand_loyal": t.brand_loyal,
            "favourite_brand": t.favourite_brand,
            "typo_rate": t.typo_rate,
            "patience": t.patience,
            "buy_propensity": t.buy_propensity,
            "interests": list(t.interests),
        }
        out.append(Persona(id=f"p{i:03d}", text=_describe(rng, t), fields=fields))
    return tuple(out)


def traits_of(persona: Persona) -> Traits:
    """The policy's view of a persona made by ``make_personas``."""
    f = persona.fields
    return Traits(
        budget_level=float(f["budget_level"]),
        price_sensitivity=float(f["price_sensitivity"]),
        review_reader=bool(f["review_reader"]),
        brand_loyal=bool(f["brand_loyal"]),
        favourite_brand=f.get("favourite_brand"),
        typo_rate=float(f["typo_rate"]),
        patience=int(f["patience"]),
        buy_propensity=float(f["buy_propensity"]),
        interests=tuple(f["interests"]),
    )


def held_out_persona_ids(personas: tuple[Persona, ...], seed: int, share: float = 0.2) -> frozenset[str]:
    """The held-out personas: a seeded ``share`` of them, so test shoppers are unseen in training."""
    ids = sorted(p.id for p in personas if p.id is not None)
    rng = random.Random(f"split:{seed}")
    rng.shuffle(ids)
    return frozenset(ids[: max(1, round(len(ids) * share))])
