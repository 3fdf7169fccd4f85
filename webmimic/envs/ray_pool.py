"""``EnvPool`` on a Ray cluster: each worker a Ray actor with its own browser and site servers.

What ``webmimic eval --ray`` and ``webmimic rollouts --ray`` use. The driver hands the next job to
whichever actor is free and passes each result to ``save`` here, as it arrives, so the files are
written by one process exactly as in a local run. ``address`` is Ray's: ``local`` starts a local
Ray, ``auto`` or ``ray://HOST:PORT`` joins a cluster. Actors that run a model ask for a GPU each
(``gpus``) where the cluster has any. Ray is imported here only.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from webmimic.envs.pool import EnvPool, W
from webmimic.envs.runtime import SiteServers
from webmimic.simulator import Browser, BrowserConfig

__all__ = ["run_on_ray"]

J = TypeVar("J")
R = TypeVar("R")


class _Actor(Generic[W, J, R]):
    """One worker (a browser, the site servers, the worker's env) for many jobs.

    A job that asks for another browser config than the last one gets a new pool (a new browser
    and worker); what the worker loaded in this process, such as a model, stays loaded.
    """

    def __init__(self, make: Callable[[Browser, SiteServers], W], work: Callable[[W, J], R]) -> None:
        self.make, self.work = make, work
        self.pool: EnvPool[W] | None = None

    def run(self, config: BrowserConfig, job: J) -> R:
        if self.pool is None or self.pool.browser.config != config:
            self.close()
            self.pool = EnvPool(self.make, 1, config)
        return self.work(self.pool.workers[0], job)

    def close(self) -> None:
        if self.pool is not None:
            pool, self.pool = self.pool, None
            pool.close()


def run_on_ray(
    address: str,
    make: Callable[[Browser, SiteServers], W],
    size: int,
    phases: Sequence[tuple[BrowserConfig, Sequence[J]]],
    work: Callable[[W, J], R],
    save: Callable[[R], None],
    *,
    gpus: bool = False,
) -> None:
    """``save(work(worker, job))`` for every job of every ``(config, jobs)`` phase, on ``size``
    actors, a job on a browser of its phase's config; ``save`` runs here.

    Jobs are handed out in phase order, so an actor changes browser at most once per phase, and
    it takes the next phase's job as soon as it is free: no actor waits for a phase to end.
    """
    import ray

    jobs = [(config, job) for config, batch in phases for job in batch]
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    actors: list[Any] = []
    try:
        num_gpus = 1 if gpus and ray.cluster_resources().get("GPU", 0) else 0
        actor_class = ray.remote(num_gpus=num_gpus)(_Actor)
        actors += [actor_class.remote(make, work) for _ in range(max(1, min(size, len(jobs))))]
        queue, running = collections.deque(jobs), {}
        for actor in actors:
            if queue:
                running[actor.run.remote(*queue.popleft())] = actor
        while running:
            [done], _ = ray.wait(list(running), num_returns=1)
            actor = running.pop(done)
            save(ray.get(done))
            if queue:
                running[actor.run.remote(*queue.popleft())] = actor
    finally:
        ray.get([actor.close.remote() for actor in actors])
        if started:
            ray.shutdown()
