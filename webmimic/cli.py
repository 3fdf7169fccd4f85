"""The ``webmimic`` command: one entry point, a subcommand per job.

Each subcommand imports its module only when run, so ``webmimic --help`` stays fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
import logging
import math
from pathlib import Path
import shlex
import sys
from typing import TYPE_CHECKING

from webmimic.core.errors import WebmimicError
from webmimic.core.files import output_dir_problem, output_file_problem

if TYPE_CHECKING:
    from webmimic.agents.base import Generation
    from webmimic.agents.train import TrainConfig

__all__ = [
    "main",
    "positive_int",
    "non_negative_int",
    "non_negative_float",
    "positive_float",
    "output_file",
    "output_dir",
]

Handler = Callable[[argparse.Namespace], int]


class DefaultsFormatter(argparse.HelpFormatter):
    """``--help`` shows every option's default as "(default: X)": from the help text where it says
    it in words (a None default: "the bundled test split"), else added from the default value.
    Flags (on or off, off by default) and required options have none to show."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or not shows_default(action) or action.default is None:
            return action.help  # a None default is said in words in the help (the test checks it is)
        return f"{text} (default: %(default)s)" if text else "(default: %(default)s)"


def shows_default(action: argparse.Action) -> bool:
    """Whether ``--help`` must show this option's default (tests/test_cli_output.py checks it does)."""
    if not action.option_strings or action.required or action.default is argparse.SUPPRESS:
        return False
    return not (action.nargs == 0 and action.default in (False, None))  # a flag: off unless given


