"""Import the public OPeRA dataset's action-level rows as snapshot sessions.

OPeRA (arXiv 2506.05606) ships one row per action with string columns; each row carries the
simplified HTML the person saw, so every imported session is a ``site="snapshot"`` session that
can be replayed without a live shop. Rows may come in any order and from several files: they
are grouped by ``session_id`` and ordered by time, then by ``action_id``. The import is
all-or-nothing: every row is checked first, and the output is written (atomically) only when
nothing is wrong, so a half-imported dataset can never be mistaken for a whole one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
import functools
import os
import sys
from typing import Any, TextIO

from webmimic.core.actions import Action
from webmimic.core.errors import DataFormatError
from webmimic.core.names import page_names
from webmimic.replay.jsonl import read_json_lines
from webmimic.replay.session import SNAPSHOT_SITE, Session, Step, problem_message, write_sessions

__all__ = [
    "OPERA_COLUMNS",
    "OPERA_REQUIRED_COLUMNS",
    "OPERA_OPTIONAL_COLUMNS",
    "OPERA_ACTION_TYPES",
    "ImportSummary",
    "OperaRow",
    "import_opera",
    "import_opera_main",
    "collect_opera",
]

OPERA_COLUMNS: tuple[str, ...] = (
    "session_id",
    "action_id",
    "timestamp",
    "action_type",
    "click_type",
    "semantic_id",
    "mouse_position",
    "element_meta",
    "url",
    "window_size",
    "page_meta",
    "simplified_html",
    "rationale",
    "products",
    "input_text",
    "image",
)
#: Columns the OPeRA export has and the importer never reads.
_UNREAD_COLUMNS = frozenset({"mouse_position", "element_meta", "page_meta", "products", "image"})
#: Read when present (kept in ``meta``); a missing one is left out of ``meta``.
OPERA_OPTIONAL_COLUMNS: tuple[str, ...] = ("window_size",)
#: The columns the importer reads; only these are required.
OPERA_REQUIRED_COLUMNS: tuple[str, ...] = tuple(
    c for c in OPERA_COLUMNS if c not in _UNREAD_COLUMNS and c not in OPERA_OPTIONAL_COLUMNS
)
_READ_COLUMNS = OPERA_REQUIRED_COLUMNS + OPERA_OPTIONAL_COLUMNS
OPERA_ACTION_TYPES: tuple[str, ...] = ("click", "input", "terminate")

# Reports one problem with a row: (row, field, message).
Report = Callable[["OperaRow", str, str], None]


@dataclass(frozen=True, slots=True)
class OperaRow:
    """One checked row, remembering where it came from for error messages."""

    path: str
    line: int
    values: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    @property
    def where(self) -> str:
        return f"session {self['session_id']!r} action {self['action_id']!r}"


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import produced (or would have produced, when ``problems`` is non-empty)."""

    files: int
    rows: int
    sessions: int
    purchases: int
    terminations: int
    output: str | None
    problems: tuple[DataFormatError, ...] = field(default=(), hash=False)


# ---------------------------------------------------------------------------------------------
# Reading rows


