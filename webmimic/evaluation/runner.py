"""``webmimic eval``: run an agent over recorded sessions in live browsers, crash-safely and resumably.

The test protocol is the paper's: every action after the first of each session, with the true
history (Replay-v0 reset at step 1, teacher forcing). Sessions run in worker *processes*
(Playwright's sync API cannot cross threads); each worker owns its env and Chromium and sends a
finished session's step records (and screenshots) back. The main process alone writes: a
session's lines are appended to ``steps.jsonl`` at once and fsync'd, so an interrupted run
loses at most the sessions in flight, and ``--resume`` redoes only those.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable, Iterator, Mapping, Sequence
import concurrent.futures as futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
import hashlib
import importlib.metadata
import json
import multiprocessing
import os
from pathlib import Path
import re
import sys
import time
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator

from webmimic.agents.base import make_agent
from webmimic.envs.replay_env import ReplayEnv
from webmimic.errors import ActionParseError, ElementNotFoundError, WebmimicError
from webmimic.evaluation.metrics import compute_metrics
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import Session, read_sessions
from webmimic.simulator import Action, BrowserConfig, Tab
from webmimic.simulator.actions import parse_agent_output

__all__ = ["EvalConfig", "EvalRunError", "run_eval", "default_out_dir", "safe_name", "read_step_records"]

STEPS_FILE = "steps.jsonl"
METRICS_FILE = "metrics.json"
MANIFEST_FILE = "run.json"
VERSIONED = ("webmimic", "playwright", "gymnasium", "transformers", "torch")


class EvalRunError(WebmimicError):
    """The run directory cannot be used as asked (not empty, or a resume that doesn't match)."""


@dataclass(frozen=True)
class EvalConfig:
    """One eval run; the fields are the ``webmimic eval`` flags."""

    agent: str
    sessions: str | None = None  # None: the bundled test split
    out: str | None = None  # None: runs/<agent>-<sessions file stem>
    workers: int = 1
    limit: int | None = None  # the first N sessions by id
    resume: bool = False
    headed: bool = False
    slow_mo: float = 0.0  # ms per browser operation when headed
    pause_on_mismatch: bool = False
    trace: bool = False
    include_first: bool = False  # also check each session's first action (reset at step 0)
    seed: int = 0
    screenshots: int = 20  # sessions (the first K) whose steps get a screenshot and boxes
    progress: bool = True

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}.")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, not {self.limit}.")
        if self.screenshots < 0:
            raise ValueError(f"screenshots must be 0 or more, not {self.screenshots}.")

    @property
    def visual(self) -> bool:
        """Visual debugging needs the one browser in this process (and a person watching it)."""
        return self.headed or self.pause_on_mismatch or self.trace

    @property
    def shows_browser(self) -> bool:
        """Pausing at a mismatch is for looking around the live page, so it implies --headed."""
        return self.headed or self.pause_on_mismatch


