"""report.html from a hand-made run directory, opened from disk in headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
import pytest

from webmimic.core.actions import Action
from webmimic.core.errors import DataFormatError
from webmimic.evaluation.report import load_run, write_report
from webmimic.evaluation.rundir import METRICS_FILE, REPORT_FILE, STEPS_FILE

EVIL = "<script>window.pwned = 1</script>"


def _step(
    session: str,
    step: int,
    human: dict,
    agent: dict | None,
    *,
    shot: str | None = None,
    boxes: dict | None = None,
    is_last: bool = False,
    outcome: str = "terminate",
    **extra,
) -> dict:
    exact = agent == human
    rec = {
        "session_id": session,
        "step": step,
        "human_action": human,
        "agent_action": agent,
        "raw_output": json.dumps({"rationale": "r", "action": agent}) if agent else "garbage",
        "agent_rationale": "I want cheaper ones",
        "human_rationale": "Looking for headphones",
        "error": None if agent else "ActionParseError: no JSON object in the output",
        "match": {
            "exact": exact,
            "type": bool(agent) and agent["type"] == human["type"],
            "name": None if human["type"] == "terminate" else bool(agent) and agent.get("name") == human.get("name"),
            "text": None,
        },
        "click_type": "product_link" if human["type"] == "click" else None,
        "url": "/search?q=headphones",
        "timings": {"agent_s": 0.01, "act_s": 0.2},
        "screenshot": shot,
        "boxes": boxes or {"human": None, "agent": None},
        "is_last": is_last,
        "outcome": outcome,
    }
    rec.update(extra)
    return rec


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, wm_browser, shop_server) -> Path:
    """Two sessions: the first with real shop screenshots and boxes, the second partly without."""
    out = tmp_path_factory.mktemp("run")
    shots = out / "shots"
    (shots / "live-1").mkdir(parents=True)
    (shots / "odd").mkdir(parents=True)
    records = []
    with wm_browser.new_tab() as tab:
        tab.goto(shop_server.url + "/")
        tab.page.screenshot(path=str(shots / "live-1" / "1.jpg"), type="jpeg", quality=60)
        box = tab.locate("search_input").bounding_box()
        sb = [box["x"], box["y"], box["width"], box["height"]]
        search = {"type": "type_and_submit", "name": "search_input", "text": "headphones"}
        records.append(_step("live-1", 1, search, search, shot="shots/live-1/1.jpg", boxes={"human": sb, "agent": sb}))
        obs = tab.act(Action.type_and_submit("search_input", "headphones"))
        links = [n for n in obs.names if n.startswith("search_results.") and n.endswith(".view_product")]
        tab.page.screenshot(path=str(shots / "live-1" / "2.jpg"), type="jpeg", quality=60)
        hb, ab = (tab.locate(n).bounding_box() for n in links[:2])
        records.append(
            _step(
                "live-1",
                2,
                {"type": "click", "name": links[0]},
                {"type": "click", "name": links[1]},
                shot="shots/live-1/2.jpg",
                boxes={
                    "human": [hb["x"], hb["y"], hb["width"], hb["height"]],
                    "agent": [ab["x"], ab["y"], ab["width"], ab["height"]],
                },
            )
        )
        records.append(_step("live-1", 3, {"type": "terminate"}, {"type": "terminate"}, is_last=True))
    Image.new("RGB", (640, 400), (200, 220, 240)).save(shots / "odd" / "1.jpg", "JPEG")
    records.append(
        _step(
            "odd<b>&",
            1,
            {"type": "click", "name": "search_button"},
            None,
            shot="shots/odd/1.jpg",
            boxes={"human": [10, 10, 100, 30], "agent": None},
            raw_output=EVIL,
            agent_rationale=EVIL,
        )
    )
    records.append(
        _step(
            "odd<b>&",
            2,
            {"type": "click", "name": "buy_now"},
            {"type": "type_and_submit", "name": "x</td>", "text": '<img src=x onerror="window.pwned=2">'},
            is_last=True,
            outcome="purchase",
            boxes={"human": [10, 5000, 10, 10], "agent": None},
        )
    )
    (out / STEPS_FILE).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    metrics = {
        "sessions": 2,
        "steps": 5,
        "exact_match": 0.3333333,
        "exact_match_micro": 0.4,
        "action_type_accuracy": 0.6,
        "session_outcome_f1": None,
        "click_type_weighted_f1": None,
        "invalid_outputs": 1,
        "agent": "heuristic",
        "sessions_file": "bundled",
        "seed": 0,
        "sessions_sha256": "ab" * 32,
        "versions": {"webmimic": "0.1.0", "playwright": "1.65"},
        "wall_seconds": 3.5,
        "failed_sessions": [
            {"session_id": "gone<i>", "step": 4, "url": "/cart?x=<b>", "error": EVIL, "kind": "http", "status": 503},
            {"session_id": "diverged", "step": 2, "url": None, "error": "ReplayDivergenceError: no buy_now"},
        ],
    }
    (out / METRICS_FILE).write_text(json.dumps(metrics), encoding="utf-8")
    write_report(out)
    return out


@pytest.fixture
def report(page, run_dir):
    """The report loaded in pytest-playwright's page; console errors collected."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((run_dir / REPORT_FILE).as_uri())
    page.errors = errors  # type: ignore[attr-defined]
    return page


