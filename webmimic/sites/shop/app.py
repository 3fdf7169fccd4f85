"""The shop's Flask app: server-rendered pages whose every control carries a paper-format name.

Pages are pure functions of (URL, session state): no clocks, random numbers or counters reach
the HTML, so the same clicks always give byte-identical pages. State changes are POSTs that
redirect (303) to a GET page, and page state (options, filters, sort, side bar) lives in the
URL query. The session cookie is random but never appears in a page.
"""

from __future__ import annotations

from pathlib import Path
import re
import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, g, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response

from webmimic.sites.naming import slugify
from webmimic.sites.shop import seo
from webmimic.sites.shop.catalog import Catalog, Product
from webmimic.sites.shop.search import PRICE_BUCKETS, RATING_FLOORS, SORTS, SearchPage
from webmimic.sites.shop.state import ADDRESS_FIELDS, Address, CartLine, OrderItem, ShopState, line_keys

__all__ = ["create_app", "SESSION_COOKIE"]

SESSION_COOKIE = "wm_sid"
_SID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
QUANTITIES = tuple(range(1, 11))


def _int(value: Any, default: int, lo: int, hi: int) -> int:
    try:
        return min(hi, max(lo, int(value)))
    except (TypeError, ValueError):
        return default


def _safe_next(target: str | None) -> str:
    """Only same-site paths may be redirect targets."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _with(path: str, args: dict[str, str], **changes: Any) -> str:
    """``path`` with ``args`` updated in place by ``changes`` (None removes a key)."""
    merged = dict(args)
    for key, value in changes.items():
        if value is None or value is False:
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return f"{path}?{urlencode(merged)}" if merged else path


def _product_options(product: Product, args: Any) -> tuple[tuple[str, str], ...]:
    """The product's options as chosen in the query string, defaults for the rest."""
    return tuple((name, args.get(name) if args.get(name) in values else values[0]) for name, values in product.options.items())


