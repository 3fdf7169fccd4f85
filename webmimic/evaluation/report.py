"""``report.html``: one page to read a finished run step by step.

It reads only the run directory (``steps.jsonl``, ``metrics.json``, ``shots/``, through
``webmimic.evaluation.rundir``) so it can be rebuilt at any time. CSS, JS and plots are inlined;
the screenshots stay beside it in ``shots/`` and are referenced by relative path (loaded lazily),
so the page stays small and opens fast (a few KB per step, whatever the screenshots weigh), and
the run folder as a whole opens from disk, moves and is archived as one, and never touches the
network. Agent output is untrusted: every string is HTML-escaped and a Content-Security-Policy
lets only the report's own script run and images come only from the run folder.
"""

from __future__ import annotations

import base64
from collections import Counter, defaultdict
from dataclasses import dataclass, field
import hashlib
from html import escape
import importlib.resources
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from PIL import Image, UnidentifiedImageError

from webmimic.core.actions import Action
from webmimic.core.errors import DataFormatError, EvalRunError
from webmimic.core.files import atomic_write
from webmimic.evaluation import plots
from webmimic.evaluation.rundir import METRICS_FILE, REPORT_FILE, STEPS_FILE, StepRecord, read_metrics, read_steps

__all__ = ["write_report", "render_report", "load_run", "RunData", "SessionData"]

#: (key, label, kind): kind "rate" shows as a percentage, "count" as an integer.
METRIC_ROWS: tuple[tuple[str, str, str], ...] = (
    ("exact_match", "Exact match (mean over sessions)", "rate"),
    ("exact_match_micro", "Exact match (over all steps)", "rate"),
    ("action_type_accuracy", "Action type accuracy", "rate"),
    ("action_type_macro_f1", "Action type macro F1", "rate"),
    ("element_accuracy", "Element accuracy", "rate"),
    ("operation_f1", "Operation F1", "rate"),
    ("session_outcome_f1", "Session outcome F1 (purchase)", "rate"),
    ("session_outcome_weighted_f1", "Session outcome weighted F1", "rate"),
    ("click_type_weighted_f1", "Click type weighted F1", "rate"),
    ("invalid_outputs", "Invalid outputs", "count"),
    ("sessions", "Sessions", "count"),
    ("steps", "Steps checked", "count"),
)
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


@dataclass
class SessionData:
    """One session's checked steps, in step order."""

    id: str
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def matches(self) -> int:
        return sum(1 for s in self.steps if s.exact)

    @property
    def accuracy(self) -> float:
        return self.matches / len(self.steps) if self.steps else 0.0

    @property
    def outcome(self) -> str | None:
        return next((s.outcome for s in reversed(self.steps) if s.outcome), None)


@dataclass
class RunData:
    """What a run directory holds, as the report needs it."""

    out_dir: Path
    metrics: dict[str, Any]
    sessions: list[SessionData]
    torn: bool = False  # steps.jsonl ended in a torn line (an interrupted run); it is not shown

    @property
    def steps(self) -> list[StepRecord]:
        return [s for sess in self.sessions for s in sess.steps]


def load_run(out_dir: str | os.PathLike[str]) -> RunData:
    """Read ``steps.jsonl`` (required) and ``metrics.json`` (optional) from a run directory.

    A damaged file raises DataFormatError (a report is a data reader, like ``webmimic validate``).
    """
    root = Path(out_dir)
    path = root / STEPS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"Cannot write a report: {path} does not exist (is {root} a `webmimic eval` output directory?)"
        )
    try:
        steps = read_steps(path)
        metrics = read_metrics(root) or {}
    except EvalRunError as err:
        raise DataFormatError(str(err)) from err
    sessions: dict[str, SessionData] = {}
    for rec in steps.records:
        sessions.setdefault(rec.session_id, SessionData(rec.session_id)).steps.append(rec)
    for sess in sessions.values():
        sess.steps.sort(key=lambda s: s.step)
    return RunData(root, metrics, list(sessions.values()), torn=steps.torn)


def write_report(out_dir: str | os.PathLike[str]) -> Path:
    """Write ``out_dir/report.html`` atomically and return its path."""
    run = load_run(out_dir)
    html = render_report(run)
    return atomic_write(run.out_dir / REPORT_FILE, html)


# ---------------------------------------------------------------------------- rendering
def _asset(name: str) -> str:
    return importlib.resources.files("webmimic.evaluation").joinpath(name).read_text(encoding="utf-8")


