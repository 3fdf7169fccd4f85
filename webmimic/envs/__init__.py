"""Gymnasium environments: ``webmimic/Replay-v0`` and ``webmimic/Shop-v0``.

Importing ``webmimic`` registers them, so ``gymnasium.make("webmimic/Replay-v0")`` works.
"""

from __future__ import annotations

import gymnasium as gym

__all__ = ["register_envs", "REPLAY_ID", "SHOP_ID"]

REPLAY_ID = "webmimic/Replay-v0"
SHOP_ID = "webmimic/Shop-v0"


def register_envs() -> None:
    """Register webmimic's envs with gymnasium (idempotent; string entry points stay lazy)."""
    if REPLAY_ID not in gym.registry:
        gym.register(id=REPLAY_ID, entry_point="webmimic.envs.replay_env:ReplayEnv")
    if SHOP_ID not in gym.registry:
        gym.register(id=SHOP_ID, entry_point="webmimic.envs.shop_env:ShopEnv", max_episode_steps=60)


register_envs()
