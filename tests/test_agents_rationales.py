"""``webmimic synthesize-rationales``: missing rationales filled from the live page and the real action."""

from __future__ import annotations

import dataclasses

from tiny_model import build_tiny_model
from webmimic.agents.rationales import META_KEY, synthesize_rationales
from webmimic.cli import main
from webmimic.core.actions import describe_action
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import read_sessions, write_sessions


class Explainer:
    """A stand-in LLM that records what it was shown and answers with a numbered sentence."""

    name = "explainer"

    def __init__(self) -> None:
        self.asked: list[list[dict[str, str]]] = []

    def complete(self, messages):
        self.asked.append(list(messages))
        return f'  "I did this for reason {len(self.asked)}."\nsecond line'


def _sessions(count=2):
    return sorted(read_sessions(bundled_sessions_path("test")), key=lambda s: s.id)[:count]


def test_missing_rationales_are_filled_from_the_page_and_the_real_action_and_marked():
    first, untouched = _sessions()
    steps = [dataclasses.replace(s, rationale=None) if k in (0, 2) else s for k, s in enumerate(first.steps)]
    gappy = dataclasses.replace(first, steps=tuple(steps))
    model = Explainer()
    filled, same = synthesize_rationales([gappy, untouched], model)
    assert same is untouched and len(model.asked) == 2
    assert [s.rationale for s in filled.steps[:3]] == [
        "I did this for reason 1.",
        first.steps[1].rationale,  # the person's own is kept
        "I did this for reason 2.",
    ]
    assert filled.steps[3:] == first.steps[3:]
    assert dict(filled.meta[META_KEY]) == {"model": "explainer", "steps": (0, 2)}
    for asked, k in zip(model.asked, (0, 2), strict=True):
        assert describe_action(first.steps[k].action) in asked[0]["content"]  # the real action
        assert asked[-1]["content"].startswith(f"URL: {first.steps[k].url}\n<")  # the live page


def test_the_cli_writes_a_valid_file_and_refuses_non_llm_specs(tmp_path, capsys):
    (session,) = _sessions(1)
    source = tmp_path / "in.jsonl"
    gappy = dataclasses.replace(
        session, steps=(dataclasses.replace(session.steps[0], rationale=None), *session.steps[1:])
    )
    write_sessions(source, [gappy])
    out = tmp_path / "out.jsonl"
    assert main(["synthesize-rationales", "--model", "heuristic", "--sessions", str(source), "-o", str(out)]) == 2
    assert "is not a language model" in capsys.readouterr().err and not out.exists()
    tiny = build_tiny_model(tmp_path / "tiny")
    assert main(["synthesize-rationales", "--model", f"hf:{tiny}", "--sessions", str(source), "-o", str(out)]) == 0
    (written,) = read_sessions(out)
    assert written.steps[1:] == session.steps[1:]  # the person's own rationales are untouched
    marked = written.meta.get(META_KEY, {}).get("steps", ())
    assert (written.steps[0].rationale is not None) == (tuple(marked) == (0,))  # filled iff marked
    assert "rationales are marked synthesized" in capsys.readouterr().out
