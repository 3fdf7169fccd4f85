"""The recorder end to end: real shop, real Chromium, Playwright playing the person."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page
import pytest

from envs_helpers import oracle_replay
from webmimic.core.errors import WebmimicError
from webmimic.replay.record import record_session
from webmimic.replay.session import Session, read_sessions, validate_session
from webmimic.simulator import Tab
from webmimic.simulator.capture import Capture, mask_form_values
from webmimic.sites import get_site

PRODUCT = "search_results.aurio_wireless_gaming_headphones.view_product"


_CAPTURES: dict[Page, Capture] = {}


def driving(drive: Callable[[Page], None]) -> Callable[[Tab, Capture], None]:
    """The recorder's on_ready for a function that plays the person on the page."""

    def on_ready(tab: Tab, capture: Capture) -> None:
        _CAPTURES[tab.page] = capture
        try:
            drive(tab.page)
        finally:
            del _CAPTURES[tab.page]

    return on_ready


def wait_until_observed(page: Page) -> None:
    _CAPTURES[page].wait_until_observed()


def css(name: str) -> str:
    return f'[data-wm-name="{name}"]'


def click(page: Page, name: str) -> None:
    page.click(css(name))
    wait_until_observed(page)


def type_enter(page: Page, name: str, text: str) -> None:
    page.fill(css(name), text)
    page.press(css(name), "Enter")
    wait_until_observed(page)


def browse(page: Page) -> None:
    """Search, open a product, choose a colour and a quantity, add to cart, open the cart, leave."""
    type_enter(page, "search_input", "headphones")
    click(page, PRODUCT)
    click(page, "product_options.color.blue")
    page.select_option(css("quantity"), "2")
    wait_until_observed(page)
    click(page, "add_to_cart")
    click(page, "cart_side_bar.view_cart")
    page.close()


def buy(page: Page) -> None:
    """Search, open a product, buy now, fill the address field by field, place the order."""
    type_enter(page, "search_input", "headphones")
    click(page, PRODUCT)
    click(page, "buy_now")
    for field, text in [("full_name", "Ada Lovelace"), ("street", "1 Main St"), ("city", "London"), ("zip", "12345")]:
        type_enter(page, f"checkout.{field}", text)
    page.click(css("place_order"))
    # The window stays open after the purchase until the person closes it.
    page.wait_for_url("**/order/*")
    wait_until_observed(page)
    page.close()


def record(tmp_path: Path, wm_browser, drive: Callable[[Page], None], **kw) -> tuple[Session, Path]:
    out = tmp_path / "rec.jsonl"
    session = record_session(output=str(out), browser=wm_browser, headless=True, on_ready=driving(drive), **kw)
    return session, out


@pytest.fixture(scope="module")
def browsed(tmp_path_factory, wm_browser) -> tuple[Session, Path]:
    return record(
        tmp_path_factory.mktemp("browse"), wm_browser, browse, persona="A gamer on a budget.", session_id="b1"
    )


@pytest.fixture(scope="module")
def bought(tmp_path_factory, wm_browser) -> tuple[Session, Path]:
    return record(tmp_path_factory.mktemp("buy"), wm_browser, buy, session_id="p1")


def test_browse_session_steps(browsed):
    session, out = browsed
    [stored] = read_sessions(out)
    assert stored == session
    assert [s.action.to_dict() for s in stored.steps] == [
        {"type": "type_and_submit", "name": "search_input", "text": "headphones"},
        {"type": "click", "name": PRODUCT},
        {"type": "click", "name": "product_options.color.blue"},
        {"type": "click", "name": "quantity.2"},
        {"type": "click", "name": "add_to_cart"},
        {"type": "click", "name": "cart_side_bar.view_cart"},
        {"type": "terminate"},
    ]
    assert stored.outcome == "terminate" and stored.source == "recorded"
    assert stored.site == "shop" and stored.start_url == "/"
    assert stored.persona is not None and stored.persona.text == "A gamer on a budget."
    assert validate_session(stored, purchase_names=get_site("shop").purchase_names) == []
    urls = [s.url for s in stored.steps]
    assert urls[0] == "/" and urls[1].startswith("/search?") and urls[-1] == "/cart"
    assert all(u.startswith("/") and not urlsplit(u).netloc for u in urls)
    for step in stored.steps:
        assert step.page
        if step.action.name:
            assert f'name="{step.action.name}"' in step.page
    # The page is the one seen *before* the action: still the default quantity when choosing 2.
    assert '<option name="quantity.1" selected>' in stored.steps[3].page
    assert '<option name="quantity.2" selected>' in stored.steps[4].page
    # ...and before typing: the search box was still empty.
    assert 'value="headphones"' not in stored.steps[0].page


