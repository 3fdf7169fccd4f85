"""The run directory of ``webmimic eval``: its file names, its step record, its one reader and its writers.

Everything that reads or writes a run directory (the runner, metrics, the report, ``compare``,
the demo) goes through this module, so the layout and the record format are spelled once::

    run.json        the manifest: what was run (agent, sessions file and hash, seed), for --resume
    steps.jsonl     one StepRecord per line, appended a whole session at a time
    metrics.json    the numbers of the finished run
    report.html     the page to read the run step by step
    shots/<session>/<step>.jpg   screenshots (the first --screenshots sessions)
    traces/<session>.zip         Playwright traces (--trace)

Torn-line policy of ``steps.jsonl`` (the one policy every reader gets, through ``read_steps``):
the file is only ever appended to in whole, fsync'd sessions, so a crash can leave at most one
unterminated last line. That line is dropped and reported as ``torn`` (``--resume`` rewrites
the file without it and redoes its session; the report and ``compare`` ignore it). Every
complete (newline-terminated) line must be a valid step record: one that is not (bad UTF-8, not
JSON, a missing, unknown or ill-typed field) was damaged or edited rather than interrupted, so
it raises ``EvalRunError`` naming file:line, the field, and what would fix it. A missing file
is a run with no records yet.

JSON files (``run.json``, ``metrics.json``), screenshots and rewrites of ``steps.jsonl`` are
written with ``webmimic.core.files.atomic_write``: they appear whole or not at all.

One run at a time: an eval holds ``run_lock`` on its directory from before it reads what is there
until it has written the report, so a second eval (or resume) in the same directory is refused
rather than interleaved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
import fcntl
import hashlib
import json
import os
from pathlib import Path
import re
from types import TracebackType
from typing import Any

from webmimic.core.actions import Action
from webmimic.core.errors import ActionParseError, DiskFullError, EvalRunError
from webmimic.core.files import atomic_write, disk_full_error, is_disk_full
from webmimic.core.match import Match
from webmimic.replay.session import OUTCOMES

__all__ = [
    "run_files",
    "STEPS_FILE",
    "METRICS_FILE",
    "MANIFEST_FILE",
    "REPORT_FILE",
    "SHOTS_DIR",
    "TRACES_DIR",
    "Box",
    "Boxes",
    "StepRecord",
    "StepsFile",
    "StepsWriter",
    "read_steps",
    "rewrite_steps",
    "read_manifest",
    "write_manifest",
    "read_metrics",
    "write_metrics",
    "safe_name",
    "shot_path",
    "trace_path",
]

STEPS_FILE = "steps.jsonl"
METRICS_FILE = "metrics.json"
MANIFEST_FILE = "run.json"
REPORT_FILE = "report.html"
SHOTS_DIR = "shots"
TRACES_DIR = "traces"

FIX = (
    "A crash only ever tears the last line, so this one was damaged or edited: delete it (or the whole file) "
    "and rerun `webmimic eval --resume` to redo its session."
)

KEPT = (
    "The sessions written before are intact; `webmimic eval --resume` with the same arguments redoes only "
    "the unfinished ones."
)

#: An element's bounding box in CSS pixels: x, y, width, height.
Box = tuple[float, float, float, float]


# -- names ------------------------------------------------------------------------------------------
def safe_name(text: str) -> str:
    """A file name for a session id or agent spec; a hash suffix keeps altered names distinct."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "_"
    return clean if clean == text else f"{clean[:80]}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def shot_path(session_id: str, step: int) -> str:
    """A step's screenshot, relative to the run directory (as the record's ``screenshot`` holds it)."""
    return f"{SHOTS_DIR}/{safe_name(session_id)}/{step}.jpg"


def trace_path(out: Path, session_id: str) -> Path:
    """Where a session's Playwright trace goes."""
    return out / TRACES_DIR / f"{safe_name(session_id)}.zip"


# -- the step record --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Boxes:
    """The human's and the agent's target on the step's screenshot; None: no screenshot or no element."""

    human: Box | None = None
    agent: Box | None = None

    def to_dict(self) -> dict[str, list[float] | None]:
        return {"human": _box_list(self.human), "agent": _box_list(self.agent)}


