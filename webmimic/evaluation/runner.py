"""``webmimic eval``: run an agent over recorded sessions in live browsers, crash-safely and resumably.

The test protocol is the paper's: every action after the first of each session, with the true
history (Replay-v0 reset at step 1, teacher forcing). ``--workers N`` runs N sessions at once,
each in its own env (an isolated context) of one Chromium, with one server per site, as the
vector envs do (``Browser.run_concurrently``: one thread, one driver). A finished session's
lines are appended to ``steps.jsonl`` at once and fsync'd, so an interrupted run loses at most
the sessions in flight, and ``--resume`` redoes only those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
import functools
import hashlib
import importlib.metadata
import os
from pathlib import Path, PurePosixPath
import sys
import time
from typing import Any

from webmimic.agents.base import Generation, make_agent
from webmimic.core.actions import Action
from webmimic.core.errors import EvalRunError, SiteFailureError, WebmimicError
from webmimic.core.files import is_temporary, output_dir_problem, remove_own_files
from webmimic.envs.pool import EnvPool
from webmimic.envs.replay_env import ReplayEnv, check_base_url
from webmimic.envs.runtime import SiteServers
from webmimic.evaluation.metrics import compute_metrics
from webmimic.evaluation.rundir import (
    MANIFEST_FILE,
    METRICS_FILE,
    REPORT_FILE,
    SHOTS_DIR,
    STEPS_FILE,
    TRACES_DIR,
    StepRecord,
    StepsWriter,
    read_manifest,
    read_steps,
    rewrite_steps,
    run_lock,
    safe_name,
    shot_path,
    trace_path,
    write_manifest,
    write_metrics,
)
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import Session, read_sessions
from webmimic.simulator import Browser, BrowserConfig, Tab
from webmimic.simulator.chromium import NO_DISPLAY, has_display

__all__ = ["EvalConfig", "EvalRunError", "SessionResult", "run_eval", "default_out_dir", "safe_name"]

MODEL_SPECS = ("hf:", "bundled", "smollm2")  # agents that run a model (a GPU each on Ray)
VERSIONED = ("webmimic", "playwright", "gymnasium", "transformers", "torch")


@dataclass(frozen=True)
class EvalConfig:
    """One eval run; the fields are the ``webmimic eval`` flags."""

    agent: str
    sessions: str | None = None  # None: the bundled test split
    out: str | None = None  # None: runs/<agent>-<sessions file stem>
    workers: int = 1
    limit: int | None = None  # the first N sessions by id
    resume: bool = False
    force: bool = False  # replace an earlier run in ``out`` (only a run's own files; see _prepare_dir)
    headed: bool = False
    slow_mo: float = 0.0  # ms per browser operation when headed
    pause_on_mismatch: bool = False
    trace: bool = False
    include_first: bool = False  # also check each session's first action (reset at step 0)
    seed: int = 0
    screenshots: int = 20  # sessions (the first K) whose steps get a screenshot and boxes
    generation: Generation = Generation()  # the LLM agents' sampling, answer length and context
    ray: str | None = None  # a Ray address ("local": start one): workers are Ray actors (envs/ray_pool.py)
    progress: bool = True
    base_url: str | None = None  # replay there: a web session's origin or a bundled site's server is replaced
    strict: bool = False  # a page or URL that differs from the recording fails the session (else a warning)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", check_base_url(self.base_url))
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers}.")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, not {self.limit}.")
        if self.screenshots < 0:
            raise ValueError(f"screenshots must be 0 or more, not {self.screenshots}.")
        if self.resume and self.force:
            raise ValueError("--resume continues the run in --out and --force replaces it: pass one of them.")
        if self.ray is not None and self.visual:
            raise ValueError("--headed, --pause-on-mismatch and --trace need the browser here, not on Ray workers.")
        if self.shows_browser and not has_display():
            raise ValueError(NO_DISPLAY)

    @property
    def visual(self) -> bool:
        """Visual debugging needs the one browser in this process (and a person watching it)."""
        return self.headed or self.pause_on_mismatch or self.trace

    @property
    def shows_browser(self) -> bool:
        """Pausing at a mismatch is for looking around the live page, so it implies --headed."""
        return self.headed or self.pause_on_mismatch


# -- names and files (the run directory's own names are in rundir) --------------------------------
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


def _versions() -> dict[str, str | None]:
    """Package versions from metadata only (importing torch would cost seconds)."""
    out: dict[str, str | None] = {}
    for name in VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


# -- one session, in a worker ----------------------------------------------------------------------
@dataclass(frozen=True)
class SessionResult:
    """What a worker sends back: the step records, screenshots by relative path, or an error."""

    session_id: str
    records: tuple[StepRecord, ...] = ()
    shots: Mapping[str, bytes] = field(default_factory=dict)
    error: str | None = None
    restarts: int = 0  # times Chromium died and the session's episode was restored
    # With ``error``: where it failed, for metrics.json's failed_sessions (step, url; for a failed
    # site also kind, status, detail: see SiteFailureError.to_dict).
    failure: Mapping[str, Any] | None = None


def _session_seed(seed: int, session_id: str) -> int:
    return int(hashlib.sha256(f"{seed}:{session_id}".encode()).hexdigest()[:8], 16)


def _box(tab: Tab, action: Action | None, *, scroll: bool = False) -> list[float] | None:
    """The box of the element an action names (None: terminate, invalid, or not on the page)."""
    box = tab.box(action.name if action is not None else None, scroll=scroll)
    return [round(v, 1) for v in box] if box is not None else None


def _screenshot(
    tab: Tab, session_id: str, t: int, human: Action | None, agent: Action | None
) -> tuple[str, bytes, dict[str, list[float] | None]]:
    """The step's screenshot (the human's target scrolled into it) and both targets' boxes."""
    human_box = _box(tab, human, scroll=True)  # scrolling changes no observation
    shot = shot_path(session_id, t)
    return shot, tab.screenshot(jpeg_quality=60), {"human": human_box, "agent": _box(tab, agent)}


