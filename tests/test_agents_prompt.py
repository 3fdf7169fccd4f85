"""The paper's prompt and its truncation policy, with a simple token counter and on live observations."""

from __future__ import annotations

import json

import pytest

from webmimic.agents.prompt import (
    Prompt,
    PromptTooLongError,
    build_messages,
    fit_messages,
    omitted_page,
)
from webmimic.core.names import page_names
from webmimic.envs.replay_env import ReplayEnv


def chars(messages) -> int:
    """A stand-in tokenizer: one token per character of content."""
    return sum(len(m["content"]) for m in messages)


PAGE = (
    "<body><h1>Results for headphones</h1><p>Over 2,000 results, sorted by relevance.</p>"
    '<a name="search_results.acme_one.view_product">Acme One wireless headphones, black</a> $59.99'
    '<a name="search_results.acme_two.view_product">Acme Two over-ear headphones</a> $89.99 FREE delivery'
    "<footer>webmimic mock shop, for research replays only</footer></body>"
)


def observation(steps: int = 3) -> dict:
    history = tuple(
        {
            "url": f"/page/{i}",
            "page": f'<body><p>{"old page text " * 20}</p><a name="link_{i}">Go {i}</a></body>',
            "action": json.dumps({"type": "click", "name": f"link_{i}"}),
            "rationale": f"reason {i}",
        }
        for i in range(steps)
    )
    return {"page": PAGE, "url": "/search?q=headphones", "history": history, "persona": "A student on a budget."}


def without_past_pages(obs: dict) -> list:
    """The conversation with every past page already a placeholder (a history without pages)."""
    return build_messages({**obs, "history": tuple({**e, "page": ""} for e in obs["history"])})


def test_conversation_is_the_papers():
    messages = build_messages(observation(2))
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert "Copy NAME verbatim" in messages[0]["content"] and "A student on a budget." in messages[0]["content"]
    assert messages[1]["content"].startswith("URL: /page/0\n<body>")
    assert messages[2]["content"] == '{"rationale": "reason 0", "action": {"type": "click", "name": "link_0"}}'
    assert messages[-1]["content"] == f"URL: /search?q=headphones\n{PAGE}"
    no_rationale = build_messages(observation(2), rationales=False)
    assert no_rationale[2]["content"] == '{"type": "click", "name": "link_0"}'
    assert "reason first" not in no_rationale[0]["content"]


def test_a_prompt_that_fits_is_left_alone():
    messages = build_messages(observation())
    prompt = fit_messages(messages, budget=10**6, count_tokens=chars)
    assert prompt == Prompt(tuple(messages), chars(messages))


def test_oldest_pages_go_first_and_their_actions_stay():
    messages = build_messages(observation(3))
    full = chars(messages)
    prompt = fit_messages(messages, budget=full - 300, count_tokens=chars)  # one page is about 270
    assert prompt.omitted_pages == 2 and not prompt.page_shortened and prompt.tokens <= full - 300
    pages = [m["content"] for m in prompt.messages if m["role"] == "user"]
    assert pages[0] == f"URL: /page/0\n{omitted_page('/page/0')}"
    assert pages[1] == f"URL: /page/1\n{omitted_page('/page/1')}"
    assert "old page text" in pages[2] and pages[3] == messages[-1]["content"]
    answers = [m["content"] for m in prompt.messages if m["role"] == "assistant"]
    assert answers == [m["content"] for m in messages if m["role"] == "assistant"]


def test_then_the_current_page_loses_text_but_never_a_named_element():
    messages = build_messages(observation(3))
    budget = chars(without_past_pages(observation(3))) - 60
    prompt = fit_messages(messages, budget=budget, count_tokens=chars)
    assert prompt.omitted_pages == 3
    page = prompt.messages[-1]["content"].partition("\n")[2]
    assert prompt.page_shortened and prompt.tokens <= budget
    assert page_names(page) == page_names(PAGE)
    assert "Results for headphones" in page  # text goes from the end of the page first
    assert "for research replays only" not in page


def test_named_elements_alone_too_long_is_a_clear_error():
    messages = build_messages(observation(1))
    with pytest.raises(PromptTooLongError, match="named elements alone"):
        fit_messages(messages, budget=200, count_tokens=chars)


def test_live_observation_after_reset_at_step_k_shows_every_page_seen(wm_browser):
    with ReplayEnv(browser=wm_browser) as env:
        obs, _ = env.reset(seed=3, options={"step": 2})
        messages = build_messages(obs)
        past = [m["content"] for m in messages if m["role"] == "user"][:-1]
        assert len(past) == 2 and all(page_names(p.partition("\n")[2]) for p in past)
        small = fit_messages(messages, budget=chars(without_past_pages(obs)) - 200, count_tokens=chars)
        assert small.omitted_pages == 2 and small.page_shortened
        assert page_names(small.messages[-1]["content"].partition("\n")[2]) == page_names(obs["page"])