# -- names and files ---------------------------------------------------------------------------
def safe_name(text: str) -> str:
    """A file name for a session id or agent spec; a hash suffix keeps altered names distinct."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "_"
    return clean if clean == text else f"{clean[:80]}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def _stem(path: str) -> str:
    name = Path(path).name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name


def default_out_dir(agent: str, sessions: str) -> Path:
    return Path("runs") / f"{safe_name(agent)}-{safe_name(_stem(sessions))}"


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _versions() -> dict[str, str | None]:
    """Package versions from metadata only (importing torch would cost seconds)."""
    out: dict[str, str | None] = {}
    for name in VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def read_step_records(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], bool]:
    """The complete lines of a steps file, and whether a torn (unterminated) last line was dropped."""
    data = Path(path).read_bytes() if Path(path).exists() else b""
    lines = data.split(b"\n")
    torn = lines[-1] != b""
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines[:-1], 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise EvalRunError(f"{path}:{number}: not a JSON step record ({err}); the run directory is damaged.") from err
    return records, torn


# -- one session, in a worker ----------------------------------------------------------------------
@dataclass(frozen=True)
class SessionResult:
    """What a worker sends back: the step records, screenshots by relative path, or an error."""

    session_id: str
    records: tuple[dict[str, Any], ...] = ()
    shots: Mapping[str, bytes] = field(default_factory=dict)
    error: str | None = None


def _session_seed(seed: int, session_id: str) -> int:
    return int(hashlib.sha256(f"{seed}:{session_id}".encode()).hexdigest()[:8], 16)


def _target(tab: Tab, action: Action | None) -> Locator | None:
    """The element an action names, or None (terminate, unparseable, or not on the page)."""
    if action is None or action.name is None:
        return None
    try:
        return tab.locate(action.name)
    except ElementNotFoundError:
        return None


def _box(target: Locator | None, timeout_ms: float) -> list[float] | None:
    if target is None:
        return None
    try:
        box = target.bounding_box(timeout=timeout_ms)
    except PlaywrightError:
        return None  # detached or timed out: the report just shows no box
    if box is None:
        return None
    return [round(box["x"], 1), round(box["y"], 1), round(box["width"], 1), round(box["height"], 1)]


def _parse(raw: Any) -> Action | None:
    try:
        return parse_agent_output(raw)[0]
    except ActionParseError:
        return None


class SessionEvaluator:
    """An env and its browser, kept for many sessions; runs one session at a time."""

    def __init__(self, config: EvalConfig, sessions: str | Sequence[Session], out_dir: Path):
        self.config = config
        self.out_dir = out_dir
        browser_config = BrowserConfig(headless=not config.shows_browser,
                                       slow_mo_ms=config.slow_mo if config.shows_browser else 0)
        self.env = ReplayEnv(sessions, browser_config=browser_config, timings=True)

    def close(self) -> None:
        self.env.close()

    def run(self, session_id: str, screenshots: bool) -> SessionResult:
        try:
            return self._run(session_id, screenshots)
        except WebmimicError as err:
            return SessionResult(session_id, error=f"{type(err).__name__}: {err}")

    def _run(self, session_id: str, screenshots: bool) -> SessionResult:
        config, env = self.config, self.env
        # A fresh agent per session, seeded by the session: results don't depend on the worker split.
        agent = make_agent(config.agent, seed=_session_seed(config.seed, session_id))
        obs, info = env.reset(options={"session_id": session_id, "step": 0 if config.include_first else 1})
        agent.reset(env, info)
        session, tab = env.session, env.tab
        visual = _visual() if config.visual else None
        if visual is not None and config.trace:
            visual.start_trace(tab.context)
        records: list[dict[str, Any]] = []
        shots: dict[str, bytes] = {}
        terminated = False
        while not terminated:
            t, human, url = env.step_index, env.expected_action(), obs["url"]
            started = time.perf_counter()
            raw = agent.act(obs)
            timings: dict[str, float] = {"agent_ms": (time.perf_counter() - started) * 1000}
            if not records:
                timings["reset_ms"] = float(info.get("reset_ms", 0.0))
            agent_action = _parse(raw)
            shot, boxes = None, {"human": None, "agent": None}
            if screenshots:
                started = time.perf_counter()
                shot = f"shots/{safe_name(session_id)}/{t}.jpg"
                human_target = _target(tab, human)
                if human_target is not None:  # scroll it into the screenshot (changes no observation)
                    try:
                        human_target.scroll_into_view_if_needed(timeout=tab.timeout_ms)
                    except PlaywrightError:
                        pass  # the report notes a target outside the screenshot
                shots[shot] = tab.page.screenshot(type="jpeg", quality=60, timeout=tab.timeout_ms)
                boxes = {"human": _box(human_target, tab.timeout_ms),
                         "agent": _box(_target(tab, agent_action), tab.timeout_ms)}
                timings["screenshot_ms"] = (time.perf_counter() - started) * 1000
            if visual is not None and config.shows_browser:
                visual.show_step(tab.page, human, agent_action)
            obs, _, terminated, _, info = env.step(raw)
            timings["step_ms"] = float(info.get("step_ms", 0.0))
            if visual is not None and config.pause_on_mismatch and not info["match"]["exact"]:
                visual.pause(tab.page)
            records.append({
                "session_id": session.id, "step": t,
                "human_action": info["human_action"], "agent_action": info["agent_action"],
                "raw_output": info["raw_output"], "agent_rationale": info["agent_rationale"],
                "human_rationale": info["human_rationale"], "error": info["error"],
                "match": info["match"], "click_type": info["click_type"], "url": url,
                "timings": timings, "screenshot": shot, "boxes": boxes,
                "is_last": t == len(session.steps) - 1, "outcome": session.outcome,
            })
        if visual is not None and config.trace:
            traces = self.out_dir / "traces"
            traces.mkdir(parents=True, exist_ok=True)
            visual.stop_trace(tab.context, str(traces / f"{safe_name(session_id)}.zip"))
        return SessionResult(session_id, tuple(records), shots)


def _visual() -> Any:
    from webmimic.evaluation import visual

    return visual


_WORKER: SessionEvaluator | None = None


def _init_worker(config: EvalConfig, sessions_path: str, out_dir: str) -> None:
    global _WORKER
    _WORKER = SessionEvaluator(config, sessions_path, Path(out_dir))
    atexit.register(_WORKER.close)


def _work(session_id: str, screenshots: bool) -> SessionResult:
    if _WORKER is None:
        raise RuntimeError("worker process was not initialised")
    return _WORKER.run(session_id, screenshots)


# -- the run directory ------------------------------------------------------------------------------
def _checked_steps(session: Session, include_first: bool) -> list[int]:
    return list(range(0 if include_first else 1, len(session.steps)))


def _prepare_dir(out: Path, manifest: dict[str, Any], resume: bool, all_sessions: Sequence[Session]) -> set[str]:
    """Check or create the run directory; on resume, keep complete sessions and return their ids."""
    steps_path, manifest_path = out / STEPS_FILE, out / MANIFEST_FILE
    if out.exists() and any(out.iterdir()):
        if not resume:
            raise EvalRunError(f"{out} is not empty. Pass --resume to continue that run, or choose another --out.")
        if not manifest_path.is_file():
            raise EvalRunError(f"Cannot resume in {out}: it has no {MANIFEST_FILE}, so it is not an eval run directory.")
        before = json.loads(manifest_path.read_text(encoding="utf-8"))
        for key, what in (("sessions_sha256", "sessions file"), ("agent", "agent"),
                          ("include_first", "--include-first"), ("seed", "seed")):
            if before.get(key) != manifest[key]:
                raise EvalRunError(
                    f"Cannot resume in {out}: the {what} differs from the interrupted run's "
                    f"({before.get(key)!r} there, {manifest[key]!r} now). Use another --out for a new run."
                )
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(manifest_path, json.dumps(manifest, indent=2).encode())
    records, torn = read_step_records(steps_path)
    expected = {s.id: set(_checked_steps(s, manifest["include_first"])) for s in all_sessions}
    seen: dict[str, set[int]] = {}
    for r in records:
        seen.setdefault(str(r["session_id"]), set()).add(int(r["step"]))
    done = {sid for sid, steps in seen.items() if steps == expected.get(sid)}
    kept = [r for r in records if r["session_id"] in done]
    if torn or len(kept) != len(records):
        body = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in kept)
        _atomic_write(steps_path, body)
    return done


class StepsWriter:
    """Appends whole sessions to steps.jsonl, screenshots first, each session fsync'd."""

    def __init__(self, out: Path):
        self.out = out
        self._fh = open(out / STEPS_FILE, "ab")

    def write(self, result: SessionResult) -> None:
        for rel, data in result.shots.items():
            path = self.out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, data)
        self._fh.write(b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in result.records))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


