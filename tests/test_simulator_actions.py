"""Acting by name: clicks, typing, selects, and a specific error for every impossible action."""

from __future__ import annotations

import time

import pytest

from webmimic.core.actions import Action, parse_action
from webmimic.core.errors import (
    ActionParseError,
    ActionTimeoutError,
    ElementNotFoundError,
    ElementNotInteractableError,
)
from webmimic.simulator import Browser, BrowserConfig, processes


@pytest.fixture
def actions(wm_tab, pages_url):
    obs = wm_tab.goto(f"{pages_url}/actions.html")
    return wm_tab, obs


def test_click_navigates_and_returns_new_observation(actions):
    tab, obs = actions
    assert "go_to_page_two" in obs.names
    new = tab.act(parse_action({"type": "click", "name": "go_to_page_two"}))
    assert new.url.endswith("/page2.html")
    assert new.title == "Page two"
    assert "<h1>Page two</h1>" in new.html
    assert tab.last_observation == new
    back = tab.act(Action.click("back"))
    assert back.title == "Actions"


def test_type_and_submit_submits_the_form(actions):
    tab, _ = actions
    new = tab.act(
        parse_action(
            '{"rationale": "I want shoes", "action": {"type": "type_and_submit", "name": "q", "text": "red shoes"}}'
        )
    )
    assert "/result.html?q=red+shoes" in new.url
    assert "query: red shoes" in new.html  # the result page's own script ran before observing


def test_click_waits_for_dom_change_in_a_later_task(actions):
    tab, _ = actions
    new = tab.act(parse_action({"type": "click", "name": "grow"}))
    assert "grown" in new.html


def test_click_option_selects_it_and_fires_change(actions):
    tab, obs = actions
    assert "size.large" in obs.names
    new = tab.act(parse_action({"type": "click", "name": "size.large"}))
    assert '<option name="size.large" selected>' in new.html
    assert "size Large" in new.html


def test_click_select_only_focuses_it(actions):
    tab, _ = actions
    new = tab.act(parse_action({"type": "click", "name": "size"}))
    assert '<option name="size.small" selected>' in new.html
    assert tab.page.evaluate("document.activeElement.tagName") == "SELECT"


def test_click_checkbox_and_type_into_contenteditable(actions):
    tab, _ = actions
    assert "checked" in tab.act(parse_action({"type": "click", "name": "agree"})).html
    new = tab.act(parse_action({"type": "type_and_submit", "name": "editor", "text": "hello"}))
    assert "hello" in new.html


def test_shadow_dom_and_pointer_div_are_clickable(wm_tab, pages_url):
    wm_tab.goto(f"{pages_url}/naming.html")
    new = wm_tab.act(parse_action({"type": "click", "name": "shadow_panel.shadow_button"}))
    assert "shadow clicked" in new.html
    new = wm_tab.act(parse_action({"type": "click", "name": "open_card"}))
    assert "card clicked" in new.html
    new = wm_tab.act(parse_action({"type": "click", "name": "onclick_div"}))
    assert wm_tab.page.get_attribute("#onclick", "data-clicked") == "1"


def test_terminate_is_a_no_op(actions):
    tab, obs = actions
    assert tab.act(parse_action({"type": "terminate"})) == obs


def test_unknown_name_lists_closest_names(actions):
    tab, _ = actions
    with pytest.raises(ElementNotFoundError) as info:
        tab.act(parse_action({"type": "click", "name": "go_to_page_too"}))
    assert "go_to_page_two" in info.value.closest
    assert "go_to_page_two" in str(info.value)
    with pytest.raises(ElementNotFoundError):
        tab.act(parse_action({"type": "click", "name": 'x"] , [y'}))  # not a paper name: never reaches CSS
    with pytest.raises(ElementNotFoundError):
        tab.locate("nope")


@pytest.mark.parametrize(
    "bad",
    [
        "not json at all",
        '{"type": "click"}',
        '{"type": "scroll", "name": "x"}',
        '{"type": "click", "name": 3}',
        {"type": "type_and_submit", "name": "search"},
        {"type": "click", "name": "x", "extra": 1},
        42,
    ],
)
def test_malformed_actions(bad):
    with pytest.raises(ActionParseError):
        parse_action(bad)


def test_act_takes_only_a_parsed_action(actions):
    tab, _ = actions
    with pytest.raises(TypeError, match="parse agent output first"):
        tab.act({"type": "click", "name": "go_to_page_two"})  # type: ignore[arg-type]


