"""The shop over a real socket: loopback only, idempotent close, site registry."""

from __future__ import annotations

import threading
import urllib.request

import pytest

from webmimic.core.errors import SiteError
from webmimic.sites import SITE_NAMES, SiteServer, get_site


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.read()


def test_registry() -> None:
    assert SITE_NAMES == ("shop",)
    site = get_site("shop")
    assert site.name == "shop" and site.start_path == "/"
    assert site.purchase_names == frozenset({"buy_now", "place_order"})
    assert site.is_purchase("buy_now") and site.is_purchase("place_order")
    assert not site.is_purchase("add_to_cart") and not site.is_purchase(None)
    with pytest.raises(SiteError, match="shop"):
        get_site("amazon")


def test_real_server_serves_and_closes() -> None:
    site = get_site("shop")
    with site.serve() as server:
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0
        status, body = _get(server.url + site.start_path)
        assert status == 200 and b'data-page="home"' in body
        status, body = _get(server.url + "/search?search_input=headphones")
        assert b"search_results." in body
        assert _get(server.url + "/static/shop.js")[0] == 200
        server.close()
        server.close()
        assert server.closed
    server.close()
    with pytest.raises(OSError):
        _get(server.url + "/")


def test_refuses_public_hosts() -> None:
    app = lambda environ, start_response: []  # noqa: E731 - never served
    for host in ("0.0.0.0", "::", "192.0.2.1", "example.com"):
        with pytest.raises(SiteError):
            SiteServer(app, host=host)
    with pytest.raises(SiteError):
        get_site("shop").serve(host="0.0.0.0")


def test_run_until_interrupted_returns_after_close() -> None:
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = SiteServer(app)
    assert _get(server.url)[1] == b"ok"
    closer = threading.Timer(0.05, server.close)
    closer.start()
    server.run_until_interrupted()  # returns once the serving thread stops
    closer.join()
    assert server.closed
