"""Training examples: what an agent sees at each session's last step, taken from the live shop.

``webmimic train`` needs, per session, the prompt observation at the last step (the persona, the
intent, every page the person saw with their rationale and action, the current page) and the
last answer. Getting the pages means replaying the session in a browser (teacher forcing), the
slow part of training on a CPU machine, so ``--workers`` sessions replay at once and the result is
saved as JSON Lines (``examples.jsonl`` in the output folder). A saved file trains again, with or
without rationales, on a machine without Chromium (``webmimic train --examples FILE``, e.g. a GPU
box), and lets anyone audit exactly what the model was trained on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import json
import os
from pathlib import Path
import sys
from typing import TYPE_CHECKING, Any

from webmimic.agents.prompt import Message, answer_text, build_messages
from webmimic.core.actions import Action
from webmimic.core.errors import DataFormatError
from webmimic.core.files import atomic_write

if TYPE_CHECKING:
    from webmimic.envs.replay_env import ReplayEnv
    from webmimic.replay.session import Session

__all__ = ["EXAMPLES_FORMAT", "TrainingExample", "read_examples", "replay_examples", "write_examples"]

EXAMPLES_FORMAT = "webmimic.examples/1"
PROMPT_FIELDS = ("persona", "intent", "history", "url", "page")  # what ``build_messages`` reads


@dataclass(frozen=True)
class TrainingExample:
    """One session as training data: the observation at its last step and the person's answer."""

    session_id: str
    observation: Mapping[str, Any]
    action: Action
    rationale: str | None

    @property
    def steps(self) -> int:
        return len(self.observation.get("history", ())) + 1

    def at(self, end: int | None = None) -> tuple[Mapping[str, Any], dict[str, Any], str | None]:
        """The observation at step ``end`` (default: the last), the person's action there and its
        rationale: every step's page is in the last step's history."""
        if end is None or end == self.steps - 1:
            return self.observation, self.action.to_dict(), self.rationale
        history = self.observation["history"]
        at = history[end]
        observation = {**self.observation, "history": history[:end], "url": at["url"], "page": at["page"]}
        return observation, json.loads(at["action"]), at.get("rationale")

    def conversation(self, *, rationales: bool, end: int | None = None) -> list[Message]:
        """The prompt at step ``end`` (default: the last) followed by that step's answer, as chat
        messages; every earlier step is in it as a past turn."""
        observation, action, rationale = self.at(end)
        answer = answer_text(action, rationale, rationales=rationales)
        return [*build_messages(observation, rationales=rationales), {"role": "assistant", "content": answer}]

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": EXAMPLES_FORMAT,
                "session": self.session_id,
                "observation": dict(self.observation),
                "action": self.action.to_dict(),
                "rationale": self.rationale,
            },
            ensure_ascii=False,
            sort_keys=True,
        )


def replay_examples(
    sessions_path: str | os.PathLike[str], *, workers: int = 1, limit: int | None = None
) -> list[TrainingExample]:
    """The examples of the first ``limit`` sessions (by id) of a file, ``workers`` replayed at once
    (each in its own context of one Chromium)."""
    from webmimic.envs.pool import EnvPool
    from webmimic.envs.replay_env import ReplayEnv
    from webmimic.replay.session import read_sessions

    sessions = sorted(read_sessions(sessions_path), key=lambda s: s.id)[:limit]
    examples: list[TrainingExample] = []

    def replay(env: ReplayEnv, session: Session) -> None:
        obs, _ = env.reset(options={"session_id": session.id, "step": len(session.steps) - 1})
        last = session.steps[-1]
        # as plain JSON (the history is a tuple in the env), so a saved example reads back equal
        observation = json.loads(json.dumps({k: obs[k] for k in PROMPT_FIELDS if k in obs}))
        examples.append(TrainingExample(session.id, observation, last.action, last.rationale))
        if len(examples) % 50 == 0 or len(examples) == len(sessions):
            print(f"  replayed {len(examples)}/{len(sessions)} sessions", file=sys.stderr, flush=True)

    with EnvPool(lambda browser, servers: ReplayEnv(sessions, browser=browser, servers=servers), workers) as pool:
        pool.run(sessions, replay)
    return sorted(examples, key=lambda e: e.session_id)


def write_examples(path: str | os.PathLike[str], examples: Iterable[TrainingExample]) -> Path:
    return atomic_write(path, "".join(e.to_json() + "\n" for e in examples))


def read_examples(path: str | os.PathLike[str]) -> list[TrainingExample]:
    """The examples of a file that ``write_examples`` wrote; a bad line is a ``DataFormatError``."""
    examples = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            try:
                record = json.loads(line)
                if record.get("format") != EXAMPLES_FORMAT:
                    raise ValueError(f"format is {record.get('format')!r}, not {EXAMPLES_FORMAT!r}")
                examples.append(
                    TrainingExample(
                        str(record["session"]),
                        dict(record["observation"]),
                        Action.from_dict(record["action"]),
                        record.get("rationale"),
                    )
                )
            except (ValueError, KeyError, TypeError, AttributeError) as err:
                raise DataFormatError(
                    f"not a training example ({err}); write the file with `webmimic train` "
                    "(it saves OUTDIR/examples.jsonl).",
                    path=str(path),
                    line=number,
                ) from err
    if not examples:
        raise DataFormatError(
            "no training examples; pass the examples.jsonl of a `webmimic train` run.", path=str(path)
        )
    return examples
