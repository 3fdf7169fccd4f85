"""Security (issue 10): loopback-only servers, escaped text in every page and report, no code loading.

Recorded, imported and generated text is untrusted: a persona, a rationale, a search or a product
name may hold markup. Pages and reports are loaded in the real Chromium and checked in the DOM
(an injected element exists there even where a Content-Security-Policy would block its script).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import dataclasses
from pathlib import Path
import re
import socket
from typing import Any

import pytest

from webmimic.core.actions import Action
from webmimic.core.errors import SiteError
from webmimic.replay.session import Persona, Session, Step, write_sessions
from webmimic.sites import get_site
from webmimic.sites.server import SiteServer

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = "<script>window.__pwned = 1; alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror="window.__pwned=2;alert(2)" data-pwn=\'1\'>'
SINGLE = "'><svg onload=alert(3) data-pwn=1>"
PAYLOAD = f"Cheap {SCRIPT} {ATTRIBUTE} {SINGLE} end"


# -- servers bind to loopback only -------------------------------------------------------------
def _outside_address() -> str | None:
    """This machine's address on a non-loopback interface (the one a route out would use)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # UDP connect sends nothing; it only picks the route
        address = probe.getsockname()[0]
    except OSError:
        address = socket.gethostbyname(socket.gethostname())
    finally:
        probe.close()
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_the_shop_listens_on_loopback_only(shop_server):
    assert shop_server.host == "127.0.0.1"
    assert shop_server._server.socket.getsockname()[0] == "127.0.0.1"
    with socket.create_connection(("127.0.0.1", shop_server.port), timeout=5):
        pass  # reachable from this machine
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback address to try")
    with pytest.raises(OSError):
        socket.create_connection((outside, shop_server.port), timeout=5).close()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "example.com"])
def test_serving_on_another_address_is_refused(host):
    with pytest.raises(SiteError, match="loopback|127.0.0.1"):
        get_site("shop").serve(host=host)


# -- escaped text in the shop's pages ----------------------------------------------------------
@pytest.fixture(scope="module")
def evil_shop(tmp_path_factory) -> Iterator[tuple[SiteServer, Any]]:
    """The shop over a small catalog whose first products carry markup in every text field."""
    from webmimic.sites.shop import Catalog, create_app, generate_products
    from webmimic.sites.shop.catalog import build_database

    products = list(generate_products(seed=0, per_category=3))
    for i in range(3):
        p = products[i]
        options = {name: (f"{values[0]}{SINGLE}", *values[1:]) for name, values in p.options.items()}
        products[i] = dataclasses.replace(
            p,
            title=f"{p.title} {SCRIPT}",
            brand=f"{p.brand}{ATTRIBUTE}",
            description=PAYLOAD,
            features=(PAYLOAD, *p.features[1:]),
            options=options,
        )
    path = tmp_path_factory.mktemp("evil") / "catalog.sqlite"
    build_database(path, products)
    catalog = Catalog(path, seed=0)
    with SiteServer(create_app(catalog), name="shop") as server:
        yield server, products[0]


def assert_inert(page: Any, dialogs: list[str]) -> None:
    """No payload element or script made it into the DOM, none ran, and no dialog opened."""
    injected = page.evaluate(
        """() => ({
            pwned: window.__pwned ?? null,
            images: document.querySelectorAll('img[src="x"], [onerror], [onload], [data-pwn]').length,
            scripts: [...document.scripts].filter(s => s.textContent.includes('__pwned')
                && (!s.type || /javascript|module/i.test(s.type))).length,
            // JSON-LD data blocks may quote the text, but never with a raw "<" that could close them
            data: [...document.scripts].filter(s => /json/i.test(s.type) && s.textContent.includes('<')).length,
        })"""
    )
    assert injected == {"pwned": None, "images": 0, "scripts": 0, "data": 0}
    assert dialogs == []


def _watch(tab: Any) -> list[str]:
    dialogs: list[str] = []
    tab.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return dialogs


def test_product_text_and_searches_are_escaped_in_the_shop(evil_shop, wm_tab):
    server, product = evil_shop
    dialogs = _watch(wm_tab)
    from urllib.parse import quote

    pages = ["/", f"/product/{product.slug}", f"/search?search_input={quote(PAYLOAD)}", f"/category/{product.category}"]
    for path in pages:
        obs = wm_tab.goto(server.url + path)
        assert_inert(wm_tab.page, dialogs)
        assert "<script" not in obs.html and "<img src=x" not in obs.html and "<svg" not in obs.html
    search = wm_tab.goto(server.url + "/search?search_input=" + quote(PAYLOAD))
    assert SCRIPT in wm_tab.page.inner_text("body") or "window.__pwned" in wm_tab.page.inner_text("body")
    assert wm_tab.page.input_value('[data-wm-name="search_input"]') == PAYLOAD  # the value kept whole
    assert search.names  # the page still works
    product_page = wm_tab.goto(f"{server.url}/product/{product.slug}")
    assert SCRIPT in wm_tab.page.inner_text("h1, body")
    assert product_page.names


