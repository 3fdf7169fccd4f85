"""The session file format: round trips, and every bad input named by file, line and field."""

from __future__ import annotations

import copy
import gzip
import json
import os

import pytest

from webmimic.core.actions import Action
from webmimic.core.errors import DataFormatError
from webmimic.replay.session import (
    FORMAT,
    FrozenDict,
    Persona,
    Session,
    Step,
    find_session,
    iter_sessions,
    read_sessions,
    validate_files,
    write_sessions,
)


def live_dict(sid: str = "live-1", outcome: str = "purchase") -> dict:
    steps = [
        {
            "action": {"type": "type_and_submit", "name": "search_input", "text": "red mug"},
            "url": "http://127.0.0.1:5000/",
            "timestamp": "2025-03-01T10:00:00Z",
            "page": None,
            "rationale": "I want a mug.",
            "click_type": "search",
        },
        {
            "action": {"type": "click", "name": "search_results.red_mug.view_product"},
            "url": "http://127.0.0.1:5000/search?q=red+mug",
            "timestamp": "2025-03-01T10:00:04Z",
            "page": "<html><body>results</body></html>",
            "rationale": None,
            "click_type": None,
        },
    ]
    if outcome == "purchase":
        steps.append(
            {
                "action": {"type": "click", "name": "buy_now"},
                "url": "http://127.0.0.1:5000/product/red-mug",
                "timestamp": "2025-03-01T10:00:09+00:00",
                "page": None,
                "rationale": None,
                "click_type": "purchase",
            }
        )
    else:
        steps.append(
            {
                "action": {"type": "terminate"},
                "url": "http://127.0.0.1:5000/product/red-mug",
                "timestamp": "2025-03-01T10:00:09",
                "page": None,
                "rationale": "Too expensive.",
                "click_type": None,
            }
        )
    return {
        "format": FORMAT,
        "id": sid,
        "site": "shop",
        "start_url": "/",
        "persona": {"id": "p7", "text": "A student on a budget.", "age": 21, "big_five": {"openness": 0.7}},
        "source": "synthetic",
        "steps": steps,
        "outcome": outcome,
        "meta": {"note": "hand-made", "tags": ["a", "b"]},
    }


def snapshot_dict(sid: str = "snap-1") -> dict:
    page = '<html><body><button name="buy_now">Buy</button></body></html>'
    return {
        "format": FORMAT,
        "id": sid,
        "site": "snapshot",
        "start_url": "https://www.amazon.com/",
        "persona": None,
        "source": "opera",
        "steps": [
            {
                "action": {"type": "click", "name": "buy_now"},
                "url": "https://www.amazon.com/dp/x",
                "timestamp": "2025-03-01T10:00:00.000Z",
                "page": page,
                "rationale": None,
                "click_type": "purchase",
            },
        ],
        "outcome": "purchase",
        "meta": {},
    }


def write_lines(path, objs) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        for obj in objs:
            fh.write((obj if isinstance(obj, str) else json.dumps(obj)) + "\n")
    return str(path)


def load_error(tmp_path, obj) -> DataFormatError:
    path = write_lines(tmp_path / "bad.jsonl", [live_dict("ok-first"), obj])
    with pytest.raises(DataFormatError) as info:
        read_sessions(path)
    return info.value


def assert_names(err: DataFormatError, path_end: str, line: int, field: str) -> None:
    text = str(err)
    assert err.path.endswith(path_end) and path_end in text
    assert err.line == line and f":{line}" in text
    assert err.field == field and field in text


# ----------------------------------------------------------------------------- round trips


def test_dict_round_trip_is_exact():
    for d in (live_dict(), live_dict("t", "terminate"), snapshot_dict()):
        session = Session.from_dict(d)
        assert session.to_dict() == d
        assert Session.from_dict(session.to_dict()) == session