def _box_list(box: Box | None) -> list[float] | None:
    return None if box is None else list(box)


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One checked step of one session: a line of ``steps.jsonl``. Field order is the line's key order.

    ``timings`` maps a phase (agent_ms, reset_ms, screenshot_ms, step_ms) to milliseconds; treat
    it as read-only. ``outcome`` is the session's (purchase or terminate), on every step.
    """

    session_id: str
    step: int
    human_action: Action
    agent_action: Action | None  # None: the agent's output did not parse
    raw_output: str
    agent_rationale: str | None
    human_rationale: str | None
    error: str | None
    match: Match
    click_type: str | None
    url: str
    timings: Mapping[str, float]
    screenshot: str | None  # relative to the run directory
    boxes: Boxes
    is_last: bool
    outcome: str

    @property
    def exact(self) -> bool:
        """The paper's exact match of this step."""
        return self.match.exact

    @property
    def key(self) -> tuple[str, int]:
        """(session_id, step): what pairs the same step across runs."""
        return self.session_id, self.step

    @property
    def invalid(self) -> bool:
        """The agent's output was not a valid action."""
        return self.agent_action is None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the line, keys in the order every run has written them."""
        return {
            "session_id": self.session_id,
            "step": self.step,
            "human_action": self.human_action.to_dict(),
            "agent_action": self.agent_action.to_dict() if self.agent_action is not None else None,
            "raw_output": self.raw_output,
            "agent_rationale": self.agent_rationale,
            "human_rationale": self.human_rationale,
            "error": self.error,
            "match": self.match.to_dict(),
            "click_type": self.click_type,
            "url": self.url,
            "timings": dict(self.timings),
            "screenshot": self.screenshot,
            "boxes": self.boxes.to_dict(),
            "is_last": self.is_last,
            "outcome": self.outcome,
        }

    def to_line(self) -> bytes:
        """The record as one ``steps.jsonl`` line, newline included."""
        return json.dumps(self.to_dict(), ensure_ascii=False).encode("utf-8") + b"\n"

    @classmethod
    def from_dict(cls, data: Any, *, path: str | os.PathLike[str] | None = None, line: int | None = None) -> StepRecord:
        """Validate a decoded line; raise EvalRunError naming ``path:line``, the bad field and the fix."""
        if not isinstance(data, Mapping):
            raise _damaged(path, line, None, f"a step record must be a JSON object, not {type(data).__name__}")
        unknown = [k for k in data if k not in _CHECKS]
        if unknown:
            raise _damaged(path, line, str(unknown[0]), f"unknown field; a step record has only {', '.join(_CHECKS)}")
        values: dict[str, Any] = {}
        for name, check in _CHECKS.items():
            if name not in data:
                raise _damaged(path, line, name, "missing")
            try:
                values[name] = check(data[name])
            except (TypeError, ValueError, ActionParseError) as err:
                raise _damaged(path, line, name, str(err)) from err
        return cls(**values)

    @classmethod
    def from_step_info(
        cls,
        info: Mapping[str, Any],
        *,
        session_id: str,
        step: int,
        url: str,
        timings: Mapping[str, float],
        screenshot: str | None,
        boxes: Mapping[str, Sequence[float] | None],
        is_last: bool,
        outcome: str,
    ) -> StepRecord:
        """The record of a teacher-forced ``ReplayEnv.step``: its info carries the actions and the check."""
        return cls.from_dict(
            {
                "session_id": session_id,
                "step": step,
                "human_action": info["human_action"],
                "agent_action": info["agent_action"],
                "raw_output": info["raw_output"],
                "agent_rationale": info["agent_rationale"],
                "human_rationale": info["human_rationale"],
                "error": info["error"],
                "match": info["match"],
                "click_type": info["click_type"],
                "url": url,
                "timings": timings,
                "screenshot": screenshot,
                "boxes": boxes,
                "is_last": is_last,
                "outcome": outcome,
            }
        )


def _damaged(path: str | os.PathLike[str] | None, line: int | None, name: str | None, problem: str) -> EvalRunError:
    parts = [":".join(str(p) for p in (path, line) if p is not None) or "step record"]
    if name:
        parts.append(f"field {name!r}")
    return EvalRunError(f"{': '.join(parts)}: {problem}. {FIX}")


# Field checkers: each returns the typed value or raises TypeError/ValueError saying what is wrong.
def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {_json_type(value)}")
    return value


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"expected an integer of 0 or more, got {value!r}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {_json_type(value)}")
    return value


def _number(value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"expected a number, got {_json_type(value)}")
    return value


def _action(value: Any) -> Action:
    return Action.from_dict(value)  # ActionParseError says what is wrong with it


def _match(value: Any) -> Match:
    if not isinstance(value, Mapping) or set(value) != {"exact", "type", "name", "text"}:
        raise ValueError("expected an object with exactly exact, type, name and text")
    match = Match(_bool(value["type"]), _optional(_bool)(value["name"]), _optional(_bool)(value["text"]))
    if _bool(value["exact"]) != match.exact:
        raise ValueError(f"exact is {value['exact']} but type/name/text say {match.exact}")
    return match


def _timings(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object of milliseconds, got {_json_type(value)}")
    return {_str(k): _number(v) for k, v in value.items()}


def _box(value: Any) -> Box:
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        raise ValueError(f"a box is [x, y, width, height], got {value!r}")
    x, y, w, h = (_number(v) for v in value)
    return x, y, w, h


def _boxes(value: Any) -> Boxes:
    if not isinstance(value, Mapping) or set(value) != {"human", "agent"}:
        raise ValueError("expected an object with exactly human and agent")
    return Boxes(_optional(_box)(value["human"]), _optional(_box)(value["agent"]))


def _outcome(value: Any) -> str:
    if value not in OUTCOMES:
        raise ValueError(f"expected one of {', '.join(OUTCOMES)}, got {value!r}")
    return str(value)


def _json_type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


_CHECKERS: dict[str, Callable[[Any], Any]] = {
    "session_id": _str,
    "step": _int,
    "human_action": _action,
    "agent_action": _optional(_action),
    "raw_output": _str,
    "agent_rationale": _optional(_str),
    "human_rationale": _optional(_str),
    "error": _optional(_str),
    "match": _match,
    "click_type": _optional(_str),
    "url": _str,
    "timings": _timings,
    "screenshot": _optional(_str),
    "boxes": _boxes,
    "is_last": _bool,
    "outcome": _outcome,
}
# In the dataclass's field order, which is the line's key order; a field without a checker fails here.
_CHECKS: dict[str, Callable[[Any], Any]] = {f.name: _CHECKERS[f.name] for f in fields(StepRecord)}


# -- steps.jsonl -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepsFile:
    """The records of a steps file, in file order, and whether a torn last line was dropped."""

    path: Path
    records: tuple[StepRecord, ...]
    torn: bool


def read_steps(path: str | os.PathLike[str]) -> StepsFile:
    """Read ``steps.jsonl`` under the module's torn-line policy (see the module docstring)."""
    target = Path(path)
    data = target.read_bytes() if target.exists() else b""
    lines = data.split(b"\n")
    records = tuple(_parse_line(target, number, raw) for number, raw in enumerate(lines[:-1], 1))
    return StepsFile(target, records, torn=lines[-1] != b"")