def test_report_loads_without_errors_and_images(report, run_dir):
    html = (run_dir / REPORT_FILE).read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    assert report.title() == "webmimic report: heuristic"
    imgs = report.locator("img")
    assert imgs.count() == 3 + 3  # three plots, three screenshots
    for button in report.locator("button[data-nav=all]").all():  # hidden steps' screenshots load lazily
        button.click()
    report.wait_for_function("Array.from(document.images).every(i => i.complete)")
    widths = report.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth)")
    assert all(w and w > 0 for w in widths), widths
    assert report.errors == []  # type: ignore[attr-defined]
    assert not list(run_dir.glob(".*"))  # no temp file left behind


def test_metrics_table(report):
    row = report.locator('table.metrics tr[data-key="exact_match"]')
    assert "33.33%" in row.inner_text()
    assert "n/a" in report.locator('tr[data-key="session_outcome_f1"]').inner_text()
    meta = report.locator("table.meta").inner_text()
    assert "heuristic" in meta and "playwright 1.65" in meta and "ab" * 32 in meta


def test_navigation(report):
    sessions = report.locator("#sessions table.index a")
    assert sessions.count() == 2
    assert "odd<b>&" in sessions.nth(1).inner_text()
    sessions.nth(1).click()
    report.wait_for_function("location.hash === '#s-2'")
    assert report.locator("#s-2").is_visible()
    # One step at a time; next shows the next one and updates the hash.
    assert report.locator("#s-2-1").is_visible() and report.locator("#s-2-2").is_hidden()
    report.locator("#s-2 button[data-nav=next]").click()
    assert report.locator("#s-2-2").is_visible() and report.locator("#s-2-1").is_hidden()
    assert report.evaluate("location.hash") == "#s-2-2"
    assert report.locator("#s-2 .pos").inner_text() == "2 / 2"
    report.locator("#s-2 button[data-nav=prev]").click()
    assert report.locator("#s-2-1").is_visible()
    # Keyboard arrows move within the session last used.
    report.keyboard.press("ArrowRight")
    assert report.locator("#s-2-2").is_visible()
    # A step link (pip) and a deep link open that step.
    report.locator('#s-1 a.pip[href="#s-1-3"]').click()
    assert report.locator("#s-1-3").is_visible()
    report.locator("#s-1 button[data-nav=all]").click()
    assert report.locator("#s-1-1").is_visible() and report.locator("#s-1-2").is_visible()
    report.locator("#s-2 a.back[href='#top']").click()
    report.wait_for_function("location.hash === '#top'")


def test_boxes_on_screenshots(report):
    report.locator("#s-1 a.pip[href='#s-1-2']").click()
    shot = report.locator("#s-1-2 .shot")
    human = shot.locator(".box.human").bounding_box()
    agent = shot.locator(".box.agent").bounding_box()
    img = shot.locator("img").bounding_box()
    assert human and agent and img
    for box in (human, agent):
        assert img["x"] <= box["x"] and box["x"] + box["width"] <= img["x"] + img["width"] + 1
        assert img["y"] <= box["y"] and box["y"] + box["height"] <= img["y"] + img["height"] + 1
    assert human["y"] != agent["y"] or human["x"] != agent["x"]
    # A box below the screenshot is reported, not drawn; a step without a screenshot has none.
    assert report.locator("#s-2-2 .box").count() == 0
    assert report.locator("#s-1-3 img").count() == 0
    assert "Step" in report.locator("#s-1-3").inner_text()


def test_untrusted_text_is_escaped(report, run_dir):
    assert report.evaluate("window.pwned") is None
    report.locator("#s-2 details.raw summary").first.click()
    assert EVIL in report.locator("#s-2-1 details.raw pre").inner_text()
    assert EVIL in report.locator("#s-2-1 .rationale").nth(1).inner_text()
    assert "ActionParseError" in report.locator("#s-2-1 .error").inner_text()
    report.locator("#s-2 button[data-nav=all]").click()
    assert '<img src=x onerror="window.pwned=2">' in report.locator("#s-2-2 table.actions").inner_text()
    assert report.evaluate("window.pwned") is None
    assert report.locator("script").count() == 1