# -- argument types: each checks one kind of value at parse time, before any work starts -------------
def _number(text: str, kind: Callable[[str], float], what: str) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, not {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected {what}, not {text!r}")
    return value


def _at_least(low: int, what: str) -> Callable[[str], int]:
    def check(text: str) -> int:
        value = int(_number(text, int, what))
        if value < low:
            raise argparse.ArgumentTypeError(f"expected {what}, not {value}")
        return value

    check.__name__ = what  # argparse names the type in some messages
    return check


positive_int = _at_least(1, "a whole number of 1 or more")
non_negative_int = _at_least(0, "a whole number of 0 or more")
group_size = _at_least(2, "a whole number of 2 or more (GRPO compares completions within a group)")


def max_steps(text: str) -> int:
    """``train --max-steps``: a step count, or -1 (the default) for as many as the epochs take."""
    value = _at_least(-1, "a whole number of 1 or more, or -1 for no limit")(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number of 1 or more, or -1 for no limit, not 0")
    return value


def non_negative_float(text: str) -> float:
    value = _number(text, float, "a number of 0 or more")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, not {text}")
    return value


def positive_float(text: str) -> float:
    value = _number(text, float, "a number greater than 0")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number greater than 0, not {text}")
    return value


def port(text: str) -> int:
    value = _at_least(0, "a port from 0 (any free one) to 65535")(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 (any free one) to 65535, not {value}")
    return value


def output_file(text: str) -> str:
    """A file to write: its folder must exist and it must not be a folder (checked before the work)."""
    problem = output_file_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def output_dir(text: str) -> str:
    """A folder to write into (created if missing): not a file, and creatable."""
    problem = output_dir_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


# -- Ctrl-C -------------------------------------------------------------------------------------------
def _interrupted(command: str, what: str, argv: Sequence[str] | None = None) -> int:
    """One line on stderr for Ctrl-C (with the command that continues, when there is one); exit 130.

    Playwright's driver also gets the terminal's SIGINT; the futures it leaves failed would be
    logged by asyncio at exit as "Future exception was never retrieved", which is noise here.
    """
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    again = ""
    if argv is not None:
        kept = [a for a in argv if a not in ("--resume", "--force")]
        again = f"; to continue, run: {shlex.join(['webmimic', *kept, '--resume'])}"
    said = f" {what}" if what else ""
    print(f"\nwebmimic {command}: interrupted.{said}{again}", file=sys.stderr, flush=True)
    return 130


def _serve(args: argparse.Namespace) -> int:
    from webmimic.sites import get_site

    with get_site(args.site).serve(port=args.port) as server:
        print(f"{args.site} is serving at {server.url}  (Ctrl-C to stop)", flush=True)
        server.run_until_interrupted()
    return 0


def _simplify(args: argparse.Namespace) -> int:
    from webmimic.simulator import simplify_source

    sys.stdout.write(simplify_source(args.source))
    sys.stdout.write("\n")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from webmimic.demo import run_demo, run_tour

    if args.tour:
        return run_tour(query=args.query, headed=args.headed, slow_mo_ms=args.slow_mo)
    try:
        return run_demo(
            agent=args.agent, limit=args.limit, out=args.out, workers=args.workers, resume=args.resume, force=args.force
        )
    except KeyboardInterrupt:
        return _interrupted("demo", f"The finished sessions are saved in {args.out}", args.argv)


def _validate(args: argparse.Namespace) -> int:
    from webmimic.replay.validate import validate_main
    from webmimic.sites import get_site

    return validate_main(args.files, purchase_names_for=lambda site: get_site(site).purchase_names)


def _import_opera(args: argparse.Namespace) -> int:
    from webmimic.replay.opera import import_opera_main

    return import_opera_main(args.inputs, args.output)


def _generate(args: argparse.Namespace) -> int:
    from webmimic.shoppers.generate import generate_main

    return generate_main(args.site, args.sessions, args.seed, args.output, args.workers)


def _generation(args: argparse.Namespace) -> Generation:
    from webmimic.agents.base import Generation

    return Generation(args.temperature, args.top_p, args.max_new_tokens, args.context_tokens)


def _rollouts(args: argparse.Namespace) -> int:
    from webmimic.evaluation.rollouts import RolloutConfig, run_rollouts

    try:
        config = RolloutConfig(
            agent=args.agent,
            out=args.out,
            sessions=args.sessions,
            envs=args.envs,
            episodes=args.episodes,
            samples=args.samples,
            follow=args.follow,
            reward=args.reward,
            start_step=args.start_step,
            seed=args.seed,
            generation=_generation(args),
            ray=args.ray,
            resume=args.resume,
        )
    except ValueError as err:
        print(f"webmimic rollouts: error: {err}", file=sys.stderr)
        return 2
    try:
        summary = run_rollouts(config)
    except KeyboardInterrupt:
        return _interrupted("rollouts", f"The finished episodes are saved in {args.out}", args.argv)
    mean = summary["mean_return"]
    print(
        f"{summary['played']} episodes played ({summary['episodes']} in all, {summary['failed']} failed), "
        f"mean return {'-' if mean is None else f'{mean:.3f}'}: {summary['out']}"
    )
    return 1 if summary["failed"] and summary["failed"] == summary["played"] else 0


def _train(args: argparse.Namespace) -> int:
    from webmimic.agents.train import train

    try:
        config = _train_config(args)
    except ValueError as err:
        print(f"webmimic train: error: {err}", file=sys.stderr)
        return 2
    out = train(config)
    print(f"Saved the fine-tuned model to {out}; evaluate it with: webmimic eval --agent hf:{out}")
    return 0


def _train_config(args: argparse.Namespace) -> TrainConfig:
    from webmimic.agents.train import TrainConfig

    return TrainConfig(
        sessions=args.sessions,
        examples=args.examples,
        workers=args.workers,
        out=args.out,
        base=args.base,
        rationales=args.rationales,
        lora=args.lora,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        max_steps=args.max_steps,
        context_tokens=args.context_tokens,
        resume=args.resume,
        limit=args.limit,
        seed=args.seed,
        cut=args.cut,
        eval_sessions=args.eval_sessions,
        eval_limit=args.eval_limit,
        method=args.method,
        group_size=args.group_size,
        completion_tokens=args.completion_tokens,
        temperature=args.temperature,
        outcome_reward=args.outcome_reward,
        free_run_steps=args.free_run_steps,
        outcome_envs=args.outcome_envs,
    )


def _synthesize(args: argparse.Namespace) -> int:
    from webmimic.agents.rationales import synthesize_main

    return synthesize_main(args.model, args.sessions, args.output, args.limit)


def _models(args: argparse.Namespace) -> int:
    from webmimic.agents.models import models_main

    return models_main(args.folders, sys.stdout)


def _record(args: argparse.Namespace) -> int:
    from webmimic.replay.record import record_main

    return record_main(
        args.site,
        args.output,
        args.persona,
        keep_inputs=args.keep_inputs,
        url=args.url,
        purchase_url=args.purchase_url,
    )


EVAL_EXIT_CODES = (
    "exit status: 0 every session was scored; 3 some sessions failed (the site answered 5xx, dropped the "
    "connection or hung, or a human action could not be replayed) and the rest were scored; 1 every session "
    "failed, nothing was scored; 2 bad arguments or input files; 130 interrupted (Ctrl-C). Failed sessions are "
    "listed with their step, URL and error in metrics.json (failed_sessions); --resume tries them again."
)


def _eval(args: argparse.Namespace) -> int:
    """``webmimic eval``; the exit status is explained by EVAL_EXIT_CODES (shown by ``eval --help``)."""
    from webmimic.evaluation.runner import EvalConfig, run_eval

    try:
        config = EvalConfig(
            agent=args.agent,
            sessions=args.sessions,
            out=args.out,
            workers=args.workers,
            limit=args.limit,
            resume=args.resume,
            force=args.force,
            headed=args.headed,
            slow_mo=args.slow_mo,
            pause_on_mismatch=args.pause_on_mismatch,
            trace=args.trace,
            include_first=args.include_first,
            seed=args.seed,
            screenshots=args.screenshots,
            generation=_generation(args),
            ray=args.ray,
            base_url=args.base_url,
            strict=args.strict,
        )
    except ValueError as err:
        print(f"webmimic eval: error: {err}", file=sys.stderr)
        return 2
    try:
        metrics = run_eval(config)
    except KeyboardInterrupt:
        return _interrupted("eval", f"The finished sessions are saved in {_eval_out(args)}", args.argv)

    def pct(key: str) -> str:
        value = metrics.get(key)
        return "-" if value is None else f"{100 * value:.2f}%"

    print(
        f"{metrics['sessions']} sessions, {metrics['steps']} steps: exact match {pct('exact_match')} "
        f"(micro {pct('exact_match_micro')}), outcome F1 {pct('session_outcome_f1')}, "
        f"type macro-F1 {pct('action_type_macro_f1')}, invalid outputs {metrics['invalid_outputs']}"
    )
    print_run_files(_eval_out(args))
    failed = len(metrics["failed_sessions"])
    if not failed:
        return 0
    scored = metrics["sessions"]
    print(
        f"{failed} of {failed + scored} sessions failed, {scored or 'none'} scored: each failure's step, URL and "
        f"error are in {_eval_out(args)}/metrics.json (failed_sessions); rerun with --resume to retry them."
    )
    return 3 if scored else 1


def print_run_files(out: str) -> None:
    """What an eval run wrote, each with its path (as given: relative to where the command ran)."""
    from webmimic.evaluation.rundir import run_files

    print(f"Wrote the run folder {out}:")
    for path, what in run_files(Path(out)):
        print(f"  {path}  {what}")


def _eval_out(args: argparse.Namespace) -> str:
    """The run directory of ``webmimic eval`` as given or defaulted (for messages)."""
    if args.out:
        return str(args.out)
    from webmimic.evaluation.runner import default_out_dir
    from webmimic.replay.bundled import bundled_sessions_path

    return str(default_out_dir(args.agent, args.sessions or str(bundled_sessions_path("test"))))


def _compare(args: argparse.Namespace) -> int:
    from webmimic.evaluation.compare import compare_main

    return compare_main(args.runs, sys.stdout, markdown=args.markdown)


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", default="shop", help="site to serve (default: shop)")
    p.add_argument("--port", type=port, default=0, help="port (default: a free one)")


def _simplify_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="an HTML file path or an http(s) URL")


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--agent", default="bundled", metavar="SPEC", help="agent spec (default: the bundled model)")
    p.add_argument("--limit", type=positive_int, default=12, metavar="N", help="how many bundled test sessions")
    p.add_argument("--workers", type=positive_int, default=1, metavar="N", help="sessions at once, on one browser")
    p.add_argument("--out", type=output_dir, default="runs/demo", metavar="DIR", help="run directory")
    _rerun_args(p)
    p.add_argument("--tour", action="store_true", help="instead: search and open a product, printing each observation")
    p.add_argument("--query", default="wireless headphones", help="--tour: what to search for")
    p.add_argument("--headed", action="store_true", help="--tour: show the browser (needs a display, or xvfb-run)")
    p.add_argument(
        "--slow-mo", type=non_negative_float, default=0.0, metavar="MS", help="--tour: delay each browser operation"
    )


def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="session files (.jsonl or .jsonl.gz)")


def _generate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", default="shop", help="site to shop on (default: shop)")
    p.add_argument("--sessions", type=positive_int, required=True, metavar="N", help="how many sessions")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (same seed, same file)")
    p.add_argument("--workers", type=positive_int, default=1, metavar="W", help="browser processes in parallel")
    p.add_argument(
        "-o", "--output", type=output_file, required=True, help="session file to write (.jsonl or .jsonl.gz)"
    )


def _record_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", default="shop", help="site to record on (default: shop)")
    p.add_argument("--persona", default=None, help="free-text persona stored with the session (default: none)")
    p.add_argument("-o", "--output", type=output_file, required=True, help="session file (a new session is appended)")
    p.add_argument(
        "--keep-inputs",
        action="store_true",
        help="keep form values in the saved pages (default: masked, search text aside; passwords are never saved)",
    )
    p.add_argument(
        "--url",
        default=None,
        help='record on any web app at this http(s) URL instead of --site, as a "web" session with its origin '
        "(default: none: the --site)",
    )
    p.add_argument(
        "--purchase-url",
        default=None,
        metavar="REGEX",
        help="with --url: responses whose URL matches REGEX confirm a purchase (default: sessions end in terminate)",
    )


def _eval_args(p: argparse.ArgumentParser) -> None:
    p.epilog = EVAL_EXIT_CODES
    p.add_argument(
        "--agent",
        required=True,
        metavar="SPEC",
        help="oracle, random, heuristic, smollm2, bundled, hf:PATH, openai:MODEL@URL, or module:attr (your own)",
    )
    p.add_argument("--sessions", default=None, metavar="FILE", help="session file (default: the bundled test split)")
    p.add_argument(
        "--out",
        type=output_dir,
        default=None,
        metavar="DIR",
        help="run directory (default: runs/<agent>-<sessions stem>)",
    )
    p.add_argument("--workers", type=positive_int, default=1, metavar="N", help="sessions at once, on one browser")
    _ray_arg(p)
    p.add_argument(
        "--limit", type=positive_int, default=None, metavar="N", help="only the first N sessions (by id) (default: all)"
    )
    _rerun_args(p)
    p.add_argument("--headed", action="store_true", help="show the browser with the human/agent overlay (one worker)")
    p.add_argument(
        "--slow-mo", type=non_negative_float, default=0.0, metavar="MS", help="delay each browser operation when headed"
    )
    p.add_argument(
        "--pause-on-mismatch",
        action="store_true",
        help="open the Playwright inspector at each mismatch (implies --headed)",
    )
    p.add_argument("--trace", action="store_true", help="save a Playwright trace per session under DIR/traces")
    p.add_argument("--include-first", action="store_true", help="also check each session's first action")
    p.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help='replay there, e.g. a staging build: "web" sessions are rebased from their origin, bundled-site '
        "sessions go to that running site instead of a server started here (default: each session's origin, "
        "or the bundled site started here)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="a page or URL that differs from the recording fails the session at that step (default: a warning)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of random agents and of sampling")
    p.add_argument(
        "--screenshots",
        type=non_negative_int,
        default=20,
        metavar="K",
        help="screenshot the steps of the first K sessions (0: none)",
    )
    _generation_args(p)


def _rerun_args(p: argparse.ArgumentParser) -> None:
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    again.add_argument(
        "--force", action="store_true", help="replace the earlier run in --out (only its own files are removed)"
    )


def _path(check: Callable[[str], str]) -> Callable[[str], Path]:
    def convert(text: str) -> Path:
        return Path(check(text))

    convert.__name__ = check.__name__
    return convert


def _ray_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run the workers as Ray actors, a browser each: a local Ray, or the cluster at ADDRESS "
        "(default: no Ray, the workers run here)",
    )


