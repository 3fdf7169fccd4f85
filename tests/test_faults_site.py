"""Site failures: the real shop answering 500, hanging past the timeout or closing the connection.

The shop app is wrapped in a WSGI middleware that fails as told for chosen paths and served on a
real loopback server; Chromium is real. Each failure must reach ``info`` (Replay-v0 teacher-forced
and free-run, Shop-v0) and an eval's ``metrics.json``, end the episode as failed (truncated), leave
the env usable, and set ``webmimic eval``'s exit status (3: some failed, 1: all failed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
import json
import logging
from pathlib import Path
import socket
import threading
from typing import Any

import gymnasium as gym
from gymnasium.error import ResetNeeded
import pytest

from webmimic.cli import main
from webmimic.core.actions import Action
from webmimic.core.errors import SiteFailureError
from webmimic.envs import runtime
from webmimic.evaluation.rollouts import RolloutConfig, run_rollouts
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import read_sessions, write_sessions
from webmimic.simulator import Browser, BrowserConfig
from webmimic.sites import SHOP_PURCHASE_NAMES, Site
from webmimic.sites.server import SiteServer

# Two bundled test sessions: SHORT (4 steps) opens PRODUCT after its search; OTHER never does.
SHORT, OTHER = "syn-0-00029", "syn-0-00049"
PRODUCT = "/product/brewster_stainless_steel_compact_single_serve_coffee_maker"
HANG_LIMIT_S = 60  # a hung request is released at teardown; this only bounds a forgotten one
TIMEOUT_MS = 2500  # the browser's timeout here: short, so a hang costs little, yet ample for a page


class FaultyShop:
    """The real shop app; requests to a path in ``rules`` fail: "500", "hang", "drop" or "stall"
    (the page's first half, then nothing)."""

    def __init__(self) -> None:
        from webmimic.sites.shop.app import create_app

        self.app = create_app()
        self.rules: dict[str, str] = {}
        self.failed: list[str] = []  # the paths a rule answered, in order
        self.release = threading.Event()  # ends every hang (set at teardown)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        mode = self.rules.get(path)
        if mode is not None:
            self.failed.append(path)
        if mode == "500":
            start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/html; charset=utf-8")])
            return [b"<html><body><h1>Internal Server Error</h1></body></html>"]
        if mode == "hang":
            self.release.wait(HANG_LIMIT_S)
        if mode == "drop":  # close the connection before any answer: the browser sees an empty response
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError(f"dropped {path} on purpose")
        response: Iterable[bytes] = self.app(environ, start_response)
        if mode == "stall":
            return self._stalled(b"".join(response))
        return response

    def _stalled(self, page: bytes) -> Iterator[bytes]:
        yield page[: len(page) // 2]
        self.release.wait(HANG_LIMIT_S)


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Iterator[FaultyShop]:
    """Envs and evals made in the test serve "shop" from a FaultyShop (one server per env, as usual)."""
    caplog.set_level(logging.CRITICAL, logger="werkzeug")  # the dropped connections' tracebacks
    faulty = FaultyShop()
    site = Site(name="shop", purchase_names=SHOP_PURCHASE_NAMES, app_factory=lambda: faulty, start_path="/")
    monkeypatch.setattr(runtime, "get_site", lambda name: site)
    yield faulty
    faulty.release.set()


@pytest.fixture(scope="module")
def quick_browser(playwright: Any) -> Iterator[Browser]:
    """One Chromium for the env tests, with a short timeout (an eval starts its own)."""
    with Browser(BrowserConfig(timeout_ms=TIMEOUT_MS)) as b:
        yield b


@pytest.fixture(scope="module")
def session_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sessions") / "two.jsonl"
    chosen = [s for s in read_sessions(bundled_sessions_path("test")) if s.id in (SHORT, OTHER)]
    write_sessions(path, chosen)
    assert sorted(s.id for s in chosen) == [SHORT, OTHER]
    assert all(PRODUCT not in st.url for s in chosen if s.id == OTHER for st in s.steps)
    return path


def human(env: gym.Env[Any, Any]) -> str:
    action = env.unwrapped.expected_action()
    assert action is not None
    return str(action.to_json())


# -- the browser's verdict ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "kind", "words"),
    [
        ("500", "status", "HTTP 500"),
        ("drop", "network", "ERR_EMPTY_RESPONSE"),
        ("hang", "timeout", f"{TIMEOUT_MS} ms"),
        ("stall", "timeout", f"{TIMEOUT_MS} ms"),  # the page commits, its load event never comes
    ],
)
def test_a_failed_page_load_is_a_site_failure_naming_the_url_and_what_failed(shop, quick_browser, mode, kind, words):
    shop.rules["/category/sunglasses"] = mode
    with SiteServer(shop) as server, quick_browser.new_tab() as tab:
        assert tab.goto(server.url + "/product/no_such_product").status == 404  # a page, not a failure
        with pytest.raises(SiteFailureError) as caught:
            tab.goto(server.url + "/category/sunglasses")
    err = caught.value
    assert err.kind == kind and err.url == server.url + "/category/sunglasses"
    assert words in str(err) and err.url in str(err)
    assert err.status == (500 if mode == "500" else None)


# -- Replay-v0 --------------------------------------------------------------------------------------
def test_teacher_forcing_marks_the_episode_failed_when_the_humans_action_meets_a_500(shop, quick_browser, session_file):
    env = gym.make("webmimic/Replay-v0", sessions=session_file, browser=quick_browser)
    try:
        shop.rules[PRODUCT] = "500"
        env.reset(options={"session_id": SHORT})
        _, _, terminated, truncated, info = env.step(human(env))  # the search: fine
        assert not (terminated or truncated) and "site_error" not in info
        _, reward, terminated, truncated, info = env.step(human(env))  # opens PRODUCT: 500
        assert (reward, terminated, truncated) == (1.0, False, True)  # the agent's check stands
        assert info["step"] == 1 and info["match"]["exact"]
        assert info["site_error"]["kind"] == "status" and info["site_error"]["status"] == 500
        assert info["site_error"]["url"].endswith(PRODUCT) and shop.failed == [PRODUCT]
        assert info["error"].startswith("SiteFailureError: The site answered HTTP 500") and PRODUCT in info["error"]
        with pytest.raises(ResetNeeded, match="site failed"):
            env.step(human(env))
        # The agent's own error is kept, and the site's follows it.
        env.reset(options={"session_id": SHORT, "step": 1})
        *_, truncated, info = env.step("not an action")
        assert truncated and info["error"].index("Then the site failed: SiteFailureError") > 0
        # The env is not broken: with the site healthy again the same episode goes through.
        shop.rules.clear()
        obs, _ = env.reset(options={"session_id": SHORT, "step": 1})
        obs, _, _, truncated, info = env.step(human(env))
        assert not truncated and "site_error" not in info and obs["url"] == PRODUCT
    finally:
        env.close()


def test_free_run_marks_the_episode_failed_when_the_shop_drops_the_connection(shop, quick_browser, session_file):
    env = gym.make("webmimic/Replay-v0", sessions=session_file, follow="agent", browser=quick_browser)
    try:
        shop.rules[PRODUCT] = "drop"
        env.reset(options={"session_id": SHORT})
        env.step(human(env))
        obs, reward, terminated, truncated, info = env.step(human(env))
        assert (reward, terminated, truncated) == (0.0, False, True)
        assert info["site_error"]["kind"] == "network" and "ERR_EMPTY_RESPONSE" in info["site_error"]["detail"]
        assert "closed the connection" in info["error"] and obs["url"].startswith("/search")  # the last good page
        with pytest.raises(ResetNeeded):
            env.step(human(env))
    finally:
        env.close()


def test_reset_raises_a_site_failure_when_the_start_page_fails(shop, quick_browser, session_file):
    env = gym.make("webmimic/Replay-v0", sessions=session_file, browser=quick_browser)
    try:
        shop.rules["/"] = "500"
        with pytest.raises(SiteFailureError, match="HTTP 500") as caught:
            env.reset(options={"session_id": OTHER})
        assert caught.value.url.endswith("/")
    finally:
        env.close()


# -- Shop-v0 ----------------------------------------------------------------------------------------
def test_shop_env_marks_the_episode_failed_when_the_search_hangs_past_the_timeout(shop, quick_browser):
    env = gym.make("webmimic/Shop-v0", browser=quick_browser)
    try:
        env.reset(seed=0)
        shop.rules["/search"] = "hang"
        search = Action.type_and_submit("search_input", "headphones").to_json()
        obs, reward, terminated, truncated, info = env.step(search)
        assert (reward, terminated, truncated) == (0.0, False, True) and shop.failed == ["/search"]
        assert info["site_error"]["kind"] == "timeout" and "/search?" in info["site_error"]["url"]
        assert "did not answer" in info["error"] and f"{TIMEOUT_MS} ms" in info["error"] and obs["url"] == "/"
        with pytest.raises(ResetNeeded, match="shop failed"):
            env.step(search)
        shop.release.set()
        shop.rules = {"/api/state": "500"}  # the shop's own state, read back to rate a purchase
        env.reset(seed=0)
        state_url = env.unwrapped.tab.page.url.rstrip("/") + "/api/state"
        with pytest.raises(SiteFailureError, match="HTTP 500"):
            env.unwrapped.on_page(lambda tab: tab.request_json(state_url))
        shop.rules = {"/": "500"}
        with pytest.raises(SiteFailureError, match="HTTP 500"):
            env.reset(seed=0)
    finally:
        env.close()


# -- webmimic eval ----------------------------------------------------------------------------------
def run_eval_cli(session_file: Path, out: Path, *extra: str) -> int:
    argv = ["eval", "--agent", "oracle", "--sessions", str(session_file), "--out", str(out), "--screenshots", "0"]
    return main([*argv, *extra])


def test_eval_reports_failed_sessions_goes_on_and_resume_retries_them(shop, session_file, tmp_path, capsys):
    out = tmp_path / "run"
    shop.rules[PRODUCT] = "500"
    assert run_eval_cli(session_file, out) == 3
    printed = capsys.readouterr()
    assert "1 of 2 sessions failed, 1 scored" in printed.out and "--resume" in printed.out
    assert f"session {SHORT!r} failed at step 1: SiteFailureError" in printed.err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["sessions"] == 1 and metrics["exact_match"] == 1.0
    (failure,) = metrics["failed_sessions"]
    assert failure["session_id"] == SHORT and failure["step"] == 1 and failure["url"].endswith(PRODUCT)
    assert failure["kind"] == "status" and failure["status"] == 500 and "HTTP 500" in failure["error"]
    saved = {json.loads(line)["session_id"] for line in (out / "steps.jsonl").read_text().splitlines()}
    assert saved == {OTHER}  # a failed session's steps are not kept
    shop.rules.clear()
    assert run_eval_cli(session_file, out, "--resume") == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["sessions"] == 2 and metrics["failed_sessions"] == []


def test_eval_where_every_session_fails_exits_non_zero(shop, session_file, tmp_path, capsys):
    shop.rules["/search"] = "drop"  # every session starts with a search, replayed in reset
    assert run_eval_cli(session_file, tmp_path / "run") == 1
    printed = capsys.readouterr()
    assert "2 of 2 sessions failed, none scored" in printed.out
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["sessions"] == 0
    assert [(f["session_id"], f["step"], f["kind"]) for f in metrics["failed_sessions"]] == [
        (SHORT, 0, "network"),
        (OTHER, 0, "network"),
    ]
    assert all("/search?" in f["url"] and "ERR_EMPTY_RESPONSE" in f["error"] for f in metrics["failed_sessions"])


def test_eval_help_explains_the_exit_status(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "exit status: 0 every session was scored; 3 some sessions failed" in text and "1 every session" in text


def test_rollouts_mark_an_episode_failed_when_the_site_fails(shop, session_file, tmp_path):
    shop.rules[PRODUCT] = "500"
    out = tmp_path / "rollouts.jsonl"
    config = RolloutConfig("oracle", str(out), sessions=str(session_file), episodes=2, follow="human", progress=False)
    summary = run_rollouts(config)
    assert (summary["played"], summary["failed"]) == (2, 1)
    records = {r["session_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    failed = records[SHORT]
    assert failed["truncated"] and failed["error"].startswith("SiteFailureError: The site answered HTTP 500")
    assert failed["site_error"]["status"] == 500 and failed["site_error"]["url"].endswith(PRODUCT)
    assert "error" not in records[OTHER] and summary["mean_return"] == records[OTHER]["return"]
