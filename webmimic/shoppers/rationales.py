"""First-person rationale sentences for the synthetic shoppers' decisions.

Every sentence is filled from the decision the policy actually took (its kind and the facts it
acted on: the query, the budget, the product, the typo), so a rationale is the policy's real
reason, worded a few ways so models cannot key on one fixed string.
"""

from __future__ import annotations

import random

__all__ = ["say", "KINDS"]

_TEXTS: dict[str, tuple[str, ...]] = {
    "first_search": (
        "I'm looking for {what}, so I'll search for \"{query}\".",
        'I want to find {what}; searching for "{query}" is the quickest way.',
        'I need {what}, so I\'ll start by searching "{query}".',
    ),
    "typo_retype": (
        'I misspelled my search, so I\'ll type "{query}" again correctly.',
        'Oops, I made a typo; let me search for "{query}" instead.',
        'That search had a typo in it, so I\'ll fix it and search "{query}".',
    ),
    "typo_did_you_mean": (
        'I misspelled my search; the "did you mean" link has what I meant.',
        "I made a typo, so I'll click the suggested spelling.",
    ),
    "no_results_broaden": (
        '"{old}" found nothing, so I\'ll try the broader "{query}".',
        'No results for that; I\'ll drop a word and search "{query}".',
    ),
    "no_results_suggestion": (
        'Nothing matched, so I\'ll try the suggested search "{term}".',
        'My search found nothing; "{term}" from the suggestions looks close enough.',
    ),
    "refine_query": (
        'These results are too broad, so I\'ll search for "{query}" instead.',
        'I want something more specific, so I\'ll add to my search: "{query}".',
        'Let me narrow it down with "{query}".',
    ),
    "broaden_query": (
        'That search is too narrow; I\'ll try just "{query}".',
        'I\'ll drop a word and search "{query}" to see more options.',
    ),
    "brand_query": (
        'I usually trust {brand}, so I\'ll search for "{query}".',
        'I\'d rather have {brand}; searching "{query}".',
    ),
    "colour_query": (
        'I really want it in {colour}, so I\'ll search for "{query}".',
        'Let me look specifically for {colour}: "{query}".',
    ),
    "synonym_query": (
        'Maybe a different word finds better options; I\'ll try "{query}".',
        'I\'ll search for "{query}" instead and compare what comes up.',
    ),
    "over_budget_query": ('Most of these are over my ${budget:.0f} budget, so I\'ll try "{query}".',),
    "new_product_search": (
        'I\'ve looked at this one; let me search "{query}" to compare other options.',
        'Before deciding I want to see more, so I\'ll search for "{query}".',
        "This isn't quite it; I'll go back to searching with \"{query}\".",
    ),
    "related_search": (
        'The related search "{term}" looks like what I want.',
        '"{term}" sounds closer to what I need, so I\'ll click it.',
    ),
    "view_product": (
        "The {title} looks promising at ${price:.2f}, so I'll open it.",
        "I'll take a closer look at the {title}.",
        "The {title} could be what I want; let me check the details.",
    ),
    "view_cheap_product": (
        "The {title} is within my ${budget:.0f} budget at ${price:.2f}, so I'll open it.",
        "At ${price:.2f} the {title} fits my budget; let me look at it.",
    ),
    "view_rated_product": (
        "The {title} has a {rating} star rating, so I'll check it out.",
        "With {rating} stars the {title} looks well reviewed; I'll open it.",
    ),
    "view_brand_product": ("The {title} is from {brand}, a brand I like, so I'll open it.",),
    "compare_product": (
        "I want to compare it with another option, so I'll open the {title}.",
        "Let me compare: the {title} might be a better deal.",
    ),
    "filter_brand": ("I prefer {brand}, so I'll filter the results to that brand.",),
    "filter_price": (
        "My budget is about ${budget:.0f}, so I'll filter by price.",
        "Many of these cost too much; I'll use the {label} price filter.",
    ),
    "filter_rating": ("I only want well-reviewed items, so I'll filter to {stars} stars and up.",),
    "filter_delivery": ("I don't want to pay for shipping, so I'll show only free delivery items.",),
    "sort_price": (
        "The first results are over my ${budget:.0f} budget, so I'll sort by price.",
        "I want to see the cheapest options first, so I'll sort by price, low to high.",
    ),
    "sort_rating": ("I care about reviews, so I'll sort by average customer review.",),
    "paginate": (
        "Nothing on this page grabbed me, so I'll look at the next page.",
        "I'll check the next page of results for more options.",
    ),
    "add_from_results": ("The {title} is exactly what I need at ${price:.2f}, so I'll add it straight to my cart.",),
    "pick_option": (
        "I'd want it in {value}, so I'll select that {option}.",
        "Let me check the {value} {option} option.",
        "I'll pick {value} for the {option}.",
    ),
    "pick_quantity": (
        "I need {qty} of these, so I'll change the quantity.",
        "I'll get {qty} so I have a spare.",
    ),
    "read_reviews": (
        "Before deciding I want to read what other buyers say.",
        "The rating is {rating}; I'll read the reviews to see if it holds up.",
        "I'll check all the reviews before I spend ${price:.2f}.",
    ),
    "review_star_filter": (
        "I want to see the {stars}-star reviews to know what people {feel}.",
        "Let me read just the {stars}-star reviews.",
    ),
    "back_to_product": (
        "I've read enough reviews; back to the product.",
        "The reviews look {verdict}; I'll go back to the product page.",
    ),
    "add_to_cart": (
        "The {title} fits what I want, so I'll add it to my cart for now.",
        "I'll put this in my cart while I keep looking.",
        "This one is a good candidate at ${price:.2f}; adding it to the cart.",
    ),
    "view_cart": (
        "Let me look at my cart to see what I've got.",
        "I'll check my cart and compare what's in it.",
    ),
    "close_side_bar": ("I'll close this panel and keep looking at the product.",),
    "view_related": (
        "The related {title} might be better, so I'll take a look.",
        "I'll compare with a similar item, the {title}.",
    ),
    "category_nav": (
        "I'll browse the whole {category} category instead.",
        "Let me see everything in {category}.",
    ),
    "brand_store": ("I'd like to see what else {brand} makes.",),
    "cart_quantity": ("I only need {qty} of the {title}, so I'll change the quantity.",),
    "cart_delete": (
        "I don't want the {title} after all, so I'll remove it.",
        "The {title} is more than I want to spend; deleting it from the cart.",
    ),
    "cart_save": ("I'm not ready to buy the {title}, so I'll save it for later.",),
    "cart_view_product": ("I want another look at the {title} in my cart.",),
    "go_home": ("I'll go back to the home page and start over.",),
    "buy": (
        "The {title} fits my ${budget:.0f} budget and has what I need, so I'll buy it now.",
        "I've compared enough; the {title} at ${price:.2f} is the one, so I'll buy it.",
        "This is the right choice for me, so I'll click Buy Now.",
    ),
    "buy_return": (
        "I've decided on the {title}; let me open it to buy it.",
        "The {title} was the best option I saw, so I'll go back to it.",
    ),
    "terminate": (
        "I've seen enough for now; I'll think about it and come back later.",
        "Nothing here is quite right for me, so I'll leave for now.",
        "I'm not ready to buy yet, so I'll stop here.",
        "None of these convinced me at my ${budget:.0f} budget; I'm done for now.",
        "I'll compare prices elsewhere before deciding, so I'm leaving.",
    ),
    "terminate_cart": (
        "I've put it in my cart, but I'll wait before buying.",
        "I'll leave it in my cart and decide later.",
    ),
}

KINDS: frozenset[str] = frozenset(_TEXTS)


def say(rng: random.Random, kind: str, **facts: object) -> str:
    """One rationale sentence for decision ``kind``, filled with the facts it acted on."""
    return rng.choice(_TEXTS[kind]).format(**facts)
