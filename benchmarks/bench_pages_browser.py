"""Time from navigation to every chart drawn, per page, in headless Chromium.

For each managers' page: a fresh app on the simulated store (about 1,000,000
tickets by default), the page opened cold (empty query cache) and then warm
(a new browser session on the same server), next to the framework's floor:
``benchmarks/floor_app.py`` drawing the same number of constant charts.

    .venv/bin/python benchmarks/bench_pages_browser.py [--tickets N] [--runs K]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from common import ROOT, simulated_store, table

sys.path.insert(0, str(ROOT / "tests"))
from conftest import CHROMIUM, AppServer  # noqa: E402

QUERY = "?source=sample&period=All&tz=Europe%2FParis"
# page link name, URL path, charts drawn on first view
PAGES = (("Overview", "", 1), ("Response times", "response_times", 5), ("Backlog", "backlog", 3))
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def charts_drawn(page, count: int, timeout_ms: int = 180_000) -> None:
    page.wait_for_function(
        "n => [...document.querySelectorAll('.js-plotly-plot')]"
        ".filter(p => p.querySelector('.main-svg')).length >= n",
        arg=count,
        timeout=timeout_ms,
    )


def timed_visit(browser, url: str, charts: int) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    began = time.perf_counter()
    page.goto(url)
    charts_drawn(page, charts)
    elapsed = time.perf_counter() - began
    context.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    db = simulated_store(args.tickets)
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROME_ARGS)
        # The floor runs all along, and each warm visit of a page is paired
        # with a floor visit just after it: this machine's speed drifts by
        # 15% over minutes, and a ratio of visits seconds apart does not.
        floor = AppServer(db.parent / "floor.duckdb", script=ROOT / "benchmarks" / "floor_app.py")
        floor.start()
        try:
            for _, _, charts in PAGES:
                timed_visit(browser, f"{floor.url}/?charts={charts}", charts)  # warm-up
            for name, path, charts in PAGES:
                colds, warms, floors, ratios = [], [], [], []
                for _ in range(args.runs):
                    server = AppServer(db).start()
                    try:
                        if path:
                            # A first session runs the frame, so later deep links are routed by it.
                            timed_visit(browser, f"{server.url}/{QUERY}", 1)
                        colds.append(timed_visit(browser, f"{server.url}/{path}{QUERY}", charts))
                        warm = timed_visit(browser, f"{server.url}/{path}{QUERY}", charts)
                        base = timed_visit(browser, f"{floor.url}/?charts={charts}", charts)
                    finally:
                        server.stop()
                    warms.append(warm)
                    floors.append(base)
                    ratios.append(warm / base)
                rows.append(
                    [
                        name,
                        charts,
                        f"{statistics.median(colds):.2f}",
                        f"{statistics.median(warms):.2f}",
                        f"{statistics.median(floors):.2f}",
                        f"{statistics.median(ratios):.2f}x",
                        f"{min(ratios):.2f}-{max(ratios):.2f}",
                    ]
                )
        finally:
            floor.stop()
        browser.close()
    print(
        f"store: {db.name}; median of {args.runs} runs; seconds from navigation to all charts "
        "drawn; warm / floor is the median of paired ratios (each warm visit, then the floor)"
    )
    print(
        table(
            ["page", "charts", "cold s", "warm s", "floor s", "warm / floor", "range"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
