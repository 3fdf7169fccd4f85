"""The paper's prompt for an LLM shopper, and the policy that fits it into a model's token budget.

One session is one conversation: a system message (the shopper's task, the action JSON, names
copied verbatim, the persona when there is one); for each past step a user turn with the page
the human saw and an assistant turn with the rationale and the action; then a user turn with the
current page. The answer is ``{"rationale": ..., "action": {...}}``, rationale first, or the
action alone when rationales are off.

Truncation policy, applied in this order until the prompt fits the budget:

1. The oldest past page's HTML is replaced by a one-line placeholder naming its URL; its action
   and rationale stay. Then the next oldest, until every past page is a placeholder.
2. Only then is the current page shortened: the text outside named elements goes first, from the
   end of the page; then the text inside named elements. Named elements are never removed, and
   their names never change, so every action the page allows can still be written.
3. If even the current page's named elements alone do not fit, ``PromptTooLongError`` says so.

Token counts come from the caller (``count_tokens``: messages to tokens, e.g. a chat template and
a tokenizer), so the policy is the same for every backend; the caller's budget leaves room for the
answer (the model's context length minus the tokens it may generate). Every step of it is monotone, so
shortening is a binary search over how much to drop, not a token-by-token loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
import json
from typing import Any

import lxml.etree
import lxml.html

from webmimic.core.actions import AgentOutput
from webmimic.core.errors import PromptTooLongError

__all__ = [
    "Message",
    "Prompt",
    "PromptTooLongError",
    "SYSTEM_PROMPT",
    "answer_text",
    "build_messages",
    "fit_messages",
    "omitted_page",
    "unanswerable",
]

Message = dict[str, str]
CountTokens = Callable[[Sequence[Message]], int]

SYSTEM_PROMPT = """You are simulating a real person shopping online. At each step you see the web page \
the person is on (simplified HTML) and everything they did so far. Predict the very next action \
this person takes.

The actions are JSON objects:
- {"type": "click", "name": NAME}: click the element whose name attribute is NAME;
- {"type": "type_and_submit", "name": NAME, "text": TEXT}: type TEXT into the input NAME and press Enter;
- {"type": "terminate"}: leave the site.

