"""What an agent is, and how a spec string (``oracle``, ``random``, ``hf:PATH`` ...) makes one.

An agent maps an observation (the dict Replay-v0 and Shop-v0 return: page, url, history,
persona) to its raw output: text or a dict holding the paper's action JSON, optionally wrapped
with a rationale. The env parses and checks it, so a model's raw text goes in unchanged.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym

from webmimic.core.actions import AgentOutput

__all__ = ["Agent", "Generation", "make_agent", "AGENT_SPECS"]

AGENT_SPECS = ("oracle", "random", "heuristic", "smollm2", "bundled")


@dataclass(frozen=True)
class Generation:
    """How an LLM agent (``smollm2``, ``bundled``, ``hf:``, ``openai:``) generates; other agents
    ignore it. None: the backend's default (256 new tokens; the context the model was trained
    with, else its maximum for ``hf:``, 8192 for ``openai:``). Temperature 0 is greedy."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int | None = None
    context_tokens: int | None = None

    def __post_init__(self) -> None:
        if not self.temperature >= 0:
            raise ValueError(f"temperature must be 0 (greedy) or more, not {self.temperature}.")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], not {self.top_p}.")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, not {self.max_new_tokens}.")
        if self.context_tokens is not None and self.context_tokens <= (self.max_new_tokens or 256):
            raise ValueError(
                f"context_tokens ({self.context_tokens}) must exceed max_new_tokens ({self.max_new_tokens or 256}): "
                "the prompt needs room too."
            )


class Agent(abc.ABC):
    """Base class: ``act`` is called once per step; ``reset`` at the start of each episode."""

    name: str = "agent"

    def reset(self, env: gym.Env, info: Mapping[str, Any]) -> None:  # noqa: B027 (an optional hook)
        """Called after ``env.reset``; agents that need the env (the oracle) keep it."""

    @abc.abstractmethod
    def act(self, observation: Mapping[str, Any]) -> str | dict[str, Any] | AgentOutput:
        """The agent's raw output for this observation (or an already parsed ``AgentOutput``,
        e.g. an invalid one saying why the agent could not answer)."""


def make_agent(spec: str, *, seed: int = 0, generation: Generation | None = None) -> Agent:
    """An agent from its spec: ``oracle``, ``random``, ``heuristic``, ``smollm2`` (pretrained,
    prompt-only), ``bundled`` (the fine-tuned model shipped with webmimic), ``hf:PATH`` (a local
    transformers model), ``openai:MODEL@URL`` (an OpenAI-compatible server) or ``module:attr``
    (your own). ``generation`` sets the LLM agents' sampling, answer length and context.
    """
    from webmimic.agents import baselines

    spec = spec.strip()

    if spec == "oracle":
        return baselines.OracleAgent()
    if spec == "random":
        return baselines.RandomAgent(seed=seed)
    if spec == "heuristic":
        return baselines.HeuristicAgent()
    gen = generation or Generation()
    if spec.startswith("hf:") or spec in ("smollm2", "bundled"):
        from webmimic.agents.bundled import bundled_folder
        from webmimic.agents.hf import GenerationSettings, HFAgent
        from webmimic.agents.smollm2 import smollm2_folder

        if spec == "smollm2":
            folder = smollm2_folder()
        elif spec == "bundled":
            folder = bundled_folder()
        else:
            folder = Path(spec.removeprefix("hf:"))
        settings = GenerationSettings(
            seed=seed, temperature=gen.temperature, top_p=gen.top_p, context_tokens=gen.context_tokens
        )
        if gen.max_new_tokens is not None:
            settings = dataclasses.replace(settings, max_new_tokens=gen.max_new_tokens)
        return HFAgent.from_folder(folder, settings)
    if spec.startswith("openai:"):
        from webmimic.agents.openai_chat import ChatSettings, OpenAIChatAgent, parse_spec

        chat = ChatSettings(seed=seed, temperature=gen.temperature, top_p=gen.top_p)
        if gen.max_new_tokens is not None:
            chat = dataclasses.replace(chat, max_tokens=gen.max_new_tokens)
        if gen.context_tokens is not None:
            chat = dataclasses.replace(chat, context_tokens=gen.context_tokens)
        return OpenAIChatAgent(*parse_spec(spec), chat)
    if ":" in spec:
        from webmimic.agents.custom import load_custom_agent

        return load_custom_agent(spec, seed=seed)
    raise ValueError(f"Unknown agent spec {spec!r}; expected one of {', '.join(AGENT_SPECS)}, or module:attr.")
