"""Ctrl-C (issue 10): a real process, a real SIGINT to its whole process group (what a terminal
sends), after a condition the test observes. The recorder keeps the steps so far and says where;
eval says how to continue; both exit 130 without a traceback."""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from test_cli import default_ctrl_c
from webmimic.cli import main
from webmimic.evaluation.rundir import METRICS_FILE, STEPS_FILE, read_steps
from webmimic.replay.session import read_sessions

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
WATCHDOG_S = 300

# Plays the person: searches once (the recorder observes it), says so, then waits for Ctrl-C.
RECORDER = textwrap.dedent(
    """
    import sys
    from webmimic.replay.record import record_main

    def on_ready(tab, capture):
        box = '[data-wm-name="search_input"]'
        tab.page.fill(box, "headphones")
        tab.page.press(box, "Enter")
        capture.wait_until_observed()
        print("searched", flush=True)

    sys.exit(record_main("shop", sys.argv[1], None, headless=True, on_ready=on_ready))
    """
)


@contextlib.contextmanager
def started(argv: list[str], **env: str) -> Iterator[subprocess.Popen[str]]:
    """A process in a session of its own (so its group can be sent SIGINT); killed if still running,
    and by a watchdog after ``WATCHDOG_S``, so a line it never prints fails the test, not hangs it."""
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**ENV, **env},
        start_new_session=True,
        preexec_fn=default_ctrl_c,
    )

    def kill() -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    watchdog = threading.Timer(WATCHDOG_S, kill)
    watchdog.start()
    try:
        yield proc
    finally:
        watchdog.cancel()
        kill()
        proc.communicate()


def ctrl_c(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def test_ctrl_c_while_recording_keeps_the_steps_so_far(tmp_path):
    output = tmp_path / "rec.jsonl"
    with started([sys.executable, "-c", RECORDER, str(output)]) as proc:
        assert proc.stdout is not None
        lines = iter(proc.stdout.readline, "")
        assert "close it to end the session" in next(lines)
        assert next(lines) == "searched\n", proc.stderr.read() if proc.stderr else ""
        code, out, err = ctrl_c(proc)
    assert code == 130
    assert "saved the 2 step(s) recorded so far (the last a terminate) as session 'rec-" in out
    assert str(output) in out
    assert "Traceback" not in err and "Traceback" not in out
    [session] = read_sessions(output)
    assert [s.action.type for s in session.steps] == ["type_and_submit", "terminate"]
    assert session.steps[0].action.text == "headphones"
    assert session.steps[-1].page and 'name="search_input"' in session.steps[-1].page
    assert session.outcome == "terminate" and session.meta["ended"] == "interrupted"


def wait_for(condition, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    """Poll ``condition`` until it holds; fail at once if the process ended first."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_ctrl_c_during_eval_says_how_to_continue_and_resume_finishes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["eval", "--agent", "oracle", "--limit", "4", "--screenshots", "0", "--out", "run"]
    steps = tmp_path / "run" / STEPS_FILE
    with started([sys.executable, "-m", "webmimic.cli", *argv]) as proc:
        wait_for(lambda: steps.is_file() and steps.stat().st_size > 0, proc)  # a first session is saved
        code, _, err = ctrl_c(proc)
    assert code == 130
    assert "Traceback" not in err and "Future exception" not in err and "failed" not in err
    said = [line for line in err.replace("\r", "\n").splitlines() if "interrupted" in line]
    assert said == [
        "webmimic eval: interrupted. The finished sessions are saved in run; to continue, run: "
        "webmimic eval --agent oracle --limit 4 --screenshots 0 --out run --resume"
    ]
    assert not (tmp_path / "run" / METRICS_FILE).exists()
    saved = {r.session_id for r in read_steps(steps).records}
    assert 1 <= len(saved) < 4
    assert main([*argv, "--resume"]) == 0
    records = read_steps(steps).records
    assert len({r.session_id for r in records}) == 4
    assert len({r.key for r in records}) == len(records)  # nothing counted twice


# The oracle, except that each session's first check says PAUSED and waits in the browser (its
# greenlet parked in a Playwright call, so the other worker goes on) until the run is interrupted.
WAITS = textwrap.dedent(
    """
    import os
    from webmimic.agents.baselines import OracleAgent

    class Waits(OracleAgent):
        def reset(self, env, info):
            super().reset(env, info)
            self.tab = env.unwrapped.tab

        def act(self, observation):
            if os.environ.get("WAIT") and len(observation["history"]) == 1:
                print("PAUSED", flush=True)
                self.tab.page.wait_for_event("close", timeout=0)  # until Ctrl-C closes the browser
            return super().act(observation)
    """
)


@pytest.mark.slow
def test_ctrl_c_with_two_workers_reports_no_failed_session_and_resume_redoes_them(tmp_path, monkeypatch):
    """Both workers are mid-session when Ctrl-C comes; neither session is a failure, both are redone."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "waits.py").write_text(WAITS)
    # Two sessions with screenshots, so that both run at once on the browser that loads images.
    argv = ["eval", "--agent", "waits:Waits", "--limit", "3", "--workers", "2", "--screenshots", "2", "--out", "run"]
    with started([sys.executable, "-m", "webmimic.cli", *argv], WAIT="1") as proc:
        assert proc.stdout is not None
        lines = iter(proc.stdout.readline, "")
        assert next(lines) == "PAUSED\n" and next(lines) == "PAUSED\n"  # two sessions in flight
        code, out, err = ctrl_c(proc)
    assert code == 130, err
    assert "failed" not in err and "failed" not in out and "Traceback" not in err, err
    assert "to continue, run: webmimic eval --agent waits:Waits" in err
    steps = tmp_path / "run" / STEPS_FILE
    assert not steps.exists() or read_steps(steps).records == ()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main([*argv, "--resume"]) == 0  # without WAIT, the agent does not wait
    metrics = json.loads((tmp_path / "run" / METRICS_FILE).read_text())
    assert metrics["failed_sessions"] == [] and metrics["sessions"] == 3


# Steps two envs of one browser with the human's actions until Ctrl-C, then closes them, as a
# user's rollout loop would; the calls Ctrl-C leaves parked resume while the browser closes.
VECTOR_LOOP = textwrap.dedent(
    """
    import sys
    import gymnasium as gym
    import webmimic.envs

    envs = gym.make_vec("webmimic/Replay-v0", num_envs=2)
    try:
        envs.reset(seed=0)
        while True:
            actions = [env.unwrapped.expected_action() for env in envs.envs]
            envs.step(['{"type": "terminate"}' if a is None else a.to_json() for a in actions])
            print("STEPPED", flush=True)
    except KeyboardInterrupt:
        envs.close()
        print("closed", flush=True)
        sys.exit(130)
    """
)


@pytest.mark.slow
def test_ctrl_c_during_vector_steps_closes_without_a_traceback():
    with started([sys.executable, "-c", VECTOR_LOOP]) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "STEPPED\n", proc.stderr.read() if proc.stderr else ""
        code, out, err = ctrl_c(proc)  # mostly lands while both envs wait on the browser
    assert code == 130, err
    assert out.endswith("closed\n")
    assert "Traceback" not in err and "Exception in callback" not in err and "never retrieved" not in err, err
