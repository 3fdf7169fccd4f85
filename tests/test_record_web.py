"""``webmimic record --url URL``: recording on any web app (a small one of the test's own), a
"web" session with its origin; ``--purchase-url`` says which responses confirm a purchase."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from playwright.sync_api import Page
import pytest

from envs_helpers import oracle_replay, served
from webmimic.core.errors import WebmimicError
from webmimic.replay.record import record_session
from webmimic.replay.session import read_sessions
from webmimic.simulator import Tab
from webmimic.simulator.capture import Capture

PAGES = {
    "/": '<input name="city" type="text"><a name="open_item" href="/item">A lamp</a>',
    "/item": '<form method="post" action="/buy"><button name="buy" type="submit">Buy</button></form>',
    "/done/1": "<p>Thank you for your order.</p>",
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = PAGES.get(self.path)
        if body is None:
            self.send_error(404)
            return
        data = f"<!doctype html><html><head><title>Lamps</title></head><body>{body}</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(303)
        self.send_header("Location", "/done/1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def app() -> Iterator[str]:
    with served(Handler) as url:
        yield url


def buy(tab: Tab, capture: Capture) -> None:
    page: Page = tab.page
    page.type('[data-wm-name="city"]', "Oslo")
    page.click('[data-wm-name="open_item"]')
    capture.wait_until_observed()
    page.click('[data-wm-name="buy"]')
    page.wait_for_url("**/done/1")
    capture.wait_until_observed()
    page.close()


def test_recording_a_web_app_with_a_confirmed_purchase(app, tmp_path: Path, wm_browser):
    out = tmp_path / "web.jsonl"
    session = record_session(
        output=out, url=app + "/", purchase_url=r"/done/\d+$", browser=wm_browser, headless=True, on_ready=buy
    )
    [stored] = read_sessions(out)
    assert stored == session
    assert (stored.site, stored.origin, stored.start_url, stored.outcome) == ("web", app, "/", "purchase")
    assert [(s.action.name, s.url) for s in stored.steps] == [("open_item", "/"), ("buy", "/item")]
    assert [(op.name, op.text) for op in stored.steps[0].before] == [("city", "Oslo")]
    assert 'value="***"' in (stored.steps[0].page or "")  # masked


def test_without_purchase_url_a_web_session_ends_in_terminate(app, tmp_path: Path, wm_browser):
    session = record_session(output=tmp_path / "web.jsonl", url=app, browser=wm_browser, headless=True, on_ready=buy)
    assert session.outcome == "terminate" and session.steps[-1].url == "/done/1"


def test_a_bad_url_or_pattern_is_refused(tmp_path: Path, wm_browser):
    with pytest.raises(WebmimicError, match="not an http"):
        record_session(output=tmp_path / "x.jsonl", url="ftp://host/", browser=wm_browser, headless=True)
    with pytest.raises(WebmimicError, match="not a regular expression"):
        record_session(output=tmp_path / "x.jsonl", url="http://h/", purchase_url="(", browser=wm_browser)
    assert not (tmp_path / "x.jsonl").exists()


def test_a_recorded_web_session_replays_exactly_at_its_origin(app, tmp_path: Path, wm_browser):
    from webmimic.envs.replay_env import ReplayEnv

    out = tmp_path / "web.jsonl"
    session = record_session(
        output=out, url=app + "/", purchase_url=r"/done/\d+$", browser=wm_browser, headless=True, on_ready=buy
    )
    env = ReplayEnv(sessions=str(out), browser=wm_browser, strict=True)  # a divergence raises
    assert oracle_replay(env, session.id).exact == [True, True]
