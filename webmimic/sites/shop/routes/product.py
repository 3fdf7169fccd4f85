"""Product pages: the detail page with its options, the reviews page and placeholder product images."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request
from werkzeug.wrappers import Response

from webmimic.sites.shop import seo
from webmimic.sites.shop.resources import catalog
from webmimic.sites.shop.routes.helpers import QUANTITIES, int_arg, product_options, product_or_404, side_bar, with_args

__all__ = ["bp"]

bp = Blueprint("product", __name__)


@bp.get("/product/<slug>")
def product(slug: str) -> str:
    """One product, with the options chosen in the query string and four related products."""
    p = product_or_404(slug)
    chosen = product_options(p, request.args)
    option_args = dict(chosen)
    siblings = catalog().products(p.category)
    i = siblings.index(p)
    related = [siblings[(i + k) % len(siblings)] for k in range(1, 5)]
    return render_template(
        "product.html",
        page="product",
        p=p,
        chosen=dict(chosen),
        option_args=option_args,
        action_args=urlencode({**option_args, "next": with_args(request.path, option_args)}),
        related=related,
        side_bar=side_bar(),
        quantities=QUANTITIES,
    )


@bp.get("/product/<slug>/reviews")
def reviews(slug: str) -> str:
    """All of a product's reviews, optionally only those with one star rating."""
    p = product_or_404(slug)
    stars = int_arg(request.args.get("stars"), 0, 0, 5)
    shown = [r for r in p.reviews if not stars or r.stars == stars]
    return render_template("reviews.html", page="reviews", p=p, star_filter=stars, shown=shown)


@bp.get("/img/<slug>.svg")
def image(slug: str) -> Response:
    """Placeholder product photography: a deterministic SVG letter tile at the asked width."""
    p = catalog().find(slug)
    if p is None and slug != "logo":
        abort(404)
    width = int_arg(request.args.get("w"), 320, 16, 1280)
    letter = p.category_name[:1] if p else "s"
    return Response(seo.placeholder_svg(letter, slug, width), mimetype="image/svg+xml")
