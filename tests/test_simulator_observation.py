"""The observation: what the simplified HTML keeps and drops, on pages in tests/pages."""

from __future__ import annotations

from pathlib import Path

from lxml import html as lxml_html
import pytest

from webmimic.simulator import Observation, simplify_html, simplify_source
from webmimic.simulator.observation import script

PAGES = Path(__file__).parent / "pages"


def load(tab, page: str) -> Observation:
    return tab.set_content((PAGES / page).read_text(), url=f"http://pages.test/{page}")


@pytest.fixture
def offline_tab(wm_browser):
    tab = wm_browser.new_tab(offline=True)
    yield tab
    tab.close()


@pytest.fixture
def visibility(offline_tab) -> Observation:
    return load(offline_tab, "visibility.html")


def test_observation_fields(visibility):
    assert visibility.url == "http://pages.test/visibility.html"
    assert visibility.title == "Visibility"
    assert visibility.html.startswith("<body>")
    assert isinstance(visibility.names, tuple)
    assert visibility.status == 200  # the recorded page is served as a 200 answer


def test_a_page_no_response_brought_has_no_status(offline_tab):
    assert offline_tab.set_content("<p>shown</p>").status is None


@pytest.mark.parametrize(
    "text",
    [
        "display none button",
        "inside display none",
        "visibility hidden button",
        "ghost text",
        "hidden attribute button",
        "TOKEN",
        "template button",
        "NOSCRIPT_TEXT",
        "iframe button",
        "SCRIPT_TEXT",
        "COMMENT_TEXT",
        "meta is dropped",
        "nothing.css",
        "circle",
        "path",
    ],
)
def test_not_rendered_and_non_content_parts_are_dropped(visibility, text):
    assert text not in visibility.html


def test_rendered_parts_are_kept_also_below_the_fold(visibility):
    html = visibility.html
    assert "<p>Visible paragraph</p>" in html
    assert "Revealed child" in html  # visibility:visible inside a visibility:hidden parent
    assert '<button name="below_the_fold">Below the fold</button>' in html
    assert '<svg aria-label="Star rating"></svg>' in html
    assert '<img alt="Product photo">' in html
    assert html.count("<img") == 1  # images without alt are dropped
    assert "<svg>" not in html


def test_attribute_whitelist(visibility):
    tree = lxml_html.fromstring(visibility.html)
    allowed = {
        "name",
        "aria-label",
        "alt",
        "title",
        "placeholder",
        "value",
        "role",
        "checked",
        "selected",
        "disabled",
        "type",
    }
    for el in tree.iter():
        assert set(el.attrib) <= allowed, (el.tag, dict(el.attrib))
    for banned in ("class=", "id=", "style=", "data-", "href=", "src=", "width=", "autocomplete="):
        assert banned not in visibility.html
    assert '<input name="your_email" type="text" title="Email" placeholder="Your email">' in visibility.html


def test_meaningless_wrappers_are_unwrapped(visibility):
    # The page's outer div (class, id, style only) and the empty span are gone.
    assert "<span" not in visibility.html
    assert visibility.html.count("<div") <= 1


def test_raw_bytes_measured_without_marks(offline_tab):
    obs = load(offline_tab, "naming.html")
    raw = offline_tab.observe(measure_raw=True)
    assert raw.raw_bytes is not None and raw.raw_bytes > len(raw.html)
    assert obs.names == raw.names


def test_simplify_html_and_source_on_a_file(wm_browser, tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<html><body><div><div><a href='/x'>Buy now</a></div></div><script>x=1</script></body></html>")
    out = simplify_source(str(page), browser=wm_browser)
    assert out == '<body><a name="buy_now">Buy now</a></body>'
    assert simplify_html(page.read_text(), browser=wm_browser) == out
    assert simplify_source(page.as_uri(), browser=wm_browser) == out


def test_simplify_html_without_a_browser_starts_its_own():
    assert 'name="ok"' in simplify_html("<button>OK</button>")


def test_script_is_cached_package_data():
    assert script() is script()
    assert script().lstrip().startswith("//")


def test_ops_call_the_walk_each_document_defines_and_bring_it_where_missing(offline_tab):
    seen = load(offline_tab, "visibility.html")
    page = offline_tab.page
    assert page.evaluate("typeof window.__webmimicOp") == "function"  # the context's init script
    for gone in ("delete window.__webmimicOp", "window.__webmimicOp = 1"):  # not reached; overwritten
        page.evaluate(gone)
        assert offline_tab.observe() == seen
        assert page.evaluate("typeof window.__webmimicOp") == "function"