# -- orchestration -------------------------------------------------------------------------------------
def _results_in_process(config: EvalConfig, sessions: Sequence[Session], out: Path,
                        todo: Sequence[tuple[str, bool]]) -> Iterator[SessionResult]:
    evaluator = SessionEvaluator(config, sessions, out)
    try:
        for session_id, shots in todo:
            yield evaluator.run(session_id, shots)
    finally:
        evaluator.close()


def _results_in_workers(config: EvalConfig, sessions_path: str, out: Path, workers: int,
                        todo: Sequence[tuple[str, bool]]) -> Iterator[SessionResult]:
    pool = futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker, initargs=(config, sessions_path, str(out)),
    )
    try:
        pending = [pool.submit(_work, sid, shots) for sid, shots in todo]
        for future in futures.as_completed(pending):
            yield future.result()
    except BrokenProcessPool as err:
        raise EvalRunError(
            "A worker process died (out of memory, or killed). Finished sessions are saved; "
            "rerun with --resume to continue."
        ) from err
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _Progress:
    """tqdm on stderr: steps done, sessions done, running exact match (session-averaged)."""

    def __init__(self, enabled: bool, total_steps: int, total_sessions: int, done: Sequence[Mapping[str, Any]]):
        from tqdm import tqdm

        self._sessions: dict[str, list[bool]] = {}
        for r in done:
            self._sessions.setdefault(str(r["session_id"]), []).append(bool(r["match"]["exact"]))
        self.total_sessions = total_sessions
        self.bar = tqdm(total=total_steps, initial=len(done), unit="step", file=sys.stderr,
                        disable=not enabled, dynamic_ncols=True, desc="eval")
        self._postfix()

    def _postfix(self) -> None:
        rates = [sum(v) / len(v) for v in self._sessions.values() if v]
        em = f"{100 * sum(rates) / len(rates):.1f}%" if rates else "-"
        self.bar.set_postfix_str(f"sessions {len(self._sessions)}/{self.total_sessions}, exact match {em}")

    def update(self, result: SessionResult) -> None:
        self._sessions[result.session_id] = [bool(r["match"]["exact"]) for r in result.records]
        self.bar.update(len(result.records))
        self._postfix()

    def close(self) -> None:
        self.bar.close()


