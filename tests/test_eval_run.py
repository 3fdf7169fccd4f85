"""End-to-end eval on live sessions made here: oracle, random, worker counts, resume, refusals, CLI."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
import shutil

import pytest

from envs_helpers import PICTURES_SHOWN, live_session
from webmimic.agents.base import Generation, make_agent
from webmimic.cli import main
from webmimic.evaluation import EvalConfig, EvalRunError, run_eval
from webmimic.evaluation.rundir import MANIFEST_FILE, METRICS_FILE, REPORT_FILE, STEPS_FILE, TRACES_DIR
from webmimic.replay.session import write_sessions
from webmimic.simulator import Browser

METADATA = {"wall_seconds", "config", "versions", "sessions_file", "limit", "failed_sessions"}


def scores(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in METADATA}


@pytest.fixture(scope="module")
def sessions_file(wm_browser, shop_server, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sessions") / "live.jsonl"
    sessions = [
        live_session(wm_browser, shop_server, "live-a", buy=True),
        live_session(wm_browser, shop_server, "live-b"),
        live_session(wm_browser, shop_server, "live-c", buy=True),
    ]
    write_sessions(path, sessions)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def oracle_run(sessions_file, runs) -> tuple[Path, dict]:
    out = runs / "oracle"
    return out, run_eval(EvalConfig("oracle", str(sessions_file), str(out), screenshots=1, progress=False))


@pytest.fixture(scope="module")
def random_run(sessions_file, runs) -> tuple[Path, dict]:
    out = runs / "random"
    return out, run_eval(EvalConfig("random", str(sessions_file), str(out), screenshots=0, seed=3, progress=False))


def read_steps(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / STEPS_FILE).read_text().splitlines()]


# The oracle, saying in its rationale whether the page shows its pictures (screenshots need them).
LOOKS = f"""
from webmimic.agents.baselines import OracleAgent

class Looks(OracleAgent):
    def act(self, observation):
        shown = self._env.tab.page.evaluate({PICTURES_SHOWN!r})
        return {{**super().act(observation), "rationale": "pictures" if shown else "no pictures"}}
