"""Baseline agents on hand-made observations: what each decides, and that specs are checked."""

from __future__ import annotations

import json

import pytest

from webmimic.agents.base import make_agent
from webmimic.agents.baselines import HeuristicAgent, RandomAgent
from webmimic.core.actions import parse_agent_output
from webmimic.core.errors import ModelFolderError
from webmimic.core.names import page_names

HOME = (
    '<body><input name="search_input"><button name="search_button">Search</button>'
    '<a name="nav_bar.categories.laptops">Laptops</a><a name="nav_bar.categories.yoga_mats">Yoga Mats</a></body>'
)
RESULTS = (
    '<body><input name="search_input"><ul><li><a name="search_results.a_mat.view_product">A mat</a></li>'
    '<li><a name="search_results.b_mat.view_product">B mat</a></li></ul></body>'
)
PRODUCT = (
    '<body><input name="search_input"><button name="add_to_cart">Add</button><button name="buy_now">Buy</button></body>'
)


def obs(page: str, url: str, history=(), persona: str = "") -> dict:
    return {"page": page, "url": url, "history": tuple(history), "persona": persona}


def step(action: dict, url: str) -> dict:
    return {"action": json.dumps(action), "rationale": "", "url": url}


SEARCH = {"type": "type_and_submit", "name": "search_input", "text": "yoga mats"}
OPEN_A = {"type": "click", "name": "search_results.a_mat.view_product"}


def test_heuristic_searches_for_what_the_persona_mentions():
    out = HeuristicAgent().act(obs(HOME, "/", persona="Synthetic persona: loves yoga mats and tea."))
    action, rationale = parse_agent_output(out)
    assert action.to_dict() == SEARCH and rationale


def test_heuristic_opens_unseen_results_then_searches_again_then_leaves():
    agent = HeuristicAgent(max_products=2)
    history = [step(SEARCH, "/")]
    first = agent.act(obs(RESULTS, "/search?search_input=yoga+mats", history))["action"]
    assert first == OPEN_A
    history.append(step(first, "/search?search_input=yoga+mats"))
    assert agent.act(obs(PRODUCT, "/product/a_mat", history))["action"] == SEARCH
    history.append(step(SEARCH, "/product/a_mat"))
    second = agent.act(obs(RESULTS, "/search?search_input=yoga+mats", history))["action"]
    assert second["name"] == "search_results.b_mat.view_product"
    history.append(step(second, "/search?search_input=yoga+mats"))
    assert agent.act(obs(PRODUCT, "/product/b_mat", history))["action"] == {"type": "terminate"}


def test_heuristic_buys_a_product_it_came_back_to():
    history = [step(SEARCH, "/"), step(OPEN_A, "/search"), step(SEARCH, "/product/a_mat"), step(OPEN_A, "/search")]
    assert HeuristicAgent(max_products=5).act(obs(PRODUCT, "/product/a_mat", history))["action"] == {
        "type": "click",
        "name": "buy_now",
    }


def test_random_agent_only_names_elements_on_the_page_and_is_seeded():
    names = set(page_names(PRODUCT))
    picks = [RandomAgent(seed=1).act(obs(PRODUCT, "/product/a_mat")) for _ in range(3)]
    assert picks[0] == picks[1] == picks[2]  # same seed, same first choice
    agent = RandomAgent(seed=2)
    for _ in range(50):
        action = parse_agent_output(agent.act(obs(PRODUCT, "/product/a_mat")))[0]
        assert action.type == "terminate" or action.name in names


def test_random_agent_on_an_empty_page_terminates():
    assert RandomAgent().act(obs("", "/")) == {"type": "terminate"}


def test_bundled_is_the_packaged_fine_tuned_model_and_its_absence_says_how_to_rebuild(monkeypatch, tmp_path):
    from webmimic.agents import bundled
    from webmimic.agents.hf import HFAgent

    agent = make_agent("bundled")
    assert isinstance(agent, HFAgent) and agent.folder == bundled.BUNDLED_MODEL
    assert agent.rationales is True  # trained with rationales, as its webmimic_agent.json says
    monkeypatch.setattr(bundled, "BUNDLED_MODEL", tmp_path / "bundled_model")
    with pytest.raises(ModelFolderError, match="make model"):
        make_agent("bundled")


def test_unknown_spec_lists_the_known_ones():
    with pytest.raises(ValueError, match="oracle, random, heuristic"):
        make_agent("smart")