def create_app(catalog: Catalog | None = None, *, seed: int = 0, state: ShopState | None = None) -> Flask:
    """A fresh shop app with its own (empty) session store."""
    catalog = catalog or Catalog.open(seed)
    store = state or ShopState()
    here = Path(__file__).parent
    app = Flask(__name__, template_folder=str(here / "templates"), static_folder=str(here / "static"))
    app.config["JSON_SORT_KEYS"] = False
    app.extensions["webmimic_catalog"] = catalog
    app.extensions["webmimic_state"] = store
    app.jinja_env.filters["slug"] = slugify
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    categories = catalog.categories()
    menus = seo.mega_menus(catalog, categories)
    # Critical CSS: the utility classes the markup uses, inlined in <head> as shops do for first paint.
    critical_css = (here / "static" / "utilities.css").read_text(encoding="utf-8").strip()

    # -- session and shared context ----------------------------------------------------------
    @app.before_request
    def _session() -> None:
        sid = request.cookies.get(SESSION_COOKIE, "")
        g.new_sid = not _SID.match(sid)
        g.sid = secrets.token_urlsafe(18) if g.new_sid else sid

    @app.after_request
    def _cookie(resp: Response) -> Response:
        if getattr(g, "new_sid", False):
            resp.set_cookie(SESSION_COOKIE, g.sid, httponly=True, samesite="Lax", path="/")
        if request.path.startswith("/img/"):
            resp.headers["Cache-Control"] = "public, max-age=86400, immutable"
        elif not request.path.startswith("/static/"):
            resp.headers["Cache-Control"] = "no-store"  # pages depend on the session's state
        return resp

    def here_args() -> dict[str, str]:
        return {k: v for k, v in request.args.items() if k != "added"}

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "nav_categories": categories,
            "mega_menus": menus,
            "critical_css": critical_css,
            "seo": seo,
            "base_url": request.url_root,
            "canonical": canonical(),
            "image_widths": seo.IMAGE_WIDTHS,
            "cart_count": store.cart_count(g.sid),
            "with_args": lambda **changes: _with(request.path, here_args(), **changes),
            "here": _with(request.path, here_args()),
            "money": lambda x: f"${x:,.2f}",
            "stars": lambda r: "★" * int(round(r)) + "☆" * (5 - int(round(r))),
        }

    def canonical() -> str:
        """The page's canonical URL: its path, plus the query only where it names the content."""
        if request.path == "/search" and request.args.get("search_input"):
            return request.base_url + "?" + urlencode({"search_input": request.args["search_input"]})
        return request.base_url

    def side_bar() -> dict[str, Any] | None:
        """The "added to cart" panel, shown when a redirect after add-to-cart asks for it."""
        slug = request.args.get("added")
        product = catalog.find(slug) if slug else None
        if product is None:
            return None
        lines = store.cart(g.sid)
        subtotal = sum(catalog.get(ln.slug).price * ln.quantity for ln in lines if catalog.find(ln.slug))
        return {"product": product, "subtotal": round(subtotal, 2), "count": sum(ln.quantity for ln in lines)}

    # -- browsing ------------------------------------------------------------------------------
    @app.get("/")
    def home() -> str:
        featured = [max(catalog.products(c.slug), key=lambda p: (p.review_count, p.slug)) for c in categories[:8]]
        popular = catalog.index.popular(6)
        return render_template("home.html", page="home", categories=categories, featured=featured, popular=popular)

    def results(page_type: str, query: str, category: Any) -> str:
        args = request.args
        rating = _int(args.get("rating"), 0, 0, 5)
        result: SearchPage = catalog.search(
            query, category=category.slug if category else None, brand=args.get("brand") or None,
            min_rating=rating if rating in RATING_FLOORS else None, price=args.get("price") or None,
            free_delivery=args.get("free_delivery") == "1", sort=args.get("sort_by", "relevance"),
            page=_int(args.get("page"), 1, 1, 10_000),
        )
        filtered = any(args.get(k) for k in ("brand", "rating", "price", "free_delivery"))
        first = lo = (result.page - 1) * result.request.per_page + 1
        window = sorted({1, result.pages, *range(max(1, result.page - 2), min(result.pages, result.page + 2) + 1)})
        return render_template(
            "results.html", page=page_type, query=query, category=category, result=result, filtered=filtered,
            price_buckets=PRICE_BUCKETS, rating_floors=RATING_FLOORS, sorts=SORTS, window=window,
            first=first if result.total else 0, last=min(lo + result.request.per_page - 1, result.total),
            sort=args.get("sort_by", "relevance"), side_bar=side_bar(), rating=rating,
        )

    @app.get("/search")
    def search() -> str:
        return results("search", request.args.get("search_input", ""), None)

    @app.get("/category/<slug>")
    def category(slug: str) -> str:
        cat = catalog.category(slug)
        if cat is None:
            abort(404)
        return results("category", "", cat)

    def product_or_404(slug: str) -> Product:
        product = catalog.find(slug)
        if product is None:
            abort(404)
        return product

    @app.get("/product/<slug>")
    def product(slug: str) -> str:
        p = product_or_404(slug)
        chosen = _product_options(p, request.args)
        option_args = dict(chosen)
        siblings = catalog.products(p.category)
        i = siblings.index(p)
        related = [siblings[(i + k) % len(siblings)] for k in range(1, 5)]
        return render_template(
            "product.html", page="product", p=p, chosen=dict(chosen), option_args=option_args,
            action_args=urlencode({**option_args, "next": _with(request.path, option_args)}),
            related=related, side_bar=side_bar(), quantities=QUANTITIES,
        )

    @app.get("/product/<slug>/reviews")
    def reviews(slug: str) -> str:
        p = product_or_404(slug)
        stars = _int(request.args.get("stars"), 0, 0, 5)
        shown = [r for r in p.reviews if not stars or r.stars == stars]
        return render_template("reviews.html", page="reviews", p=p, star_filter=stars, shown=shown)

    @app.get("/img/<slug>.svg")
    def image(slug: str) -> Response:
        """Placeholder product photography: a deterministic SVG letter tile at the asked width."""
        p = catalog.find(slug)
        if p is None and slug != "logo":
            abort(404)
        width = _int(request.args.get("w"), 320, 16, 1280)
        letter = p.category_name[:1] if p else "s"
        return Response(seo.placeholder_svg(letter, slug, width), mimetype="image/svg+xml")

    @app.get("/api/suggest")
    def suggest() -> Response:
        q = request.args.get("q", "")
        return jsonify({"query": q, "suggestions": [
            {"term": t, "name": f"search_suggestions.{slugify(t)}", "url": "/search?" + urlencode({"search_input": t})}
            for t in catalog.index.suggest(q)
        ]})

    @app.get("/api/state")
    def api_state() -> Response:
        """This browser's cart, checkout and orders as JSON: how envs read back what was bought."""
        def line(ln: CartLine) -> dict[str, Any]:
            return {"slug": ln.slug, "options": dict(ln.options), "quantity": ln.quantity}

        _, checkout_lines = store.checkout_lines(g.sid)
        return jsonify({
            "cart": [line(ln) for ln in store.cart(g.sid)],
            "checkout": [line(ln) for ln in checkout_lines],
            "orders": [{"number": o.number, "items": [
                {"slug": i.slug, "options": dict(i.options), "quantity": i.quantity, "price": i.price} for i in o.items
            ]} for o in store.orders(g.sid)],
        })

    # -- cart ------------------------------------------------------------------------------------
    def redirect_added(target: str, slug: str) -> Response:
        target = _safe_next(target)
        sep = "&" if "?" in target else "?"
        return redirect(f"{target}{sep}{urlencode({'added': slug})}", code=303)

    @app.post("/cart/add/<slug>")
    def add_to_cart(slug: str) -> Response:
        p = product_or_404(slug)
        store.add_to_cart(g.sid, p.slug, _product_options(p, request.args), _int(request.form.get("quantity"), 1, 1, 10))
        return redirect_added(request.args.get("next", f"/product/{p.slug}"), p.slug)

    @app.post("/buy/<slug>")
    def buy_now(slug: str) -> Response:
        p = product_or_404(slug)
        line = CartLine(p.slug, _product_options(p, request.args), _int(request.form.get("quantity"), 1, 1, 10))
        store.start_checkout(g.sid, buy_now=line)
        return redirect("/checkout", code=303)

    def lines_view(lines: tuple[CartLine, ...]) -> list[dict[str, Any]]:
        out = []
        for ln, key in zip(lines, line_keys(lines)):
            p = catalog.find(ln.slug)
            if p is not None:
                out.append({"key": key, "line": ln, "p": p, "total": round(p.price * ln.quantity, 2)})
        return out

    @app.get("/cart")
    def cart() -> str:
        lines = lines_view(store.cart(g.sid))
        saved = lines_view(store.saved(g.sid))
        subtotal = round(sum(v["total"] for v in lines), 2)
        return render_template("cart.html", page="cart", lines=lines, saved=saved, subtotal=subtotal, quantities=QUANTITIES)

    def cart_line(key: str, *, saved: bool = False) -> CartLine:
        line = store.find(g.sid, key, saved=saved)
        if line is None:
            abort(404)
        return line

    @app.post("/cart/<key>/quantity")
    def cart_quantity(key: str) -> Response:
        line = cart_line(key)
        store.set_quantity(g.sid, line, _int(request.form.get(f"cart.{key}.quantity"), line.quantity, 0, 10))
        return redirect("/cart", code=303)

    @app.post("/cart/<key>/delete")
    def cart_delete(key: str) -> Response:
        store.remove(g.sid, cart_line(key))
        return redirect("/cart", code=303)

    @app.post("/cart/<key>/save")
    def cart_save(key: str) -> Response:
        store.save_for_later(g.sid, cart_line(key))
        return redirect("/cart", code=303)

    @app.post("/saved/<key>/move")
    def saved_move(key: str) -> Response:
        store.move_to_cart(g.sid, cart_line(key, saved=True))
        return redirect("/cart", code=303)

    @app.post("/saved/<key>/delete")
    def saved_delete(key: str) -> Response:
        store.delete_saved(g.sid, cart_line(key, saved=True))
        return redirect("/cart", code=303)

    # -- checkout and orders ---------------------------------------------------------------------
    @app.post("/checkout/start")
    def checkout_start() -> Response:
        store.start_checkout(g.sid)
        return redirect("/checkout", code=303)

    @app.get("/checkout")
    def checkout() -> str:
        source, lines = store.checkout_lines(g.sid)
        items = lines_view(lines)
        address = store.address(g.sid)
        missing = address.missing() if request.args.get("missing") == "1" and items else ()
        return render_template(
            "checkout.html", page="checkout", source=source, items=items, address=address, fields=ADDRESS_FIELDS,
            missing=missing, total=round(sum(v["total"] for v in items), 2),
        )

    @app.post("/checkout")
    def checkout_submit() -> Response:
        # Enter in any one field lands here too: keep whatever was typed so far.
        old = store.address(g.sid)
        values = {key: request.form.get(f"checkout.{key}", getattr(old, key)).strip()[:200] for key, _ in ADDRESS_FIELDS}
        address = Address(**values)
        store.save_address(g.sid, address)
        if "place_order" not in request.form:
            return redirect("/checkout", code=303)
        source, lines = store.checkout_lines(g.sid)
        items = lines_view(lines)
        if not items or address.missing():
            return redirect("/checkout?missing=1", code=303)
        order = store.place_order(
            g.sid,
            [OrderItem(v["p"].slug, v["p"].title, v["line"].options, v["line"].quantity, v["p"].price) for v in items],
            address, clear_cart=source == "cart",
        )
        return redirect(f"/order/{order.number}", code=303)

    @app.get("/order/<int:number>")
    def order(number: int) -> str:
        found = store.order(g.sid, number)
        if found is None:
            abort(404)
        return render_template("order.html", page="order", order=found)

    @app.get("/orders")
    def orders() -> str:
        return render_template("orders.html", page="orders", orders=store.orders(g.sid))

    @app.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int]:
        return render_template("not_found.html", page="not_found"), 404

    return app
