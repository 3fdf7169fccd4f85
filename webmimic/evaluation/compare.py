"""``webmimic compare``: runs side by side (like the paper's Table 1) and McNemar's test per pair.

McNemar's test is the paper's significance test: it pairs the two runs' exact-match outcomes
on the same (session, step) and looks only at the discordant pairs, so two agents evaluated on
the same steps can be told apart without assuming the steps are independent of the agents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import itertools
import math
import os
from pathlib import Path
from typing import Any, TextIO

from webmimic.core.errors import WebmimicError
from webmimic.evaluation.rundir import METRICS_FILE, STEPS_FILE, read_metrics, read_steps

__all__ = [
    "COLUMNS",
    "McNemar",
    "compare_main",
    "compare_runs",
    "format_comparison",
    "format_markdown",
    "load_run",
    "mcnemar",
]

EXACT_BELOW = 25

COLUMNS: tuple[tuple[str, str], ...] = (
    ("exact_match", "Exact match"),
    ("session_outcome_f1", "Outcome F1"),
    ("action_type_macro_f1", "Type macro-F1"),
    ("session_outcome_weighted_f1", "Outcome w-F1"),
    ("click_type_weighted_f1", "Click-type w-F1"),
    ("element_accuracy", "Element acc"),
    ("operation_f1", "Op F1"),
)

StepKey = tuple[str, int]


@dataclass(frozen=True)
class McNemar:
    """One paired test: b = only run A right, c = only run B right."""

    a: str
    b_run: str
    n: int
    b: int
    c: int
    statistic: float | None
    p_value: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b_run": self.b_run,
            "n": self.n,
            "b": self.b,
            "c": self.c,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "method": self.method,
        }


def mcnemar(b: int, c: int) -> tuple[float | None, float, str]:
    """(statistic, two-sided p, method): exact binomial when b+c < 25, else chi-square with continuity."""
    n = b + c
    if n == 0:
        return None, 1.0, "exact"
    if n < EXACT_BELOW:
        tail = sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2**n
        return None, min(1.0, 2 * tail), "exact"
    statistic = (abs(b - c) - 1) ** 2 / n
    return statistic, math.erfc(math.sqrt(statistic / 2)), "chi2"


def load_run(run_dir: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[StepKey, bool]]:
    """A run's metrics.json and its exact matches by (session_id, step); a torn last line is ignored."""
    root = Path(run_dir)
    metrics = read_metrics(root)
    if metrics is None or not (root / STEPS_FILE).is_file():
        raise WebmimicError(f"{root} is not a finished eval run (needs {METRICS_FILE} and {STEPS_FILE}).")
    return metrics, {r.key: r.exact for r in read_steps(root / STEPS_FILE).records}


def compare_runs(run_dirs: Sequence[str | os.PathLike[str]]) -> dict[str, Any]:
    """Metrics of each run and McNemar's test on exact matches for every pair of runs."""
    if len(run_dirs) < 2:
        raise WebmimicError("compare needs at least two run directories.")
    loaded = {str(d): load_run(d) for d in run_dirs}
    tests: list[McNemar] = []
    for (name_a, (_, ex_a)), (name_b, (_, ex_b)) in itertools.combinations(loaded.items(), 2):
        keys = ex_a.keys() & ex_b.keys()
        if not keys:
            raise WebmimicError(
                f"Runs {name_a} and {name_b} share no (session, step): they were run on different "
                "sessions, so they cannot be paired."
            )
        b = sum(1 for k in keys if ex_a[k] and not ex_b[k])
        c = sum(1 for k in keys if ex_b[k] and not ex_a[k])
        statistic, p, method = mcnemar(b, c)
        tests.append(McNemar(name_a, name_b, len(keys), b, c, statistic, p, method))
    return {"runs": {name: metrics for name, (metrics, _) in loaded.items()}, "mcnemar": [t.to_dict() for t in tests]}


def _percent(value: Any) -> str:
    return "-" if value is None else f"{100 * float(value):.2f}"


def format_comparison(result: Mapping[str, Any]) -> str:
    """The table (percentages) and one line per McNemar test."""
    header = ["Run", *(title for _, title in COLUMNS), "Steps"]
    rows = [
        [name, *(_percent(m.get(key)) for key, _ in COLUMNS), str(m.get("steps", "-"))]
        for name, m in result["runs"].items()
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
        for r in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append("McNemar's test on exact match (b: only the first right, c: only the second right)")
    for t in result["mcnemar"]:
        stat = f", chi2={t['statistic']:.3f}" if t["statistic"] is not None else ""
        lines.append(
            f"  {t['a']} vs {t['b_run']}: n={t['n']} b={t['b']} c={t['c']}{stat}, "
            f"p{_p_text(t['p_value'])} ({t['method']})"
        )
    return "\n".join(lines) + "\n"


def format_markdown(result: Mapping[str, Any]) -> str:
    """The table as Markdown (for a README), with the invalid outputs and, per row, McNemar's p
    against the row above (the paper's neighbour comparisons)."""
    tests = {(t["a"], t["b_run"]): t for t in result["mcnemar"]}
    header = ["Run", *(title for _, title in COLUMNS), "Invalid", "Steps", "McNemar p vs row above"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    previous = None
    for name, m in result["runs"].items():
        steps = m.get("steps") or 0
        invalid = _percent(m.get("invalid_outputs", 0) / steps) if steps else "-"
        test = tests.get((previous, name)) if previous else None
        p = f"{_p_text(test['p_value']).lstrip('=')} (n={test['n']})" if test else ""
        cells = [name, *(_percent(m.get(key)) for key, _ in COLUMNS), invalid, str(steps), p]
        lines.append("| " + " | ".join(cells) + " |")
        previous = name
    return "\n".join(lines) + "\n"


def compare_main(run_dirs: Sequence[str], out: TextIO, *, markdown: bool = False) -> int:
    result = compare_runs(run_dirs)
    out.write(format_markdown(result) if markdown else format_comparison(result))
    return 0


def _p_text(p: float) -> str:
    """``=0.0369``, or ``<1e-300`` where the p-value underflows a float."""
    return f"={p:.4g}" if p > 0 else "<1e-300"
