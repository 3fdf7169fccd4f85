"""Play webmimic's recorded action sequences through BrowserGym, and time its steps.

``webmimic bench`` runs this file with the python of a virtualenv of its own that holds
browsergym-core 0.14.3: BrowserGym pins playwright 1.44, which cannot live beside webmimic's
playwright 1.65. So this script imports nothing of webmimic and talks to it only through two JSON
files (``python -I browsergym_steps.py WORK.json RESULT.json``). BrowserGym is imported by name at
run time: it is a dependency of that virtualenv, not of webmimic's.

The work names, per episode, the start URL on webmimic's shop server and each step's target as an
XPath that webmimic computed in its own browser on the same page; here each XPath is looked up in
BrowserGym's page to get the element's ``bid``, and the step is sent as BrowserGym's own actions
(``click``, ``fill`` + ``press``, ``select_option``). All of BrowserGym's waits that can be turned
off are off: ``slow_mo=0``, ``pre_observation_delay=0``, demo mode off. Only ``env.step`` is timed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import importlib
import importlib.metadata
import json
import os
from pathlib import Path
import sys
import time
from typing import Any

# The BrowserGym id of the element at the XPath webmimic computed (see the .js).
FIND_BID = Path(__file__).with_name("browsergym_find_bid.js").read_text(encoding="utf-8")


@dataclass
class StepResult:
    """One step: ``ok`` (mapped, executed, landed on webmimic's next URL), ``unmapped`` (no element
    with a bid at the XPath), ``error`` (BrowserGym reported an action error), ``diverged`` (it ran
    but BrowserGym's page is not the one webmimic reached), ``terminate`` (nothing to send: the
    session ends), ``not_reached`` (an earlier step of the episode failed)."""

    status: str
    ms: float | None = None
    url: str | None = None
    error: str | None = None
    axtree_before: str | None = None


@dataclass
class EpisodeResult:
    id: str
    reset_ms: float | None = None
    error: str | None = None
    steps: list[StepResult] = field(default_factory=list)


def link_browsers(browsers_dir: Path, chromium: str) -> None:
    """BrowserGym's chat window launches Playwright's default Chromium, which this venv never
    downloaded: point that path (``chromium-<revision>/chrome-linux/chrome``) at the system one."""
    playwright = importlib.import_module("playwright")
    browsers = json.loads((Path(playwright.__file__ or ".").parent / "driver/package/browsers.json").read_text())
    revision = next(b["revision"] for b in browsers["browsers"] if b["name"] == "chromium")
    link = browsers_dir / f"chromium-{revision}" / "chrome-linux" / "chrome"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and os.readlink(link) != chromium:
        link.unlink()
    if not link.is_symlink():
        link.symlink_to(chromium)
    os.environ["PLAYWRIGHT_BROWSERS_PATH"] = str(browsers_dir.resolve())


def make_env(work: dict[str, Any]) -> Any:
    """An open-ended BrowserGym env on the system Chromium, with every delay at zero."""
    env_module = importlib.import_module("browsergym.core.env")
    task_module = importlib.import_module("browsergym.core.task")
    highlevel = importlib.import_module("browsergym.core.action.highlevel")
    actions = highlevel.HighLevelActionSet(subsets=["chat", "bid", "nav"], demo_mode="off")
    width, height = work["viewport"]
    return env_module.BrowserEnv(
        task_entrypoint=task_module.OpenEndedTask,
        task_kwargs={"start_url": "about:blank", "goal": "Shop like the recorded person did."},
        viewport={"width": width, "height": height},
        slow_mo=0,
        timeout=work["timeout_ms"],
        headless=True,
        pw_chromium_kwargs={"executable_path": work["chromium"]},
        action_mapping=actions.to_python_code,
        pre_observation_delay=0.0,
    )


def action_code(step: dict[str, Any], bid: str) -> str:
    """BrowserGym's high-level action for a webmimic step on the element ``bid``."""
    if step["kind"] == "click":
        return f"click({bid!r})"
    if step["kind"] == "select":
        return f"select_option({bid!r}, {step['value']!r})"
    return f"fill({bid!r}, {step['text']!r})\npress({bid!r}, 'Enter')"


def same_page(url: str, expected: str) -> bool:
    return url.rstrip("/") == expected.rstrip("/")


def play_step(env: Any, step: dict[str, Any], obs: dict[str, Any], flatten: Any) -> tuple[StepResult, Any]:
    """Map one step to a bid, send it, time ``env.step``; the result and the new observation."""
    axtree = flatten(obs["axtree_object"]) if step.get("sample") else None
    if step["kind"] == "terminate":
        return StepResult("terminate", axtree_before=axtree), obs
    page = env.unwrapped.page
    bid = page.evaluate(FIND_BID, step["xpath"])
    if bid is None:
        return StepResult("unmapped", url=page.url, axtree_before=axtree), obs
    code = action_code(step, bid)
    started = time.perf_counter()
    obs, _, _, _, _ = env.step(code)
    ms = (time.perf_counter() - started) * 1000
    if obs["last_action_error"]:
        return StepResult("error", ms, obs["url"], obs["last_action_error"].splitlines()[0], axtree), obs
    status = "ok" if same_page(obs["url"], step["expected_url"]) else "diverged"
    return StepResult(status, ms, obs["url"], axtree_before=axtree), obs


def play_episode(env: Any, episode: dict[str, Any], flatten: Any) -> EpisodeResult:
    """Reset to a fresh BrowserGym episode at the start URL, then play the steps until one fails."""
    result = EpisodeResult(episode["id"])
    env.unwrapped.task_kwargs["start_url"] = episode["start_url"]
    started = time.perf_counter()
    try:
        obs, _ = env.reset(seed=0)
    except Exception as err:  # noqa: BLE001 (reported in the result, the bench goes on)
        result.error = f"reset failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        return result
    result.reset_ms = (time.perf_counter() - started) * 1000
    failed = False
    for step in episode["steps"]:
        if failed:
            result.steps.append(StepResult("not_reached"))
            continue
        try:
            outcome, obs = play_step(env, step, obs, flatten)
        except Exception as err:  # noqa: BLE001 (a step BrowserGym cannot take is a finding, not a crash)
            outcome = StepResult("error", error=f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
        result.steps.append(outcome)
        failed = outcome.status not in ("ok", "terminate")
    return result


def versions(env: Any) -> dict[str, str | None]:
    browser = getattr(env.unwrapped, "browser", None)
    return {
        "browsergym": importlib.metadata.version("browsergym-core"),
        "playwright": importlib.metadata.version("playwright"),
        "chromium": browser.version if browser is not None else None,
    }


def run(work: dict[str, Any]) -> dict[str, Any]:
    link_browsers(Path(work["browsers_dir"]), work["chromium"])
    flatten = importlib.import_module("browsergym.utils.obs").flatten_axtree_to_str
    env = make_env(work)
    try:
        episodes = [play_episode(env, episode, flatten) for episode in work["episodes"]]
        about = versions(env)
    finally:
        env.close()
        core = importlib.import_module("browsergym.core")
        if getattr(core, "_PLAYWRIGHT", None) is not None:
            core._PLAYWRIGHT.stop()
    return {**about, "episodes": [asdict(e) for e in episodes]}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} WORK.json RESULT.json", file=sys.stderr)
        return 2
    work = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    result = run(work)
    out = Path(argv[2])
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(result), encoding="utf-8")
    tmp.replace(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
