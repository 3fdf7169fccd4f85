"""A site: its name, which element names are purchases, and how to serve it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import re
from typing import Any
from urllib.parse import urlsplit

from webmimic.core.names import is_purchase_name
from webmimic.sites.server import SiteServer

__all__ = ["Site"]


@dataclass(frozen=True)
class Site:
    """A mock site. ``app_factory`` builds a fresh WSGI app (fresh state) per ``serve()``."""

    name: str
    purchase_names: frozenset[str]
    app_factory: Callable[[], Any] = field(compare=False, repr=False)
    start_path: str = "/"
    purchase_confirmation: str | None = None
    """A regular expression searched in the path (and query) of the site's page responses: a
    2xx document response whose path matches confirms that a purchase took place (the recorder
    labels a session ``purchase`` only then). None: the site never confirms one."""

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> SiteServer:
        """Start the site on a loopback port in a background thread."""
        return SiteServer(self.app_factory(), host=host, port=port, name=self.name)

    def confirms_purchase(self, url: str, status: int) -> bool:
        """True when a document response for ``url`` with ``status`` confirms a placed order."""
        if self.purchase_confirmation is None or not 200 <= status < 300:
            return False
        parts = urlsplit(url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        return re.search(self.purchase_confirmation, path) is not None

    def is_purchase(self, name: str | None) -> bool:
        """True when clicking ``name`` is a purchase (exact name, or its last part, e.g. ``x.buy_now``)."""
        return is_purchase_name(name, self.purchase_names)
