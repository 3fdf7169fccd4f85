"""The one place that finds a Chromium executable for Playwright.

Playwright's own browser download is unreachable on many machines and CIs, so webmimic
drives the system's Chromium: ``WEBMIMIC_CHROMIUM`` if set, else Debian's
``chromium-headless-shell`` (starts faster; headless only) or ``chromium``.
"""

from __future__ import annotations

import os
import shutil
import sys

from webmimic.core.errors import ChromiumNotFoundError

__all__ = ["find_chromium", "has_display", "LAUNCH_ARGS", "NO_IMAGES"]

_HEADLESS_CANDIDATES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
_HEADED_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")

# Without these, Chromium keeps opening connections that a closed network refuses.
LAUNCH_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-gpu",
)

# Images are the most of a shop page's subresources (an SVG each: a request, a document, a
# raster); a text-only run reads none of their pixels, and the pages' boxes are sized by CSS.
NO_IMAGES = "--blink-settings=imagesEnabled=false"


def find_chromium(*, headless: bool = True) -> str:
    """Path of the Chromium to launch; raises ChromiumNotFoundError saying how to get one."""
    override = os.environ.get("WEBMIMIC_CHROMIUM")
    if override:
        path = shutil.which(override)
        if path is None:
            raise ChromiumNotFoundError(
                f"WEBMIMIC_CHROMIUM={override!r} is not an executable file. "
                "Point it at a Chromium or Chrome binary, or unset it to use Debian's chromium."
            )
        return path
    for name in _HEADLESS_CANDIDATES if headless else _HEADED_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    wanted = "chromium-headless-shell or chromium" if headless else "chromium (a headed browser)"
    raise ChromiumNotFoundError(
        f"No {wanted} executable found on PATH. Install Debian's package "
        "(`apt-get install chromium chromium-headless-shell`, or run `make setup` as root), "
        "or set WEBMIMIC_CHROMIUM=/path/to/chrome."
    )


NO_DISPLAY = (
    "A headed browser needs a display, and neither DISPLAY nor WAYLAND_DISPLAY is set. "
    "On a machine without one, run the command under a virtual display: xvfb-run -a <command>."
)


def has_display() -> bool:
    """Whether a headed browser can open a window here (always, except Linux without X11 or Wayland)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
