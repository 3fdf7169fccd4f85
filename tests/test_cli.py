"""The ``webmimic`` command: every subcommand runs, and bad input gives a clear error, exit != 0."""

from __future__ import annotations

import os
from pathlib import Path
import signal
import subprocess
import sys
import urllib.request

import pytest

from webmimic.cli import main

PAGES = Path(__file__).parent / "pages"


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    commands = ("serve", "simplify", "demo", "validate", "generate", "record", "import-opera", "eval", "compare")
    for command in (*commands, "train", "synthesize-rationales", "models", "rollouts", "bench"):
        assert command in out


def test_eval_refuses_bad_generation_options_before_starting(capsys, tmp_path):
    assert main(["eval", "--agent", "bundled", "--top-p", "1.5", "--out", str(tmp_path / "run")]) == 2
    assert "top_p must be in (0, 1], not 1.5" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["record", "-o", "{tmp}/mine.jsonl"],
        ["eval", "--agent", "random", "--headed", "--out", "{tmp}/run"],
        ["eval", "--agent", "random", "--pause-on-mismatch", "--out", "{tmp}/run"],
    ],
)
def test_a_headed_command_without_a_display_stops_before_writing(argv, capsys, monkeypatch, tmp_path):
    """Found on a machine without X: record printed its instructions and eval made its run folder first."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main([arg.format(tmp=tmp_path) for arg in argv]) == 2
    captured = capsys.readouterr()
    assert f"webmimic {argv[0]}: error: A headed browser needs a display" in captured.err
    assert "xvfb-run -a" in captured.err and captured.out == ""
    assert list(tmp_path.iterdir()) == []


def test_simplify_prints_simplified_html_of_a_file(capsys, tmp_path, playwright):
    page = tmp_path / "p.html"
    page.write_text("<html><body><script>x()</script><button>Add to cart</button><div hidden>gone</div></body></html>")
    assert main(["simplify", str(page)]) == 0
    out = capsys.readouterr().out
    assert '<button name="add_to_cart">Add to cart</button>' in out
    assert "script" not in out and "gone" not in out


def test_simplify_missing_file_is_a_clear_error(capsys, tmp_path, playwright):
    assert main(["simplify", str(tmp_path / "nope.html")]) == 2
    assert "nope.html" in capsys.readouterr().err


def test_validate_reports_problems_with_file_and_line(capsys, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "webmimic.session/9"}\nnot json\n')
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:1" in err and f"{bad}:2" in err


def test_compare_of_a_damaged_run_names_file_and_line(capsys, tmp_path):
    from webmimic.evaluation.rundir import METRICS_FILE, STEPS_FILE

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / METRICS_FILE).write_text('{"exact_match": 1.0}')
        (tmp_path / name / STEPS_FILE).write_text('{"session_id": "s", "step": 1}\n')
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert f"{tmp_path / 'a' / STEPS_FILE}:1: field 'human_action': missing" in capsys.readouterr().err


def test_unknown_site_is_a_clear_error(capsys):
    assert main(["serve", "--site", "mall"]) == 2
    assert "shop" in capsys.readouterr().err


def default_ctrl_c() -> None:
    """In the child: SIGINT as a terminal's program has it. A test run started in the background
    by a shell without job control inherits SIGINT ignored, and so would every child."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_serve_prints_a_loopback_url_and_stops_on_ctrl_c():
    proc = subprocess.Popen(
        [sys.executable, "-m", "webmimic.cli", "serve"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=default_ctrl_c,
    )
    try:
        line = proc.stdout.readline()
        url = line.split(" at ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/", timeout=10) as response:
            assert b'name="search_input"' in response.read()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) in (0, 130)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_demo_runs_the_bundled_model_and_prints_its_checks(capsys, tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--limit", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "with the 'bundled' agent" in text and "human: " in text and "agent: " in text
    assert "exact_match" in text and (out / "report.html").is_file()
    printed = [
        line.split()[0] for line in text.splitlines()[text.splitlines().index(f"Wrote the run folder {out}:") + 1 :]
    ]
    assert f"Report: {out / 'report.html'}" in text
    assert {str(out / "steps.jsonl"), str(out / "report.html"), str(out / "shots")} <= set(printed[:-1])
    assert all(Path(p).exists() for p in printed[:-1])
