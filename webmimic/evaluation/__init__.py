"""Evaluation: run an agent over recorded sessions (``run_eval``), score it, compare runs.

``run_eval`` writes a run directory (laid out, written and read by ``rundir``: steps.jsonl of
``StepRecord``s, metrics.json, shots/, the report); ``compute_metrics`` scores step records;
``compare_runs`` puts runs side by side with McNemar's test, the paper's significance test.
"""

from webmimic.evaluation.compare import compare_runs, mcnemar
from webmimic.evaluation.metrics import compute_metrics
from webmimic.evaluation.rundir import StepRecord, read_steps
from webmimic.evaluation.runner import EvalConfig, EvalRunError, run_eval

__all__ = [
    "EvalConfig",
    "EvalRunError",
    "run_eval",
    "compute_metrics",
    "compare_runs",
    "mcnemar",
    "StepRecord",
    "read_steps",
]
