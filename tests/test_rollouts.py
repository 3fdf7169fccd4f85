"""webmimic rollouts: trajectories as JSON Lines, several envs on one browser, resumable."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from envs_helpers import live_session
from webmimic.cli import main
from webmimic.core.errors import EvalRunError
from webmimic.evaluation.rollouts import ROLLOUT_FORMAT, RolloutConfig, run_rollouts
from webmimic.replay.session import write_sessions

STEP_KEYS = {"t", "obs_sha256", "raw_output", "action", "rationale", "error", "reward", "human_action", "match"}


@pytest.fixture(scope="module")
def sessions_file(wm_browser, shop_server, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sessions") / "live.jsonl"
    write_sessions(
        path, [live_session(wm_browser, shop_server, "a", buy=True), live_session(wm_browser, shop_server, "b")]
    )
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def without_timings(record: dict) -> dict:
    steps = [{k: v for k, v in s.items() if not k.endswith("_ms")} for s in record["steps"]]
    return {**{k: v for k, v in record.items() if k != "wall_ms"}, "steps": steps}


@pytest.fixture(scope="module")
def heuristic_run(sessions_file, tmp_path_factory) -> tuple[RolloutConfig, list[dict]]:
    out = tmp_path_factory.mktemp("rollouts") / "heuristic.jsonl"
    config = RolloutConfig("heuristic", str(out), str(sessions_file), envs=2, episodes=5, samples=2, progress=False)
    summary = run_rollouts(config)
    assert (summary["played"], summary["failed"]) == (5, 0)
    return config, lines(out)


def test_each_episode_is_a_line_with_its_trajectory(heuristic_run):
    _, records = heuristic_run
    by_episode = {r["episode"]: r for r in records}
    assert sorted(by_episode) == [0, 1, 2, 3, 4]
    assert [(by_episode[e]["session_id"], by_episode[e]["sample"]) for e in range(5)] == [
        ("a", 0),
        ("a", 1),
        ("b", 0),
        ("b", 1),
        ("a", 0),
    ]
    for record in records:
        assert record["format"] == ROLLOUT_FORMAT and record["run"]["agent"] == "heuristic"
        assert record["steps"] and all(set(s) >= STEP_KEYS for s in record["steps"])
        assert record["terminated"] or record["truncated"]
        assert record["return"] == sum(s["reward"] for s in record["steps"])
    # Greedy agents play a session the same way every time: same observations, same actions.
    same = [without_timings(by_episode[e]) for e in (0, 1, 4)]
    assert same[0]["steps"] == same[1]["steps"] == same[2]["steps"]


def test_a_cut_run_resumes_to_the_same_trajectories(heuristic_run, tmp_path):
    config, full = heuristic_run
    out = tmp_path / "cut.jsonl"
    first = Path(config.out).read_bytes().split(b"\n")[0]
    out.write_bytes(first + b"\n" + b'{"format": "webmimic.rollout/1", "run": {"ag')  # killed while writing
    cut = dataclasses.replace(config, out=str(out), resume=True)
    assert run_rollouts(cut)["played"] == 4
    resumed = sorted(lines(out), key=lambda r: r["episode"])
    assert [without_timings(r) for r in resumed] == [
        without_timings(r) for r in sorted(full, key=lambda r: r["episode"])
    ]


def test_rollouts_on_ray_actors_write_the_same_trajectories(heuristic_run, tmp_path):
    config, full = heuristic_run
    out = tmp_path / "ray.jsonl"
    assert run_rollouts(dataclasses.replace(config, out=str(out), ray="local"))["played"] == 5
    ordered = [sorted(records, key=lambda r: r["episode"]) for records in (lines(out), full)]
    assert [without_timings(r) for r in ordered[0]] == [without_timings(r) for r in ordered[1]]


def test_refusals_name_the_file_and_the_fix(heuristic_run, tmp_path):
    config, _ = heuristic_run
    with pytest.raises(EvalRunError, match="--resume"):
        run_rollouts(dataclasses.replace(config, progress=False))
    with pytest.raises(EvalRunError, match="another run"):
        run_rollouts(dataclasses.replace(config, agent="random", resume=True))
    with pytest.raises(EvalRunError, match="is a directory"):
        run_rollouts(dataclasses.replace(config, out=str(tmp_path)))
    with pytest.raises(ValueError, match="samples must be at least 1"):
        RolloutConfig("heuristic", "x.jsonl", samples=0)


def test_teacher_forced_rollouts_of_the_oracle_earn_full_partial_credit(sessions_file, tmp_path, capsys):
    out = tmp_path / "oracle.jsonl"
    args = ["rollouts", "--agent", "oracle", "--sessions", str(sessions_file), "--out", str(out)]
    assert main([*args, "--episodes", "2", "--envs", "2", "--follow", "human", "--start-step", "1"]) == 0
    assert "2 episodes played (2 in all, 0 failed)" in capsys.readouterr().out
    for record in lines(out):
        assert record["start_step"] == 1
        assert [s["reward"] for s in record["steps"]] == [1.0] * len(record["steps"])
        assert all(s["match"]["exact"] for s in record["steps"])