class SessionEvaluator:
    """An env on the run's browser, kept for many sessions; runs one session at a time.

    A session that cannot be finished (the site failed: 5xx, a dropped connection, a hang; or the
    human's action cannot be replayed) comes back as a failed SessionResult saying at which step
    and URL and why, and the run goes on. Its steps are not saved, so ``--resume`` tries it again.
    """

    def __init__(
        self, config: EvalConfig, sessions: Sequence[Session], out_dir: Path, browser: Browser, servers: SiteServers
    ):
        self.config = config
        self.out_dir = out_dir
        self.env = ReplayEnv(
            sessions, browser=browser, servers=servers, timings=True, base_url=config.base_url, strict=config.strict
        )
        self._at: tuple[int | None, str | None] = (None, None)  # the current session's step and URL

    def close(self) -> None:
        self.env.close()

    def run(self, session_id: str, screenshots: bool) -> SessionResult:
        try:
            return self._run(session_id, screenshots)
        except WebmimicError as err:  # in reset, or an error the env does not turn into info
            return SessionResult(session_id, error=f"{type(err).__name__}: {err}", failure=self._where(err))

    def _where(self, err: WebmimicError) -> dict[str, Any]:
        """The step the session was at (in reset: the human step being replayed) and the URL that
        failed, or else the page's."""
        step, url = self._at
        where: dict[str, Any] = {"step": self.env.step_index if step is None else step, "url": url}
        if isinstance(err, SiteFailureError):
            where.update(err.to_dict())
            del where["message"]
        return where

    def _run(self, session_id: str, screenshots: bool) -> SessionResult:
        config, env = self.config, self.env
        # A fresh agent per session, seeded by the session: results don't depend on the worker split.
        agent = make_agent(config.agent, seed=_session_seed(config.seed, session_id), generation=config.generation)
        self._at = (None, None)
        obs, info = env.reset(options={"session_id": session_id, "step": 0 if config.include_first else 1})
        agent.reset(env, info)
        restarts = info.get("browser_restarts", 0)
        session = env.session
        if config.trace:
            env.tab.start_tracing()
        records: list[StepRecord] = []
        shots: dict[str, bytes] = {}
        terminated = False
        while not terminated:
            t, human, url = env.step_index, env.expected_action(), obs["url"]
            self._at = (t, url)
            started = time.perf_counter()
            raw = agent.act(obs)
            timings: dict[str, float] = {"agent_ms": (time.perf_counter() - started) * 1000}
            if not records:
                timings["reset_ms"] = float(info.get("reset_ms", 0.0))
            output = env.parse(raw)  # parsed once: the boxes and the step use the same action
            shot: str | None = None
            boxes: dict[str, list[float] | None] = {"human": None, "agent": None}
            if screenshots:
                started = time.perf_counter()
                shot, image, boxes = env.on_page(
                    functools.partial(_screenshot, session_id=session_id, t=t, human=human, agent=output.action)
                )
                shots[shot] = image
                timings["screenshot_ms"] = (time.perf_counter() - started) * 1000
            if config.shows_browser:
                env.on_page(functools.partial(Tab.show_step, human=human, agent=output.action))
            obs, _, terminated, truncated, info = env.step(output)
            timings["step_ms"] = float(info.get("step_ms", 0.0))
            restarts += info.get("browser_restarts", 0)
            if truncated and info.get("site_error") is not None:
                site = dict(info["site_error"])
                error = f"{SiteFailureError.__name__}: {site.pop('message')}"
                return SessionResult(session_id, error=error, restarts=restarts, failure={"step": t, **site})
            if config.pause_on_mismatch and not info["match"]["exact"]:
                env.tab.pause()
            records.append(
                StepRecord.from_step_info(
                    info,
                    session_id=session.id,
                    step=t,
                    url=url,
                    timings=timings,
                    screenshot=shot,
                    boxes=boxes,
                    is_last=t == len(session.steps) - 1,
                    outcome=session.outcome,
                )
            )
        if config.trace:
            env.tab.stop_tracing(trace_path(self.out_dir, session_id))
        return SessionResult(session_id, tuple(records), shots, restarts=restarts)


