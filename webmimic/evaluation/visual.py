"""Visual debugging hooks for headed replays: outline targets on the live page, pause, trace.

The runner calls these around each step when run with ``--headed``, ``--pause-on-mismatch`` or
``--trace``. They are debugging aids, so a failure to draw (page navigating away, closed tab) is
logged and never breaks the run. The overlay lives outside ``<body>`` in an aria-hidden shadow
root, so the simplified observation the agent sees is the same with or without it.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import os
from pathlib import Path

from playwright.sync_api import BrowserContext, Error as PWError, Page

from webmimic.simulator.actions import Action

__all__ = ["show_step", "clear", "pause", "start_trace", "stop_trace", "describe"]

log = logging.getLogger(__name__)

#: CSS selectors of the overlay's parts (Playwright's CSS engine pierces its open shadow root).
OVERLAY_HOST = "[data-wm-overlay]"
OVERLAY_BOX = "[data-wm-overlay-box]"
OVERLAY_PANEL = "[data-wm-overlay-panel]"


@functools.cache
def _overlay_js() -> str:
    return importlib.resources.files("webmimic.simulator").joinpath("overlay.js").read_text(encoding="utf-8")


def describe(action: Action | None) -> str:
    """One line for a person to read: ``click search_button``, ``type_and_submit q "shoes"``."""
    if action is None:
        return "(no valid action)"
    if action.type == "terminate":
        return "terminate"
    if action.type == "type_and_submit":
        return f"type_and_submit {action.name} {action.text!r}"
    return f"click {action.name}"


def show_step(page: Page, human: Action | None, agent: Action | None, *, scroll: bool = True) -> None:
    """Outline the human's element (green) and the agent's (red); show both actions in a box.

    Replaces any previous overlay. An element that is not on the page is reported in the box,
    not raised. ``scroll`` brings the human's element into view when it is off-screen.
    """
    sides = []
    for side, label, action in (("human", "human", human), ("agent", "agent", agent)):
        sides.append({
            "side": side,
            "label": label,
            "action": describe(action),
            "name": action.name if action is not None else None,
        })
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


def pause(page: Page) -> None:
    """Open Playwright's inspector and wait until the person resumes (headed runs only).

    In a headless browser Playwright has no window to show, so this would wait forever or do
    nothing; the runner calls it for ``--pause-on-mismatch``, which implies ``--headed``.
    """
    page.pause()


def start_trace(context: BrowserContext) -> None:
    """Record a Playwright trace (DOM snapshots and screenshots of every action) of ``context``."""
    context.tracing.start(screenshots=True, snapshots=True, sources=False)


def stop_trace(context: BrowserContext, path: str | os.PathLike[str]) -> Path:
    """Stop recording and write the trace zip to ``path`` (see ``playwright show-trace``)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    context.tracing.stop(path=str(out))
    return out
