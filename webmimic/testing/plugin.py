"""webmimic's pytest plugin (registered by the ``pytest11`` entry point: installing webmimic is enough).

It builds on pytest-playwright: its ``browser``/``context``/``page`` fixtures launch the system
Chromium webmimic finds, and its ``playwright`` fixture shares the thread's one driver with
webmimic's own ``Browser`` objects (Playwright's sync API allows one driver per thread). On top it
offers ``shop_url``, ``shop_page``, ``webmimic_env`` and ``webmimic_replay``, and
``pytest --webmimic-sessions FILE [--webmimic-agent SPEC]`` turns each recorded session of FILE
into a test item. See docs/acceptance-tests.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import os
from pathlib import Path
import re
import tempfile
from typing import TYPE_CHECKING, Any

import pytest

from webmimic.core.errors import DataFormatError, WebmimicError

if TYPE_CHECKING:
    import gymnasium as gym
    from pytest_playwright.pytest_playwright import CreateContextCallback

    from webmimic.envs.runtime import SiteServers
    from webmimic.replay.session import Session
    from webmimic.simulator import Browser
    from webmimic.testing.runs import AgentLike, ReplayResult, SessionsLike

__all__ = ["SessionItem", "SessionsFile"]

SESSION_MARK = "webmimic_session"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("webmimic", "webmimic (recorded sessions as tests)")
    group.addoption(
        "--webmimic-sessions",
        metavar="FILE",
        default=None,
        help="Collect one test per session of this sessions file (.jsonl or .jsonl.gz); each replays "
        "its session with --webmimic-agent and fails at the first step the agent does not match. "
        "Default: none.",
    )
    group.addoption(
        "--webmimic-agent",
        metavar="SPEC",
        default="oracle",
        help="The agent the --webmimic-sessions tests run, as `webmimic eval --agent` takes it "
        "(oracle: the person's own actions, i.e. 'is every recorded action still possible'). Default: oracle.",
    )
    group.addoption(
        "--webmimic-base-url",
        metavar="URL",
        default=None,
        help='Replay the --webmimic-sessions tests there, e.g. a staging build: "web" sessions are rebased '
        "from the origin they were recorded at; bundled-shop sessions use that running shop. "
        "Default: each session's origin (the bundled shop: started here).",
    )
    group.addoption(
        "--webmimic-strict",
        action="store_true",
        default=False,
        help="Also fail a --webmimic-sessions test where a page or URL differs from the recording "
        "(default: only where an action differs or cannot be carried out; differences are warnings).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{SESSION_MARK}: a test collected from --webmimic-sessions")
    if config.pluginmanager.has_plugin("playwright"):
        # Registered now, after every entry-point plugin, so these override pytest-playwright's.
        config.pluginmanager.import_plugin("webmimic.testing.overrides")


def _option(config: pytest.Config, name: str, default: Any) -> Any:
    """A command-line option, or ``default`` when its plugin (pytest-playwright) is not loaded."""
    try:
        value = config.getoption(name)
    except ValueError:
        return default
    return default if value is None else value


@pytest.fixture(scope="session")
def webmimic_chromium_path(pytestconfig: pytest.Config) -> str:
    """The Chromium executable webmimic launches (headed one under ``--headed``)."""
    from webmimic.simulator.chromium import find_chromium

    return find_chromium(headless=not _option(pytestconfig, "--headed", False))


@pytest.fixture(scope="session")
def webmimic_browser(pytestconfig: pytest.Config) -> Iterator[Browser]:
    """A webmimic ``Browser`` for the test session (headed and slowed by ``--headed``/``--slowmo``)."""
    from webmimic.simulator import Browser, BrowserConfig

    headed = bool(_option(pytestconfig, "--headed", False))
    config = BrowserConfig(headless=not headed, slow_mo_ms=float(_option(pytestconfig, "--slowmo", 0)))
    with Browser(config) as browser:
        yield browser


@pytest.fixture(scope="session")
def webmimic_servers() -> Iterator[SiteServers]:
    """The bundled sites' servers on 127.0.0.1, each started on first use, for the test session."""
    from webmimic.envs.runtime import SiteServers

    servers = SiteServers()
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture(scope="session")
def shop_url(webmimic_servers: SiteServers) -> str:
    """The base URL of the bundled shop, running on 127.0.0.1 for the whole test session."""
    return webmimic_servers.site("shop")[1].url


@pytest.fixture
def shop_page(new_context: CreateContextCallback, shop_url: str) -> Any:
    """A pytest-playwright ``page`` on the shop's home page, in a fresh context (so ``--tracing``,
    ``--screenshot`` and ``--video`` apply); relative ``goto`` paths resolve against the shop."""
    page = new_context(base_url=shop_url).new_page()
    page.goto(shop_url)
    return page


@pytest.fixture
def webmimic_env(webmimic_browser: Browser, webmimic_servers: SiteServers) -> Iterator[Callable[..., gym.Env]]:
    """``webmimic_env("webmimic/Replay-v0", **kwargs)``: a gymnasium env on the test session's
    browser and site servers; every env made is closed after the test. An env that renders
    ``rgb_array`` frames gets a browser of its own that loads images, unless the session's does."""
    import gymnasium as gym

    import webmimic.envs  # noqa: F401 (registers the env ids)

    made: list[gym.Env] = []

    def make(env_id: str, **kwargs: Any) -> gym.Env:
        if kwargs.get("render_mode") != "rgb_array" or webmimic_browser.config.loads_images:
            kwargs.setdefault("browser", webmimic_browser)
        kwargs.setdefault("servers", webmimic_servers)
        env = gym.make(env_id, **kwargs)
        made.append(env)
        return env

    yield make
    for env in reversed(made):
        env.close()


