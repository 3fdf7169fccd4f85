"""Where a replay step's time goes (not a test): CPU per process and the page's own timings.

The oracle replays the longest bundled test sessions in one Replay-v0 env. For the steps only
(resets excluded) it prints the CPU time each kind of process spent per step (this Python
process, Playwright's node driver, Chromium's browser, renderer, GPU and network processes),
from /proc, and the median Navigation Timing of the pages the steps loaded (server answer,
parsing, load event), read in the page. Renderers are new per episode, so each session's CPU is
read before its context closes (the two small reads per step this script makes in the page are in
it). ``--floor`` then loads the documents those steps loaded in a plain context of the same
Chromium, bare (goto, one animation frame): what the navigations alone cost, a floor under any
step that loads a page. The cart comes out empty there (no cookies).

    .venv/bin/python benchmarks/profile_step.py [--sessions 3] [--floor]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from statistics import median
import time
from typing import cast

import gymnasium as gym

from webmimic.envs.replay_env import ReplayEnv
from webmimic.evaluation.bench import BenchConfig, action_json, load_sessions
from webmimic.simulator.processes import CpuTicks, cpu_seconds_between, cpu_ticks

_NAV_TIMING = """() => { const e = performance.getEntriesByType('navigation')[0];
  return [e.responseStart, e.responseEnd, e.domInteractive, e.domContentLoadedEventEnd, e.loadEventEnd]; }"""
_DOCUMENT = "() => [performance.timeOrigin, location.href]"
_FRAME = "() => new Promise((done) => requestAnimationFrame(() => done()))"
_NAV_LABELS = ("server answered", "response read", "parsed (domInteractive)", "DOMContentLoaded", "load event")


def _kind(pid: int) -> str:
    """What a process is, from its command line (Chromium rewrites its children's: split on spaces)."""
    if pid == os.getpid():
        return "python"
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
    except OSError:
        return "gone"
    if words and words[0].endswith("/node"):
        return "playwright driver (node)"
    kind = next((w.split("=", 1)[1] for w in words if w.startswith("--type=")), "browser")
    sub = next((w.split("=", 1)[1].split(".")[0] for w in words if w.startswith("--utility-sub-type=")), "")
    return f"{kind} ({sub})" if sub else kind


def _by_kind(before: dict[int, CpuTicks], after: dict[int, CpuTicks]) -> dict[str, float]:
    """CPU seconds between two snapshots by kind of process (a closed renderer: its zygote's)."""
    out: dict[str, float] = {}
    for pid, seconds in cpu_seconds_between(before, after).items():
        kind = _kind(pid)
        out[kind] = out.get(kind, 0.0) + seconds
    return out


def _bare_loads(replay: ReplayEnv, urls: list[str]) -> dict[str, float]:
    """CPU seconds a plain context of the same Chromium takes to load ``urls`` one after another
    (goto, then one animation frame), with nothing injected, observed, hit-tested or clicked."""
    width, height = replay.tab.browser.config.viewport
    context = replay.tab.context.browser.new_context(viewport={"width": width, "height": height})  # type: ignore[union-attr]
    try:
        page = context.new_page()
        before = cpu_ticks()
        for url in urls:
            page.goto(url)
            page.evaluate(_FRAME)
        return _by_kind(before, cpu_ticks())
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=3, help="how many of the longest test sessions")
    parser.add_argument(
        "--floor", action="store_true", help="also load the pages the steps loaded in a plain context, bare"
    )
    args = parser.parse_args()
    sessions = sorted(load_sessions(BenchConfig()), key=lambda s: -len(s.steps))[: args.sessions]
    env = gym.make("webmimic/Replay-v0", sessions=sessions)
    replay = cast(ReplayEnv, env.unwrapped)
    cpu: dict[str, float] = {}
    navigations: list[list[float]] = []
    loaded: list[list[str]] = []  # per session, the URL of each document a step loaded
    bare: dict[str, float] = {}
    steps, wall = 0, 0.0
    try:
        for session in sessions:
            env.reset(options={"session_id": session.id})
            document = replay.tab.page.evaluate(_DOCUMENT)
            loaded.append([])
            before = cpu_ticks()
            for _ in session.steps:
                started = time.perf_counter()
                env.step(action_json(replay.expected_action()))
                wall += time.perf_counter() - started
                steps += 1
                navigations.append(replay.tab.page.evaluate(_NAV_TIMING))
                if (now := replay.tab.page.evaluate(_DOCUMENT))[0] != document[0]:  # a new time origin
                    loaded[-1].append(now[1])
                document = now
            for kind, seconds in _by_kind(before, cpu_ticks()).items():  # before its renderer goes
                cpu[kind] = cpu.get(kind, 0.0) + seconds
        if args.floor:
            for urls in loaded:
                for kind, seconds in _bare_loads(replay, urls).items():
                    bare[kind] = bare.get(kind, 0.0) + seconds
    finally:
        env.close()
    print(f"{steps} steps, {wall / steps * 1000:.0f} ms wall per step; CPU ms per step by process", end="")
    print(", and of the bare loads of their documents (--floor):" if args.floor else ":")
    for kind, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        if seconds > 0 or bare.get(kind, 0) > 0:
            floor = f" {bare.get(kind, 0.0) / steps * 1000:7.1f}" if args.floor else ""
            print(f"  {kind:32} {seconds / steps * 1000:7.1f}{floor}")
    floor = f" {sum(bare.values()) / steps * 1000:7.1f}" if args.floor else ""
    print(f"  {'all':32} {sum(cpu.values()) / steps * 1000:7.1f}{floor}")
    print("Median ms from the start of the navigation the step's page came from:")
    for label, values in zip(_NAV_LABELS, zip(*navigations, strict=True), strict=True):
        print(f"  {label:32} {median(values):7.1f}")
    if args.floor:
        cores, pages = os.cpu_count() or 1, sum(map(len, loaded))
        print(
            f"The {pages} documents the steps loaded were loaded bare in a plain context (goto, one animation "
            f"frame). With all {cores} cores busy, at most {cores * steps / sum(cpu.values()):.1f} steps/s; "
            f"{cores * steps / sum(bare.values()):.1f} if a step cost no more than its bare load."
        )


if __name__ == "__main__":
    main()
