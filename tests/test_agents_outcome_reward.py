"""GRPO's session-outcome reward: each completion played on in a free run of the live shop."""

from __future__ import annotations

import json

import pytest

from webmimic.agents.hf import HFAgent, check_model_folder
from webmimic.agents.outcome_reward import SessionOutcomeReward
from webmimic.cli import main
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import read_sessions

TRAIN = str(bundled_sessions_path("train"))
TERMINATE = '{"type": "terminate"}'


@pytest.fixture(scope="module")
def bought():
    """The shortest bundled training session that ends in a purchase (its last action buys)."""
    return min((s for s in read_sessions(TRAIN) if s.outcome == "purchase"), key=lambda s: len(s.steps))


def assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def always(answer: str):
    """A batch policy giving ``answer`` to every run still going; ``batches`` records their sizes."""

    def policy(observations):
        policy.batches.append(len(observations))
        return [answer] * len(observations)

    policy.batches = []
    return policy


def test_the_reward_is_whether_the_free_run_ends_as_the_person_s_session_did(bought):
    last = len(bought.steps) - 1
    buy = bought.steps[-1].action.to_json()
    reward = SessionOutcomeReward(TRAIN, max_steps=2, policy=always(TERMINATE))
    try:
        completions = [assistant(buy), assistant(TERMINATE), assistant("no JSON here")]
        # buying ends as the person did; giving up does not; an invalid first action leaves the
        # run to the policy, which gives up
        assert reward(completions, [bought.id] * 3, [last] * 3) == [1.0, 0.0, 0.0]
        reward.policy = always(buy)  # a policy that buys after the invalid first action
        assert reward.play("no JSON here", bought.id, last) == 1.0
        reward.policy = always("still no JSON")  # never ends: cut after max_steps more actions
        assert reward.play("no JSON here", bought.id, last) == 0.0
        assert reward.policy.batches == [1, 1]
    finally:
        reward.close()


def test_free_runs_play_at_once_and_give_what_one_at_a_time_gives(bought):
    """Five completions in envs of 2: chunks of 2, 2 and 1, the runs still going answered in one batch."""
    last = len(bought.steps) - 1
    buy = bought.steps[-1].action.to_json()
    firsts = ["no JSON here", "no JSON here", buy, TERMINATE, "no JSON here"]
    completions = [assistant(text) for text in firsts]
    rewards, batches = [], []
    for envs in (1, 2):
        reward = SessionOutcomeReward(TRAIN, max_steps=2, policy=always(buy), envs=envs)
        try:
            rewards.append(reward(completions, [bought.id] * 5, [last] * 5))
            batches.append(reward.policy.batches)
        finally:
            reward.close()
    assert rewards == [[1.0, 1.0, 1.0, 0.0, 1.0]] * 2
    # one at a time, each invalid start asks the policy alone; two at a time, the first two together
    assert batches == [[1, 1, 1], [2, 1]]
    with pytest.raises(ValueError, match="at least 1 env"):
        SessionOutcomeReward(TRAIN, max_steps=2, envs=0)


def test_grpo_with_the_outcome_reward_logs_both_rewards(tmp_path, tiny_sft_folder):
    out = tmp_path / "grpo"
    args = ["train", "--method", "grpo", "--base", str(tiny_sft_folder), "--sessions", TRAIN, "--limit", "1"]
    args += ["--out", str(out), "--outcome-reward", "0.5", "--free-run-steps", "1", "--outcome-envs", "2"]
    assert main([*args, "--max-steps", "1", "--group-size", "2", "--completion-tokens", "16"]) == 0
    assert check_model_folder(out) == out
    (point,) = [json.loads(line) for line in (out / "reward_curve.jsonl").read_text().splitlines()]
    assert 0.0 <= point["shopper_reward"] <= 1.0 and point["session_outcome"] in (0.0, 0.5, 1.0)
    assert point["reward"] == pytest.approx(point["shopper_reward"] + 0.5 * point["session_outcome"])
    assert "plus 0.5 times the session outcome of a free run" in (out / "README.md").read_text()
    assert isinstance(
        HFAgent.from_folder(out).act({"page": '<input name="search_input">', "url": "/", "history": ()}), str
    )


def test_the_outcome_reward_needs_the_sessions(tmp_path, tiny_sft_folder, capsys):
    examples = str(tiny_sft_folder / "examples.jsonl")
    args = ["train", "--method", "grpo", "--base", str(tiny_sft_folder), "--examples", examples]
    assert main([*args, "--out", str(tmp_path / "x"), "--outcome-reward", "1"]) == 2
    assert "--sessions FILE" in capsys.readouterr().err
