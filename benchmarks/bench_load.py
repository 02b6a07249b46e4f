"""Concurrent sessions on the app, through Streamlit's own websocket protocol (no browser).

N sessions connect, then start together, as N managers opening the link at
9:00 do: each loads Overview, Response times and Backlog in turn for its own
filters (region, period and time zone, in the query string the sidebar
reads), and loops until ``--duration`` has passed and it has loaded each page
once. A session's first load of a page is its *first visit*; later loads,
with the same filters, are *warm visits*. A visit's time runs from the rerun
request to the end of the run (``benchmarks/stclient.py``): the server's
work, not a browser's drawing. No two sessions of a bench share filters (up
to 175 sessions in all), so none finds another's page in the query cache;
the surge forecast, which periods ending now share, may be.

    .venv/bin/python benchmarks/bench_load.py --serve [--sessions 1,5,10,20,40] [--pause 0,3]
    .venv/bin/python benchmarks/bench_load.py --serve --replicas 2 [--sessions ...]
    .venv/bin/python benchmarks/bench_load.py --url http://localhost:8501 --pid 1234

Before each run one session loads each page with filters no session uses
(business hours), as a server at 9:00 has served since the day before:
imports, store connection and local copy of the tickets ready, nobody's
filters cached. ``--cold`` leaves that out: the first visits are then the
first of a server that has just started.

``--serve`` starts a fresh server on the sample store (built first with
``make data/backlog_radar.sqlite`` if missing) for each run (N and pause)
and samples its CPU time; against ``--url``, ``--pid`` names the
server's processes to sample. With ``--replicas K`` (K of 2 or more),
``--serve`` starts K servers on the one store and nginx in front of them
(``benchmarks/servers.py``), and the sessions go to nginx, which gives
each new one the server with the fewest open websockets; the warm-up
visits each server directly. A session is one websocket, so one server
for its whole life: it needs no sticky cookie.

Server cores are the CPU seconds over the run's wall time of every server
process with all its descendants (the fit workers an app server spawns),
and with replicas of nginx's master and worker too (``proxy_cores`` in
``--json``). The load client's own share of the machine is reported too:
on a small machine it competes with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import stclient
from common import ROOT, table
from servers import CpuMeter, Target, serve

# title, URL path: the managers' pages of app.py's navigation.
PAGES = (("Overview", ""), ("Response times", "response_times"), ("Backlog", "backlog"))
# The query parameters ui/filters.py reads, with values it accepts.
PERIODS = ("Last 7 days", "Last 28 days", "Last 90 days", "This quarter", "All")
SAMPLE_REGIONS = ("France", "Europe", "North America", "Asia")
ZONES = (
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Singapore",
    "Europe/London",
    "America/Los_Angeles",
    "Europe/Berlin",
)
SAMPLE_STORE = ROOT / "data" / "backlog_radar.sqlite"
CPU_COUNTED = (
    "Server cores: each app server with its descendants (fit workers), and nginx's master "
    "and worker in front of replicas; replicas (n+m): the sessions nginx sent to each."
)


def session_query(index: int) -> str:
    """Return session ``index``'s query string: its own region (or all), period and time zone.

    Each block of consecutive sessions covers every region (and all of
    them), each on another period; the zone changes once every pair of
    region and period is used. Periods ending now share a forecast, regions
    do not: a block costs what managers of different regions cost.
    """
    choices = (None, *SAMPLE_REGIONS)
    block, region = divmod(index, len(choices))
    period = PERIODS[(region + block) % len(PERIODS)]
    zone = ZONES[(block // len(PERIODS)) % len(ZONES)]
    params = {"period": period, "tz": zone, **({"region": r} if (r := choices[region]) else {})}
    return urlencode(params)


@dataclass(frozen=True)
class Record:
    """One visit of one session; ``first`` is the session's first visit of that page."""

    session: int
    title: str
    first: bool
    visit: stclient.Visit


async def _open(url: str, index: int) -> stclient.AppSession | Record:
    """Return a connected session, or a failed visit saying why it could not connect."""
    try:
        return await stclient.connect(url)
    except Exception as error:  # any failure to connect is a result to report
        return Record(index, "connect", True, stclient.Visit("", "", 0.0, repr(error)))


async def _drive(
    session: stclient.AppSession,
    index: int,
    query: str,
    deadline: float,
    pause: float,
    timeout: float,
) -> list[Record]:
    """Loop ``session`` over the pages until ``deadline`` with each page seen; return its visits."""
    records: list[Record] = []
    seen: set[str] = set()
    for title, path in itertools.cycle(PAGES):
        if len(seen) == len(PAGES) and time.monotonic() >= deadline:
            break
        if records and pause:
            await asyncio.sleep(pause)
        visit = await session.visit(path, query, timeout)
        records.append(Record(index, title, title not in seen, visit))
        seen.add(title)
        if session.closed:
            break
    return records