def render_report(run: RunData) -> str:
    """The whole page as a string."""
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    # Images: the inlined plots (data:) and the screenshots beside the page ('self' when served, file:
    # when opened from disk; Chromium's 'self' does not match file: URLs).
    csp = f"default-src 'none'; img-src data: 'self' file:; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"
    agent = run.metrics.get("agent")
    title = f"webmimic report: {agent}" if agent else "webmimic report"
    body = [
        '<header class="top" id="top">',
        f"<h1>{escape(str(title))}</h1>",
        f'<div class="note">{escape(str(run.out_dir))}</div>',
        '<nav><a href="#metrics">Metrics</a><a href="#plots">Plots</a><a href="#sessions">Sessions</a>'
        + ('<a href="#failed">Failed sessions</a>' if _failures(run) else "")
        + "</nav>",
        "</header><main>",
        _metrics_section(run),
        _failed_section(run),
    ]
    if run.torn:
        body.append(
            f'<p class="note" id="torn">The last line of {STEPS_FILE} is incomplete (the run was '
            "interrupted); it is not shown. <code>webmimic eval --resume</code> finishes the run.</p>"
        )
    if not run.steps:
        body.append(
            f'<p class="empty" id="no-steps">This run has no steps: {STEPS_FILE} is empty, '
            "so there is nothing to plot or step through.</p>"
        )
    else:
        body += [_plots_section(run), _index_section(run)]
        body += [_session_section(run, i, sess) for i, sess in enumerate(run.sessions, 1)]
    body.append("</main>")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(str(title))}</title>",
            f"<style>{_asset('report.css')}</style>",
            "</head><body>",
            *body,
            f"<script>{script}</script>",
            "</body></html>",
        ]
    )


def _fmt(value: Any, kind: str = "") -> str:
    if value is None:
        return '<span class="na">n/a</span>'
    if isinstance(value, bool):
        return escape(str(value))
    if kind == "rate" and isinstance(value, (int, float)):
        return f'<span title="{value!r}">{value * 100:.2f}%</span>'
    if isinstance(value, float):
        return escape(f"{value:.4g}")
    if isinstance(value, (dict, list)):
        return f"<code>{escape(json.dumps(value, ensure_ascii=False, sort_keys=True))}</code>"
    return escape(str(value))


def _metrics_section(run: RunData) -> str:
    m = run.metrics
    known = {k for k, _, _ in METRIC_ROWS} | {"failed_sessions"}  # those have a section of their own
    rows = [
        f'<tr data-key="{k}"><th>{escape(label)}</th><td class="num">{_fmt(m[k], kind)}</td></tr>'
        for k, label, kind in METRIC_ROWS
        if k in m
    ]
    rows += [
        f'<tr data-key="{escape(k)}"><th>{escape(k)}</th><td class="num">{_fmt(v)}</td></tr>'
        for k, v in m.items()
        if k not in known
        and isinstance(v, (int, float))
        and not isinstance(v, bool)
        and k not in ("seed", "wall_seconds")
    ]
    meta = [
        (k, v)
        for k, v in m.items()
        if k not in known
        and not (isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ("seed", "wall_seconds"))
    ]
    meta_rows = []
    for k, v in meta:
        if isinstance(v, dict) and k == "versions":
            v = ", ".join(f"{a} {b}" for a, b in v.items())
        meta_rows.append(f'<tr data-key="{escape(k)}"><th>{escape(k)}</th><td>{_fmt(v)}</td></tr>')
    if not m:
        return (
            f'<section id="metrics"><h2>Metrics</h2><p class="empty">No {METRICS_FILE} in this run directory; '
            f"the numbers below are from {STEPS_FILE} only.</p></section>"
        )
    return (
        '<section id="metrics"><h2>Metrics</h2><div class="tables">'
        f'<table class="metrics"><tbody>{"".join(rows)}</tbody></table>'
        f'<table class="meta"><tbody>{"".join(meta_rows)}</tbody></table>'
        "</div></section>"
    )


def _failures(run: RunData) -> list[dict[str, Any]]:
    """metrics.json's failed_sessions (sessions that could not be scored), as far as they are well formed."""
    failed = run.metrics.get("failed_sessions")
    return [f for f in failed if isinstance(f, dict)] if isinstance(failed, list) else []


