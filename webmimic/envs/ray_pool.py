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
    """A pool of one worker (a browser, the site servers, the worker's env) for many jobs."""

    def __init__(
        self, make: Callable[[Browser, SiteServers], W], work: Callable[[W, J], R], config: BrowserConfig | None
    ) -> None:
        self.pool = EnvPool(make, 1, config)
        self.work = work

    def run(self, job: J) -> R:
        return self.work(self.pool.workers[0], job)

    def close(self) -> None:
        self.pool.close()


def run_on_ray(
    address: str,
    make: Callable[[Browser, SiteServers], W],
    size: int,
    jobs: Sequence[J],
    work: Callable[[W, J], R],
    save: Callable[[R], None],
    *,
    gpus: bool = False,
    config: BrowserConfig | None = None,
) -> None:
    """``save(work(worker, job))`` for every job, on ``size`` actors, each with a browser of
    ``config``; ``save`` runs here."""
    import ray

    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    actors: list[Any] = []
    try:
        num_gpus = 1 if gpus and ray.cluster_resources().get("GPU", 0) else 0
        actor_class = ray.remote(num_gpus=num_gpus)(_Actor)
        actors += [actor_class.remote(make, work, config) for _ in range(max(1, min(size, len(jobs))))]
        queue, running = collections.deque(jobs), {}
        for actor in actors:
            if queue:
                running[actor.run.remote(queue.popleft())] = actor
        while running:
            [done], _ = ray.wait(list(running), num_returns=1)
            actor = running.pop(done)
            save(ray.get(done))
            if queue:
                running[actor.run.remote(queue.popleft())] = actor
    finally:
        ray.get([actor.close.remote() for actor in actors])
        if started:
            ray.shutdown()