async def run_load(
    url: str,
    sessions: int,
    *,
    duration: float,
    pause: float = 0.0,
    timeout: float = stclient.VISIT_TIMEOUT,
    first_query: int = 0,
    meter: CpuMeter | None = None,
) -> tuple[list[Record], float]:
    """Run ``sessions`` sessions on the app at ``url`` together; return every visit and the wall time.

    Session ``i`` uses :func:`session_query` ``(first_query + i)``. The wall
    time (and ``meter``, when given) runs from the first visits, sent once
    every session is connected, to the end of the last visit.
    """
    opened = await asyncio.gather(*(_open(url, i) for i in range(sessions)))
    live = [(i, s) for i, s in enumerate(opened) if isinstance(s, stclient.AppSession)]
    records = [r for r in opened if isinstance(r, Record)]
    async with meter or contextlib.nullcontext():
        began = time.perf_counter()
        deadline = time.monotonic() + duration
        loops = (
            _drive(s, i, session_query(first_query + i), deadline, pause, timeout) for i, s in live
        )
        for visits in await asyncio.gather(*loops):
            records.extend(visits)
        wall = time.perf_counter() - began
    await asyncio.gather(*(s.close() for _, s in live))
    return records, wall


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the ``q``-th percentile (0-100) of ``values``, interpolated linearly; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(records: Sequence[Record], wall: float) -> dict:
    """Return the figures of a run: per page and kind of visit, p50/p95 seconds and counts; errors."""
    errors = [r for r in records if r.visit.error]
    ok = [r for r in records if not r.visit.error]
    pages = {}
    for title, _ in PAGES:
        pages[title] = {}
        for kind, first in (("first", True), ("warm", False)):
            times = [r.visit.seconds for r in ok if r.title == title and r.first is first]
            pages[title][kind] = {
                "visits": len(times),
                "p50_s": percentile(times, 50),
                "p95_s": percentile(times, 95),
            }
    return {
        "wall_s": wall,
        "visits": len(ok),
        "errors": len(errors),
        "first_error": f"{errors[0].title}: {errors[0].visit.error}" if errors else None,
        "pages_per_s": len(ok) / wall if wall else 0.0,
        "pages": pages,
    }


async def warm_up(url: str, timeout: float) -> list[str]:
    """Load each page once in a session of its own; return the errors.

    A server at 9:00 has run since the day before: its imports, connection
    and copy of the tickets are ready, but nobody's filters are cached. The
    warm-up's filters (business hours) are no session's.
    """
    async with await stclient.connect(url) as session:
        visits = [await session.visit(path, "hours=business", timeout) for _, path in PAGES]
    return [f"warm-up {v.page or 'overview'}: {v.error}" for v in visits if v.error]


async def measure(target: Target, sessions: int, pause: float, first_query: int, args) -> dict:
    """Warm each server up (unless ``args.cold``), run the load on ``target``; return the run's figures.

    The sessions' filters start at :func:`session_query` ``(first_query)``.

    The figures are :func:`summarise`'s, the replicas, the client's cores
    and, with the target's pids, the cores of the servers (nginx included)
    on average and at most, nginx's alone, and pages per CPU second of
    them all; with nginx, how many sessions it sent to each server.
    """
    if not args.cold:
        warmed = await asyncio.gather(*(warm_up(url, args.timeout) for url in target.servers))
        for problem in itertools.chain.from_iterable(warmed):
            print(problem, file=sys.stderr)
    groups = target.cpu_groups()
    meter = CpuMeter(groups) if groups else None
    client_began = time.process_time()
    records, wall = await run_load(
        target.url,
        sessions,
        duration=args.duration,
        pause=pause,
        timeout=args.timeout,
        first_query=first_query,
        meter=meter,
    )
    result = {"sessions": sessions, "pause_s": pause, "replicas": target.replicas}
    result |= summarise(records, wall)
    result["client_cores"] = (time.process_time() - client_began) / wall
    if target.proxy is not None:
        result["sessions_per_server"] = target.sessions_per_server(sessions)
    if meter is not None and meter.cpu_seconds:
        result["server_cores"] = meter.cpu_seconds / meter.wall_seconds
        result["server_cores_max"] = meter.max_cores
        result["pages_per_core_s"] = result["visits"] / meter.cpu_seconds
        if "proxy" in meter.seconds:
            result["proxy_cores"] = meter.seconds["proxy"] / meter.wall_seconds
    return result


