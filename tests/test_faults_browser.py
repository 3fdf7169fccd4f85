"""Chromium killed (SIGKILL) mid-episode: Replay-v0, Shop-v0, a vector env and ``webmimic eval``
notice, start a new browser, restore the episode and end exactly as an undisturbed run does."""

from __future__ import annotations

import os
from pathlib import Path
import signal
import textwrap

import gymnasium as gym
import pytest

from envs_helpers import live_session
from webmimic.core.errors import BrowserCrashedError
from webmimic.envs.runtime import MAX_RESTARTS
from webmimic.evaluation import EvalConfig, run_eval
from webmimic.replay.session import write_sessions
from webmimic.simulator import Browser, processes
from webmimic.sites.shop.catalog import Catalog


def kill(browser: Browser) -> int:
    pid = browser.pid
    assert pid is not None and processes.alive(pid)
    os.kill(pid, signal.SIGKILL)
    return pid


@pytest.fixture(scope="module")
def sessions(wm_browser, shop_server):
    return [live_session(wm_browser, shop_server, "buy", buy=True), live_session(wm_browser, shop_server, "leave")]


def replay(env, session_id: str, kill_before_step: int | None = None):
    """Observations, rewards and restarts of the oracle replaying a session; Chromium is killed
    just before step ``kill_before_step`` (0: right after reset)."""
    obs, info = env.reset(options={"session_id": session_id})
    trace, restarts = [obs], [info.get("browser_restarts", 0)]
    for step in range(len(env.unwrapped.session.steps)):
        if step == kill_before_step:
            kill(env.unwrapped.tab.browser)
        obs, reward, terminated, _, info = env.step(env.unwrapped.expected_action().to_json())
        trace.append((obs, reward, terminated))
        restarts.append(info.get("browser_restarts", 0))
    return trace, restarts


@pytest.mark.parametrize("kill_before_step", [0, 2, 3])
def test_replay_env_restores_the_episode_after_chromium_is_killed(sessions, kill_before_step):
    env = gym.make("webmimic/Replay-v0", sessions=sessions)
    try:
        undisturbed, none = replay(env, "buy")
        old = env.unwrapped.tab.browser.pid
        trace, restarts = replay(env, "buy", kill_before_step)
        assert trace == undisturbed and not any(none)
        assert restarts[kill_before_step + 1] == 1 and sum(restarts) == 1
        assert env.unwrapped.tab.browser.pid != old and not processes.alive(old)
    finally:
        env.close()


def test_a_reset_after_chromium_died_starts_a_new_one(sessions):
    env = gym.make("webmimic/Replay-v0", sessions=sessions)
    try:
        first, _ = env.reset(options={"session_id": "leave"})
        kill(env.unwrapped.tab.browser)
        again, info = env.reset(options={"session_id": "leave"})
        assert again == first and info["browser_restarts"] == 1
    finally:
        env.close()


def test_shop_env_rebuilds_the_cart_after_chromium_is_killed():
    product = Catalog.open().products()[0]
    actions = [
        {"type": "type_and_submit", "name": "search_input", "text": product.title},
        {"type": "click", "name": f"search_results.{product.slug}.add_to_cart"},
        {"type": "click", "name": "cart_side_bar.view_cart"},
    ]

    def play(kill_before: int | None):
        env = gym.make("webmimic/Shop-v0")
        try:
            obs, _ = env.reset(seed=3)
            trace, restarts = [obs], []
            for i, action in enumerate(actions):
                if i == kill_before:
                    kill(env.unwrapped.tab.browser)
                obs, reward, terminated, _, info = env.step(action)
                assert info["error"] is None, info["error"]
                trace.append((obs, reward, terminated))
                restarts.append(info.get("browser_restarts", 0))
            return trace, restarts, env.unwrapped._shop_state()["cart"]
        finally:
            env.close()

    trace, restarts, cart = play(None)
    assert [line["slug"] for line in cart] == [product.slug]
    assert play(2) == (trace, [0, 0, 1], cart)


def test_a_vector_env_on_one_browser_restores_every_env(sessions):
    def play(kill_at: int | None):
        envs = gym.make_vec("webmimic/Replay-v0", num_envs=2, sessions=sessions)
        try:
            obs, _ = envs.reset(seed=4)
            trace, restarts = [obs], []
            for i in range(6):
                if i == kill_at:
                    kill(envs.browser)
                actions = [env.unwrapped.expected_action() for env in envs.envs]
                obs, rewards, terminated, _, infos = envs.step(
                    ['{"type": "terminate"}' if a is None else a.to_json() for a in actions]
                )
                trace.append((obs, tuple(rewards), tuple(terminated)))
                restarts.append(tuple(infos.get("browser_restarts", [0, 0])))
            return trace, restarts, envs.browser.restarts
        finally:
            envs.close()

    undisturbed, none, _ = play(None)
    trace, restarts, relaunches = play(2)
    assert trace == undisturbed and not any(map(any, none))
    assert restarts[2] == (1, 1) and relaunches == 1  # both envs restored, one new Chromium


def test_a_browser_that_keeps_dying_is_given_up_on(sessions, monkeypatch):
    env = gym.make("webmimic/Replay-v0", sessions=sessions)
    try:
        env.reset(options={"session_id": "buy"})
        launch = Browser._launch

        def launch_and_die(self: Browser) -> Browser:
            launch(self)
            kill(self)
            return self

        monkeypatch.setattr(Browser, "_launch", launch_and_die)
        kill(env.unwrapped.tab.browser)
        with pytest.raises(BrowserCrashedError, match=f"died {MAX_RESTARTS + 1} times"):
            env.step(env.unwrapped.expected_action().to_json())
    finally:
        env.close()


AGENT = textwrap.dedent("""
    import os, signal
    from pathlib import Path
    from webmimic.agents.baselines import HeuristicAgent

    class KillsChromium(HeuristicAgent):
        # The heuristic agent; the first time it acts at step 2 of a session, it kills the
        # Chromium of the eval's env (only that one: the tests' own browser lives on).

        def reset(self, env, info):
            super().reset(env, info)
            self.env = env

        def act(self, observation):
            flag = Path("killed-" + str(len(observation["history"])))
            if len(observation["history"]) == 2 and not flag.exists():
                flag.touch()
                os.kill(self.env.tab.browser.pid, signal.SIGKILL)
            return super().act(observation)
""")


@pytest.mark.parametrize("workers", [1, 2])
def test_eval_ends_with_the_metrics_of_an_undisturbed_run(sessions, tmp_path, monkeypatch, workers):
    (tmp_path / "killer.py").write_text(AGENT)
    monkeypatch.chdir(tmp_path)
    sessions_file = tmp_path / "sessions.jsonl"
    write_sessions(sessions_file, sessions)

    def run(agent: str, out: str) -> dict:
        config = EvalConfig(agent, sessions=str(sessions_file), out=out, workers=workers, progress=False)
        return run_eval(config)

    plain = run("heuristic", "plain")
    killed = run("killer:KillsChromium", "killed")
    assert Path("killed-2").exists()  # it did kill Chromium
    assert killed["browser_restarts"] and not plain["browser_restarts"] and not killed["failed_sessions"]
    ignored = {"agent", "wall_seconds", "config", "browser_restarts"}
    assert {k: v for k, v in killed.items() if k not in ignored} == {k: v for k, v in plain.items() if k not in ignored}
    steps = [Path(out, "steps.jsonl").read_text().splitlines() for out in ("plain", "killed")]
    assert len(steps[0]) == len(steps[1])