def test_records_are_frozen_and_typed():
    session = Session.from_dict(live_dict())
    assert isinstance(session.steps, tuple) and isinstance(session.steps[0], Step)
    assert session.steps[0].action == Action.type_and_submit("search_input", "red mug")
    assert session.persona == Persona("p7", "A student on a budget.", {"age": 21, "big_five": {"openness": 0.7}})
    with pytest.raises(AttributeError):
        session.id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        session.meta["note"] = "changed"  # type: ignore[index]
    hash(session)


@pytest.mark.parametrize("name", ["sessions.jsonl", "sessions.jsonl.gz"])
def test_write_read_round_trip(tmp_path, name):
    sessions = [
        Session.from_dict(live_dict("a")),
        Session.from_dict(live_dict("b", "terminate")),
        Session.from_dict(snapshot_dict("c")),
    ]
    path = tmp_path / name
    write_sessions(path, sessions)
    assert read_sessions(path) == sessions
    assert list(iter_sessions(str(path))) == sessions
    if name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            assert json.loads(fh.readline())["format"] == FORMAT
    else:
        assert all(json.loads(line)["format"] == FORMAT for line in path.read_text().splitlines())
    assert os.listdir(tmp_path) == [name]


def test_empty_lines_are_skipped(tmp_path):
    path = write_lines(tmp_path / "s.jsonl", ["", json.dumps(live_dict("a")), "   ", json.dumps(live_dict("b"))])
    assert [s.id for s in read_sessions(path)] == ["a", "b"]


def test_find_session():
    sessions = [Session.from_dict(live_dict("a")), Session.from_dict(live_dict("b"))]
    assert find_session(sessions, "b") is sessions[1]
    with pytest.raises(KeyError, match="'a'"):
        find_session(sessions, "zzz")


# ----------------------------------------------------------------------------- bad inputs


def test_malformed_json_names_line_and_column(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [live_dict("a"), '{"format": "webmimic.session/1", "id": }'])
    with pytest.raises(DataFormatError) as info:
        read_sessions(path)
    assert info.value.line == 2 and "bad.jsonl:2" in str(info.value) and "column" in str(info.value)


def test_json_nested_past_the_stack_is_an_error_not_a_crash(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", [live_dict("a"), '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"])
    with pytest.raises(DataFormatError, match="nested too deeply") as info:
        read_sessions(path)
    assert info.value.line == 2


def test_wrong_format_version_lists_supported(tmp_path):
    d = live_dict()
    d["format"] = "webmimic.session/9"
    err = load_error(tmp_path, d)
    assert_names(err, "bad.jsonl", 2, "format")
    assert "webmimic.session/1" in str(err)


@pytest.mark.parametrize("key", ["format", "id", "site", "start_url", "source", "steps", "outcome"])
def test_missing_field(tmp_path, key):
    d = live_dict()
    del d[key]
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, key)


def test_missing_step_field(tmp_path):
    d = live_dict()
    del d["steps"][1]["timestamp"]
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "steps[1].timestamp")


def test_unknown_top_level_key(tmp_path):
    d = live_dict()
    d["outcom"] = "purchase"
    err = load_error(tmp_path, d)
    assert_names(err, "bad.jsonl", 2, "outcom")
    assert "meta" in str(err)


def test_unknown_step_key(tmp_path):
    d = live_dict()
    d["steps"][0]["rationle"] = "typo"
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "steps[0].rationle")


def test_extra_keys_allowed_in_meta_and_persona():
    d = live_dict()
    d["meta"]["anything"] = {"nested": [1, 2]}
    d["persona"]["mbti"] = "INTJ"
    assert Session.from_dict(d).to_dict() == d


def test_unknown_action_type(tmp_path):
    d = live_dict()
    d["steps"][1]["action"] = {"type": "scroll", "name": "x"}
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "steps[1].action.type")


def test_click_without_name(tmp_path):
    d = live_dict()
    d["steps"][1]["action"] = {"type": "click"}
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "steps[1].action.name")


def test_type_without_text(tmp_path):
    d = live_dict()
    d["steps"][0]["action"] = {"type": "type_and_submit", "name": "search_input"}
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "steps[0].action.text")


