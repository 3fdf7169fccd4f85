"""Full disks (issue 10): a write that runs out of space is a clear error, and nothing before it is lost.

Two real full disks: ``/dev/full`` (every write fails with ENOSPC), and a small tmpfs mounted in
a private user and mount namespace (``unshare``), which fills up like a real disk, part-way
through a write included. The tmpfs tests run their scenario in a child process inside the
namespace and are skipped, saying why, where unprivileged namespaces are not allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
import errno
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys

import pytest

from test_rundir import record
from webmimic.agents.checkpoints import checkpoints_to_resume
from webmimic.agents.examples import replay_examples, write_examples
from webmimic.core.errors import DiskFullError, ModelFolderError, WebmimicError
from webmimic.core.files import atomic_write
from webmimic.evaluation.rundir import STEPS_FILE, StepsWriter, read_steps
from webmimic.replay.bundled import bundled_sessions_path

TESTS = Path(__file__).resolve().parent
TRAIN = str(bundled_sessions_path("train"))


def test_appending_steps_to_a_full_disk_is_a_disk_full_error_naming_the_file(tmp_path):
    (tmp_path / STEPS_FILE).symlink_to("/dev/full")
    with StepsWriter(tmp_path) as writer, pytest.raises(DiskFullError) as info:
        writer.write([record("s-1", 1), record("s-1", 2, is_last=True)])
    err = info.value
    assert isinstance(err, WebmimicError) and isinstance(err, OSError) and err.errno == errno.ENOSPC
    assert str(tmp_path / STEPS_FILE) in str(err) and "disk full" in str(err) and "--resume" in str(err)
    assert "Errno" not in str(err)


# -- a small tmpfs that fills up -------------------------------------------------------------------
def _namespaces_work() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs tmpfs /mnt"]
    return subprocess.run(probe, capture_output=True, check=False, timeout=30).returncode == 0


needs_tmpfs = pytest.mark.skipif(
    not _namespaces_work(), reason="needs unshare with unprivileged user and mount namespaces to mount a small tmpfs"
)


def run_in_small_disk(tmp_path: Path, scenario: str, size: str = "2m", *args: str) -> None:
    """Run ``scenario(folder, *args)`` of this module in a child process whose ``folder`` is a fresh tmpfs."""
    folder = tmp_path / "disk"
    folder.mkdir()
    code = f"import sys; sys.path[:0] = [{str(TESTS)!r}]; import test_faults_disk as t; t.{scenario}(*sys.argv[1:])"
    mount = (
        f'mount -t tmpfs -o size={size} tmpfs "$0" && py="$1" code="$2" && shift 2 && exec "$py" -c "$code" "$0" "$@"'
    )
    command = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", mount, str(folder), sys.executable, code]
    command += args
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "scenario passed" in done.stdout, done.stdout + done.stderr


def expect_disk_full(write: Callable[[], object], *said: str) -> DiskFullError:
    """``write()`` must fail with a ``DiskFullError`` whose message holds each of ``said``."""
    try:
        write()
    except DiskFullError as err:
        assert all(part in str(err) for part in said), str(err)
        return err
    raise AssertionError("a write to a full disk did not fail")


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the disk of ``folder`` with a filler file, then free ``leave`` bytes of it again."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:  # unbuffered: nothing left to flush when the disk is full
        try:
            while True:
                fh.write(b"\0" * 65536)
        except OSError as err:
            assert err.errno == errno.ENOSPC, err
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def scenario_atomic_write(where: str) -> None:
    folder = Path(where)
    target = folder / "run.json"
    atomic_write(target, '{"old": true}')
    fill(folder)
    expect_disk_full(lambda: atomic_write(target, json.dumps({"new": "x" * 100_000})), str(target), "left as it was")
    assert target.read_text() == '{"old": true}'
    assert sorted(os.listdir(folder)) == ["filler", "run.json"], os.listdir(folder)  # no temp file left
    print("scenario passed")


@needs_tmpfs
def test_an_atomic_write_to_a_full_disk_keeps_the_old_file_and_leaves_no_temp_file(tmp_path):
    run_in_small_disk(tmp_path, "scenario_atomic_write")


def scenario_steps_cut_back(where: str) -> None:
    folder = Path(where)
    first = [record("s-1", 1), record("s-1", 2, is_last=True)]
    later = [record("s-2", i, is_last=i == 199, raw_output="x" * 200) for i in range(1, 200)]
    with StepsWriter(folder) as writer:
        writer.write(first)
        filler = fill(folder, leave=8192)  # room for a part of the next session, not all of it
        expect_disk_full(lambda: writer.write(later), str(folder / STEPS_FILE), "intact")
    steps = read_steps(folder / STEPS_FILE)
    assert steps.records == tuple(first) and not steps.torn  # the part written was cut back off
    filler.unlink()  # space freed: the run goes on where it stopped
    with StepsWriter(folder) as writer:
        writer.write(later)
    assert read_steps(folder / STEPS_FILE).records == tuple(first + later)
    print("scenario passed")


@needs_tmpfs
def test_steps_written_part_way_to_a_full_disk_are_cut_back_and_the_run_goes_on(tmp_path):
    run_in_small_disk(tmp_path, "scenario_steps_cut_back")


def scenario_eval_resumes(where: str) -> None:
    from webmimic.evaluation.rundir import METRICS_FILE
    from webmimic.evaluation.runner import EvalConfig, run_eval

    folder = Path(where)
    reference = run_eval(EvalConfig("oracle", out=str(folder / "reference"), limit=2, screenshots=0, progress=False))
    out = folder / "run"
    config = EvalConfig("oracle", out=str(out), limit=2, screenshots=0, progress=False)
    done: list[str] = []

    def fill_after_the_last(result) -> None:
        done.append(result.session_id)
        if len(done) == 2:
            fill(folder)

    expect_disk_full(lambda: run_eval(config, on_result=fill_after_the_last), str(out / METRICS_FILE), "--resume")
    assert not (out / METRICS_FILE).exists() and not [n for n in os.listdir(out) if n.endswith(".tmp")]
    assert {r.session_id for r in read_steps(out / STEPS_FILE).records} == set(done)
    (folder / "filler").unlink()
    redone: list[str] = []
    resumed = run_eval(
        EvalConfig("oracle", out=str(out), limit=2, screenshots=0, progress=False, resume=True),
        on_result=lambda result: redone.append(result.session_id),
    )
    assert redone == []  # no finished session is run again
    for key in ("sessions", "steps", "exact_match", "exact_match_micro", "invalid_outputs"):
        assert resumed[key] == reference[key], key
    print("scenario passed")


@needs_tmpfs
def test_an_eval_whose_metrics_hit_a_full_disk_resumes_to_the_same_metrics(tmp_path):
    run_in_small_disk(tmp_path, "scenario_eval_resumes", size="16m")


# -- training: checkpoints and the saved model -----------------------------------------------------
def test_resuming_skips_and_removes_a_checkpoint_left_half_written(tmp_path):
    complete, partial = tmp_path / "checkpoints" / "checkpoint-2", tmp_path / "checkpoints" / "checkpoint-10"
    complete.mkdir(parents=True)
    (complete / "trainer_state.json").write_text('{"global_step": 2}')
    partial.mkdir()
    (partial / "model.safetensors").write_bytes(b"\0" * 100)  # killed before its trainer_state.json
    with pytest.raises(ModelFolderError, match="--resume"):
        checkpoints_to_resume(tmp_path, resume=False)
    assert partial.exists()  # refused: nothing touched
    assert checkpoints_to_resume(tmp_path, resume=True) == str(complete)
    assert not partial.exists()


@pytest.fixture(scope="module")
def examples_file(tmp_path_factory) -> str:
    """Two bundled training sessions' examples (replayed once, in the real shop)."""
    path = tmp_path_factory.mktemp("examples") / "examples.jsonl"
    write_examples(path, replay_examples(TRAIN, limit=2))
    return str(path)


