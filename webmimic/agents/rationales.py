"""``webmimic synthesize-rationales``: fill missing rationales with an LLM, the paper's method.

For each step that has no rationale, an LLM is shown what the person saw (the live page, the
persona, what they did before) and the action they really took, and asked why they did it. The
answer aims at better prediction, not at the person's true thoughts, so it is marked: the
session's ``meta["rationales_synthesized"]`` lists the steps and names the model. A rationale the
person gave is never touched; a session with nothing missing is written unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import dataclasses
import os
import sys
from typing import Any, Protocol

from webmimic.agents.prompt import Message, build_messages
from webmimic.core.actions import describe_action
from webmimic.replay.session import Session, Step

__all__ = ["META_KEY", "TextModel", "synthesize_rationales", "synthesize_main"]

META_KEY = "rationales_synthesized"
QUESTION = (
    "You are given what a shopper saw and did on a shopping site, and the action the person really "
    "took next: {action}. In one short first-person sentence, say why the person took this action, "
    "as the person would say it. Answer with the sentence only."
)


class TextModel(Protocol):
    """What synthesis needs of an agent: chat messages in, text out (``hf:``, ``openai:``...)."""

    name: str

    def complete(self, messages: Sequence[Message]) -> str: ...


def _question(observation: Mapping[str, Any], step: Step) -> list[Message]:
    """The shopper's conversation so far, told to explain the real next action (not to predict it)."""
    messages = build_messages(observation, rationales=True)
    system = messages[0]["content"] + "\n\n" + QUESTION.format(action=describe_action(step.action))
    return [{"role": "system", "content": system}, *messages[1:]]


def _clean(text: str) -> str | None:
    """The answer's first non-empty line, without quotes; None if there is none."""
    for line in text.splitlines():
        line = line.strip().strip('"').strip()
        if line:
            return line
    return None


def synthesize_rationales(
    sessions: Sequence[Session], model: TextModel, *, on_session: Callable[[Session, int], None] | None = None
) -> list[Session]:
    """The sessions with their missing rationales filled (those the model left empty stay missing)."""
    from webmimic.envs.replay_env import ReplayEnv

    todo = [s for s in sessions if any(not step.rationale for step in s.steps)]
    done: dict[str, Session] = {}
    if todo:
        with ReplayEnv(todo) as env:
            for session in todo:
                done[session.id] = _fill(env, session, model)
                if on_session:
                    on_session(done[session.id], len(done[session.id].meta.get(META_KEY, {}).get("steps", ())))
    return [done.get(s.id, s) for s in sessions]


def _fill(env: Any, session: Session, model: TextModel) -> Session:
    obs, _ = env.reset(options={"session_id": session.id})
    steps, filled = list(session.steps), []
    for k, step in enumerate(session.steps):
        if not step.rationale:
            rationale = _clean(model.complete(_question(obs, step)))
            if rationale:
                steps[k] = dataclasses.replace(step, rationale=rationale)
                filled.append(k)
        if k + 1 < len(session.steps):
            obs, *_ = env.step(step.action.to_json())
    if not filled:
        return session
    meta = dict(session.meta or {})
    earlier = meta.get(META_KEY, {}).get("steps", [])
    meta[META_KEY] = {"model": model.name, "steps": sorted({*earlier, *filled})}
    return dataclasses.replace(session, steps=tuple(steps), meta=meta)


def synthesize_main(model_spec: str, sessions_path: str | os.PathLike[str], output: str, limit: int | None) -> int:
    """The CLI: read, fill, write atomically; print what was filled."""
    from webmimic.agents import make_agent
    from webmimic.replay.session import read_sessions, write_sessions

    try:
        agent = make_agent(model_spec)
    except ValueError as err:  # a bad spec or model folder: the message says what to fix
        print(f"webmimic synthesize-rationales: error: {err}", file=sys.stderr)
        return 2
    if not hasattr(agent, "complete"):
        print(
            f"webmimic synthesize-rationales: error: {model_spec!r} is not a language model; use an LLM spec "
            "(smollm2, bundled, hf:PATH or openai:MODEL@URL).",
            file=sys.stderr,
        )
        return 2
    sessions = read_sessions(sessions_path)[:limit]

    def report(session: Session, filled: int) -> None:
        print(f"{session.id}: {filled} of {len(session.steps)} rationales synthesized", flush=True)

    result = synthesize_rationales(sessions, agent, on_session=report)
    write_sessions(output, result)
    total = sum(len(s.meta.get(META_KEY, {}).get("steps", ())) for s in result if s.meta)
    print(f"Wrote {len(result)} sessions to {output}; {total} rationales are marked synthesized ({model_spec}).")
    return 0
