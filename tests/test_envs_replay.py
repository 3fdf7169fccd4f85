"""webmimic/Replay-v0 end to end: the live shop, snapshot (OPeRA) sessions, agents, vector envs."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
from gymnasium.utils.env_checker import check_env
import numpy as np
import pytest

from envs_helpers import live_session
from opera_rows import make_opera_rows, shuffled, write_jsonl, write_parquet
from webmimic.agents.baselines import OracleAgent, RandomAgent
from webmimic.core.actions import Action
from webmimic.core.errors import ReplayDivergenceError
from webmimic.envs.replay_env import ReplayEnv
from webmimic.replay.opera import import_opera
from webmimic.replay.session import read_sessions, write_sessions


@pytest.fixture(scope="module")
def sessions(wm_browser, shop_server):
    return [live_session(wm_browser, shop_server, "leave"), live_session(wm_browser, shop_server, "buy", buy=True)]


@pytest.fixture()
def env(sessions, wm_browser):
    env = ReplayEnv(sessions, browser=wm_browser)
    yield env
    env.close()


def run_episode(env, agent, session_id, **reset_options):
    obs, info = env.reset(options={"session_id": session_id, **reset_options})
    agent.reset(env, info)
    observations, rewards, infos = [obs], [], []
    while True:
        obs, reward, terminated, truncated, info = env.step(agent.act(obs))
        observations.append(obs)
        rewards.append(reward)
        infos.append(info)
        if terminated or truncated:
            return observations, rewards, infos


def test_check_env_passes(sessions, wm_browser):
    with ReplayEnv(sessions, browser=wm_browser) as env:
        check_env(env, skip_render_check=True)


@pytest.mark.parametrize("session_id", ["leave", "buy"])
def test_oracle_matches_every_step_exactly(env, session_id):
    _, rewards, infos = run_episode(env, OracleAgent(), session_id)
    assert rewards == [1.0] * len(env.session.steps)
    assert all(i["match"]["exact"] and i["error"] is None for i in infos)


def test_replaying_twice_gives_identical_observations(env, sessions):
    first, _, _ = run_episode(env, OracleAgent(), "buy")
    second, _, _ = run_episode(env, OracleAgent(), "buy")
    assert first == second
    # and the live pages are the ones recorded
    assert [o["page"] for o in first[:-1]] == [s.page for s in sessions[1].steps]


def test_reset_can_start_after_k_human_actions(env, sessions):
    obs, info = env.reset(options={"session_id": "leave", "step": 2})
    assert info["step"] == 2 and len(obs["history"]) == 2
    assert obs["url"] == sessions[0].steps[2].url
    assert obs["page"] == sessions[0].steps[2].page
    assert env.expected_action() == sessions[0].steps[2].action
    # the agent sees every page the human saw before, with what they did there
    assert [e["page"] for e in obs["history"]] == [s.page for s in sessions[0].steps[:2]]
    assert [e["url"] for e in obs["history"]] == [s.url for s in sessions[0].steps[:2]]
    assert [e["action"] for e in obs["history"]] == [s.action.to_json() for s in sessions[0].steps[:2]]


def test_bad_reset_options_are_clear_errors(env):
    with pytest.raises(KeyError, match="nope"):
        env.reset(options={"session_id": "nope"})
    with pytest.raises(ValueError, match="step"):
        env.reset(options={"session_id": "leave", "step": 99})
    with pytest.raises(ValueError, match="Unknown reset option"):
        env.reset(options={"sesion_id": "leave"})


@pytest.mark.parametrize(
    "output",
    [
        '{"type": "type_and_submit", "name": "search_input", "text": "headphones"}',
        'I will search first.\n```json\n{"rationale": "Looking for headphones.", "action": '
        '{"type": "type_and_submit", "name": "search_input", "text": "headphones"}}\n```',
        {"type": "type_and_submit", "name": "search_input", "text": "headphones"},
    ],
)
def test_step_accepts_dicts_json_and_raw_model_text(env, output):
    env.reset(options={"session_id": "leave"})
    _, reward, _, _, info = env.step(output)
    assert reward == 1.0 and info["match"]["exact"]


@pytest.mark.parametrize(
    "output, fragment",
    [
        ("I think I'd click the thing", "No JSON action"),
        ('{"type": "scroll", "name": "x"}', "Unknown action type"),
        ('{"type": "click"}', "name"),
        ('{"type": "click", "name": "search_input", "color": "red"}', "Unexpected action key"),
        (12345, "must be text"),
        ('{"a": ' + "[" * 20000 + "]" * 20000 + "}", "No JSON action"),  # nested past Python's stack
        ("x" * 100_000, "at most 65,536"),
    ],
)
def test_bad_agent_output_is_reported_not_raised(env, output, fragment):
    env.reset(options={"session_id": "leave"})
    obs, reward, terminated, _, info = env.step(output)
    assert reward == 0.0 and not terminated
    assert fragment in info["error"] and info["agent_action"] is None
    assert info["match"]["exact"] is False
    assert len(obs["history"]) == 1  # the human's action was replayed all the same


def test_agent_naming_an_unknown_element_just_mismatches(env):
    env.reset(options={"session_id": "leave"})
    _, reward, _, _, info = env.step({"type": "click", "name": "no.such.element"})
    assert reward == 0.0 and info["match"] == {"exact": False, "type": False, "name": False, "text": False}


def test_partial_credit_rewards_near_misses(sessions, wm_browser):
    with ReplayEnv(sessions, browser=wm_browser, reward="partial") as env:
        env.reset(options={"session_id": "leave"})
        _, near, *_ = env.step({"type": "type_and_submit", "name": "search_input", "text": "wireless headphones"})
        _, wrong_type, *_ = env.step({"type": "terminate"})
        _, garbage, *_ = env.step("no json here")
        _, exact, *_ = env.step({"type": "terminate"})
    assert 0.8 < near < 1.0
    assert wrong_type == 0.5 and garbage == 0.0 and exact == 1.0


def test_free_run_scores_the_outcome(sessions, wm_browser):
    with ReplayEnv(sessions, browser=wm_browser, follow="agent") as env:
        _, rewards, infos = run_episode(env, OracleAgent(), "buy")
        assert rewards[-1] == 1.0 and infos[-1]["agent_outcome"] == "purchase" and infos[-1]["outcome_match"]

        obs, _ = env.reset(options={"session_id": "buy"})
        _, _, _, _, info = env.step({"type": "click", "name": "nav_bar.cart"})
        assert info["match"]["exact"] is False
        obs, reward, terminated, _, info = env.step({"type": "terminate"})
        assert info["match"] is None  # checks stop at the first divergence
        assert terminated and reward == 0.0 and info["agent_outcome"] == "terminate"


def test_free_run_refuses_snapshot_sessions(tmp_path):
    rows = make_opera_rows()
    write_parquet(tmp_path / "rows.parquet", rows)
    import_opera([str(tmp_path / "rows.parquet")], str(tmp_path / "s.jsonl"))
    with pytest.raises(ValueError, match="snapshot"):
        ReplayEnv(str(tmp_path / "s.jsonl"), follow="agent")


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_opera_sessions_replay_offline_with_oracle_at_one(tmp_path, wm_browser, fmt):
    rows = tmp_path / f"rows.{fmt}"
    (write_parquet if fmt == "parquet" else write_jsonl)(rows, shuffled(make_opera_rows()))
    import_opera([str(rows)], str(tmp_path / "opera.jsonl"))
    sessions = read_sessions(tmp_path / "opera.jsonl")
    with ReplayEnv(sessions, browser=wm_browser) as env:
        for session in sessions:
            observations, rewards, _ = run_episode(env, OracleAgent(), session.id)
            assert rewards == [1.0] * len(session.steps)
            assert observations[0]["url"] == session.steps[0].url
            again, _, _ = run_episode(env, OracleAgent(), session.id)
            assert again == observations


def test_changed_site_is_reported(sessions, wm_browser):
    edited = dataclasses.replace(sessions[0].steps[1], page=sessions[0].steps[1].page.replace("Headphones", "Earmuffs"))
    changed = dataclasses.replace(
        sessions[0], id="changed", steps=(sessions[0].steps[0], edited, *sessions[0].steps[2:])
    )
    with (
        ReplayEnv([changed], browser=wm_browser) as env,
        pytest.warns(UserWarning, match="differs from the recorded one"),
    ):
        env.reset(options={"session_id": "changed", "step": 1})
    with (
        ReplayEnv([changed], browser=wm_browser, strict=True) as env,
        pytest.raises(ReplayDivergenceError, match="changed.*step 1"),
    ):
        env.reset(options={"session_id": "changed", "step": 1})

    gone = dataclasses.replace(sessions[0].steps[1], action=Action.click("search_results.discontinued.view_product"))
    broken = dataclasses.replace(sessions[0], id="broken", steps=(sessions[0].steps[0], gone, *sessions[0].steps[2:]))
    with ReplayEnv([broken], browser=wm_browser) as env:
        env.reset(options={"session_id": "broken"})
        env.step({"type": "terminate"})
        with pytest.raises(ReplayDivergenceError, match="cannot be replayed.*discontinued"):
            env.step({"type": "terminate"})


def test_sessions_file_and_rgb_render(tmp_path, sessions, wm_browser):
    path = tmp_path / "s.jsonl"
    write_sessions(path, sessions)
    with ReplayEnv(str(path), browser=wm_browser, render_mode="rgb_array") as env:
        env.reset(options={"session_id": "leave"})
        frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 and frame.std() > 0


def test_close_is_safe_twice(sessions):
    env = ReplayEnv(sessions)
    env.reset(options={"session_id": "leave"})
    env.close()
    env.close()


def test_random_agent_never_crashes_the_env(env):
    _, rewards, infos = run_episode(env, RandomAgent(seed=3), "buy")
    assert len(rewards) == len(env.session.steps)


def test_sync_vector_env_runs_several_browsers(sessions):
    envs = gym.vector.SyncVectorEnv([lambda: ReplayEnv(sessions) for _ in range(2)])
    try:
        obs, infos = envs.reset(seed=[1, 2])
        assert len(obs["page"]) == 2
        obs, rewards, terminated, truncated, infos = envs.step(
            ['{"type": "type_and_submit", "name": "search_input", "text": "headphones"}'] * 2
        )
        assert list(rewards) == [1.0, 1.0]
    finally:
        envs.close()
