"""The debugging overlay of headed replays: outline the human's and the agent's targets.

``Tab.show_step`` and ``Tab.clear_overlay`` call these (with ``overlay.js``, next to this file);
the eval runner uses them for ``--headed`` and ``--pause-on-mismatch``. They are debugging aids,
so a failure to draw (page navigating away, closed tab) is logged and never breaks the run. The
overlay lives outside ``<body>`` in an aria-hidden shadow root, so the simplified observation the
agent sees is the same with or without it.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging

from playwright.sync_api import Error as PWError
from playwright.sync_api import Page

from webmimic.core.actions import Action, describe_action

__all__ = ["show_step", "clear", "OVERLAY_HOST", "OVERLAY_BOX", "OVERLAY_PANEL"]

log = logging.getLogger(__name__)

#: CSS selectors of the overlay's parts (Playwright's CSS engine pierces its open shadow root).
OVERLAY_HOST = "[data-wm-overlay]"
OVERLAY_BOX = "[data-wm-overlay-box]"
OVERLAY_PANEL = "[data-wm-overlay-panel]"


@functools.cache
def _overlay_js() -> str:
    return importlib.resources.files("webmimic.simulator").joinpath("overlay.js").read_text(encoding="utf-8")


def show_step(page: Page, human: Action | None, agent: Action | None, *, scroll: bool = True) -> None:
    """Outline the human's element (green) and the agent's (red); show both actions in a box.

    Replaces any previous overlay. An element that is not on the page is reported in the box,
    not raised. ``scroll`` brings the human's element into view when it is off-screen.
    """
    sides = []
    for side, label, action in (("human", "human", human), ("agent", "agent", agent)):
        sides.append(
            {
                "side": side,
                "label": label,
                "action": describe_action(action),
                "name": action.name if action is not None else None,
            }
        )
    same = human is not None and agent is not None and human == agent
    if human is None:
        note = None
    elif agent is None:
        note = "✗ the agent gave no valid action"
    elif same:
        note = "✓ same action"
    elif human.type == agent.type and human.name == agent.name:
        note = "✗ same element, different text"
    else:
        note = "✗ different action"
    request = {"op": "show", "sides": sides, "note": note, "same": same, "scroll": scroll}
    try:
        page.evaluate(_overlay_js(), request)
    except PWError as err:
        log.warning("Could not draw the step overlay: %s", err.message.splitlines()[0])


def clear(page: Page) -> None:
    """Remove the overlay (no-op when there is none)."""
    try:
        page.evaluate(_overlay_js(), {"op": "clear"})
    except PWError as err:
        log.warning("Could not remove the step overlay: %s", err.message.splitlines()[0])