def test_purchase_session(bought):
    session, out = bought
    [stored] = read_sessions(out, purchase_names_for=lambda s: get_site(s).purchase_names)
    names = [s.action.name for s in stored.steps]
    assert names[:3] == ["search_input", PRODUCT, "buy_now"]
    assert [(s.action.name, s.action.text) for s in stored.steps[3:7]] == [
        ("checkout.full_name", "Ada Lovelace"),
        ("checkout.street", "1 Main St"),
        ("checkout.city", "London"),
        ("checkout.zip", "12345"),
    ]
    assert names[-1] == "place_order" and len(names) == 8
    assert stored.outcome == "purchase"
    assert stored.steps[-1].url == "/checkout"
    # The saved address shows on the page, masked (personal data); search text is kept.
    assert 'value="12345"' not in stored.steps[-1].page
    assert '<input name="checkout.zip" type="text" value="***">' in stored.steps[-1].page
    assert 'value="headphones"' in stored.steps[1].page


@pytest.mark.parametrize("which", ["browsed", "bought"])
def test_round_trip_replays_exactly(which, request, wm_browser):
    from webmimic.envs.replay_env import ReplayEnv

    session, out = request.getfixturevalue(which)
    # strict: a live page that differs from the recorded one raises ReplayDivergenceError.
    seen = oracle_replay(ReplayEnv(sessions=str(out), browser=wm_browser, strict=True), session.id)
    assert seen.exact == [True] * len(session.steps)
    # Saved pages mask form values; the live ones, masked the same way, are byte-identical.
    assert [mask_form_values(p) for p in seen.pages] == [s.page for s in session.steps]
    assert seen.urls == [s.url for s in session.steps]


def test_append_to_existing_file(browsed, tmp_path, wm_browser):
    _, first = browsed
    out = tmp_path / "both.jsonl"
    out.write_bytes(first.read_bytes())

    def leave(page: Page) -> None:
        click(page, "nav_bar.categories.laptops")
        page.close()

    second = record_session(output=str(out), browser=wm_browser, on_ready=driving(leave), session_id="b2")
    assert [s.id for s in read_sessions(out)] == ["b1", "b2"]
    assert [s.action.to_dict() for s in second.steps] == [
        {"type": "click", "name": "nav_bar.categories.laptops"},
        {"type": "terminate"},
    ]
    assert second.persona is None
    with pytest.raises(WebmimicError, match="already holds"):
        record_session(output=str(out), browser=wm_browser, on_ready=driving(lambda p: p.close()), session_id="b2")
    assert len(read_sessions(out)) == 2


LOGIN = """<!doctype html><html><head><title>Sign in</title></head><body>
<form id="f"><label>User <input name="login_user" type="text"></label>
<label>Password <input name="login_password" type="password"></label>
<button name="sign_in" type="submit">Sign in</button></form>
<p id="msg"></p><a name="go_home" href="/">Home</a>
<script>document.getElementById("f").addEventListener("submit", (e) => {
  e.preventDefault(); document.getElementById("msg").textContent = "Welcome";
});</script></body></html>"""


def test_passwords_are_never_recorded(tmp_path, wm_browser):
    secret = "hunter2-secret"

    def login(page: Page) -> None:
        base = page.url.rstrip("/")
        page.route(base + "/login", lambda route: route.fulfill(status=200, content_type="text/html", body=LOGIN))
        page.goto(base + "/login")
        wait_until_observed(page)
        type_enter(page, "login_user", "ada")
        page.fill(css("login_password"), secret)
        page.press(css("login_password"), "Enter")  # Enter in a password field: no step
        wait_until_observed(page)
        page.fill(css("login_password"), secret + "2")
        click(page, "sign_in")  # typed a password, then the submit button: still nothing recorded
        click(page, "go_home")
        page.close()

    session, out = record(tmp_path, wm_browser, login)
    assert [s.action.to_dict() for s in session.steps] == [
        {"type": "type_and_submit", "name": "login_user", "text": "ada"},
        {"type": "click", "name": "go_home"},
        {"type": "terminate"},
    ]
    assert session.steps[0].url == "/login"
    assert 'name="login_password"' in session.steps[1].page
    text = out.read_text(encoding="utf-8")
    assert secret not in text
    assert json.loads(text)["steps"][1]["page"].count("value=") == 1  # only the user name


def test_observation_never_shows_a_password(wm_tab):
    obs = wm_tab.set_content('<input name="pw" type="password" value="s3cret"><input name="u" value="ada">')
    assert "s3cret" not in obs.html and 'value="ada"' in obs.html and "pw" in obs.names


def test_on_ready_may_close_at_once(tmp_path, wm_browser):
    session, _ = record(tmp_path, wm_browser, lambda page: page.close())
    assert [s.action.type for s in session.steps] == ["terminate"]
    assert session.steps[0].url == "/" and session.steps[0].page and "search_input" in session.steps[0].page


def test_typing_then_clicking_the_submit_button_is_type_and_submit(tmp_path, wm_browser):
    def search(page: Page) -> None:
        page.fill(css("search_input"), "backpack")
        click(page, "search_button")
        with page.context.expect_page() as other:
            page.evaluate("() => window.open(location.href)")  # a tab aside is not recorded
        other.value.wait_for_load_state()
        other.value.click(css("nav_bar.cart"))
        other.value.close()
        page.close()

    session, _ = record(tmp_path, wm_browser, search)
    assert [s.action.to_dict() for s in session.steps] == [
        {"type": "type_and_submit", "name": "search_input", "text": "backpack"},
        {"type": "terminate"},
    ]
    assert session.steps[-1].url.startswith("/search?")
