"""Checking an agent's action against the human's: the paper's exact match, and partial credit.

Exact match (the paper's metric): same type, same element name and, for type_and_submit, the
same text. Partial credit (in the style of Shop-R1, for RL): 0.5 for a parseable action, 0.3
for the right type, and 0.2 for the target, graded by ROUGE-L F1 over the name's tokens (and
the text's, for type_and_submit). An exact match scores 1.0 under both.
"""

from __future__ import annotations

from dataclasses import dataclass
import re

from webmimic.core.actions import Action

__all__ = ["Match", "compare_actions", "partial_credit", "rouge_l"]

FORMAT_CREDIT = 0.5
TYPE_CREDIT = 0.3
TARGET_CREDIT = 0.2


@dataclass(frozen=True, slots=True)
class Match:
    """How an agent's action compares with the human's. ``None`` fields: not applicable."""

    type: bool
    name: bool | None
    text: bool | None

    @property
    def exact(self) -> bool:
        return self.type and self.name is not False and self.text is not False

    def to_dict(self) -> dict[str, bool | None]:
        return {"exact": self.exact, "type": self.type, "name": self.name, "text": self.text}


def compare_actions(agent: Action | None, human: Action) -> Match:
    """Compare field by field; ``agent=None`` (unparseable output) matches nothing."""
    needs_name = human.type != "terminate"
    needs_text = human.type == "type_and_submit"
    if agent is None:
        return Match(False, False if needs_name else None, False if needs_text else None)
    return Match(
        type=agent.type == human.type,
        name=(agent.name == human.name) if needs_name else None,
        text=(agent.text == human.text) if needs_text else None,
    )


def _tokens(value: str | None) -> list[str]:
    return [t for t in re.split(r"[\s._]+", (value or "").lower()) if t]


def rouge_l(candidate: str | None, reference: str | None) -> float:
    """ROUGE-L F1 over word tokens (names split at dots and underscores)."""
    a, b = _tokens(candidate), _tokens(reference)
    if not a or not b:
        return float(a == b)
    prev = [0] * (len(b) + 1)
    for x in a:
        row = [0]
        for j, y in enumerate(b):
            row.append(prev[j] + 1 if x == y else max(prev[j + 1], row[j]))
        prev = row
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


def partial_credit(agent: Action | None, human: Action) -> float:
    """Shop-R1-style shaped reward in [0, 1]; 1.0 exactly when the actions match exactly."""
    if agent is None:
        return 0.0
    reward = FORMAT_CREDIT
    if agent.type != human.type:
        return reward
    reward += TYPE_CREDIT
    if human.type == "terminate":
        return reward + TARGET_CREDIT
    target = rouge_l(agent.name, human.name)
    if human.type == "type_and_submit":
        target = (target + rouge_l(agent.text, human.text)) / 2
        if agent.text != human.text or agent.name != human.name:
            target = min(target, 0.99)
    elif agent.name != human.name:
        target = min(target, 0.99)
    return reward + TARGET_CREDIT * target