def _generation_args(p: argparse.ArgumentParser) -> None:
    llm = p.add_argument_group("LLM agents (smollm2, bundled, hf:, openai:)")
    llm.add_argument("--temperature", type=non_negative_float, default=0.0, metavar="T", help="0: greedy")
    llm.add_argument("--top-p", type=float, default=1.0, metavar="P", help="nucleus sampling when T > 0")
    llm.add_argument(
        "--max-new-tokens", type=positive_int, default=None, metavar="N", help="answer length (default: 256)"
    )
    llm.add_argument(
        "--context-tokens",
        type=positive_int,
        default=None,
        metavar="T",
        help="prompt and answer budget (default: the model's)",
    )


def _bench_args(p: argparse.ArgumentParser) -> None:
    """Here, not in bench.py, so that ``webmimic --help`` imports no browser (defaults: BenchConfig's)."""
    p.add_argument("--sessions", type=Path, default=None, help="session file (default: the bundled test split)")
    p.add_argument("--limit", type=positive_int, default=20, help="sessions to replay")
    p.add_argument(
        "--rounds",
        type=positive_int,
        default=2,
        help="replays of webmimic and of BrowserGym, alternating which goes first (their steps pooled)",
    )
    p.add_argument(
        "--envs", type=positive_int, nargs="+", default=[1, 2, 4, 8], help="env counts to scale over (default: 1 2 4 8)"
    )
    p.add_argument("--scale-steps", type=positive_int, default=160, help="env steps per env count")
    p.add_argument(
        "--model-sessions", type=non_negative_int, default=2, help="sessions the bundled model answers (0: skip)"
    )
    p.add_argument("--tokenizer", choices=("smollm2", "bundled"), default="smollm2", help="tokenizer of the counts")
    p.add_argument("--no-browsergym", action="store_true", help="skip BrowserGym (its figures are null)")
    p.add_argument(
        "--build-dir", type=_path(output_dir), default=Path("build"), help="where BrowserGym's virtualenv goes"
    )
    p.add_argument(
        "--json",
        type=_path(output_file),
        default=None,
        metavar="PATH",
        help="also write the figures as JSON (default: not written)",
    )


