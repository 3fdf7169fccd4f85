"""The synthetic-shopper generator: deterministic per seed, valid, shaped like the paper's sessions."""

from __future__ import annotations

import json
import random

import pytest

from webmimic.replay.session import read_sessions, validate_session, write_sessions
from webmimic.shoppers.generate import GENERATOR, generate_sessions, stats
from webmimic.shoppers.personas import held_out_persona_ids, make_personas, traits_of
from webmimic.shoppers.shopper import Shopper, click_type, relative_url
from webmimic.simulator.observation import Observation
from webmimic.sites import get_site

PURCHASE = get_site("shop").purchase_names
OPERA_CLICK_TYPES = {
    "review",
    "search",
    "product_option",
    "product_link",
    "other",
    "purchase",
    "nav_bar",
    "page_related",
    "quantity",
    "suggested_term",
    "cart_side_bar",
    "cart_page_select",
    "filter",
}


@pytest.fixture(scope="module")
def four(wm_browser):
    return generate_sessions(sessions=4, seed=11, browser=wm_browser)


def _lines(sessions) -> list[str]:
    return [json.dumps(s.to_dict(), sort_keys=True) for s in sessions]


def test_same_seed_same_sessions_and_bytes(four, wm_browser, tmp_path):
    again = generate_sessions(sessions=4, seed=11, browser=wm_browser)
    assert _lines(again) == _lines(four)
    write_sessions(tmp_path / "a.jsonl.gz", four)
    write_sessions(tmp_path / "b.jsonl.gz", again)
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()
    assert _lines(read_sessions(tmp_path / "a.jsonl.gz")) == _lines(four)


def test_different_seed_differs(four, wm_browser):
    other = generate_sessions(sessions=4, seed=12, browser=wm_browser)
    assert [s.actions for s in other] != [s.actions for s in four]


def test_session_i_depends_only_on_seed_and_index(four, wm_browser):
    alone = generate_sessions(sessions=0, seed=11, indices=[2], browser=wm_browser)
    assert _lines(alone) == _lines(four[2:3])


def test_sessions_are_valid_and_shaped_like_the_data(four):
    for i, s in enumerate(four):
        assert validate_session(s, purchase_names=PURCHASE) == []
        assert s.source == "synthetic" and s.site == "shop" and s.start_url == "/"
        assert dict(s.meta) == {"generator": GENERATOR, "seed": 11, "index": i}
        assert s.persona is not None and s.persona.fields["synthetic"] is True
        first = s.steps[0]
        assert first.action.type == "type_and_submit" and first.action.name == "search_input" and first.url == "/"
        for st in s.steps:
            assert st.rationale and st.rationale.strip()
            assert st.page is None
            assert not st.url.startswith("http") and st.url.startswith("/")
            if st.action.type == "click":
                assert st.click_type in OPERA_CLICK_TYPES
            else:
                assert st.click_type is None
        stamps = [st.timestamp for st in s.steps]
        assert stamps == sorted(stamps)
        if s.outcome == "purchase":
            assert s.steps[-1].action.name == "buy_now" and s.steps[-1].click_type == "purchase"
        else:
            assert s.steps[-1].action.type == "terminate"


def test_workers_give_the_same_output(four):
    assert _lines(generate_sessions(sessions=2, seed=11, workers=2)) == _lines(four[:2])


def test_personas_deterministic_synthetic_and_split():
    a, b = make_personas(0), make_personas(0)
    assert a == b and len(a) == 80 and a[0].id == "p000"
    assert make_personas(1) != a
    assert all(p.fields["synthetic"] and "Synthetic" in (p.text or "") for p in a)
    held = held_out_persona_ids(a, 0)
    assert len(held) == 16 and held == held_out_persona_ids(make_personas(0), 0)
    traits_of(a[0])  # every persona converts to the policy's traits


def test_click_types_and_urls():
    assert click_type("buy_now") == "purchase"
    assert click_type("search_results.x.view_product") == "product_link"
    assert click_type("refinements.brand.acme") == "filter"
    assert click_type("sort_by.price_low_to_high") == "filter"
    assert click_type("did_you_mean") == "suggested_term"
    assert click_type("quantity.2") == "quantity"
    assert click_type("cart.x.quantity.2") == "cart_page_select"
    assert click_type("cart_side_bar.close") == "cart_side_bar"
    assert click_type("pagination.next") == "page_related"
    assert click_type("nav_bar.cart") == "nav_bar"
    assert relative_url("http://127.0.0.1:5000/search?search_input=a+b") == "/search?search_input=a+b"
    assert relative_url("http://127.0.0.1:5000/") == "/"


def test_typo_is_followed_by_a_corrected_search():
    from webmimic.sites.shop.catalog import Catalog

    persona = make_personas(0)[0]
    shopper = Shopper.start(traits_of(persona), random.Random(1), Catalog.open())
    shopper.steps = 1
    shopper.query, shopper.typo_fix = "desk lamp", "desk lamp"
    obs = Observation("http://h/search?search_input=dsk+lamp", "t", "<body></body>", ("search_input", "did_you_mean"))
    d = shopper.decide(obs)
    assert d.kind in ("typo_retype", "typo_did_you_mean")
    assert (d.action.type, d.action.text) == ("type_and_submit", "desk lamp") or d.action.name == "did_you_mean"
    assert "typo" in d.rationale or "misspelled" in d.rationale


def test_stats_fields(four):
    st = stats(four)
    assert st["sessions"] == 4 and st["mean_length"] > 1 and 0 <= st["purchase_rate"] <= 1
    assert abs(sum(st["action_shares"].values()) - 1) < 1e-9
