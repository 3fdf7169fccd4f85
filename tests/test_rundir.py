"""The run directory: the step record's exact bytes, the one torn-line policy, atomic writes."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
import pickle
from typing import Any

import pytest

from webmimic.core.actions import Action
from webmimic.core.errors import EvalRunError
from webmimic.core.match import compare_actions
from webmimic.evaluation.rundir import (
    MANIFEST_FILE,
    METRICS_FILE,
    STEPS_FILE,
    Boxes,
    StepRecord,
    StepsWriter,
    read_manifest,
    read_metrics,
    read_steps,
    rewrite_steps,
    shot_path,
    write_manifest,
    write_metrics,
)

SEARCH = Action.type_and_submit("search_input", "red shoes ü")
CLICK = Action.click("search_results.x.view_product")


def record(
    session: str = "s-1", step: int = 1, human: Action = SEARCH, agent: Action | None = SEARCH, **changes: Any
) -> StepRecord:
    base = StepRecord(
        session_id=session,
        step=step,
        human_action=human,
        agent_action=agent,
        raw_output=json.dumps({"rationale": "r", "action": agent.to_dict() if agent else None}),
        agent_rationale="r" if agent else None,
        human_rationale="Looking for shoes",
        error=None,
        match=compare_actions(agent, human),
        click_type=None,
        url="/search?q=shoes",
        timings={"agent_ms": 0.25, "reset_ms": 1347.351175, "step_ms": 192.8681880000056},
        screenshot=None,
        boxes=Boxes(),
        is_last=False,
        outcome="terminate",
    )
    return dataclasses.replace(base, **changes)


# A line exactly as `webmimic eval` wrote it before StepRecord existed (ensure_ascii=False, this key order).
LEGACY_LINE = (
    '{"session_id": "syn-0-00003", "step": 2, "human_action": {"type": "type_and_submit", "name": "search_input", '
    '"text": "uv400 sport sunglasses ü"}, "agent_action": {"type": "click", "name": "search_results.a.view_product"}, '
    '"raw_output": "{\\"action\\": {\\"type\\": \\"click\\"}}", "agent_rationale": null, "human_rationale": "cheap", '
    '"error": null, "match": {"exact": false, "type": false, "name": false, "text": false}, "click_type": null, '
    '"url": "/search?q=a", "timings": {"agent_ms": 0.7166729999994459, "reset_ms": 1347.351175, '
    '"screenshot_ms": 30.5, "step_ms": 192}, "screenshot": "shots/syn-0-00003/2.jpg", '
    '"boxes": {"human": [12.5, 80.0, 300, 24.2], "agent": null}, "is_last": true, "outcome": "purchase"}\n'
)


def test_legacy_line_round_trips_to_identical_bytes(tmp_path):
    path = tmp_path / STEPS_FILE
    path.write_bytes(LEGACY_LINE.encode() * 2)
    steps = read_steps(path)
    assert len(steps.records) == 2 and not steps.torn
    rec = steps.records[0]
    assert rec.to_line() == LEGACY_LINE.encode()
    assert list(rec.to_dict()) == list(json.loads(LEGACY_LINE))
    assert rec.human_action == Action.type_and_submit("search_input", "uv400 sport sunglasses ü")
    assert rec.boxes.human == (12.5, 80.0, 300, 24.2) and rec.boxes.agent is None
    assert not rec.exact and rec.key == ("syn-0-00003", 2) and not rec.invalid
    rewrite_steps(path, steps.records)
    assert path.read_bytes() == LEGACY_LINE.encode() * 2


def test_record_round_trips_and_pickles():
    rec = record(agent=None, error="ActionParseError: no JSON", boxes=Boxes((1.0, 2.0, 3.0, 4.0), None))
    again = StepRecord.from_dict(json.loads(rec.to_line()))
    assert again == rec and again.to_line() == rec.to_line()
    assert rec.invalid and not rec.exact
    assert pickle.loads(pickle.dumps(rec)) == rec  # records cross from worker processes


def test_torn_last_line_is_dropped_and_flagged(tmp_path):
    path = tmp_path / STEPS_FILE
    whole = record(step=1).to_line() + record(step=2).to_line()
    path.write_bytes(whole + record(step=3).to_line()[:40])
    steps = read_steps(path)
    assert [r.step for r in steps.records] == [1, 2] and steps.torn
    path.write_bytes(whole + record(step=3).to_line()[:-1])  # even a whole record without its newline
    assert read_steps(path).torn and len(read_steps(path).records) == 2


def test_missing_and_empty_files_have_no_records(tmp_path):
    missing = read_steps(tmp_path / STEPS_FILE)
    assert missing.records == () and not missing.torn
    (tmp_path / STEPS_FILE).write_bytes(b"")
    assert read_steps(tmp_path / STEPS_FILE).records == ()


@pytest.mark.parametrize("bad", [b"not json", b"", b"[1, 2]", b"\xff\xfe"])
def test_a_bad_complete_line_raises_with_file_and_line(tmp_path, bad):
    path = tmp_path / STEPS_FILE
    path.write_bytes(record(step=1).to_line() + bad + b"\n" + record(step=2).to_line())
    with pytest.raises(EvalRunError, match=rf"{STEPS_FILE}:2: .*--resume"):
        read_steps(path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("step", "2"),
        ("step", True),
        ("is_last", 1),
        ("agent_action", {"type": "fly"}),
        ("outcome", "bought"),
        ("match", {"exact": True, "type": False, "name": None, "text": None}),
        ("boxes", {"human": [1, 2, 3]}),
        ("timings", {"agent_ms": "fast"}),
        ("human_action", None),
        ("screenshot", 3),
    ],
)
def test_bad_field_is_named(tmp_path, field, value):
    data = record().to_dict()
    data[field] = value
    path = tmp_path / STEPS_FILE
    path.write_text(record().to_line().decode() + json.dumps(data) + "\n", encoding="utf-8")
    with pytest.raises(EvalRunError, match=rf"{STEPS_FILE}:2: field '{field}': "):
        read_steps(path)


def test_missing_and_unknown_fields_are_named():
    data = record().to_dict()
    del data["url"]
    with pytest.raises(EvalRunError, match=r"x\.jsonl:7: field 'url': missing"):
        StepRecord.from_dict(data, path="x.jsonl", line=7)
    with pytest.raises(EvalRunError, match=r"field 'viewport': unknown field"):
        StepRecord.from_dict({**record().to_dict(), "viewport": [1, 2]})


def test_writer_appends_sessions_and_screenshots(tmp_path):
    shot = shot_path("s/1", 1)
    assert shot.startswith("shots/") and "/" not in shot.split("/")[1]
    with StepsWriter(tmp_path) as writer:
        writer.write([record(step=1, screenshot=shot)], {shot: b"\xff\xd8jpeg"})
        writer.write([record("s-2", 1), record("s-2", 2)])
    assert (tmp_path / shot).read_bytes() == b"\xff\xd8jpeg"
    assert [r.key for r in read_steps(tmp_path / STEPS_FILE).records] == [("s-1", 1), ("s-2", 1), ("s-2", 2)]
    with StepsWriter(tmp_path) as writer, pytest.raises(EvalRunError, match="outside the run directory"):
        writer.write([], {"../escape.jpg": b"x"})
    assert not (tmp_path.parent / "escape.jpg").exists()


def interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def test_ctrl_c_in_a_write_cuts_back_half_a_session_and_keeps_a_whole_one(tmp_path, monkeypatch):
    """Ctrl-C is raised at the exact syscall, the one way to land it there every time."""
    first, later = [record("s-1", 1)], [record("s-2", 1), record("s-2", 2)]
    real_write = os.write

    def half_then_ctrl_c(fd: int, data: bytes) -> int:
        monkeypatch.setattr(os, "write", interrupt)
        return real_write(fd, data[:10])

    with StepsWriter(tmp_path) as writer:
        writer.write(first)
        monkeypatch.setattr(os, "write", half_then_ctrl_c)
        with pytest.raises(KeyboardInterrupt):
            writer.write(later)
        monkeypatch.setattr(os, "write", real_write)
        steps = read_steps(tmp_path / STEPS_FILE)
        assert steps.records == tuple(first) and not steps.torn  # the half session was cut back
        monkeypatch.setattr(os, "fsync", interrupt)  # all of it written, Ctrl-C in the fsync
        with pytest.raises(KeyboardInterrupt):
            writer.write(later)
        monkeypatch.undo()
    steps = read_steps(tmp_path / STEPS_FILE)
    assert steps.records == tuple(first + later) and not steps.torn  # kept: the kernel has its bytes


def test_atomic_writes_leave_no_temp_files(tmp_path):
    write_manifest(tmp_path, {"agent": "oracle", "seed": 0})
    write_metrics(tmp_path, {"exact_match": 0.5, "agent": "orácle"})
    rewrite_steps(tmp_path / STEPS_FILE, [record()])
    with StepsWriter(tmp_path) as writer:
        writer.write([record(step=2)], {shot_path("s-1", 2): b"img"})
    assert read_manifest(tmp_path) == {"agent": "oracle", "seed": 0}
    assert read_metrics(tmp_path) == {"exact_match": 0.5, "agent": "orácle"}
    assert (tmp_path / METRICS_FILE).read_text(encoding="utf-8") == json.dumps(
        {"exact_match": 0.5, "agent": "orácle"}, indent=2, ensure_ascii=False
    )
    every = [p.name for p in Path(tmp_path).rglob("*")]
    assert not [n for n in every if n.startswith(".") or n.endswith(".tmp")], every
    assert {MANIFEST_FILE, METRICS_FILE, STEPS_FILE} <= set(every)


def test_damaged_json_files_raise(tmp_path):
    assert read_manifest(tmp_path) is None and read_metrics(tmp_path) is None
    (tmp_path / METRICS_FILE).write_text("{", encoding="utf-8")
    with pytest.raises(EvalRunError, match=METRICS_FILE):
        read_metrics(tmp_path)
    (tmp_path / MANIFEST_FILE).write_text("[]", encoding="utf-8")
    with pytest.raises(EvalRunError, match="expected a JSON object"):
        read_manifest(tmp_path)