# -- the run directory ------------------------------------------------------------------------------
def _checked_steps(session: Session, include_first: bool) -> list[int]:
    return list(range(0 if include_first else 1, len(session.steps)))


def _is_run_file(path: PurePosixPath) -> bool:
    """A file an eval run writes in its directory (see rundir), or a temporary file of one."""
    parts = path.parts
    if is_temporary(path.name) or parts in ((MANIFEST_FILE,), (STEPS_FILE,), (METRICS_FILE,), (REPORT_FILE,)):
        return True
    shot = len(parts) == 3 and parts[0] == SHOTS_DIR and path.suffix == ".jpg" and path.stem.isdigit()
    return shot or (len(parts) == 2 and parts[0] == TRACES_DIR and path.suffix == ".zip")


def _remove_run(out: Path) -> None:
    """--force: remove an earlier run's own files; refuse (removing nothing) if anything else is there."""
    if any(out.iterdir()) and read_manifest(out) is None:
        raise EvalRunError(f"--force replaces an eval run, and {out} is not one (it has no {MANIFEST_FILE}).")
    unknown = remove_own_files(out, _is_run_file)
    if unknown:
        listed = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise EvalRunError(
            f"--force removes only what an eval run wrote, and {out} also holds {listed}: move those away "
            "or choose another --out. Nothing was removed."
        )


def _not_empty(out: Path) -> str:
    if read_manifest(out) is not None:
        return (
            f"{out} holds an earlier run. Pass --resume to continue it, --force to replace it, or choose another --out."
        )
    return f"{out} is not empty and is not an eval run directory (no {MANIFEST_FILE}): choose another --out."


