"""Metrics and McNemar's test on hand-made records, against answers worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from webmimic.core.actions import Action
from webmimic.core.errors import EvalRunError, WebmimicError
from webmimic.core.match import compare_actions
from webmimic.evaluation import StepRecord, compare_runs, compute_metrics, mcnemar
from webmimic.evaluation.compare import format_comparison, format_markdown
from webmimic.evaluation.metrics import operation_tokens, token_f1
from webmimic.evaluation.rundir import STEPS_FILE, Boxes, StepsWriter, write_metrics


def rec(session, step, human, agent, *, click_type=None, last=False, outcome="terminate") -> StepRecord:
    human_action, agent_action = Action.from_dict(human), Action.from_dict(agent) if agent else None
    return StepRecord(
        session_id=session,
        step=step,
        human_action=human_action,
        agent_action=agent_action,
        raw_output="",
        agent_rationale=None,
        human_rationale=None,
        error=None,
        match=compare_actions(agent_action, human_action),
        click_type=click_type,
        url="/",
        timings={},
        screenshot=None,
        boxes=Boxes(),
        is_last=last,
        outcome=outcome,
    )


CLICK_X = {"type": "click", "name": "search_results.x.view_product"}
CLICK_Y = {"type": "click", "name": "search_results.y.view_product"}
BUY = {"type": "click", "name": "buy_now"}
TERM = {"type": "terminate"}


def search(text):
    return {"type": "type_and_submit", "name": "search_input", "text": text}


@pytest.fixture
def records():
    # Session a (bought): right, wrong text, right purchase. Session b (left): invalid output, buys instead of leaving.
    return [
        rec("a", 1, CLICK_X, CLICK_X, click_type="product_link", outcome="purchase"),
        rec("a", 2, search("red shoes"), search("red boots"), outcome="purchase"),
        rec("a", 3, BUY, BUY, click_type="purchase", last=True, outcome="purchase"),
        rec("b", 1, CLICK_Y, None, click_type="product_link"),
        rec("b", 2, TERM, BUY, last=True),
    ]


def test_metrics_by_hand(records):
    m = compute_metrics(list(reversed(records)))
    assert m["sessions"] == 2 and m["steps"] == 5
    assert m["exact_match"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["exact_match_micro"] == pytest.approx(2 / 5)
    assert m["action_type_accuracy"] == pytest.approx(3 / 5)
    # click F1 = 2*2/(4+1+1) = 2/3, type_and_submit 1, terminate 0
    assert m["action_type_macro_f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert m["element_accuracy"] == pytest.approx(3 / 5)
    # operation F1: 1, 2/3 (red boots vs red shoes), 1, 0 (invalid), 0 (click vs terminate)
    assert m["operation_f1"] == pytest.approx((1 + 2 / 3 + 1) / 5)
    # last steps: purchase->purchase (TP), terminate->purchase (FP)
    assert m["session_outcome_f1"] == pytest.approx(2 / 3)
    assert m["session_outcome_weighted_f1"] == pytest.approx((2 / 3 * 1 + 0 * 1) / 2)
    # gold [product_link, purchase, product_link], predicted [product_link, purchase, none]
    assert m["click_type_weighted_f1"] == pytest.approx((2 * 2 / 3 + 1) / 3)
    assert m["invalid_outputs"] == 1


def test_outcome_other_counts_as_wrong_and_undefined_is_none():
    rows = [rec("a", 1, TERM, CLICK_X, last=True), rec("b", 1, TERM, TERM, last=True)]
    m = compute_metrics(rows)
    assert m["session_outcome_f1"] is None  # no purchase in gold or predictions: binary F1 undefined
    assert m["session_outcome_weighted_f1"] == pytest.approx(2 / 3)  # terminate: tp 1, fn 1
    assert m["click_type_weighted_f1"] is None
    assert m["action_type_macro_f1"] == pytest.approx(2 / 3)  # only terminate is in gold


def test_site_purchase_names_count_as_purchase():
    rows = [rec("a", 1, BUY, {"type": "click", "name": "product.buy_now"}, last=True, outcome="purchase")]
    assert compute_metrics(rows)["session_outcome_f1"] == 1.0  # last dotted part is the human's purchase name
    rows = [rec("a", 1, TERM, {"type": "click", "name": "checkout"}, last=True)]
    assert compute_metrics(rows, purchase_names={"checkout"})["session_outcome_f1"] == 0.0


def test_token_f1_and_operations():
    assert operation_tokens(Action.from_dict(search("Red  Shoes"))) == ["type_and_submit", "red", "shoes"]
    assert operation_tokens(None) == []
    assert token_f1(["a", "b"], ["a", "b"]) == 1.0
    assert token_f1(["a"], ["b"]) == 0.0
    assert token_f1(["a", "a", "b"], ["a", "b", "c"]) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("b", "c", "stat", "p", "method"),
    [
        (10, 2, None, 0.0386, "exact"),
        (2, 10, None, 0.0386, "exact"),
        (30, 15, 4.356, 0.0369, "chi2"),
        (0, 0, None, 1.0, "exact"),
        (5, 5, None, 1.0, "exact"),
        (12, 13, 0.0, 1.0, "chi2"),
    ],
)
def test_mcnemar_known_values(b, c, stat, p, method):
    got_stat, got_p, got_method = mcnemar(b, c)
    assert got_method == method
    assert got_p == pytest.approx(p, abs=1e-4)
    if stat is None:
        assert got_stat is None
    else:
        assert got_stat == pytest.approx(stat, abs=1e-3)


def fake_run(root: Path, name: str, exact: dict[tuple[str, int], bool]) -> Path:
    run = root / name
    run.mkdir()
    with StepsWriter(run) as writer:
        writer.write([rec(s, k, CLICK_X, CLICK_X if e else CLICK_Y) for (s, k), e in exact.items()])
    write_metrics(run, {"exact_match": sum(exact.values()) / len(exact), "steps": len(exact)})
    return run


def test_compare_pairs_on_shared_steps(tmp_path):
    a = fake_run(tmp_path, "a", {("s", 1): True, ("s", 2): True, ("t", 1): False, ("u", 1): True})
    b = fake_run(tmp_path, "b", {("s", 1): False, ("s", 2): True, ("t", 1): True, ("v", 1): True})
    result = compare_runs([a, b])
    (test,) = result["mcnemar"]
    assert (test["n"], test["b"], test["c"], test["p_value"]) == (3, 1, 1, 1.0)
    text = format_comparison(result)
    assert str(a) in text and str(b) in text and "p=1" in text


def test_markdown_compares_each_row_with_the_row_above(tmp_path):
    steps = [("s", 1), ("s", 2), ("t", 1)]
    a = fake_run(tmp_path, "a", dict.fromkeys(steps, False))
    b = fake_run(tmp_path, "b", dict.fromkeys(steps, True))
    c = fake_run(tmp_path, "c", dict.fromkeys(steps, True))
    lines = format_markdown(compare_runs([a, b, c])).splitlines()
    assert lines[0].startswith("| Run | Exact match |") and lines[0].endswith("| McNemar p vs row above |")
    assert lines[2].endswith("| 3 |  |")  # the first row has no row above
    assert lines[3].endswith("| 3 | 0.25 (n=3) |")  # b vs a: 3 discordant pairs, exact binomial
    assert lines[4].endswith("| 3 | 1 (n=3) |")  # c vs b: no discordant pair


def test_compare_refuses_runs_without_shared_steps(tmp_path):
    a = fake_run(tmp_path, "a", {("s", 1): True})
    b = fake_run(tmp_path, "b", {("t", 1): True})
    with pytest.raises(WebmimicError, match="share no"):
        compare_runs([a, b])
    with pytest.raises(WebmimicError, match="not a finished eval run"):
        compare_runs([a, tmp_path / "missing"])


def test_compare_ignores_a_torn_line_and_refuses_a_damaged_one(tmp_path):
    a = fake_run(tmp_path, "a", {("s", 1): True, ("s", 2): False})
    b = fake_run(tmp_path, "b", {("s", 1): False, ("s", 2): False})
    with (b / STEPS_FILE).open("a", encoding="utf-8") as fh:
        fh.write('{"session_id": "s", "st')  # an interrupted append
    assert compare_runs([a, b])["mcnemar"][0]["n"] == 2
    lines = (b / STEPS_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    (b / STEPS_FILE).write_text(lines[0] + "{}\n" + lines[1], encoding="utf-8")
    with pytest.raises(EvalRunError, match=rf"{STEPS_FILE}:2: field 'session_id': missing"):
        compare_runs([a, b])