def _purchase_names(sessions: Sequence[Session]) -> frozenset[str]:
    from webmimic.sites import get_site

    names: set[str] = set()
    for site in {s.site for s in sessions if not s.is_snapshot}:
        names |= get_site(site).purchase_names
    return frozenset(names)


def run_eval(config: EvalConfig, *, on_result: Callable[[SessionResult], None] | None = None) -> dict[str, Any]:
    """Run (or resume) an eval; write steps.jsonl, metrics.json and the report; return the metrics.

    ``on_result`` sees each finished session's step records as soon as they are saved.
    """
    started = time.perf_counter()
    sessions_path = str(config.sessions) if config.sessions else str(bundled_sessions_path("test"))
    if not Path(sessions_path).is_file():
        raise EvalRunError(f"No sessions file at {sessions_path}.")
    all_sessions = sorted(read_sessions(sessions_path), key=lambda s: s.id)
    selected = all_sessions[: config.limit] if config.limit else all_sessions
    out = Path(config.out) if config.out else default_out_dir(config.agent, sessions_path)
    manifest = {"agent": config.agent, "sessions_file": os.path.abspath(sessions_path),
                "sessions_sha256": _sha256(sessions_path), "seed": config.seed, "include_first": config.include_first}
    try:
        make_agent(config.agent, seed=config.seed)  # a bad spec fails here, before any browser starts
    except ValueError as err:
        raise EvalRunError(str(err)) from err
    done = _prepare_dir(out, manifest, config.resume, all_sessions)
    wanted = {s.id for s in selected}
    todo = [(s.id, i < config.screenshots) for i, s in enumerate(selected)
            if s.id not in done and _checked_steps(s, config.include_first)]
    workers = min(config.workers, max(len(todo), 1))
    if config.visual and workers > 1:
        print("webmimic eval: --headed/--pause-on-mismatch/--trace use one browser: running with --workers 1.",
              file=sys.stderr)
        workers = 1
    previous, _ = read_step_records(out / STEPS_FILE)
    previous = [r for r in previous if r["session_id"] in wanted]
    total = sum(len(_checked_steps(s, config.include_first)) for s in selected)
    counted = sum(1 for s in selected if _checked_steps(s, config.include_first))
    progress = _Progress(config.progress, total, counted, previous)
    failures: list[dict[str, str]] = []
    writer = StepsWriter(out)
    try:
        results = (_results_in_process(config, selected, out, todo) if workers == 1
                   else _results_in_workers(config, sessions_path, out, workers, todo))
        for result in results:
            if result.error is not None:
                failures.append({"session_id": result.session_id, "error": result.error})
                progress.bar.write(f"webmimic eval: session {result.session_id!r} failed: {result.error}", file=sys.stderr)
                continue
            writer.write(result)
            progress.update(result)
            if on_result is not None:
                on_result(result)
    finally:
        writer.close()
        progress.close()
    return _finish(out, config, manifest, selected, failures, time.perf_counter() - started)


def _finish(out: Path, config: EvalConfig, manifest: Mapping[str, Any], selected: Sequence[Session],
            failures: list[dict[str, str]], wall: float) -> dict[str, Any]:
    wanted = {s.id for s in selected}
    records, _ = read_step_records(out / STEPS_FILE)
    metrics = compute_metrics([r for r in records if r["session_id"] in wanted], purchase_names=_purchase_names(selected))
    metrics.update({
        "failed_sessions": failures,
        "agent": config.agent,
        "sessions_file": manifest["sessions_file"],
        "sessions_sha256": manifest["sessions_sha256"],
        "limit": config.limit,
        "versions": _versions(),
        "seed": config.seed,
        "include_first": config.include_first,
        "wall_seconds": round(wall, 3),
        "config": {k: v for k, v in asdict(config).items() if k != "progress"},
    })
    _atomic_write(out / METRICS_FILE, json.dumps(metrics, indent=2, ensure_ascii=False).encode())
    from webmimic.evaluation.report import write_report

    write_report(out)
    return metrics