def _prepare_dir(
    out: Path, manifest: dict[str, Any], resume: bool, all_sessions: Sequence[Session], force: bool = False
) -> tuple[StepRecord, ...]:
    """Check or create the run directory; on resume, keep complete sessions' records and return them.

    A torn last line and the lines of unfinished sessions are dropped (the file is rewritten
    atomically), so those sessions are redone from scratch and appended again.
    """
    if force and out.exists():
        _remove_run(out)
    if out.exists() and any(out.iterdir()):
        if not resume:
            raise EvalRunError(_not_empty(out))
        before = read_manifest(out)
        if before is None:
            raise EvalRunError(
                f"Cannot resume in {out}: it has no {MANIFEST_FILE}, so it is not an eval run directory."
            )
        for key, what in (
            ("sessions_sha256", "sessions file"),
            ("agent", "agent"),
            ("include_first", "--include-first"),
            ("seed", "seed"),
            ("generation", "generation (--temperature, --top-p, --max-new-tokens, --context-tokens)"),
            ("base_url", "--base-url"),
        ):
            if before.get(key) != manifest.get(key):
                raise EvalRunError(
                    f"Cannot resume in {out}: the {what} differs from the interrupted run's "
                    f"({before.get(key)!r} there, {manifest.get(key)!r} now). Use another --out for a new run."
                )
    out.mkdir(parents=True, exist_ok=True)
    write_manifest(out, manifest)
    steps = read_steps(out / STEPS_FILE)
    expected = {s.id: set(_checked_steps(s, manifest["include_first"])) for s in all_sessions}
    seen: dict[str, set[int]] = {}
    for r in steps.records:
        seen.setdefault(r.session_id, set()).add(r.step)
    done = {sid for sid, numbers in seen.items() if numbers == expected.get(sid)}
    kept = tuple(r for r in steps.records if r.session_id in done)
    if steps.torn or len(kept) != len(steps.records):
        rewrite_steps(steps.path, kept)
    return kept


# -- orchestration -------------------------------------------------------------------------------------
def _run_sessions(
    config: EvalConfig,
    sessions: Sequence[Session],
    out: Path,
    workers: int,
    todo: Sequence[tuple[str, bool]],
    save: Callable[[SessionResult], None],
) -> None:
    """Run the sessions of ``todo``, ``workers`` at a time; ``save`` each result.

    The report's screenshots show the pictures, so the sessions with screenshots run first, on a
    browser that loads images, and the others then on one that does not (their observations are
    the same either way; a step without images costs less). Locally the second phase starts, on a
    new browser, once the first has ended; a Ray actor changes its browser when it takes its first
    job of the second phase, while the others may still finish the first.
    """
    browser_config = BrowserConfig(
        headless=not config.shows_browser,
        slow_mo_ms=config.slow_mo if config.shows_browser else 0,
    )
    phases = [
        (replace(browser_config, images=images), jobs)
        for images, jobs in ((True, [j for j in todo if j[1]]), (None, [j for j in todo if not j[1]]))
        if jobs
    ]

    def make(browser: Browser, servers: SiteServers) -> SessionEvaluator:
        return SessionEvaluator(config, sessions, out, browser, servers)

    if config.ray is not None:
        from webmimic.envs.ray_pool import run_on_ray

        gpus = config.agent.startswith(MODEL_SPECS)
        run_on_ray(config.ray, make, workers, phases, lambda evaluator, job: evaluator.run(*job), save, gpus=gpus)
        return
    for phase_config, jobs in phases:
        _run_pool(make, workers, phase_config, jobs, save)


def _run_pool(
    make: Callable[[Browser, SiteServers], SessionEvaluator],
    workers: int,
    browser_config: BrowserConfig,
    jobs: Sequence[tuple[str, bool]],
    save: Callable[[SessionResult], None],
) -> None:
    with EnvPool(make, workers, browser_config) as pool:

        def work(evaluator: SessionEvaluator, job: tuple[str, bool]) -> None:
            result = evaluator.run(*job)
            # After Ctrl-C, the sessions in flight resume while the pool closes, against closed envs:
            # what they return is an interruption, not a session failure; unsaved, --resume redoes them.
            if not pool.interrupted:
                save(result)

        pool.run(jobs, work)