def _bench(args: argparse.Namespace) -> int:
    from webmimic.evaluation.bench import bench_main

    return bench_main(args)


def _rollouts_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--agent", required=True, metavar="SPEC", help="any agent spec (see eval)")
    p.add_argument(
        "--out", type=output_file, required=True, metavar="FILE", help="trajectories, one JSON line per episode"
    )
    p.add_argument("--sessions", default=None, metavar="FILE", help="session file (default: the bundled train split)")
    p.add_argument("--envs", type=positive_int, default=1, metavar="N", help="episodes at once, on one browser")
    _ray_arg(p)
    p.add_argument("--episodes", type=positive_int, default=1, metavar="M", help="episodes in all")
    p.add_argument(
        "--samples", type=positive_int, default=1, metavar="K", help="consecutive episodes per session (a group)"
    )
    p.add_argument(
        "--follow",
        choices=("agent", "human"),
        default="agent",
        help="agent: its actions drive the browser, the reward is the session's outcome; "
        "human: teacher forcing, a reward per step",
    )
    p.add_argument("--reward", choices=("partial", "exact"), default="partial", help="--follow human's step reward")
    p.add_argument(
        "--start-step", type=non_negative_int, default=0, metavar="S", help="replay the human's first S actions first"
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the episodes' sampling")
    p.add_argument("--resume", action="store_true", help="keep the finished episodes in --out, play the rest")
    _generation_args(p)


def _train_args(p: argparse.ArgumentParser) -> None:
    data = p.add_mutually_exclusive_group(required=True)
    data.add_argument(
        "--sessions",
        metavar="FILE",
        help="training sessions, e.g. the bundled train split (no default: this or --examples)",
    )
    data.add_argument(
        "--examples",
        metavar="FILE",
        help="an earlier run's examples.jsonl, no browser needed (no default: this or --sessions)",
    )
    p.add_argument(
        "--out", type=output_dir, required=True, metavar="DIR", help="folder for the model (hf:DIR loads it)"
    )
    p.add_argument(
        "--preset", choices=["tiny"], default="tiny", help="without --base: tokenizer and model from scratch"
    )
    p.add_argument(
        "--base",
        default=None,
        metavar="PATH",
        help="fine-tune this folder (or smollm2, or bundled) instead (default: none, --preset)",
    )
    p.add_argument("--rationales", action=argparse.BooleanOptionalAction, default=True, help="train on rationales")
    p.add_argument("--lora", action="store_true", help="train LoRA adapters (merged into the saved model)")
    p.add_argument("--epochs", type=positive_float, default=1.0, metavar="E")
    p.add_argument("--learning-rate", type=positive_float, default=1e-3, metavar="LR", help="peak learning rate")
    p.add_argument("--max-steps", type=max_steps, default=-1, metavar="N", help="stop after N optimizer steps")
    p.add_argument("--context-tokens", type=positive_int, default=4096, metavar="T", help="tokens per conversation")
    p.add_argument(
        "--limit", type=positive_int, default=None, metavar="N", help="only the first N sessions (by id) (default: all)"
    )
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument(
        "--workers", type=positive_int, default=1, metavar="N", help="sessions replayed at once, on one browser"
    )
    p.add_argument(
        "--cut",
        choices=["last", "random"],
        default="last",
        help="end each session's conversation at its last step (the paper's recipe) or a step drawn per session",
    )
    p.add_argument(
        "--eval-sessions",
        metavar="FILE",
        help="evaluate the model on these sessions; figures in its card (default: no evaluation)",
    )
    p.add_argument("--eval-limit", type=positive_int, metavar="N", help="only the first N eval sessions (default: all)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in DIR/checkpoints")
    _grpo_args(p)


def _grpo_args(p: argparse.ArgumentParser) -> None:
    rl = p.add_argument_group("GRPO (--method grpo, from a fine-tuned --base)")
    rl.add_argument("--method", choices=["sft", "grpo"], default="sft", help="sft or grpo")
    rl.add_argument("--group-size", type=group_size, default=4, metavar="K", help="completions sampled per prompt")
    rl.add_argument(
        "--completion-tokens", type=positive_int, default=96, metavar="N", help="longest completion sampled"
    )
    rl.add_argument("--temperature", type=positive_float, default=1.0, metavar="T", help="sampling temperature")
    rl.add_argument(
        "--outcome-reward",
        type=non_negative_float,
        default=0.0,
        metavar="W",
        help="weight of the session-outcome reward: each completion is played on in a free run in the live shop, "
        "1 when it ends as the person's session did (needs --sessions; 0: off)",
    )
    rl.add_argument(
        "--free-run-steps",
        type=positive_int,
        default=4,
        metavar="N",
        help="the most actions the policy plays after a completion in that free run",
    )
    rl.add_argument(
        "--outcome-envs",
        type=positive_int,
        default=None,
        metavar="N",
        help="free runs played at once, each in a context of one Chromium, the policy answering them together "
        "(in one batch on a GPU) (default: --group-size)",
    )


def _synthesize_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, metavar="SPEC", help="the LLM: smollm2, bundled, hf:PATH, openai:...")
    p.add_argument("--sessions", required=True, metavar="FILE", help="sessions whose missing rationales to fill")
    p.add_argument("-o", "--output", type=output_file, required=True, metavar="FILE", help="session file to write")
    p.add_argument(
        "--limit", type=positive_int, default=None, metavar="N", help="only the first N sessions (default: all)"
    )


