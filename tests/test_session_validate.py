"""``validate_main``: what ``webmimic validate FILE...`` prints and returns."""

from __future__ import annotations

import json

from test_session_format import live_dict, snapshot_dict
from webmimic.replay.session import FORMAT, Session, write_sessions
from webmimic.replay.validate import validate_main


def test_clean_files(tmp_path, capsys):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz"
    write_sessions(a, [Session.from_dict(live_dict("1")), Session.from_dict(live_dict("2", "terminate"))])
    write_sessions(b, [Session.from_dict(snapshot_dict("3"))])
    assert validate_main([str(a), str(b)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "OK: 3 sessions in 2 files"
    assert err == ""


def test_problems_one_per_line(tmp_path, capsys):
    bad = live_dict("x")
    bad["steps"][1]["action"] = {"type": "click"}
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(live_dict("a")) + "\n" + json.dumps(bad) + "\n" + '{"format": "' + FORMAT + '", \n')
    assert validate_main([str(path)]) == 1
    out, err = capsys.readouterr()
    assert "OK" not in out
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"{path}:2: steps[1].action.name: ")
    assert lines[1].startswith(f"{path}:3: malformed JSON")
    assert lines[-1].startswith("FAILED: 2 problem(s)")


def test_missing_file_and_no_args(tmp_path, capsys):
    assert validate_main([str(tmp_path / "none.jsonl")]) == 1
    assert "none.jsonl" in capsys.readouterr().err
    assert validate_main([]) == 1
    assert "at least one" in capsys.readouterr().err


def test_purchase_names_for(tmp_path, capsys):
    path = tmp_path / "s.jsonl"
    write_sessions(path, [Session.from_dict(live_dict("a"))])
    assert validate_main([str(path)], purchase_names_for=lambda site: frozenset({"place_order"})) == 1
    assert "place_order" in capsys.readouterr().err
