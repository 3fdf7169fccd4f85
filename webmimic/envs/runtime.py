"""What an environment runs on: one browser, the site servers it needs, one tab at a time.

Envs compose this instead of managing Chromium and servers themselves. A fresh tab (a fresh
browser context, hence a fresh site state) per episode; one Chromium per env, not per episode.
A vector env lends one browser and one set of servers to all its envs: the sites keep their
state per browser context (cookie), so the envs stay isolated.

The runtime also survives Chromium dying under it. It remembers how the episode's page was
loaded and every action done since; when the browser (or the tab's renderer) dies, it launches a
new Chromium, loads the page again in a fresh context, redoes the actions (rebuilding the site's
state the same way) and then redoes the call that failed, so the episode goes on unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from gymnasium.error import ResetNeeded

from webmimic.core.actions import Action
from webmimic.core.errors import BrowserClosedError, BrowserCrashedError, WebmimicError
from webmimic.simulator import Browser, BrowserConfig, Observation, Tab
from webmimic.sites import Site, get_site
from webmimic.sites.server import SiteServer

__all__ = ["Runtime", "SiteServers", "path_of", "MAX_RESTARTS"]

T = TypeVar("T")
Load = Callable[[Tab], Observation]

# How often one call may find the browser dead and restore the episode before giving up.
MAX_RESTARTS = 3


class SiteServers:
    """The running servers of the sites in use, each started on first use; closed together."""

    def __init__(self) -> None:
        self._servers: dict[str, SiteServer] = {}

    def site(self, name: str) -> tuple[Site, SiteServer]:
        """The site and its running server."""
        site = get_site(name)
        if name not in self._servers:
            self._servers[name] = site.serve()
        return site, self._servers[name]

    def relative(self, url: str, site_name: str | None) -> str:
        """``url`` without the origin of ``site_name``'s server (as is when it is not running)."""
        server = self._servers.get(site_name) if site_name is not None else None
        return server.relative(url) if server is not None else url

    def close(self) -> None:
        for server in self._servers.values():
            server.close()
        self._servers.clear()


class Runtime:
    """A browser and site servers (owned, or borrowed from a vector env), one tab."""

    def __init__(
        self, config: BrowserConfig | None = None, *, browser: Browser | None = None, servers: SiteServers | None = None
    ):
        self._owns_browser = browser is None
        self._browser = browser if browser is not None else Browser(config or BrowserConfig())
        self._owns_servers = servers is None
        self._servers = servers if servers is not None else SiteServers()
        self._tab: Tab | None = None
        self._closed = False
        self._load: Load | None = None  # how the episode's page was loaded
        self._offline = False
        self._trail: list[Load] = []  # what was done to it since: actions, recorded fills
        self.restarts = 0  # times the episode was restored after the browser died, since take_restarts()

    @property
    def browser(self) -> Browser:
        if self._closed:
            raise BrowserClosedError("This environment has been closed; create a new one.")
        return self._browser

    @property
    def tab(self) -> Tab:
        if self._tab is None:
            if self._closed:
                raise BrowserClosedError("This environment has been closed; create a new one.")
            raise ResetNeeded("No page is open: call reset() first.")
        return self._tab

    def site(self, name: str) -> tuple[Site, SiteServer]:
        """The site and its running server, started on first use."""
        return self._servers.site(name)

    def fresh_tab(self, *, offline: bool = False) -> Tab:
        """Close the current tab and open one in a new, isolated browser context."""
        if self._tab is not None:
            self._tab.close()
            self._tab = None
        self._tab = self.browser.new_tab(offline=offline)
        return self._tab

    # -- the episode's page, restored if the browser dies ----------------------------------
    def open(self, load: Load, *, offline: bool = False) -> Observation:
        """A fresh tab showing what ``load(tab)`` loads: the start of an episode."""
        self._load, self._offline, self._trail = load, offline, []
        return self._recovering(self._rebuild, rebuilds=True)

    def show(self, load: Load) -> Observation:
        """Replace the page by what ``load(tab)`` loads, in the same tab (a recorded page)."""
        self._load, self._trail = load, []
        return self._recovering(lambda: load(self.tab))

    def act(self, action: Action) -> Observation:
        """Do ``action`` on the page (``Tab.act``) and remember it for a restore."""
        return self.redo(lambda tab: tab.act(action))

    def redo(self, work: Load) -> Observation:
        """``work(tab)``, a change to the page (an action, a recorded fill), remembered for a restore."""
        obs = self._recovering(lambda: work(self.tab))
        self._trail.append(work)
        return obs

    def call(self, work: Callable[[Tab], T]) -> T:
        """``work(tab)``, done again on the restored page if the browser dies meanwhile."""
        return self._recovering(lambda: work(self.tab))

    def take_restarts(self) -> int:
        """How many times the episode was restored since the last call (for ``info``)."""
        restarts, self.restarts = self.restarts, 0
        return restarts

    def _recovering(self, do: Callable[[], T], *, rebuilds: bool = False) -> T:
        error: WebmimicError | None = None
        for _ in range(MAX_RESTARTS + 1):
            try:
                if error is not None:
                    self.browser.revive()
                    if not rebuilds:
                        self._rebuild()
                return do()
            except WebmimicError as err:
                if not self._died():
                    raise
                error = err
                self.restarts += 1
        raise BrowserCrashedError(
            f"Chromium died {MAX_RESTARTS + 1} times in a row while this env restored its episode; "
            f"giving up. The last error: {error}"
        ) from error

    def _died(self) -> bool:
        return self._browser.crashed or (self._tab is not None and self._tab.crashed)

    def _rebuild(self) -> Observation:
        if self._load is None:
            raise ResetNeeded("No page is open: call reset() first.")
        tab = self.fresh_tab(offline=self._offline)
        obs = self._load(tab)
        for work in self._trail:
            obs = work(tab)
        return obs

    def relative(self, obs: Observation, site_name: str | None) -> str:
        """The page's URL without the site server's origin, so observations don't depend on the port."""
        return self._servers.relative(obs.url, site_name)

    def close(self) -> None:
        """Close the tab and what it owns of the browser and the servers; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._tab is not None:
                self._tab.close()
                self._tab = None
        finally:
            try:
                if self._owns_browser:
                    self._browser.close()
            finally:
                if self._owns_servers:
                    self._servers.close()


def path_of(url: str) -> str:
    """The path of a URL (no query), which identifies a product page on the shop."""
    return urlsplit(url).path