def _parse_line(path: Path, number: int, raw: bytes) -> StepRecord:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise _damaged(path, number, None, f"not UTF-8 text ({err.reason} at byte {err.start})") from err
    except json.JSONDecodeError as err:
        raise _damaged(path, number, None, f"not a JSON step record ({err.msg} at column {err.colno})") from err
    return StepRecord.from_dict(data, path=path, line=number)


def rewrite_steps(path: str | os.PathLike[str], records: Iterable[StepRecord]) -> None:
    """Replace a steps file atomically with ``records`` (resume: drop a torn line and unfinished sessions)."""
    atomic_write(path, b"".join(r.to_line() for r in records))


class StepsWriter:
    """Appends whole sessions to a run's ``steps.jsonl``; the only appender, so lines are never interleaved.

    A session's screenshots are written (atomically) before its lines, and its lines in one write
    then fsync'd, so a record never points at a missing screenshot and a crash tears at most the
    session being appended. A write that fails (a full disk: ``DiskFullError``) is cut back off
    the file, so the sessions written before stay whole and ``--resume`` redoes only this one; if
    the cut fails too, the writer refuses further writes rather than append after a torn line.
    """

    def __init__(self, out: str | os.PathLike[str]):
        self.out = Path(out)
        self.path = self.out / STEPS_FILE
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._torn = False

    def write(self, records: Sequence[StepRecord], shots: Mapping[str, bytes] | None = None) -> None:
        if self._torn:
            raise EvalRunError(f"{self.path}: an earlier write failed part-way; rerun `webmimic eval --resume`.")
        root = self.out.resolve()
        for rel, data in (shots or {}).items():
            target = self.out / rel
            if not target.resolve().is_relative_to(root):
                raise EvalRunError(f"Screenshot path {rel!r} is outside the run directory {self.out}.")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(target, data)
            except OSError as err:
                if is_disk_full(err):
                    raise disk_full_error(target, err, f"Its session's steps were not written. {KEPT}") from err
                raise
        data = b"".join(r.to_line() for r in records)
        if not data:
            return
        start = os.fstat(self._fd).st_size
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
            os.fsync(self._fd)
        except BaseException as err:  # Ctrl-C between two partial writes too: never leave half a session
            # A session written whole stays, even when Ctrl-C lands in the fsync: the kernel has its bytes.
            self._cut_back(start, keep=None if isinstance(err, OSError) else start + len(data))
            if isinstance(err, OSError) and is_disk_full(err):
                raise disk_full_error(self.path, err, KEPT) from err
            if isinstance(err, OSError):
                message = f"{self.path}: cannot append the step records: {err.strerror or err}. {KEPT}"
                raise EvalRunError(message) from err
            raise

    def _cut_back(self, size: int, keep: int | None = None) -> None:
        """Drop what a failed write left after ``size`` bytes (nothing to drop on a device file),
        unless the file is ``keep`` bytes long: the whole session made it in."""
        try:
            now = os.fstat(self._fd).st_size
            if now > size and now != keep:
                os.ftruncate(self._fd, size)
                os.fsync(self._fd)
        except OSError:
            self._torn = True

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> StepsWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# -- run.json and metrics.json -----------------------------------------------------------------------
def _read_object(path: Path, fix: str) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise EvalRunError(f"{path}: not a JSON file ({err}); it was damaged or edited. {fix}") from err
    if not isinstance(data, dict):
        raise EvalRunError(f"{path}: expected a JSON object, got {_json_type(data)}. {fix}")
    return data