def _models_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "folders", nargs="*", metavar="DIR", help="model folders to describe too (e.g. webmimic train outputs)"
    )


def _compare_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", nargs="+", metavar="DIR", help="run directories written by webmimic eval")
    p.add_argument("--markdown", action="store_true", help="a Markdown table, McNemar against the row above")


def _import_opera_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="OPeRA files: .parquet, .jsonl, .jsonl.gz")
    p.add_argument(
        "-o", "--output", type=output_file, required=True, help="session file to write (.jsonl or .jsonl.gz)"
    )


# name, handler, help, arguments; in the order `webmimic --help` lists them.
COMMANDS: tuple[tuple[str, Handler, str, Callable[[argparse.ArgumentParser], None]], ...] = (
    ("serve", _serve, "Serve a mock site on 127.0.0.1 until Ctrl-C.", _serve_args),
    ("simplify", _simplify, "Print the simplified HTML of a file or URL.", _simplify_args),
    (
        "demo",
        _demo,
        "The main job: replay bundled sessions with the best agent, print each check and the metrics.",
        _demo_args,
    ),
    ("validate", _validate, "Check session files; report every problem; exit 1 if any.", _validate_args),
    (
        "generate",
        _generate,
        "Generate synthetic shopper sessions on the live site (synthetic, not people).",
        _generate_args,
    ),
    ("record", _record, "Record a person shopping in a headed browser; close the window to end.", _record_args),
    (
        "eval",
        _eval,
        "Run an agent over sessions in live browsers; check each next action against the human's.",
        _eval_args,
    ),
    (
        "rollouts",
        _rollouts,
        "Collect an agent's trajectories on replayed sessions (JSON Lines, resumable) for RL.",
        _rollouts_args,
    ),
    (
        "bench",
        _bench,
        "Measure replay speed (against BrowserGym), observation sizes, scaling, memory and model latency.",
        _bench_args,
    ),
    ("train", _train, "Fine-tune an LLM shopper on sessions (loss on rationales and actions only).", _train_args),
    (
        "synthesize-rationales",
        _synthesize,
        "Fill missing rationales with an LLM shown the page and the real action (marked synthesized).",
        _synthesize_args,
    ),
    ("models", _models, "List the local models agent specs can name: paths, sizes, what they are.", _models_args),
    ("compare", _compare, "Compare eval runs side by side, with McNemar's test on exact match.", _compare_args),
    (
        "import-opera",
        _import_opera,
        "Convert OPeRA action rows (parquet or JSON Lines) into snapshot sessions.",
        _import_opera_args,
    ),
)


def _build_parser() -> argparse.ArgumentParser:
    from webmimic import __version__

    parser = argparse.ArgumentParser(
        prog="webmimic",
        description="Replay recorded shopping sessions in a live browser and check an agent's actions against "
        "the human's.",
    )
    parser.add_argument("--version", action="version", version=f"webmimic {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, handler, help_text, add_arguments in COMMANDS:
        command = sub.add_parser(name, help=help_text, description=help_text, formatter_class=DefaultsFormatter)
        command.set_defaults(handler=handler)
        add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # to say which command continues after Ctrl-C
    try:
        code: int = args.handler(args)
        return code
    except WebmimicError as err:
        print(f"webmimic {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return _interrupted(args.command, "")


if __name__ == "__main__":
    sys.exit(main())
