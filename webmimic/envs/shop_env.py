"""``webmimic/Shop-v0``: an open shopping task on the live shop, rated like WebShop.

No recorded session: the agent gets a persona and an intent ("I want to buy wireless headphones
from Acme with color black for at most $80.") and shops freely. The episode ends when it leaves
(``terminate``, reward 0) or makes a purchase (``buy_now`` or ``place_order``); the purchase is
read back from the shop's own state and rated against the intent (``rate_purchase``).

A shop that fails (HTTP 5xx, a dropped connection, no answer in time) ends the episode as failed
rather than raising: ``truncated`` is True, reward 0, ``info["site_error"]`` and ``info["error"]``
say what failed; the next ``step`` asks for ``reset``. ``reset`` raises ``SiteFailureError`` when
the start page itself fails.
"""

from __future__ import annotations

import time
from typing import Any

from gymnasium import spaces
from gymnasium.error import ResetNeeded

from webmimic.core.errors import SiteFailureError
from webmimic.envs.base import BrowserEnv, Info, Obs, StepResult, page_spaces
from webmimic.envs.replay_env import note_site_failure
from webmimic.envs.runtime import SiteServers
from webmimic.envs.spaces import AnyText
from webmimic.simulator import Browser, BrowserConfig
from webmimic.sites.shop.catalog import Catalog
from webmimic.sites.shop.intent import Intent, rate_purchase, sample_intent

__all__ = ["ShopEnv"]

SITE = "shop"


class ShopEnv(BrowserEnv):
    """Free shopping on the live shop toward a sampled intent.

    ``timings=True`` adds ``step_ms`` to ``info`` (off by default: ``info`` stays deterministic).
    """

    def __init__(
        self,
        *,
        render_mode: str | None = None,
        browser: Browser | None = None,
        browser_config: BrowserConfig | None = None,
        servers: SiteServers | None = None,
        persona: str = "",
        timings: bool = False,
    ) -> None:
        super().__init__(
            render_mode=render_mode, browser=browser, browser_config=browser_config, timings=timings, servers=servers
        )
        self.observation_space = spaces.Dict({**page_spaces(), "intent": AnyText(4096)})
        self.persona = persona
        self._catalog = Catalog.open()
        self._intent: Intent | None = None
        self._orders_before = 0
        self._failure: SiteFailureError | None = None  # the site failure that ended the episode

    @property
    def intent(self) -> Intent:
        if self._intent is None:
            raise ResetNeeded("Call reset() before using the environment.")
        return self._intent

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Obs, Info]:
        super().reset(seed=seed)
        options = dict(options or {})
        intent = options.pop("intent", None)
        if options:
            raise ValueError(f"Unknown reset option(s) {sorted(options)}; allowed: intent.")
        self._intent = intent if isinstance(intent, Intent) else sample_intent(self._catalog, self.np_random)
        site, server = self._runtime.site(SITE)
        self._history, self._failure = [], None
        url = server.url + site.start_path
        self._obs = self._runtime.open(lambda tab: tab.goto(url))
        return self._observation(), self._noting_restarts({"intent": self._intent.to_dict()})

    def step(self, action: Any) -> StepResult:
        """Carry out the agent's output (raw, or ``self.parse(raw)``); a purchase ends the episode."""
        intent = self.intent
        if self._failure is not None:
            raise ResetNeeded(f"The episode ended when the shop failed ({self._failure}); call reset().")
        info: Info = {}
        try:
            obs, reward, terminated, truncated, info = self._step(action, intent, info)
        except SiteFailureError as err:  # the shop's fault, not the agent's: the episode ends as failed
            self._failure = err
            note_site_failure(info, err)
            obs, reward, terminated, truncated = self._observation(), 0.0, False, True
        return obs, reward, terminated, truncated, self._noting_restarts(info)

    def _step(self, action: Any, intent: Intent, info: Info) -> StepResult:
        site, _ = self._runtime.site(SITE)
        output = self.parse(action)
        info["error"] = output.error
        started = time.perf_counter()
        agent_action = output.action
        if agent_action is None:
            return self._observation(), 0.0, False, False, info
        info["agent_action"] = agent_action.to_dict()
        if agent_action.type == "terminate":
            info["outcome"] = "terminate"
            return self._observation(), 0.0, True, False, info
        buys = agent_action.type == "click" and site.is_purchase(agent_action.name)
        if buys:
            self._orders_before = len(self._shop_state()["orders"])
        if not self._act(agent_action, output.rationale, info):
            return self._observation(), 0.0, False, False, info
        if self.timings:
            info["step_ms"] = (time.perf_counter() - started) * 1000
        if buys:
            reward, bought = self._rate_purchase(intent, placed_order=(agent_action.name or "").endswith("place_order"))
            if bought is not None:
                info["outcome"], info["purchased"] = "purchase", bought
                return self._observation(), reward, True, False, info
        return self._observation(), 0.0, False, False, info

    def _rate_purchase(self, intent: Intent, *, placed_order: bool) -> tuple[float, dict[str, Any] | None]:
        """Read what is bought (the newest order, or the buy-now checkout) from the shop's state.

        A place_order that the shop refused (address incomplete) leaves no new order: no purchase.
        """
        state = self._shop_state()
        if placed_order:
            lines = state["orders"][-1]["items"] if len(state["orders"]) > self._orders_before else []
        else:
            lines = state["checkout"]
        if not lines:
            return 0.0, None
        line = lines[0]
        product = self._catalog.find(line["slug"])
        if product is None:
            return 0.0, None
        return rate_purchase(intent, product, line["options"]), line

    def _shop_state(self) -> dict[str, Any]:
        """This tab's cart, checkout and orders, from the shop's /api/state (same cookies)."""
        _, server = self._runtime.site(SITE)
        state: dict[str, Any] = self._runtime.call(lambda tab: tab.request_json(server.url + "/api/state"))
        return state

    def _site_name(self) -> str | None:
        return SITE

    def _persona(self) -> str:
        return self.persona

    def _extra_observation(self) -> dict[str, str]:
        return {"intent": self.intent.text()}
