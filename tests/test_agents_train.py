"""``webmimic train`` on a few bundled sessions: a few SFT steps, then the folder plays as ``hf:DIR``."""

from __future__ import annotations

import json

import pytest

from webmimic.agents import make_agent
from webmimic.agents.hf import HFAgent, check_model_folder
from webmimic.agents.train import TrainConfig, session_conversations, train
from webmimic.cli import main
from webmimic.core.errors import ModelFolderError
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import read_sessions

TRAIN = str(bundled_sessions_path("train"))


def test_a_session_is_one_conversation_ending_in_its_last_answer():
    session = sorted(read_sessions(TRAIN), key=lambda s: s.id)[0]
    (conversation,) = session_conversations([session])
    roles = [m["role"] for m in conversation]
    assert roles[0] == "system" and roles[1:] == ["user", "assistant"] * len(session.steps)
    answers = [json.loads(m["content"]) for m in conversation if m["role"] == "assistant"]
    assert [a["action"] for a in answers] == [s.action.to_dict() for s in session.steps]
    assert [a["rationale"] for a in answers] == [s.rationale or "" for s in session.steps]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "tiny"
    assert main(["train", "--sessions", TRAIN, "--out", str(out), "--limit", "2", "--max-steps", "2"]) == 0
    return out


def test_training_saves_a_folder_that_hf_loads(trained):
    assert check_model_folder(trained) == trained
    card = (trained / "README.md").read_text()
    assert "2 sessions" in card and "loss on the assistant turns only" in card and '"max_steps": 2' in card
    agent = make_agent(f"hf:{trained}")
    assert isinstance(agent, HFAgent)
    assert isinstance(agent.act({"page": '<body><input name="search_input"></body>', "url": "/", "history": ()}), str)


def test_a_second_run_into_the_same_folder_needs_resume(trained):
    config = TrainConfig(sessions=TRAIN, out=str(trained), limit=2, max_steps=3)
    with pytest.raises(ModelFolderError, match="pass --resume"):
        train(config)


def test_models_lists_smollm2_and_trained_folders(trained, tmp_path, capsys):
    assert main(["models", str(trained), str(tmp_path / "missing")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("smollm2\n") and f"hf:{trained}" in out
    assert "Fine-tuned with `webmimic train` on 2 sessions" in out
    assert "not loadable" in out and "no such folder" in out
