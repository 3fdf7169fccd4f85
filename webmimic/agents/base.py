"""What an agent is, and how a spec string (``oracle``, ``random``, ``hf:PATH`` ...) makes one.

An agent maps an observation (the dict Replay-v0 and Shop-v0 return: page, url, history,
persona) to its raw output: text or a dict holding the paper's action JSON, optionally wrapped
with a rationale. The env parses and checks it, so a model's raw text goes in unchanged.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

import gymnasium as gym

from webmimic.core.actions import AgentOutput

__all__ = ["Agent", "make_agent", "AGENT_SPECS"]

AGENT_SPECS = ("oracle", "random", "heuristic", "smollm2", "bundled")


class Agent(abc.ABC):
    """Base class: ``act`` is called once per step; ``reset`` at the start of each episode."""

    name: str = "agent"

    def reset(self, env: gym.Env, info: Mapping[str, Any]) -> None:  # noqa: B027 (an optional hook)
        """Called after ``env.reset``; agents that need the env (the oracle) keep it."""

    @abc.abstractmethod
    def act(self, observation: Mapping[str, Any]) -> str | dict[str, Any] | AgentOutput:
        """The agent's raw output for this observation (or an already parsed ``AgentOutput``,
        e.g. an invalid one saying why the agent could not answer)."""


def make_agent(spec: str, *, seed: int = 0) -> Agent:
    """An agent from its spec: ``oracle``, ``random``, ``heuristic``, ``smollm2`` (pretrained,
    prompt-only), ``bundled`` (the fine-tuned model shipped with webmimic), ``hf:PATH`` (a local
    transformers model), ``openai:MODEL@URL`` (an OpenAI-compatible server) or ``module:attr``
    (your own).
    """
    from webmimic.agents import baselines

    spec = spec.strip()

    if spec == "oracle":
        return baselines.OracleAgent()
    if spec == "random":
        return baselines.RandomAgent(seed=seed)
    if spec == "heuristic":
        return baselines.HeuristicAgent()
    if spec.startswith("hf:"):
        from webmimic.agents.hf import GenerationSettings, HFAgent

        return HFAgent(spec.removeprefix("hf:"), GenerationSettings(seed=seed))
    if spec in ("smollm2", "bundled"):
        from webmimic.agents.bundled import bundled_folder
        from webmimic.agents.hf import GenerationSettings, HFAgent
        from webmimic.agents.smollm2 import smollm2_folder

        return HFAgent(smollm2_folder() if spec == "smollm2" else bundled_folder(), GenerationSettings(seed=seed))
    if spec.startswith("openai:"):
        from webmimic.agents.openai_chat import ChatSettings, OpenAIChatAgent, parse_spec

        return OpenAIChatAgent(*parse_spec(spec), ChatSettings(seed=seed))
    if ":" in spec:
        from webmimic.agents.custom import load_custom_agent

        return load_custom_agent(spec, seed=seed)
    raise ValueError(f"Unknown agent spec {spec!r}; expected one of {', '.join(AGENT_SPECS)}, or module:attr.")
