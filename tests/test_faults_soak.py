"""Long runs: 1,000 Replay-v0 episodes, and 200 resets of a vector env, in one process leak no
Chromium processes, no file descriptors and no memory (the process tree's RSS grows less than 10%).

Each soak measures its baseline after a warm-up (Chromium's and Python's caches fill during the
first episodes) and compares the end of the run against it. Both ends are windows of several
samples, so a renderer still exiting or a garbage-collection spike does not decide alone. The
soaks take many minutes on two cores; they are marked ``soak`` (and ``slow``) and run with the
rest of ``make test``; ``-m 'not soak'`` leaves them out of a quick local run.
``test_the_checks_catch_each_kind_of_leak`` is the same loop with deliberate leaks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass
import gc
import os
import statistics
from typing import Any

import gymnasium as gym
import pytest

from webmimic.evaluation.bench import tree_memory
from webmimic.simulator import Tab, processes

TERMINATE = '{"type": "terminate"}'
MAX_MEMORY_GROWTH = 0.10  # the bound: the tree's memory grows less than 10%


@dataclass(frozen=True)
class Sample:
    """What a leak would grow: processes under this one, this process's fds, the tree's memory."""

    processes: int
    fds: int
    rss_mb: float
    pss_mb: float


def sample() -> Sample:
    gc.collect()  # garbage is not a leak: count only what is still referenced
    memory = tree_memory()
    return Sample(
        processes=len(processes.descendants(os.getpid())),
        fds=len(os.listdir("/proc/self/fd")),
        rss_mb=memory.rss_mb,
        pss_mb=memory.pss_mb,
    )


@dataclass
class Soak:
    """Samples of one run: ``baseline`` the last ``window`` rounds of the warm-up, ``end`` the
    last ``window`` rounds of the run."""

    baseline: list[Sample]
    end: list[Sample]

    def leaks(self) -> list[str]:
        """What grew, each with the figures that show it; empty when nothing did."""
        found = []
        for name in ("processes", "fds"):
            before = max(getattr(s, name) for s in self.baseline)
            after = statistics.median(getattr(s, name) for s in self.end)
            if after > before:
                found.append(f"{name}: median {after} at the end, at most {before} after the warm-up")
        # RSS, not PSS: a PSS splits shared pages with every process mapping them, other users'
        # Chromiums included, so it moves when they start or exit; the tree's RSS does not.
        before_mb = statistics.median(s.rss_mb for s in self.baseline)
        after_mb = statistics.median(s.rss_mb for s in self.end)
        if after_mb >= before_mb * (1 + MAX_MEMORY_GROWTH):
            found.append(f"memory: RSS of the process tree {before_mb:.0f} MB -> {after_mb:.0f} MB")
        return found

    def report(self) -> str:
        return "\n".join(["baseline:", *map(str, self.baseline), "end:", *map(str, self.end)])


def soak(play: Callable[[int], None], rounds: int, warmup: int, window: int) -> Soak:
    """``play(i)`` for i in range(rounds), sampling after the warm-up's and the run's last rounds."""
    assert window <= warmup <= rounds - window
    result = Soak([], [])
    for i in range(rounds):
        play(i)
        if warmup - window <= i < warmup:
            result.baseline.append(sample())
        elif i >= rounds - window:
            result.end.append(sample())
    return result


def assert_no_leak(result: Soak) -> None:
    print(result.report())  # the figures, shown by pytest -rP
    assert not result.leaks(), "\n".join([*result.leaks(), result.report()])


def oracle(env: gym.Env[Any, Any]) -> str:
    action = env.unwrapped.expected_action()
    return TERMINATE if action is None else action.to_json()


def episode(env: gym.Env[Any, Any], session_id: str, steps: int) -> None:
    """Reset to a session and play up to ``steps`` of the human's actions (fewer if it ends)."""
    env.reset(options={"session_id": session_id})
    for _ in range(steps):
        if env.step(oracle(env))[2]:
            return


@contextlib.contextmanager
def replay_env() -> Iterator[gym.Env[Any, Any]]:
    env = gym.make("webmimic/Replay-v0")
    try:
        yield env
    finally:
        env.close()


def replay_soak(env: gym.Env[Any, Any], rounds: int, warmup: int, window: int, leak: Callable[[], None]) -> Soak:
    """Episodes over the loaded sessions in turn, of 0, 1 or 2 steps; ``leak()`` after each."""
    sessions = env.unwrapped.sessions

    def play(i: int) -> None:
        episode(env, sessions[i % len(sessions)].id, steps=i % 3)
        leak()

    return soak(play, rounds, warmup, window)


@pytest.mark.slow
@pytest.mark.soak
def test_a_thousand_replay_episodes_leak_nothing():
    with replay_env() as env:
        result = replay_soak(env, rounds=1000, warmup=50, window=10, leak=lambda: None)
    assert_no_leak(result)


@pytest.mark.slow
@pytest.mark.soak
def test_two_hundred_vector_resets_leak_nothing():
    envs = gym.make_vec("webmimic/Replay-v0", num_envs=4)
    try:

        def play(i: int) -> None:  # every round alike, so each sample is taken at the same point
            envs.reset(seed=i)
            envs.step([oracle(env) for env in envs.envs])

        result = soak(play, rounds=200, warmup=20, window=8)
    finally:
        envs.close()
    assert_no_leak(result)


class Leak:
    """A deliberate leak of one kind, done after every episode; ``close`` undoes it."""

    def __init__(self, env: gym.Env[Any, Any], kind: str) -> None:
        self.env, self.kind = env, kind
        self.tabs: list[Tab] = []
        self.fds: list[int] = []
        self.kept: list[bytes] = []
        self.chunk = 0

    def __call__(self) -> None:
        if self.kind == "processes":  # a context never closed: its renderer stays
            runtime_tab: Tab = self.env.unwrapped.tab
            self.tabs.append(runtime_tab.browser.new_tab())
            self.tabs[-1].goto(runtime_tab.page.url)
        elif self.kind == "fds":
            self.fds.append(os.open(os.devnull, os.O_RDONLY))
        else:  # observations kept in a list, say
            # 5% of the tree's memory after the first episode (the browser starts at reset):
            # the tree's size depends on what the test run holds, and a fixed leak could hide
            # under 10% of a large tree
            self.chunk = self.chunk or int(tree_memory().rss_mb * 0.05 * 2**20)
            self.kept.append(os.urandom(self.chunk))

    def close(self) -> None:
        for tab in self.tabs:
            tab.close()
        for fd in self.fds:
            os.close(fd)
        self.kept.clear()


@pytest.mark.parametrize("kind", ["processes", "fds", "memory"])
def test_the_checks_catch_each_kind_of_leak(kind):
    with replay_env() as env:
        leak = Leak(env, kind)
        try:
            result = replay_soak(env, rounds=10, warmup=4, window=3, leak=leak)
        finally:
            leak.close()
    assert kind in [line.split(":")[0] for line in result.leaks()], result.report()
