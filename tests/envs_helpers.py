"""Sessions made on the spot for env tests: a short live session recorded by acting on the shop."""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading
from typing import Any

from webmimic.core.actions import Action
from webmimic.replay.session import Session, Step
from webmimic.simulator import Browser
from webmimic.sites.server import SiteServer

__all__ = ["live_session", "oracle_replay", "served"]


def live_session(browser: Browser, server: SiteServer, session_id: str = "live-1", *, buy: bool = False) -> Session:
    """Search, open the first result, pick its first option, then leave (or buy now).

    Steps carry the pages seen, so replays can be checked against the recording.
    """
    steps: list[Step] = []
    with browser.new_tab() as tab:
        obs = tab.goto(server.url + "/")

        def do(action: Action) -> None:
            nonlocal obs
            steps.append(
                Step(
                    action=action,
                    url=server.relative(obs.url),
                    timestamp=f"2025-01-01T00:00:{len(steps):02d}+00:00",
                    page=obs.html,
                )
            )
            if action.type != "terminate":
                obs = tab.act(action)

        do(Action.type_and_submit("search_input", "headphones"))
        do(Action.click(next(n for n in obs.names if n.startswith("search_results.") and n.endswith(".view_product"))))
        do(Action.click(next(n for n in obs.names if n.startswith("product_options."))))
        do(Action.click("buy_now") if buy else Action.terminate())
    return Session(
        id=session_id,
        site="shop",
        start_url="/",
        steps=tuple(steps),
        outcome="purchase" if buy else "terminate",
        source="synthetic",
        meta={"made_by": "tests/envs_helpers.py"},
    )


# Whether the page shows its pictures: an image has a natural width only once it has loaded.
PICTURES_SHOWN = "() => [...document.images].some((img) => img.naturalWidth > 0)"


@dataclass(frozen=True)
class OracleReplay:
    """What a replay with the oracle saw: whether each step matched exactly, and the pages and
    URLs it observed before each step (the recording's, if the replay is exact)."""

    exact: list[bool]
    pages: list[str]
    urls: list[str]


def oracle_replay(env: Any, session_id: str) -> OracleReplay:
    """Replay ``session_id`` in ``env`` with the oracle. Closes ``env``."""
    from webmimic.agents.baselines import OracleAgent

    exact: list[bool] = []
    pages: list[str] = []
    urls: list[str] = []
    try:
        obs, info = env.reset(options={"session_id": session_id})
        agent = OracleAgent()
        agent.reset(env, info)
        done = False
        while not done:
            pages.append(obs["page"])
            urls.append(obs["url"])
            obs, _, done, _, info = env.step(agent.act(obs))
            exact.append(info["match"]["exact"])
    finally:
        env.close()
    return OracleReplay(exact, pages, urls)


@contextlib.contextmanager
def served(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` served over HTTP on 127.0.0.1 in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
