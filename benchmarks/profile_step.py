"""Where a replay step's time goes (not a test): CPU per process and the page's own timings.

The oracle replays the longest bundled test sessions in one Replay-v0 env. For the steps only
(resets excluded) it prints the CPU time each kind of process spent per step (this Python
process, Playwright's node driver, Chromium's browser, renderer, GPU and network processes),
from /proc, and the median Navigation Timing of the pages the steps loaded (server answer,
parsing, load event), read in the page. Renderers are new per episode, so each session's CPU is
read before its context closes.

    .venv/bin/python benchmarks/profile_step.py [--sessions 3]
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
from webmimic.simulator import processes

_TICK = os.sysconf("SC_CLK_TCK")
_NAV_TIMING = """() => { const e = performance.getEntriesByType('navigation')[0];
  return [e.responseStart, e.responseEnd, e.domInteractive, e.domContentLoadedEventEnd, e.loadEventEnd]; }"""
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


def _cpu_s() -> dict[int, tuple[str, float]]:
    out = {}
    for pid in [os.getpid(), *processes.descendants(os.getpid())]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (_kind(pid), (int(fields[11]) + int(fields[12])) / _TICK)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=3, help="how many of the longest test sessions")
    args = parser.parse_args()
    sessions = sorted(load_sessions(BenchConfig()), key=lambda s: -len(s.steps))[: args.sessions]
    env = gym.make("webmimic/Replay-v0", sessions=sessions)
    replay = cast(ReplayEnv, env.unwrapped)
    cpu: dict[str, float] = {}
    navigations: list[list[float]] = []
    steps, wall = 0, 0.0
    try:
        for session in sessions:
            env.reset(options={"session_id": session.id})
            before = _cpu_s()
            for _ in session.steps:
                started = time.perf_counter()
                env.step(action_json(replay.expected_action()))
                wall += time.perf_counter() - started
                steps += 1
                navigations.append(replay.tab.page.evaluate(_NAV_TIMING))
            for pid, (kind, seconds) in _cpu_s().items():
                cpu[kind] = cpu.get(kind, 0.0) + seconds - before.get(pid, (kind, 0.0))[1]
    finally:
        env.close()
    print(f"{steps} steps, {wall / steps * 1000:.0f} ms wall per step; CPU ms per step by process:")
    for kind, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        if seconds > 0:
            print(f"  {kind:32} {seconds / steps * 1000:7.1f}")
    print(f"  {'all':32} {sum(cpu.values()) / steps * 1000:7.1f}")
    print("Median ms from the start of the navigation the step's page came from:")
    for label, values in zip(_NAV_LABELS, zip(*navigations, strict=True), strict=True):
        print(f"  {label:32} {median(values):7.1f}")


if __name__ == "__main__":
    main()