def _failed_section(run: RunData) -> str:
    """Sessions that could not be scored (a site failure, a divergence): their step, URL and why."""
    failed = _failures(run)
    if not failed:
        return ""
    rows = []
    for f in failed:
        reason = str(f.get("error", ""))
        extra = ", ".join(f"{k} {v}" for k, v in f.items() if k in ("kind", "status", "detail") and v is not None)
        sid = escape(str(f.get("session_id", "?")))
        rows.append(
            f'<tr data-session="{sid}"><td>{sid}</td>'
            f'<td class="num">{_fmt(f.get("step"))}</td><td><code>{_fmt(f.get("url"))}</code></td>'
            f'<td class="error">{escape(reason)}'
            + (f'<div class="note">{escape(extra)}</div>' if extra else "")
            + "</td></tr>"
        )
    return (
        f'<section id="failed"><h2>Failed sessions ({len(failed)})</h2><p class="note">These sessions could not be '
        "scored: their steps are not saved nor counted in the metrics; <code>webmimic eval --resume</code> tries "
        'them again.</p><table class="failed"><thead><tr><th>session</th><th>step</th><th>URL</th><th>reason</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _img(data: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">'


def _plots_section(run: RunData) -> str:
    by_pos: dict[int, list[bool]] = defaultdict(list)
    for sess in run.sessions:
        for pos, step in enumerate(sess.steps, 1):
            by_pos[pos].append(step.exact)
    confusion: Counter[tuple[str, str]] = Counter(
        (s.human_action.type, s.agent_action.type if s.agent_action else "invalid") for s in run.steps
    )
    return (
        '<section id="plots"><h2>Plots</h2><div class="plots">'
        + _img(plots.png_accuracy_by_position(by_pos), "exact match by step position")
        + _img(plots.png_confusion(confusion), "action type confusion matrix")
        + _img(plots.png_session_histogram([s.accuracy for s in run.sessions]), "per-session accuracy histogram")
        + "</div></section>"
    )


def _bar(rate: float) -> str:
    return f'<span class="bar"><span style="width:{rate * 100:.1f}%"></span></span>'


def _index_section(run: RunData) -> str:
    rows = []
    for i, sess in enumerate(run.sessions, 1):
        rows.append(
            f'<tr><td class="num">{i}</td><td><a href="#s-{i}">{escape(sess.id)}</a></td>'
            f'<td class="num">{sess.matches}/{len(sess.steps)}</td>'
            f"<td>{_bar(sess.accuracy)}{sess.accuracy * 100:.0f}%</td><td>{escape(sess.outcome or '')}</td></tr>"
        )
    return (
        '<section id="sessions"><h2>Sessions</h2><table class="index"><thead><tr><th>#</th><th>session</th>'
        "<th>exact</th><th>accuracy</th><th>outcome</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section>"
    )


def _session_section(run: RunData, i: int, sess: SessionData) -> str:
    pips = "".join(
        f'<a class="pip{" match" if s.exact else ""}" href="#s-{i}-{k}" data-k="{k}" title="step {s.step}">{k}</a>'
        for k, s in enumerate(sess.steps, 1)
    )
    head = (
        f'<div class="session-head"><h2>Session {i}: {escape(sess.id)}</h2>'
        f"<span>{sess.matches}/{len(sess.steps)} exact ({sess.accuracy * 100:.0f}%)</span>"
        f'<span>outcome: {escape(sess.outcome or "?")}</span><a class="back" href="#top">↑ top</a>'
        f'<a class="back" href="#sessions">↑ sessions</a></div>'
        '<div class="controls"><button type="button" data-nav="prev" title="previous step (←)">◀ prev</button>'
        f'<span class="pos">1 / {len(sess.steps)}</span>'
        '<button type="button" data-nav="next" title="next step (→)">next ▶</button>'
        f'<span class="pips">{pips}</span><button type="button" data-nav="all">show all steps</button></div>'
    )
    steps = "".join(_step_article(run, i, k, s) for k, s in enumerate(sess.steps, 1))
    return f'<section class="session" id="s-{i}" data-session="{escape(sess.id)}">{head}{steps}</section>'


def _action_cells(act: Action | None) -> str:
    if act is None:
        return '<td colspan="3" class="bad">no valid action</td>'
    cells = []
    for v in (act.type, act.name, act.text):
        cells.append('<td class="na">–</td>' if v is None else f"<td><code>{escape(str(v))}</code></td>")
    return "".join(cells)


def _mark(v: Any) -> str:
    if v is None:
        return '<span class="na">–</span>'
    return '<span class="ok">✓</span>' if v else '<span class="bad">✗</span>'


def _step_article(run: RunData, i: int, k: int, step: StepRecord) -> str:
    match = step.match.to_dict()
    head = (
        f'<div class="step-head"><h3>Step {step.step}</h3>'
        f"<span>{_mark(step.exact)} {'exact match' if step.exact else 'mismatch'}</span>"
        + ('<span class="note">last step (outcome)</span>' if step.is_last else "")
        + (f'<span class="note">{escape(step.url)}</span>' if step.url else "")
        + "</div>"
    )
    table = (
        '<table class="actions"><thead><tr><th></th><th>type</th><th>name</th><th>text</th></tr></thead><tbody>'
        '<tr class="human"><th class="legend"><span class="human">human</span></th>'
        f"{_action_cells(step.human_action)}</tr>"
        '<tr class="agent"><th class="legend"><span class="agent">agent</span></th>'
        f"{_action_cells(step.agent_action)}</tr>"
        "</tbody></table>"
        '<table class="match"><tr>'
        + "".join(f"<th>{key}</th><td>{_mark(value)}</td>" for key, value in match.items())
        + "</tr></table>"
    )
    extra = []
    if step.click_type:
        extra.append(f'<div class="note">click type: {escape(step.click_type)}</div>')
    if step.error:
        extra.append(f'<div class="error"><b>error:</b> {escape(step.error)}</div>')
    for text, who in ((step.human_rationale, "human"), (step.agent_rationale, "agent")):
        if text:
            extra.append(
                f'<div class="rationale"><b class="legend"><span class="{who}">{who}</span></b> {escape(text)}</div>'
            )
    if step.raw_output:
        extra.append(
            f'<details class="raw"><summary>raw agent output</summary><pre>{escape(step.raw_output)}</pre></details>'
        )
    if step.timings:
        t = ", ".join(f"{escape(str(a))} {_fmt(b)}" for a, b in step.timings.items())
        extra.append(f'<div class="note">timings: {t}</div>')
    shot = _screenshot(run, step, k)
    return (
        f'<article class="step{" match" if step.exact else ""}" id="s-{i}-{k}" data-index="{k}">{head}'
        f'<div class="step-body">{shot}<div class="details">{table}{"".join(extra)}</div></div></article>'
    )


def _screenshot(run: RunData, step: StepRecord, k: int) -> str:
    """The screenshot with the human's box (green) and the agent's (red), positioned in %."""
    rel = step.screenshot
    if not rel:
        return ""
    path = (run.out_dir / rel).resolve()
    mime = IMAGE_TYPES.get(path.suffix.lower())
    if mime is None or not path.is_relative_to(run.out_dir.resolve()) or not path.is_file():
        return f'<p class="note">screenshot {escape(rel)} is missing</p>'
    try:
        with Image.open(path) as im:  # reads the header only
            width, height = im.size
    except (UnidentifiedImageError, OSError):
        return f'<p class="note">screenshot {escape(rel)} is not a readable image</p>'
    natural = (width, height)
    ref = run.metrics.get("viewport")
    if isinstance(ref, (list, tuple)) and len(ref) == 2 and all(isinstance(v, (int, float)) and v > 0 for v in ref):
        width, height = ref
    parts, notes = [], []
    for side, box in (("human", step.boxes.human), ("agent", step.boxes.agent)):
        if box is None:
            continue
        x, y, w, h = box
        x0, y0 = max(0.0, x), max(0.0, y)
        x1, y1 = min(float(width), x + w), min(float(height), y + h)
        if x1 <= x0 or y1 <= y0:
            notes.append(f"the {side}'s element is outside the screenshot")
            continue
        parts.append(
            f'<div class="box {side}" data-side="{side}" '
            f'style="left:{x0 / width * 100:.3f}%;top:{y0 / height * 100:.3f}%;'
            f'width:{(x1 - x0) / width * 100:.3f}%;height:{(y1 - y0) / height * 100:.3f}%"></div>'
        )
    src = escape(quote(path.relative_to(run.out_dir.resolve()).as_posix()))
    note = f'<div class="note">{escape("; ".join(notes))}</div>' if notes else ""
    img = (
        f'<img alt="page before step {k}" src="{src}" loading="lazy" decoding="async" '
        f'width="{natural[0]}" height="{natural[1]}">'
    )
    return (
        f'<figure class="shot-wrap"><div class="shot">{img}{"".join(parts)}</div>'
        f'<a class="note" href="{src}">full size</a>{note}</figure>'
    )