class _Progress:
    """tqdm on stderr: steps done, sessions done, running exact match (session-averaged)."""

    def __init__(self, enabled: bool, total_steps: int, total_sessions: int, done: Sequence[StepRecord]):
        from tqdm import tqdm

        self._sessions: dict[str, list[bool]] = {}
        for r in done:
            self._sessions.setdefault(r.session_id, []).append(r.exact)
        self.total_sessions = total_sessions
        self.bar = tqdm(
            total=total_steps,
            initial=len(done),
            unit="step",
            file=sys.stderr,
            disable=not enabled,
            dynamic_ncols=True,
            desc="eval",
        )
        self._postfix()

    def _postfix(self) -> None:
        rates = [sum(v) / len(v) for v in self._sessions.values() if v]
        em = f"{100 * sum(rates) / len(rates):.1f}%" if rates else "-"
        self.bar.set_postfix_str(f"sessions {len(self._sessions)}/{self.total_sessions}, exact match {em}")

    def update(self, result: SessionResult) -> None:
        self._sessions[result.session_id] = [r.exact for r in result.records]
        self.bar.update(len(result.records))
        self._postfix()

    def close(self) -> None:
        self.bar.close()


def _site_purchase_names(site: str) -> frozenset[str]:
    """A site's purchase names; reading the sessions with it rejects an unknown site before any work."""
    from webmimic.sites import get_site

    return get_site(site).purchase_names


def _purchase_names(sessions: Sequence[Session]) -> frozenset[str]:
    from webmimic.sites import get_site

    names: set[str] = set()
    for site in {s.site for s in sessions if not s.is_snapshot and not s.is_web}:
        names |= get_site(site).purchase_names
    # A web app's buy button is not known: a web session's purchase is its last click.
    names |= {s.steps[-1].action.name or "" for s in sessions if s.is_web and s.outcome == "purchase"}
    return frozenset(names)


def _manifest(config: EvalConfig, sessions_path: str) -> dict[str, Any]:
    """What a resume must match: the agent, how it generates (when not the default), the sessions
    file's bytes, the seed and the protocol."""
    manifest: dict[str, Any] = {
        "agent": config.agent,
        "sessions_file": os.path.abspath(sessions_path),
        "sessions_sha256": _sha256(sessions_path),
        "seed": config.seed,
        "include_first": config.include_first,
    }
    if config.generation != Generation():
        manifest["generation"] = asdict(config.generation)
    if config.base_url is not None:  # only when given: manifests of other runs stay as they were
        manifest["base_url"] = config.base_url
    return manifest


def _worker_count(config: EvalConfig, todo: Sequence[tuple[str, bool]]) -> int:
    workers = min(config.workers, max(len(todo), 1))
    if config.visual and workers > 1:
        print(
            "webmimic eval: --headed/--pause-on-mismatch/--trace use one browser: running with --workers 1.",
            file=sys.stderr,
        )
        return 1
    return workers


class _Saver:
    """Saves each finished session at once; keeps the sessions that failed, with why."""

    def __init__(self, writer: StepsWriter, progress: _Progress, on_result: Callable[[SessionResult], None] | None):
        self.writer, self.progress, self.on_result = writer, progress, on_result
        self.failures: list[dict[str, Any]] = []
        self.restarts: list[dict[str, Any]] = []

    def __call__(self, result: SessionResult) -> None:
        if result.restarts:
            self.restarts.append({"session_id": result.session_id, "restarts": result.restarts})
            self.progress.bar.write(
                f"webmimic eval: Chromium died during session {result.session_id!r}; its episode was restored "
                f"{result.restarts} time(s) and the session went on.",
                file=sys.stderr,
            )
        if result.error is not None:
            where = dict(result.failure or {})
            self.failures.append({"session_id": result.session_id, **where, "error": result.error})
            at = f" at step {where['step']}" if where.get("step") is not None else ""
            self.progress.bar.write(
                f"webmimic eval: session {result.session_id!r} failed{at}: {result.error} "
                "(its steps are not saved; --resume tries it again)",
                file=sys.stderr,
            )
            return
        self.writer.write(result.records, result.shots)
        self.progress.update(result)
        if self.on_result is not None:
            self.on_result(result)


