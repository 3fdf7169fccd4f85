"""The main job behind ``make demo``: an agent against the bundled sessions, step by step.

It replays the bundled (synthetic) test sessions with the bundled fine-tuned model in live
browsers, prints every step's check as each session finishes (the model's action and rationale
next to the shopper's), then the paper's metrics and where the HTML report is. ``--tour``
instead walks the shop once and prints each page's observation.
"""

from __future__ import annotations

from pathlib import Path

from webmimic.core.actions import Action, describe_action
from webmimic.evaluation.rundir import REPORT_FILE, run_files
from webmimic.evaluation.runner import EvalConfig, SessionResult, run_eval
from webmimic.simulator import Browser, BrowserConfig, Observation
from webmimic.sites import get_site

__all__ = ["run_demo", "run_tour", "DEMO_AGENT"]

# The fine-tuned transformer shipped with webmimic (``make model`` rebuilds it).
DEMO_AGENT = "bundled"
HEADLINE = (
    "exact_match",
    "exact_match_micro",
    "action_type_macro_f1",
    "element_accuracy",
    "operation_f1",
    "session_outcome_f1",
    "session_outcome_weighted_f1",
    "click_type_weighted_f1",
)


def _print_session(result: SessionResult) -> None:
    hits = sum(r.exact for r in result.records)
    print(f"\nsession {result.session_id}: {hits}/{len(result.records)} exact")
    for r in result.records:
        mark = "✓" if r.exact else "✗"
        agent = describe_action(r.agent_action) if r.agent_action else f"invalid output ({r.error})"
        print(f"  {mark} step {r.step:>2}  human: {describe_action(r.human_action)}")
        print(f"             agent: {agent}")
        if r.agent_rationale:
            print(f"             agent's reason: {r.agent_rationale}")


def run_demo(
    *,
    agent: str = DEMO_AGENT,
    limit: int = 12,
    out: str = "runs/demo",
    workers: int = 1,
    resume: bool = False,
    force: bool = False,
) -> int:
    """An eval run in ``out``; an earlier run there is continued only with ``resume`` and replaced
    only with ``force`` (which removes that run's own files, never anything else)."""
    out_dir = Path(out)
    config = EvalConfig(
        agent=agent,
        out=str(out_dir),
        limit=limit,
        workers=workers,
        screenshots=limit,
        progress=False,
        resume=resume,
        force=force,
    )
    print(f"Replaying the first {limit} bundled test sessions (synthetic shoppers) with the {agent!r} agent;")
    print("each of its actions is checked against the shopper's next action.")
    metrics = run_eval(config, on_result=_print_session)
    print(f"\n{metrics['sessions']} sessions, {metrics['steps']} checked steps, {metrics['wall_seconds']:.1f} s")
    for key in HEADLINE:
        value = metrics.get(key)
        print(f"  {key:<28} {'n/a' if value is None else f'{100 * value:6.2f}%'}")
    print(f"\nWrote the run folder {out_dir}:")
    for path, what in run_files(out_dir):  # as given, like every command's closing lines
        print(f"  {path}  {what}")
    print(f"Report: {out_dir / REPORT_FILE}")
    return 0


def _show(step: str, obs: Observation) -> None:
    print(f"\n=== {step}: {obs.url}  ({len(obs.names)} named elements, {len(obs.html)} chars)")
    print(obs.html)


def run_tour(*, query: str = "wireless headphones", headed: bool = False, slow_mo_ms: float = 0.0) -> int:
    """Start the shop, search, open a product; print each page's simplified observation."""
    site = get_site("shop")
    config = BrowserConfig(headless=not headed, slow_mo_ms=slow_mo_ms)
    with site.serve() as server, Browser(config) as browser, browser.new_tab() as tab:
        print(f"The shop is serving at {server.url} while this tour runs.")
        _show("home", tab.goto(server.url + site.start_path))
        results = tab.act(Action.type_and_submit("search_input", query))
        _show(f"search {query!r}", results)
        product = next((n for n in results.names if n.endswith(".view_product")), None)
        if product is None:
            print(f"No product found for {query!r}; try another --query.")
            return 1
        _show(f"click {product}", tab.act(Action.click(product)))
        print("\nBrowse the same shop by hand: webmimic serve --site shop  (then open the printed URL)")
    return 0