Copy NAME verbatim from a name attribute on the current page; never invent one."""

ANSWER_WITH_RATIONALE = (
    'Answer with one JSON object, the reason first: {"rationale": "why the person does this", "action": {...}}.'
)
ANSWER_ACTION_ONLY = "Answer with the action's JSON object only."


@dataclass(frozen=True)
class Prompt:
    """Messages ready for a chat template, and what the truncation policy dropped to fit them."""

    messages: tuple[Message, ...]
    tokens: int
    omitted_pages: int = 0  # past pages replaced by a placeholder
    page_shortened: bool = False  # the current page lost text (never a named element)


def omitted_page(url: str) -> str:
    """The placeholder of a past page dropped to fit the budget (its action and rationale stay)."""
    return f"[page at {url} omitted to fit the context; the action taken there follows]"


def answer_text(action: Mapping[str, Any], rationale: str | None, *, rationales: bool) -> str:
    """An assistant turn: the rationale and the action, or the action alone."""
    if not rationales:
        return json.dumps(action, ensure_ascii=False)
    return json.dumps({"rationale": rationale or "", "action": action}, ensure_ascii=False)


def _page_turn(url: str, page: str) -> Message:
    return {"role": "user", "content": f"URL: {url}\n{page}"}


def _split_turn(message: Message) -> tuple[str, str]:
    """The (url, page) of a page turn (the inverse of ``_page_turn``)."""
    head, _, page = message["content"].partition("\n")
    return head.removeprefix("URL: "), page


def build_messages(observation: Mapping[str, Any], *, rationales: bool = True) -> list[Message]:
    """The whole conversation for an observation of Replay-v0 or Shop-v0, before truncation."""
    system = f"{SYSTEM_PROMPT}\n{ANSWER_WITH_RATIONALE if rationales else ANSWER_ACTION_ONLY}"
    if observation.get("persona"):
        system += f"\n\nThe person:\n{observation['persona']}"
    if observation.get("intent"):
        system += f"\n\nWhat they want:\n{observation['intent']}"
    messages: list[Message] = [{"role": "system", "content": system}]
    for entry in observation.get("history", ()):
        messages.append(_page_turn(entry["url"], entry.get("page") or omitted_page(entry["url"])))
        messages.append(
            {
                "role": "assistant",
                "content": answer_text(json.loads(entry["action"]), entry.get("rationale"), rationales=rationales),
            }
        )
    messages.append(_page_turn(observation.get("url", ""), observation.get("page", "")))
    return messages


def unanswerable(err: PromptTooLongError) -> AgentOutput:
    """The step's output when even the current page's named elements do not fit the model's
    context: an invalid action whose reason says so (the env records it; the run goes on)."""
    return AgentOutput("", None, None, f"{type(err).__name__}: {err}")


def fit_messages(messages: Sequence[Message], budget: int, count_tokens: CountTokens) -> Prompt:
    """Apply the truncation policy (module docstring) until ``count_tokens(messages) <= budget``."""
    fitted = list(messages)
    tokens = count_tokens(fitted)
    if tokens <= budget:
        return Prompt(tuple(fitted), tokens)
    past = [i for i, m in enumerate(fitted[:-1]) if m["role"] == "user"]

    def omitting(count: int) -> list[Message]:
        """The messages with the oldest ``count`` past pages replaced by placeholders."""
        out = list(fitted)
        for i in past[:count]:
            url = _split_turn(out[i])[0]
            out[i] = _page_turn(url, omitted_page(url))
        return out

    if past:  # the fewest oldest pages to omit: a binary search, since omitting more never adds tokens
        lo, hi = 1, len(past)
        while lo < hi:
            mid = (lo + hi) // 2
            if count_tokens(omitting(mid)) <= budget:
                hi = mid
            else:
                lo = mid + 1
        fitted = omitting(lo)
        tokens = count_tokens(fitted)
        if tokens <= budget:
            return Prompt(tuple(fitted), tokens, lo)
    url, page = _split_turn(fitted[-1])
    shortened = _shorten_page(page, lambda html: count_tokens([*fitted[:-1], _page_turn(url, html)]) <= budget)
    if shortened is None:
        raise PromptTooLongError(
            f"The current page's named elements alone need more than the budget of {budget} tokens; "
            "raise the model's context budget or use a model with a longer context."
        )
    fitted[-1] = _page_turn(url, shortened)
    return Prompt(tuple(fitted), count_tokens(fitted), len(past), page_shortened=True)


def _shorten_page(page: str, fits: Callable[[str], bool]) -> str | None:
    """The page with as little text dropped as fits (outside named elements first); None if the
    named elements alone do not fit."""
    for inside_names in (False, True):
        slots = _text_slots(page, include_named=inside_names)
        if fits(_without(page, slots, len(slots))):
            lo, hi = 0, len(slots)  # fewest slots to blank, from the end, so that the page fits
            while lo < hi:
                mid = (lo + hi) // 2
                if fits(_without(page, slots, mid)):
                    hi = mid
                else:
                    lo = mid + 1
            return _without(page, slots, lo)
    return None


def _body(page: str) -> Any:
    """The page's ``<body>`` (the whole simplified page, or a body around a fragment)."""
    return lxml.html.document_fromstring(page).find("body")


def _named(el: Any) -> bool:
    return el.get("name") is not None


def _text_slots(page: str, include_named: bool) -> list[tuple[int, str]]:
    """(element index, "text" or "tail") of each text that may go, in document order: the text
    outside named elements, and with ``include_named`` the text inside them too."""
    slots: list[tuple[int, str]] = []
    for index, el in enumerate(_body(page).iter(lxml.etree.Element)):
        in_named = any(_named(a) for a in el.iterancestors())  # where the tail is
        if el.text and el.text.strip() and (include_named or not (in_named or _named(el))):
            slots.append((index, "text"))
        if el.tail and el.tail.strip() and (include_named or not in_named):
            slots.append((index, "tail"))
    return slots


def _without(page: str, slots: Sequence[tuple[int, str]], count: int) -> str:
    """The page with the last ``count`` slots' text removed; every element and name kept."""
    body = _body(page)
    drop = set(slots[len(slots) - count :]) if count else set()
    for index, el in enumerate(body.iter(lxml.etree.Element)):
        if (index, "text") in drop:
            el.text = None
        if (index, "tail") in drop:
            el.tail = None
    if page.lstrip().startswith("<body"):
        return str(lxml.html.tostring(body, encoding="unicode"))
    return (body.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in body)