def _cell(value: Any) -> str:
    """Columns are strings; null becomes "" and anything else is stringified, never evaluated."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _missing_columns_error(path: str, missing: Sequence[str], line: int | None = None) -> DataFormatError:
    return DataFormatError(
        f"missing column(s) {', '.join(missing)}; OPeRA action rows need the columns "
        f"{', '.join(OPERA_REQUIRED_COLUMNS)} (others are ignored)",
        path=path,
        line=line,
        field=",".join(missing),
    )


def _read_parquet(path: str, problems: list[DataFormatError]) -> Iterator[OperaRow]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as err:
        problems.append(DataFormatError(f"not a readable parquet file: {err}", path=path, line=None, field=None))
        return
    missing = [c for c in OPERA_REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        problems.append(_missing_columns_error(path, missing))
        return
    columns = {c: table.column(c).to_pylist() for c in _READ_COLUMNS if c in table.column_names}
    for i in range(table.num_rows):
        yield OperaRow(path, i + 1, {c: _cell(values[i]) for c, values in columns.items()})


def _read_jsonl(path: str, problems: list[DataFormatError]) -> Iterator[OperaRow]:
    for line in read_json_lines(path):
        lineno, data = line.number, line.value
        if line.problem is not None:
            problems.append(DataFormatError(line.problem, path=path, line=lineno, field=None))
            continue
        if not isinstance(data, dict):
            message = f"each line must be a JSON object (one row), got {type(data).__name__}"
            problems.append(DataFormatError(message, path=path, line=lineno, field=None))
            continue
        missing = [c for c in OPERA_REQUIRED_COLUMNS if c not in data]
        if missing:
            problems.append(_missing_columns_error(path, missing, lineno))
            continue
        yield OperaRow(path, lineno, {c: _cell(data[c]) for c in _READ_COLUMNS if c in data})


def _read_rows(path: str, problems: list[DataFormatError]) -> list[OperaRow]:
    """Rows of one file, by content type: parquet by its magic bytes, otherwise JSON Lines."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as err:
        problems.append(
            DataFormatError(f"cannot open the file: {err.strerror or err}", path=path, line=None, field=None)
        )
        return []
    before = len(problems)
    rows = list(_read_parquet(path, problems) if magic == b"PAR1" else _read_jsonl(path, problems))
    if not rows and len(problems) == before:
        problems.append(
            DataFormatError(
                "the file holds no rows; expected OPeRA action rows as parquet or JSON Lines",
                path=path,
                line=None,
                field=None,
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Checking rows


def _parse_time(value: str) -> datetime | None:
    """ISO 8601, or epoch seconds/milliseconds; naive times are taken as UTC so all compare."""
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if number > 1e11:  # milliseconds
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _iso(value: str, moment: datetime) -> str:
    """Keep an ISO timestamp as written; turn an epoch number into ISO 8601 UTC."""
    try:
        datetime.fromisoformat(value.strip())
        return value.strip()
    except ValueError:
        return moment.isoformat().replace("+00:00", "Z")


def _id_key(action_id: str) -> tuple[int, int, str]:
    """Numeric-aware: "10" sorts after "9" when both are integers."""
    text = action_id.strip()
    if text.lstrip("-").isdigit():
        return (0, int(text), "")
    return (1, 0, text)


@functools.lru_cache(maxsize=512)
def _page_names(html: str) -> frozenset[str] | None:
    """Every ``name`` attribute in the page; None when it is blank or cannot be parsed at all."""
    try:
        return frozenset(page_names(html)) if html.strip() else None
    except ValueError:
        return None


def _check_row(row: OperaRow, report: Report) -> None:
    kind = row["action_type"].strip()
    if kind not in OPERA_ACTION_TYPES:
        report(
            row,
            "action_type",
            f"unknown action_type {row['action_type']!r}; expected one of {', '.join(OPERA_ACTION_TYPES)}",
        )
        return
    if not row["session_id"].strip():
        report(row, "session_id", "empty session_id; every row must say which session it belongs to")
    if _parse_time(row["timestamp"]) is None:
        report(row, "timestamp", f"{row['timestamp']!r} is not an ISO 8601 time or an epoch number")
    if kind == "terminate":
        return
    html = row["simplified_html"]
    if not html.strip():
        report(
            row,
            "simplified_html",
            f"empty simplified_html for a {kind} row; the page the person saw is needed to replay it",
        )
    name = row["semantic_id"].strip()
    if not name:
        report(row, "semantic_id", f"empty semantic_id for a {kind} row; it must name the element acted on")
    if kind == "input" and not row["input_text"]:
        report(row, "input_text", "an input row needs the typed text in input_text")
    if name and html.strip():
        names = _page_names(html)
        if names is None:
            report(row, "simplified_html", "simplified_html could not be parsed as HTML")
        elif name not in names:
            report(
                row, "semantic_id", f'semantic_id {name!r} is not a name="..." attribute in this row\'s simplified_html'
            )


def _action(row: OperaRow) -> Action:
    kind = row["action_type"].strip()
    if kind == "terminate":
        return Action.terminate()
    if kind == "input":
        return Action.type_and_submit(row["semantic_id"].strip(), row["input_text"])
    return Action.click(row["semantic_id"].strip())


def _outcome(rows: list[OperaRow], report: Report) -> str | None:
    """purchase or terminate, from how the session ends; None after reporting why it is unknown."""
    sid, last = rows[0]["session_id"], rows[-1]
    for row in rows[:-1]:
        if row["action_type"].strip() == "terminate":
            message = f"session {sid!r} has a terminate before its last action; terminate must end the session"
            report(row, "action_type", message)
            return None
    last_kind = last["action_type"].strip()
    if last_kind == "terminate":
        return "terminate"
    if last_kind == "click" and last["click_type"].strip() == "purchase":
        return "purchase"
    report(
        last,
        "action_type",
        f"session {sid!r} ends with a {last_kind} (click_type {last['click_type']!r}), neither terminate nor a "
        "purchase click, so its outcome is unknown; drop the session or add its final row",
    )
    return None


def _steps(rows: list[OperaRow], report: Report) -> list[Step] | None:
    """The rows as steps, each with the page the person saw; None after reporting why not."""
    steps: list[Step] = []
    page = ""
    for row in rows:
        # A terminate row may have no page of its own: the person left from the page they were on.
        page = row["simplified_html"] if row["simplified_html"].strip() else page
        if not page:
            message = f"session {row['session_id']!r} starts with a terminate row that has no page; nothing to replay"
            report(row, "simplified_html", message)
            return None
        moment = _parse_time(row["timestamp"])
        assert moment is not None
        steps.append(
            Step(
                action=_action(row),
                url=row["url"],
                timestamp=_iso(row["timestamp"], moment),
                page=page,
                rationale=row["rationale"] or None,
                click_type=row["click_type"].strip() or None,
            )
        )
    return steps


def _build_session(rows: list[OperaRow], report: Report) -> Session | None:
    """One snapshot session from a session's ordered rows, or None after reporting why not."""
    outcome = _outcome(rows, report)
    steps = _steps(rows, report) if outcome is not None else None
    if outcome is None or steps is None:
        return None
    first, last = rows[0], rows[-1]
    sid = first["session_id"]
    start_url = first["url"] if first["url"].startswith(("http://", "https://")) else ""
    meta: dict[str, Any] = {"opera_session_id": sid, "action_ids": [r["action_id"] for r in rows]}
    if "window_size" in first.values:
        meta["window_size"] = first["window_size"]
    try:
        return Session(
            id=sid,
            site=SNAPSHOT_SITE,
            start_url=start_url,
            steps=tuple(steps),
            outcome=outcome,
            persona=None,
            source="opera",
            meta=meta,
        )
    except DataFormatError as err:
        report(last, err.field or "", str(err))
        return None


def collect_opera(inputs: Sequence[str]) -> tuple[list[Session], ImportSummary]:
    """Read and check every row of every input; sessions are only trustworthy if no problems."""
    problems: list[DataFormatError] = []

    def report(row: OperaRow, fld: str, message: str) -> None:
        problems.append(DataFormatError(f"{row.where}: {message}", path=row.path, line=row.line, field=fld))

    rows: list[OperaRow] = []
    for path in inputs:
        rows.extend(_read_rows(os.fspath(path), problems))
    good: list[OperaRow] = []
    seen: dict[tuple[str, str], OperaRow] = {}
    for row in rows:
        before = len(problems)
        _check_row(row, report)
        key = (row["session_id"], row["action_id"].strip())
        if key in seen:
            other = seen[key]
            report(row, "action_id", f"duplicate row: the same session and action_id is at {other.path}:{other.line}")
        else:
            seen[key] = row
        if len(problems) == before:
            good.append(row)
    groups: dict[str, list[OperaRow]] = {}
    for row in good:
        groups.setdefault(row["session_id"], []).append(row)
    sessions: list[Session] = []
    for sid in groups:
        ordered = sorted(groups[sid], key=lambda r: (_parse_time(r["timestamp"]), _id_key(r["action_id"])))
        session = _build_session(ordered, report)
        if session is not None:
            sessions.append(session)
    sessions.sort(key=lambda s: (_parse_time(s.steps[0].timestamp), s.id))
    summary = ImportSummary(
        files=len(inputs),
        rows=len(rows),
        sessions=len(sessions),
        purchases=sum(s.outcome == "purchase" for s in sessions),
        terminations=sum(s.outcome == "terminate" for s in sessions),
        output=None,
        problems=tuple(problems),
    )
    return sessions, summary


def import_opera(inputs: Sequence[str], output: str) -> ImportSummary:
    """Convert OPeRA rows (parquet or JSON Lines, merged) into a session file; all or nothing.

    Raises the first problem as a DataFormatError (its message says how many more there are)
    and writes nothing when any row is bad.
    """
    if not inputs:
        raise DataFormatError("no input files; give one or more OPeRA parquet or JSON Lines files")
    sessions, summary = collect_opera(inputs)
    if summary.problems:
        first = summary.problems[0]
        more = len(summary.problems) - 1
        if more:
            first.args = (f"{first.args[0]} (and {more} more problem(s); nothing was written)",)
        raise first
    write_sessions(output, sessions)
    return ImportSummary(
        summary.files, summary.rows, summary.sessions, summary.purchases, summary.terminations, os.fspath(output)
    )


def import_opera_main(
    inputs: Sequence[str], output: str, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """CLI entry: print every problem as ``path:row: field: message`` (stderr) or a summary; 0/1."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if not inputs:
        print("import-opera: give one or more OPeRA parquet or JSON Lines files", file=err)
        return 1
    sessions, summary = collect_opera(inputs)
    if summary.problems:
        for problem in summary.problems:
            print(problem_message(problem), file=err)
        print(f"FAILED: {len(summary.problems)} problem(s); nothing was written to {output}", file=err)
        return 1
    try:
        write_sessions(output, sessions)
    except (OSError, DataFormatError) as exc:
        print(f"{output}: cannot write: {exc}", file=err)
        return 1
    print(
        f"OK: {summary.sessions} sessions ({summary.purchases} purchase, {summary.terminations} terminate) "
        f"from {summary.rows} rows in {summary.files} files -> {output}",
        file=out,
    )
    return 0