def test_bad_timestamp(tmp_path):
    d = live_dict()
    d["steps"][0]["timestamp"] = "yesterday"
    err = load_error(tmp_path, d)
    assert_names(err, "bad.jsonl", 2, "steps[0].timestamp")
    assert "ISO 8601" in str(err)


def test_terminate_in_the_middle(tmp_path):
    d = live_dict(outcome="terminate")
    d["steps"][0]["action"] = {"type": "terminate"}
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "steps[0].action.type")


@pytest.mark.parametrize(
    "outcome,last", [("purchase", {"type": "terminate"}), ("terminate", {"type": "click", "name": "buy_now"})]
)
def test_outcome_mismatch(tmp_path, outcome, last):
    d = live_dict(outcome=outcome)
    d["steps"][-1]["action"] = last
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "outcome")


def test_purchase_must_end_in_click(tmp_path):
    d = live_dict()
    d["steps"][-1]["action"] = {"type": "type_and_submit", "name": "search_input", "text": "x"}
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "outcome")


def test_snapshot_without_page(tmp_path):
    d = snapshot_dict()
    d["steps"][0]["page"] = None
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "steps[0].page")


def test_snapshot_purchase_click_type(tmp_path):
    d = snapshot_dict()
    d["steps"][0]["click_type"] = "product_link"
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "steps[0].click_type")


def test_live_start_url_must_be_a_path(tmp_path):
    d = live_dict()
    d["start_url"] = "shop/home"
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "start_url")


def test_no_steps(tmp_path):
    d = live_dict()
    d["steps"] = []
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "steps")


def test_unknown_source(tmp_path):
    d = live_dict()
    d["source"] = "made-up"
    err = load_error(tmp_path, d)
    assert_names(err, "bad.jsonl", 2, "source")
    assert "synthetic" in str(err)


def test_wrong_types(tmp_path):
    d = live_dict()
    d["persona"] = "student"
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "persona")
    d = live_dict()
    d["steps"][0]["page"] = 42
    assert_names(load_error(tmp_path, d), "bad.jsonl", 2, "steps[0].page")


def test_line_not_an_object(tmp_path):
    path = write_lines(tmp_path / "bad.jsonl", ["[1, 2]"])
    with pytest.raises(DataFormatError) as info:
        read_sessions(path)
    assert info.value.line == 1


def test_duplicate_ids_name_both_lines(tmp_path):
    path = write_lines(tmp_path / "dup.jsonl", [live_dict("a"), live_dict("b"), live_dict("a")])
    with pytest.raises(DataFormatError) as info:
        read_sessions(path)
    err = info.value
    assert_names(err, "dup.jsonl", 3, "id")
    assert "line 1" in str(err)


def test_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match="nope.jsonl"):
        read_sessions(tmp_path / "nope.jsonl")


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "s.jsonl.gz"
    path.write_bytes(gzip.compress(json.dumps(live_dict()).encode())[:30])
    with pytest.raises(DataFormatError, match="s.jsonl.gz"):
        read_sessions(path)


def test_purchase_names_for_live_sites(tmp_path):
    d = live_dict()
    d["steps"][-1]["action"]["name"] = "add_to_cart"
    path = write_lines(tmp_path / "s.jsonl", [live_dict("good"), d | {"id": "bad"}])
    names = lambda site: frozenset({"buy_now"})  # noqa: E731
    assert validate_files([path]) == []
    problems = validate_files([path], purchase_names_for=names)
    assert len(problems) == 1
    assert_names(problems[0], "s.jsonl", 2, "steps[2].action.name")
    assert "buy_now" in str(problems[0])
    with pytest.raises(DataFormatError):
        read_sessions(path, purchase_names_for=names)


def test_constructing_an_inconsistent_session_fails():
    step = Step(Action.click("x"), "u", "2025-03-01T10:00:00Z")
    with pytest.raises(DataFormatError, match="outcome"):
        Session("a", "shop", "/", (step,), "terminate")
    with pytest.raises(DataFormatError, match="at least one step"):
        Session("a", "shop", "/", (), "terminate")


