"""Replaying an agent over recorded sessions from a test: ``webmimic eval`` as a function.

``replay`` runs ``webmimic.evaluation.run_eval`` into a folder and hands back the run's metrics
and step records, so a test asserts on exactly what ``metrics.json`` and ``steps.jsonl`` hold.
An agent may be a spec string (as ``webmimic eval --agent`` takes) or a Python object: a function
from observation to action, an ``Agent`` instance or class. Objects reach the eval's ordinary
``module:attr`` lookup through ``inline``, a namespace they are parked in while the run lasts, so
the agent lookup itself needs no special case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
import contextlib
from dataclasses import dataclass
import itertools
import os
from pathlib import Path
import types
from typing import Any

from webmimic.agents.base import Agent
from webmimic.core.actions import Action
from webmimic.evaluation.rundir import STEPS_FILE, StepRecord, read_steps
from webmimic.evaluation.runner import EvalConfig, run_eval
from webmimic.replay.session import Session, write_sessions

__all__ = ["ReplayResult", "AgentLike", "SessionsLike", "inline", "replay", "first_failure", "describe_failure"]

AgentLike = str | Agent | type[Agent] | Callable[[Mapping[str, Any]], Any]
SessionsLike = str | os.PathLike[str] | Sequence[Session] | None

# Agents given as Python objects, each under a fresh name while its run lasts.
inline = types.SimpleNamespace()
_names = itertools.count(1)


@dataclass(frozen=True)
class ReplayResult:
    """What one replay produced: ``metrics`` (the keys of ``metrics.json``), ``steps`` (one
    ``StepRecord`` per checked step, in session and step order) and the run folder."""

    metrics: dict[str, Any]
    steps: list[StepRecord]
    run_dir: Path

    @property
    def failures(self) -> list[StepRecord]:
        """The steps where the agent did not do exactly what the person did, or its action failed."""
        return [r for r in self.steps if not r.exact or r.error is not None]


@contextlib.contextmanager
def _agent_spec(agent: AgentLike) -> Iterator[str]:
    """A spec string naming ``agent``; an object is parked in ``inline`` until the run ends."""
    if isinstance(agent, str):
        yield agent
        return
    if not callable(agent) and not isinstance(agent, Agent):
        raise TypeError(
            f"agent must be a spec string (e.g. 'oracle'), an Agent, or a function from observation to action, "
            f"not {type(agent).__name__}."
        )
    name = f"agent_{next(_names)}"
    setattr(inline, name, agent)
    try:
        yield f"{__name__}:inline.{name}"
    finally:
        delattr(inline, name)


def _sessions_file(sessions: SessionsLike, out: Path) -> str | None:
    """A sessions file for the eval: as given, or ``Session`` objects written beside the run."""
    if sessions is None or isinstance(sessions, (str, os.PathLike)):
        return None if sessions is None else os.fspath(sessions)
    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.parent / f"{out.name}-sessions.jsonl"
    write_sessions(path, sessions)
    return str(path)


def replay(
    agent: AgentLike,
    out: str | os.PathLike[str],
    *,
    sessions: SessionsLike = None,
    limit: int | None = None,
    headed: bool = False,
    slow_mo: float = 0.0,
    screenshots: int = 20,
    base_url: str | None = None,
    strict: bool = False,
) -> ReplayResult:
    """Run ``agent`` over ``sessions`` (a file, ``Session`` objects, or None: the bundled test
    split; the first ``limit`` by id) into the run folder ``out`` (replaced if it holds a run).
    ``base_url`` and ``strict`` are ``webmimic eval``'s ``--base-url`` and ``--strict``."""
    folder = Path(out)
    sessions_path = _sessions_file(sessions, folder)
    with _agent_spec(agent) as spec:
        config = EvalConfig(
            agent=spec,
            sessions=sessions_path,
            out=str(folder),
            limit=limit,
            force=True,
            headed=headed,
            slow_mo=slow_mo,
            screenshots=screenshots,
            progress=False,
            base_url=base_url,
            strict=strict,
        )
        metrics = run_eval(config)
    steps = sorted(read_steps(folder / STEPS_FILE).records, key=lambda r: r.key)
    return ReplayResult(metrics=metrics, steps=steps, run_dir=folder)


def first_failure(result: ReplayResult, session_id: str) -> StepRecord | None:
    """The first step of ``session_id`` where the agent diverged from the person, if any."""
    return next((r for r in result.failures if r.session_id == session_id), None)


def _action_text(action: Action | None, raw: str) -> str:
    return action.to_json() if action is not None else f"invalid output {raw[:300]!r}"


def describe_failure(record: StepRecord, run_dir: Path) -> str:
    """What a failing session test says: the step, what the person did, what the agent did."""
    lines = [
        f"session {record.session_id!r} diverged at step {record.step} (url {record.url}):",
        f"  expected (human): {record.human_action.to_json()}",
        f"  actual (agent):   {_action_text(record.agent_action, record.raw_output)}",
    ]
    if record.error is not None:
        lines.append(f"  error: {record.error}")
    if record.screenshot is not None:
        lines.append(f"  screenshot: {run_dir / record.screenshot}")
    lines.append(f"  run folder (steps.jsonl, metrics.json, report): {run_dir}")
    return "\n".join(lines)
