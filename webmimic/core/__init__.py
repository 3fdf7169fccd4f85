"""What every layer shares and that needs no browser: actions, names, matching, errors.

- ``webmimic.core.actions``: the paper's action record and its parsing from agent output;
- ``webmimic.core.names``: the element-name grammar (slugs, valid names, the purchase rule);
- ``webmimic.core.match``: exact match and partial credit against the human's action;
- ``webmimic.core.errors``: the one exception tree;
- ``webmimic.core.files``: the atomic file writer every writer in the package uses.

Importing it loads neither Playwright nor torch nor transformers (a test checks).
"""

from webmimic.core.actions import ACTION_TYPES, Action, describe_action, parse_action, parse_agent_output
from webmimic.core.match import Match, compare_actions, partial_credit, rouge_l
from webmimic.core.names import is_purchase_name, is_valid_name, join_name, slugify

__all__ = [
    "ACTION_TYPES",
    "Action",
    "Match",
    "compare_actions",
    "describe_action",
    "is_purchase_name",
    "is_valid_name",
    "join_name",
    "parse_action",
    "parse_agent_output",
    "partial_credit",
    "rouge_l",
    "slugify",
]
