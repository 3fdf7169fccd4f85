"""``webmimic train`` on a few bundled sessions: a few SFT steps, then the folder plays as ``hf:DIR``."""

from __future__ import annotations

import json

import pytest

from webmimic.agents import make_agent
from webmimic.agents.examples import read_examples, replay_examples, write_examples
from webmimic.agents.grpo import shopper_reward
from webmimic.agents.hf import HFAgent, check_model_folder
from webmimic.agents.train import TrainConfig, train
from webmimic.cli import main
from webmimic.core.errors import DataFormatError, ModelFolderError
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import read_sessions

TRAIN = str(bundled_sessions_path("train"))


def test_a_session_is_one_conversation_ending_in_its_last_answer():
    session = sorted(read_sessions(TRAIN), key=lambda s: s.id)[0]
    (example,) = replay_examples(TRAIN, limit=1)
    assert example.session_id == session.id
    conversation = example.conversation(rationales=True)
    roles = [m["role"] for m in conversation]
    assert roles[0] == "system" and roles[1:] == ["user", "assistant"] * len(session.steps)
    answers = [json.loads(m["content"]) for m in conversation if m["role"] == "assistant"]
    assert [a["action"] for a in answers] == [s.action.to_dict() for s in session.steps]
    assert [a["rationale"] for a in answers] == [s.rationale or "" for s in session.steps]
    plain = [json.loads(m["content"]) for m in example.conversation(rationales=False) if m["role"] == "assistant"]
    assert plain == [s.action.to_dict() for s in session.steps]
    cut = example.conversation(rationales=True, end=1)  # the prompt at step 1 and its answer
    assert cut == conversation[: 1 + 2 * 2]


def test_examples_replay_the_same_in_parallel_and_round_trip_through_their_file(tmp_path):
    one = replay_examples(TRAIN, limit=3)
    assert replay_examples(TRAIN, limit=3, workers=2) == one
    write_examples(tmp_path / "examples.jsonl", one)
    assert read_examples(tmp_path / "examples.jsonl") == one


def test_a_bad_examples_file_names_its_line(tmp_path):
    bad = tmp_path / "examples.jsonl"
    bad.write_text(replay_examples(TRAIN, limit=1)[0].to_json() + "\n{not json\n")
    with pytest.raises(DataFormatError, match=r"examples.jsonl:2: not a training example"):
        read_examples(bad)
    bad.write_text("")
    with pytest.raises(DataFormatError, match="no training examples"):
        read_examples(bad)


@pytest.fixture
def trained(tiny_sft_folder):
    return tiny_sft_folder


def test_training_saves_a_folder_that_hf_loads(trained):
    assert check_model_folder(trained) == trained
    card = (trained / "README.md").read_text()
    assert "2 sessions" in card and "loss on the assistant turns only" in card and '"max_steps": 2' in card
    agent = make_agent(f"hf:{trained}")
    assert isinstance(agent, HFAgent)
    assert isinstance(agent.act({"page": '<body><input name="search_input"></body>', "url": "/", "history": ()}), str)


def test_training_from_saved_examples_needs_no_sessions(trained, tmp_path):
    out = tmp_path / "again"
    examples = str(trained / "examples.jsonl")
    assert main(["train", "--examples", examples, "--out", str(out), "--no-rationales", "--max-steps", "1"]) == 0
    assert check_model_folder(out) == out
    assert read_examples(out / "examples.jsonl") == read_examples(examples)
    agent = HFAgent.from_folder(out)  # plays as trained: actions only, the training context
    assert agent.rationales is False and agent.budget == 4096 - agent.settings.max_new_tokens
    assert HFAgent.from_folder(trained).rationales is True


def test_a_second_run_into_the_same_folder_needs_resume(trained):
    config = TrainConfig(sessions=TRAIN, out=str(trained), limit=2, max_steps=3)
    with pytest.raises(ModelFolderError, match="pass --resume"):
        train(config)


def test_models_lists_smollm2_and_trained_folders(trained, tmp_path, capsys):
    assert main(["models", str(trained), str(tmp_path / "missing")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("smollm2\n") and "\nbundled\n" in out and f"hf:{trained}" in out
    assert "Fine-tuned with `webmimic train` on 2 sessions" in out
    assert "not loadable" in out and "no such folder" in out


def test_the_grpo_reward_is_partial_credit_against_the_person():
    human = json.dumps({"type": "click", "name": "add_to_cart"})
    completions = [
        [{"role": "assistant", "content": '{"rationale": "yes", "action": {"type": "click", "name": "add_to_cart"}}'}],
        [{"role": "assistant", "content": '{"type": "terminate"}'}],
        [{"role": "assistant", "content": "no JSON here"}],
    ]
    assert shopper_reward(completions, [human] * 3) == [1.0, 0.5, 0.0]


def test_grpo_from_a_fine_tuned_folder_saves_a_model_and_its_reward_curve(trained, tmp_path):
    out = tmp_path / "grpo"
    examples = str(trained / "examples.jsonl")
    args = ["train", "--method", "grpo", "--base", str(trained), "--examples", examples, "--out", str(out)]
    assert main([*args, "--max-steps", "2", "--group-size", "2", "--completion-tokens", "16"]) == 0
    assert check_model_folder(out) == out
    curve = [json.loads(line) for line in (out / "reward_curve.jsonl").read_text().splitlines()]
    assert [point["step"] for point in curve] == [1, 2] and all(0.0 <= p["reward"] <= 1.0 for p in curve)
    assert "Trained with GRPO" in (out / "README.md").read_text()
    assert isinstance(
        HFAgent.from_folder(out).act({"page": '<input name="search_input">', "url": "/", "history": ()}), str
    )
    with pytest.raises(ValueError, match="--base bundled"):
        train(TrainConfig(sessions=None, examples=examples, out=str(tmp_path / "x"), method="grpo"))


def test_eval_sessions_put_the_model_s_figures_in_its_card_and_a_resumed_run_replaces_them(tiny_sft_folder, tmp_path):
    out = tmp_path / "evaluated"
    examples = str(tiny_sft_folder / "examples.jsonl")
    test = str(bundled_sessions_path("test"))
    args = ["train", "--examples", examples, "--out", str(out), "--max-steps", "1"]
    args += ["--eval-sessions", test, "--eval-limit", "1"]
    assert main(args) == 0
    first = json.loads((out / "eval" / "metrics.json").read_text())
    assert first["sessions"] == 1 and "Evaluation on" in (out / "README.md").read_text()
    (out / "eval" / "notes.txt").write_text("mine")  # not the run's: --resume must refuse, not delete it
    assert main([*args, "--resume"]) == 2
    assert (out / "eval" / "notes.txt").read_text() == "mine"
    (out / "eval" / "notes.txt").unlink()
    assert main([*args, "--resume"]) == 0  # the earlier eval is replaced by this model's
    assert json.loads((out / "eval" / "metrics.json").read_text())["sessions"] == 1
