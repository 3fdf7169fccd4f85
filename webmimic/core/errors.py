"""Every exception webmimic raises on purpose, so callers can catch by type.

One tree; every layer raises from it, and nothing here needs a browser::

    WebmimicError
    ├── ChromiumNotFoundError      no Chromium executable; the message says how to get one
    ├── BrowserClosedError         a Browser or Tab used after close()
    │   └── BrowserCrashedError    Chromium kept dying while an env restored its episode
    ├── ActionError                an agent's action could not be carried out
    │   ├── ActionParseError       not JSON, or not the paper's action schema
    │   ├── ElementNotFoundError   no element carries that name (lists the closest names)
    │   ├── ElementNotInteractableError  the element exists but cannot take that action
    │   └── ActionTimeoutError     the page did not settle within the timeout
    ├── SiteError                  an unknown site, or a site that failed to start
    │   └── SiteFailureError       the live site answered 5xx, dropped the connection or hung
    ├── ReplayDivergenceError      a live replay no longer matches its recording
    ├── DataFormatError            a bad data file (sessions, OPeRA rows): names file, line, field
    ├── EvalRunError               a run directory that cannot be used as asked (not empty,
    │                              a resume that does not match, a damaged steps file)
    ├── AgentBackendError          a model server that failed or stayed unreachable after retries
    ├── PromptTooLongError         a page whose named elements alone exceed a model's token budget
    ├── ModelFolderError           a model folder that cannot be loaded safely: names the file and the fix
    └── DiskFullError              a write failed for lack of space (also an OSError): names the file

Calling ``step`` before ``reset`` is gymnasium's own ``gymnasium.error.ResetNeeded``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import difflib
import errno

__all__ = [
    "WebmimicError",
    "ChromiumNotFoundError",
    "BrowserClosedError",
    "BrowserCrashedError",
    "ActionError",
    "ActionParseError",
    "ElementNotFoundError",
    "ElementNotInteractableError",
    "ActionTimeoutError",
    "SiteError",
    "SiteFailureError",
    "ReplayDivergenceError",
    "DataFormatError",
    "EvalRunError",
    "AgentBackendError",
    "PromptTooLongError",
    "ModelFolderError",
    "DiskFullError",
    "closest_names",
    "first_difference",
    "shorten",
]


class WebmimicError(Exception):
    """Base class of webmimic's own errors."""


class ChromiumNotFoundError(WebmimicError):
    """No usable Chromium executable was found."""


class BrowserClosedError(WebmimicError):
    """A browser, context or tab was used after it was closed."""


class BrowserCrashedError(BrowserClosedError):
    """Chromium kept dying: an env gave up restoring its episode after a bounded number of tries."""


class ActionError(WebmimicError):
    """An action could not be parsed or carried out on the page."""


class ActionParseError(ActionError):
    """The agent's output is not a valid action in the paper's JSON format."""


class ElementNotFoundError(ActionError):
    """No element on the page carries the requested name."""

    def __init__(self, name: str, candidates: Iterable[str]):
        pool = set(candidates)
        self.name = name
        self.count = len(pool)  # how many distinct names the page has
        self.closest = closest_names(name, pool)
        wanted = f"No element named {shorten(name)!r} on the page"
        if self.closest:
            many = "name" if self.count == 1 else "names"
            message = f"{wanted}. Closest names: {', '.join(self.closest)} (of {self.count} {many} on the page)."
        elif self.count == 1:
            message = f"{wanted}, and the page's one named element is not close to it."
        elif self.count:
            message = f"{wanted}, and none of the page's {self.count} named elements is close to it."
        else:
            message = f"{wanted}. The page has no named elements."
        super().__init__(message)


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


class SiteFailureError(SiteError):
    """A page load of the live site failed: an HTTP status of 500 or more, a connection that was
    refused, closed or answered nothing, or no answer within the browser's timeout.

    Envs turn it into ``info["error"]`` and ``info["site_error"]`` and end the episode
    (``truncated``) instead of raising: the site, not the agent, is at fault. ``kind`` is
    ``"status"``, ``"network"`` or ``"timeout"``; ``status`` is the HTTP status (``"status"`` only)
    and ``detail`` the browser's network error (``"network"`` only).
    """

    def __init__(self, message: str, *, url: str, kind: str, status: int | None = None, detail: str | None = None):
        self.url = url
        self.kind = kind
        self.status = status
        self.detail = detail
        super().__init__(message)

    def to_dict(self) -> dict[str, str | int | None]:
        """What ``info["site_error"]`` and an eval's ``failed_sessions`` carry."""
        return {"url": self.url, "kind": self.kind, "status": self.status, "detail": self.detail, "message": str(self)}


class ReplayDivergenceError(WebmimicError):
    """A live replay no longer matches its recording (the human's action can't be replayed).

    ``incomplete_recording`` is True when the recording itself lacks what the step needs (no
    URL, or a recorded page without the element the person acted on), so the site is not to blame.
    """

    def __init__(self, message: str, *, incomplete_recording: bool = False) -> None:
        self.incomplete_recording = incomplete_recording
        super().__init__(message)


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


class DiskFullError(WebmimicError, OSError):
    """A write failed because the disk (or the user's quota) is full. Also an ``OSError`` with
    errno ENOSPC, so code that handles write failures in general handles this one too."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.errno = errno.ENOSPC
        self.filename = self.path = path

    def __str__(self) -> str:  # the message, not OSError's "[Errno 28] ..."
        return str(self.args[0])


def closest_names(name: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The candidate names most similar to ``name``, best first, for "did you mean" hints."""
    pool: Sequence[str] = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=n, cutoff=0.4)
    tail = name.rsplit(".", 1)[-1]
    if len(close) < n and tail:  # an empty tail would "match" every name
        close += [c for c in pool if c.endswith(tail) and c not in close][: n - len(close)]
    return close


def shorten(text: str, limit: int = 120) -> str:
    """``text`` cut to ``limit`` characters for a message (an agent may send megabytes)."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def first_difference(expected: str, found: str) -> str | None:
    """Where two texts first differ, as a phrase naming the line and both versions; None if equal.

    A divergence message shows this instead of guessing why the pages differ.
    """
    if expected == found:
        return None
    old, new = expected.splitlines(), found.splitlines()
    for i, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            col = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            start = max(0, col - 40)
            return f"line {i + 1}, column {col + 1}: recorded {_window(a, start)!r}, live {_window(b, start)!r}"
    common = min(len(old), len(new))
    if len(old) != len(new):
        who, rest = ("recorded", old) if len(old) > len(new) else ("live", new)
        return f"line {common + 1}: only the {who} page goes on, with {_window(rest[common], 0)!r}"
    return "only in line endings"


def _window(line: str, start: int, width: int = 100) -> str:
    """``width`` characters of ``line`` from ``start``, with … where it was cut."""
    text = line[start : start + width]
    return ("…" if start else "") + text + ("…" if start + width < len(line) else "")
