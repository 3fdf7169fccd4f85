"""Batched generation against one prompt at a time, for an hf: agent serving parallel envs (not a test).

Takes the first step of N different bundled test sessions (what N parallel environments show an
agent at once) and times answering them one after another with ``act`` against one left-padded
``act_batch``, for each batch size; both give the same answers (checked). Medians over
``--repeats`` passes. The model is ``bundled`` by default, ``smollm2``, or any ``hf:`` folder.

    .venv/bin/python benchmarks/bench_agent_batch.py [--model bundled|smollm2|PATH] [--sizes 1 2 4 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
from statistics import median
import time
from typing import Any

from webmimic.agents.bundled import bundled_folder
from webmimic.agents.hf import GenerationSettings, HFAgent
from webmimic.agents.smollm2 import smollm2_folder
from webmimic.envs.replay_env import ReplayEnv


def _first_steps(count: int) -> list[dict[str, Any]]:
    env = ReplayEnv()  # not `with`: gymnasium types its __exit__ as one that may swallow errors
    try:
        ids = sorted(s.id for s in env.sessions)[:count]
        return [env.reset(options={"session_id": sid, "step": 1})[0] for sid in ids]
    finally:
        env.close()


def _timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=64)
    args = parser.parse_args()
    folders = {"smollm2": smollm2_folder, "bundled": bundled_folder}
    folder = folders[args.model]() if args.model in folders else args.model
    agent = HFAgent.from_folder(folder, GenerationSettings(max_new_tokens=args.new_tokens, reuse_cache=False))
    observations = _first_steps(max(args.sizes))
    print(f"model {folder}, up to {args.new_tokens} new tokens, median of {args.repeats} passes")
    print("| envs | one at a time | one batch | speed-up |")
    print("|---|---|---|---|")
    for size in args.sizes:
        batch = observations[:size]
        alone, together = [], []
        for _ in range(args.repeats):
            ms, answers = _timed(lambda batch=batch: [agent.act(obs) for obs in batch])
            alone.append(ms)
            ms, batched = _timed(lambda batch=batch: agent.act_batch(batch))
            together.append(ms)
            assert batched == answers, "the batch changed the answers"
        one, many = median(alone), median(together)
        print(f"| {size} | {one:,.0f} ms | {many:,.0f} ms | {one / many:.2f}x |")


if __name__ == "__main__":
    main()
