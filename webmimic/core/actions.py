"""The paper's action space as a typed record, and the parser from JSON or raw agent text.

An action is ``{"type": "click", "name": N}``, ``{"type": "type_and_submit", "name": N,
"text": T}`` or ``{"type": "terminate"}``. Model output may wrap it as ``{"rationale": ...,
"action": {...}}`` and may surround the JSON with prose or a code fence; ``parse_action``
finds the JSON object and validates it. Nothing is ever evaluated as code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
import json
from typing import Any, Literal

from webmimic.core.errors import ActionParseError, shorten

__all__ = [
    "Action",
    "ActionType",
    "ACTION_TYPES",
    "AgentOutput",
    "describe_action",
    "parse_action",
    "parse_agent_output",
]

ActionType = Literal["click", "type_and_submit", "terminate"]
ACTION_TYPES: tuple[str, ...] = ("click", "type_and_submit", "terminate")
# Longer outputs are refused rather than scanned: one step's rationale and action fit easily.
MAX_OUTPUT_CHARS = 65_536


@dataclass(frozen=True, slots=True)
class Action:
    """One action; ``name`` is the element's semantic name, ``text`` only for type_and_submit."""

    type: ActionType
    name: str | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        if self.type not in ACTION_TYPES:
            # Only a string is shown: the repr of a deeply nested JSON value would itself recurse too deep.
            shown = repr(shorten(self.type)) if isinstance(self.type, str) else f"of type {type(self.type).__name__}"
            raise ActionParseError(f"Unknown action type {shown}; expected one of {', '.join(ACTION_TYPES)}.")
        if self.type == "terminate":
            if self.name is not None or self.text is not None:
                raise ActionParseError("A terminate action takes no 'name' or 'text'.")
            return
        if not isinstance(self.name, str) or not self.name.strip():
            raise ActionParseError(f"A {self.type} action needs a non-empty string 'name'.")
        if self.type == "type_and_submit":
            if not isinstance(self.text, str):
                raise ActionParseError("A type_and_submit action needs a string 'text'.")
        elif self.text is not None:
            raise ActionParseError("A click action takes no 'text'.")

    @classmethod
    def click(cls, name: str) -> Action:
        return cls("click", name)

    @classmethod
    def type_and_submit(cls, name: str, text: str) -> Action:
        return cls("type_and_submit", name, text)

    @classmethod
    def terminate(cls) -> Action:
        return cls("terminate")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Action:
        """Validate a mapping in the paper's format; unknown keys are an error, not ignored."""
        if not isinstance(data, Mapping):
            raise ActionParseError(f"An action must be a JSON object, got {type(data).__name__}.")
        extra = set(data) - {"type", "name", "text"}
        if extra:
            shown = sorted(repr(k) if isinstance(k, str) else type(k).__name__ for k in extra)  # keys of any type
            raise ActionParseError(f"Unexpected action key(s) {', '.join(shown)}; allowed: type, name, text.")
        if "type" not in data:
            raise ActionParseError("The action has no 'type'; expected click, type_and_submit or terminate.")
        return cls(data["type"], data.get("name"), data.get("text"))

    def to_dict(self) -> dict[str, str]:
        out: dict[str, str] = {"type": self.type}
        if self.name is not None:
            out["name"] = self.name
        if self.text is not None:
            out["text"] = self.text
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def __str__(self) -> str:
        return self.to_json()


@dataclass(frozen=True, slots=True)
class AgentOutput:
    """An agent's output, parsed once where it enters an env: the raw text and what it means.

    ``action`` is None exactly when the output is not a valid action; ``error`` then says why.
    Env ``step`` methods take the raw output or this record (so a caller that needed the action
    before stepping, like the eval runner, does not parse it a second time).
    """

    raw: str
    action: Action | None
    rationale: str | None = None
    error: str | None = None

    @classmethod
    def parse(cls, output: Any) -> AgentOutput:
        """Parse any agent output (text, dict, Action or an AgentOutput); never raises."""
        if isinstance(output, AgentOutput):
            return output
        raw = output if isinstance(output, str) else _as_text(output)
        try:
            action, rationale = parse_agent_output(output)
        except ActionParseError as err:
            return cls(raw, None, None, str(err))
        return cls(raw, action, rationale)


def _as_text(output: Any) -> str:
    """Non-text output as JSON for the record; what JSON cannot hold (cycles, depth) as its type."""
    try:
        return json.dumps(output.to_dict() if isinstance(output, Action) else output, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        return f"<unserialisable {type(output).__name__}>"


def describe_action(action: Action | None) -> str:
    """One line for a person to read: ``click search_button``, ``type_and_submit q 'shoes'``."""
    if action is None:
        return "(no valid action)"
    if action.type == "terminate":
        return "terminate"
    if action.type == "type_and_submit":
        return f"type_and_submit {action.name} {action.text!r}"
    return f"click {action.name}"


def _json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Yield each top-level JSON object found in ``text``, in order."""
    decoder = json.JSONDecoder()
    i = text.find("{")
    while i != -1:
        try:
            obj, end = decoder.raw_decode(text, i)
        except (json.JSONDecodeError, RecursionError):  # not JSON here, or nested past Python's stack
            i = text.find("{", i + 1)
            continue
        if isinstance(obj, dict):
            yield obj
        i = text.find("{", end)


def parse_agent_output(output: str | Mapping[str, Any] | Action) -> tuple[Action, str | None]:
    """Parse an agent's output into (action, rationale).

    Accepts an Action, a dict (bare action or ``{"rationale", "action"}``), a JSON string, or
    raw model text with the JSON somewhere inside. Raises ActionParseError saying what is wrong.
    """
    if isinstance(output, Action):
        return output, None
    if isinstance(output, Mapping):
        return _from_mapping(output)
    if not isinstance(output, str):
        raise ActionParseError(f"Agent output must be text, a dict or an Action, got {type(output).__name__}.")
    if len(output) > MAX_OUTPUT_CHARS:
        raise ActionParseError(
            f"Agent output is {len(output):,} characters; at most {MAX_OUTPUT_CHARS:,} are parsed. "
            "Keep the rationale short and end with the action JSON."
        )
    last_error: ActionParseError | None = None
    for obj in _json_objects(output):
        if "action" in obj or "type" in obj:
            try:
                return _from_mapping(obj)
            except ActionParseError as err:
                last_error = err
    if last_error is not None:
        raise last_error
    snippet = output.strip().replace("\n", " ")[:120]
    raise ActionParseError(
        f"No JSON action found in the agent output {snippet!r}. Expected e.g. "
        '{"rationale": "...", "action": {"type": "click", "name": "search_button"}}.'
    )


def _from_mapping(obj: Mapping[str, Any]) -> tuple[Action, str | None]:
    if "action" in obj:
        rationale = obj.get("rationale")
        if rationale is not None and not isinstance(rationale, str):
            raise ActionParseError("'rationale' must be a string.")
        return Action.from_dict(obj["action"]), rationale
    return Action.from_dict(obj), None


def parse_action(output: str | Mapping[str, Any] | Action) -> Action:
    """Parse an action from any form ``parse_agent_output`` takes, dropping the rationale."""
    return parse_agent_output(output)[0]
