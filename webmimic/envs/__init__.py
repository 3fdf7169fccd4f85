"""Gymnasium environments: ``webmimic/Replay-v0`` and ``webmimic/Shop-v0``.

Importing ``webmimic`` registers them, so ``gymnasium.make("webmimic/Replay-v0")`` works, and
``gymnasium.make_vec(..., num_envs=N)`` gives N envs on one browser (``webmimic.envs.vector``).
"""

from __future__ import annotations

import gymnasium as gym

__all__ = ["register_envs", "REPLAY_ID", "SHOP_ID"]

REPLAY_ID = "webmimic/Replay-v0"
SHOP_ID = "webmimic/Shop-v0"


def register_envs() -> None:
    """Register webmimic's envs with gymnasium (idempotent; string entry points stay lazy)."""
    if REPLAY_ID not in gym.registry:
        gym.register(
            id=REPLAY_ID,
            entry_point="webmimic.envs.replay_env:ReplayEnv",
            vector_entry_point="webmimic.envs.vector:replay_vector_env",
        )
    if SHOP_ID not in gym.registry:
        gym.register(
            id=SHOP_ID,
            entry_point="webmimic.envs.shop_env:ShopEnv",
            vector_entry_point="webmimic.envs.vector:shop_vector_env",
            max_episode_steps=60,
        )


register_envs()
