"""``webmimic eval --ray [ADDRESS]``: the sessions spread over a Ray cluster.

Each worker is a Ray actor with its own browser and site servers, evaluating one session at a
time; the driver hands a session to whichever actor is free and saves each result as it arrives,
through the same writer as a local run, so ``steps.jsonl``, ``--resume``, the metrics and the
report are those of a local run. Sessions, the config and the results travel as plain data (dicts,
strings, bytes). ``--ray`` alone starts a local Ray; an address (``auto``, ``ray://HOST:PORT``)
joins a cluster, where ``hf:``, ``bundled`` and ``smollm2`` actors each ask for a GPU if it has
any. Ray is imported here only.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from webmimic.agents.base import Generation
from webmimic.envs.pool import EnvPool
from webmimic.envs.runtime import SiteServers
from webmimic.evaluation.rundir import StepRecord
from webmimic.evaluation.runner import EvalConfig, SessionEvaluator, SessionResult
from webmimic.replay.session import Session
from webmimic.simulator import Browser

__all__ = ["run_on_ray"]

MODEL_SPECS = ("hf:", "bundled", "smollm2")


class _Worker:
    """The actor: a pool of one evaluator (a browser, the site servers, an env) for many sessions."""

    def __init__(self, config: dict[str, Any], sessions: list[dict[str, Any]], out: str) -> None:
        evaluation = EvalConfig(**{**config, "generation": Generation(**config["generation"]), "progress": False})
        replayed = [Session.from_dict(s) for s in sessions]

        def make(browser: Browser, servers: SiteServers) -> SessionEvaluator:
            return SessionEvaluator(evaluation, replayed, Path(out), browser, servers)

        self.pool = EnvPool(make, 1)

    def run(self, session_id: str, screenshots: bool) -> dict[str, Any]:
        result = self.pool.workers[0].run(session_id, screenshots)
        return {
            "session_id": result.session_id,
            "records": [r.to_dict() for r in result.records],
            "shots": dict(result.shots),
            "error": result.error,
        }

    def close(self) -> None:
        self.pool.close()


def _result(data: dict[str, Any]) -> SessionResult:
    records = tuple(StepRecord.from_dict(r) for r in data["records"])
    return SessionResult(data["session_id"], records, data["shots"], data["error"])


def run_on_ray(
    config: EvalConfig,
    sessions: Sequence[Session],
    out: Path,
    workers: int,
    todo: Sequence[tuple[str, bool]],
    save: Callable[[SessionResult], None],
) -> None:
    """Run the sessions of ``todo`` on ``workers`` Ray actors; ``save`` each result here."""
    import ray

    started = not ray.is_initialized()
    if started:
        ray.init(address=config.ray, include_dashboard=False, log_to_driver=False)
    actors: list[Any] = []
    try:
        gpus = 1 if config.agent.startswith(MODEL_SPECS) and ray.cluster_resources().get("GPU", 0) else 0
        actor_class = ray.remote(num_gpus=gpus)(_Worker)
        payload = [s.to_dict() for s in sessions]
        actors += [
            actor_class.remote(asdict(config), payload, str(out)) for _ in range(max(1, min(workers, len(todo))))
        ]
        queue, running = collections.deque(todo), {}
        for actor in actors:
            if queue:
                running[actor.run.remote(*queue.popleft())] = actor
        while running:
            [done], _ = ray.wait(list(running), num_returns=1)
            actor = running.pop(done)
            save(_result(ray.get(done)))
            if queue:
                running[actor.run.remote(*queue.popleft())] = actor
    finally:
        ray.get([actor.close.remote() for actor in actors])
        if started:
            ray.shutdown()
