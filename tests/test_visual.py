"""Visual debugging on the live shop through Tab: outlines, an unchanged observation, clear, tracing."""

from __future__ import annotations

import zipfile

import pytest

from webmimic.core.actions import Action, describe_action
from webmimic.core.errors import BrowserClosedError
from webmimic.simulator.overlay import OVERLAY_BOX, OVERLAY_HOST, OVERLAY_PANEL


@pytest.fixture
def results_tab(wm_browser, shop_server):
    """A tab on a search results page of the shop, with names marked by an observation."""
    tab = wm_browser.new_tab()
    tab.goto(shop_server.url + "/")
    tab.act(Action.type_and_submit("search_input", "headphones"))
    yield tab
    tab.close()


def _product_links(tab) -> list[str]:
    names = tab.observe().names
    links = [n for n in names if n.startswith("search_results.") and n.endswith(".view_product")]
    assert len(links) >= 2, names
    return links


def _box(page, side: str) -> dict:
    box = page.locator(f'[data-wm-overlay-box="{side}"]').bounding_box()
    assert box is not None
    return box


def test_show_step_outlines_both_elements(results_tab):
    first, second = _product_links(results_tab)[:2]
    page = results_tab.page
    results_tab.show_step(Action.click(first), Action.click(second), scroll=False)
    assert page.locator(OVERLAY_HOST).count() == 1
    human_el = results_tab.locate(first).bounding_box()
    human_box = _box(page, "human")
    agent_box = _box(page, "agent")
    # The green box surrounds the human's element, the red one is elsewhere.
    assert human_box["x"] <= human_el["x"] and human_box["y"] <= human_el["y"]
    assert human_box["x"] + human_box["width"] >= human_el["x"] + human_el["width"]
    assert (agent_box["x"], agent_box["y"]) != (human_box["x"], human_box["y"])
    panel = page.locator(OVERLAY_PANEL)
    assert first in panel.inner_text() and second in panel.inner_text()
    assert "different action" in page.locator("[data-wm-overlay-verdict]").inner_text()


def test_overlay_leaves_observation_unchanged(results_tab):
    first, second = _product_links(results_tab)[:2]
    before = results_tab.observe()
    results_tab.show_step(Action.click(first), Action.type_and_submit("search_input", "<b>x</b>"))
    after = results_tab.observe()
    assert after.html == before.html
    assert after.names == before.names
    results_tab.clear_overlay()
    assert results_tab.observe().html == before.html


def test_show_step_replaces_and_clear_removes(results_tab):
    first, second = _product_links(results_tab)[:2]
    page = results_tab.page
    results_tab.show_step(Action.click(first), Action.click(second))
    results_tab.show_step(Action.click(second), Action.click(second))
    assert page.locator(OVERLAY_HOST).count() == 1
    assert page.locator(OVERLAY_BOX).count() == 2
    assert "same action" in page.locator("[data-wm-overlay-verdict]").inner_text()
    results_tab.clear_overlay()
    assert page.locator(OVERLAY_HOST).count() == 0
    results_tab.clear_overlay()  # idempotent


def test_missing_element_is_reported_not_raised(results_tab):
    first = _product_links(results_tab)[0]
    page = results_tab.page
    results_tab.show_step(Action.click(first), Action.click("no_such.element"))
    assert page.locator('[data-wm-overlay-box="human"]').count() == 1
    assert page.locator('[data-wm-overlay-box="agent"]').count() == 0
    missing = page.locator('[data-wm-overlay-missing="agent"]')
    assert "no element named no_such.element" in missing.inner_text()


def test_invalid_agent_and_terminate(results_tab):
    page = results_tab.page
    results_tab.show_step(Action.terminate(), None)
    assert page.locator(OVERLAY_BOX).count() == 0
    text = page.locator(OVERLAY_PANEL).inner_text()
    assert "terminate" in text and "no valid action" in text


def test_agent_text_is_not_markup(results_tab):
    page = results_tab.page
    evil = '<img src=x onerror="window.pwned=1">'
    results_tab.show_step(Action.click("search_button"), Action.type_and_submit("search_input", evil))
    assert evil in page.locator('[data-wm-overlay-row="agent"]').inner_text()
    assert page.evaluate("window.pwned") is None


def test_show_step_on_a_page_closed_underneath_does_not_raise(wm_browser):
    tab = wm_browser.new_tab()
    tab.page.close()  # the person closed the window: a debugging aid must not break the run
    tab.show_step(Action.terminate(), Action.terminate())
    tab.clear_overlay()
    tab.close()
    with pytest.raises(BrowserClosedError):
        tab.show_step(Action.terminate(), Action.terminate())


def test_trace_zip(wm_browser, shop_server, tmp_path):
    tab = wm_browser.new_tab()
    try:
        tab.start_tracing()
        tab.goto(shop_server.url + "/")
        tab.act(Action.type_and_submit("search_input", "lamp"))
        path = tab.stop_tracing(tmp_path / "traces" / "s1.zip")
    finally:
        tab.close()
    assert path.is_file() and path.stat().st_size > 0
    with zipfile.ZipFile(path) as zf:
        assert any(n.endswith(".trace") for n in zf.namelist())


def test_describe():
    assert describe_action(Action.type_and_submit("q", "red shoes")) == "type_and_submit q 'red shoes'"
    assert describe_action(None) == "(no valid action)"


def test_pause_opens_the_inspector(wm_tab, monkeypatch):
    calls = []
    monkeypatch.setattr(type(wm_tab.page), "pause", lambda page: calls.append(page))
    wm_tab.pause()
    assert calls == [wm_tab.page]
