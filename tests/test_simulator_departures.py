"""An action that loads another document is observed on that document, never on the one it left.

The mouse's click returns before the new page's server has answered. Chromium holds calls to a
page that is loading another document until it commits, so settle's call lands on the new one
(and waits for its load event); a load a script starts later is seen in the page, and settle
waits for the departure: the new document's commit, or the end of a load that brings none (204,
a download). Each case observes the wrong page, or times out, if a wait is wrong.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
import threading

import pytest

from envs_helpers import served
from webmimic.core.actions import Action

START = b"""<!doctype html><title>Start</title><h1>Start</h1>
<a href="/slow">Slow page</a>
<a href="/nocontent">No content</a>
<a href="/download">Download</a>
<button onclick="busy(() => { location.href = '/slow'; })">Later</button>
<a href="/slow" onclick="event.preventDefault(); document.querySelector('h1').textContent = 'Stayed'">Prevented</a>
<a href="/spa">Same document</a>
<form action="/slow"><input name="q"></form>
<script>
// Changes the page every animation frame for six frames, then calls then(): an action's settle
// is under way in the page (waiting for a frame without changes) by the time then() runs.
function busy(then) {
  let n = 0;
  const tick = () => {
    document.querySelector("h1").dataset.tick = ++n;
    if (n === 6) then(); else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
navigation.addEventListener("navigate", (e) => {
  if (new URL(e.destination.url).pathname === "/spa")
    e.intercept({handler: async () => { document.querySelector("h1").textContent = "Routed"; }});
});
</script>"""

# Its load event adds the last paragraph: a page observed before its load misses it.
SLOW = b"""<!doctype html><title>Slow page</title><h1>Arrived</h1>
<script>addEventListener("load", () => document.body.insertAdjacentHTML("beforeend", "<p>Loaded</p>"));</script>"""

# The slow page answers only once the test lets it: the old document is alive until then.
release = threading.Event()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/nocontent":
            self.send_response(204)
            self.end_headers()
            return
        if path == "/download":
            self._send(b"binary", "application/octet-stream", ("Content-Disposition", "attachment; filename=x.bin"))
            return
        if path == "/slow":
            release.wait(timeout=10)
            self._send(SLOW, "text/html")
            return
        self._send(START, "text/html")

    def _send(self, body: bytes, kind: str, *extra: tuple[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site_url():
    with served(Handler) as url:
        yield url


@pytest.fixture
def start(wm_tab, site_url):
    release.clear()
    wm_tab.goto(site_url + "/")
    yield wm_tab
    release.set()


def release_when_requested(tab) -> None:
    """Answer the slow page once Chromium asked for it: the old document is alive until then."""
    tab.page.on("request", lambda request: "/slow" in request.url and release.set())


def test_a_clicked_link_to_a_slow_page_is_observed_there_once_loaded(start):
    release_when_requested(start)
    obs = start.act(Action.click("slow_page"))
    assert obs.title == "Slow page"
    assert "<h1>Arrived</h1><p>Loaded</p>" in obs.html


def test_a_load_started_by_the_clicks_script_is_waited_for(start):
    """The script starts the load once settle is watching the page, and the server answers late:
    an action that took the first quiet frame for the end would observe the start page."""
    start.page.on("request", lambda request: "/slow" in request.url and threading.Timer(0.3, release.set).start())
    obs = start.act(Action.click("later"))
    assert obs.title == "Slow page"
    assert "<p>Loaded</p>" in obs.html


def test_a_form_submitted_with_enter_is_observed_on_its_result(start):
    release_when_requested(start)
    obs = start.act(Action.type_and_submit("q", "shoes"))
    assert obs.url.endswith("/slow?q=shoes")
    assert "<p>Loaded</p>" in obs.html


@pytest.mark.parametrize("name", ["no_content", "download"])
def test_a_load_that_brings_no_document_leaves_the_page(start, name):
    obs = start.act(Action.click(name))  # a departure waiting for a commit would time out
    assert obs.title == "Start"
    release.set()
    assert start.act(Action.click("slow_page")).title == "Slow page"  # and the page acts on as before


@pytest.mark.parametrize(("name", "heading"), [("prevented", "Stayed"), ("same_document", "Routed")])
def test_a_navigation_prevented_or_kept_in_the_document_is_observed_in_place(start, name, heading):
    obs = start.act(Action.click(name))
    assert f"<h1>{heading}</h1>" in obs.html
    assert obs.title == "Start"
