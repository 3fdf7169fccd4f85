"""Synthetic shopping sessions: persona-driven shoppers acting on the live shop through the browser.

Every action is carried out by ``Tab.act`` on the served site, so every recorded step is real
and replayable. Session ``i`` of seed ``S`` depends only on ``(S, i)``: its RNG is
``random.Random(f"{S}:{i}")`` and it runs in a fresh browser context (fresh cookies, so fresh
shop state), which makes the output independent of how sessions are spread over workers: the
same seed gives a byte-identical file. Timestamps come from a fixed epoch plus seeded delays.

Click types follow OPeRA's 13 categories; searches (``type_and_submit``) and ``terminate`` have
``click_type`` null, because OPeRA types clicks only (inputs are their own action type).

``python -m webmimic.shoppers.generate --sessions 1000 --seed 0 --out-dir webmimic/replay/data``
rebuilds the bundled train/test files (split by persona: test personas are unseen in training).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
import multiprocessing
from pathlib import Path
import random
import signal
import sys
import time
from typing import Any

from webmimic.core.actions import Action
from webmimic.core.errors import WebmimicError
from webmimic.core.files import output_file_problem
from webmimic.replay.session import Persona, Session, Step, write_sessions
from webmimic.shoppers.personas import held_out_persona_ids, make_personas, traits_of
from webmimic.shoppers.shopper import Shopper, click_type, relative_url

__all__ = ["generate_sessions", "generate_main", "generate_dataset", "stats", "format_stats", "EPOCH", "GENERATOR"]

# The generator's stable id in each session's meta: its module's name when the bundled data was
# made. It is an id, not an import path; changing it would change every bundled session.
GENERATOR = "webmimic.replay.generate"
EPOCH = datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)
MAX_STEPS = 40  # a hard stop; the policy normally ends far sooner

# Seconds a person spends before each kind of action (low, high): reading, typing, deciding.
_DELAYS: dict[str | None, tuple[int, int]] = {
    None: (4, 14),
    "product_link": (3, 12),
    "review": (8, 40),
    "product_option": (3, 10),
    "quantity": (2, 6),
    "filter": (3, 10),
    "page_related": (4, 15),
    "purchase": (8, 30),
    "cart_page_select": (3, 12),
    "cart_side_bar": (2, 8),
    "nav_bar": (2, 8),
    "suggested_term": (3, 9),
    "other": (3, 12),
}


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _one_session(tab: Any, base_url: str, seed: int, index: int, personas: Sequence[Persona], catalog: Any) -> Session:
    """Run session ``index`` of ``seed`` in ``tab`` (a fresh context) and record it."""
    rng = random.Random(f"{seed}:{index}")
    persona = personas[rng.randrange(len(personas))]
    shopper = Shopper.start(traits_of(persona), rng, catalog)
    clock = EPOCH + timedelta(minutes=index * 41 + rng.randint(0, 30), seconds=rng.randint(0, 59))
    obs = tab.goto(base_url + "/")
    steps: list[Step] = []
    outcome = "terminate"
    while True:
        if len(steps) >= MAX_STEPS - 1:
            decision_action, rationale, ctype = (
                Action.terminate(),
                "I've spent long enough on this; I'll stop here.",
                None,
            )
        else:
            d = shopper.decide(obs)
            decision_action, rationale = d.action, d.rationale
            ctype = click_type(d.action.name) if d.action.type == "click" and d.action.name else None
        lo, hi = _DELAYS.get(ctype, _DELAYS[None])
        clock += timedelta(seconds=rng.randint(lo, hi))
        steps.append(Step(decision_action, relative_url(obs.url), _iso(clock), None, rationale, ctype))
        if decision_action.type == "terminate":
            break
        try:
            obs = tab.act(decision_action)
        except WebmimicError as err:
            raise WebmimicError(
                f"synthetic session {index} (seed {seed}) step {len(steps) - 1}: {decision_action} failed: {err}"
            ) from err
        if ctype == "purchase":
            outcome = "purchase"
            break
    return Session(
        id=f"syn-{seed}-{index:05d}",
        site="shop",
        start_url="/",
        steps=tuple(steps),
        outcome=outcome,
        persona=persona,
        source="synthetic",
        meta={"generator": GENERATOR, "seed": seed, "index": index},
    )


def _run_indices(
    indices: Sequence[int], seed: int, personas: Sequence[Persona], browser: Any, site: str
) -> list[Session]:
    """Sessions for ``indices`` on one shop server, each in a fresh tab of ``browser`` (or a new one)."""
    from webmimic.simulator import Browser, BrowserConfig
    from webmimic.sites import get_site
    from webmimic.sites.shop.catalog import Catalog

    catalog = Catalog.open()
    own = browser is None
    b = Browser(BrowserConfig(headless=True)) if own else browser
    out = []
    try:
        with get_site(site).serve() as server:
            for i in indices:
                with b.new_tab() as tab:
                    out.append(_one_session(tab, server.url.rstrip("/"), seed, i, personas, catalog))
    finally:
        if own:
            b.close()
    return out


def _leave_ctrl_c_to_the_parent() -> None:
    """Worker processes ignore the terminal's Ctrl-C: the parent stops them (no traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker(args: tuple[list[int], int, list[dict[str, Any]], str]) -> list[dict[str, Any]]:
    """Process entry point (spawn): own Playwright driver, Chromium and shop server."""
    indices, seed, persona_dicts, site = args
    personas = [Persona.from_dict(p) for p in persona_dicts]
    return [s.to_dict() for s in _run_indices(indices, seed, personas, None, site)]


