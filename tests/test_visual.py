"""Visual debugging hooks on the live shop: outlines, an unchanged observation, clear, tracing."""

from __future__ import annotations

import zipfile

import pytest

from webmimic.evaluation import visual
from webmimic.simulator import Action


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
    visual.show_step(page, Action.click(first), Action.click(second), scroll=False)
    assert page.locator(visual.OVERLAY_HOST).count() == 1
    human_el = results_tab.locate(first).bounding_box()
    human_box = _box(page, "human")
    agent_box = _box(page, "agent")
    # The green box surrounds the human's element, the red one is elsewhere.
    assert human_box["x"] <= human_el["x"] and human_box["y"] <= human_el["y"]
    assert human_box["x"] + human_box["width"] >= human_el["x"] + human_el["width"]
    assert (agent_box["x"], agent_box["y"]) != (human_box["x"], human_box["y"])
    panel = page.locator(visual.OVERLAY_PANEL)
    assert first in panel.inner_text() and second in panel.inner_text()
    assert "different action" in page.locator("[data-wm-overlay-verdict]").inner_text()


def test_overlay_leaves_observation_unchanged(results_tab):
    first, second = _product_links(results_tab)[:2]
    before = results_tab.observe()
    visual.show_step(results_tab.page, Action.click(first), Action.type_and_submit("search_input", "<b>x</b>"))
    after = results_tab.observe()
    assert after.html == before.html
    assert after.names == before.names
    visual.clear(results_tab.page)
    assert results_tab.observe().html == before.html


def test_show_step_replaces_and_clear_removes(results_tab):
    first, second = _product_links(results_tab)[:2]
    page = results_tab.page
    visual.show_step(page, Action.click(first), Action.click(second))
    visual.show_step(page, Action.click(second), Action.click(second))
    assert page.locator(visual.OVERLAY_HOST).count() == 1
    assert page.locator(visual.OVERLAY_BOX).count() == 2
    assert "same action" in page.locator("[data-wm-overlay-verdict]").inner_text()
    visual.clear(page)
    assert page.locator(visual.OVERLAY_HOST).count() == 0
    visual.clear(page)  # idempotent


def test_missing_element_is_reported_not_raised(results_tab):
    first = _product_links(results_tab)[0]
    page = results_tab.page
    visual.show_step(page, Action.click(first), Action.click("no_such.element"))
    assert page.locator('[data-wm-overlay-box="human"]').count() == 1
    assert page.locator('[data-wm-overlay-box="agent"]').count() == 0
    missing = page.locator('[data-wm-overlay-missing="agent"]')
    assert "no element named no_such.element" in missing.inner_text()


def test_invalid_agent_and_terminate(results_tab):
    page = results_tab.page
    visual.show_step(page, Action.terminate(), None)
    assert page.locator(visual.OVERLAY_BOX).count() == 0
    text = page.locator(visual.OVERLAY_PANEL).inner_text()
    assert "terminate" in text and "no valid action" in text


def test_agent_text_is_not_markup(results_tab):
    page = results_tab.page
    evil = "<img src=x onerror=\"window.pwned=1\">"
    visual.show_step(page, Action.click("search_button"), Action.type_and_submit("search_input", evil))
    assert evil in page.locator('[data-wm-overlay-row="agent"]').inner_text()
    assert page.evaluate("window.pwned") is None


def test_show_step_on_closed_page_does_not_raise(wm_browser):
    tab = wm_browser.new_tab()
    page = tab.page
    tab.close()
    visual.show_step(page, Action.terminate(), Action.terminate())
    visual.clear(page)


def test_trace_zip(wm_browser, shop_server, tmp_path):
    tab = wm_browser.new_tab()
    try:
        visual.start_trace(tab.context)
        tab.goto(shop_server.url + "/")
        tab.act(Action.type_and_submit("search_input", "lamp"))
        path = visual.stop_trace(tab.context, tmp_path / "traces" / "s1.zip")
    finally:
        tab.close()
    assert path.is_file() and path.stat().st_size > 0
    with zipfile.ZipFile(path) as zf:
        assert any(n.endswith(".trace") for n in zf.namelist())


def test_describe():
    assert visual.describe(Action.type_and_submit("q", "red shoes")) == "type_and_submit q 'red shoes'"
    assert visual.describe(None) == "(no valid action)"


def test_pause_opens_the_inspector():
    class FakePage:
        paused = 0

        def pause(self) -> None:
            self.paused += 1

    page = FakePage()
    visual.pause(page)  # type: ignore[arg-type]
    assert page.paused == 1
