"""``webmimic bench``: the project's speed and size figures, measured in one run on this machine.

Five measurements, each from what runs here, never from stored numbers:

- replay throughput: the oracle replays the first ``--limit`` sessions in one env (``gym.make``);
- the same action sequences through BrowserGym (browsergym-core 0.14.3 in a virtualenv of its
  own under ``build/``: it pins playwright 1.44), every delay it has at zero, on the same shop
  server; the speed-up is taken over the steps both ran (``browsergym_steps.py``). Both replays
  run ``--rounds`` times, alternating which goes first, so that a change in the machine's load
  (other tenants) weighs on both sides; the figures pool the rounds' steps, and each round's
  ratio is reported too;
- observation size per page type in tokens of one tokenizer: the raw HTML, BrowserGym's AXTree
  text and webmimic's simplified page;
- scaling: sessions per minute with 1, 2, 4 and 8 envs of ``gym.make_vec`` (N contexts of one
  Chromium) and the memory of the whole process tree each extra env adds: RSS summed over its
  processes, PSS, and its resident pages each counted once;
- the bundled model's per-step latency against history length.

When BrowserGym cannot be built or run, the bench says why and its figures are null.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, cast

import gymnasium as gym
import numpy as np

from webmimic.core.actions import Action
from webmimic.core.files import atomic_write
from webmimic.envs.replay_env import ReplayEnv
from webmimic.envs.runtime import SiteServers
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import Session, read_sessions
from webmimic.simulator import BrowserConfig, processes
from webmimic.simulator.chromium import find_chromium

__all__ = ["BenchConfig", "bench_main", "run_bench", "format_table", "JSON_KEYS"]

BROWSERGYM_VERSION = "0.14.3"
BROWSERGYM_SCRIPT = Path(__file__).with_name("browsergym_steps.py")
TERMINATE = '{"type": "terminate"}'
JSON_KEYS = (
    "steps_per_s",
    "step_ms_p50",
    "step_ms_p95",
    "browsergym_steps_per_s",
    "speedup_vs_browsergym",
    "obs_tokens",
    "raw_html_tokens",
    "browsergym_axtree_tokens",
    "sessions_per_min_by_envs",
    "mem_mb_per_extra_env",
    "pss_mb_per_extra_env",
    "resident_mb_per_extra_env",
    "model_step_ms_by_history",
)

# The element carrying a name, as an XPath that finds it in BrowserGym's page (see the .js).
TARGET_JS = Path(__file__).with_name("bench_target.js").read_text(encoding="utf-8")
RAW_HTML_JS = "() => document.documentElement.outerHTML"
_MARK = re.compile(r' data-wm-name="[^"]*"')


@dataclass(frozen=True)
class BenchConfig:
    """What to measure and how much; the defaults take a few minutes on two cores."""

    sessions: Path | None = None  # None: the bundled test split
    limit: int = 20  # sessions replayed for throughput, BrowserGym and observation sizes
    rounds: int = 2  # replays of each side, alternating which goes first
    envs: tuple[int, ...] = (1, 2, 4, 8)
    scale_steps: int = 160  # env steps per env count (N envs take scale_steps / N vector steps)
    model_sessions: int = 2  # sessions the bundled model answers (0: skip)
    tokenizer: str = "smollm2"  # "smollm2" or "bundled"
    browsergym: bool = True
    build_dir: Path = Path("build")
    samples_per_page_type: int = 3
    json_path: Path | None = None


@dataclass(frozen=True)
class StepTiming:
    """One webmimic step of the replay: which session and step, its action kind and page type."""

    session_id: str
    index: int
    kind: str
    page_type: str
    ms: float


@dataclass(frozen=True)
class PageSample:
    page_type: str
    raw_html: str
    page: str


@dataclass(frozen=True)
class ReplayRun:
    """The one-env replay: step timings, resets, and (when it recorded them) sampled pages and
    the work for BrowserGym."""

    steps: tuple[StepTiming, ...]
    reset_ms: tuple[float, ...]
    samples: tuple[PageSample, ...]
    episodes: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class BrowserGymRun:
    """BrowserGym's side: per (session, step) its status and ms, its AXTree samples, or why not."""

    error: str | None
    versions: dict[str, Any] = field(default_factory=dict)
    steps: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    reset_ms: tuple[float, ...] = ()
    axtrees: tuple[tuple[str, str], ...] = ()  # (page type, AXTree text)


@dataclass(frozen=True)
class ScalePoint:
    envs: int
    sessions_per_min: float
    steps_per_s: float
    rss_mb: float
    pss_mb: float
    resident_mb: float | None
    processes: int
    cpu_ms_per_step: float  # the whole tree's CPU per env step, resets included


@dataclass(frozen=True)
class ModelStep:
    """One answer of the model: the past steps it was shown, its prompt and answer sizes, its time."""

    history: int
    prompt_tokens: int
    answer_tokens: int
    ms: float