def test_a_search_typed_with_markup_is_escaped(evil_shop, wm_tab):
    server, _ = evil_shop
    dialogs = _watch(wm_tab)
    wm_tab.goto(server.url + "/")
    wm_tab.act(Action.type_and_submit("search_input", PAYLOAD))
    assert_inert(wm_tab.page, dialogs)
    assert wm_tab.page.input_value('[data-wm-name="search_input"]') == PAYLOAD


# -- escaped text in the eval report -----------------------------------------------------------
def test_session_text_is_escaped_in_the_eval_report(tmp_path, wm_tab):
    """A session whose persona, rationales and search carry markup, evaluated and reported for real."""
    from webmimic.evaluation import EvalConfig, run_eval

    steps = (
        Step(Action.type_and_submit("search_input", PAYLOAD), "/", "2025-01-01T00:00:00+00:00", rationale=PAYLOAD),
        Step(Action.terminate(), "/search", "2025-01-01T00:00:01+00:00", rationale=SCRIPT),
    )
    session = Session(
        id="evil-<b>1</b>",
        site="shop",
        start_url="/",
        steps=steps,
        outcome="terminate",
        persona=Persona(id="p<i>", text=PAYLOAD),
        source="recorded",
        meta={"note": PAYLOAD},
    )
    sessions = tmp_path / "evil.jsonl"
    write_sessions(sessions, [session])
    out = tmp_path / "run"
    metrics = run_eval(EvalConfig("oracle", str(sessions), str(out), screenshots=1, progress=False, include_first=True))
    assert metrics["sessions"] == 1
    report = out / "report.html"
    source = report.read_text(encoding="utf-8")
    assert SCRIPT not in source and "<img src=x" not in source and "<svg" not in source
    assert "&lt;script&gt;" in source
    dialogs = _watch(wm_tab)
    wm_tab.page.goto(report.as_uri())
    assert_inert(wm_tab.page, dialogs)
    text = wm_tab.page.inner_text("body")
    assert PAYLOAD in text and SCRIPT in text  # shown as text, whole
    assert "evil-<b>1</b>" in text  # the session id too (unescaped, it would read "evil-1")


# -- no code is ever loaded from data ----------------------------------------------------------
BANNED_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib"}


def code_loading(source: str, filename: str = "<source>") -> list[str]:
    """Every eval/exec, pickle-family import, unsafe torch/numpy load and trust_remote_code=True."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{where}: imports {m}" for m in mods if m.split(".")[0] in BANNED_MODULES]
        remote = isinstance(node, ast.keyword) and node.arg == "trust_remote_code"
        if remote and not (isinstance(node.value, ast.Constant) and node.value.value is False):
            found.append(f"{where}: trust_remote_code not False")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
        keywords = {k.arg: k.value for k in node.keywords}
        if isinstance(func, ast.Name) and name in ("eval", "exec", "__import__"):
            found.append(f"{where}: calls {name}")
        if name == "compile" and owner in ("", "builtins"):
            modes = [*node.args[2:3], *([keywords["mode"]] if "mode" in keywords else [])]
            if any(not (isinstance(m, ast.Constant) and m.value == "eval") for m in modes) or not modes:
                found.append(f"{where}: compiles code")
        if name in ("eval", "exec") and owner == "builtins":
            found.append(f"{where}: calls builtins.{name}")
        if name == "load" and owner == "torch":
            safe = keywords.get("weights_only")
            if not (isinstance(safe, ast.Constant) and safe.value is True):
                found.append(f"{where}: torch.load without weights_only=True")
        allow = keywords.get("allow_pickle")
        if allow is not None and not (isinstance(allow, ast.Constant) and allow.value is False):
            found.append(f"{where}: allow_pickle")
    return found


JS_CODE_LOADING = re.compile(r"(?<![\w.])eval\s*\(|new\s+Function\s*\(|set(?:Timeout|Interval)\s*\(\s*['\"`]")


def test_the_scanner_finds_each_kind_of_code_loading():
    bad = """
import pickle
from dill import loads
import torch
eval("1")
exec("x = 1")
compile("x", "f", "exec")
torch.load("m.pt")
torch.load("m.pt", weights_only=False)
np.load("a.npy", allow_pickle=True)
AutoModel.from_pretrained("x", trust_remote_code=True)
"""
    found = code_loading(bad)
    assert len(found) == 9, found
    good = """
import json
torch.load("m.pt", weights_only=True)
re.compile("x")
model.eval()
AutoModel.from_pretrained("x", trust_remote_code=False)
"""
    assert code_loading(good) == []
    assert JS_CODE_LOADING.search("const f = new Function('return 1');")
    assert JS_CODE_LOADING.search("eval(text)") and not JS_CODE_LOADING.search("/x/.exec(location.hash)")


def test_no_source_evaluates_code_or_loads_pickles():
    sources = sorted((ROOT / "webmimic").rglob("*.py"))
    assert len(sources) > 30
    found = [hit for path in sources for hit in code_loading(path.read_text("utf-8"), str(path.relative_to(ROOT)))]
    assert found == []
    scripts = sorted((ROOT / "webmimic").rglob("*.js"))
    assert scripts
    js = [f"{p.relative_to(ROOT)}" for p in scripts if JS_CODE_LOADING.search(p.read_text("utf-8"))]
    assert js == []
