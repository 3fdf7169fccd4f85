"""GRPO's optional session-outcome reward: does a free run from the completion end as the person's session did?

The step reward (``grpo.shopper_reward``) judges one action against the person's. This one plays
each completion on: a Replay-v0 env in free run (``follow="agent"``) is reset to the prompt's
state (the session's first ``step`` human actions replayed in the live shop), the completion is
its first action, and the policy being trained plays on, at most ``max_steps`` more actions. The
reward is 1.0 when the run ends with the person's outcome (a purchase of the same product, or
``terminate``), else 0.0; a run still going after ``max_steps`` scores 0.0. It costs a live
episode per completion, so it is off unless ``--outcome-reward`` gives it a weight.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["SessionOutcomeReward"]

Policy = Callable[[Mapping[str, Any]], Any]  # an observation to the agent's raw output


class SessionOutcomeReward:
    """A TRL reward function (``session_id`` and ``step`` come from the dataset's columns)."""

    def __init__(self, sessions: str, max_steps: int, policy: Policy | None = None) -> None:
        self.__name__ = "session_outcome"  # the name TRL logs its mean under
        self.sessions, self.max_steps, self.policy = sessions, max_steps, policy
        self._env: Any = None

    def __call__(
        self, completions: Sequence[Any], session_id: Sequence[str], step: Sequence[int], **_: Any
    ) -> list[float | None]:
        rewards: list[float | None] = []
        for completion, session, k in zip(completions, session_id, step, strict=True):
            text = completion[-1]["content"] if isinstance(completion, list) else str(completion)
            rewards.append(self.play(text, session, int(k)))
        return rewards

    def play(self, first: str, session_id: str, step: int) -> float:
        """1.0 when the free run that ``first`` starts at ``step`` of the session ends as the person's did."""
        if self.policy is None:
            raise RuntimeError("SessionOutcomeReward.policy is not set: give it the model being trained.")
        env = self._open()
        obs, _ = env.reset(options={"session_id": session_id, "step": step})
        obs, _, terminated, truncated, info = env.step(first)
        while not (terminated or truncated):  # the env truncates after max_steps + 1 agent actions
            obs, _, terminated, truncated, info = env.step(self.policy(obs))
        return 1.0 if info.get("outcome_match") else 0.0

    def _open(self) -> Any:
        if self._env is None:
            import gymnasium as gym

            import webmimic.envs  # noqa: F401 (registers the env ids)

            self._env = gym.make(
                "webmimic/Replay-v0", sessions=self.sessions, follow="agent", max_steps=self.max_steps + 1
            )
        return self._env

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None
