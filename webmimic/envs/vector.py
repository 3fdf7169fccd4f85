"""Vector envs whose N environments are N isolated contexts of one Chromium.

``gym.make_vec("webmimic/Replay-v0", num_envs=N)`` (and ``Shop-v0``) builds one: one browser and
one server per site for all N envs, instead of N of each (about 480 MB per extra env). Each env
keeps its own browser context, so no env sees another's cart, pages or cookies. Resets and steps
of the N envs run at the same time on the browser (``Browser.run_concurrently``), in the calling
thread. gymnasium's ``vectorization_mode="sync"`` and ``"async"`` still give one browser per env.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import copy
import functools
from typing import Any

import gymnasium as gym
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from gymnasium.vector.utils import concatenate, iterate
import numpy as np

from webmimic.envs.base import BrowserEnv, rendered_config
from webmimic.envs.pool import together
from webmimic.envs.replay_env import ReplayEnv
from webmimic.envs.runtime import SiteServers
from webmimic.envs.shop_env import ShopEnv
from webmimic.simulator import Browser, BrowserConfig

__all__ = ["OneBrowserVectorEnv", "replay_vector_env", "shop_vector_env"]


class OneBrowserVectorEnv(SyncVectorEnv):
    """SyncVectorEnv's batching and autoreset, with the sub-envs sharing one browser and stepping
    at once. An error in one env is raised after all envs have finished the call."""

    def __init__(
        self,
        env_class: type[BrowserEnv],
        num_envs: int,
        *,
        browser_config: BrowserConfig | None = None,
        render_mode: str | None = None,
        max_episode_steps: int | None = None,
        copy: bool = True,
        autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP,
        **env_kwargs: Any,
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be at least 1, not {num_envs}.")
        self.browser = Browser(rendered_config(browser_config, render_mode))
        self.servers = SiteServers()

        def make_env() -> gym.Env[Any, Any]:
            env: gym.Env[Any, Any] = env_class(
                browser=self.browser, servers=self.servers, render_mode=render_mode, **env_kwargs
            )
            return gym.wrappers.TimeLimit(env, max_episode_steps) if max_episode_steps else env

        try:
            super().__init__([make_env] * num_envs, copy=copy, autoreset_mode=autoreset_mode)
        except BaseException:
            self._close_shared()
            raise

    # -- running the envs' calls at once ------------------------------------------------
    def _together(self, calls: Sequence[Callable[[], Any]]) -> list[Any]:
        return together(self.browser, calls)

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """As SyncVectorEnv.reset (seeds, ``options["reset_mask"]``), the envs resetting at once."""
        if seed is None:
            seeds: list[int | None] = [None] * self.num_envs
        elif isinstance(seed, int):
            seeds = [seed + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
        if len(seeds) != self.num_envs:
            raise ValueError(f"Pass {self.num_envs} seeds (one per env), not {len(seeds)}.")
        options = dict(options or {})
        mask = np.asarray(options.pop("reset_mask", np.ones(self.num_envs, dtype=np.bool_)))
        if mask.shape != (self.num_envs,) or mask.dtype != np.bool_ or not mask.any():
            raise ValueError(f"options['reset_mask'] must be a bool array of shape ({self.num_envs},) with a True.")
        chosen = [i for i in range(self.num_envs) if mask[i]]
        calls = [functools.partial(self.envs[i].reset, seed=seeds[i], options=options) for i in chosen]
        infos: dict[str, Any] = {}
        for i, (obs, info) in zip(chosen, self._together(calls), strict=True):
            self._env_obs[i] = obs
            self._terminations[i] = self._truncations[i] = self._autoreset_envs[i] = False
            infos = self._add_info(infos, info, i)
        return self._batched(), infos

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """As SyncVectorEnv.step, in each autoreset mode, the envs stepping (or resetting) at once."""
        actions = list(iterate(self.action_space, actions))
        mode = self.autoreset_mode
        if mode == AutoresetMode.DISABLED and self._autoreset_envs.any():
            raise gym.error.ResetNeeded("Autoreset is disabled: reset the finished envs (options['reset_mask']).")
        resetting = self._autoreset_envs.copy() if mode == AutoresetMode.NEXT_STEP else np.zeros(self.num_envs, bool)
        calls = [
            self.envs[i].reset if resetting[i] else functools.partial(self.envs[i].step, actions[i])
            for i in range(self.num_envs)
        ]
        env_infos: list[dict[str, Any]] = []
        for i, result in enumerate(self._together(calls)):
            if resetting[i]:
                (self._env_obs[i], info), reward, terminated, truncated = result, 0.0, False, False
            else:
                self._env_obs[i], reward, terminated, truncated, info = result
            self._rewards[i], self._terminations[i], self._truncations[i] = reward, terminated, truncated
            env_infos.append(info)
        infos: dict[str, Any] = {}
        finished = [i for i in range(self.num_envs) if self._terminations[i] or self._truncations[i]]
        if mode == AutoresetMode.SAME_STEP and finished:
            for i, (obs, info) in zip(finished, self._together([self.envs[i].reset for i in finished]), strict=True):
                infos = self._add_info(infos, {"final_obs": self._env_obs[i], "final_info": env_infos[i]}, i)
                self._env_obs[i], env_infos[i] = obs, info
        for i, info in enumerate(env_infos):
            infos = self._add_info(infos, info, i)
        self._autoreset_envs = np.logical_or(self._terminations, self._truncations)
        return self._batched(), np.copy(self._rewards), np.copy(self._terminations), np.copy(self._truncations), infos

    def _batched(self) -> Any:
        self._observations = concatenate(self.single_observation_space, self._env_obs, self._observations)
        return copy.deepcopy(self._observations) if self.copy else self._observations

    # -- closing -------------------------------------------------------------------------
    def close_extras(self, **kwargs: Any) -> None:
        try:
            super().close_extras(**kwargs)
        finally:
            self._close_shared()

    def _close_shared(self) -> None:
        try:
            self.browser.close()
        finally:
            self.servers.close()


def replay_vector_env(num_envs: int = 1, **kwargs: Any) -> OneBrowserVectorEnv:
    """``webmimic/Replay-v0``'s vector entry point: ReplayEnv's keyword arguments, N envs."""
    return OneBrowserVectorEnv(ReplayEnv, num_envs, **kwargs)


def shop_vector_env(num_envs: int = 1, **kwargs: Any) -> OneBrowserVectorEnv:
    """``webmimic/Shop-v0``'s vector entry point: ShopEnv's keyword arguments, N envs."""
    return OneBrowserVectorEnv(ShopEnv, num_envs, **kwargs)
