"""``webmimic eval`` SIGKILLed at several points, then ``--resume``: the metrics of an uninterrupted
run, no finished session redone, no step lost or counted twice; and one run per directory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
import contextlib
import os
from pathlib import Path
import signal
import subprocess
import sys
import textwrap

import pytest

from envs_helpers import live_session
from webmimic.cli import main
from webmimic.core.errors import EvalRunError
from webmimic.evaluation import EvalConfig, run_eval
from webmimic.evaluation.rundir import REPORT_FILE, STEPS_FILE, read_steps
from webmimic.replay.session import write_sessions

# The heuristic agent, which logs each session it starts and, at the point PAUSE_AT names
# ("<session id>:<steps in the history>"), says PAUSED on stdout and waits to be killed.
AGENT = textwrap.dedent("""
    import os, signal
    from webmimic.agents.baselines import HeuristicAgent

    class Pauses(HeuristicAgent):
        def reset(self, env, info):
            super().reset(env, info)
            self.session = info["session_id"]
            with open("started.log", "a") as log:
                log.write(self.session + "\\n")

        def act(self, observation):
            if os.environ.get("PAUSE_AT") == f"{self.session}:{len(observation['history'])}":
                print("PAUSED", flush=True)
                signal.pause()
            return super().act(observation)
""")

# The same run, paused while it writes the report (after metrics.json).
IN_REPORT = textwrap.dedent("""
    import signal, sys
    import webmimic.evaluation.report as report
    from webmimic.cli import main

    def paused(out):
        print("PAUSED", flush=True)
        signal.pause()

    report.write_report = paused
    sys.exit(main(sys.argv[1:]))
""")

IDS = ("s1", "s2", "s3")
IGNORED = {"wall_seconds", "config", "versions"}


@pytest.fixture(scope="module")
def workdir(wm_browser, shop_server, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("killed")
    sessions = [live_session(wm_browser, shop_server, sid, buy=sid != "s2") for sid in IDS]
    write_sessions(folder / "sessions.jsonl", sessions)
    (folder / "pauser.py").write_text(AGENT)
    (folder / "in_report.py").write_text(IN_REPORT)
    return folder


def config(out: Path, **changes) -> EvalConfig:
    return EvalConfig(
        "pauser:Pauses", sessions="sessions.jsonl", out=str(out), screenshots=1, progress=False, **changes
    )


@pytest.fixture
def here(workdir, monkeypatch) -> Path:
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("PAUSE_AT", raising=False)
    Path("started.log").unlink(missing_ok=True)
    return workdir


@pytest.fixture
def reference(here) -> dict:
    return run_eval(config(here / "reference", force=True))


@contextlib.contextmanager
def paused_eval(out: Path, pause_at: str = "", script: str | None = None) -> Iterator[subprocess.Popen[str]]:
    """``webmimic eval`` in a process group of its own, once it says PAUSED; SIGKILLed on exit."""
    argv = [*([sys.executable, script] if script else [sys.executable, "-m", "webmimic.cli"])]
    argv += [
        "eval",
        "--agent",
        "pauser:Pauses",
        "--sessions",
        "sessions.jsonl",
        "--out",
        str(out),
        "--screenshots",
        "1",
    ]
    env = {**os.environ, "PAUSE_AT": pause_at, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        assert proc.stdout is not None
        paused = any(line.strip() == "PAUSED" for line in proc.stdout)  # stops at PAUSED, or at the end
        assert paused, proc.communicate()[1]
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the eval and its Chromium, as a machine's OOM killer might
        proc.communicate()


def scores(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in IGNORED}


@pytest.mark.parametrize(
    ("point", "pause_at", "script"),
    [
        ("mid-session", "s2:2", None),
        ("between sessions", "s2:1", None),  # s1 saved, s2 not started acting
        ("while writing the report", "", "in_report.py"),
    ],
)
def test_a_killed_run_resumes_to_the_uninterrupted_metrics(here, reference, tmp_path, point, pause_at, script):
    out = tmp_path / "run"
    with paused_eval(out, pause_at, script):
        pass
    before = {r.session_id for r in read_steps(out / STEPS_FILE).records}
    assert before == ({"s1", "s2", "s3"} if script else {"s1"}), point
    Path("started.log").unlink(missing_ok=True)
    resumed = run_eval(config(out, resume=True))
    assert scores(resumed) == scores(reference)
    redone = Path("started.log").read_text().split() if Path("started.log").exists() else []
    assert not set(redone) & before  # no finished session redone
    # Every step exactly once: the same (session, step) keys as the uninterrupted run, none twice.
    keys = Counter(r.key for r in read_steps(out / STEPS_FILE).records)
    assert keys == Counter(r.key for r in read_steps(here / "reference" / STEPS_FILE).records)
    assert set(keys.values()) == {1}
    assert (out / REPORT_FILE).is_file()


def test_a_second_eval_in_the_same_directory_is_refused(here, tmp_path, capsys):
    out = tmp_path / "locked"
    with paused_eval(out, "s1:1"):
        with pytest.raises(EvalRunError, match="Another webmimic eval is writing to"):
            run_eval(config(out, resume=True))
        argv = ["eval", "--agent", "pauser:Pauses", "--sessions", "sessions.jsonl", "--out", str(out), "--resume"]
        assert main(argv) == 2
        assert "Another webmimic eval is writing to" in capsys.readouterr().err
    # SIGKILLed: the kernel released its lock, so the run resumes at once.
    assert run_eval(config(out, resume=True))["failed_sessions"] == []
