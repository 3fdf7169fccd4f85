"""Hand-made OPeRA action rows in the dataset's real column layout, for importer and replay tests.

Three small sessions on tiny simplified-HTML pages whose interactable elements carry ``name``
attributes: ``s-buy`` searches, opens a product and buys it; ``s-leave`` searches twice (the
second search is an input action) and terminates; ``s-ten`` has ten clicks and a terminate, so
action ids "9" and "10" test numeric-aware ordering.
"""

from __future__ import annotations

from collections.abc import Sequence
import json
import random

__all__ = [
    "OPERA_COLUMNS",
    "SEARCH_PAGE",
    "RESULTS_PAGE",
    "PRODUCT_PAGE",
    "make_opera_rows",
    "shuffled",
    "write_jsonl",
    "write_parquet",
]

# Written out here, not imported from webmimic.replay.opera: the tests hold the importer to the
# dataset's layout, so a mistake in the package's copy is not repeated in them.
OPERA_COLUMNS = (
    "session_id",
    "action_id",
    "timestamp",
    "action_type",
    "click_type",
    "semantic_id",
    "mouse_position",
    "element_meta",
    "url",
    "window_size",
    "page_meta",
    "simplified_html",
    "rationale",
    "products",
    "input_text",
    "image",
)

SEARCH_PAGE = (
    '<html><body><form name="search"><input name="search_input" type="text"/>'
    '<button name="search_button">Go</button></form><p>Welcome</p></body></html>'
)
RESULTS_PAGE = (
    '<html><body><input name="search_input" type="text"/><button name="search_button">Go</button>'
    '<ul name="search_results"><li><a name="search_results.red_mug.view_product">Red mug</a></li>'
    '<li><a name="search_results.blue_mug.view_product">Blue mug</a></li></ul>'
    '<a name="pagination.2">2</a></body></html>'
)
PRODUCT_PAGE = (
    '<html><body><h1>Red mug</h1><p>$9.99</p><button name="add_to_cart">Add to cart</button>'
    '<button name="buy_now">Buy now</button></body></html>'
)

_BASE = "https://www.amazon.com"


def _row(
    session_id: str,
    action_id: int,
    second: int,
    action_type: str,
    *,
    click_type: str = "",
    semantic_id: str = "",
    url: str = _BASE + "/",
    page: str = SEARCH_PAGE,
    rationale: str = "",
    input_text: str = "",
) -> dict[str, str]:
    return {
        "session_id": session_id,
        "action_id": str(action_id),
        "timestamp": f"2025-03-01T10:{second // 60:02d}:{second % 60:02d}.000Z",
        "action_type": action_type,
        "click_type": click_type,
        "semantic_id": semantic_id,
        "mouse_position": "" if action_type == "terminate" else json.dumps({"x": 100 + action_id, "y": 200}),
        "element_meta": "" if not semantic_id else json.dumps({"tag": "a", "name": semantic_id}),
        "url": url,
        "window_size": json.dumps({"width": 1280, "height": 720}),
        "page_meta": json.dumps({"title": "Shop"}),
        "simplified_html": page,
        "rationale": rationale,
        "products": "",
        "input_text": input_text,
        "image": "",
    }


def make_opera_rows() -> list[dict[str, str]]:
    """Rows of three sessions, in order; every value is a string, as in the dataset."""
    results = _BASE + "/s?k=mug"
    product = _BASE + "/dp/red-mug"
    return [
        # s-buy: search (input), open product, buy.
        _row(
            "s-buy",
            1,
            0,
            "input",
            click_type="",
            semantic_id="search_input",
            input_text="mug",
            rationale="I need a mug for my coffee.",
        ),
        _row(
            "s-buy",
            2,
            5,
            "click",
            click_type="product_link",
            semantic_id="search_results.red_mug.view_product",
            url=results,
            page=RESULTS_PAGE,
        ),
        _row(
            "s-buy",
            3,
            9,
            "click",
            click_type="purchase",
            semantic_id="buy_now",
            url=product,
            page=PRODUCT_PAGE,
            rationale="The price is fine, I'll buy it.",
        ),
        # s-leave: search, search again, leave.
        _row("s-leave", 1, 100, "input", semantic_id="search_input", input_text="blue mug"),
        _row(
            "s-leave",
            2,
            104,
            "input",
            semantic_id="search_input",
            input_text="blue mug large",
            url=_BASE + "/s?k=blue+mug",
            page=RESULTS_PAGE,
        ),
        _row(
            "s-leave",
            3,
            110,
            "terminate",
            url=_BASE + "/s?k=blue+mug+large",
            page=RESULTS_PAGE,
            rationale="Nothing fits my budget.",
        ),
        # s-ten: same timestamp for all rows, so only the action_id orders them (1..10, then 11).
        *[
            _row(
                "s-ten",
                i,
                200,
                "click",
                click_type="page_related",
                semantic_id="pagination.2",
                url=results,
                page=RESULTS_PAGE,
            )
            for i in range(1, 11)
        ],
        _row("s-ten", 11, 200, "terminate", url=results, page=RESULTS_PAGE),
    ]


def shuffled(rows: Sequence[dict[str, str]], seed: int = 7) -> list[dict[str, str]]:
    out = list(rows)
    random.Random(seed).shuffle(out)
    return out


def write_jsonl(path, rows: Sequence[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")


def write_parquet(path, rows: Sequence[dict[str, str]], columns: Sequence[str] = OPERA_COLUMNS) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({c: pa.array([r[c] for r in rows], type=pa.string()) for c in columns})
    pq.write_table(table, path)
