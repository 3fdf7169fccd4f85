"""``webmimic bench`` on a tiny scale: real replays, vector envs, tokenizer and model.

The suite never builds BrowserGym's virtualenv (``--no-browsergym``); where ``webmimic bench``
has built it (``build/browsergym-venv``), one test plays the same steps through BrowserGym too.
Speed is only measured here, never asserted.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
import subprocess
import sys

import pytest

from envs_helpers import live_session
from webmimic.cli import main
from webmimic.envs.runtime import SiteServers
from webmimic.evaluation.bench import (
    JSON_KEYS,
    BenchConfig,
    format_table,
    page_type,
    replay_figures,
    replay_throughput,
    run_browsergym,
    tree_memory,
)
from webmimic.replay.session import read_sessions, write_sessions
from webmimic.simulator import processes

BUILD = Path(__file__).resolve().parent.parent / "build"


@pytest.fixture(scope="module")
def session_file(wm_browser, shop_server, tmp_path_factory):
    """Two short live sessions: one leaves (3 actions, then terminate), one buys (4 actions)."""
    path = tmp_path_factory.mktemp("bench") / "sessions.jsonl"
    sessions = [live_session(wm_browser, shop_server, "leave"), live_session(wm_browser, shop_server, "buy", buy=True)]
    write_sessions(path, sessions)
    return path


@pytest.fixture(scope="module")
def bench_run(session_file, tmp_path_factory):
    """One small bench through its command entry point: (printed text, JSON written, processes left)."""
    out = tmp_path_factory.mktemp("bench-out") / "bench.json"
    args = [
        *("bench", "--sessions", str(session_file), "--limit", "2", "--envs", "2", "1", "--scale-steps", "4"),
        *("--model-sessions", "1", "--tokenizer", "bundled", "--no-browsergym", "--json", str(out)),
    ]
    before = set(processes.descendants(os.getpid()))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(args) == 0
    left = {pid for pid in set(processes.descendants(os.getpid())) - before if processes.alive(pid)}
    return printed.getvalue(), json.loads(out.read_text(encoding="utf-8")), left


def test_json_has_the_issues_keys_and_null_browsergym_figures(bench_run):
    _, result, _ = bench_run
    assert set(JSON_KEYS) <= set(result)
    assert result["browsergym_steps_per_s"] is None and result["speedup_vs_browsergym"] is None
    assert result["browsergym_axtree_tokens"] is None
    assert result["details"]["replay"]["browsergym_error"] == "skipped (--no-browsergym)"
    for key in ("steps_per_s", "step_ms_p50", "step_ms_p95", "mem_mb_per_extra_env", "pss_mb_per_extra_env"):
        assert isinstance(result[key], float), key
    replay = result["details"]["replay"]
    assert (replay["sessions"], replay["steps"], replay["browser_steps"]) == (2, 8, 7)
    assert isinstance(replay["images_steps_per_s"], float)  # the replay again, by an env loading images
    if tree_memory().resident_mb is not None:  # page frames are readable here (CAP_SYS_ADMIN)
        assert isinstance(result["resident_mb_per_extra_env"], float)


def test_every_measurement_covers_what_was_asked(bench_run):
    _, result, _ = bench_run
    assert set(result["obs_tokens"]) == set(result["raw_html_tokens"]) == {"home", "results", "product"}
    for kind, tokens in result["obs_tokens"].items():
        assert 0 < tokens < result["raw_html_tokens"][kind], kind  # the simplified page is the smaller
    assert set(result["sessions_per_min_by_envs"]) == {"1", "2"}
    assert [row["envs"] for row in result["details"]["scaling"]] == [1, 2]
    assert all(row["processes"] > 2 for row in result["details"]["scaling"])  # Chromium's processes are counted
    assert all(row["cpu_ms_per_step"] > 0 and row["cores_busy"] > 0 for row in result["details"]["scaling"])
    assert isinstance(result["steps_per_s_ceiling"], float)
    # The model answered every step of the first session by id ("buy": 4 steps), history 0 to 3.
    assert set(result["model_step_ms_by_history"]) == {"0", "1", "2", "3"}
    assert all(row["prompt_tokens"] > 0 for row in result["details"]["model"])
    assert result["details"]["tokenizer"].startswith("the bundled model's")


def test_the_table_prints_each_figure_with_its_ratios(bench_run):
    printed, result, _ = bench_run
    assert format_table(result) in printed
    for line in (
        "| figure | webmimic | BrowserGym | ratio |",
        "BrowserGym: not measured: skipped (--no-browsergym)",
        "| page type | pages | raw HTML | BrowserGym AXTree | webmimic page | raw / webmimic | AXTree / webmimic |",
        "| envs | sessions/min | vs 1 env | steps/s | RSS summed over processes | PSS | resident, each page once "
        "| processes | CPU ms per step | cores busy |",
        "CPU is the whole process tree's",
        "| history (past steps) | steps | prompt tokens | answer tokens | ms per step |",
        "Memory each extra env adds",
    ):
        assert line in printed
    assert "| 1 | " in printed and "| 1.00x |" in printed  # the 1-env row is the ratios' base


def test_the_bench_leaves_no_process_behind(bench_run):
    assert bench_run[2] == set()


def test_bad_arguments_are_refused_before_anything_starts(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["bench", "--envs", "0"])
    assert stop.value.code == 2
    assert "argument --envs: expected a whole number of 1 or more, not 0" in capsys.readouterr().err


def test_process_tree_memory_counts_chromium(wm_browser):
    wm_browser.start()
    memory = tree_memory()
    assert wm_browser.pid in processes.descendants(os.getpid())
    # PSS splits shared pages among the processes, so it is below their summed RSS; the resident
    # set counts each page once, so it lies between (PSS gives processes outside the tree their share).
    assert memory.processes > 2 and 0 < memory.pss_mb < memory.rss_mb
    if memory.resident_mb is not None:
        assert memory.pss_mb <= memory.resident_mb < memory.rss_mb


# A grandchild of the test burns 0.4 s of CPU, waits for a line, burns 0.4 s more and exits; its
# parent, the shell, reaps it and waits too.
BURNER = (
    "import sys, time\n"
    "def burn(s):\n"
    "    until = time.process_time() + s\n"
    "    while time.process_time() < until: pass\n"
    "burn(0.4); print('half', flush=True); sys.stdin.readline(); burn(0.4)"
)


def test_cpu_of_a_process_that_exits_between_snapshots_counts_only_its_time_in_between():
    shell = f'{sys.executable} -c "$0"; echo done; read line'
    with subprocess.Popen(
        ["sh", "-c", shell, BURNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout.readline() == "half\n"
        before = processes.cpu_ticks()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "done\n"  # the burner exited; the shell reaped it
        # Charged to the shell, which reaped it.
        used = processes.cpu_seconds_between(before, processes.cpu_ticks())[proc.pid]
        proc.stdin.write("end\n")
        proc.stdin.flush()
    # Its second 0.4 s (with the interpreter's exit), not the first: that was before the first snapshot.
    assert 0.38 <= used < 0.7


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("/", "home"),
        ("/search?search_input=x", "results"),
        ("/product/acme_shirt?color=Red", "product"),
        ("/product/acme_shirt/reviews?stars=5", "reviews"),
        ("/cart", "cart"),
        ("/category/sunglasses", "category"),
    ],
)
def test_page_types(url, kind):
    assert page_type(url) == kind


@pytest.mark.slow
@pytest.mark.skipif(
    not (BUILD / "browsergym-venv" / "bin" / "python").is_file(),
    reason="BrowserGym's virtualenv is made by `webmimic bench` (build/browsergym-venv); the suite never builds it",
)
def test_browsergym_plays_the_same_steps_on_the_same_pages(session_file):
    sessions = read_sessions(session_file)
    servers = SiteServers()
    try:
        replay = replay_throughput(sessions, servers, BenchConfig())
        browsergym = run_browsergym(replay, BenchConfig(build_dir=BUILD))
    finally:
        servers.close()
    assert browsergym.error is None, browsergym.error
    statuses = sorted(step["status"] for step in browsergym.steps.values())
    assert statuses == ["ok"] * 7 + ["terminate"]  # every click and search landed where webmimic's did
    # Two rounds (the same steps pooled), and the same replay standing in for one that loads images.
    figures = replay_figures([replay, replay], [browsergym, browsergym], [replay])
    assert figures["replay"]["same_steps"] == 7
    assert figures["replay"]["images_speedup_vs_browsergym"] == figures["speedup_vs_browsergym"]
    assert isinstance(figures["speedup_vs_browsergym"], float)
    assert {kind for kind, _ in browsergym.axtrees} == {"home", "results", "product"}
