"""The gymnasium contract both envs keep: check_env with default arguments, ResetNeeded, typed output."""

from __future__ import annotations

import gymnasium as gym
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env
import pytest

from envs_helpers import PICTURES_SHOWN
from webmimic.core.actions import AgentOutput
from webmimic.envs.base import rendered_config
from webmimic.envs.replay_env import ReplayEnv
from webmimic.envs.shop_env import ShopEnv
from webmimic.simulator import BrowserConfig

ENV_IDS = ["webmimic/Replay-v0", "webmimic/Shop-v0"]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_check_env_passes_with_defaults_and_no_display(env_id, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    env = gym.make(env_id)
    try:
        assert env.unwrapped.metadata["render_modes"] == ["rgb_array"]  # no window to show here
        check_env(env.unwrapped)  # the render check included
    finally:
        env.close()


def test_human_mode_is_offered_where_there_is_a_display(wm_browser, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":99")
    with ShopEnv(browser=wm_browser) as env:
        assert env.metadata["render_modes"] == ["human", "rgb_array"]


@pytest.mark.parametrize(
    ("config", "mode", "loads"),
    [
        (None, None, False),  # a headless text env reads no pixels
        (None, "rgb_array", True),  # its frames show the pictures
        (None, "human", True),  # a person watches
        (BrowserConfig(images=False), "rgb_array", False),  # unless said otherwise
        (BrowserConfig(images=True), None, True),
    ],
)
def test_images_load_where_a_render_mode_shows_the_page(config, mode, loads):
    assert rendered_config(config, mode).loads_images is loads


def test_frames_from_a_browser_without_images_warn_and_the_env_fixture_launches_one_with_them(wm_browser, webmimic_env):
    with pytest.warns(UserWarning, match="loads no images"):
        ShopEnv(browser=wm_browser, render_mode="rgb_array").close()
    env = webmimic_env("webmimic/Shop-v0", render_mode="rgb_array")  # not the session's headless browser
    env.reset(seed=0)
    assert env.unwrapped.tab.page.evaluate(PICTURES_SHOWN)
    env = webmimic_env("webmimic/Shop-v0")  # the session's browser
    env.reset(seed=0)
    assert not env.unwrapped.tab.page.evaluate(PICTURES_SHOWN)


@pytest.mark.parametrize("make", [lambda b: ReplayEnv(browser=b), lambda b: ShopEnv(browser=b)], ids=["replay", "shop"])
def test_every_use_before_reset_raises_reset_needed(make, wm_browser):
    with make(wm_browser) as env:
        with pytest.raises(ResetNeeded):
            env.step('{"type": "terminate"}')
        with pytest.raises(ResetNeeded):
            env.tab  # noqa: B018 (the property is the check)


def test_timings_are_opt_in(wm_browser):
    with ReplayEnv(browser=wm_browser) as env:
        _, info = env.reset(seed=0)
        _, _, _, _, info = env.step(env.expected_action())
        assert "reset_ms" not in info and "step_ms" not in info
    with ReplayEnv(browser=wm_browser, timings=True) as env:
        _, info = env.reset(seed=0)
        _, _, _, _, step_info = env.step(env.expected_action())
        assert info["reset_ms"] > 0 and step_info["step_ms"] > 0


def test_step_takes_the_envs_own_parse(wm_browser):
    with ReplayEnv(browser=wm_browser) as env:
        env.reset(seed=0)
        human = env.expected_action()
        output = env.parse(f'I will do this. {{"rationale": "why", "action": {human.to_json()}}}')
        assert isinstance(output, AgentOutput) and output.action == human and output.rationale == "why"
        _, reward, _, _, info = env.step(output)
        assert reward == 1.0 and info["raw_output"] == output.raw and info["agent_rationale"] == "why"
        bad = env.parse("no json here")
        _, reward, _, _, info = env.step(bad)
        assert reward == 0.0 and bad.action is None and info["error"] == bad.error
