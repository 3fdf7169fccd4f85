"""A WSGI app served from a background daemon thread on a loopback port.

Sites are only ever reachable from this machine: the browser under test and the replay run
here, and a mock shop with per-cookie state has no business on a public interface.
"""

from __future__ import annotations

from collections.abc import Callable
import ipaddress
import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from webmimic.core.errors import SiteError

__all__ = ["SiteServer", "check_loopback"]

WSGIApp = Callable[..., Any]


class _QuietHandler(WSGIRequestHandler):
    """No access log: a replay makes hundreds of requests and the log would drown the output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def check_loopback(host: str) -> str:
    """The host to bind when it is a loopback address; SiteError otherwise."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise SiteError(f"Sites bind loopback addresses only (e.g. 127.0.0.1); got {host!r}.") from None
    if not ip.is_loopback:
        raise SiteError(f"Refusing to serve on non-loopback address {host!r}; use 127.0.0.1.")
    return host


class SiteServer:
    """Serves ``app`` on ``host:port`` (port 0 picks a free one) until ``close()``."""

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0, *, name: str = "site"):
        bind = check_loopback(host)
        try:
            self._server: BaseWSGIServer = make_server(bind, port, app, threaded=True, request_handler=_QuietHandler)
        except OSError as exc:
            raise SiteError(f"Could not start site {name!r} on {bind}:{port}: {exc}") from exc
        self.name = name
        self.host = bind
        self.port: int = self._server.server_port
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=lambda: self._server.serve_forever(poll_interval=0.05), name=f"webmimic-site-{name}", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:41234``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def relative(self, url: str) -> str:
        """``url`` without this server's origin (path + query), so pages and files don't depend on the port."""
        if url.startswith(self.url):
            rest = url[len(self.url) :]
            return rest if rest.startswith("/") else "/" + rest
        return url

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop serving and join the thread; safe to call more than once."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def run_until_interrupted(self) -> None:
        """Block until Ctrl-C (for the CLI), then close."""
        try:
            while self._thread.is_alive():
                self._thread.join(timeout=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.close()

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "serving"
        return f"SiteServer({self.name!r}, {self.url}, {state})"
