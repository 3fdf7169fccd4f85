"""The bundled (synthetic) sessions through the registered env, and the env in other harnesses:
gym.make without arguments, an async vector env, and a headed browser under Xvfb."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
import textwrap

import gymnasium as gym
import pytest

from test_envs_replay import run_episode
from webmimic.agents.baselines import OracleAgent
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import read_sessions


@pytest.fixture(scope="module")
def bundled_test_sessions():
    return read_sessions(bundled_sessions_path("test"))


def test_gym_make_without_arguments_replays_the_bundled_test_split(bundled_test_sessions):
    env = gym.make("webmimic/Replay-v0")
    try:
        obs, info = env.reset(seed=0)
        assert info["session_id"] in {s.id for s in bundled_test_sessions}
        assert info["source"] == "synthetic"
        assert 'name="search_input"' in obs["page"] and obs["persona"].startswith("Synthetic persona")
    finally:
        env.close()


def test_bundled_sessions_replay_identically_twice_with_the_oracle_at_one(bundled_test_sessions, wm_browser):
    from webmimic.envs.replay_env import ReplayEnv

    chosen = list(itertools.islice((s for s in bundled_test_sessions if s.outcome == "purchase"), 2))
    chosen += list(itertools.islice((s for s in bundled_test_sessions if s.outcome == "terminate"), 2))
    with ReplayEnv(chosen, browser=wm_browser) as env:
        for session in chosen:
            first, rewards, _ = run_episode(env, OracleAgent(), session.id)
            second, _, _ = run_episode(env, OracleAgent(), session.id)
            assert rewards == [1.0] * len(session.steps)
            assert first == second
            assert [o["url"] for o in first[:-1]] == [s.url for s in session.steps]


def _make_env():
    from webmimic.envs.replay_env import ReplayEnv

    return ReplayEnv()


def test_async_vector_env_runs_envs_in_subprocesses():
    envs = gym.vector.AsyncVectorEnv([_make_env, _make_env], context="spawn", shared_memory=False)
    try:
        obs, infos = envs.reset(seed=[3, 4])
        assert len(obs["page"]) == 2 and all('name="search_input"' in p for p in obs["page"])
        _, rewards, *_ = envs.step(['{"type": "terminate"}'] * 2)
        assert len(rewards) == 2
    finally:
        envs.close()


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Debian's xvfb (make setup installs it)")
def test_human_render_mode_replays_in_a_headed_browser():
    script = textwrap.dedent(
        """
        from webmimic.agents.baselines import OracleAgent
        from webmimic.envs.replay_env import ReplayEnv
        env = ReplayEnv(render_mode="human")
        assert env._runtime.browser.config.headless is False
        obs, info = env.reset(seed=0)
        agent = OracleAgent(); agent.reset(env, info)
        rewards, done = [], False
        while not done:
            obs, r, term, trunc, _ = env.step(agent.act(obs)); rewards.append(r); done = term or trunc
        env.close()
        print("rewards", sum(rewards), len(rewards))
        """
    )
    result = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-c", script], capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    total, count = result.stdout.split()[-2:]
    assert float(total) == float(count) > 0
