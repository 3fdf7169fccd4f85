"""``hf:PATH`` agents on a tiny model built here: folder checks, a live step, cache reuse, sampling."""

from __future__ import annotations

import json
import shutil

import pytest

from tiny_model import build_tiny_model
from webmimic.agents import Generation, make_agent
from webmimic.agents.bundled import bundled_folder
from webmimic.agents.hf import GenerationSettings, HFAgent, check_model_folder
from webmimic.core.actions import AgentOutput
from webmimic.core.errors import ModelFolderError
from webmimic.envs.replay_env import ReplayEnv


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def broken_copy(tiny, tmp_path, remove=(), add=()):
    folder = tmp_path / "model"
    shutil.copytree(tiny, folder)
    for name in remove:
        (folder / name).unlink()
    for name, data in add:
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize(
    ("remove", "add", "message"),
    [
        (
            ["model.safetensors"],
            [("pytorch_model.bin", b"\x80\x04")],
            r"pytorch_model\.bin: pickle weights are refused",
        ),
        (["model.safetensors"], [], r"no \*\.safetensors weights"),
        (["tokenizer.json", "tokenizer_config.json"], [], r"tokenizer\.json: missing"),
        (["chat_template.jinja"], [], r"chat_template\.jinja: missing"),
        (["config.json"], [], r"config\.json: missing"),
    ],
)
def test_unsafe_or_incomplete_folders_are_refused_naming_the_file(tiny, tmp_path, remove, add, message):
    folder = broken_copy(tiny, tmp_path, remove, add)
    with pytest.raises(ModelFolderError, match=message):
        check_model_folder(folder)
    with pytest.raises(ValueError, match=message):  # so eval reports it as a bad agent spec
        make_agent(f"hf:{folder}")


def test_a_tiny_model_plays_replay_steps_without_crashing(tiny, wm_browser):
    agent = make_agent(f"hf:{tiny}")
    assert isinstance(agent, HFAgent)
    with ReplayEnv(browser=wm_browser) as env:
        obs, info = env.reset(seed=1, options={"step": 1})
        agent.reset(env, info)
        for _ in range(2):
            raw = agent.act(obs)
            obs, reward, terminated, _, info = env.step(raw)
            assert isinstance(raw, str) and info["raw_output"] == raw  # random weights: nonsense, not a crash
            assert reward in (0.0, 1.0) and (info["agent_action"] is None) == (info["error"] is not None)


def observations(wm_browser, steps=3):
    with ReplayEnv(browser=wm_browser) as env:
        obs, _ = env.reset(seed=2)
        seen = [obs]
        for _ in range(steps - 1):
            obs, *_ = env.step(env.expected_action())
            seen.append(obs)
    return seen


def test_cache_reuse_gives_the_same_outputs(tiny, wm_browser):
    seen = observations(wm_browser)
    settings = GenerationSettings(max_new_tokens=12, context_tokens=8192)
    reused = HFAgent.from_folder(tiny, settings)
    fresh = HFAgent.from_folder(tiny, GenerationSettings(max_new_tokens=12, context_tokens=8192, reuse_cache=False))
    outputs = [reused.act(o) for o in seen]
    assert outputs == [fresh.act(o) for o in seen]
    assert reused._cache is not None and reused._cache.get_seq_length() > 0


def test_sampling_is_seeded_and_greedy_is_deterministic(tiny, wm_browser):
    obs = observations(wm_browser, steps=1)[0]
    greedy = [
        HFAgent.from_folder(tiny, GenerationSettings(max_new_tokens=8, context_tokens=8192)).act(obs) for _ in range(2)
    ]
    assert greedy[0] == greedy[1]
    sampled = GenerationSettings(max_new_tokens=8, context_tokens=8192, temperature=1.0, seed=5)
    assert HFAgent.from_folder(tiny, sampled).act(obs) == HFAgent.from_folder(tiny, sampled).act(obs)


def test_make_agent_passes_the_generation_options_on(tiny):
    options = Generation(temperature=0.5, top_p=0.9, max_new_tokens=16, context_tokens=1024)
    agent = make_agent(f"hf:{tiny}", seed=7, generation=options)
    assert isinstance(agent, HFAgent)
    assert agent.settings == GenerationSettings(16, 0.5, 0.9, 7, 1024)
    assert agent.budget == 1024 - 16


@pytest.mark.parametrize(
    "options, message",
    [
        ({"temperature": -1}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"context_tokens": 200}, "must exceed max_new_tokens"),
    ],
)
def test_bad_generation_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        Generation(**options)


def test_a_long_session_is_truncated_to_the_context(tiny, wm_browser):
    seen = observations(wm_browser, steps=4)
    agent = HFAgent.from_folder(tiny, GenerationSettings(max_new_tokens=8, context_tokens=6000))
    agent.act(seen[-1])
    assert len(agent.last_prompt_ids) <= 6000 - 8
    assert json.loads(seen[-1]["history"][0]["action"])  # the history it was given is intact


def test_a_page_too_long_for_the_context_is_an_invalid_step_that_says_why(tiny, wm_browser):
    (first,) = observations(wm_browser, steps=1)
    output = HFAgent.from_folder(tiny, GenerationSettings(max_new_tokens=8, context_tokens=200)).act(first)
    assert isinstance(output, AgentOutput) and output.action is None
    assert output.error is not None and output.error.startswith("PromptTooLongError: ")
    with ReplayEnv(browser=wm_browser) as env:
        env.reset()
        _, reward, _, _, info = env.step(output)
    assert reward == 0.0 and info["agent_action"] is None and "PromptTooLongError" in info["error"]


def test_a_batch_answers_what_each_answers_alone(wm_browser):
    """Left-padded batched generation (parallel envs) gives greedy act()'s answers, too-long pages included."""
    seen = observations(wm_browser, steps=3)  # prompts of different lengths
    settings = GenerationSettings(max_new_tokens=48, reuse_cache=False)
    alone = [HFAgent.from_folder(bundled_folder(), settings).act(obs) for obs in seen]
    agent = HFAgent.from_folder(bundled_folder(), settings)
    assert agent.act_batch(seen) == alone
    assert agent.act_all(seen) == alone  # on this CPU: act, one by one
    assert len({len(a) for a in alone}) > 1 or len(set(alone)) > 1  # not one answer repeated
    cramped = HFAgent.from_folder(bundled_folder(), GenerationSettings(max_new_tokens=8, context_tokens=200))
    assert all(isinstance(a, AgentOutput) and a.action is None for a in cramped.act_batch(seen))
