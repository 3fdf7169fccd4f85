"""Recorded sessions as typed records, and the versioned JSON Lines file format that stores them.

A session file holds one session per line (optionally gzip-compressed, ``.jsonl.gz``); every
line says ``"format": "webmimic.session/1"`` so a future format can be told apart. Loading is
strict on purpose: replays silently built from a typo'd field would score agents against the
wrong thing, so every problem becomes a :class:`DataFormatError` naming the file, the line, the
field path (``steps[3].action.name``) and what would fix it. Loading only ever parses JSON.
The format is documented in ``docs/session-format.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
import gzip
import itertools
import json
import os
from typing import Any
from urllib.parse import urlsplit

from webmimic.core.actions import ACTION_TYPES, Action
from webmimic.core.errors import ActionParseError, DataFormatError, WebmimicError
from webmimic.core.files import atomic_write
from webmimic.core.names import is_purchase_name
from webmimic.replay.jsonl import read_json_lines

__all__ = [
    "FORMAT",
    "SUPPORTED_FORMATS",
    "SNAPSHOT_SITE",
    "WEB_SITE",
    "rebase_url",
    "relative_url",
    "SOURCES",
    "OUTCOMES",
    "Persona",
    "Step",
    "StepOp",
    "STEP_OPS",
    "Session",
    "PurchaseNamesFor",
    "read_sessions",
    "iter_sessions",
    "write_sessions",
    "find_session",
    "validate_session",
    "validate_files",
    "check_files",
    "ValidationResult",
    "problem_message",
    "FrozenDict",
]

FORMAT = "webmimic.session/1"
SUPPORTED_FORMATS: tuple[str, ...] = (FORMAT,)
SNAPSHOT_SITE = "snapshot"
WEB_SITE = "web"  # a session recorded on any web app; its top-level "origin" says where
SOURCES: tuple[str, ...] = ("synthetic", "recorded", "opera")
OUTCOMES: tuple[str, ...] = ("purchase", "terminate")

PurchaseNamesFor = Callable[[str], "frozenset[str]"]

_SESSION_KEYS = ("format", "id", "site", "origin", "start_url", "persona", "source", "steps", "outcome", "meta")
_REQUIRED_SESSION_KEYS = ("format", "id", "site", "start_url", "source", "steps", "outcome")
_STEP_KEYS = ("action", "url", "timestamp", "page", "rationale", "click_type", "before")
_REQUIRED_STEP_KEYS = ("action", "url", "timestamp")
_PERSONA_OWN_KEYS = ("id", "text")


# ---------------------------------------------------------------------------------------------
# Immutable JSON values: records are frozen, so their mappings must not be editable either.


class FrozenDict(dict):
    """A read-only dict: still a dict, so ``json.dumps`` and ``dict(...)`` work on it directly."""

    __slots__ = ()

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("session records are read-only; build a new one instead")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(json.dumps(self, sort_keys=True, default=repr))

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[Any, Any]]]:
        """Rebuilt whole, not item by item, when copied or sent to another process (Ray workers)."""
        return (FrozenDict, (dict(self),))


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return FrozenDict({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _problem(message: str, *, path: str | None, line: int | None, field: str | None) -> DataFormatError:
    """A DataFormatError for ``path:line: field: message`` output (keyword-only: every part named)."""
    return DataFormatError(message, path=path, line=line, field=field)


def problem_message(err: DataFormatError) -> str:
    """One line ``path:line: field: message`` for a problem (parts that are unknown are left out)."""
    head = ":".join(str(p) for p in (err.path, err.line) if p is not None)
    parts = [p for p in (head, err.field, err.reason) if p]
    return ": ".join(parts)


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class Persona:
    """Who the person is; ``text`` is free text for prompts, ``fields`` keeps everything else."""

    id: str | None = None
    text: str | None = None
    fields: Mapping[str, Any] = field(default_factory=FrozenDict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _freeze(dict(self.fields)))
        clash = set(self.fields) & set(_PERSONA_OWN_KEYS)
        if clash:
            raise DataFormatError(f"Persona fields must not repeat {sorted(clash)}; use the id/text attributes.")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Persona:
        rest = {k: v for k, v in data.items() if k not in _PERSONA_OWN_KEYS}
        return cls(data.get("id"), data.get("text"), rest)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        if self.text is not None:
            out["text"] = self.text
        out.update(_thaw(self.fields))
        return out


STEP_OPS: tuple[str, ...] = ("fill", "back", "forward")


@dataclass(frozen=True, slots=True)
class StepOp:
    """An unscored browser operation in a step's ``before``: ``fill`` (type ``text`` into the text
    field ``name`` without submitting), ``back`` or ``forward`` (the browser's history buttons)."""

    op: str
    name: str | None = None
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "name": self.name, "text": self.text} if self.op == "fill" else {"op": self.op}


