"""``webmimic validate FILE...``: print every problem in session files, one per line.

Kept apart from the format module so the CLI glue (printing, exit codes) stays out of it. The
CLI passes ``purchase_names_for`` (site name -> purchase element names) so this module need
not import the sites package.
"""

from __future__ import annotations

from collections.abc import Sequence
import sys
from typing import TextIO

from webmimic.replay.session import PurchaseNamesFor, check_files, problem_message

__all__ = ["validate_main"]


def validate_main(
    paths: Sequence[str],
    *,
    purchase_names_for: PurchaseNamesFor | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Check files; problems go to stderr as ``path:line: field: message``. Returns 0 if clean, else 1."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if not paths:
        print("validate: give at least one session file (.jsonl or .jsonl.gz)", file=err)
        return 1
    result = check_files(paths, purchase_names_for=purchase_names_for)
    for problem in result.problems:
        print(problem_message(problem), file=err)
    if result.problems:
        print(f"FAILED: {len(result.problems)} problem(s) in {result.files} file(s)", file=err)
        return 1
    print(f"OK: {result.sessions} sessions in {result.files} files", file=out)
    return 0
