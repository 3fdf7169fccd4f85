"""The paper's element-name format, shared by the sites (which emit names), the browser layer
(which finds elements by them) and scoring (which compares them).

A name is lower-case slug parts ``[a-z0-9_]+`` joined by dots, e.g.
``refinements.customer_reviews.4_stars__up``. ``slugify`` is the one rule for a part: drop
punctuation first, then turn *each* space (or hyphen) into ``_`` without collapsing, so
"4 Stars & Up" keeps the paper's double underscore.
"""

from __future__ import annotations

from collections.abc import Collection
import functools
import re
import unicodedata

__all__ = ["slugify", "join_name", "is_valid_name", "is_purchase_name", "last_part", "page_names", "NAME_RE"]

NAME_RE = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)*$")
_DROP = re.compile(r"[^a-z0-9 _\-]")
_SPACE = re.compile(r"[\s\-]")


def slugify(text: str) -> str:
    """One name part from visible text: "4 Stars & Up" -> "4_stars__up"; empty -> "item"."""
    return _slug(str(text))


@functools.lru_cache(maxsize=8192)  # the shop slugs the same labels on every page it renders
def _slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = _SPACE.sub(" ", plain)  # tabs/newlines/hyphens count as one space each
    kept = _DROP.sub("", plain)
    slug = kept.replace(" ", "_").strip("_")
    return slug or "item"


def join_name(*parts: str) -> str:
    """Join already-slugged parts into a hierarchical name (``a.b.c``)."""
    return ".".join(p for p in parts if p)


def is_valid_name(name: str) -> bool:
    """True when ``name`` is in the paper's format (slug parts joined by dots)."""
    return bool(NAME_RE.match(name))


def last_part(name: str) -> str:
    """The innermost part of a hierarchical name: ``product.buy_now`` -> ``buy_now``."""
    return name.rsplit(".", 1)[-1]


def is_purchase_name(name: str | None, purchase_names: Collection[str]) -> bool:
    """True when clicking ``name`` buys, on a site whose purchase controls are ``purchase_names``.

    The one rule everywhere (sites, validation, metrics, the recorder): the exact name or its
    last dotted part is a purchase name, so ``cart.place_order`` counts as ``place_order``.
    """
    return bool(name) and (name in purchase_names or last_part(str(name)) in purchase_names)


def page_names(html: str) -> list[str]:
    """The ``name`` attributes of a (simplified) page in document order; [] for a blank page.

    Raises ValueError when lxml cannot parse the page at all.
    """
    if not html.strip():
        return []
    import lxml.etree  # imported here: only pages need it, not the name grammar
    import lxml.html

    try:
        names = lxml.html.fromstring(html).xpath("//@name")
    except lxml.etree.ParserError as err:
        raise ValueError(f"not parseable as HTML: {err}") from err
    assert isinstance(names, list)  # an attribute path always gives a list
    return [str(name) for name in names]