def test_type_and_submit_on_a_button(actions):
    tab, _ = actions
    with pytest.raises(ElementNotInteractableError, match="text input"):
        tab.act(parse_action({"type": "type_and_submit", "name": "search", "text": "x"}))


def test_click_on_disabled(actions):
    tab, _ = actions
    start = time.monotonic()
    with pytest.raises(ElementNotInteractableError, match="disabled"):
        tab.act(parse_action({"type": "click", "name": "disabled_button"}))
    with pytest.raises(ElementNotInteractableError, match="disabled"):
        tab.act(parse_action({"type": "click", "name": "size.gone"}))
    assert time.monotonic() - start < 1.0  # no waiting for it to become enabled


def test_click_on_hidden_element(actions):
    tab, _ = actions
    with pytest.raises(ElementNotInteractableError, match="not rendered"):
        tab.act(parse_action({"type": "click", "name": "hidden_button"}))  # its own paper name, display:none


def test_element_hidden_after_observation(actions):
    tab, obs = actions
    assert "grow" in obs.names
    tab.page.evaluate("document.getElementById('grow').style.display = 'none'")
    with pytest.raises(ElementNotInteractableError, match="not rendered"):
        tab.act(parse_action({"type": "click", "name": "grow"}))


def test_zero_size_element(actions):
    tab, _ = actions
    with pytest.raises(ElementNotInteractableError, match="no size"):
        tab.act(parse_action({"type": "click", "name": "tiny"}))


def test_never_settling_page_times_out_within_the_timeout(playwright, pages_url):
    with Browser(BrowserConfig(timeout_ms=600)) as browser, browser.new_tab() as tab:
        tab.goto(f"{pages_url}/actions.html")
        start = time.monotonic()
        with pytest.raises(ActionTimeoutError, match="stop changing"):
            tab.act(parse_action({"type": "click", "name": "mutate_forever"}))
        elapsed = time.monotonic() - start
        assert 0.5 < elapsed < 1.5
        # The tab is still usable afterwards.
        assert "tick" in tab.observe().html


COVERED = """<html><body style="margin:0">
<button onclick="document.title='clicked top'">Top</button>
<div style="height:3000px"></div>
<button onclick="document.title='clicked far'">Far below</button>
<button onclick="document.title='clicked covered'">Covered</button>
<div id="panel" style="position:fixed;inset:0;background:#fff8" aria-label="Added to cart">
  <button onclick="document.getElementById('panel').remove()">Close panel</button></div>
</body></html>"""


def test_covered_element_fails_at_once_naming_what_covers_it(wm_tab):
    wm_tab.set_content(COVERED)
    started = time.monotonic()
    with pytest.raises(ElementNotInteractableError, match="covered by") as err:
        wm_tab.act(Action.click("covered"))
    assert time.monotonic() - started < wm_tab.timeout_ms / 1000 / 2
    assert err.value.name == "covered"
    wm_tab.act(Action.click("added_to_cart.close_panel"))
    assert wm_tab.act(Action.click("covered")).title == "clicked covered"


def test_click_scrolls_to_an_element_below_the_fold(wm_tab):
    wm_tab.set_content(COVERED.replace('<div id="panel"', '<div hidden id="panel"'))
    assert wm_tab.act(Action.click("far_below")).title == "clicked far"
    assert wm_tab.act(Action.click("top")).title == "clicked top"


def test_a_script_that_hangs_the_page_is_a_timeout_not_a_hang(playwright):
    with Browser(BrowserConfig(timeout_ms=800)) as browser, browser.new_tab() as tab:
        pid = browser.pid
        tab.set_content('<button onclick="while (true) {}">Freeze</button>')
        start = time.monotonic()
        with pytest.raises(ActionTimeoutError):
            tab.act(Action.click("freeze"))
        with pytest.raises(ActionTimeoutError, match="did not answer"):
            tab.observe()
        assert time.monotonic() - start < 3 * 0.8 + 1
    assert pid is not None and not processes.alive(pid)  # closing still ends Chromium


def test_typing_replaces_a_fields_text_and_a_number_field_takes_only_numbers(wm_tab):
    wm_tab.set_content(
        "<form onsubmit=\"event.preventDefault(); document.title = this.q.value + '|' + this.n.value\">"
        '<input name="q" value="old text"><input name="n" type="number"><button>Go</button></form>'
    )
    assert wm_tab.act(Action.type_and_submit("q", "new")).title == "new|"
    assert wm_tab.act(Action.type_and_submit("n", "42")).title == "new|42"
    with pytest.raises(ElementNotInteractableError, match="takes a number"):
        wm_tab.act(Action.type_and_submit("n", "forty"))