"""


@pytest.mark.parametrize("ray", [None, "local"])
def test_only_the_sessions_with_screenshots_load_images(ray, sessions_file, tmp_path, monkeypatch):
    (tmp_path / "looks.py").write_text(LOOKS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # for Ray's worker processes
    out = tmp_path / "run"
    config = EvalConfig("looks:Looks", str(sessions_file), str(out), screenshots=1, workers=2, ray=ray, progress=False)
    metrics = run_eval(config)
    assert metrics["exact_match"] == 1.0
    seen = {(r["session_id"], r["agent_rationale"]) for r in read_steps(out)}
    assert seen == {("live-a", "pictures"), ("live-b", "no pictures"), ("live-c", "no pictures")}


def test_oracle_scores_one(oracle_run):
    out, m = oracle_run
    assert (m["sessions"], m["steps"]) == (3, 9)  # first actions are context, not test cases
    assert m["exact_match"] == 1.0 and m["exact_match_micro"] == 1.0
    assert m["session_outcome_f1"] == 1.0 and m["session_outcome_weighted_f1"] == 1.0
    assert m["action_type_macro_f1"] == 1.0 and m["invalid_outputs"] == 0
    assert m["agent"] == "oracle" and len(m["sessions_sha256"]) == 64 and m["include_first"] is False
    assert set(m["versions"]) == {"webmimic", "playwright", "gymnasium", "transformers", "torch"}
    assert json.loads((out / METRICS_FILE).read_text()) == m
    assert (out / REPORT_FILE).is_file()


def test_step_records_screenshots_and_boxes(oracle_run):
    out, _ = oracle_run
    steps = read_steps(out)
    expected = [(i, k) for i in ("live-a", "live-b", "live-c") for k in (1, 2, 3)]
    assert sorted((s["session_id"], s["step"]) for s in steps) == expected
    first = [s for s in steps if s["session_id"] == "live-a"]
    assert all(s["screenshot"] == f"shots/live-a/{s['step']}.jpg" for s in first)
    assert all((out / s["screenshot"]).read_bytes()[:2] == b"\xff\xd8" for s in first)  # JPEG
    clicks = [s for s in first if s["human_action"]["type"] == "click"]
    assert clicks and all(len(s["boxes"]["human"]) == 4 and s["boxes"]["agent"] == s["boxes"]["human"] for s in clicks)
    assert all(s["screenshot"] is None for s in steps if s["session_id"] != "live-a")  # --screenshots 1
    last = [s for s in steps if s["is_last"]]
    outcomes = {s["session_id"]: s["outcome"] for s in last}
    assert outcomes == {"live-a": "purchase", "live-b": "terminate", "live-c": "purchase"}
    assert all(s["url"].startswith("/") and "step_ms" in s["timings"] for s in steps)


def test_random_is_worse_and_workers_agree_on_one_browser(random_run, sessions_file, runs, monkeypatch):
    _, one = random_run
    assert one["exact_match"] < 1.0
    started, batches = set(), []
    start, run_concurrently = Browser.start, Browser.run_concurrently

    def spy_start(self):
        started.add(id(self))
        return start(self)

    def spy_run(self, calls):
        batches.append(len(calls))
        return run_concurrently(self, calls)

    monkeypatch.setattr(Browser, "start", spy_start)
    monkeypatch.setattr(Browser, "run_concurrently", spy_run)
    two = run_eval(
        EvalConfig(
            "random", str(sessions_file), str(runs / "random-2"), workers=2, screenshots=0, seed=3, progress=False
        )
    )
    assert scores(two) == scores(one)
    assert len(started) == 1 and batches == [2]  # two sessions at a time, one Chromium


def test_ray_workers_give_the_metrics_and_files_of_a_local_run(random_run, sessions_file, runs):
    local_out, local = random_run
    out = runs / "random-ray"
    config = EvalConfig("random", str(sessions_file), str(out), workers=2, ray="local", seed=3, progress=False)
    assert scores(run_eval(dataclasses.replace(config, screenshots=0))) == scores(local)
    timed = ("timings",)
    assert [{k: v for k, v in s.items() if k not in timed} for s in sorted_steps(out)] == [
        {k: v for k, v in s.items() if k not in timed} for s in sorted_steps(local_out)
    ]


def sorted_steps(out: Path) -> list[dict]:
    return sorted(read_steps(out), key=lambda s: (s["session_id"], s["step"]))


def test_resume_after_crash_gives_same_metrics(random_run, runs):
    out, full = random_run
    crashed = runs / "crashed"
    shutil.copytree(out, crashed)
    lines = (crashed / STEPS_FILE).read_text().splitlines(keepends=True)
    kept = [line for line in lines if json.loads(line)["session_id"] == "live-a"]
    kept += [line for line in lines if json.loads(line)["session_id"] == "live-b"][:1]  # mid-session
    torn = [line for line in lines if json.loads(line)["session_id"] == "live-c"][0][:40]
    (crashed / STEPS_FILE).write_text("".join(kept) + torn)
    (crashed / METRICS_FILE).unlink()
    config = EvalConfig(
        "random", full["sessions_file"], str(crashed), resume=True, screenshots=0, seed=3, progress=False
    )
    resumed = run_eval(config)
    assert scores(resumed) == scores(full)
    steps = read_steps(crashed)
    assert len(steps) == 9 and len({(s["session_id"], s["step"]) for s in steps}) == 9
    # finished sessions are not redone: a second resume has nothing left to run
    again = run_eval(config)
    assert scores(again) == scores(full) and read_steps(crashed) == steps


def test_resume_refuses_a_damaged_steps_file(random_run, runs):
    out, full = random_run
    damaged = runs / "damaged"
    shutil.copytree(out, damaged)
    lines = (damaged / STEPS_FILE).read_text().splitlines(keepends=True)
    record = json.loads(lines[2])
    del record["match"]
    lines[2] = json.dumps(record) + "\n"
    (damaged / STEPS_FILE).write_text("".join(lines))
    config = EvalConfig(
        "random", full["sessions_file"], str(damaged), resume=True, screenshots=0, seed=3, progress=False
    )
    with pytest.raises(EvalRunError, match=rf"{STEPS_FILE}:3: field 'match': missing.*--resume"):
        run_eval(config)
    assert (damaged / STEPS_FILE).read_text() == "".join(lines)  # left as it was, for a person to look at
    assert json.loads((damaged / MANIFEST_FILE).read_text())["agent"] == "random"


def test_resume_with_a_limit_then_the_rest(sessions_file, random_run, runs):
    _, full = random_run
    out = runs / "limited"
    base = EvalConfig("random", str(sessions_file), str(out), screenshots=0, seed=3, progress=False)
    part = run_eval(dataclasses.replace(base, limit=2))
    assert (part["sessions"], part["steps"]) == (2, 6)
    assert scores(run_eval(dataclasses.replace(base, resume=True))) == scores(full)


def test_refusals(oracle_run, sessions_file, tmp_path):
    out, _ = oracle_run
    with pytest.raises(EvalRunError, match="--resume"):
        run_eval(EvalConfig("oracle", str(sessions_file), str(out), progress=False))
    with pytest.raises(EvalRunError, match="agent differs"):
        run_eval(EvalConfig("random", str(sessions_file), str(out), resume=True, progress=False))
    sampled = Generation(temperature=0.7)
    with pytest.raises(EvalRunError, match="generation .*differs"):
        run_eval(EvalConfig("oracle", str(sessions_file), str(out), resume=True, generation=sampled, progress=False))
    other = tmp_path / "other.jsonl"
    other.write_bytes(sessions_file.read_bytes() + b"\n")
    with pytest.raises(EvalRunError, match="sessions file differs"):
        run_eval(EvalConfig("oracle", str(other), str(out), resume=True, progress=False))
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    with pytest.raises(EvalRunError, match="not an eval run"):
        run_eval(EvalConfig("oracle", str(sessions_file), str(stranger), resume=True, progress=False))
    with pytest.raises(EvalRunError, match="no such folder"):  # before any browser starts
        run_eval(EvalConfig("hf:some/model", str(sessions_file), str(tmp_path / "hf"), progress=False))


def test_bad_specs_are_refused_clearly():
    with pytest.raises(ValueError, match="hf:PATH takes a local folder"):
        make_agent("hf:Qwen/Qwen2.5-7B")  # a hub name: models load from local folders only
    with pytest.raises(ValueError, match="expected openai:MODEL@URL"):
        make_agent("openai:gpt-4.1")
    with pytest.raises(ValueError, match="Unknown agent spec"):
        make_agent("nonsense")


def test_include_first(sessions_file, tmp_path):
    m = run_eval(
        EvalConfig(
            "oracle",
            str(sessions_file),
            str(tmp_path / "first"),
            include_first=True,
            limit=1,
            screenshots=0,
            progress=False,
        )
    )
    assert (m["sessions"], m["steps"], m["exact_match"]) == (1, 4, 1.0)


def test_cli_eval_and_compare(sessions_file, oracle_run, random_run, tmp_path, capsys):
    out = tmp_path / "heuristic"
    assert (
        main(
            [
                "eval",
                "--agent",
                "heuristic",
                "--sessions",
                str(sessions_file),
                "--out",
                str(out),
                "--screenshots",
                "0",
                "--limit",
                "2",
            ]
        )
        == 0
    )
    assert {STEPS_FILE, METRICS_FILE, REPORT_FILE} <= {p.name for p in out.iterdir()}
    assert "exact match" in capsys.readouterr().out
    assert main(["eval", "--agent", "heuristic", "--sessions", str(sessions_file), "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["eval", "--agent", "hf:no/such", "--sessions", str(sessions_file), "--out", str(tmp_path / "b")]) == 2
    assert main(["compare", str(oracle_run[0]), str(random_run[0]), str(out)]) == 0
    text = capsys.readouterr().out
    assert str(oracle_run[0]) in text and str(random_run[0]) in text and "100.00" in text
    assert "p=" in text and "n=9" in text and "n=6" in text


def test_trace_forces_one_worker(sessions_file, tmp_path, capsys):
    out = tmp_path / "trace"
    m = run_eval(
        EvalConfig(
            "heuristic", str(sessions_file), str(out), workers=2, limit=2, trace=True, screenshots=0, progress=False
        )
    )
    assert m["sessions"] == 2
    assert "--workers 1" in capsys.readouterr().err
    assert sorted(p.name for p in (out / TRACES_DIR).iterdir()) == ["live-a.zip", "live-b.zip"]


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Debian's xvfb (make setup installs it)")
def test_pause_on_mismatch_shows_the_browser_and_pauses_at_each_mismatch(sessions_file, tmp_path, monkeypatch):
    """Under Xvfb, with Playwright's pause counted instead of waiting for a person."""
    import subprocess
    import sys
    import textwrap

    out = tmp_path / "paused"
    script = textwrap.dedent(f"""
        import json
        from webmimic.evaluation import EvalConfig, run_eval
        from webmimic.simulator import Tab
        calls = []
        Tab.pause = lambda tab: calls.append(tab.page.evaluate("navigator.userAgent"))
        m = run_eval(EvalConfig("random", {str(sessions_file)!r}, {str(out)!r}, limit=1,
                                pause_on_mismatch=True, progress=False))
        print(json.dumps({{"pauses": len(calls), "headless": any("Headless" in ua for ua in calls)}}))
    """)
    monkeypatch.setenv("DISPLAY", ":0")  # EvalConfig checks for one; this process opens no window
    assert EvalConfig("random", pause_on_mismatch=True).shows_browser
    result = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    records = read_steps(out)
    assert counts["pauses"] == sum(not r["match"]["exact"] for r in records) > 0
    assert counts["headless"] is False
