"""GRPO's optional session-outcome reward: does a free run from the completion end as the person's session did?

The step reward (``grpo.shopper_reward``) judges one action against the person's. This one plays
each completion on: a Replay-v0 env in free run (``follow="agent"``) is reset to the prompt's
state (the session's first ``step`` human actions replayed in the live shop), the completion is
its first action, and the policy being trained plays on, at most ``max_steps`` more actions. The
reward is 1.0 when the run ends with the person's outcome (a purchase of the same product, or
``terminate``), else 0.0; a run still going after ``max_steps`` scores 0.0. It costs a live
episode per completion, so it is off unless ``--outcome-reward`` gives it a weight.

The free runs of a call play ``envs`` at a time, in lockstep: each env an isolated context of one
Chromium (``EnvPool``), their resets and steps at once on the browser, and the policy answering
all the runs still going at once (``HFAgent.act_all``: one batch on a GPU), so the browser
work of a group of completions overlaps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import functools
from typing import Any

__all__ = ["SessionOutcomeReward"]

# Observations of the runs still going to the agent's raw output for each, in order.
Policy = Callable[[Sequence[Mapping[str, Any]]], Sequence[Any]]


class SessionOutcomeReward:
    """A TRL reward function (``session_id`` and ``step`` come from the dataset's columns)."""

    def __init__(self, sessions: str, max_steps: int, policy: Policy | None = None, *, envs: int = 1) -> None:
        if envs < 1:
            raise ValueError(f"The outcome reward needs at least 1 env, not {envs}.")
        self.__name__ = "session_outcome"  # the name TRL logs its mean under
        self.sessions, self.max_steps, self.policy, self.envs = sessions, max_steps, policy, envs
        self._pool: Any = None

    def __call__(
        self, completions: Sequence[Any], session_id: Sequence[str], step: Sequence[int], **_: Any
    ) -> list[float | None]:
        texts = [c[-1]["content"] if isinstance(c, list) else str(c) for c in completions]
        starts = list(zip(texts, session_id, (int(k) for k in step), strict=True))
        rewards: list[float | None] = []
        for i in range(0, len(starts), self.envs):
            rewards += self.play_all(starts[i : i + self.envs])
        return rewards

    def play(self, first: str, session_id: str, step: int) -> float:
        """1.0 when the free run that ``first`` starts at ``step`` of the session ends as the person's did."""
        return self.play_all([(first, session_id, step)])[0]

    def play_all(self, starts: Sequence[tuple[str, str, int]]) -> list[float]:
        """``play`` for at most ``envs`` (first action, session id, step) at once."""
        if self.policy is None:
            raise RuntimeError("SessionOutcomeReward.policy is not set: give it the model being trained.")
        if len(starts) > self.envs:
            raise ValueError(f"{len(starts)} free runs at once, but the reward has {self.envs} envs.")
        pool = self._open()
        envs = pool.workers[: len(starts)]
        resets = [
            functools.partial(env.reset, options={"session_id": s, "step": k})
            for env, (_, s, k) in zip(envs, starts, strict=True)
        ]
        pool.together(resets)
        firsts = [functools.partial(env.step, start[0]) for env, start in zip(envs, starts, strict=True)]
        results = pool.together(firsts)
        going = [i for i, result in enumerate(results) if not _ended(result)]
        while going:  # each env truncates after max_steps + 1 agent actions
            actions = self.policy([results[i][0] for i in going])
            steps = [functools.partial(envs[i].step, action) for i, action in zip(going, actions, strict=True)]
            for i, result in zip(going, pool.together(steps), strict=True):
                results[i] = result
            going = [i for i in going if not _ended(results[i])]
        return [1.0 if info.get("outcome_match") else 0.0 for *_, info in results]

    def _open(self) -> Any:
        if self._pool is None:
            from webmimic.envs.pool import EnvPool
            from webmimic.envs.replay_env import ReplayEnv
            from webmimic.replay.session import read_sessions

            sessions = tuple(read_sessions(self.sessions))

            def make(browser: Any, servers: Any) -> ReplayEnv:
                return ReplayEnv(
                    sessions, browser=browser, servers=servers, follow="agent", max_steps=self.max_steps + 1
                )

            self._pool = EnvPool(make, self.envs)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def _ended(result: tuple[Any, ...]) -> bool:
    """Whether a gymnasium step result ``(obs, reward, terminated, truncated, info)`` ends the run."""
    return bool(result[2] or result[3])