@pytest.fixture
def webmimic_replay(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., ReplayResult]:
    """``webmimic_replay(agent, sessions=None, limit=None)``: run ``agent`` (a spec such as
    ``"oracle"`` or ``"my_agents:act"``, an ``Agent``, or a function from observation to action)
    over ``sessions`` (a file, ``Session`` objects, or None: the bundled test split) like
    ``webmimic eval``; the result has ``.metrics`` (metrics.json), ``.steps`` and ``.run_dir``."""
    from webmimic.testing.runs import replay

    def run(agent: AgentLike, sessions: SessionsLike = None, limit: int | None = None) -> ReplayResult:
        out = tmp_path_factory.mktemp("webmimic-replay") / "run"
        return replay(
            agent,
            out,
            sessions=sessions,
            limit=limit,
            headed=bool(_option(pytestconfig, "--headed", False)),
            slow_mo=float(_option(pytestconfig, "--slowmo", 0)),
        )

    return run


# -- pytest --webmimic-sessions FILE --------------------------------------------------------------
class SessionsFile(pytest.File):
    """The sessions file named by ``--webmimic-sessions``: one ``SessionItem`` per session."""

    def collect(self) -> list[SessionItem]:
        from webmimic.replay.session import read_sessions

        sessions = read_sessions(self.path)
        return [SessionItem.from_parent(self, name=s.id, recorded=s) for s in sessions]


class SessionItem(pytest.Item):
    """One recorded session replayed with ``--webmimic-agent``; fails at the first step where the
    agent's action differs from the person's (or cannot be carried out)."""

    def __init__(self, *, recorded: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recorded = recorded
        self.add_marker(SESSION_MARK)

    def _out(self) -> Path:
        """Where this item's run goes: under pytest-playwright's ``--output`` (test-results/)."""
        base = _option(self.config, "--output", None) or os.path.join(tempfile.gettempdir(), "webmimic-test-results")
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{self.path.stem}-{self.name}").strip("-")
        return Path(base).absolute() / "webmimic-sessions" / slug

    def runtest(self) -> None:
        from webmimic.core.errors import ReplayDivergenceError
        from webmimic.testing.runs import describe_failure, first_failure, replay

        result = replay(
            str(self.config.getoption("--webmimic-agent")),
            self._out(),
            sessions=[self.recorded],
            headed=bool(_option(self.config, "--headed", False)),
            slow_mo=float(_option(self.config, "--slowmo", 0)),
            screenshots=1,
            base_url=self.config.getoption("--webmimic-base-url"),
            strict=bool(self.config.getoption("--webmimic-strict")),
        )
        for failed in result.metrics["failed_sessions"]:
            at = f" at step {failed['step']}" if failed.get("step") is not None else ""
            url = f" (url {failed['url']})" if failed.get("url") else ""
            raise ReplayDivergenceError(
                f"session {self.recorded.id!r} could not be replayed{at}{url}: {failed['error']}\n"
                f"  run folder: {result.run_dir}"
            )
        record = first_failure(result, self.recorded.id)
        if record is not None:
            if record.screenshot is not None:
                shot = str(result.run_dir / record.screenshot)
                self.user_properties.append(("screenshot", shot))
                self.add_report_section("call", "screenshot", shot)
            raise ReplayDivergenceError(describe_failure(record, result.run_dir))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        """webmimic's own errors say what happened and what to do: no traceback needed."""
        if isinstance(excinfo.value, WebmimicError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return self.path, None, f"webmimic session {self.name}"


def _check_base_url_option(config: pytest.Config) -> None:
    from webmimic.envs.replay_env import check_base_url

    try:
        check_base_url(config.getoption("--webmimic-base-url"))
    except ValueError as err:
        raise pytest.UsageError(f"--webmimic-base-url: {err}") from err


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the ``--webmimic-sessions`` items (first, so ``-m``/``-k`` and other plugins see them)."""
    option = config.getoption("--webmimic-sessions")
    if not option:
        return
    path = Path(option).absolute()
    _check_base_url_option(config)
    if not path.is_file():
        raise pytest.UsageError(
            f"--webmimic-sessions {option}: no such file. Give a sessions file (.jsonl or .jsonl.gz), "
            "e.g. one written by `webmimic record`."
        )
    collector = SessionsFile.from_parent(session, path=path)
    config.hook.pytest_collectstart(collector=collector)
    try:
        new = collector.collect()
    except DataFormatError as err:
        raise pytest.UsageError(f"--webmimic-sessions {option}: {err}") from err
    if not new:
        raise pytest.UsageError(f"--webmimic-sessions {option}: the file holds no sessions.")
    # Reported like any collected file, so the terminal's counts and --collect-only include them.
    config.hook.pytest_collectreport(report=pytest.CollectReport(collector.nodeid, "passed", None, list(new)))
    items[:0] = new
