"""The recorder driven by real X11 input: ``webmimic record``'s function runs headed under
``xvfb-run -a`` while xdotool plays the person (tests/record_person_x11.py); the saved session
must replay with the oracle at exact match 1.0 and no divergence. Needs Debian's xdotool, Xvfb
and chromium (``make chromium`` installs them)."""

from __future__ import annotations

from pathlib import Path
import shutil
import subprocess
import sys
import warnings

import pytest

from envs_helpers import oracle_replay
from webmimic.replay.session import read_sessions, validate_session
from webmimic.sites import get_site

PERSON = Path(__file__).with_name("record_person_x11.py")
MISSING = [tool for tool in ("xdotool", "xvfb-run", "chromium") if shutil.which(tool) is None]

pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"real-input recording needs {', '.join(MISSING)}: apt-get install -y xdotool xvfb chromium (make chromium)",
)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("x11") / "person.jsonl"
    # xvfb-run -a: a free display of its own; the screen is large enough for the 1280x800 window.
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, str(PERSON), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return out


def test_real_input_session_has_every_action(recorded):
    [session] = read_sessions(recorded)
    steps = session.steps
    assert [s.action.type for s in steps] == ["click"] * 5
    assert steps[0].action.name is not None and steps[0].action.name.startswith("search_suggestions.")
    assert [op.to_dict() for op in steps[0].before] == [{"op": "fill", "name": "search_input", "text": "head"}]
    assert [op.op for op in steps[2].before] == ["back", "forward"] and steps[2].action.name == "buy_now"
    assert [op.name for op in steps[3].before] == ["checkout.full_name", "checkout.street", "checkout.city"]
    assert [s.action.name for s in steps[3:]] == ["place_order", "place_order"]
    assert steps[4].url == "/checkout?missing=1" and [op.name for op in steps[4].before] == ["checkout.zip"]
    assert session.outcome == "purchase"  # the second order, confirmed; the look at orders after it is not kept
    assert validate_session(session, purchase_names=get_site("shop").purchase_names) == []
    pages = "".join(s.page or "" for s in steps)
    assert "1 Main St" not in pages and 'value="***"' in pages  # masked by default


def test_real_input_session_replays_exactly(recorded, wm_browser):
    from webmimic.envs.replay_env import ReplayEnv

    [session] = read_sessions(recorded)
    env = ReplayEnv(sessions=str(recorded), browser=wm_browser, strict=True)  # divergence raises
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exact = oracle_replay(env, session.id).exact
    assert exact == [True] * len(session.steps)
    assert [str(w.message) for w in caught if "differs" in str(w.message)] == []
