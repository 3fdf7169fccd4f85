"""OPeRA import: shuffled rows from parquet and JSON Lines become ordered snapshot sessions."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from opera_rows import (
    OPERA_COLUMNS,
    PRODUCT_PAGE,
    RESULTS_PAGE,
    SEARCH_PAGE,
    make_opera_rows,
    shuffled,
    write_jsonl,
    write_parquet,
)
from webmimic.core.actions import Action
from webmimic.core.errors import DataFormatError
from webmimic.replay.opera import import_opera, import_opera_main
from webmimic.replay.session import find_session, read_sessions, validate_files


def check_sessions(sessions) -> None:
    assert [s.id for s in sessions] == ["s-buy", "s-leave", "s-ten"]
    for s in sessions:
        assert s.site == "snapshot" and s.source == "opera" and s.persona is None
        assert all(step.page for step in s.steps)
    buy = find_session(sessions, "s-buy")
    assert buy.outcome == "purchase"
    assert buy.start_url == "https://www.amazon.com/"
    assert buy.actions == (
        Action.type_and_submit("search_input", "mug"),
        Action.click("search_results.red_mug.view_product"),
        Action.click("buy_now"),
    )
    assert [st.page for st in buy.steps] == [SEARCH_PAGE, RESULTS_PAGE, PRODUCT_PAGE]
    assert [st.click_type for st in buy.steps] == [None, "product_link", "purchase"]
    assert [st.rationale for st in buy.steps] == [
        "I need a mug for my coffee.",
        None,
        "The price is fine, I'll buy it.",
    ]
    assert buy.steps[0].timestamp == "2025-03-01T10:00:00.000Z"
    assert buy.meta["action_ids"] == ("1", "2", "3")
    assert json.loads(buy.meta["window_size"]) == {"width": 1280, "height": 720}

    leave = find_session(sessions, "s-leave")
    assert leave.outcome == "terminate"
    assert [a.text for a in leave.actions[:2]] == ["blue mug", "blue mug large"]
    assert leave.actions[-1] == Action.terminate()
    assert leave.steps[-1].rationale == "Nothing fits my budget."

    ten = find_session(sessions, "s-ten")
    assert ten.meta["action_ids"] == tuple(str(i) for i in range(1, 12))
    assert ten.outcome == "terminate" and len(ten.steps) == 11


@pytest.mark.parametrize("kind", ["parquet", "jsonl", "jsonl.gz"])
def test_import_each_format(tmp_path, kind):
    rows = shuffled(make_opera_rows())
    src = tmp_path / f"rows.{kind}"
    if kind == "parquet":
        write_parquet(src, rows)
    else:
        write_jsonl(tmp_path / "rows.jsonl", rows)
        if kind == "jsonl.gz":
            src.write_bytes(gzip.compress((tmp_path / "rows.jsonl").read_bytes()))
    out = tmp_path / "sessions.jsonl"
    summary = import_opera([str(src)], str(out))
    assert (summary.sessions, summary.purchases, summary.terminations, summary.rows) == (3, 1, 2, len(rows))
    assert summary.output == str(out)
    sessions = read_sessions(out)
    check_sessions(sessions)
    assert validate_files([out]) == []


def test_parquet_and_jsonl_agree_and_merge(tmp_path):
    rows = shuffled(make_opera_rows(), seed=3)
    write_parquet(tmp_path / "a.parquet", rows)
    write_jsonl(tmp_path / "a.jsonl", rows)
    import_opera([str(tmp_path / "a.parquet")], str(tmp_path / "p.jsonl"))
    import_opera([str(tmp_path / "a.jsonl")], str(tmp_path / "j.jsonl"))
    assert read_sessions(tmp_path / "p.jsonl") == read_sessions(tmp_path / "j.jsonl")
    # Split the rows of one session across two files of different kinds: merged back together.
    half = len(rows) // 2
    write_parquet(tmp_path / "h1.parquet", rows[:half])
    write_jsonl(tmp_path / "h2.jsonl", rows[half:])
    import_opera([str(tmp_path / "h1.parquet"), str(tmp_path / "h2.jsonl")], str(tmp_path / "m.jsonl.gz"))
    check_sessions(read_sessions(tmp_path / "m.jsonl.gz"))


def test_epoch_timestamps_become_iso(tmp_path):
    rows = make_opera_rows()[:3]
    for i, row in enumerate(rows):
        row["timestamp"] = str(1740823200000 + 1000 * i)  # epoch milliseconds
    write_jsonl(tmp_path / "r.jsonl", shuffled(rows))
    import_opera([str(tmp_path / "r.jsonl")], str(tmp_path / "s.jsonl"))
    (session,) = read_sessions(tmp_path / "s.jsonl")
    assert session.actions[-1] == Action.click("buy_now")
    assert session.steps[0].timestamp.endswith("Z") and session.steps[0].timestamp.startswith("2025-03-01T")


def test_terminate_row_without_page_keeps_previous_page(tmp_path):
    rows = [r for r in make_opera_rows() if r["session_id"] == "s-leave"]
    rows[-1]["simplified_html"] = ""
    write_jsonl(tmp_path / "r.jsonl", rows)
    import_opera([str(tmp_path / "r.jsonl")], str(tmp_path / "s.jsonl"))
    (session,) = read_sessions(tmp_path / "s.jsonl")
    assert session.steps[-1].page == RESULTS_PAGE


def test_main_prints_summary(tmp_path, capsys):
    write_parquet(tmp_path / "r.parquet", make_opera_rows())
    assert import_opera_main([str(tmp_path / "r.parquet")], str(tmp_path / "s.jsonl")) == 0
    assert "OK: 3 sessions (1 purchase, 2 terminate)" in capsys.readouterr().out


# ----------------------------------------------------------------------------- bad inputs


def assert_nothing_written(tmp_path, out="s.jsonl") -> None:
    assert not (tmp_path / out).exists()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_missing_column_parquet(tmp_path):
    cols = [c for c in OPERA_COLUMNS if c not in ("semantic_id", "input_text")]
    write_parquet(tmp_path / "r.parquet", make_opera_rows(), columns=cols)
    with pytest.raises(DataFormatError) as info:
        import_opera([str(tmp_path / "r.parquet")], str(tmp_path / "s.jsonl"))
    text = str(info.value)
    assert "r.parquet" in text and "semantic_id" in text and "input_text" in text
    assert "simplified_html" in text  # the expected columns are listed
    assert_nothing_written(tmp_path)


def test_missing_column_jsonl(tmp_path):
    rows = make_opera_rows()
    del rows[4]["click_type"]
    write_jsonl(tmp_path / "r.jsonl", rows)
    with pytest.raises(DataFormatError) as info:
        import_opera([str(tmp_path / "r.jsonl")], str(tmp_path / "s.jsonl"))
    assert info.value.line == 5 and "click_type" in str(info.value)
    assert_nothing_written(tmp_path)


def one_bad(tmp_path, index: int, **changes) -> DataFormatError:
    rows = make_opera_rows()
    rows[index].update(changes)
    write_jsonl(tmp_path / "r.jsonl", rows)
    with pytest.raises(DataFormatError) as info:
        import_opera([str(tmp_path / "r.jsonl")], str(tmp_path / "s.jsonl"))
    assert_nothing_written(tmp_path)
    err = info.value
    assert err.path.endswith("r.jsonl") and err.line == index + 1
    assert rows[index]["session_id"] in str(err) and repr(rows[index]["action_id"]) in str(err)
    return err


def test_unknown_action_type(tmp_path):
    err = one_bad(tmp_path, 1, action_type="scroll")
    assert err.field == "action_type" and "scroll" in str(err)


def test_semantic_id_not_in_page(tmp_path):
    err = one_bad(tmp_path, 1, semantic_id="search_results.green_mug.view_product")
    assert err.field == "semantic_id" and "green_mug" in str(err)


def test_empty_semantic_id(tmp_path):
    assert one_bad(tmp_path, 1, semantic_id="").field == "semantic_id"


def test_empty_page(tmp_path):
    assert one_bad(tmp_path, 1, simplified_html="").field == "simplified_html"


def test_input_without_text(tmp_path):
    assert one_bad(tmp_path, 0, input_text="").field == "input_text"


def test_bad_timestamp(tmp_path):
    assert one_bad(tmp_path, 0, timestamp="soon").field == "timestamp"


def test_session_ending_without_outcome(tmp_path):
    # s-buy's last row is a purchase click; make it an ordinary click: the outcome is unknown.
    err = one_bad(tmp_path, 2, click_type="product_option")
    assert "neither terminate nor a purchase" in str(err)


def test_terminate_in_the_middle(tmp_path):
    err = one_bad(tmp_path, 3, action_type="terminate", semantic_id="", input_text="")
    assert "terminate" in str(err)


def test_duplicate_rows_across_files(tmp_path):
    rows = make_opera_rows()
    write_jsonl(tmp_path / "a.jsonl", rows)
    write_parquet(tmp_path / "b.parquet", rows[:1])
    with pytest.raises(DataFormatError, match="duplicate row"):
        import_opera([str(tmp_path / "a.jsonl"), str(tmp_path / "b.parquet")], str(tmp_path / "s.jsonl"))
    assert_nothing_written(tmp_path)


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.parquet"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    if name.endswith(".parquet"):
        write_parquet(path, [])
    else:
        path.write_text("")
    with pytest.raises(DataFormatError, match="no rows") as info:
        import_opera([str(path)], str(tmp_path / "s.jsonl"))
    assert name in str(info.value)
    assert_nothing_written(tmp_path)


def test_existing_output_untouched_on_error(tmp_path):
    out = tmp_path / "s.jsonl"
    out.write_text("keep me\n")
    rows = make_opera_rows()
    rows[0]["action_type"] = "hover"
    write_jsonl(tmp_path / "r.jsonl", rows)
    with pytest.raises(DataFormatError):
        import_opera([str(tmp_path / "r.jsonl")], str(out))
    assert out.read_text() == "keep me\n"


def test_main_lists_every_problem(tmp_path, capsys):
    rows = make_opera_rows()
    rows[0]["action_type"] = "hover"
    rows[4]["semantic_id"] = "nope"
    write_jsonl(tmp_path / "r.jsonl", rows)
    assert import_opera_main([str(tmp_path / "r.jsonl")], str(tmp_path / "s.jsonl")) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith(f"{tmp_path / 'r.jsonl'}:1: action_type: ")
    assert err[1].startswith(f"{tmp_path / 'r.jsonl'}:5: semantic_id: ")
    assert err[-1].startswith("FAILED: 2 problem(s); nothing was written")
    assert_nothing_written(tmp_path)


def test_malformed_jsonl_line(tmp_path):
    path = tmp_path / "r.jsonl"
    write_jsonl(path, make_opera_rows())
    with open(path, "a") as fh:
        fh.write("{broken\n")
    with pytest.raises(DataFormatError) as info:
        import_opera([str(path)], str(tmp_path / "s.jsonl"))
    assert info.value.line == len(make_opera_rows()) + 1
