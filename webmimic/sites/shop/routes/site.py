"""App-wide hooks: the session cookie, cache headers, the layout's template globals and the 404 page.

They live on a blueprint registered with ``app_*`` decorators so they run for every request,
static files and unknown URLs included, exactly as hooks registered on the app itself would.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, g, render_template, request
from werkzeug.wrappers import Response

from webmimic.sites.shop import seo
from webmimic.sites.shop.resources import resources
from webmimic.sites.shop.routes.helpers import here_args, with_args

__all__ = ["bp", "SESSION_COOKIE"]

SESSION_COOKIE = "wm_sid"
_SID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

bp = Blueprint("site", __name__)


@bp.before_app_request
def _session() -> None:
    """Adopt the browser's session id, or mint one (sent back by :func:`_cookie`)."""
    sid = request.cookies.get(SESSION_COOKIE, "")
    g.new_sid = not _SID.match(sid)
    g.sid = secrets.token_urlsafe(18) if g.new_sid else sid


@bp.after_app_request
def _cookie(resp: Response) -> Response:
    """Set a new session's cookie; cache images and static files for the day and pages never.

    Static files never change while a shop serves, so a page load need not ask again: without
    this, Flask's ``no-cache`` made every page revalidate shop.css and shop.js (two more requests
    per step). Pages depend on the session's state, so they are never stored."""
    if getattr(g, "new_sid", False):
        resp.set_cookie(SESSION_COOKIE, g.sid, httponly=True, samesite="Lax", path="/")
    if request.path.startswith(("/img/", "/static/")):
        resp.headers["Cache-Control"] = "public, max-age=86400, immutable"
    else:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def canonical() -> str:
    """The page's canonical URL: its path, plus the query only where it names the content."""
    if request.path == "/search" and request.args.get("search_input"):
        return request.base_url + "?" + urlencode({"search_input": request.args["search_input"]})
    return request.base_url


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    """What base.html needs on every page: navigation, critical CSS, cart count and URL helpers."""
    shop = resources()
    return {
        "nav_categories": shop.categories,
        "mega_menu_html": shop.mega_menu_html,
        "critical_css": shop.critical_css,
        "seo": seo,
        "base_url": request.url_root,
        "canonical": canonical(),
        "image_widths": seo.IMAGE_WIDTHS,
        "cart_count": shop.store.cart_count(g.sid),
        "with_args": lambda **changes: with_args(request.path, here_args(), **changes),
        "here": with_args(request.path, here_args()),
        "money": lambda x: f"${x:,.2f}",
        "stars": lambda r: "★" * int(round(r)) + "☆" * (5 - int(round(r))),
    }


@bp.app_errorhandler(404)
def not_found(_: Exception) -> tuple[str, int]:
    """The shop's own 404 page, for unknown URLs and for views that ``abort(404)``."""
    return render_template("not_found.html", page="not_found"), 404