@dataclass(frozen=True, slots=True)
class Step:
    """One human action and what the person saw just before it."""

    action: Action
    url: str
    timestamp: str
    page: str | None = None
    rationale: str | None = None
    click_type: str | None = None
    before: tuple[StepOp, ...] = ()
    """Browser operations the person did after the previous action and before this one, which a
    replay performs (unscored) before showing this step's page: ``StepOp`` fills and back/forward."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "action": self.action.to_dict(),
            "url": self.url,
            "timestamp": self.timestamp,
            "page": self.page,
            "rationale": self.rationale,
            "click_type": self.click_type,
        }
        if self.before:  # written only when present: files without it stay as they were
            out["before"] = [op.to_dict() for op in self.before]
        return out


@dataclass(frozen=True, slots=True)
class Session:
    """A whole recorded session; construction enforces the format's consistency rules."""

    id: str
    site: str
    start_url: str
    steps: tuple[Step, ...]
    outcome: str
    persona: Persona | None = None
    source: str = "recorded"
    meta: Mapping[str, Any] = field(default_factory=FrozenDict, hash=False)
    origin: str | None = None
    """Where a ``"web"`` session was recorded, ``scheme://host[:port]``; None for every other site."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "meta", _freeze(dict(self.meta)))
        for fld, message in _origin_problems(self.site, self.origin):
            raise DataFormatError(f"session {self.id!r}: {message}", field=fld)
        for fld, message in _consistency_problems(self.site, self.start_url, self.source, self.steps, self.outcome):
            raise DataFormatError(f"session {self.id!r}: {message}", field=fld)

    @property
    def is_snapshot(self) -> bool:
        return self.site == SNAPSHOT_SITE

    @property
    def is_web(self) -> bool:
        """Recorded on any web app (``site: "web"``) at ``origin``: no bundled server replays it."""
        return self.site == WEB_SITE

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(s.action for s in self.steps)

    @classmethod
    def from_dict(cls, data: Any, *, path: str | None = None, line: int | None = None) -> Session:
        """Validate one decoded line; raises the first problem found as a DataFormatError."""
        session, problems = _parse_session(data, path=path, line=line)
        if problems:
            raise problems[0]
        assert session is not None
        return session

    def to_dict(self) -> dict[str, Any]:
        head: dict[str, Any] = {"format": FORMAT, "id": self.id, "site": self.site}
        if self.origin is not None:  # written only for web sessions: other lines stay as they were
            head["origin"] = self.origin
        return {
            **head,
            "start_url": self.start_url,
            "persona": None if self.persona is None else self.persona.to_dict(),
            "source": self.source,
            "steps": [s.to_dict() for s in self.steps],
            "outcome": self.outcome,
            "meta": _thaw(self.meta),
        }


# ---------------------------------------------------------------------------------------------
# Validation


def _consistency_problems(
    site: str, start_url: str, source: str, steps: Sequence[Step], outcome: str
) -> list[tuple[str, str]]:
    """Cross-field rules as (field, message-with-fix) pairs; empty when the session is consistent."""
    snapshot = site == SNAPSHOT_SITE
    out = _header_problems(snapshot, start_url, source, outcome)
    if not steps:
        return [*out, ("steps", "a session needs at least one step")]
    return out + _step_problems(steps, snapshot) + _outcome_problems(steps, outcome, snapshot)


def _origin_problems(site: str, origin: Any) -> list[tuple[str, str]]:
    """A web session names the origin it was recorded at; no other session has one."""
    if site != WEB_SITE:
        if origin is None:
            return []
        return [("origin", f'only "web" sessions have an origin; remove it, or set site to "web" (site is {site!r})')]
    if origin is None:
        return [("origin", 'a "web" session needs the origin it was recorded at, e.g. "http://127.0.0.1:8000"')]
    if not isinstance(origin, str):
        return [("origin", f'must be a string such as "http://127.0.0.1:8000", got {type(origin).__name__}')]
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or origin != f"{parts.scheme}://{parts.netloc}":
        fix = f'write it as scheme://host[:port] with no path, query or trailing "/", e.g. "{_origin_of(origin)}"'
        return [("origin", f"{origin!r} is not an http(s) origin; {fix}")]
    return []


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return "http://127.0.0.1:8000"


def relative_url(url: str, base: str) -> str:
    """``url`` as a path (with query and fragment) when it lies under ``base`` (an origin, or a base
    URL with a path prefix such as ``https://staging.example.com/pr-7``); as is otherwise."""
    base = base.rstrip("/")
    if url == base:
        return "/"
    if url.startswith(base) and url[len(base)] in "/?#":
        rest = url[len(base) :]
        return rest if rest.startswith("/") else "/" + rest
    return url


def rebase_url(url: str, origin: str, base: str) -> str:
    """A URL recorded at ``origin`` (absolute, or a path) as it is at ``base``, path form when it
    lies there: ``rebase_url("http://a:1/s?q=x", "http://a:1", "http://b:2") == "/s?q=x"``. A URL on
    another origin (a third-party page) stays absolute, and compares as such."""
    if url.startswith("/"):
        return url
    return relative_url(url, origin)


def _header_problems(snapshot: bool, start_url: str, source: str, outcome: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if source not in SOURCES:
        out.append(("source", f"unknown source {source!r}; use one of {', '.join(SOURCES)}"))
    if outcome not in OUTCOMES:
        out.append(("outcome", f"unknown outcome {outcome!r}; use 'purchase' or 'terminate'"))
    if snapshot and start_url and not start_url.startswith(("http://", "https://")):
        message = f'a snapshot session\'s start_url must be an absolute http(s) URL or "", got {start_url!r}'
        out.append(("start_url", message))
    elif not snapshot and not start_url.startswith("/"):
        out.append(("start_url", f'a live site\'s start_url is a path such as "/", got {start_url!r}'))
    return out


def _step_problems(steps: Sequence[Step], snapshot: bool) -> list[tuple[str, str]]:
    out = [
        (f"steps[{i}].action.type", "terminate may only be the last step; drop the steps after it or this step")
        for i, step in enumerate(steps[:-1])
        if step.action.type == "terminate"
    ]
    if snapshot:
        message = "snapshot sessions carry their own pages; set the simplified HTML the person saw"
        out += [(f"steps[{i}].page", message) for i, step in enumerate(steps) if not step.page]
    return out


def _outcome_problems(steps: Sequence[Step], outcome: str, snapshot: bool) -> list[tuple[str, str]]:
    last, n = steps[-1], len(steps) - 1
    kind = last.action.type
    if outcome == "terminate" and kind != "terminate":
        fix = 'end with {"type": "terminate"} or set outcome \'purchase\''
        return [("outcome", f"outcome is 'terminate' but the last action is {kind}; {fix}")]
    if outcome == "purchase" and kind != "click":
        fix = "a purchase ends with a click on the buy button"
        return [("outcome", f"outcome is 'purchase' but the last action is {kind}; {fix}")]
    if outcome == "purchase" and snapshot and any(s.click_type for s in steps) and last.click_type != "purchase":
        message = f"the purchase click should have click_type 'purchase', got {last.click_type!r}"
        return [(f"steps[{n}].click_type", message)]
    return []


def validate_session(
    session: Session,
    *,
    purchase_names: frozenset[str] | None = None,
    path: str | None = None,
    line: int | None = None,
) -> list[DataFormatError]:
    """Checks that need outside knowledge: for live sites, that a purchase click hits a buy name."""
    if session.is_snapshot or session.is_web or purchase_names is None or session.outcome != "purchase":
        return []
    name = session.steps[-1].action.name or ""
    if is_purchase_name(name, purchase_names):
        return []
    n = len(session.steps) - 1
    return [
        _problem(
            f"outcome is 'purchase' but {name!r} is not one of site {session.site!r}'s purchase names "
            f"({', '.join(sorted(purchase_names)) or 'none'}); click one of those last or set outcome 'terminate'",
            path=path,
            line=line,
            field=f"steps[{n}].action.name",
        )
    ]


def _action_field(raw: Any) -> str:
    """Which part of a bad action dict is at fault, so the error points at it."""
    if not isinstance(raw, Mapping) or set(raw) - {"type", "name", "text"}:
        return "action"
    kind = raw.get("type")
    if kind not in ACTION_TYPES:
        return "action.type"
    if kind == "terminate":
        return "action.name" if raw.get("name") is not None else "action.text"
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        return "action.name"
    return "action.text"


def _check_keys(
    data: Mapping[str, Any],
    allowed: Sequence[str],
    required: Sequence[str],
    prefix: str,
    report: Callable[[str, str], None],
) -> bool:
    ok = True
    for key in data:
        if key not in allowed:
            report(
                f"{prefix}{key}",
                f'unknown key; allowed keys are {", ".join(allowed)} (put extra data in "meta")'
                if not prefix
                else f"unknown key; allowed keys are {', '.join(allowed)}",
            )
            ok = False
    for key in required:
        if key not in data:
            report(f"{prefix}{key}", "missing required key; add it")
            ok = False
    return ok


def _opt_str(data: Mapping[str, Any], key: str, fld: str, report: Callable[[str, str], None]) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        report(fld, f"must be a string or null, got {type(value).__name__}")
        return None
    return value


def _parse_step(raw: Any, i: int, report: Callable[[str, str], None]) -> Step | None:
    prefix = f"steps[{i}]."
    if not isinstance(raw, Mapping):
        report(f"steps[{i}]", f"a step must be a JSON object, got {type(raw).__name__}")
        return None
    ok = _check_keys(raw, _STEP_KEYS, _REQUIRED_STEP_KEYS, prefix, report)
    action: Action | None = None
    if "action" in raw:
        try:
            action = Action.from_dict(raw["action"])
        except ActionParseError as err:
            report(prefix + _action_field(raw["action"]), str(err))
    for key in ("url", "timestamp"):
        if key in raw and not isinstance(raw[key], str):
            report(prefix + key, f"must be a string, got {type(raw[key]).__name__}")
            ok = False
    ts = raw.get("timestamp")
    if isinstance(ts, str):
        try:
            datetime.fromisoformat(ts)
        except ValueError:
            report(prefix + "timestamp", f'{ts!r} is not an ISO 8601 time; write e.g. "2025-03-01T12:30:05Z"')
            ok = False
    opts = {k: _opt_str(raw, k, prefix + k, report) for k in ("page", "rationale", "click_type")}
    before = _parse_before(raw.get("before", []), prefix + "before", report)
    if not ok or action is None or before is None or any(raw.get(k) is not None and opts[k] is None for k in opts):
        return None
    return Step(action, raw["url"], raw["timestamp"], opts["page"], opts["rationale"], opts["click_type"], before)


def _parse_before(raw: Any, fld: str, report: Callable[[str, str], None]) -> tuple[StepOp, ...] | None:
    """A step's ``before``: a list of {"op": "fill", "name": N, "text": T}, {"op": "back"}, {"op": "forward"}."""
    if not isinstance(raw, list):
        report(fld, f"must be a list of operations, got {type(raw).__name__}")
        return None
    ops: list[StepOp] = []
    for j, op in enumerate(raw):
        where = f"{fld}[{j}]"
        kind = op.get("op") if isinstance(op, Mapping) else None
        if kind not in STEP_OPS:
            report(where, f'must be an object whose "op" is one of {", ".join(STEP_OPS)}')
            return None
        keys = ("op", "name", "text") if kind == "fill" else ("op",)
        if set(op) != set(keys):
            report(where, f"a {kind!r} operation has exactly the keys {', '.join(keys)}")
            return None
        if kind == "fill" and not (isinstance(op["name"], str) and op["name"] and isinstance(op["text"], str)):
            report(where, 'a fill needs a non-empty string "name" and a string "text"')
            return None
        ops.append(StepOp(kind, op.get("name"), op.get("text")))
    return tuple(ops)


def _parse_persona(raw: Any, report: Callable[[str, str], None]) -> Persona | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        report("persona", f"must be an object or null, got {type(raw).__name__}")
        return None
    pid = _opt_str(raw, "id", "persona.id", report)
    ptext = _opt_str(raw, "text", "persona.text", report)
    if (raw.get("id") is None or pid is not None) and (raw.get("text") is None or ptext is not None):
        return Persona.from_dict(raw)
    return None


def _parse_session(data: Any, *, path: str | None, line: int | None) -> tuple[Session | None, list[DataFormatError]]:
    """Parse and validate one session, collecting every problem rather than stopping at the first."""
    problems: list[DataFormatError] = []

    def report(fld: str, message: str) -> None:
        problems.append(_problem(message, path=path, line=line, field=fld))

    if not isinstance(data, Mapping):
        report("", f"a session line must be a JSON object, got {type(data).__name__}")
        return None, problems
    fmt = data.get("format")
    if "format" in data and fmt not in SUPPORTED_FORMATS:
        report(
            "format",
            f"unsupported format {fmt!r}; this webmimic reads {', '.join(SUPPORTED_FORMATS)}: a file written by a "
            "newer webmimic needs that version (pip install -U webmimic), any other must be converted",
        )
        return None, problems
    _check_keys(data, _SESSION_KEYS, _REQUIRED_SESSION_KEYS, "", report)
    if isinstance(data.get("site"), str):
        for fld, message in _origin_problems(data["site"], data.get("origin")):
            report(fld, message)
    for key in ("id", "site", "start_url", "source", "outcome"):
        if key in data and not isinstance(data[key], str):
            report(key, f"must be a string, got {type(data[key]).__name__}")
    if isinstance(data.get("id"), str) and not data["id"]:
        report("id", "must be a non-empty string")
    if isinstance(data.get("site"), str) and not data["site"]:
        report("site", 'must be a site name such as "shop", "web" (any web app, with "origin"), or "snapshot"')
    persona = _parse_persona(data.get("persona"), report)
    meta = data.get("meta")
    if meta is None:
        meta = {}
    elif not isinstance(meta, Mapping):
        report("meta", f"must be an object, got {type(meta).__name__}")
    raw_steps = data.get("steps")
    steps: list[Step | None] = []
    if "steps" in data:
        if not isinstance(raw_steps, list):
            report("steps", f"must be a list of steps, got {type(raw_steps).__name__}")
        else:
            steps = [_parse_step(raw, i, report) for i, raw in enumerate(raw_steps)]
    if problems:
        return None, problems
    good_steps = tuple(s for s in steps if s is not None)
    for fld, message in _consistency_problems(
        data["site"], data["start_url"], data["source"], good_steps, data["outcome"]
    ):
        report(fld, message)
    if problems:
        return None, problems
    fields = {key: data[key] for key in ("id", "site", "start_url", "outcome", "source")}
    session = Session(**fields, steps=good_steps, persona=persona, meta=meta, origin=data.get("origin"))
    return session, problems


# ---------------------------------------------------------------------------------------------
# Files


class _PurchaseNames:
    """Each site's purchase names, asked once per site; an unknown site is a problem message."""

    def __init__(self, lookup: PurchaseNamesFor | None) -> None:
        self._lookup = lookup
        self._cache: dict[str, frozenset[str] | str] = {}

    def problems(self, session: Session, path: str, line: int) -> list[DataFormatError]:
        if self._lookup is None or session.is_snapshot or session.is_web:
            return []
        if session.site not in self._cache:
            try:
                self._cache[session.site] = frozenset(self._lookup(session.site))
            except (WebmimicError, LookupError) as err:
                self._cache[session.site] = f"unknown site {session.site!r}: {err}"
        names = self._cache[session.site]
        if isinstance(names, str):
            return [_problem(names, path=path, line=line, field="site")]
        return validate_session(session, purchase_names=names, path=path, line=line)


def _scan(
    path: str, purchase_names_for: PurchaseNamesFor | None
) -> Iterator[tuple[Session | None, list[DataFormatError]]]:
    """Yield (session or None, problems) per non-empty line, plus file-level problems."""
    path = os.fspath(path)
    seen: dict[str, int] = {}
    purchase_names = _PurchaseNames(purchase_names_for)
    lines = read_json_lines(path)
    try:
        first = next(lines, None)
    except OSError as err:
        yield None, [_problem(_cannot_open(err), path=path, line=None, field=None)]
        return
    if first is None:
        message = "the file holds no sessions (it is empty); give a file with one session per line"
        yield None, [_problem(message, path=path, line=None, field=None)]
        return
    for line in itertools.chain([first], lines):
        if line.problem is not None:
            yield None, [_problem(line.problem, path=path, line=line.number, field=None)]
            continue
        session, problems = _parse_session(line.value, path=path, line=line.number)
        if session is not None:
            if session.id in seen:
                fix = "ids must be unique within a file"
                message = f"duplicate session id {session.id!r} (first on line {seen[session.id]}); {fix}"
                problems.append(_problem(message, path=path, line=line.number, field="id"))
            seen.setdefault(session.id, line.number)
            problems += purchase_names.problems(session, path, line.number)
        yield (None if problems else session), problems


def _cannot_open(err: OSError) -> str:
    if isinstance(err, IsADirectoryError):
        return "is a folder, not a session file; give a .jsonl or .jsonl.gz file"
    if isinstance(err, FileNotFoundError):
        return "no such file; check the path"
    return f"cannot open the file: {err.strerror or err}"


def iter_sessions(
    path: str | os.PathLike[str], *, purchase_names_for: PurchaseNamesFor | None = None
) -> Iterator[Session]:
    """Yield sessions line by line; raises the first problem as a DataFormatError."""
    for session, problems in _scan(os.fspath(path), purchase_names_for):
        if problems:
            raise problems[0]
        assert session is not None
        yield session


def read_sessions(path: str | os.PathLike[str], *, purchase_names_for: PurchaseNamesFor | None = None) -> list[Session]:
    """All sessions of a file, fully validated."""
    return list(iter_sessions(path, purchase_names_for=purchase_names_for))


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """What checking some files found: valid session count, files read, and every problem."""

    sessions: int
    files: int
    problems: tuple[DataFormatError, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_files(
    paths: Iterable[str | os.PathLike[str]], *, purchase_names_for: PurchaseNamesFor | None = None
) -> ValidationResult:
    """Scan every line of every file, counting good sessions and collecting all problems."""
    problems: list[DataFormatError] = []
    good = files = 0
    for path in paths:
        files += 1
        for session, found in _scan(os.fspath(path), purchase_names_for):
            problems.extend(found)
            good += session is not None
    return ValidationResult(good, files, tuple(problems))


def validate_files(
    paths: Iterable[str | os.PathLike[str]], *, purchase_names_for: PurchaseNamesFor | None = None
) -> list[DataFormatError]:
    """Every problem in every file (not just the first), in file and line order."""
    return list(check_files(paths, purchase_names_for=purchase_names_for).problems)


def write_sessions(path: str | os.PathLike[str], sessions: Iterable[Session]) -> None:
    """Write sessions atomically (``webmimic.core.files``); gzip for ``.gz``.

    Everything is serialised before the file is touched, so a session that cannot be written
    leaves any existing file as it was and no temp file behind.
    """
    path = os.fspath(path)
    lines: list[str] = []
    seen: set[str] = set()
    for session in sessions:
        if not isinstance(session, Session):
            raise DataFormatError(f"write_sessions takes Session records, got {type(session).__name__}", path=path)
        if session.id in seen:
            raise DataFormatError(
                f"duplicate session id {session.id!r}; ids must be unique within a file", path=path, field="id"
            )
        seen.add(session.id)
        try:
            lines.append(json.dumps(session.to_dict(), ensure_ascii=False, allow_nan=False) + "\n")
        except (TypeError, ValueError) as err:
            raise DataFormatError(f"session {session.id!r} cannot be written as JSON: {err}", path=path) from err
    data = "".join(lines).encode("utf-8")
    if path.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    atomic_write(path, data)


def find_session(sessions: Iterable[Session], session_id: str) -> Session:
    """The session with that id; the KeyError lists a few ids that do exist."""
    pool = list(sessions)
    for session in pool:
        if session.id == session_id:
            return session
    known = ", ".join(repr(s.id) for s in pool[:10])
    raise KeyError(f"no session with id {session_id!r}; known ids include {known or 'none (no sessions)'}")
