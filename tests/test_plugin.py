"""webmimic's pytest plugin (webmimic/testing/plugin.py): its fixtures, and recorded sessions as test items."""

from __future__ import annotations

import json
import os
from pathlib import Path
import re
import subprocess
import sys

import pytest

from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import read_sessions, write_sessions

SHORT = ("syn-0-00029", "syn-0-00113")  # two 4-step sessions of the bundled test split


def _short_sessions(path: Path) -> Path:
    sessions = [s for s in read_sessions(bundled_sessions_path("test")) if s.id in SHORT]
    assert [s.id for s in sessions] == sorted(SHORT)
    write_sessions(path, sessions)
    return path


def _pytest(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh interpreter, in ``cwd`` (its own rootdir: no project settings), as a user runs it."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(cwd), *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_plugin_is_registered_by_the_entry_point(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("webmimic")
    assert pytestconfig.pluginmanager.has_plugin("webmimic.testing.overrides")


def test_pytest_playwright_launches_the_chromium_webmimic_finds(browser_type_launch_args, webmimic_chromium_path):
    from webmimic.simulator.chromium import LAUNCH_ARGS

    assert browser_type_launch_args["executable_path"] == webmimic_chromium_path
    assert set(LAUNCH_ARGS) <= set(browser_type_launch_args["args"])


def test_shop_page_is_a_playwright_page_on_the_running_shop(shop_page, shop_url):
    assert shop_url.startswith("http://127.0.0.1:")
    assert shop_page.url.rstrip("/") == shop_url.rstrip("/")
    shop_page.fill("input[name=search_input]", "coffee")
    shop_page.press("input[name=search_input]", "Enter")
    shop_page.wait_for_url(re.compile(r"coffee"))
    assert shop_page.url.startswith(shop_url)


def test_pytest_playwright_page_and_webmimic_browser_share_one_driver(page, webmimic_browser, shop_url):
    from webmimic.simulator.driver import driver_users

    tab = webmimic_browser.new_tab()
    try:
        page.goto(shop_url)
        assert driver_users() >= 2  # pytest-playwright's fixture and webmimic's Browser hold the same one
        assert page.title()
    finally:
        tab.close()


def test_webmimic_env_runs_on_the_session_browser_and_servers(webmimic_env, webmimic_browser, shop_url):
    before = webmimic_browser.pid
    env = webmimic_env("webmimic/Replay-v0", sessions=str(bundled_sessions_path("test")))
    obs, info = env.reset(options={"session_id": SHORT[0]})
    assert obs["page"]
    assert env.unwrapped.tab.observe().url.startswith(shop_url)  # the session's shop server, not a new one
    assert webmimic_browser.pid == before is not None  # and the session's Chromium
    _, reward, *_ = env.step(json.dumps({"type": "type_and_submit", "name": "search_input", "text": "coffee"}))
    assert reward in (0.0, 1.0)


def test_webmimic_replay_runs_an_agent_spec(webmimic_replay):
    result = webmimic_replay("oracle", limit=1)
    assert result.metrics["sessions"] == 1
    assert result.metrics["exact_match"] == 1.0
    assert result.metrics["invalid_outputs"] == 0
    assert result.steps and all(r.exact for r in result.steps)
    assert result.failures == []
    assert (result.run_dir / "metrics.json").is_file()


def test_webmimic_replay_runs_a_python_function(webmimic_replay, tmp_path):
    seen = []

    def always_stop(observation):
        seen.append(observation["url"])
        return {"type": "terminate"}

    sessions = read_sessions(_short_sessions(tmp_path / "short.jsonl"))
    result = webmimic_replay(always_stop, sessions=sessions[:1])
    assert len(seen) == len(result.steps) > 0
    assert all(r.agent_action is not None and r.agent_action.type == "terminate" for r in result.steps)
    assert result.metrics["exact_match"] < 1.0
    assert result.failures == [r for r in result.steps if not r.exact]


def test_webmimic_replay_refuses_an_agent_it_cannot_run(webmimic_replay):
    with pytest.raises(TypeError, match="spec string"):
        webmimic_replay(42)


@pytest.mark.slow
def test_recorded_sessions_become_test_items_that_pass_with_the_oracle(tmp_path):
    sessions = _short_sessions(tmp_path / "recorded.jsonl")
    run = _pytest(tmp_path, "--webmimic-sessions", str(sessions), "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    for session_id in SHORT:
        assert re.search(rf"recorded.jsonl::{session_id} PASSED", run.stdout), run.stdout
    assert "2 passed" in run.stdout


@pytest.mark.slow
def test_a_diverging_session_item_names_step_expected_actual_and_screenshot(tmp_path):
    sessions = _short_sessions(tmp_path / "recorded.jsonl")
    (tmp_path / "lazy_agent.py").write_text("def act(observation):\n    return {'type': 'terminate'}\n")
    run = _pytest(tmp_path, "--webmimic-sessions", str(sessions), "--webmimic-agent", "lazy_agent:act", "-k", SHORT[0])
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 1 deselected" in run.stdout
    assert f"session '{SHORT[0]}' diverged at step 1" in run.stdout
    expected = '{"type": "click", "name": "search_results.brewster_stainless_steel_compact_single_serve_coffee_maker'
    assert f"expected (human): {expected}" in run.stdout
    assert 'actual (agent):   {"type": "terminate"}' in run.stdout
    assert "Traceback" not in run.stdout
    shot = re.search(r"screenshot: (\S+\.(?:jpg|png))", run.stdout)
    assert shot, run.stdout
    assert Path(shot.group(1)).is_file()
    assert Path(shot.group(1)).is_relative_to(tmp_path / "test-results")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ('{"id": "x"}\n', "recorded.jsonl"),
        ("", "holds no sessions"),
    ],
)
def test_a_bad_sessions_file_is_a_usage_error_naming_it(tmp_path, content, expected):
    path = tmp_path / "recorded.jsonl"
    if content is not None:
        path.write_text(content)
    run = _pytest(tmp_path, "--webmimic-sessions", str(path), timeout=120)
    assert run.returncode == 4, run.stdout + run.stderr
    assert "--webmimic-sessions" in run.stderr
    assert expected in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def _doc_examples() -> dict[str, str]:
    """The example test files of docs/acceptance-tests.md, by the file name each is marked with."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "acceptance-tests.md").read_text()
    blocks = re.findall(r"<!-- file: (\S+) -->\n```python\n(.*?)```", text, re.S)
    return dict(blocks)


@pytest.mark.slow
def test_the_documented_example_test_files_pass(tmp_path):
    examples = _doc_examples()
    assert sorted(examples) == ["test_agent_buys.py", "test_agent_gate.py", "test_shop_regressions.py"]
    for name, code in examples.items():
        (tmp_path / name).write_text(code)
    run = _pytest(tmp_path, "-q", *examples, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 passed" in run.stdout
