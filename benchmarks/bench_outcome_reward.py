"""GRPO's session-outcome reward with its free runs one at a time against N at once (not a test).

Plays the same free runs (an invalid first action at the middle of each of the first ``--runs``
bundled training sessions, so the policy plays on for ``--max-steps`` actions) with ``envs=1``
and ``envs=N``, alternating, and checks that both give the same rewards. The policy is the
bundled model (``act_all``, greedy) or, with ``--free-policy``, one that answers at no cost, to
see the browser's share alone.

    .venv/bin/python benchmarks/bench_outcome_reward.py [--runs 8] [--envs 4] [--max-steps 3] [--repeats 2]
        [--free-policy]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from webmimic.agents.outcome_reward import Policy, SessionOutcomeReward
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import read_sessions


def _policy(free: bool) -> Policy:
    if free:
        return lambda observations: ["not an action"] * len(observations)
    from webmimic.agents import make_agent

    agent: Any = make_agent("bundled")
    return agent.act_all  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--envs", type=int, default=4)
    parser.add_argument("--max-steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--free-policy", action="store_true")
    args = parser.parse_args()
    train = str(bundled_sessions_path("train"))
    sessions = sorted(read_sessions(train), key=lambda s: s.id)[: args.runs]
    ids, steps = [s.id for s in sessions], [len(s.steps) // 2 for s in sessions]
    firsts = ["not an action"] * len(sessions)
    policy = _policy(args.free_policy)
    rewards: dict[int, list[float | None]] = {}
    for _ in range(args.repeats):
        for envs in (1, args.envs):
            reward = SessionOutcomeReward(train, args.max_steps, policy, envs=envs)
            try:
                reward(firsts[:1], ids[:1], steps[:1])  # untimed: starts Chromium and the shop
                started = time.perf_counter()
                rewards[envs] = reward(firsts, ids, steps)
                print(f"envs={envs}: {len(ids)} free runs in {time.perf_counter() - started:.1f} s", flush=True)
            finally:
                reward.close()
    same = rewards[1] == rewards[args.envs]
    print(f"rewards {rewards[1]}, {'the same' if same else 'DIFFERENT'} with envs={args.envs}")


if __name__ == "__main__":
    main()