# -- small helpers ------------------------------------------------------------------------------
def page_type(url: str) -> str:
    """The shop's page kind from a site-relative URL: home, results, product, reviews, cart, ..."""
    path = url.split("?", 1)[0].strip("/")
    parts = path.split("/") if path else []
    if not parts:
        return "home"
    if parts[0] == "search":
        return "results"
    if parts[0] == "product":
        return "reviews" if len(parts) > 2 and parts[2] == "reviews" else "product"
    return parts[0]


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else None


def per_second(ms: Sequence[float]) -> float | None:
    total = sum(ms)
    return len(ms) / (total / 1000) if ms and total > 0 else None


def action_json(action: Action | None) -> str:
    return TERMINATE if action is None else action.to_json()


def load_sessions(config: BenchConfig) -> list[Session]:
    source = config.sessions if config.sessions is not None else bundled_sessions_path("test")
    sessions = sorted(read_sessions(source), key=lambda s: s.id)
    live = [s for s in sessions if s.site == "shop"]
    if not live:
        raise ValueError(f"{source}: no live shop sessions to replay (snapshot sessions have no live pages).")
    return live


@dataclass(frozen=True)
class TreeMemory:
    """Memory of this process and every process below it (Playwright's driver, Chromium, its
    renderers). RSS counts a page shared by several processes (Chromium's code, fonts) once per
    process; PSS splits it among them, so PSS differences are what an extra process really adds.
    ``resident_mb`` is the tree's resident set proper: each physical page once, however many of
    its processes map it (None where the kernel hides page frames: it needs CAP_SYS_ADMIN)."""

    rss_mb: float
    pss_mb: float
    resident_mb: float | None
    processes: int


def tree_memory() -> TreeMemory:
    pids = [os.getpid(), *processes.descendants(os.getpid())]
    rss_kb = pss_kb = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue  # it exited meanwhile
        rss_kb += _kb(rollup, "Rss")
        pss_kb += _kb(rollup, "Pss")
    frames = _resident_frames(pids)
    resident = None if frames is None else len(frames) * _PAGE / 2**20
    return TreeMemory(rss_kb / 1024, pss_kb / 1024, resident, len(pids))


_PAGE = os.sysconf("SC_PAGE_SIZE")
_PRESENT, _FRAME = np.uint64(1 << 63), np.uint64((1 << 55) - 1)


