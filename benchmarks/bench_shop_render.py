"""How long the shop's server takes to render its pages (not a test).

Renders the page of every step of the bundled test sessions through Flask's test client (no
browser, no sockets), after a warm-up over the first ``--warmup`` of them, and prints the median
and mean ms per page by page type, and a SHA-256 of all the pages' bytes in order: a change
meant to make rendering faster should leave that hash as it was.

    .venv/bin/python benchmarks/bench_shop_render.py [--pages 300] [--warmup 50]
"""

from __future__ import annotations

import argparse
import hashlib
from statistics import mean, median
import time
from urllib.parse import urlsplit

from webmimic.evaluation.bench import BenchConfig, load_sessions
from webmimic.sites.shop.app import create_app


def _paths() -> list[str]:
    """Path and query of each recorded step's page, in session order."""
    urls = [urlsplit(step.url) for session in load_sessions(BenchConfig()) for step in session.steps]
    return [u.path + (f"?{u.query}" if u.query else "") for u in urls]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300, help="how many pages to time (0: all)")
    parser.add_argument("--warmup", type=int, default=50, help="pages rendered first, untimed")
    args = parser.parse_args()
    paths = _paths()
    client = create_app().test_client()
    for path in paths[: args.warmup]:
        client.get(path)
    timed = paths[: args.pages] if args.pages else paths
    ms: dict[str, list[float]] = {}
    digest = hashlib.sha256()
    for path in timed:
        start = time.perf_counter()
        body = client.get(path).data
        ms.setdefault(path.split("/")[1].split("?")[0] or "home", []).append((time.perf_counter() - start) * 1000)
        digest.update(body)
    print(f"{len(timed)} pages of the test sessions, ms per page:")
    print(f"  {'page':10} {'pages':>6} {'median':>7} {'mean':>7}")
    for kind, values in sorted(ms.items(), key=lambda item: -len(item[1])):
        print(f"  {kind:10} {len(values):6} {median(values):7.2f} {mean(values):7.2f}")
    every = [v for values in ms.values() for v in values]
    print(f"  {'all':10} {len(every):6} {median(every):7.2f} {mean(every):7.2f}")
    print(f"sha256 of the pages: {digest.hexdigest()}")


if __name__ == "__main__":
    main()