def run_files(out: Path) -> list[tuple[Path, str]]:
    """What a run directory holds of the run's own files, each with what it is (for the commands'
    closing lines: every command that writes says what it wrote, and where)."""
    found: list[tuple[Path, str]] = []
    for name, what in (
        (MANIFEST_FILE, "what was run (for --resume)"),
        (STEPS_FILE, "every checked step"),
        (METRICS_FILE, "the metrics and the failed sessions"),
        (REPORT_FILE, "the report: open it in a browser"),
    ):
        if (out / name).is_file():
            found.append((out / name, what))
    for folder, what, pattern in (
        (SHOTS_DIR, "screenshots, shown by the report (keep them beside it)", "*.jpg"),
        (TRACES_DIR, "Playwright traces (playwright show-trace FILE)", "*.zip"),
    ):
        count = sum(1 for _ in (out / folder).rglob(pattern)) if (out / folder).is_dir() else 0
        if count:
            found.append((out / folder, f"{count} {what}"))
    return found


def read_manifest(out: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The run's ``run.json``, or None when there is none (not an eval run directory)."""
    return _read_object(Path(out) / MANIFEST_FILE, "Restore it, or start a new run with another --out.")


def write_manifest(out: str | os.PathLike[str], manifest: Mapping[str, Any]) -> Path:
    """Write ``run.json``; a full disk is a ``DiskFullError`` naming it (no run.json: nothing to resume yet)."""
    return atomic_write(Path(out) / MANIFEST_FILE, json.dumps(manifest, indent=2))


def read_metrics(out: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The run's ``metrics.json``, or None when the run has not finished."""
    return _read_object(Path(out) / METRICS_FILE, "Rerun `webmimic eval --resume` to rewrite it.")


def write_metrics(out: str | os.PathLike[str], metrics: Mapping[str, Any]) -> Path:
    """Write ``metrics.json``; on a full disk, say that the steps are safe and how to finish the run."""
    path = Path(out) / METRICS_FILE
    try:
        return atomic_write(path, json.dumps(metrics, indent=2, ensure_ascii=False))
    except DiskFullError as err:
        kept = (
            f"The step records in {STEPS_FILE} are intact: `webmimic eval --resume` with the same arguments writes it."
        )
        raise disk_full_error(path, err, kept) from err


@contextmanager
def run_lock(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the run directory ``out`` (created if missing) for this process; EvalRunError if
    another process holds it. The lock is ``flock`` on the directory itself: no lock file to
    leave behind, and the kernel drops it when the process ends, also on SIGKILL, so a killed
    run can be resumed at once. A directory this call created is removed again if the run
    fails before writing anything into it."""
    folder = Path(out)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise EvalRunError(
            f"Another webmimic eval is writing to {folder} right now: wait until it ends (then --resume "
            "continues it), or choose another --out. Two runs in one directory would interleave their steps."
        ) from None
    try:
        yield folder
    except BaseException:
        if created and not any(folder.iterdir()):
            folder.rmdir()
        raise
    finally:
        os.close(fd)