def _figure(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _replicas(result: dict, each: bool = True) -> str:
    """Return a run's replicas, with ``each`` the sessions nginx sent to each (``2 (3+2)``).

    Returns ``-`` for a server the bench did not start.
    """
    if result.get("replicas") is None:
        return "-"
    split = result.get("sessions_per_server") if each else None
    return f"{result['replicas']}" + (f" ({'+'.join(map(str, split))})" if split else "")


def report(results: Sequence[dict]) -> str:
    """Return the runs and their pages as plain-text tables, then each run's first error."""
    runs = [
        (
            r["sessions"],
            _replicas(r),
            _figure(r["pause_s"], 1),
            _figure(r["wall_s"], 1),
            r["visits"],
            r["errors"],
            _figure(r["pages_per_s"]),
            f"{_figure(r.get('server_cores'))} ({_figure(r.get('server_cores_max'))})",
            _figure(r.get("pages_per_core_s")),
            _figure(r["client_cores"]),
        )
        for r in results
    ]
    pages = [
        (r["sessions"], _replicas(r, each=False), _figure(r["pause_s"], 1), title)
        + tuple(_figure(p[kind][q]) for kind in ("first", "warm") for q in ("p50_s", "p95_s"))
        + (p["first"]["visits"], p["warm"]["visits"])
        for r in results
        for title, p in r["pages"].items()
    ]
    run_headers = ("N", "replicas", "pause s", "wall s", "visits", "errors", "pages/s")
    run_headers += ("server cores (max)", "pages/core-s", "client cores")
    page_headers = ("N", "replicas", "pause s", "page", "first p50 s", "first p95 s")
    page_headers += ("warm p50 s", "warm p95 s", "first n", "warm n")
    errors = [
        f"N={r['sessions']} replicas {_replicas(r)} pause {r['pause_s']:g} s: {r['first_error']}"
        for r in results
        if r["first_error"]
    ]
    parts = [table(run_headers, runs), table(page_headers, pages)]
    if any("server_cores" in r for r in results):
        parts.append(CPU_COUNTED)
    return "\n\n".join(parts + (["First errors:\n" + "\n".join(errors)] if errors else []))


def _numbers(kind):
    return lambda text: [kind(item) for item in text.split(",") if item.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Return the command line's options (lists are comma-separated: ``--sessions 1,5,10``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--url", default="http://localhost:8501", help="the app (make run's)")
    target.add_argument(
        "--serve", action="store_true", help="serve the sample store, a fresh server per run"
    )
    parser.add_argument(
        "--sessions", type=_numbers(int), default=[1, 5, 10, 20, 40], help="N, one run each"
    )
    parser.add_argument(
        "--pause",
        type=_numbers(float),
        default=[0.0],
        help="seconds between a session's visits, one run each (default 0)",
    )
    parser.add_argument(
        "--duration", type=float, default=30.0, help="seconds a run lasts, past a first round"
    )
    parser.add_argument(
        "--timeout", type=float, default=stclient.VISIT_TIMEOUT, help="seconds before a visit fails"
    )
    parser.add_argument(
        "--replicas", type=int, default=1, help="app servers behind nginx (--serve; default 1)"
    )
    parser.add_argument("--cold", action="store_true", help="no warm-up: 9:00 after a restart")
    parser.add_argument("--pid", type=_numbers(int), default=[], help="server processes (--url)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.replicas < 1 or (args.replicas > 1 and not args.serve):
        parser.error("--replicas takes 1 or more, and more than 1 only with --serve")
    return args


def main() -> None:
    args = parse_args()
    if args.serve and not SAMPLE_STORE.exists():
        # The Makefile's recipe builds the sample (simulate, then import as real data is).
        subprocess.run(["make", str(SAMPLE_STORE.relative_to(ROOT))], cwd=ROOT, check=True)
    results = []
    first_query = 0  # each run's sessions have filters of their own
    for sessions, pause in itertools.product(args.sessions, args.pause):
        if args.serve:
            with serve(SAMPLE_STORE, args.replicas) as target:
                result = asyncio.run(measure(target, sessions, pause, first_query, args))
        else:
            target = Target(args.url, (args.url,), tuple(args.pid))
            result = asyncio.run(measure(target, sessions, pause, first_query, args))
        first_query += sessions
        results.append(result)
        print(
            f"N={sessions} replicas {_replicas(result)} pause {pause:g} s: {result['visits']} visits, "
            f"{result['errors']} errors, {result['pages_per_s']:.2f} pages/s",
            file=sys.stderr,
        )
    print(json.dumps(results, indent=2) if args.json else report(results))


if __name__ == "__main__":
    main()