def test_missing_steps_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=STEPS_FILE):
        write_report(tmp_path)
    assert not (tmp_path / REPORT_FILE).exists()


def test_bad_steps_line_names_file_and_line(tmp_path):
    good = json.dumps(_step("a", 1, {"type": "terminate"}, {"type": "terminate"}))
    (tmp_path / STEPS_FILE).write_text(f"{good}\nnot json\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"steps\.jsonl:2"):
        load_run(tmp_path)
    (tmp_path / STEPS_FILE).write_text(f'{good}\n{{"session_id": "a"}}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"steps\.jsonl:2: field 'step': missing"):
        load_run(tmp_path)


def test_torn_last_line_is_left_out_and_noted(tmp_path):
    good = json.dumps(_step("a", 1, {"type": "terminate"}, {"type": "terminate"}))
    (tmp_path / STEPS_FILE).write_text(f"{good}\n{good[:30]}", encoding="utf-8")
    run = load_run(tmp_path)
    assert run.torn and len(run.steps) == 1
    assert 'id="torn"' in write_report(tmp_path).read_text(encoding="utf-8")


def test_empty_run(tmp_path, page):
    (tmp_path / STEPS_FILE).write_text("", encoding="utf-8")
    path = write_report(tmp_path)
    assert path == tmp_path / REPORT_FILE
    page.goto(path.as_uri())
    assert "no steps" in page.locator("#no-steps").inner_text()
    assert "No metrics.json" in page.locator("#metrics").inner_text()
    assert page.locator("section.session").count() == 0


def test_failed_sessions_are_listed_with_step_url_and_reason(report):
    assert report.locator("nav a[href='#failed']").count() == 1
    rows = report.locator("#failed table.failed tbody tr")
    assert rows.count() == 2
    first = rows.nth(0).inner_text()
    assert "gone<i>" in first and "4" in first and "/cart?x=<b>" in first and EVIL in first and "503" in first
    assert "ReplayDivergenceError: no buy_now" in rows.nth(1).inner_text()
    assert "--resume" in report.locator("#failed").inner_text()
    assert report.evaluate("window.pwned") is None
    assert report.locator('table.meta tr[data-key="failed_sessions"]').count() == 0


def test_no_failed_sessions_no_section(tmp_path):
    good = json.dumps(_step("a", 1, {"type": "terminate"}, {"type": "terminate"}))
    (tmp_path / STEPS_FILE).write_text(f"{good}\n", encoding="utf-8")
    (tmp_path / METRICS_FILE).write_text(json.dumps({"sessions": 1, "failed_sessions": []}), encoding="utf-8")
    assert 'id="failed"' not in write_report(tmp_path).read_text(encoding="utf-8")


def test_report_size_grows_with_steps_not_with_screenshot_bytes(tmp_path, page):
    """The screenshots stay beside the report: its size is bounded by its step count, however big
    they are (here 40 incompressible 1280x800 screenshots, 100+ MB as data URIs), and it still
    shows them when opened from disk, also after the run folder is moved."""
    import random

    rng = random.Random(0)
    noise = Image.frombytes("RGB", (1280, 800), rng.randbytes(1280 * 800 * 3))
    records = []
    for session in range(4):
        (tmp_path / "run" / "shots" / f"s{session}").mkdir(parents=True)
        for step in range(1, 11):
            shot = f"shots/s{session}/{step}.jpg"
            noise.save(tmp_path / "run" / shot, "JPEG", quality=95)
            act = {"type": "click", "name": "search_button"}
            records.append(
                _step(f"s{session}", step, act, act, shot=shot, boxes={"human": [1, 2, 30, 40], "agent": None})
            )
    (tmp_path / "run" / STEPS_FILE).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    report = write_report(tmp_path / "run")
    shots = sum(p.stat().st_size for p in (tmp_path / "run" / "shots").rglob("*.jpg"))
    assert shots > 40 * 500_000
    assert report.stat().st_size < 60_000 + 6_000 * len(records)  # plots and page, then a few KB per step
    moved = (tmp_path / "run").rename(tmp_path / "moved")
    page.goto((moved / REPORT_FILE).as_uri())
    page.locator("#s-1 a.pip[href='#s-1-3']").click()
    img = page.locator("#s-1-3 .shot img")
    img.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('#s-1-3 .shot img').complete")
    assert img.evaluate("i => i.naturalWidth") == 1280
