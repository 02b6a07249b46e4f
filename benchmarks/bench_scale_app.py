"""Every page of the served app on ten million tickets, timed as a manager waits for it.

Usage::

    .venv/bin/python benchmarks/bench_scale_app.py            # the stores of bench_scale.py
    .venv/bin/python benchmarks/bench_scale_app.py --small    # its quick check's stores

``bench_scale.py`` times each page's library calls in a bare process; this
serves each of its two stores (the big one and the baseline of a tenth of
its tickets) as ``make run`` does (``streamlit run serve.py``,
``benchmarks/servers.py``) and visits the pages over Streamlit's own
websocket protocol (``benchmarks/stclient.py``). A visit's time runs from the
rerun request to the end of the page's run: the server's work, not a
browser's drawing. The overview's surge line is computed after its run, in
the background; the page says so while it waits.

For each store:

1. **At start**: a session opens the overview (with filters no later visit
   uses) as soon as the server answers its health check: what the first
   manager after a restart waits for, the server's copy of the tickets
   included when it is not done yet.
2. The server is left until it is idle (its copy made), then one session
   visits every page in the navigation's order with the sidebar's defaults:
   each page's **first** visit. Then it visits each again: the **warm**
   visit (median of ``--runs``), served from the query cache.
3. Another session visits every page with filters no one asked for before (a
   region, the last 90 days, another zone): the first visit of a manager
   with filters of their own, which computes everything again but the
   forecasts' shared history.

Targets, on the big store: first visits at most 3 s, warm ones at most 0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import bench_scale
import common
import stclient
from servers import CpuMeter, serve

# URL path -> title: every page of app.py's navigation (the single-user app is an admin's).
PAGES = {
    "": "Overview",
    "response_times": "Response times",
    "agents": "Agents and teams",
    "backlog": "Backlog",
    "forecast": "Forecast",
    "staffing": "Staffing and what-if",
    "seasonality": "Seasonality",
    "data": "Data",
    "events": "Events",
    "schedules": "Schedules",
    "weekly_report": "Weekly report",
    "access": "Access",
}
OWN_FILTERS = urlencode({"region": "Europe", "period": "Last 90 days", "tz": "Europe/London"})
# The visit at start asks for filters no later visit uses, so that it warms nothing for them.
AT_START = urlencode({"hours": "business", "period": "Last 7 days"})
IDLE_CORES = 0.15
TIMEOUT_S = 600.0


async def until_idle(pid: int, settle_s: float = 3.0, limit_s: float = 900.0) -> float:
    """Wait until server ``pid`` (with its workers) used under :data:`IDLE_CORES` over
    ``settle_s``; return the seconds waited."""
    began = time.perf_counter()
    meter = CpuMeter({"app": [pid]})
    while time.perf_counter() - began < limit_s:
        before, at = sum(meter.read().values()), time.perf_counter()
        await asyncio.sleep(settle_s)
        if (sum(meter.read().values()) - before) / (time.perf_counter() - at) < IDLE_CORES:
            break
    return time.perf_counter() - began


async def visit_all(url: str, query: str, runs: int) -> dict[str, dict]:
    """Visit every page once, then ``runs`` more times each; return path -> figures."""
    figures: dict[str, dict] = {}
    async with await stclient.connect(url) as session:
        for path in PAGES:
            visit = await session.visit(path, query, TIMEOUT_S)
            figures[path] = {"first": visit.seconds, "error": visit.error}
        for path in PAGES:
            warm = [await session.visit(path, query, TIMEOUT_S) for _ in range(runs)]
            figures[path]["warm"] = statistics.median(v.seconds for v in warm)
            figures[path]["error"] = figures[path]["error"] or next(
                (v.error for v in warm if v.error), None
            )
    return figures


async def measure(db: Path, runs: int) -> dict:
    """Serve ``db``; return the visit at start, the idle wait, and both sessions' figures."""
    with serve(db) as target:
        async with await stclient.connect(target.url) as session:
            at_start = await session.visit("", AT_START, TIMEOUT_S)
        idle_s = await until_idle(target.pids[0])
        defaults = await visit_all(target.url, "", runs)
        own = await visit_all(target.url, OWN_FILTERS, 1)
    return {
        "at_start": at_start.seconds,
        "at_start_error": at_start.error,
        "idle_s": idle_s,
        "defaults": defaults,
        "own": own,
    }


def report(results: dict[str, dict], tickets: dict[str, int]) -> str:
    """Return the table of pages (first, warm and own-filter visits on both stores) and misses."""
    rows, missed = [], []
    for path, title in PAGES.items():
        row = [title]
        for name in ("base", "big"):
            one = results[name]
            row += [f"{one['defaults'][path]['first']:.2f}", f"{one['defaults'][path]['warm']:.2f}",
                    f"{one['own'][path]['first']:.2f}"]  # fmt: skip
            for kind in ("defaults", "own"):
                if error := one[kind][path]["error"]:
                    missed.append(f"{name} {title} ({kind}): {error}")
        big = results["big"]
        first = max(big["defaults"][path]["first"], big["own"][path]["first"])
        warm = big["defaults"][path]["warm"]
        if first > bench_scale.FIRST_TARGET_S:
            missed.append(f"{title}: first {first:.2f} s")
        if warm > bench_scale.WARM_TARGET_S:
            missed.append(f"{title}: warm {warm:.2f} s")
        rows.append(row)
    headers = ["page"] + [f"{n} {k}" for n in ("base", "big") for k in ("first s", "warm s", "own filters s")]  # fmt: skip
    lines = [
        f"served: base {tickets['base']:,} tickets, big {tickets['big']:,}; one session at a time",
    ]
    for name in ("base", "big"):
        one = results[name]
        lines.append(
            f"{name}: overview at start {one['at_start']:.2f} s"
            f"{' (' + one['at_start_error'] + ')' if one['at_start_error'] else ''}; "
            f"server idle {one['idle_s']:.0f} s after it"
        )
    lines += ["", common.table(headers, rows)]
    lines.append("targets missed: " + "; ".join(missed) if missed else "every target met")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=bench_scale.DEFAULT_SCALE)
    parser.add_argument("--small", action="store_true", help="bench_scale.py's quick check")
    parser.add_argument("--runs", type=int, default=3, help="warm visits per page (median)")
    args = parser.parse_args(argv)
    scale = bench_scale.SMALL_SCALE if args.small else args.scale
    csv, _ = bench_scale.cached_export(scale)
    big, imported = bench_scale.imported_store(csv, scale, reimport=False)
    base_tickets = int(round(scale * bench_scale.TICKETS_PER_SCALE / 10, -3))
    stores = {"base": common.simulated_store(base_tickets), "big": big}
    results = {}
    for name, db in stores.items():
        print(f"serving the {name} store ...", file=sys.stderr)
        results[name] = asyncio.run(measure(db, args.runs))
    print(report(results, {"base": base_tickets, "big": imported["tickets"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