# ----------------------------------------------------------------------------- validate_files


def test_validate_files_collects_every_problem(tmp_path):
    bad_action = live_dict("x")
    bad_action["steps"][1]["action"] = {"type": "click"}
    two_problems = live_dict("y")
    two_problems["site"] = 3
    two_problems["colour"] = "red"
    first = write_lines(tmp_path / "one.jsonl", [live_dict("a"), bad_action, "{not json", two_problems, live_dict("a")])
    wrong_version = live_dict("z")
    wrong_version["format"] = "webmimic.session/0"
    second = write_lines(tmp_path / "two.jsonl", [wrong_version, live_dict("ok")])
    problems = validate_files([first, second])
    where = [(os.path.basename(p.path), p.line, p.field) for p in problems]
    assert where == [
        ("one.jsonl", 2, "steps[1].action.name"),
        ("one.jsonl", 3, None),
        ("one.jsonl", 4, "colour"),
        ("one.jsonl", 4, "site"),
        ("one.jsonl", 5, "id"),
        ("two.jsonl", 1, "format"),
    ]
    assert all(isinstance(p, DataFormatError) for p in problems)


def test_validate_files_clean(tmp_path):
    path = tmp_path / "s.jsonl.gz"
    write_sessions(path, [Session.from_dict(live_dict())])
    assert validate_files([path]) == []


# ----------------------------------------------------------------------------- atomic writes


class Unserialisable:
    pass


def test_failed_write_keeps_existing_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "s.jsonl"
    good = [Session.from_dict(live_dict("a"))]
    write_sessions(path, good)
    before = path.read_bytes()
    bad = Session.from_dict(live_dict("b"))
    bad = Session(
        bad.id, bad.site, bad.start_url, bad.steps, bad.outcome, bad.persona, bad.source, {"obj": Unserialisable()}
    )
    with pytest.raises(DataFormatError, match="'b'"):
        write_sessions(path, [*good, bad])
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["s.jsonl"]


def test_write_failure_during_replace_removes_temp(tmp_path, monkeypatch):
    path = tmp_path / "s.jsonl"

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_sessions(path, [Session.from_dict(live_dict())])
    assert os.listdir(tmp_path) == []


def test_write_rejects_duplicate_ids(tmp_path):
    s = Session.from_dict(live_dict("a"))
    with pytest.raises(DataFormatError, match="duplicate"):
        write_sessions(tmp_path / "s.jsonl", [s, s])
    assert os.listdir(tmp_path) == []


def test_input_dict_is_not_mutated():
    d = live_dict()
    before = copy.deepcopy(d)
    Session.from_dict(d).to_dict()
    assert d == before


def test_frozen_mappings_still_serialise():
    session = Session.from_dict(live_dict())
    assert json.loads(json.dumps(dict(session.persona.fields))) == {"age": 21, "big_five": {"openness": 0.7}}
    assert json.loads(json.dumps(session.meta)) == {"note": "hand-made", "tags": ["a", "b"]}
    with pytest.raises(TypeError):
        session.persona.fields["big_five"]["openness"] = 1.0  # type: ignore[index]
    copied = copy.deepcopy(session)  # whole, as Ray sends sessions to its workers
    assert copied == session and isinstance(copied.meta, FrozenDict)


def test_purchase_name_may_be_a_dotted_suffix(tmp_path):
    d = live_dict()
    d["steps"][-1]["action"]["name"] = "product.buy_now"
    path = write_lines(tmp_path / "s.jsonl", [d])
    assert validate_files([path], purchase_names_for=lambda site: frozenset({"buy_now"})) == []


def test_unknown_site_is_reported(tmp_path):
    from webmimic.core.errors import SiteError

    def names(site):
        raise SiteError(f"no site {site!r}")

    path = write_lines(tmp_path / "s.jsonl", [live_dict("a"), live_dict("b")])
    problems = validate_files([path], purchase_names_for=names)
    assert [(p.line, p.field) for p in problems] == [(1, "site"), (2, "site")]
