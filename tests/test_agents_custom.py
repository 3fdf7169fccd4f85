"""``module:attr`` agent specs: a user's own agent from the current directory, in make_agent and eval."""

from __future__ import annotations

import textwrap

import pytest

from webmimic.agents import Agent, make_agent
from webmimic.evaluation import EvalConfig, run_eval

MODULE = textwrap.dedent("""
    from webmimic.agents import Agent

    def leave(observation):
        return '{"rationale": "Nothing for me here.", "action": {"type": "terminate"}}'

    class Seeded(Agent):
        def __init__(self, seed=0):
            self.seed = seed

        def act(self, observation):
            return {"type": "terminate"}

    class Plain(Agent):
        def act(self, observation):
            return {"type": "terminate"}

    instance = Plain()

    def factory():
        return Plain()

    not_an_agent = 42

    class Namespace:
        leave = staticmethod(leave)
""")


@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    (tmp_path / "my_agents.py").write_text(MODULE)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def test_each_kind_of_attribute_makes_an_agent(user_dir):
    leave = make_agent("my_agents:leave")
    assert isinstance(leave, Agent) and "terminate" in leave.act({"page": ""})
    assert make_agent("my_agents:Seeded", seed=7).seed == 7
    assert isinstance(make_agent("my_agents:Plain"), Agent)
    assert make_agent("my_agents:instance") is make_agent("my_agents:instance")
    assert isinstance(make_agent("my_agents:factory"), Agent)
    assert "terminate" in make_agent("my_agents:Namespace.leave").act({})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module:x", "cannot import module 'no_such_module'"),
        ("my_agents:missing", "has no attribute 'missing'"),
        ("my_agents:not_an_agent", "is a int"),
        ("my_agents:", "expected module:attr"),
    ],
)
def test_bad_specs_say_what_to_fix(user_dir, spec, message):
    with pytest.raises(ValueError, match=message):
        make_agent(spec)


def test_eval_runs_a_users_function_agent(user_dir):
    metrics = run_eval(EvalConfig("my_agents:leave", out=str(user_dir / "run"), limit=2, screenshots=0, progress=False))
    assert metrics["sessions"] == 2 and metrics["invalid_outputs"] == 0
    assert 0 < metrics["exact_match_micro"] < 1  # right exactly where the shopper left
