"""Sessions recorded on any web app (``site: "web"``): replayed at their origin, rebased onto another
base URL (a staging build), and a new build that broke a recorded step named at that step.

The app is the test's own, not the bundled shop: a tiny notes site (links, a search form) served on
127.0.0.1 by webmimic's ``SiteServer``. Its "new build" renames one link, which must break exactly
the step where the person clicked it.
"""

from __future__ import annotations

from collections.abc import Iterator
import html
import json
import os
from pathlib import Path
import subprocess
import sys
from urllib.parse import parse_qs

import gymnasium as gym
import pytest

from webmimic.agents.base import make_agent
from webmimic.cli import main
from webmimic.core.errors import DataFormatError, ReplayDivergenceError
from webmimic.envs.replay_env import ReplayEnv
from webmimic.replay.session import Session, read_sessions, validate_files, write_sessions
from webmimic.sites.server import SiteServer

NOTES = {"1": "Buy milk", "2": "Call the plumber", "3": "Milk the cow"}


def notes_app(about_label: str = "About us"):
    """A WSGI notes app; ``about_label`` is the About link's text (a new build renames it)."""

    def page(title: str, body: str) -> bytes:
        nav = f'<nav><a href="/">Home</a> <a href="/about">{html.escape(about_label)}</a></nav>'
        form = (
            '<form action="/search" method="get"><input type="text" name="q">'
            '<button type="submit">Search</button></form>'
        )
        return (
            f"<html><head><title>{title}</title></head><body>{nav}{form}<h1>{title}</h1>{body}</body></html>".encode()
        )

    def links(ids) -> str:
        return "<ul>" + "".join(f'<li><a href="/notes/{i}">{html.escape(NOTES[i])}</a></li>' for i in ids) + "</ul>"

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/":
            body = page("Notes", links(sorted(NOTES)))
        elif path == "/about":
            body = page("About", "<p>A notes app.</p>")
        elif path == "/search":
            q = parse_qs(environ.get("QUERY_STRING", "")).get("q", [""])[0].lower()
            body = page("Search", links(i for i in sorted(NOTES) if q in NOTES[i].lower()))
        elif path.startswith("/notes/") and path[7:] in NOTES:
            body = page(NOTES[path[7:]], '<a href="/">Back to all notes</a>')
        else:
            start_response("404 Not Found", [("Content-Type", "text/html")])
            return [page("Not found", "")]
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body]

    return app


def web_session(origin: str, session_id: str = "notes-1") -> Session:
    """What a person did on the notes app, as ``record --url`` writes it (step URLs as recorded)."""
    steps = [
        ({"type": "type_and_submit", "name": "q", "text": "milk"}, "/"),
        ({"type": "click", "name": "milk_the_cow"}, "/search?q=milk"),
        ({"type": "click", "name": "about_us"}, "/notes/3"),
        ({"type": "click", "name": "home"}, "/about"),
        ({"type": "terminate"}, "/"),
    ]
    line = {
        "format": "webmimic.session/1",
        "id": session_id,
        "site": "web",
        "origin": origin,
        "start_url": "/",
        "source": "recorded",
        "steps": [
            {"action": a, "url": origin + u, "timestamp": f"2026-01-01T10:00:0{i}Z"} for i, (a, u) in enumerate(steps)
        ],
        "outcome": "terminate",
    }
    return Session.from_dict(line)


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with SiteServer(notes_app(), name="notes") as server:
        yield server.url


@pytest.fixture(scope="module")
def staging() -> Iterator[str]:
    """The same app on another port: a staging build of it."""
    with SiteServer(notes_app(), name="notes-staging") as server:
        yield server.url


@pytest.fixture(scope="module")
def new_build() -> Iterator[str]:
    """A new build whose About link is now called "About the team": the recorded click on it must break."""
    with SiteServer(notes_app(about_label="About the team"), name="notes-new") as server:
        yield server.url


@pytest.fixture
def sessions_file(tmp_path, origin) -> Path:
    path = tmp_path / "notes.jsonl"
    write_sessions(path, [web_session(origin)])
    return path


