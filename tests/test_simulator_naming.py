"""Naming: unique hierarchical paper-format names for every interactive element."""

from __future__ import annotations

from pathlib import Path
import re

import pytest

from webmimic.simulator import Observation
from webmimic.simulator.observation import script

PAGES = Path(__file__).parent / "pages"
PAPER = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")


@pytest.fixture
def naming(wm_tab) -> Observation:
    return wm_tab.set_content((PAGES / "naming.html").read_text(), url="http://pages.test/naming.html")


TRICKY = [
    "Café Crème",
    "4 Stars & Up",
    "  Add to   cart  ",
    "T-Shirts",
    "手机壳",
    "Emoji 🎉 party",
    "Straße",
    "ﬁne ﬂour",
    "İstanbul",
    "½ price",
    "①②",
    "tab\there",
    "new\nline",
    "a\x1cb",
    "non\u00a0breaking",
    "zero\u200bwidth",
    "--dashes--",
    "___",
    "",
    "!!!",
    "Price: $1,158.99",
    "Hushly Wireless Foldable Over-Ear Headphones, with Charging Case",
    "ÅNGSTRÖM ǅ ŉ",
    "Ⅻ roman",
    "x\ufeffy",
    "Ｆｕｌｌｗｉｄｔｈ",
]


def test_slugify_js_matches_python(wm_tab):
    from webmimic.core.names import slugify

    js = wm_tab.page.evaluate(script(), {"op": "slugify", "texts": TRICKY})
    assert js == [slugify(t) for t in TRICKY]
    assert js[1] == "4_stars__up"
    assert js[0] == "cafe_creme"


def test_every_name_is_paper_format_and_unique(naming):
    assert len(set(naming.names)) == len(naming.names)
    assert all(PAPER.match(n) for n in naming.names)
    assert naming.html.count(' name="') == len(naming.names)


def test_named_ancestors_prefix_names(naming):
    # aria-label on a nav, data-name on a list: their controls are named under them.
    assert "main_menu.home" in naming.names
    assert "main_menu.about_us" in naming.names
    assert "search_results" in naming.names


def test_repeated_labels_are_numbered_in_document_order(naming):
    adds = [n for n in naming.names if "add_to_cart" in n]
    assert adds == ["search_results.add_to_cart", "search_results.add_to_cart_2", "search_results.add_to_cart_3"]


def test_unicode_and_punctuation_labels(naming):
    assert "cafe_creme" in naming.names
    assert "4_stars__up" in naming.names
    assert "item" in naming.names  # CJK text has no ASCII slug
    assert "close_dialog" in naming.names  # aria-label beats the visible "×"


def test_form_field_names_are_replaced(naming):
    assert "first_name" in naming.names  # from its <label>, not the page's "firstName"
    assert "e_mail_address" in naming.names  # from the placeholder, not "user[email]"
    assert "firstName" not in naming.html and "user[email]" not in naming.html
    assert "color.red" in naming.names and "color.blue" in naming.names  # shared radio name
    assert "gift" in naming.names  # the page's own unique paper-format name is kept
    assert "notes" in naming.names
    assert '<input name="first_name" type="text" value="Ada">' in naming.html
    assert '<input name="color.blue" type="radio" value="blue" checked>' in naming.html
    assert '<textarea name="notes">hello</textarea>' in naming.html


def test_select_and_options(naming):
    assert "sort_by" in naming.names
    assert "sort_by.featured" in naming.names
    assert "sort_by.price_low_to_high" in naming.names
    assert '<option name="sort_by.featured" selected>Featured</option>' in naming.html


def test_pointer_onclick_role_elements_are_named(naming):
    assert "open_card" in naming.names  # cursor:pointer + addEventListener, children not named
    assert "onclick_div" in naming.names
    assert "role_button" in naming.names
    assert not any(n.startswith("open_card.") or n in ("open", "card") for n in naming.names)
    # label{cursor:pointer} does not make labels interactive: their inputs are.
    assert "red" not in naming.names


def test_open_shadow_dom_is_walked_and_named(naming):
    assert "shadow_panel.shadow_button" in naming.names
    assert "Shadow text" in naming.html


def test_live_state_is_reflected(wm_tab, naming):
    wm_tab.page.fill("#fn", "Grace")
    wm_tab.page.check("input[value=red]")
    wm_tab.page.select_option("#sort", index=1)
    obs = wm_tab.observe()
    assert '<input name="first_name" type="text" value="Grace">' in obs.html
    assert '<input name="color.red" type="radio" value="red" checked>' in obs.html
    assert '<option name="sort_by.price_low_to_high" selected>' in obs.html
    assert obs.names == naming.names  # values do not change names


def test_names_marked_in_live_dom_including_shadow(wm_tab, naming):
    for name in naming.names:
        assert wm_tab.page.locator(f'[data-wm-name="{name}"]').count() == 1, name
    assert wm_tab.locate("shadow_panel.shadow_button").inner_text() == "Shadow button"


def test_preannotated_names_are_kept(wm_tab):
    obs = wm_tab.set_content((PAGES / "annotated.html").read_text())
    assert obs.names[:5] == (
        "refinements",
        "refinements.customer_reviews.4_stars__up",
        "refinements.color.black",
        "search_input",
        "search_button",
    )
    # Duplicated or non-paper names are replaced by generated ones.
    assert "one" in obs.names and "two" in obs.names and "dup" not in obs.names
    assert "mixed_case" in obs.names and "Not.Paper" not in obs.html
    assert "add_to_cart" in obs.names


@pytest.mark.parametrize("page", ["naming.html", "annotated.html", "visibility.html"])
def test_simplifying_simplified_html_keeps_names(wm_browser, page):
    with wm_browser.new_tab(offline=True) as tab:
        first = tab.set_content((PAGES / page).read_text())
        second = tab.set_content(first.html)
        third = tab.set_content(second.html)
    assert second.names == first.names
    assert third.html == second.html


def test_names_follow_dom_changes(wm_tab, naming):
    wm_tab.page.evaluate("document.querySelector('nav').insertAdjacentHTML('beforeend', '<a href=\"#\">Home</a>')")
    obs = wm_tab.observe()
    assert "main_menu.home_2" in obs.names
    wm_tab.page.evaluate("document.querySelector('nav').style.display = 'none'")
    obs = wm_tab.observe()
    assert not any(n.startswith("main_menu.") for n in obs.names)
    assert wm_tab.page.locator('[data-wm-name^="main_menu."]').count() == 0
