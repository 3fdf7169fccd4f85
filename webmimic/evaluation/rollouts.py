"""``webmimic rollouts``: an agent's trajectories on replayed sessions, as JSON Lines, for RL.

Episode ``e`` replays session ``e // samples`` (cycling through the sessions in id order), so the
``samples`` episodes of a session are consecutive: a group of rollouts from one start, as GRPO
wants (sample with ``--temperature``; greedy gives identical samples). ``--envs N`` plays N
episodes at once, as N contexts of one Chromium (``EnvPool``). Each finished episode is one line,
appended and fsync'd at once; ``--resume`` keeps the finished ones (a torn last line is dropped)
and plays the rest. A line holds, per step, a digest of the observation the agent saw, its raw
output, the parsed action, the reward, the check against the human and the timings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import hashlib
import json
import os
from pathlib import Path
import sys
import time
from typing import Any, Literal

from webmimic.agents.base import Generation, make_agent
from webmimic.core.errors import EvalRunError, WebmimicError
from webmimic.core.files import atomic_write
from webmimic.envs.pool import EnvPool
from webmimic.envs.replay_env import ReplayEnv
from webmimic.envs.runtime import SiteServers
from webmimic.evaluation.runner import MODEL_SPECS
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import Session, read_sessions
from webmimic.simulator import Browser, BrowserConfig

__all__ = ["ROLLOUT_FORMAT", "RolloutConfig", "run_rollouts"]

ROLLOUT_FORMAT = "webmimic.rollout/1"


@dataclass(frozen=True)
class RolloutConfig:
    """One rollout run; the fields are the ``webmimic rollouts`` flags."""

    agent: str
    out: str
    sessions: str | None = None  # None: the bundled training split
    envs: int = 1
    episodes: int = 1
    samples: int = 1  # consecutive episodes per session (a GRPO group)
    follow: Literal["human", "agent"] = "agent"
    reward: Literal["exact", "partial"] = "partial"
    start_step: int = 0  # the human's first actions replayed before the agent plays
    seed: int = 0
    generation: Generation = field(default_factory=Generation)
    ray: str | None = None  # a Ray address ("local": start one): the envs are Ray actors, a browser each
    resume: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        for name in ("envs", "episodes", "samples"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}.")
        if self.start_step < 0:
            raise ValueError(f"start_step must be 0 or more, not {self.start_step}.")
        if self.follow not in ("human", "agent"):
            raise ValueError(f"follow must be 'human' or 'agent', not {self.follow!r}.")
        if self.reward not in ("exact", "partial"):
            raise ValueError(f"reward must be 'exact' or 'partial', not {self.reward!r}.")


@dataclass(frozen=True)
class _Episode:
    index: int
    session_id: str
    sample: int
    seed: int


def _digest(obs: Any) -> str:
    return hashlib.sha256(json.dumps(obs, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


class _Player:
    """One env on the pool's browser; plays whole episodes."""

    def __init__(self, config: RolloutConfig, sessions: list[Session], browser: Browser, servers: SiteServers):
        self.config = config
        self.lengths = {s.id: len(s.steps) for s in sessions}
        self.env = ReplayEnv(
            sessions, follow=config.follow, reward=config.reward, browser=browser, servers=servers, timings=True
        )

    def close(self) -> None:
        self.env.close()

    def play(self, episode: _Episode) -> dict[str, Any]:
        started = time.perf_counter()
        record: dict[str, Any] = {"episode": episode.index, "session_id": episode.session_id, "sample": episode.sample}
        try:
            record.update(self._play(episode))
        except WebmimicError as err:
            record["error"] = f"{type(err).__name__}: {err}"
        record["wall_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return record

    def _play(self, episode: _Episode) -> dict[str, Any]:
        env, config = self.env, self.config
        agent = make_agent(config.agent, seed=episode.seed, generation=config.generation)
        start = min(config.start_step, self.lengths[episode.session_id] - 1)
        obs, info = env.reset(options={"session_id": episode.session_id, "step": start})
        agent.reset(env, info)
        steps: list[dict[str, Any]] = []
        terminated = truncated = False
        while not (terminated or truncated):
            digest, before = _digest(obs), time.perf_counter()
            output = env.parse(agent.act(obs))
            agent_ms = (time.perf_counter() - before) * 1000
            obs, reward, terminated, truncated, info = env.step(output)
            steps.append(
                {
                    "t": info["step"],
                    "obs_sha256": digest,
                    "raw_output": output.raw,
                    "action": info["agent_action"],
                    "rationale": output.rationale,
                    "error": info["error"],
                    "reward": float(reward),
                    "human_action": info.get("human_action"),
                    "match": info.get("match"),
                    "agent_ms": round(agent_ms, 1),
                    "step_ms": round(float(info.get("step_ms", 0.0)), 1),
                }
            )
        played = {
            "start_step": start,
            "steps": steps,
            "return": sum(s["reward"] for s in steps),
            "terminated": bool(terminated),
            "truncated": bool(truncated),
            "outcome_match": info.get("outcome_match"),
        }
        if "site_error" in info:  # the site failed under an action: the episode failed, not the agent
            played["error"] = f"SiteFailureError: {info['site_error']['message']}"
            played["site_error"] = info["site_error"]
        return played


def _plan(sessions: list[Session], config: RolloutConfig) -> list[_Episode]:
    ordered = sorted(sessions, key=lambda s: s.id)
    episodes = []
    for e in range(config.episodes):
        seed = int(hashlib.sha256(f"{config.seed}:{e}".encode()).hexdigest()[:8], 16)
        episodes.append(_Episode(e, ordered[(e // config.samples) % len(ordered)].id, e % config.samples, seed))
    return episodes


def _run_key(config: RolloutConfig, sessions_path: str) -> dict[str, Any]:
    """What every line carries, and a resume must match."""
    digest = hashlib.sha256(Path(sessions_path).read_bytes()).hexdigest()
    return {
        "agent": config.agent,
        "sessions_sha256": digest,
        "follow": config.follow,
        "reward": config.reward,
        "samples": config.samples,
        "start_step": config.start_step,
        "seed": config.seed,
        "generation": asdict(config.generation),
    }


def _finished(out: Path, run: dict[str, Any], resume: bool) -> set[int]:
    """The episodes already in ``out`` (resume); drops a torn last line; refuses another run's file."""
    if not out.exists() or out.stat().st_size == 0:
        return set()
    if out.is_dir():
        raise EvalRunError(f"--out {out} is a directory; rollouts are written to a file (e.g. rollouts.jsonl).")
    if not resume:
        raise EvalRunError(f"{out} exists. Pass --resume to continue that run, or choose another --out.")
    data = out.read_bytes()
    lines = data.split(b"\n")
    done: set[int] = set()
    for number, raw in enumerate(lines[:-1], 1):
        try:
            record = json.loads(raw)
        except ValueError as err:
            raise EvalRunError(f"{out}:{number}: not a JSON rollout line ({err}); the file was damaged.") from err
        if not isinstance(record, dict) or record.get("run") != run:
            raise EvalRunError(
                f"Cannot resume {out}: line {number} is from another run (agent, sessions, --follow, --reward, "
                "--samples, --start-step, --seed or sampling differ). Use another --out for a new run."
            )
        done.add(int(record["episode"]))
    if lines[-1]:
        atomic_write(out, b"".join(line + b"\n" for line in lines[:-1]))  # the episode being written when cut
    return done


def run_rollouts(config: RolloutConfig) -> dict[str, Any]:
    """Play (or resume) the run; return a summary: episodes, failures, mean return, the file."""
    from tqdm import tqdm

    sessions_path = config.sessions or str(bundled_sessions_path("train"))
    sessions = list(read_sessions(sessions_path))
    if not sessions:
        raise EvalRunError(f"{sessions_path}: no sessions to roll out.")
    out = Path(config.out)
    run = _run_key(config, sessions_path)
    done = _finished(out, run, config.resume)
    todo = [e for e in _plan(sessions, config) if e.index not in done]
    out.parent.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=config.episodes, initial=config.episodes - len(todo), unit="episode", file=sys.stderr)
    bar.disable = not config.progress
    returns: list[float] = []
    failed = 0

    def write(played: dict[str, Any]) -> None:
        nonlocal failed
        record = {"format": ROLLOUT_FORMAT, "run": run, **played}
        fh.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())
        if "error" in record:
            failed += 1
            bar.write(f"webmimic rollouts: episode {record['episode']} failed: {record['error']}", file=sys.stderr)
        else:
            returns.append(record["return"])
        bar.update(1)

    def make(browser: Browser, servers: SiteServers) -> _Player:
        return _Player(config, sessions, browser, servers)

    with open(out, "ab") as fh:
        try:
            if config.ray is not None:
                from webmimic.envs.ray_pool import run_on_ray

                gpus = config.agent.startswith(MODEL_SPECS)
                run_on_ray(config.ray, make, config.envs, [(BrowserConfig(), todo)], _Player.play, write, gpus=gpus)
            else:
                with EnvPool(make, min(config.envs, max(len(todo), 1))) as pool:
                    pool.run(todo, lambda player, episode: write(player.play(episode)))
        finally:
            bar.close()
    return {
        "out": str(out),
        "episodes": config.episodes,
        "played": len(todo),
        "failed": failed,
        "mean_return": sum(returns) / len(returns) if returns else None,
    }
