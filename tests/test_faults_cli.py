"""Check before work, never destroy (issue 10): every number and output path is checked when the
command line is parsed, a run folder is reused only with --resume and replaced only with --force
(which removes a run's own files and nothing else), and bad session files stop before any work."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
import shutil

import pytest

from webmimic.cli import _build_parser, main
from webmimic.core.files import output_dir_problem, output_file_problem, remove_own_files
from webmimic.evaluation.rundir import MANIFEST_FILE, METRICS_FILE, REPORT_FILE, STEPS_FILE
from webmimic.replay.bundled import bundled_sessions_path


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The usage error argparse gives for ``argv`` (exit 2, before any work)."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    return capsys.readouterr().err


# -- numbers ------------------------------------------------------------------------------------------
BAD_NUMBERS = [
    (["generate", "--sessions", "-3", "-o", "x.jsonl"], "--sessions", "1 or more"),
    (["generate", "--sessions", "2", "--workers", "0", "-o", "x.jsonl"], "--workers", "1 or more"),
    (["eval", "--agent", "oracle", "--slow-mo", "-5"], "--slow-mo", "0 or more"),
    (["eval", "--agent", "oracle", "--slow-mo", "nan"], "--slow-mo", "0 or more"),
    (["eval", "--agent", "oracle", "--workers", "0"], "--workers", "1 or more"),
    (["eval", "--agent", "oracle", "--limit", "0"], "--limit", "1 or more"),
    (["eval", "--agent", "oracle", "--limit", "-4"], "--limit", "1 or more"),
    (["eval", "--agent", "oracle", "--limit", "1.5"], "--limit", "whole number"),
    (["eval", "--agent", "oracle", "--screenshots", "-1"], "--screenshots", "0 or more"),
    (["eval", "--agent", "oracle", "--temperature", "-0.5"], "--temperature", "0 or more"),
    (["eval", "--agent", "oracle", "--max-new-tokens", "0"], "--max-new-tokens", "1 or more"),
    (["eval", "--agent", "oracle", "--context-tokens", "0"], "--context-tokens", "1 or more"),
    (["rollouts", "--agent", "oracle", "--out", "t.jsonl", "--envs", "0"], "--envs", "1 or more"),
    (["rollouts", "--agent", "oracle", "--out", "t.jsonl", "--episodes", "0"], "--episodes", "1 or more"),
    (["rollouts", "--agent", "oracle", "--out", "t.jsonl", "--samples", "-1"], "--samples", "1 or more"),
    (["rollouts", "--agent", "oracle", "--out", "t.jsonl", "--start-step", "-1"], "--start-step", "0 or more"),
    (["demo", "--limit", "0"], "--limit", "1 or more"),
    (["demo", "--workers", "-2"], "--workers", "1 or more"),
    (["demo", "--tour", "--slow-mo", "-1"], "--slow-mo", "0 or more"),
    (["serve", "--port", "70000"], "--port", "65535"),
    (["serve", "--port", "-1"], "--port", "65535"),
    (["bench", "--envs", "1", "0"], "--envs", "1 or more"),
    (["bench", "--scale-steps", "0"], "--scale-steps", "1 or more"),
    (["bench", "--model-sessions", "-1"], "--model-sessions", "0 or more"),
    (["train", "--sessions", "s.jsonl", "--out", "m", "--max-steps", "0"], "--max-steps", "-1 for no limit"),
    (["train", "--sessions", "s.jsonl", "--out", "m", "--epochs", "0"], "--epochs", "greater than 0"),
    (["train", "--sessions", "s.jsonl", "--out", "m", "--learning-rate", "-1"], "--learning-rate", "greater than 0"),
    (["train", "--sessions", "s.jsonl", "--out", "m", "--workers", "0"], "--workers", "1 or more"),
    (["train", "--sessions", "s.jsonl", "--out", "m", "--group-size", "1"], "--group-size", "2 or more"),
    (["train", "--sessions", "s.jsonl", "--out", "m", "--eval-limit", "0"], "--eval-limit", "1 or more"),
    (
        ["synthesize-rationales", "--model", "bundled", "--sessions", "s", "-o", "o.jsonl", "--limit", "0"],
        "--limit",
        "1 or more",
    ),
]


@pytest.mark.parametrize(
    ("argv", "argument", "allowed"), BAD_NUMBERS, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_bad_numbers_are_refused_naming_the_argument_and_range(argv, argument, allowed, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = refused(argv, capsys)
    assert f"argument {argument}" in err and "expected" in err and allowed in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing was started or written


def test_the_edges_of_each_range_are_accepted(tmp_path):
    """The checks are not stricter than the ranges they name."""
    parse = _build_parser().parse_args
    args = parse(
        ["eval", "--agent", "oracle", "--slow-mo", "0", "--limit", "1", "--screenshots", "0", "--workers", "1"]
    )
    assert (args.slow_mo, args.limit, args.screenshots, args.workers) == (0.0, 1, 0, 1)
    args = parse(["train", "--sessions", "s", "--out", str(tmp_path / "m"), "--max-steps", "-1", "--group-size", "2"])
    assert (args.max_steps, args.group_size) == (-1, 2)
    assert parse(["serve", "--port", "65535"]).port == 65535
    assert parse(["bench", "--envs", "1", "3"]).envs == [1, 3]


# -- output paths -------------------------------------------------------------------------------------
def test_output_paths_are_checked_before_any_work(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("folder").mkdir()
    Path("file.txt").write_text("mine")
    cases = [
        (["generate", "--sessions", "2", "-o", "missing_dir/x.jsonl"], "-o/--output", "missing_dir does not exist"),
        (["generate", "--sessions", "2", "-o", "folder"], "-o/--output", "folder is a folder"),
        (["eval", "--agent", "oracle", "--out", "file.txt"], "--out", "file.txt is a file, not a folder"),
        (["eval", "--agent", "oracle", "--out", "file.txt/run"], "--out", "file.txt is a file"),
        (["demo", "--out", "file.txt"], "--out", "file.txt is a file"),
        (["record", "-o", "missing_dir/r.jsonl"], "-o/--output", "missing_dir does not exist"),
        (["import-opera", "rows.jsonl", "-o", "folder"], "-o/--output", "folder is a folder"),
        (["synthesize-rationales", "--model", "bundled", "--sessions", "s", "-o", "no/o.jsonl"], "-o/--output", "no"),
        (["rollouts", "--agent", "oracle", "--out", "folder"], "--out", "folder is a folder"),
        (["train", "--sessions", "s", "--out", "file.txt"], "--out", "file.txt is a file"),
        (["bench", "--json", "missing_dir/b.json"], "--json", "missing_dir does not exist"),
    ]
    for argv, argument, problem in cases:
        err = refused(argv, capsys)
        assert f"argument {argument}: " in err and problem in err, argv
        assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "folder"]
    assert list(Path("folder").iterdir()) == []


def test_generate_main_checks_its_output_before_generating(capsys, tmp_path):
    from webmimic.shoppers.generate import generate_main

    assert generate_main("shop", 3, 0, tmp_path / "missing" / "x.jsonl") == 2
    err = capsys.readouterr().err
    assert "missing does not exist" in err and "mkdir -p" in err
    assert list(tmp_path.iterdir()) == []


def test_output_problems(tmp_path):
    (tmp_path / "f").write_text("x")
    assert output_file_problem(tmp_path / "new.jsonl") is None
    assert output_file_problem(tmp_path) == f"{tmp_path} is a folder; name a file (inside it, or elsewhere) instead"
    assert "does not exist" in str(output_file_problem(tmp_path / "a" / "b.jsonl"))
    assert "is a file, not a folder" in str(output_file_problem(tmp_path / "f" / "b.jsonl"))
    assert output_dir_problem(tmp_path / "a" / "b") is None  # created with its parents
    assert "is a file, not a folder" in str(output_dir_problem(tmp_path / "f"))
    assert f"{tmp_path / 'f'} is a file, so the folder" in str(output_dir_problem(tmp_path / "f" / "run"))


def test_remove_own_files_removes_nothing_unless_all_are_its_own(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.jpg").write_bytes(b"1")
    (tmp_path / "ours.txt").write_text("x")
    (tmp_path / "notes.md").write_text("mine")
    (tmp_path / "link").symlink_to(tmp_path / "sub", target_is_directory=True)

    def ours(path):
        return path.name in ("a.jpg", "ours.txt")

    assert remove_own_files(tmp_path, ours) == ["link", "notes.md"]
    assert {p.name for p in tmp_path.iterdir()} == {"sub", "ours.txt", "notes.md", "link"}
    (tmp_path / "notes.md").unlink()
    (tmp_path / "link").unlink()
    assert remove_own_files(tmp_path, ours) == []
    assert tmp_path.is_dir() and list(tmp_path.iterdir()) == []


# -- run folders: --resume, --force, and nothing of the user's removed --------------------------------
@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory) -> Path:
    """A finished eval run (oracle, the first bundled test session, with screenshots)."""
    out = tmp_path_factory.mktemp("earlier") / "run"
    assert main(["eval", "--agent", "oracle", "--limit", "1", "--screenshots", "1", "--out", str(out)]) == 0
    assert {MANIFEST_FILE, STEPS_FILE, METRICS_FILE, REPORT_FILE, "shots"} <= {p.name for p in out.iterdir()}
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def run_copy(earlier_run, tmp_path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(earlier_run, out)
    return out


@pytest.mark.parametrize(
    "command", [["eval", "--agent", "oracle", "--limit", "1"], ["demo", "--agent", "oracle", "--limit", "1"]]
)
def test_an_earlier_run_is_kept_without_resume_or_force(command, run_copy, capsys):
    before = snapshot(run_copy)
    assert main([*command, "--out", str(run_copy)]) == 2
    err = capsys.readouterr().err
    assert f"{run_copy} holds an earlier run" in err and "--resume" in err and "--force" in err
    assert snapshot(run_copy) == before


def test_demo_does_not_advise_resume_for_a_folder_that_is_not_a_run(tmp_path, capsys):
    (tmp_path / "notes.md").write_text("mine")
    assert main(["demo", "--agent", "oracle", "--limit", "1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not an eval run directory" in err and "choose another --out" in err and "--resume" not in err
    assert main(["demo", "--agent", "oracle", "--limit", "1", "--out", str(tmp_path), "--force"]) == 2
    assert "not one" in capsys.readouterr().err
    assert (tmp_path / "notes.md").read_text() == "mine"


def test_force_refuses_when_the_run_folder_holds_files_of_the_users(run_copy, capsys):
    (run_copy / "notes.md").write_text("my analysis")
    (run_copy / "shots" / "mine.png").write_bytes(b"png")
    before = snapshot(run_copy)
    assert main(["eval", "--agent", "oracle", "--limit", "1", "--out", str(run_copy), "--force"]) == 2
    err = capsys.readouterr().err
    assert "notes.md" in err and "shots/mine.png" in err and "Nothing was removed" in err
    assert snapshot(run_copy) == before


def test_resume_continues_and_force_replaces_only_the_runs_own_files(run_copy, capsys):
    steps = (run_copy / STEPS_FILE).read_bytes()
    assert main(["demo", "--agent", "oracle", "--limit", "1", "--out", str(run_copy), "--resume"]) == 0
    assert (run_copy / STEPS_FILE).read_bytes() == steps  # its one session was finished: nothing redone
    stale = run_copy / "shots" / "gone" / "7.jpg"
    stale.parent.mkdir()
    stale.write_bytes(b"an earlier run's screenshot")
    (run_copy / f".{STEPS_FILE}.abc123.tmp").write_bytes(b"left by a hard kill")
    capsys.readouterr()
    argv = ["eval", "--agent", "oracle", "--limit", "1", "--screenshots", "0", "--out", str(run_copy), "--force"]
    assert main(argv) == 0
    assert not stale.exists() and not (run_copy / "shots").exists()  # --screenshots 0: the new run has none
    assert not (run_copy / f".{STEPS_FILE}.abc123.tmp").exists()
    assert json.loads((run_copy / MANIFEST_FILE).read_text())["agent"] == "oracle"
    assert json.loads((run_copy / METRICS_FILE).read_text())["sessions"] == 1


def test_resume_and_force_together_are_refused(capsys):
    err = refused(["eval", "--agent", "oracle", "--resume", "--force"], capsys)
    assert "argument --force: not allowed with argument --resume" in err


# -- session files: checked before the run folder is made ---------------------------------------------
def test_an_empty_sessions_file_is_refused_before_the_run_folder_exists(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert main(["eval", "--agent", "oracle", "--sessions", str(empty), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert str(empty) in err and "no sessions" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()
    assert main(["validate", str(empty)]) == 1
    captured = capsys.readouterr()
    assert "OK" not in captured.out and str(empty) in captured.err


def test_an_unknown_site_is_refused_before_any_session_runs(tmp_path, capsys):
    with gzip.open(bundled_sessions_path("test"), "rt", encoding="utf-8") as fh:
        lines = [json.loads(fh.readline()) for _ in range(2)]
    lines[1]["site"] = "mall"
    sessions = tmp_path / "mixed.jsonl"
    sessions.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert main(["eval", "--agent", "oracle", "--sessions", str(sessions), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert f"{sessions}:2" in err and "'site'" in err and "mall" in err and "known sites: shop" in err
    assert not (tmp_path / "run").exists()