def scenario_no_room_for_a_checkpoint(where: str, examples: str) -> None:
    from webmimic.agents.hf import check_model_folder
    from webmimic.agents.train import TrainConfig, train

    out = Path(where) / "model"
    config = TrainConfig(sessions=None, examples=examples, out=str(out), limit=2, max_steps=2)
    out.mkdir()
    filler = fill(Path(where), leave=4 * 2**20)  # less than any checkpoint takes
    expect_disk_full(lambda: train(config), str(out / "checkpoints"), "checkpoint-2", "--resume")
    assert not any((out / "checkpoints").glob("checkpoint-*")) and not (out / "model.safetensors").exists()
    saved = (out / "examples.jsonl").read_bytes()
    assert saved == Path(examples).read_bytes()  # what was written before is intact
    filler.unlink()
    train(replace(config, resume=True))
    assert check_model_folder(out) == out
    print("scenario passed")


@needs_tmpfs
def test_training_without_room_for_a_checkpoint_stops_before_writing_and_resumes(tmp_path, examples_file):
    run_in_small_disk(tmp_path, "scenario_no_room_for_a_checkpoint", "200m", examples_file)


def scenario_no_room_for_the_model(where: str) -> None:
    from webmimic.agents.checkpoints import save_model_folder
    from webmimic.agents.train import tiny_model, tiny_tokenizer

    out = Path(where)
    tokenizer = tiny_tokenizer(["a shopper clicks, types and buys"] * 50, vocab_size=300)
    save_model_folder(tiny_model(tokenizer, 256, seed=0), tokenizer, out, {"n": 1}, "agent.json")
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    fill(out, leave=2**20)
    bigger = tiny_model(tokenizer, 256, seed=1, width=256)
    expect_disk_full(lambda: save_model_folder(bigger, tokenizer, out, {"n": 2}, "agent.json"), str(out), "--resume")
    assert {f.name: f.read_bytes() for f in out.iterdir() if f.name != "filler"} == before  # no half-written file
    print("scenario passed")


@needs_tmpfs
def test_saving_a_model_without_room_keeps_the_earlier_one_whole(tmp_path):
    run_in_small_disk(tmp_path, "scenario_no_room_for_the_model", "64m")