def generate_sessions(
    *,
    site: str = "shop",
    sessions: int,
    seed: int,
    personas: Sequence[Persona] | None = None,
    workers: int = 1,
    browser: Any = None,
    indices: Iterable[int] | None = None,
) -> list[Session]:
    """Sessions ``0..sessions-1`` (or exactly ``indices``) of ``seed``, ordered by index.

    ``browser`` (a started ``webmimic.simulator.Browser``) is reused when given and
    ``workers == 1``; with ``workers > 1`` each spawned process launches its own.
    """
    if site != "shop":
        raise WebmimicError(f"The synthetic shoppers only know the 'shop' site, not {site!r}.")
    todo = sorted(set(indices)) if indices is not None else list(range(sessions))
    people = tuple(personas) if personas is not None else make_personas(seed)
    if not people:
        raise WebmimicError("generate_sessions needs at least one persona.")
    if workers <= 1 or len(todo) <= 1:
        return _run_indices(todo, seed, people, browser, site)
    chunks = [todo[w::workers] for w in range(workers)]
    persona_dicts = [p.to_dict() for p in people]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(len(chunks), initializer=_leave_ctrl_c_to_the_parent) as pool:
        parts = pool.map(_worker, [(c, seed, persona_dicts, site) for c in chunks if c])
    done = [Session.from_dict(d) for part in parts for d in part]
    return sorted(done, key=lambda s: int(s.meta["index"]))


# -- statistics -------------------------------------------------------------------------------


def stats(sessions: Sequence[Session]) -> dict[str, Any]:
    """Dataset statistics comparable with the paper's: length, purchases, searches, filters, action mix."""
    n = len(sessions)
    steps = [st for s in sessions for st in s.steps]
    kinds: Counter[str] = Counter()
    for st in steps:
        kinds[st.action.type if st.action.type != "click" else f"click:{st.click_type}"] += 1
    searches = sum(1 for st in steps if st.action.type == "type_and_submit")
    suggested = sum(1 for st in steps if st.click_type == "suggested_term")
    filters = sum(1 for st in steps if st.action.name and st.action.name.startswith("refinements."))
    total = max(1, len(steps))
    return {
        "sessions": n,
        "actions": len(steps),
        "mean_length": len(steps) / max(1, n),
        "purchase_rate": sum(s.outcome == "purchase" for s in sessions) / max(1, n),
        "mean_searches": searches / max(1, n),
        "mean_searches_incl_suggested": (searches + suggested) / max(1, n),
        "refinement_share": filters / total,
        "personas": len({s.persona.id for s in sessions if s.persona is not None}),
        "action_shares": {k: v / total for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])},
    }


def format_stats(name: str, st: dict[str, Any]) -> str:
    head = (
        f"{name}: {st['sessions']} sessions, {st['actions']} actions, {st['personas']} personas; "
        f"mean length {st['mean_length']:.2f}; purchase rate {st['purchase_rate']:.3f}; "
        f"searches/session {st['mean_searches']:.2f} ({st['mean_searches_incl_suggested']:.2f} with suggested terms); "
        f"refinement share {st['refinement_share']:.3f}"
    )
    mix = ", ".join(f"{k} {v:.3f}" for k, v in st["action_shares"].items())
    return f"{head}\n  actions: {mix}"


# -- entry points -----------------------------------------------------------------------------


def generate_main(site: str, n: int, seed: int, output: str | Path, workers: int = 1) -> int:
    """CLI entry (``webmimic generate``): write ``n`` sessions to ``output`` atomically, print stats.

    The output path is checked first: a missing folder is reported before any session is generated.
    """
    problem = output_file_problem(output)
    if problem is not None:
        print(f"error: cannot write {output}: {problem}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        sessions = generate_sessions(site=site, sessions=n, seed=seed, workers=workers)
        write_sessions(output, sessions)
    except WebmimicError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(sessions)} sessions to {output} in {time.monotonic() - started:.1f} s")
    print(format_stats("all", stats(sessions)))
    return 0


def generate_dataset(
    out_dir: str | Path, n: int, seed: int, workers: int = 1, test_share: float = 0.2
) -> dict[str, list[Session]]:
    """The bundled dataset: ``n`` sessions split into ``train``/``test`` by persona (unseen in train)."""
    personas = make_personas(seed)
    held_out = held_out_persona_ids(personas, seed, test_share)
    sessions = generate_sessions(sessions=n, seed=seed, personas=personas, workers=workers)
    splits = {
        "train": [s for s in sessions if s.persona is not None and s.persona.id not in held_out],
        "test": [s for s in sessions if s.persona is not None and s.persona.id in held_out],
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, part in splits.items():
        write_sessions(out / f"{name}.jsonl.gz", part)
    return splits


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m webmimic.shoppers.generate", description=__doc__.split("\n")[0])
    from webmimic.cli import output_dir, output_file, positive_int

    ap.add_argument("--site", default="shop")
    ap.add_argument("--sessions", type=positive_int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=positive_int, default=1)
    dest = ap.add_mutually_exclusive_group(required=True)
    dest.add_argument("-o", "--output", type=output_file, help="one session file")
    dest.add_argument("--out-dir", type=output_dir, help="write train.jsonl.gz and test.jsonl.gz split by persona")
    args = ap.parse_args(argv)
    if args.output:
        return generate_main(args.site, args.sessions, args.seed, args.output, args.workers)
    started = time.monotonic()
    splits = generate_dataset(args.out_dir, args.sessions, args.seed, args.workers)
    print(f"generated {sum(map(len, splits.values()))} sessions in {time.monotonic() - started:.1f} s")
    for name, part in splits.items():
        path = Path(args.out_dir) / f"{name}.jsonl.gz"
        print(f"{path} ({path.stat().st_size:,} bytes)")
        print(format_stats(name, stats(part)))
    print(format_stats("all", stats([s for part in splits.values() for s in part])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