def _replay_with_oracle(env: gym.Env, session_id: str = "notes-1") -> tuple[list[float], list[str], dict]:
    agent = make_agent("oracle")
    obs, info = env.reset(options={"session_id": session_id})
    agent.reset(env.unwrapped, info)
    rewards, urls, terminated = [], [obs["url"]], False
    while not terminated:
        obs, reward, terminated, truncated, info = env.step(agent.act(obs))
        assert not truncated, info
        rewards.append(float(reward))
        urls.append(obs["url"])
    return rewards, urls, info


# -- the format -------------------------------------------------------------------------------------
def test_a_web_session_round_trips_and_old_lines_stay_as_they_were(tmp_path, origin):
    session = web_session(origin)
    assert session.is_web and session.origin == origin
    assert Session.from_dict(session.to_dict()) == session
    path = tmp_path / "s.jsonl"
    write_sessions(path, [session])
    assert read_sessions(path) == [session]
    assert json.loads(path.read_text())["origin"] == origin
    shop = Session.from_dict({**session.to_dict(), "site": "shop", "origin": None})
    assert "origin" not in shop.to_dict()  # bundled-site lines are written as before


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"origin": None}, "origin", "needs the origin it was recorded at"),
        ({"origin": "http://127.0.0.1:8000/app/"}, "origin", "no path, query or trailing"),
        ({"origin": "ftp://example.com"}, "origin", "not an http(s) origin"),
        ({"origin": 8000}, "origin", "must be a string"),
        ({"site": "shop"}, "origin", 'only "web" sessions have an origin'),
        ({"start_url": "http://127.0.0.1:8000/"}, "start_url", "is a path"),
    ],
)
def test_bad_web_sessions_name_the_file_line_field_and_fix(tmp_path, origin, change, field, words):
    line = {**web_session(origin).to_dict(), **change}
    if line["origin"] is None:
        del line["origin"]
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(line) + "\n")
    problems = validate_files([path], purchase_names_for=lambda site: frozenset({"buy_now"}))
    assert [(p.path, p.line, p.field) for p in problems] == [(str(path), 1, field)]
    assert words in problems[0].reason
    with pytest.raises(DataFormatError, match=field):
        read_sessions(path)


def test_webmimic_validate_accepts_web_sessions(sessions_file, capsys):
    assert main(["validate", str(sessions_file)]) == 0
    assert "OK: 1 sessions" in capsys.readouterr().out


# -- Replay-v0 --------------------------------------------------------------------------------------
def test_the_oracle_replays_a_web_session_at_its_origin_and_at_a_staging_base_url(sessions_file, staging, wm_browser):
    runs = {}
    for base in (None, staging):
        env = gym.make(
            "webmimic/Replay-v0", sessions=str(sessions_file), base_url=base, browser=wm_browser, strict=True
        )
        try:
            runs[base] = _replay_with_oracle(env)
        finally:
            env.close()
    for rewards, _, _ in runs.values():
        assert rewards == [1.0] * 5
    # the observations are paths under the replayed site: the same at the origin and on staging
    assert runs[None][1] == runs[staging][1] == ["/", "/search?q=milk", "/notes/3", "/about", "/", "/"]


def test_a_new_build_breaks_the_replay_at_the_step_of_the_renamed_link(sessions_file, new_build, wm_browser):
    with ReplayEnv(str(sessions_file), base_url=new_build, browser=wm_browser) as env:
        env.reset(options={"session_id": "notes-1"})
        env.step(env.expected_action())
        env.step(env.expected_action())
        with pytest.raises(ReplayDivergenceError) as caught:
            env.step(env.expected_action())
    message = str(caught.value)
    assert "Session 'notes-1' step 2" in message
    assert "click about_us cannot be replayed" in message
    assert "No element named 'about_us'" in message and "Closest names: about_the_team" in message  # the closest name


def test_strict_mode_names_the_step_whose_page_moved(tmp_path, origin, wm_browser):
    line = web_session(origin).to_dict()
    line["steps"][2]["url"] = origin + "/notes/1"  # recorded: the first note; live: the third
    session = Session.from_dict(line)
    with ReplayEnv([session], browser=wm_browser, strict=True) as env:
        env.reset()
        env.step(env.expected_action())
        with pytest.raises(ReplayDivergenceError) as caught:
            env.step(env.expected_action())
    message = str(caught.value)
    assert "Session 'notes-1' step 2" in message
    assert "the recording was at URL '/notes/1', the live replay is at '/notes/3'" in message
    assert "click milk_the_cow" in message and "click about_us" in message


