"""The benchmark's numbers, as pure functions over step records (the lines of ``steps.jsonl``).

Pure so that a finished run, a resumed run and ``webmimic compare`` all get their numbers from
the same records the same way, and so that each metric can be checked on hand-made records.

The records are ``webmimic.evaluation.rundir.StepRecord``s; the metrics use ``session_id``,
``step``, ``human_action``, ``agent_action`` (None when the agent's output did not parse),
``match``, ``click_type``, ``is_last`` and ``outcome`` (the session's: purchase or terminate).

Definitions (as implemented):

- ``exact_match``: each session's exact-match rate, averaged over sessions (the paper's
  headline, so long sessions don't dominate); ``exact_match_micro``: over all steps.
- ``action_type_accuracy``: share of steps whose predicted type equals the human's.
- ``action_type_macro_f1``: unweighted mean of per-class F1 over the action types present in
  the gold actions (an unparseable output is predicted class ``invalid``).
- ``element_accuracy`` (Mind2Web): the agent chose the human's element (same name, whatever the
  type); for a gold terminate, the agent terminated.
- ``operation_f1`` (Mind2Web): token F1 between the predicted and gold operation strings,
  operation = the action type as one token plus, for type_and_submit, the text's lower-cased
  whitespace tokens; averaged over steps (0 for an unparseable output).
- ``session_outcome_f1``: binary F1 with purchase as the positive class, from each session's
  last step: the agent predicts purchase when it clicks a purchase name, terminate when it
  terminates, otherwise ``other`` (wrong for either gold class). None when undefined (no gold
  and no predicted purchase).
- ``session_outcome_weighted_f1`` (OPeRA): per-class F1 of purchase and terminate, weighted by
  their gold support.
- ``click_type_weighted_f1`` (OPeRA): over steps whose human action is a click with a
  click_type; the predicted click type is the click_type of a human click step in the same
  session (among the records) whose name is the agent's clicked name; ``other`` for a click on
  any other name; ``none`` when the agent did not click. Support-weighted F1 over gold click
  types; None when no step has a click type.
- ``invalid_outputs``: steps whose output did not parse as an action.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from webmimic.core.actions import ACTION_TYPES, Action
from webmimic.core.names import is_purchase_name
from webmimic.evaluation.rundir import StepRecord

__all__ = [
    "compute_metrics",
    "f1_per_class",
    "macro_f1",
    "weighted_f1",
    "binary_f1",
    "operation_tokens",
    "token_f1",
    "predicted_outcome",
]


def f1_per_class(gold: Sequence[str], pred: Sequence[str], label: str) -> float:
    """F1 of one class; 0.0 when the class is neither in gold nor predicted."""
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Iterable[str]) -> float | None:
    """Mean per-class F1 over ``labels``; None when there are none."""
    scores = [f1_per_class(gold, pred, label) for label in labels]
    return sum(scores) / len(scores) if scores else None


def weighted_f1(gold: Sequence[str], pred: Sequence[str]) -> float | None:
    """Per-class F1 over the gold classes, weighted by gold support (sklearn's ``weighted``)."""
    support = Counter(gold)
    if not support:
        return None
    return sum(n * f1_per_class(gold, pred, label) for label, n in support.items()) / len(gold)


def binary_f1(gold: Sequence[str], pred: Sequence[str], positive: str) -> float | None:
    """F1 of the positive class; None when it appears neither in gold nor in predictions."""
    if positive not in gold and positive not in pred:
        return None
    return f1_per_class(gold, pred, positive)


def operation_tokens(action: Action | None) -> list[str]:
    """Mind2Web's operation string as tokens: the type, then the typed text's words."""
    if action is None:
        return []
    tokens: list[str] = [action.type]
    if action.type == "type_and_submit":
        tokens += (action.text or "").lower().split()
    return tokens


def token_f1(pred: Sequence[str], gold: Sequence[str]) -> float:
    """SQuAD-style token F1 (multiset overlap)."""
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return float(not pred and not gold)
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def predicted_outcome(agent: Action | None, purchase_names: Collection[str]) -> str:
    """purchase, terminate, or other (anything else at the last step, counted as wrong)."""
    if agent is None:
        return "other"
    if agent.type == "terminate":
        return "terminate"
    if agent.type == "click" and is_purchase_name(agent.name, purchase_names):
        return "purchase"
    return "other"


def _session_purchase_names(records: Iterable[StepRecord]) -> set[str]:
    """Purchase names learnt from the gold: the human's last click in bought sessions, purchase click types."""
    names: set[str] = set()
    for r in records:
        human = r.human_action
        if human.type != "click" or human.name is None:
            continue
        if r.click_type == "purchase" or (r.is_last and r.outcome == "purchase"):
            names.add(human.name)
    return names


def _predicted_click_type(agent: Action | None, types_by_name: Mapping[str, str]) -> str:
    if agent is None or agent.type != "click" or agent.name is None:
        return "none"
    return types_by_name.get(agent.name, "other")


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _element_match(record: StepRecord) -> bool:
    human, agent = record.human_action, record.agent_action
    if agent is None:
        return False
    if human.type == "terminate":
        return agent.type == "terminate"
    return agent.name == human.name


def _click_types(by_session: Mapping[str, Sequence[StepRecord]]) -> tuple[list[str], list[str]]:
    """Gold and predicted click types over the steps whose human action is a click with a click type."""
    gold: list[str] = []
    pred: list[str] = []
    for rows in by_session.values():
        typed = [r for r in rows if r.human_action.type == "click" and r.click_type]
        types_by_name = {str(r.human_action.name): str(r.click_type) for r in typed}
        for r in typed:
            gold.append(str(r.click_type))
            pred.append(_predicted_click_type(r.agent_action, types_by_name))
    return gold, pred


def compute_metrics(records: Iterable[StepRecord], *, purchase_names: Collection[str] = ()) -> dict[str, Any]:
    """Every metric of a run from its step records (order does not matter).

    ``purchase_names``: the sites' purchase names (e.g. ``buy_now``); the purchase clicks seen
    in the gold records are added to them.
    """
    rows = sorted(records, key=lambda r: r.key)
    by_session: dict[str, list[StepRecord]] = defaultdict(list)
    for r in rows:
        by_session[r.session_id].append(r)
    exact = [r.exact for r in rows]
    gold_types = [r.human_action.type for r in rows]
    pred_types = [r.agent_action.type if r.agent_action else "invalid" for r in rows]
    present = [t for t in ACTION_TYPES if t in gold_types]

    names = set(purchase_names) | _session_purchase_names(rows)
    last = [r for r in rows if r.is_last]
    gold_outcomes = [r.outcome for r in last]
    pred_outcomes = [predicted_outcome(r.agent_action, names) for r in last]
    gold_clicks, pred_clicks = _click_types(by_session)

    return {
        "sessions": len(by_session),
        "steps": len(rows),
        "exact_match": _mean([_mean([r.exact for r in rs]) or 0.0 for rs in by_session.values()]),
        "exact_match_micro": _mean(exact),
        "action_type_accuracy": _mean([g == p for g, p in zip(gold_types, pred_types, strict=True)]),
        "action_type_macro_f1": macro_f1(gold_types, pred_types, present),
        "element_accuracy": _mean([_element_match(r) for r in rows]),
        "operation_f1": _mean(
            [token_f1(operation_tokens(r.agent_action), operation_tokens(r.human_action)) for r in rows]
        ),
        "session_outcome_f1": binary_f1(gold_outcomes, pred_outcomes, "purchase"),
        "session_outcome_weighted_f1": weighted_f1(gold_outcomes, pred_outcomes),
        "click_type_weighted_f1": weighted_f1(gold_clicks, pred_clicks),
        "invalid_outputs": sum(1 for r in rows if r.invalid),
    }
