"""The bundled synthetic dataset: loads, is big enough, is split by persona, and is what the code makes."""

from __future__ import annotations

import json

import pytest

from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import read_sessions
from webmimic.shoppers.generate import generate_sessions
from webmimic.shoppers.personas import held_out_persona_ids, make_personas
from webmimic.sites import get_site


@pytest.fixture(scope="module")
def splits():
    names = lambda site: get_site(site).purchase_names  # noqa: E731
    return {s: read_sessions(bundled_sessions_path(s), purchase_names_for=names) for s in ("train", "test")}


def test_bundled_files_load_and_are_big_enough(splits):
    assert len(splits["train"]) + len(splits["test"]) >= 1000
    assert len(splits["test"]) >= 100
    for part in splits.values():
        assert all(s.source == "synthetic" and s.steps[0].page is None for s in part)


def test_split_is_by_persona(splits):
    train = {s.persona.id for s in splits["train"]}
    test = {s.persona.id for s in splits["test"]}
    assert train and test and not train & test
    seed = splits["test"][0].meta["seed"]
    assert test <= held_out_persona_ids(make_personas(seed), seed)


@pytest.mark.parametrize("split", ["train", "test"])
def test_bundled_sessions_regenerate_exactly(splits, split, wm_browser):
    bundled = splits[split][:2]
    seed = bundled[0].meta["seed"]
    again = generate_sessions(sessions=0, seed=seed, indices=[s.meta["index"] for s in bundled], browser=wm_browser)
    assert [json.dumps(s.to_dict(), sort_keys=True) for s in again] == [
        json.dumps(s.to_dict(), sort_keys=True) for s in bundled
    ]
