"""Every exception webmimic raises on purpose, so callers can catch by type.

One tree; every layer raises from it, and nothing here needs a browser::

    WebmimicError
    ├── ChromiumNotFoundError      no Chromium executable; the message says how to get one
    ├── BrowserClosedError         a Browser or Tab used after close()
    ├── ActionError                an agent's action could not be carried out
    │   ├── ActionParseError       not JSON, or not the paper's action schema
    │   ├── ElementNotFoundError   no element carries that name (lists the closest names)
    │   ├── ElementNotInteractableError  the element exists but cannot take that action
    │   └── ActionTimeoutError     the page did not settle within the timeout
    ├── SiteError                  an unknown site, or a site that failed to start
    ├── ReplayDivergenceError      a live replay no longer matches its recording
    ├── DataFormatError            a bad data file (sessions, OPeRA rows): names file, line, field
    ├── EvalRunError               a run directory that cannot be used as asked (not empty,
    │                              a resume that does not match, a damaged steps file)
    ├── AgentBackendError          a model server that failed or stayed unreachable after retries
    ├── PromptTooLongError         a page whose named elements alone exceed a model's token budget
    └── ModelFolderError           a model folder that cannot be loaded safely: names the file and the fix

Calling ``step`` before ``reset`` is gymnasium's own ``gymnasium.error.ResetNeeded``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import difflib

__all__ = [
    "WebmimicError",
    "ChromiumNotFoundError",
    "BrowserClosedError",
    "ActionError",
    "ActionParseError",
    "ElementNotFoundError",
    "ElementNotInteractableError",
    "ActionTimeoutError",
    "SiteError",
    "ReplayDivergenceError",
    "DataFormatError",
    "EvalRunError",
    "AgentBackendError",
    "PromptTooLongError",
    "ModelFolderError",
    "closest_names",
]


class WebmimicError(Exception):
    """Base class of webmimic's own errors."""


class ChromiumNotFoundError(WebmimicError):
    """No usable Chromium executable was found."""


class BrowserClosedError(WebmimicError):
    """A browser, context or tab was used after it was closed."""


class ActionError(WebmimicError):
    """An action could not be parsed or carried out on the page."""


class ActionParseError(ActionError):
    """The agent's output is not a valid action in the paper's JSON format."""


class ElementNotFoundError(ActionError):
    """No element on the page carries the requested name."""

    def __init__(self, name: str, candidates: Iterable[str]):
        self.name = name
        self.closest = closest_names(name, candidates)
        hint = f" Closest names: {', '.join(self.closest)}." if self.closest else " The page has no named elements."
        super().__init__(f"No element named {name!r} on the page.{hint}")


class ElementNotInteractableError(ActionError):
    """The element exists but cannot take the requested action (hidden, disabled, wrong kind)."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(f"Element {name!r} cannot be acted on: {reason}")


class ActionTimeoutError(ActionError):
    """The page did not settle within the configured timeout after an action."""


class SiteError(WebmimicError):
    """An unknown site name or a site server that could not start."""


class ReplayDivergenceError(WebmimicError):
    """The live site no longer matches a recorded session (the human's action can't be replayed)."""


class DataFormatError(WebmimicError, ValueError):
    """A data file is malformed. Carries where (path, line, field) and, as ``reason``, what is wrong
    and what would fix it."""

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        self.reason = message
        self.path = path
        self.line = line
        self.field = field
        where = ":".join(str(p) for p in (path, line) if p is not None)
        if field:
            where = f"{where} field {field!r}" if where else f"field {field!r}"
        super().__init__(f"{where}: {message}" if where else message)


class EvalRunError(WebmimicError):
    """The run directory cannot be used as asked (not empty, a resume that doesn't match, damaged)."""


class AgentBackendError(WebmimicError):
    """An agent's model server answered with an error, or stayed unreachable after the retries."""


class PromptTooLongError(WebmimicError):
    """The current page's named elements alone exceed the model's token budget."""


class ModelFolderError(WebmimicError, ValueError):
    """A local model folder is missing, incomplete (weights, tokenizer, chat template) or unsafe
    (pickle weights); the message names the file and what would fix it."""


def closest_names(name: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The candidate names most similar to ``name``, best first, for "did you mean" hints."""
    pool: Sequence[str] = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=n, cutoff=0.4)
    if len(close) < n:
        tail = name.rsplit(".", 1)[-1]
        close += [c for c in pool if c.endswith(tail) and c not in close][: n - len(close)]
    return close
