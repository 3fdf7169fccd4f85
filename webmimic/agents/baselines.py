"""Baseline agents: the oracle (upper bound), random (floor) and a rule-based shopper."""

from __future__ import annotations

from collections.abc import Mapping
import json
import random
from typing import Any

import gymnasium as gym

from webmimic.agents.base import Agent
from webmimic.core.errors import WebmimicError
from webmimic.core.names import page_names

__all__ = ["OracleAgent", "RandomAgent", "HeuristicAgent"]


class OracleAgent(Agent):
    """Plays the human's next action: must score exactly 1.0 on any session."""

    name = "oracle"

    def __init__(self) -> None:
        self._env: Any = None

    def reset(self, env: gym.Env, info: Mapping[str, Any]) -> None:
        self._env = env.unwrapped
        if not hasattr(self._env, "expected_action"):
            raise WebmimicError("The oracle agent needs a replay environment (webmimic/Replay-v0).")

    def act(self, observation: Mapping[str, Any]) -> dict[str, Any]:
        if self._env is None:
            raise WebmimicError("Call reset(env, info) before act(): the oracle reads the human's next action.")
        action = self._env.expected_action()
        step = self._env.session.steps[self._env.step_index]
        return {"rationale": step.rationale or "", "action": action.to_dict()}


class RandomAgent(Agent):
    """Uniform over the page's named elements and terminate; types a word it saw when it types."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)

    def act(self, observation: Mapping[str, Any]) -> dict[str, Any]:
        names = page_names(observation["page"])
        choice = self._rng.randrange(len(names) + 1)
        if choice == len(names):
            return {"type": "terminate"}
        name = names[choice]
        if name.endswith("_input") or "input" in name.rsplit(".", 1)[-1]:
            words = [w for w in observation["page"].split() if w.isalpha()] or ["shop"]
            return {"type": "type_and_submit", "name": name, "text": self._rng.choice(words).lower()}
        return {"type": "click", "name": name}


def _past_actions(observation: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(entry["action"]) for entry in observation["history"]]


def _decide(rationale: str, action: dict[str, Any]) -> dict[str, Any]:
    return {"rationale": rationale, "action": action}


class HeuristicAgent(Agent):
    """A rule-based shopper: search for what the persona wants, open a few results, re-search, leave.

    It follows the habits the paper reports (searching far more than filtering, viewing a few
    products, leaving without buying) without looking at the recorded session.
    """

    name = "heuristic"

    def __init__(self, max_products: int = 3) -> None:
        self.max_products = max_products

    def act(self, observation: Mapping[str, Any]) -> dict[str, Any]:
        names = page_names(observation["page"])
        past = _past_actions(observation)
        queries = [a["text"] for a in past if a.get("type") == "type_and_submit"]
        viewed = {a["name"] for a in past if a.get("type") == "click" and a["name"].endswith("view_product")}
        path = observation["url"].split("?", 1)[0]
        can_search = "search_input" in names
        if not queries and can_search:
            query = self._query_for(observation["persona"], names)
            return _decide(
                f"I'll start by searching for {query}.",
                {"type": "type_and_submit", "name": "search_input", "text": query},
            )
        if len(viewed) >= self.max_products:
            return _decide("I've compared enough products for now, so I'll leave.", {"type": "terminate"})
        if path.startswith(("/search", "/category")):
            fresh = [
                n for n in names if n.startswith("search_results.") and n.endswith(".view_product") and n not in viewed
            ]
            if fresh:
                return _decide("This result looks relevant, so I'll open it.", {"type": "click", "name": fresh[0]})
            return _decide("Nothing here fits what I want, so I'll leave.", {"type": "terminate"})
        if path.startswith("/product") and "buy_now" in names and self._revisited(path, observation):
            return _decide("I keep coming back to this one, so I'll buy it now.", {"type": "click", "name": "buy_now"})
        if path.startswith("/product") and queries and can_search:
            return _decide(
                "I want to compare this with other options, so I'll search again.",
                {"type": "type_and_submit", "name": "search_input", "text": queries[-1]},
            )
        return _decide("I'm done looking around.", {"type": "terminate"})

    @staticmethod
    def _revisited(path: str, observation: Mapping[str, Any]) -> bool:
        """Whether this product page was already seen earlier in the session."""
        earlier = [entry["url"].split("?", 1)[0] for entry in observation["history"][:-1]]
        return path in earlier

    @staticmethod
    def _query_for(persona: str, names: list[str]) -> str:
        """A category the persona mentions (from the nav bar's categories), else the first one."""
        categories = [n.rsplit(".", 1)[-1] for n in names if n.startswith("nav_bar.categories.")]
        text = persona.lower()
        for slug in categories:
            if slug.replace("_", " ") in text:
                return slug.replace("_", " ")
        return categories[0].replace("_", " ") if categories else "gift"
