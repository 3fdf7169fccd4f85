"""Bad files (issue 10): damaged session files, OPeRA rows and model folders are clear errors.

Each damaged file is a real file on disk, read by the real loader and the real ``webmimic``
command: the error names the file, the line and (where there is one) the field, says what would
fix it, the command exits non-zero without a traceback, and nothing is written.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
import shutil
import subprocess
import sys

import pytest

from opera_rows import OPERA_COLUMNS, make_opera_rows, write_jsonl, write_parquet
from tiny_model import build_tiny_model
from webmimic.agents import make_agent
from webmimic.agents.hf import HFAgent, check_model_folder
from webmimic.cli import main
from webmimic.core.errors import DataFormatError, ModelFolderError
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.jsonl import MAX_LINE_BYTES, read_json_lines
from webmimic.replay.opera import import_opera
from webmimic.replay.session import check_files, read_sessions

NOT_KEPT = ("mouse_position", "element_meta", "window_size", "page_meta", "products", "image")


def good_lines() -> list[bytes]:
    """The first two bundled test sessions, as the bytes of their lines."""
    with gzip.open(bundled_sessions_path("test"), "rb") as fh:
        return [fh.readline(), fh.readline()]


def edited(change) -> bytes:
    """The two good lines, the second changed by ``change(session_dict)``."""
    first, second = good_lines()
    data = json.loads(second)
    change(data)
    return first + json.dumps(data).encode() + b"\n"


def _set(key, value):
    return lambda d: d.__setitem__(key, value)


def _set_step(key, value):
    return lambda d: d["steps"][0].__setitem__(key, value)


def _cut_gzip() -> bytes:
    first, second = good_lines()
    data = gzip.compress((first + second) * 20)
    return data[: len(data) // 2]


def _bad_utf8() -> bytes:
    first, second = good_lines()
    at = second.index(b'"id": "') + len(b'"id": "')
    return first + second[:at] + b"\xff\xfe" + second[at:]


# name: (file bytes, line, field, a phrase the message must hold)
BAD = {
    "truncated mid-line": (lambda: b"".join(good_lines())[:-200], 2, None, "cut short"),
    "id is a number": (lambda: edited(_set("id", 7)), 2, "id", "must be a string, got int"),
    "steps is a string": (lambda: edited(_set("steps", "many")), 2, "steps", "must be a list of steps"),
    "timestamp is a number": (
        lambda: edited(_set_step("timestamp", 1700000000)),
        2,
        "steps[0].timestamp",
        "must be a string, got int",
    ),
    "persona is a list": (lambda: edited(_set("persona", [1])), 2, "persona", "must be an object or null"),
    "unknown format version": (
        lambda: edited(_set("format", "webmimic.session/9")),
        2,
        "format",
        "pip install -U webmimic",
    ),
    "invalid UTF-8": (_bad_utf8, 2, None, "not UTF-8 text: byte 0xff"),
    "gzip cut short": (_cut_gzip, None, None, "the gzip file was cut short"),
    "empty file": (lambda: b"", None, None, "the file holds no sessions (it is empty)"),
}


def write_bad(tmp_path: Path, name: str, gz: bool) -> Path:
    data = BAD[name][0]()
    if gz and name != "gzip cut short":
        data = gzip.compress(data)
    path = tmp_path / ("s.jsonl.gz" if gz or name == "gzip cut short" else "s.jsonl")
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("gz", [False, True], ids=["jsonl", "jsonl.gz"])
@pytest.mark.parametrize("name", list(BAD))
def test_a_damaged_session_file_is_an_error_naming_file_line_field_and_fix(tmp_path, name, gz):
    path = write_bad(tmp_path, name, gz)
    _, line, field, phrase = BAD[name]
    with pytest.raises(DataFormatError) as info:
        read_sessions(path)
    err = info.value
    assert err.path == str(path) and phrase in str(err)
    assert err.field == field
    if line is not None:
        assert err.line == line and f"{path}:{line}" in str(err)
    else:  # a gzip cut short names the line it could not read; an empty file has none
        assert name == "empty file" or (err.line is not None and err.line >= 1)


@pytest.mark.parametrize("name", list(BAD))
def test_validate_reports_it_and_exits_non_zero(tmp_path, capsys, name):
    path = write_bad(tmp_path, name, gz=False)
    assert main(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "OK" not in out and str(path) in err and BAD[name][3] in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["truncated mid-line", "unknown format version", "invalid UTF-8", "empty file"])
def test_eval_refuses_a_damaged_file_before_writing_anything(tmp_path, capsys, name):
    path = write_bad(tmp_path, name, gz=False)
    out = tmp_path / "run"
    assert main(["eval", "--sessions", str(path), "--agent", "oracle", "--out", str(out)]) == 2
    assert str(path) in capsys.readouterr().err
    assert not out.exists()


def test_the_command_itself_exits_non_zero_without_a_traceback(tmp_path):
    path = write_bad(tmp_path, "gzip cut short", gz=True)
    out = tmp_path / "run"
    command = [sys.executable, "-m", "webmimic.cli", "eval", "--sessions", str(path), "--agent", "oracle"]
    done = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert "cut short" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_a_line_cut_anywhere_is_reported_as_cut_short_where_it_ends(tmp_path):
    second = good_lines()[1].rstrip(b"\n")
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\n".join(second[:-k] for k in range(1, 400, 7)))
    lines = list(read_json_lines(path))
    assert len(lines) == len(range(1, 400, 7))
    for line in lines:
        assert line.problem is not None and "cut short" in line.problem, line.problem


def test_every_problem_of_a_file_is_listed_not_just_the_first(tmp_path):
    first, second = good_lines()
    path = tmp_path / "s.jsonl"
    path.write_bytes(first + b"\xff\n" + second + second + second[:-100])
    problems = check_files([path]).problems
    assert [(p.line, p.field) for p in problems] == [(2, None), (4, "id"), (5, None)]
    assert check_files([path]).sessions == 2


# -- long lines ------------------------------------------------------------------------------------
def test_a_50_mb_session_line_loads(tmp_path):
    """Decision: lines up to MAX_LINE_BYTES (64 MiB) are data and load; longer ones are refused."""
    assert MAX_LINE_BYTES > 50 * 1024 * 1024
    first, second = good_lines()
    data = json.loads(second)
    data["steps"][0]["rationale"] = "r" * (50 * 1024 * 1024)
    path = tmp_path / "big.jsonl"
    path.write_bytes(first + json.dumps(data).encode() + b"\n")
    sessions = read_sessions(path)
    assert len(sessions) == 2 and len(sessions[1].steps[0].rationale or "") == 50 * 1024 * 1024


def test_a_line_past_the_limit_is_reported_and_skipped_in_bounded_memory(tmp_path):
    first, second = good_lines()
    path = tmp_path / "s.jsonl"
    path.write_bytes(first + b"[" + b"1," * (3 * 1024 * 1024) + b"1]\n" + second)
    lines = list(read_json_lines(path, max_line_bytes=1024 * 1024))
    assert [line.number for line in lines] == [1, 2, 3]
    assert lines[0].problem is None and lines[2].problem is None
    assert lines[1].problem is not None and "longer than 1 MiB" in lines[1].problem


def test_a_file_with_no_newlines_past_the_default_limit_is_refused(tmp_path, capsys):
    path = tmp_path / "blob.jsonl"
    with open(path, "wb") as fh:
        for _ in range(66):
            fh.write(b"a" * (1024 * 1024))
    assert main(["validate", str(path)]) == 1
    assert f"{path}:1: the line is longer than 64 MiB" in capsys.readouterr().err


# -- OPeRA -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_import_opera_needs_only_the_columns_it_reads(tmp_path, kind):
    rows = [{k: v for k, v in row.items() if k not in NOT_KEPT} for row in make_opera_rows()]
    source = tmp_path / f"rows.{kind}"
    if kind == "jsonl":
        write_jsonl(source, rows)
    else:
        write_parquet(source, rows, columns=[c for c in OPERA_COLUMNS if c not in NOT_KEPT])
    summary = import_opera([str(source)], str(tmp_path / "s.jsonl"))
    sessions = read_sessions(tmp_path / "s.jsonl")
    assert summary.sessions == len(sessions) > 0
    assert all("window_size" not in s.meta for s in sessions)


def test_import_opera_still_names_a_missing_column_it_reads(tmp_path):
    rows = make_opera_rows()
    del rows[2]["simplified_html"]
    write_jsonl(tmp_path / "rows.jsonl", rows)
    with pytest.raises(DataFormatError, match="simplified_html") as info:
        import_opera([str(tmp_path / "rows.jsonl")], str(tmp_path / "s.jsonl"))
    assert info.value.line == 3 and "mouse_position" not in str(info.value)
    assert not (tmp_path / "s.jsonl").exists()


def test_a_truncated_opera_line_is_reported_where_it_ends(tmp_path):
    write_jsonl(tmp_path / "rows.jsonl", make_opera_rows())
    lines = (tmp_path / "rows.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    cut = json.dumps({"session_id": "s", "action_id": "1"})[:-1]  # ends after "1": the closing brace is missing
    (tmp_path / "rows.jsonl").write_text("".join(lines[:3]) + cut + "\n" + "".join(lines[3:]), encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        import_opera([str(tmp_path / "rows.jsonl")], str(tmp_path / "s.jsonl"))
    assert info.value.line == 4
    assert f"the line ends at column {len(cut)}" in str(info.value) and "column 1 " not in str(info.value)
    assert not (tmp_path / "s.jsonl").exists()


# -- model folders ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def _truncate(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def _cut_tail(name: str, drop: int = 100):
    return lambda folder: _truncate(folder / name, (folder / name).stat().st_size - drop)


def _remove(*names: str):
    return lambda folder: [(folder / n).unlink() for n in names]


def _without_model_type(folder: Path) -> None:
    config = json.loads((folder / "config.json").read_text())
    del config["model_type"]
    (folder / "config.json").write_text(json.dumps(config))


def _sharded(folder: Path) -> None:
    index = {"metadata": {}, "weight_map": {"lm_head.weight": "model-00002-of-00002.safetensors"}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))


# name: (damage, the file named, a phrase the message must hold)
DAMAGE = {
    "config.json missing": (_remove("config.json"), "config.json", "missing"),
    "tokenizer missing": (_remove("tokenizer.json", "tokenizer_config.json"), "tokenizer.json", "missing"),
    "weights missing": (_remove("model.safetensors"), "", "no *.safetensors weights"),
    "config.json cut short": (_cut_tail("config.json", 30), "config.json", "not valid JSON (line"),
    "config.json without model_type": (_without_model_type, "config.json", "has no model_type"),
    "tokenizer.json cut short": (_cut_tail("tokenizer.json"), "tokenizer.json", "not valid JSON"),
    "safetensors cut short": (_cut_tail("model.safetensors"), "model.safetensors", "the file is cut short"),
    "safetensors header cut": (lambda f: _truncate(f / "model.safetensors", 20), "model.safetensors", "header"),
    "a shard missing": (_sharded, "model-00002-of-00002.safetensors", "missing, but"),
}


@pytest.mark.parametrize("name", list(DAMAGE))
def test_a_damaged_model_folder_names_the_file_before_loading(tiny, tmp_path, name):
    damage, file, phrase = DAMAGE[name]
    folder = tmp_path / "model"
    shutil.copytree(tiny, folder)
    damage(folder)
    with pytest.raises(ModelFolderError) as info:
        check_model_folder(folder)
    assert f"{folder / file}".rstrip("/") in str(info.value) and phrase in str(info.value)
    with pytest.raises(ModelFolderError):
        make_agent(f"hf:{folder}")


def test_eval_with_a_damaged_model_exits_non_zero_and_writes_nothing(tiny, tmp_path, capsys):
    folder = tmp_path / "model"
    shutil.copytree(tiny, folder)
    _cut_tail("model.safetensors")(folder)
    out = tmp_path / "run"
    assert main(["eval", "--agent", f"hf:{folder}", "--limit", "1", "--out", str(out)]) == 2
    assert "model.safetensors" in capsys.readouterr().err
    assert not out.exists()


def test_the_intact_model_passes_and_what_transformers_refuses_is_a_model_folder_error(tiny, tmp_path):
    assert check_model_folder(tiny) == tiny
    folder = tmp_path / "model"
    shutil.copytree(tiny, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"model_type": "no_such_architecture"}))
    with pytest.raises(ModelFolderError, match="transformers could not load the model"):
        HFAgent.from_folder(folder)
