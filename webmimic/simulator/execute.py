"""Carrying out one paper-format action on the live page, like a person would.

The element is found by the name the last observation gave it (re-named first if the page
changed since), checked in the page (rendered? enabled? the right kind?) so that impossible
actions fail at once with a specific error instead of a Playwright timeout, then acted on
with the mouse at the point checked or the keyboard, as a person would; finally the page is
left to settle, on the new document when the action loaded one. Playwright errors are translated by
type; their text only goes into the message.
"""

from __future__ import annotations

from collections.abc import Callable
import time
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Error as PWError
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PWTimeout

from webmimic.core.actions import Action
from webmimic.core.errors import (
    ActionTimeoutError,
    BrowserClosedError,
    ElementNotFoundError,
    ElementNotInteractableError,
)
from webmimic.core.names import is_valid_name
from webmimic.simulator import greenlets
from webmimic.simulator.observation import evaluate, observe_page, settle

if TYPE_CHECKING:
    from webmimic.simulator.browser import Tab
    from webmimic.simulator.observation import Observation

__all__ = ["perform", "resolve", "css_for"]


def css_for(name: str) -> str:
    """The CSS selector of the element simplify.js marked with ``name``."""
    return f'[data-wm-name="{name}"]'


def resolve(tab: Tab, name: str, deadline: float | None = None, *, click: bool = False) -> dict[str, Any]:
    """Facts about the element named ``name``; raises if there is none or it is not rendered."""
    if deadline is None:
        deadline = time.monotonic() + tab.timeout_ms / 1000
    if not is_valid_name(name):
        # No element can carry it, so the page is not searched; the names (for the closest
        # ones and the count) are the last observation's, or the page's own if none was taken.
        last = tab.last_observation or observe_page(tab.page, deadline)
        raise ElementNotFoundError(name, last.names)
    info: dict[str, Any] = evaluate(
        tab.page, {"op": "resolve", "name": name, "click": click}, deadline, f"looking for {name!r}"
    )
    if not info["found"]:
        if info["hidden"]:
            raise ElementNotInteractableError(
                name, "it is not rendered (display:none, visibility:hidden or the hidden attribute)."
            )
        raise ElementNotFoundError(name, info["names"])
    return info


def perform(tab: Tab, action: Action) -> Observation | None:
    """Do ``action`` on the tab's page, wait until the page settles (bounded by timeout_ms) and
    return its observation; None for terminate, which does nothing."""
    if action.type == "terminate":
        return None
    assert action.name is not None
    deadline = time.monotonic() + tab.timeout_ms / 1000
    name = action.name
    info = resolve(tab, name, deadline, click=action.type == "click")
    if info["disabled"]:
        raise ElementNotInteractableError(name, "it is disabled.")
    page = tab.page

    verb = "click" if action.type == "click" else "type into"
    try:
        if action.type == "click":
            _click(page, name, info, deadline)
        else:
            _type_and_submit(page, name, action.text or "", info, deadline)
    except PWTimeout as err:
        raise ActionTimeoutError(
            f"Timed out after {tab.timeout_ms:.0f} ms waiting to {verb} {name!r}: Playwright waits until "
            "the element is visible, stable, enabled and not covered by another element."
        ) from err
    except TimeoutError as err:  # the mouse or keyboard (greenlets.within) got no answer
        raise ActionTimeoutError(
            f"Timed out after {tab.timeout_ms:.0f} ms waiting to {verb} {name!r}: the page did not take "
            "the input, a script on it may be stuck."
        ) from err
    except PWError as err:
        if tab.closed or page.is_closed():
            raise BrowserClosedError("The tab or browser closed during the action.") from err
        raise ElementNotInteractableError(
            name, f"the browser could not {verb} it ({err.message.splitlines()[0]})."
        ) from err
    return settle(page, deadline, f"the {action.type} on {name!r}", departure=tab.wait_for_departure)


def _ms_left(deadline: float, name: str) -> float:
    """Milliseconds until ``deadline``; ActionTimeoutError when none are left to start the next input."""
    ms = (deadline - time.monotonic()) * 1000
    if ms < 1:
        raise ActionTimeoutError(f"Timed out before the action on {name!r} could start.")
    return ms


def _input(page: Page, deadline: float, name: str, call: Callable[[Any], Any]) -> None:
    """One mouse or keyboard input through Playwright's impl, bounded by the action's time left."""
    greenlets.within(page, call, _ms_left(deadline, name) / 1000)


def _click(page: Page, name: str, info: dict[str, Any], deadline: float) -> None:
    if info["tag"] == "option":
        if info.get("selectDisabled") or not info.get("selectName"):
            raise ElementNotInteractableError(name, "its <select> is disabled or not rendered.")
        page.locator(css_for(info["selectName"])).select_option(index=info["index"], timeout=_ms_left(deadline, name))
    elif info["tag"] == "select":
        # A click on a <select> only opens it; focusing avoids a native popup in headed mode.
        page.locator(css_for(name)).focus(timeout=_ms_left(deadline, name))
    else:
        if not info["sized"]:
            raise ElementNotInteractableError(name, "it has no size on screen, so it cannot be clicked.")
        if info.get("coveredBy"):
            raise ElementNotInteractableError(name, f"it is covered by {info['coveredBy']}; close that first.")
        # resolve() checked what Playwright's actionability checks would wait for (rendered,
        # enabled, sized, not covered), so the mouse clicks the element's point. A link's new
        # page is waited for by settle (its departure), as Playwright's own click would.
        x, y = info["point"]["x"], info["point"]["y"]
        _input(page, deadline, name, lambda impl: impl.mouse.click(x, y, delay=None, button=None, click_count=None))


def _type_and_submit(page: Page, name: str, text: str, info: dict[str, Any], deadline: float) -> None:
    if not info["editable"]:
        kind = f"<{info['tag']}{' type=' + info['type'] if info['type'] else ''}>"
        raise ElementNotInteractableError(
            name, f"type_and_submit needs a text input, textarea or editable element, not {kind}."
        )
    if info["readonly"]:
        raise ElementNotInteractableError(name, "it is read-only.")
    if info["type"] == "number" and not _is_number(text):
        raise ElementNotInteractableError(name, f"it takes a number, and {text!r} is not one.")
    # As Playwright's fill does: focus with the old text selected, insert the new text over it
    # (one input event), then Enter; the keyboard rather than a Locator, which would first load
    # Playwright's selector engine into the page. A form's new page is waited for by settle.
    if not evaluate(page, {"op": "focus", "name": name}, deadline, f"focusing {name!r}"):
        raise ElementNotInteractableError(name, "it did not take the keyboard focus.")
    if text:
        _input(page, deadline, name, lambda impl: impl.keyboard.insert_text(text))
    else:
        _input(page, deadline, name, lambda impl: impl.keyboard.press("Delete", delay=None))
    _input(page, deadline, name, lambda impl: impl.keyboard.press("Enter", delay=None))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
