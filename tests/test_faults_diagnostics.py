"""Diagnostics (issue 10): errors say what differs and what the page has, never a guessed cause.

"No element named X" lists the closest names when there are any and always says how many names
the page has; a replay divergence names the URL, the missing element or the first differing line
of the page, and says so when the recording itself lacks what the step needs.
"""

from __future__ import annotations

import dataclasses

import pytest

from envs_helpers import live_session
from webmimic.core.actions import Action
from webmimic.core.errors import ElementNotFoundError, ReplayDivergenceError, first_difference
from webmimic.envs.replay_env import ReplayEnv
from webmimic.replay.session import Session

# -- ElementNotFoundError ----------------------------------------------------------------------


def test_closest_names_are_listed_with_the_page_s_count():
    err = ElementNotFoundError("serch_button", ["search_button", "search_input", "nav_bar.home"])
    assert err.closest[0] == "search_button"
    assert err.count == 3
    assert "Closest names: search_button" in str(err)
    assert "(of 3 names on the page)" in str(err)


def test_no_close_name_still_says_how_many_names_the_page_has():
    err = ElementNotFoundError("zzqqxx", ["search_button", "search_input", "nav_bar.home"])
    assert err.closest == []
    assert "none of the page's 3 named elements is close to it" in str(err)
    assert "no named elements" not in str(err)


def test_only_a_page_without_names_is_said_to_have_none():
    assert str(ElementNotFoundError("a", [])).endswith("The page has no named elements.")
    assert "the page's one named element is not close" in str(ElementNotFoundError("zzqq", ["home"]))


def test_an_empty_tail_does_not_match_every_name():
    err = ElementNotFoundError("zzqq.", ["alpha", "beta", "gamma"])
    assert err.closest == []


def test_a_huge_name_is_shortened_in_the_message():
    err = ElementNotFoundError("x" * 100_000, ["home"])
    assert len(str(err)) < 400
    assert "100,000 characters" in str(err)
    assert err.name == "x" * 100_000  # the attribute keeps it whole


def test_the_live_page_s_names_are_counted(wm_tab, pages_url):
    obs = wm_tab.goto(f"{pages_url}/actions.html")
    assert len(obs.names) > 1
    with pytest.raises(ElementNotFoundError) as close:
        wm_tab.act(Action.click("go_to_page_too"))
    assert "go_to_page_two" in close.value.closest
    assert close.value.count == len(set(obs.names))
    with pytest.raises(ElementNotFoundError) as far:
        wm_tab.act(Action.click("qqqqqqqqqqqqqqqq"))
    assert far.value.closest == []
    assert f"none of the page's {len(set(obs.names))} named elements" in str(far.value)


def test_a_page_without_names_says_so(wm_tab):
    wm_tab.set_content("<p>Nothing to click here.</p>")
    with pytest.raises(ElementNotFoundError) as info:
        wm_tab.act(Action.click("buy_now"))
    assert info.value.count == 0
    assert str(info.value).endswith("The page has no named elements.")


def test_an_invalid_name_before_any_observation_counts_the_page_s_own_names(wm_tab, pages_url):
    """A name that no element can carry is not searched for; the count then comes from the page."""
    wm_tab.page.goto(f"{pages_url}/actions.html")  # straight through Playwright: no observation yet
    assert wm_tab.last_observation is None
    with pytest.raises(ElementNotFoundError) as info:
        wm_tab.act(Action.click('x"] , [y'))
    assert info.value.count > 1
    assert "no named elements" not in str(info.value)


# -- replay divergence -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded(wm_browser, shop_server) -> Session:
    return live_session(wm_browser, shop_server, "diag")


def _with_step(session: Session, index: int, **changes) -> Session:
    steps = list(session.steps)
    steps[index] = dataclasses.replace(steps[index], **changes)
    return dataclasses.replace(session, steps=tuple(steps))


def _divergence(session: Session, browser, *, strict: bool = False) -> ReplayDivergenceError:
    """Replay ``session`` with the oracle until it diverges; the error it raised."""
    with ReplayEnv([session], browser=browser, strict=strict) as env:
        env.reset(options={"session_id": session.id})
        with pytest.raises(ReplayDivergenceError) as info:
            for _ in session.steps:
                env.step(env.expected_action())
    return info.value


def test_a_missing_element_is_named_with_the_closest_live_names(recorded, wm_browser):
    """The recording is consistent (its page has the element) but the live page has not."""
    step = recorded.steps[1]
    gone = "search_results.no_such_thing_anywhere.view_product"
    assert step.action.name and step.page
    session = _with_step(
        recorded, 1, action=Action.click(gone), page=step.page.replace(f'"{step.action.name}"', f'"{gone}"')
    )
    with pytest.warns(UserWarning, match="the live page differs from the recorded one at line 1, column") as seen:
        err = _divergence(session, wm_browser)  # the page check warns first (not strict), then the action fails
    assert all("has changed since" not in str(w.message) for w in seen)
    message = str(err)
    assert not err.incomplete_recording
    assert f"No element named {gone!r}" in message
    assert "Closest names: search_results." in message
    assert "names on the page" in message
    assert "The live page differs from the recorded one at line" in message
    assert gone in message.split("recorded", 2)[-1]  # the differing line shows the recorded name
    assert "has changed since" not in message


def test_a_recording_without_the_element_blames_the_recording(recorded, wm_browser):
    session = _with_step(recorded, 1, action=Action.click("search_results.never_recorded.view_product"))
    err = _divergence(session, wm_browser)
    assert err.incomplete_recording
    assert "The recorded page of this step has no element named" in str(err)
    assert "recording itself is incomplete" in str(err)
    assert "re-record or regenerate" not in str(err)


def test_a_step_without_a_page_says_the_recording_keeps_none(recorded, wm_browser):
    session = _with_step(recorded, 1, action=Action.click("search_results.nothing.view_product"), page=None)
    message = str(_divergence(session, wm_browser))
    assert "The recording keeps no page for this step" in message
    assert "has changed since" not in message


def test_a_different_url_is_shown_recorded_and_live(recorded, wm_browser):
    session = _with_step(
        recorded, 1, action=Action.click("search_results.nothing.view_product"), url="/product/elsewhere", page=None
    )
    message = str(_divergence(session, wm_browser))
    live = recorded.steps[1].url
    assert f"The recording was at URL '/product/elsewhere', the live replay is at {live!r}." in message


def test_a_strict_replay_names_the_first_differing_line(recorded, wm_browser):
    page = recorded.steps[1].page
    assert page and "headphones" in page
    session = _with_step(recorded, 1, page=page.replace("headphones", "earmuffs", 1))
    err = _divergence(session, wm_browser, strict=True)
    message = str(err)
    assert "step 1: the live page differs from the recorded one at line" in message
    assert "recorded '" in message and "earmuffs" in message
    assert "live '" in message
    assert "has changed since" not in message


def test_first_difference_names_the_line_and_both_versions():
    assert first_difference("a\nb", "a\nb") is None
    assert first_difference("a\nbig\nc", "a\nbag\nc") == "line 2, column 2: recorded 'big', live 'bag'"
    assert first_difference("a", "a\nmore") == "line 2: only the live page goes on, with 'more'"
    long_line = "x" * 5000
    where = first_difference(long_line + "A", long_line + "B")
    assert where is not None and "column 5001" in where and len(where) < 300
