"""gym.make_vec on webmimic's envs: N isolated contexts of one Chromium, stepping at once."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from envs_helpers import live_session
from webmimic.envs.vector import OneBrowserVectorEnv
from webmimic.sites.shop.catalog import Catalog

TERMINATE = '{"type": "terminate"}'


@pytest.fixture(scope="module")
def sessions(wm_browser, shop_server):
    return [live_session(wm_browser, shop_server, "leave"), live_session(wm_browser, shop_server, "buy", buy=True)]


@pytest.fixture
def vec(sessions):
    envs = gym.make_vec("webmimic/Replay-v0", num_envs=3, sessions=sessions)
    yield envs
    envs.close()


def oracle_actions(envs):
    """Each env's human next action (terminate where the session is over: autoreset ignores it)."""
    actions = [env.unwrapped.expected_action() for env in envs.envs]
    return [TERMINATE if a is None else a.to_json() for a in actions]


def test_make_vec_runs_every_env_in_one_browser(vec):
    assert isinstance(vec, OneBrowserVectorEnv)
    vec.reset(seed=0)
    tabs = [env.unwrapped.tab for env in vec.envs]
    assert {tab.browser for tab in tabs} == {vec.browser}
    assert len({id(tab.context) for tab in tabs}) == 3
    assert len({env.unwrapped._runtime.site("shop")[1].url for env in vec.envs}) == 1  # one server


def test_calls_go_to_the_browser_together(vec, monkeypatch):
    batches = []
    run = vec.browser.run_concurrently

    def spy(calls):
        batches.append(len(calls))
        return run(calls)

    monkeypatch.setattr(vec.browser, "run_concurrently", spy)
    vec.reset(seed=0)
    vec.step(oracle_actions(vec))
    assert batches == [3, 3]


def play(envs, steps):
    """Observations, rewards, episode ends and final pages of ``steps`` oracle steps from reset(seed=4)."""
    obs, _ = envs.reset(seed=4)
    trace = [(obs["url"], obs["page"])]
    for _ in range(steps):
        obs, rewards, terminated, truncated, infos = envs.step(oracle_actions(envs))
        final = tuple(o and o["url"] for o in infos["final_obs"]) if "final_obs" in infos else None
        trace.append((obs["url"], obs["page"], tuple(rewards), tuple(terminated), tuple(truncated), final))
    return trace


@pytest.mark.parametrize("mode", [gym.vector.AutoresetMode.NEXT_STEP, gym.vector.AutoresetMode.SAME_STEP])
def test_one_browser_gives_what_one_browser_per_env_gives(sessions, mode):
    # Long enough for both sessions to end and autoreset into a new episode.
    steps = max(len(s.steps) for s in sessions) + 2
    shared = gym.make_vec("webmimic/Replay-v0", num_envs=3, sessions=sessions, autoreset_mode=mode)
    separate = gym.make_vec(
        "webmimic/Replay-v0",
        num_envs=3,
        sessions=sessions,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": mode},
    )
    try:
        assert not isinstance(separate, OneBrowserVectorEnv)
        trace = play(shared, steps)
        assert play(separate, steps) == trace
    finally:
        shared.close()
        separate.close()
    assert any(any(ended) for *_, ended, _, _ in trace[1:])  # some episode ended and was reset


def test_envs_of_one_browser_share_no_cart_or_cookies():
    product = Catalog.open().products()[0]
    search = {"type": "type_and_submit", "name": "search_input", "text": product.title}
    envs = gym.make_vec("webmimic/Shop-v0", num_envs=2)
    try:
        envs.reset(seed=1)
        envs.step([search, search])
        envs.step([{"type": "click", "name": f"search_results.{product.slug}.add_to_cart"}, search])
        carts = [env.unwrapped._shop_state()["cart"] for env in envs.envs]
        assert [line["slug"] for line in carts[0]] == [product.slug] and carts[1] == []
        cookies = [{c["value"] for c in env.unwrapped.tab.context.cookies()} for env in envs.envs]
        assert cookies[0] and cookies[1] and not cookies[0] & cookies[1]
        assert isinstance(envs.envs[0], gym.wrappers.TimeLimit)  # Shop-v0's 60 steps, as gym.make gives
    finally:
        envs.close()


def test_an_error_in_one_env_is_raised_after_all_have_stepped(vec, monkeypatch):
    vec.reset(seed=0)

    def broken(action):
        raise RuntimeError("env 1 broke")

    monkeypatch.setattr(vec.envs[1], "step", broken)
    with pytest.raises(RuntimeError, match="env 1 broke"):
        vec.step(oracle_actions(vec))
    assert [env.unwrapped.step_index for env in vec.envs] == [1, 0, 1]  # the others stepped


def test_with_autoreset_disabled_finished_envs_are_reset_by_mask(sessions):
    envs = gym.make_vec(
        "webmimic/Replay-v0", num_envs=2, sessions=sessions, autoreset_mode=gym.vector.AutoresetMode.DISABLED
    )
    try:
        envs.reset(seed=0)
        done = np.zeros(2, dtype=bool)
        while not done.any():
            _, _, terminated, truncated, _ = envs.step(oracle_actions(envs))
            done = terminated | truncated
        with pytest.raises(gym.error.ResetNeeded, match="reset_mask"):
            envs.step(oracle_actions(envs))
        _, infos = envs.reset(options={"reset_mask": done})
        assert list(infos["_step"]) == list(done) and list(infos["step"][done]) == [0] * int(done.sum())
        envs.step(oracle_actions(envs))
    finally:
        envs.close()


def test_close_leaves_no_browser(sessions):
    envs = gym.make_vec("webmimic/Replay-v0", num_envs=2, sessions=sessions)
    envs.reset(seed=0)
    browser = envs.browser
    envs.close()
    assert browser.closed