def run_eval(config: EvalConfig, *, on_result: Callable[[SessionResult], None] | None = None) -> dict[str, Any]:
    """Run (or resume) an eval; write steps.jsonl, metrics.json and the report; return the metrics.

    ``on_result`` sees each finished session's step records as soon as they are saved.
    """
    started = time.perf_counter()
    sessions_path = str(config.sessions) if config.sessions else str(bundled_sessions_path("test"))
    if not Path(sessions_path).is_file():
        raise EvalRunError(f"No sessions file at {sessions_path}.")
    all_sessions = sorted(read_sessions(sessions_path, purchase_names_for=_site_purchase_names), key=lambda s: s.id)
    if not all_sessions:
        raise EvalRunError(f"{sessions_path} holds no sessions; give a session file with at least one (--sessions).")
    selected = all_sessions[: config.limit] if config.limit else all_sessions
    out = Path(config.out) if config.out else default_out_dir(config.agent, sessions_path)
    manifest = _manifest(config, sessions_path)
    try:
        make_agent(config.agent, seed=config.seed, generation=config.generation)  # fails before any browser starts
    except ValueError as err:
        raise EvalRunError(str(err)) from err
    problem = output_dir_problem(out)
    if problem is not None:
        raise EvalRunError(f"Cannot use --out {out}: {problem}.")
    with run_lock(out):
        kept = _prepare_dir(out, manifest, config.resume, all_sessions, config.force)
        return _run_locked(config, out, manifest, selected, kept, on_result, started)


def _run_locked(
    config: EvalConfig,
    out: Path,
    manifest: dict[str, Any],
    selected: Sequence[Session],
    kept: Sequence[StepRecord],
    on_result: Callable[[SessionResult], None] | None,
    started: float,
) -> dict[str, Any]:
    """The run itself, with ``out`` prepared and held (``run_lock``)."""
    done, wanted = {r.session_id for r in kept}, {s.id for s in selected}
    checked = {s.id: len(_checked_steps(s, config.include_first)) for s in selected}
    todo = [(s.id, i < config.screenshots) for i, s in enumerate(selected) if s.id not in done and checked[s.id]]
    workers = _worker_count(config, todo)
    previous = [r for r in kept if r.session_id in wanted]
    progress = _Progress(config.progress, sum(checked.values()), sum(map(bool, checked.values())), previous)
    writer = StepsWriter(out)
    save = _Saver(writer, progress, on_result)
    try:
        _run_sessions(config, selected, out, workers, todo, save)
    finally:
        writer.close()
        progress.close()
    return _finish(out, config, manifest, selected, save, time.perf_counter() - started)


def _finish(
    out: Path,
    config: EvalConfig,
    manifest: Mapping[str, Any],
    selected: Sequence[Session],
    save: _Saver,
    wall: float,
) -> dict[str, Any]:
    wanted = {s.id for s in selected}
    records = [r for r in read_steps(out / STEPS_FILE).records if r.session_id in wanted]
    metrics = compute_metrics(records, purchase_names=_purchase_names(selected))
    metrics.update(
        {
            "failed_sessions": sorted(save.failures, key=lambda f: f["session_id"]),  # same order for any --workers
            "browser_restarts": save.restarts,
            "agent": config.agent,
            "sessions_file": manifest["sessions_file"],
            "sessions_sha256": manifest["sessions_sha256"],
            "limit": config.limit,
            "versions": _versions(),
            "seed": config.seed,
            "include_first": config.include_first,
            "wall_seconds": round(wall, 3),
            "config": {k: v for k, v in asdict(config).items() if k != "progress"},
        }
    )
    write_metrics(out, metrics)
    from webmimic.evaluation.report import write_report

    write_report(out)
    return metrics
