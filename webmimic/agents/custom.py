"""``module:attr`` agent specs: the user's own agent, built with any framework, plugged in by name.

``attr`` may be an ``Agent`` subclass (made with ``seed=`` when its constructor takes one), an
``Agent`` instance, a zero-argument factory returning an ``Agent``, or a plain function from an
observation to the agent's raw output (text, a dict or an ``Action``). The module is imported
from the current directory first, then from the environment, as ``python -m`` would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import importlib
import inspect
import os
import sys
from typing import Any

from webmimic.agents.base import Agent

__all__ = ["FunctionAgent", "load_custom_agent"]


class FunctionAgent(Agent):
    """An agent around a plain function from observation to raw output."""

    def __init__(self, act: Callable[[Mapping[str, Any]], Any], name: str) -> None:
        self._act = act
        self.name = name

    def act(self, observation: Mapping[str, Any]) -> Any:
        return self._act(observation)


def _import(module: str, spec: str) -> Any:
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        raise ValueError(
            f"Agent spec {spec!r}: cannot import module {module!r} ({err}). Run from the folder that holds "
            f"{module.replace('.', '/')}.py, or install it in this environment."
        ) from err
    finally:
        if added:
            sys.path.remove(cwd)


def _takes_seed(factory: Callable[..., Any]) -> bool:
    try:
        return "seed" in inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False


def load_custom_agent(spec: str, *, seed: int = 0) -> Agent:
    """The agent a ``module:attr`` spec names; ValueError saying what is wrong and how to fix it."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"Agent spec {spec!r}: expected module:attr, e.g. my_agents:MyAgent.")
    target: Any = _import(module_name, spec)
    for part in attr.split("."):
        if not hasattr(target, part):
            raise ValueError(f"Agent spec {spec!r}: {module_name!r} has no attribute {attr!r}.")
        target = getattr(target, part)
    if isinstance(target, Agent):
        return target
    if inspect.isclass(target) and issubclass(target, Agent):
        agent_class: Callable[..., Agent] = target
        return agent_class(seed=seed) if _takes_seed(agent_class) else agent_class()
    if callable(target):
        params = _positional_params(target)
        if params == 0:
            made = target()
            if isinstance(made, Agent):
                return made
            raise ValueError(f"Agent spec {spec!r}: {attr} takes no observation and did not return an Agent.")
        return FunctionAgent(target, name=spec)
    raise ValueError(
        f"Agent spec {spec!r}: {attr} is a {type(target).__name__}; name an Agent subclass or instance, "
        "a factory returning an Agent, or a function from observation to action."
    )


def _positional_params(fn: Callable[..., Any]) -> int | None:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_POSITIONAL,
    )
    return sum(p.kind in kinds for p in params)