def test_no_bundled_server_starts_for_web_sessions(sessions_file, wm_browser):
    from webmimic.envs.runtime import SiteServers

    servers = SiteServers()
    try:
        with ReplayEnv(str(sessions_file), browser=wm_browser, servers=servers) as env:
            env.reset()
        assert servers._servers == {}
    finally:
        servers.close()


def test_a_bad_base_url_is_refused_saying_what_one_looks_like(sessions_file):
    with pytest.raises(ValueError, match="base_url must be an http"):
        ReplayEnv(str(sessions_file), base_url="staging.example.com")


# -- webmimic eval --base-url -----------------------------------------------------------------------
def test_eval_with_base_url_scores_1_and_a_broken_build_fails_at_the_step(
    sessions_file, staging, new_build, tmp_path, capsys
):
    out = tmp_path / "run"
    args = ["eval", "--agent", "oracle", "--sessions", str(sessions_file), "--screenshots", "0", "--strict"]
    assert main([*args, "--out", str(out), "--base-url", staging]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["exact_match"] == 1.0 and metrics["failed_sessions"] == []
    broken = tmp_path / "broken"
    assert main([*args, "--out", str(broken), "--base-url", new_build]) == 1
    (failed,) = json.loads((broken / "metrics.json").read_text())["failed_sessions"]
    assert failed["step"] == 2 and failed["url"] == "/notes/3"
    assert "click about_us cannot be replayed" in failed["error"]
    assert "session 'notes-1' failed at step 2" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "x"), "--base-url", "not a url"]) == 2


# -- pytest --webmimic-sessions --webmimic-base-url -------------------------------------------------
def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(cwd), *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_plugin_replays_web_sessions_at_a_base_url_and_names_the_broken_step(
    sessions_file, staging, new_build, tmp_path
):
    passed = _pytest(tmp_path, "--webmimic-sessions", str(sessions_file), "--webmimic-base-url", staging)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "1 passed" in passed.stdout
    failed = _pytest(tmp_path, "--webmimic-sessions", str(sessions_file), "--webmimic-base-url", new_build)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "session 'notes-1' could not be replayed at step 2 (url /notes/3)" in failed.stdout
    assert "click about_us cannot be replayed" in failed.stdout and "about_the_team" in failed.stdout
    bad = _pytest(tmp_path, "--webmimic-sessions", str(sessions_file), "--webmimic-base-url", "nope")
    assert bad.returncode == 4 and "--webmimic-base-url" in bad.stderr


# -- a bundled-shop session at a base URL: a shop that runs elsewhere -------------------------------
def test_a_shop_session_replays_on_an_externally_running_shop(wm_browser):
    from webmimic.envs.runtime import SiteServers
    from webmimic.replay.bundled import bundled_sessions_path
    from webmimic.sites import get_site

    session = next(s for s in read_sessions(bundled_sessions_path("test")) if s.id == "syn-0-00029")
    servers = SiteServers()
    try:
        with (
            get_site("shop").serve() as shop,
            ReplayEnv([session], browser=wm_browser, servers=servers, strict=True, base_url=shop.url + "/") as env,
        ):
            rewards, _, _ = _replay_with_oracle(env, session.id)
        assert servers._servers == {}  # the running shop was used: none was started
    finally:
        servers.close()
    assert rewards == [1.0] * len(session.steps)


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("http://a:1/s?q=x", "http://a:1", "/s?q=x"),
        ("http://a:1", "http://a:1", "/"),
        ("https://st.example.com/pr-7/notes/3", "https://st.example.com/pr-7", "/notes/3"),
        ("https://st.example.com/pr-70/notes", "https://st.example.com/pr-7", "https://st.example.com/pr-70/notes"),
        ("https://login.example.com/sso", "http://a:1", "https://login.example.com/sso"),
    ],
)
def test_urls_compare_as_paths_under_the_replayed_site(url, base, expected):
    from webmimic.replay.session import rebase_url, relative_url

    assert relative_url(url, base) == expected
    assert rebase_url(url, base, "http://elsewhere:9") == expected