def _resident_frames(pids: Sequence[int]) -> np.ndarray | None:
    """The distinct physical page frames the processes have resident, from /proc/PID/pagemap
    (one 64-bit entry per virtual page: bit 63 present, bits 0-54 the frame); None when the
    kernel reports frames as 0, which it does for readers without CAP_SYS_ADMIN."""
    found: list[np.ndarray] = []
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
            with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
                for line in maps:
                    span, perms = line.split(None, 2)[:2]
                    if perms.startswith("---"):
                        continue  # reserved address space: nothing of it is resident
                    low, high = (int(x, 16) for x in span.split("-"))
                    pagemap.seek(low // _PAGE * 8)
                    entries = np.frombuffer(pagemap.read((high - low) // _PAGE * 8), dtype=np.uint64)
                    found.append(entries[(entries & _PRESENT) != 0] & _FRAME)
        except OSError:
            continue  # it exited meanwhile, or a mapping vanished under the read
    frames = np.unique(np.concatenate(found)) if found else np.zeros(0, np.uint64)
    return None if frames.size and not frames.any() else frames


def _kb(rollup: str, field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(match.group(1)) if match else 0


# -- 1. replay throughput (one env) -----------------------------------------------------------
def replay_throughput(
    sessions: Sequence[Session],
    servers: SiteServers,
    config: BenchConfig,
    *,
    images: bool | None = None,
    record: bool = True,
) -> ReplayRun:
    """The oracle replays each session in one env; only ``env.step`` is timed. With ``record``,
    between steps (not timed) each target is located for BrowserGym and a few pages per type
    are kept. ``images``: the env's ``BrowserConfig.images`` (None: its default, none headless)."""
    base = servers.site("shop")[1].url
    env = gym.make(
        "webmimic/Replay-v0", sessions=list(sessions), servers=servers, browser_config=BrowserConfig(images=images)
    )
    steps: list[StepTiming] = []
    resets: list[float] = []
    samples: list[PageSample] = []
    episodes: list[dict[str, Any]] = []
    try:
        for session in sessions:
            started = time.perf_counter()
            obs, _ = env.reset(options={"session_id": session.id})
            resets.append((time.perf_counter() - started) * 1000)
            work: list[dict[str, Any]] = []
            for index, step in enumerate(session.steps):
                kind = page_type(obs["url"])
                if record:
                    sample = sum(s.page_type == kind for s in samples) < config.samples_per_page_type
                    if sample:
                        samples.append(PageSample(kind, _raw_html(env), obs["page"]))
                    work.append({**_target(env, step.action), "sample": sample, "page_type": kind})
                started = time.perf_counter()
                obs, _, _, _, _ = env.step(action_json(cast(ReplayEnv, env.unwrapped).expected_action()))
                steps.append(
                    StepTiming(session.id, index, step.action.type, kind, (time.perf_counter() - started) * 1000)
                )
                if record:
                    work[-1]["expected_url"] = base + obs["url"]
            if record:
                episodes.append({"id": session.id, "start_url": base + session.start_url, "steps": work})
    finally:
        env.close()
    return ReplayRun(tuple(steps), tuple(resets), tuple(samples), tuple(episodes))


def _raw_html(env: gym.Env[Any, Any]) -> str:
    """The live document's markup without the data-wm-name marks webmimic's walk added."""
    html: str = cast(ReplayEnv, env.unwrapped).tab.page.evaluate(RAW_HTML_JS)
    return "<!DOCTYPE html>" + _MARK.sub("", html)


def _target(env: gym.Env[Any, Any], action: Action) -> dict[str, Any]:
    """How BrowserGym finds this step's element: its kind and XPath (``unmapped`` if none)."""
    if action.type == "terminate":
        return {"kind": "terminate"}
    found = cast(ReplayEnv, env.unwrapped).tab.page.evaluate(TARGET_JS, action.name)
    if found is None:
        return {"kind": "unmapped", "xpath": "/nothing[1]"}
    if found["kind"] == "select":
        return {"kind": "select", "xpath": found["xpath"], "value": found["value"]}
    if action.type == "type_and_submit":
        return {"kind": "fill_submit", "xpath": found["xpath"], "text": action.text or ""}
    return {"kind": "click", "xpath": found["xpath"]}


# -- 2. BrowserGym ------------------------------------------------------------------------------
def _run(command: Sequence[str], timeout_s: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command in a session of its own; on timeout end that session (only what we started)."""
    proc = subprocess.Popen(command, start_new_session=True, text=True, **kwargs)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(list(command), proc.returncode, out, err)


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"


def browsergym_python(build_dir: Path) -> Path:
    """The python of ``build_dir/browsergym-venv`` with browsergym-core installed, made (python3
    -m venv, pip install) unless it is there already; raises RuntimeError saying why not."""
    venv = build_dir / "browsergym-venv"
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import importlib.metadata as m; print(m.version('browsergym-core'))"]
    if python.is_file():
        found = _run(check, 60, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if found.returncode == 0 and found.stdout.strip() == BROWSERGYM_VERSION:
            return python
    print(f"Building BrowserGym's virtualenv in {venv} (browsergym-core=={BROWSERGYM_VERSION}) ...", flush=True)
    try:
        made = _run(["python3", "-m", "venv", str(venv)], 300, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if made.returncode != 0:
            raise RuntimeError(f"python3 -m venv {venv} failed: {_last_line(made.stderr)}")
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        installed = _run(
            [*pip, f"browsergym-core=={BROWSERGYM_VERSION}"], 1200, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RuntimeError(f"could not build {venv}: {err}") from err
    if installed.returncode != 0:
        raise RuntimeError(f"pip install browsergym-core=={BROWSERGYM_VERSION} failed: {_last_line(installed.stderr)}")
    return python


def run_browsergym(replay: ReplayRun, config: BenchConfig) -> BrowserGymRun:
    """Build or reuse BrowserGym's venv, play the replay's action sequences there, read the results."""
    try:
        python = browsergym_python(config.build_dir)
    except RuntimeError as err:
        return BrowserGymRun(error=str(err))
    work = {
        "chromium": find_chromium(headless=True),
        "browsers_dir": str((config.build_dir / "browsergym-browsers").resolve()),
        "viewport": list(BrowserConfig().viewport),
        "timeout_ms": BrowserConfig().timeout_ms,
        "episodes": list(replay.episodes),
    }
    steps = sum(len(e["steps"]) for e in replay.episodes)
    log = config.build_dir / "browsergym-bench.log"
    with tempfile.TemporaryDirectory(prefix="webmimic-bench-") as tmp:
        work_path, result_path = Path(tmp) / "work.json", Path(tmp) / "result.json"
        work_path.write_text(json.dumps(work), encoding="utf-8")
        command = [str(python), "-I", str(BROWSERGYM_SCRIPT), str(work_path), str(result_path)]
        try:
            with log.open("w", encoding="utf-8") as stderr:
                done = _run(command, 120 + 10 * len(replay.episodes) + 5 * steps, stdout=stderr, stderr=stderr)
        except subprocess.TimeoutExpired:
            return BrowserGymRun(error=f"BrowserGym's run timed out (its log: {log})")
        if done.returncode != 0 or not result_path.is_file():
            tail = _last_line(log.read_text(encoding="utf-8", errors="replace"))
            return BrowserGymRun(error=f"BrowserGym's run failed (exit {done.returncode}): {tail} (log: {log})")
        result = json.loads(result_path.read_text(encoding="utf-8"))
    return _browsergym_result(result, replay)


def _browsergym_result(result: dict[str, Any], replay: ReplayRun) -> BrowserGymRun:
    by_step: dict[tuple[str, int], dict[str, Any]] = {}
    axtrees: list[tuple[str, str]] = []
    resets: list[float] = []
    errors = [e["error"] for e in result["episodes"] if e.get("error")]
    for sent, episode in zip(replay.episodes, result["episodes"], strict=True):
        if episode.get("reset_ms") is not None:
            resets.append(episode["reset_ms"])
        for index, (work, step) in enumerate(zip(sent["steps"], episode["steps"], strict=False)):
            by_step[(sent["id"], index)] = step
            if step.get("axtree_before") is not None:
                axtrees.append((work["page_type"], step["axtree_before"]))
    if errors and not resets:
        return BrowserGymRun(error=f"no BrowserGym episode started: {errors[0]}")
    versions = {k: result.get(k) for k in ("browsergym", "playwright", "chromium")}
    versions["episode_errors"] = errors
    return BrowserGymRun(None, versions, by_step, tuple(resets), tuple(axtrees))


# -- 3. observation size in tokens ----------------------------------------------------------------
def load_tokenizer(name: str) -> tuple[Any, str]:
    """The tokenizer that counts every observation (transformers is imported only here)."""
    from transformers import AutoTokenizer

    if name == "bundled":
        from webmimic.agents.bundled import bundled_folder

        folder, label = bundled_folder(), "the bundled model's (BPE, 4,096 tokens)"
    elif name == "smollm2":
        from webmimic.agents.smollm2 import smollm2_folder

        folder, label = smollm2_folder(), "SmolLM2-135M-Instruct's (BPE, 49,152 tokens)"
    else:
        raise ValueError(f"tokenizer must be 'smollm2' or 'bundled', not {name!r}.")
    return AutoTokenizer.from_pretrained(folder, local_files_only=True), label


def observation_tokens(replay: ReplayRun, browsergym: BrowserGymRun | None, tokenizer: Any) -> dict[str, Any]:
    """Median tokens per page type of the raw HTML, webmimic's page and BrowserGym's AXTree."""

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    def medians(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
        by_type: dict[str, list[int]] = {}
        for kind, text in pairs:
            by_type.setdefault(kind, []).append(count(text))
        return {kind: round(statistics.median(values)) for kind, values in sorted(by_type.items())}

    pages = {kind: sum(s.page_type == kind for s in replay.samples) for kind in {s.page_type for s in replay.samples}}
    return {
        "raw": medians((s.page_type, s.raw_html) for s in replay.samples),
        "page": medians((s.page_type, s.page) for s in replay.samples),
        "axtree": medians(browsergym.axtrees) if browsergym is not None and browsergym.error is None else None,
        "pages": dict(sorted(pages.items())),
        "axtree_pages": dict(_count(kind for kind, _ in browsergym.axtrees)) if browsergym else {},
    }


def _count(items: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return dict(sorted(counts.items()))


# -- 4. scaling -----------------------------------------------------------------------------------
def scale_point(sessions: Sequence[Session], num_envs: int, config: BenchConfig) -> ScalePoint:
    """Oracle steps in ``num_envs`` envs of one Chromium for ``scale_steps`` env steps in all.

    Sessions per minute counts each step as 1/len(its session), so sessions still under way when
    the clock stops count for what was done of them; resets are in the time. The RSS is taken at
    the end, with every env reset and stepped.
    """
    envs = gym.make_vec("webmimic/Replay-v0", num_envs=num_envs, sessions=list(sessions))
    try:
        subs = [cast(ReplayEnv, env.unwrapped) for env in cast(Any, envs).envs]
        envs.reset(seed=0)
        done, stepped = 0.0, 0
        ticks, started = processes.cpu_ticks(), time.perf_counter()
        for _ in range(max(1, -(-config.scale_steps // num_envs))):
            for env in subs:  # a finished env's next call is its autoreset, not a step
                if env.step_index < len(env.session.steps):
                    done, stepped = done + 1 / len(env.session.steps), stepped + 1
            envs.step([action_json(env.expected_action()) for env in subs])
        elapsed = time.perf_counter() - started
        cpu_s = sum(processes.cpu_seconds_between(ticks, processes.cpu_ticks()).values())
        memory = tree_memory()
    finally:
        envs.close()
    return ScalePoint(
        num_envs,
        done / elapsed * 60,
        stepped / elapsed,
        memory.rss_mb,
        memory.pss_mb,
        memory.resident_mb,
        memory.processes,
        cpu_s / max(stepped, 1) * 1000,
    )


# -- 5. the bundled model ---------------------------------------------------------------------------
def model_latency(sessions: Sequence[Session], config: BenchConfig) -> list[ModelStep]:
    """The bundled model's ``act`` at every step of the first sessions (teacher forcing), after one
    untimed answer that pays the one-off costs."""
    from webmimic.agents import make_agent

    agent = make_agent("bundled")
    chosen = list(sessions[: config.model_sessions])
    env = gym.make("webmimic/Replay-v0", sessions=chosen)
    out: list[ModelStep] = []
    try:
        replay = cast(ReplayEnv, env.unwrapped)
        for number, session in enumerate(chosen):
            obs, info = env.reset(options={"session_id": session.id})
            if number == 0:
                agent.reset(env, info)
                agent.act(obs)
            agent.reset(env, info)
            while True:
                started = time.perf_counter()
                answer = agent.act(obs)
                ms = (time.perf_counter() - started) * 1000
                prompt = len(getattr(agent, "last_prompt_ids", ()))
                out.append(ModelStep(len(obs["history"]), prompt, _answer_tokens(agent, answer), ms))
                obs, _, terminated, truncated, _ = env.step(action_json(replay.expected_action()))
                if terminated or truncated:
                    break
    finally:
        env.close()
    return out


def _answer_tokens(agent: Any, answer: Any) -> int:
    """Tokens the model generated (the step's time grows with them); 0 for an answer it could not give."""
    tokenizer = getattr(agent, "tokenizer", None)
    if not isinstance(answer, str) or tokenizer is None:
        return 0
    return len(tokenizer(answer, add_special_tokens=False)["input_ids"])


# -- the figures ----------------------------------------------------------------------------------
def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def replay_figures(
    replays: Sequence[ReplayRun], browsergyms: Sequence[BrowserGymRun] | None, with_images: Sequence[ReplayRun] = ()
) -> dict[str, Any]:
    """Throughput of the one-env replays, their rounds' steps pooled, and the ratio over the steps
    BrowserGym ran as webmimic did in every round: pooled, and round by round. ``with_images``:
    the same replays by an env that loads the pages' images, as BrowserGym's browser does."""
    first = replays[0]
    all_ms = [t.ms for replay in replays for t in replay.steps]
    figures: dict[str, Any] = {
        "steps_per_s": _rounded(per_second(all_ms), 2),
        "step_ms_p50": _rounded(percentile(all_ms, 50)),
        "step_ms_p95": _rounded(percentile(all_ms, 95)),
        "browsergym_steps_per_s": None,
        "speedup_vs_browsergym": None,
    }
    details: dict[str, Any] = {
        "sessions": len(first.episodes),
        "steps": len(first.steps),
        "rounds": len(replays),
        "reset_ms_p50": _rounded(percentile([ms for replay in replays for ms in replay.reset_ms], 50)),
        "browser_steps": sum(t.kind != "terminate" for t in first.steps),
        "sent_as": _count(step["kind"] for episode in first.episodes for step in episode["steps"]),
        "images_steps_per_s": _rounded(per_second([t.ms for run in with_images for t in run.steps]), 2),
    }
    error = next((run.error for run in browsergyms or () if run.error is not None), None)
    if not browsergyms or error is not None:
        details["browsergym_error"] = "skipped (--no-browsergym)" if not browsergyms else error
        return {**figures, "replay": details}
    ok = [
        key for key in browsergyms[0].steps if all(run.steps.get(key, {}).get("status") == "ok" for run in browsergyms)
    ]
    mine = [_step_ms(replay) for replay in replays]
    ours = [ms[key] for ms in mine for key in ok]
    imaged = [ms[key] for ms in map(_step_ms, with_images) for key in ok]
    theirs = [run.steps[key]["ms"] for run in browsergyms for key in ok]
    webmimic_rate, browsergym_rate = per_second(ours), per_second(theirs)
    figures["browsergym_steps_per_s"] = _rounded(browsergym_rate, 2)
    figures["speedup_vs_browsergym"] = _speedup(webmimic_rate, browsergym_rate)
    details.update(
        browsergym=browsergyms[0].versions,
        browsergym_status=_count(step["status"] for step in browsergyms[0].steps.values()),
        same_steps=len(ok),
        webmimic_same_steps_per_s=_rounded(webmimic_rate, 2),
        webmimic_same_ms_p50=_rounded(percentile(ours, 50)),
        webmimic_same_ms_p95=_rounded(percentile(ours, 95)),
        browsergym_ms_p50=_rounded(percentile(theirs, 50)),
        browsergym_ms_p95=_rounded(percentile(theirs, 95)),
        browsergym_reset_ms_p50=_rounded(percentile([ms for run in browsergyms for ms in run.reset_ms], 50)),
        images_same_steps_per_s=_rounded(per_second(imaged), 2),
        images_speedup_vs_browsergym=_speedup(per_second(imaged), browsergym_rate),
        speedup_by_round=[
            _speedup(per_second([ms[key] for key in ok]), per_second([run.steps[key]["ms"] for key in ok]))
            for ms, run in zip(mine, browsergyms, strict=True)
        ],
        browsergym_failures=_failures(first, browsergyms[0]),
    )
    return {**figures, "replay": details}


def _step_ms(replay: ReplayRun) -> dict[tuple[str, int], float]:
    return {(t.session_id, t.index): t.ms for t in replay.steps}


def _speedup(ours: float | None, theirs: float | None) -> float | None:
    return _rounded(ours / theirs, 2) if ours is not None and theirs is not None else None


def _failures(replay: ReplayRun, browsergym: BrowserGymRun) -> list[dict[str, Any]]:
    """Each step BrowserGym could not take as webmimic did (its episode stops there), and why."""
    sent = {(e["id"], i): step for e in replay.episodes for i, step in enumerate(e["steps"])}
    return [
        {"session": key[0], "step": key[1], "sent_as": sent[key]["kind"], "status": step["status"],
         "error": step.get("error"), "url": step.get("url"), "expected_url": sent[key].get("expected_url")}
        for key, step in browsergym.steps.items()
        if step["status"] in ("error", "unmapped", "diverged")
    ]  # fmt: skip


def scale_figures(points: Sequence[ScalePoint], cpus: int) -> dict[str, Any]:
    """Sessions per minute and memory by env count, and what the CPU allows: with every one of
    ``cpus`` cores busy at the CPU per step of the most envs, the steps per second at most."""
    by_envs = {str(p.envs): round(p.sessions_per_min, 1) for p in points}
    one = next((p for p in points if p.envs == 1), None)
    most = max(points, key=lambda p: p.envs) if points else None

    def per_extra(mb: Callable[[ScalePoint], float | None]) -> float | None:
        if one is None or most is None or most.envs == 1:
            return None
        low, high = mb(one), mb(most)
        return None if low is None or high is None else round((high - low) / (most.envs - 1), 1)

    rows = [
        {"envs": p.envs, "sessions_per_min": round(p.sessions_per_min, 1), "steps_per_s": round(p.steps_per_s, 2),
         "rss_mb": round(p.rss_mb, 1), "pss_mb": round(p.pss_mb, 1), "resident_mb": _rounded(p.resident_mb),
         "processes": p.processes, "cpu_ms_per_step": round(p.cpu_ms_per_step, 1),
         "cores_busy": round(p.steps_per_s * p.cpu_ms_per_step / 1000, 2)}
        for p in points
    ]  # fmt: skip
    return {
        "sessions_per_min_by_envs": by_envs,
        "steps_per_s_ceiling": _rounded(cpus * 1000 / most.cpu_ms_per_step, 2) if most else None,
        "mem_mb_per_extra_env": per_extra(lambda p: p.rss_mb),
        "pss_mb_per_extra_env": per_extra(lambda p: p.pss_mb),
        "resident_mb_per_extra_env": per_extra(lambda p: p.resident_mb),
        "scaling": rows,
    }


def model_figures(steps: Sequence[ModelStep]) -> dict[str, Any]:
    by_history: dict[int, list[ModelStep]] = {}
    for step in steps:
        by_history.setdefault(step.history, []).append(step)
    rows = [
        {"history": h, "steps": len(group), "prompt_tokens": round(statistics.median(s.prompt_tokens for s in group)),
         "answer_tokens": round(statistics.median(s.answer_tokens for s in group)),
         "ms_p50": round(statistics.median(s.ms for s in group), 1)}
        for h, group in sorted(by_history.items())
    ]  # fmt: skip
    return {"model_step_ms_by_history": {str(r["history"]): r["ms_p50"] for r in rows} or None, "model": rows}


def machine() -> dict[str, Any]:
    """What the figures were measured on (other jobs show in the load average)."""
    return {
        "cpus": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "chromium": find_chromium(headless=True),
        "python": sys.version.split()[0],
    }


# -- the run, the table, the command ----------------------------------------------------------------
def run_bench(config: BenchConfig, log: Any = print) -> dict[str, Any]:
    """Every measurement, in an order that keeps each one clean (the model, which loads torch,
    comes last); the figures with the issue's keys, and the details they come from."""
    sessions = load_sessions(config)
    chosen = sessions[: config.limit]
    about = machine()
    servers = SiteServers()
    replays: list[ReplayRun] = []
    with_images: list[ReplayRun] = []
    browsergyms: list[BrowserGymRun] = []
    sides = ("webmimic", "webmimic with images", "browsergym")
    try:
        for round_ in range(config.rounds):
            # Each round reverses the order of the sides; BrowserGym plays the first round's steps.
            for side in sides if round_ % 2 == 0 else sides[::-1]:
                of = f"round {round_ + 1} of {config.rounds}"
                if side == "webmimic":
                    log(f"[1/5] webmimic, {of}: the oracle replays {len(chosen)} sessions in one env ...")
                    replays.append(replay_throughput(chosen, servers, config, record=not replays))
                elif side == "webmimic with images":
                    log(f"[1/5] webmimic loading the pages' images, {of}: the same replay ...")
                    with_images.append(replay_throughput(chosen, servers, config, images=True, record=False))
                elif config.browsergym and not any(run.error for run in browsergyms):
                    log(f"[2/5] BrowserGym {BROWSERGYM_VERSION}, {of}: the same steps on the same server ...")
                    browsergyms.append(run_browsergym(replays[0], config))
    finally:
        servers.close()
    browsergym = browsergyms[0] if browsergyms else None
    log(f"[3/5] scaling: {', '.join(map(str, config.envs))} envs of one Chromium ...")
    points = [scale_point(sessions, n, config) for n in config.envs]
    log("[4/5] observation sizes in tokens ...")
    tokenizer, label = load_tokenizer(config.tokenizer)
    tokens = observation_tokens(replays[0], browsergym, tokenizer)
    log(f"[5/5] the bundled model on {config.model_sessions} sessions ...")
    model = model_figures(model_latency(chosen, config) if config.model_sessions > 0 else [])
    flow, scale = replay_figures(replays, browsergyms, with_images), scale_figures(points, about["cpus"])
    figures = {
        **{k: flow[k] for k in JSON_KEYS[:5]},
        "obs_tokens": tokens["page"],
        "raw_html_tokens": tokens["raw"],
        "browsergym_axtree_tokens": tokens["axtree"],
        "sessions_per_min_by_envs": scale["sessions_per_min_by_envs"],
        "mem_mb_per_extra_env": scale["mem_mb_per_extra_env"],
        "pss_mb_per_extra_env": scale["pss_mb_per_extra_env"],
        "resident_mb_per_extra_env": scale["resident_mb_per_extra_env"],
        "steps_per_s_ceiling": scale["steps_per_s_ceiling"],
        "model_step_ms_by_history": model["model_step_ms_by_history"],
    }
    details = {
        "machine": about,
        "replay": flow["replay"],
        "tokenizer": label,
        "pages": tokens["pages"],
        "axtree_pages": tokens["axtree_pages"],
        "scaling": scale["scaling"],
        "scale_steps": config.scale_steps,
        "model": model["model"],
    }
    return {**figures, "details": details}


def _fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def _row(label: str, ours: float | None, theirs: float | None | str, ratio: str, digits: int = 1) -> str:
    shown = theirs if isinstance(theirs, str) else _fmt(theirs, "", digits)
    return f"| {label} | {_fmt(ours, '', digits)} | {shown} | {ratio} |"


def _replay_table(result: dict[str, Any]) -> list[str]:
    replay = result["details"]["replay"]
    lines = [
        f"Replay, oracle, one env: {replay['steps']} steps of {replay['sessions']} sessions "
        f"({replay['browser_steps']} click/type steps, the rest terminate), each side {replay['rounds']} "
        "times, the rounds' steps pooled",
        "| figure | webmimic | BrowserGym | ratio |",
        "|---|---|---|---|",
        _row("steps/s, all steps", result["steps_per_s"], "", "", 2),
        _row("ms per step p50, all steps", result["step_ms_p50"], "", ""),
        _row("ms per step p95, all steps", result["step_ms_p95"], "", ""),
    ]
    if "browsergym_error" in replay:
        return [
            *lines,
            _row("reset ms p50", replay["reset_ms_p50"], "", ""),
            f"BrowserGym: not measured: {replay['browsergym_error']}",
        ]
    same, status = replay["same_steps"], replay["browsergym_status"]
    speedup = _fmt(result["speedup_vs_browsergym"], "x", 2)
    ours, theirs = replay["webmimic_same_steps_per_s"], result["browsergym_steps_per_s"]
    lines += [
        _row(f"steps/s, the {same} steps both ran", ours, theirs, speedup, 2),
        *(
            _row(label, replay[a], replay[b], _ratio(replay[b], replay[a]))
            for label, a, b in (
                ("ms per step p50, same steps", "webmimic_same_ms_p50", "browsergym_ms_p50"),
                ("ms per step p95, same steps", "webmimic_same_ms_p95", "browsergym_ms_p95"),
                ("reset ms p50 (new episode)", "reset_ms_p50", "browsergym_reset_ms_p50"),
            )
        ),
        _row(
            "steps/s, same steps, webmimic loading images",
            replay["images_same_steps_per_s"],
            theirs,
            _fmt(replay["images_speedup_vs_browsergym"], "x", 2),
            2,
        ),
        f"BrowserGym ran {same} of the {replay['browser_steps']} click/type steps as webmimic did "
        f"(sent as: {', '.join(f'{k} {v}' for k, v in replay['sent_as'].items())}; "
        f"outcome: {', '.join(f'{k} {v}' for k, v in status.items())}); "
        + ", ".join(f"{k} {v}" for k, v in replay["browsergym"].items() if k != "episode_errors"),
    ]
    lines.append(
        "Ratio of steps/s by round (webmimic and BrowserGym alternate which goes first): "
        + ", ".join(_fmt(ratio, "x", 2) for ratio in replay["speedup_by_round"])
    )
    lines.append(
        "Only env.step is timed. BrowserGym's waits are at zero (slow_mo 0, pre_observation_delay 0, demo mode off); "
        "its step observes the DOM snapshot, AXTree and screenshot, webmimic's the simplified page. "
        "A headless webmimic env loads no images (BrowserConfig.images; the observations are the same), "
        "BrowserGym's browser loads them: the row 'loading images' is webmimic with them."
    )
    for failure in replay["browsergym_failures"][:5]:
        why = failure["error"] or f"its page was {failure['url']}"
        lines.append(
            f"  BrowserGym stopped {failure['session']} at step {failure['step']} ({failure['sent_as']}): {why}"
        )
    return lines


def _token_table(result: dict[str, Any]) -> list[str]:
    details = result["details"]
    raw, page, axtree = result["raw_html_tokens"], result["obs_tokens"], result["browsergym_axtree_tokens"] or {}
    lines = [
        f"Observation size, tokens of {details['tokenizer']} tokenizer (medians per page type)",
        "| page type | pages | raw HTML | BrowserGym AXTree | webmimic page | raw / webmimic | AXTree / webmimic |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, tokens in page.items():
        ax = axtree.get(kind)
        shown = "n/a" if ax is None else f"{ax:,}"
        lines.append(
            f"| {kind} | {details['pages'][kind]} | {raw[kind]:,} | {shown} | {tokens:,} | "
            f"{_ratio(raw[kind], tokens)} | {_ratio(ax, tokens)} |"
        )
    return lines


def _scale_table(result: dict[str, Any]) -> list[str]:
    rows = result["details"]["scaling"]
    first = rows[0] if rows else None
    lines = [
        f"Scaling, gym.make_vec (N contexts of one Chromium), {result['details']['scale_steps']} env steps per N",
        "| envs | sessions/min | vs 1 env | steps/s | RSS summed over processes | PSS | resident, each page once "
        "| processes | CPU ms per step | cores busy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        base = first["sessions_per_min"] if first and first["envs"] == 1 else None
        lines.append(
            f"| {row['envs']} | {row['sessions_per_min']:,.1f} | {_ratio(row['sessions_per_min'], base)} | "
            f"{row['steps_per_s']:.2f} | {row['rss_mb']:,.0f} MB | {row['pss_mb']:,.0f} MB | "
            f"{_fmt(row['resident_mb'], ' MB', 0)} | {row['processes']} | {row['cpu_ms_per_step']:.0f} | "
            f"{row['cores_busy']:.2f} |"
        )
    lines.append(
        f"Memory each extra env adds (largest N against 1): RSS summed {_fmt(result['mem_mb_per_extra_env'], ' MB')}, "
        f"PSS {_fmt(result['pss_mb_per_extra_env'], ' MB')}, "
        f"resident pages each counted once {_fmt(result['resident_mb_per_extra_env'], ' MB')} "
        "(summed RSS counts the Chromium code every renderer maps once per renderer)"
    )
    if rows:
        most = max(rows, key=lambda r: r["envs"])  # the row the ceiling comes from
        best, cpus = max(rows, key=lambda r: r["steps_per_s"]), result["details"]["machine"]["cpus"]
        theirs = result["browsergym_steps_per_s"]
        lines.append(
            f"CPU is the whole process tree's (Chromium, the driver, this process with the shop's server), resets "
            f"included. Most steps/s: {best['steps_per_s']:.2f} with {best['envs']} envs, "
            f"{_ratio(best['steps_per_s'], theirs)} BrowserGym's one env. At {most['envs']} envs a step took "
            f"{most['cpu_ms_per_step']:.0f} ms of CPU: with all {cpus} cores busy, at most "
            f"{_fmt(result['steps_per_s_ceiling'], ' steps/s', 2)} ({_ratio(result['steps_per_s_ceiling'], theirs)})."
        )
    return lines


def _model_table(result: dict[str, Any]) -> list[str]:
    rows = result["details"]["model"]
    if not rows:
        return ["The bundled model: not measured (--model-sessions 0)."]
    lines = [
        "The bundled model's act() per step against history length (teacher forcing, medians)",
        "| history (past steps) | steps | prompt tokens | answer tokens | ms per step |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['history']} | {r['steps']} | {r['prompt_tokens']:,} | {r['answer_tokens']:,} | {r['ms_p50']:,.1f} |"
        for r in rows
    ]
    return lines


def format_table(result: dict[str, Any]) -> str:
    """The figures as Markdown tables, each with its ratios."""
    m = result["details"]["machine"]
    head = f"webmimic bench: {m['cpus']} CPUs, load {m['load_avg_1min']} at the start, {m['chromium']}"
    parts = [[head], _replay_table(result), _token_table(result), _scale_table(result), _model_table(result)]
    return "\n\n".join("\n".join(part) for part in parts) + "\n"


def bench_main(args: argparse.Namespace) -> int:
    """Run the bench, print the table, write ``--json`` (the CLI's argument types checked the numbers)."""
    config = BenchConfig(
        sessions=args.sessions,
        limit=args.limit,
        rounds=args.rounds,
        envs=tuple(sorted(set(args.envs))),
        scale_steps=args.scale_steps,
        model_sessions=args.model_sessions,
        tokenizer=args.tokenizer,
        browsergym=not args.no_browsergym,
        build_dir=args.build_dir,
        json_path=args.json,
    )
    result = run_bench(config, log=lambda text: print(text, flush=True))
    print()
    print(format_table(result), end="")
    if config.json_path is not None:
        atomic_write(config.json_path, json.dumps(result, indent=2) + "\n")
        print(f"Wrote {config.json_path}")
    return 0
