"""The recorder captures what a person does and only that: suggestion clicks, fields typed into
without submitting, back/forward, a purchase only when the site confirms one, masked form
values, and a recording badge that no observation shows. Real shop, real Chromium, Playwright
playing the person (tests/test_record_e2e.py does the same with real X11 input)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PWTimeoutError
import pytest

from envs_helpers import oracle_replay
from webmimic.replay.record import record_session
from webmimic.replay.session import Session, read_sessions, validate_session
from webmimic.simulator import Tab
from webmimic.simulator.capture import Capture, mask_form_values
from webmimic.sites import get_site

ADDRESS = [("full_name", "Ada Lovelace"), ("street", "1 Main St"), ("city", "London")]
FIRST_PRODUCT = '[data-wm-name^="search_results."][data-wm-name$=".view_product"]'


def css(name: str) -> str:
    return f'[data-wm-name="{name}"]'


def shop_like_a_person(page: Page, capture: Capture) -> None:
    """Type into the search box and take a suggestion, open a product, go back and forward,
    buy now, type the address without submitting, place the order (refused: no zip), type the
    zip, place it again (confirmed), look around a little more, close the window."""
    page.type(css("search_input"), "head")
    page.click("#search-suggestions a >> nth=0")
    capture.wait_until_observed()
    page.click(FIRST_PRODUCT)
    capture.wait_until_observed()
    page.go_back()
    capture.wait_until_observed()
    page.go_forward()
    capture.wait_until_observed()
    page.click(css("buy_now"))
    capture.wait_until_observed()
    for field, text in ADDRESS:
        page.type(css(f"checkout.{field}"), text)
    page.click(css("place_order"))
    page.wait_for_url("**/checkout?missing=1")
    capture.wait_until_observed()
    page.type(css("checkout.zip"), "12345")
    page.click(css("place_order"))
    page.wait_for_url("**/order/*")
    capture.wait_until_observed()
    assert not page.is_closed()  # the window stays open after a purchase
    page.click(css("nav_bar.home"))  # after the purchase: not part of the session
    capture.wait_until_observed()
    page.close()


def record(tmp_path: Path, wm_browser, drive: Callable[[Page, Capture], None], **kw) -> tuple[Session, Path]:
    out = tmp_path / "rec.jsonl"

    def on_ready(tab: Tab, capture: Capture) -> None:
        drive(tab.page, capture)

    return record_session(output=str(out), browser=wm_browser, headless=True, on_ready=on_ready, **kw), out


@pytest.fixture(scope="module")
def shopped(tmp_path_factory, wm_browser) -> tuple[Session, Path]:
    return record(tmp_path_factory.mktemp("shop"), wm_browser, shop_like_a_person, session_id="s1")


def test_everything_the_person_did_is_recorded(shopped):
    session, out = shopped
    [stored] = read_sessions(out)
    assert stored == session
    steps = stored.steps
    actions = [(s.action.type, s.action.name) for s in steps]
    assert actions[0][1].startswith("search_suggestions.")  # a link added while typing
    assert [op.to_dict() for op in steps[0].before] == [{"op": "fill", "name": "search_input", "text": "head"}]
    assert actions[1][1].startswith("search_results.") and not steps[1].before
    assert actions[2] == ("click", "buy_now")
    assert [op.op for op in steps[2].before] == ["back", "forward"]
    assert actions[3] == ("click", "place_order") and steps[3].url == "/checkout"
    assert [(op.name, op.text) for op in steps[3].before] == [(f"checkout.{k}", v) for k, v in ADDRESS]
    assert actions[4] == ("click", "place_order") and steps[4].url == "/checkout?missing=1"
    assert [(op.name, op.text) for op in steps[4].before] == [("checkout.zip", "12345")]
    assert len(steps) == 5 and stored.outcome == "purchase"  # nothing after the confirmed purchase
    assert validate_session(stored, purchase_names=get_site("shop").purchase_names) == []


def test_form_values_are_masked_in_saved_pages(shopped):
    session, _ = shopped
    failed = session.steps[4].page
    assert failed is not None and 'name="checkout.street" type="text" value="***"' in failed
    assert "1 Main St" not in failed and 'value="head"' in (session.steps[0].page or "")


def test_replay_follows_the_person_exactly(shopped, wm_browser):
    from webmimic.envs.replay_env import ReplayEnv

    session, out = shopped
    seen = oracle_replay(ReplayEnv(sessions=str(out), browser=wm_browser, strict=True), session.id)  # divergence raises
    assert seen.exact == [True] * len(session.steps)
    assert [mask_form_values(p) for p in seen.pages] == [s.page for s in session.steps]


def test_waiting_for_a_page_that_never_settles_times_out(tmp_path, wm_browser):
    def typing_forever(page: Page, capture: Capture) -> None:
        capture.wait_until_observed()
        page.evaluate("() => { window.__wmRec.typing = true; }")  # as while a person types
        with pytest.raises(PWTimeoutError):
            capture.wait_until_observed(timeout_ms=500)
        page.close()

    record(tmp_path, wm_browser, typing_forever)


def test_a_refused_order_is_not_a_purchase(tmp_path, wm_browser):
    def refused(page: Page, capture: Capture) -> None:
        page.goto(page.url.rstrip("/") + "/product/" + first_slug(page))
        capture.wait_until_observed()
        page.click(css("buy_now"))
        capture.wait_until_observed()
        page.click(css("place_order"))  # empty address: the shop places no order
        page.wait_for_url("**/checkout?missing=1")
        capture.wait_until_observed()
        page.close()

    session, _ = record(tmp_path, wm_browser, refused)
    assert [s.action.name for s in session.steps][-3:] == ["buy_now", "place_order", None]
    assert session.outcome == "terminate"


def first_slug(page: Page) -> str:
    page.type(css("search_input"), "headphones")
    page.press(css("search_input"), "Enter")
    page.wait_for_url("**/search?*")
    href = page.get_attribute(FIRST_PRODUCT, "href") or ""
    return href.rsplit("/", 1)[-1].split("?", 1)[0]


def test_keep_inputs_keeps_form_values(tmp_path, wm_browser):
    def typed(page: Page, capture: Capture) -> None:
        page.goto(page.url.rstrip("/") + "/product/" + first_slug(page))
        capture.wait_until_observed()
        page.click(css("buy_now"))
        capture.wait_until_observed()
        page.type(css("checkout.city"), "London")
        page.click(css("checkout.save_address"))
        page.wait_for_url("**/checkout")
        capture.wait_until_observed()
        page.close()

    kept, out = record(tmp_path, wm_browser, typed, keep_inputs=True)
    assert 'name="checkout.city" type="text" value="London"' in (kept.steps[-1].page or "")
    assert "London" in out.read_text(encoding="utf-8")


PASSWORD_PAGE = """<!doctype html><html><body>
<form id="f"><input name="login_user" type="text"><input name="login_password" type="password">
<button name="sign_in" type="submit">Sign in</button></form><a name="go_home" href="/">Home</a>
<script>document.getElementById("f").addEventListener("submit", (e) => e.preventDefault());</script>
</body></html>"""


@pytest.mark.parametrize("keep_inputs", [False, True])
def test_passwords_are_never_saved(tmp_path, wm_browser, keep_inputs):
    secret = "hunter2-secret"

    def login(page: Page, capture: Capture) -> None:
        base = page.url.rstrip("/")
        page.route(base + "/login", lambda r: r.fulfill(status=200, content_type="text/html", body=PASSWORD_PAGE))
        page.goto(base + "/login")
        capture.wait_until_observed()
        page.type(css("login_user"), "ada")
        page.type(css("login_password"), secret)  # typed, not submitted: a fill of the user only
        page.click(css("go_home"))
        capture.wait_until_observed()
        page.close()

    session, out = record(tmp_path, wm_browser, login, keep_inputs=keep_inputs)
    assert [op.name for op in session.steps[0].before] == ["login_user"]
    assert secret not in out.read_text(encoding="utf-8")


def test_the_recording_badge_is_outside_every_observation(tmp_path, wm_browser):
    seen: dict[str, str] = {}

    def look(page: Page, capture: Capture) -> None:
        assert page.locator("wm-recording-indicator").count() == 1  # shown to the person
        with wm_browser.new_tab() as plain:  # the same page, not recording
            seen["plain"] = plain.goto(page.url).html
        page.close()

    session, _ = record(tmp_path, wm_browser, look, keep_inputs=True)
    assert session.steps[0].page == seen["plain"]


def test_before_operations_round_trip_and_bad_ones_are_reported(shopped):
    from webmimic.core.errors import DataFormatError

    session, _ = shopped
    line = session.to_dict()
    assert Session.from_dict(line) == session and "before" in line["steps"][0]
    assert "before" not in line["steps"][1]  # written only when a step has operations
    line["steps"][2]["before"] = [{"op": "sideways"}]
    with pytest.raises(DataFormatError) as err:
        Session.from_dict(line, path="s.jsonl", line=1)
    assert err.value.field == "steps[2].before[0]" and "fill, back, forward" in str(err.value)
