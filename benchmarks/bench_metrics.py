"""Time each page's metric queries on DuckDB against the pandas oracle on the same tickets.

Usage::

    .venv/bin/python benchmarks/bench_metrics.py [--tickets N] [--runs K] [--rounds R]

A simulated store of about ``N`` tickets (three years) is built once and
cached under ``benchmarks/out/``. For each page (overview, response times,
backlog) and each range ("all time", "last 90 days" up to the export's last
event), the full set of the page's queries runs ``K`` times and the median is
taken; ``R`` rounds alternate the two paths, and the ratio reported is the
median of the rounds' ratios, with their range. The pandas path is
``tests/reference_metrics.py`` on a DataFrame loaded once (from a Parquet
copy of the store, so that no DuckDB memory is counted against it); its
per-selection cohort memo is reset before every page run.

Each path runs in its own subprocess, and its peak memory is that process's
``VmHWM`` (peak resident set: interpreter, libraries, data and, for
DuckDB, its buffer pool and operators, which live in the same process).
Durations are in calendar hours, display time zone Europe/Paris.

Targets (issue 4): each page at least 3x faster than pandas on the full range
and 10x on 90 days; DuckDB peak memory at most a quarter of pandas'.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

TZ = "Europe/Paris"
PATHS = ("duckdb", "pandas")
PAGES = ("overview", "response times", "backlog")
RANGES = ("all time", "last 90 days")
TARGETS = {"all time": 3.0, "last 90 days": 10.0}
MEMORY_TARGET = 0.25


def _selections(span, source: str) -> dict:
    from analytics.metrics import Selection, period

    zone = ZoneInfo(TZ)
    last = span.as_of.astimezone(zone).date()
    first = span.first_created_at.astimezone(zone).date()
    return {
        "all time": Selection(source, *period(first, last, TZ), tz=TZ),
        "last 90 days": Selection(source, *period(last - timedelta(days=89), last, TZ), tz=TZ),
    }


def duckdb_pages(con, settings) -> dict:
    """Return page name -> function running that page's queries for a selection.

    The calls are the pages' own when opened, with the settings loaded once
    as the app does: ``overview_page`` (figures of both periods, daily flow,
    movers), ``response_times_page`` (the weekly trend, which also serves the
    SLA chart, the buckets, the breakdown by region, the slowest tickets) and
    ``backlog_page`` (the daily backlog, the heatmap, the backlog's age and
    days to clear), each running its queries two at a time on two cursors
    (``metrics.queries``). A page computes only what it draws:
    another grain or dimension is one more statement, then cached. Every
    output the pandas path computes is computed here too.
    """
    from analytics import metrics as m

    def overview(s):
        m.overview_page(con, s, settings)

    def response_times(s):
        m.response_times_page(con, s, "week", "region", settings=settings)

    def backlog(s):
        m.backlog_page(con, s, "day", settings)

    return dict(zip(PAGES, (overview, response_times, backlog), strict=True))


def pandas_pages(frame, settings) -> dict:
    """Return page name -> function running the oracle's version of that page's queries."""
    from reference_metrics import Reference

    def overview(s):
        ref = Reference(frame, settings)
        ref.overview(s)
        ref.overview(s.previous())
        ref.daily_flow(s)
        ref.movers(s)

    def response_times(s):
        ref = Reference(frame, settings)
        ref.response_time_trend(s, "week")
        ref.response_time_buckets(s)
        ref.response_time_breakdown(s, "region")
        ref.sla_weekly(s)
        ref.slowest_tickets(s)

    def backlog(s):
        ref = Reference(frame, settings)
        ref.backlog_series(s, "day")
        ref.weekday_hour_heatmap(s)
        ref.backlog_age(s)
        ref.days_to_clear(s)

    return dict(zip(PAGES, (overview, response_times, backlog), strict=True))


def worker(path_name: str, db: Path, runs: int) -> dict:
    """Time every page and range on one path; return seconds and this process's peak MB."""
    from analytics import metrics, store
    from analytics.settings import load_settings

    settings = load_settings()
    if path_name == "duckdb":
        # opened as the app opens it, with the same settings
        con = store.connect(db, read_only=True)
        span = metrics.source_span(con, common.SIM_SOURCE)
        pages = duckdb_pages(con, settings)
    else:
        import pandas as pd

        sys.path.insert(0, str(common.ROOT / "tests"))
        parquet = db.with_suffix(".parquet")
        frame = pd.read_parquet(parquet)
        for column in ("created_at", "first_response_at", "resolved_at", "closed_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        span = metrics.SourceSpan(
            frame["created_at"].min().to_pydatetime(),
            frame[["created_at", "first_response_at", "resolved_at", "closed_at"]]
            .max()
            .max()
            .to_pydatetime(),
        )
        pages = pandas_pages(frame, settings)
    selections = _selections(span, common.SIM_SOURCE)
    seconds = {
        page: {
            name: common.median_seconds(lambda run=run, s=s: run(s), runs)
            for name, s in selections.items()
        }
        for page, run in pages.items()
    }
    return {"seconds": seconds, "peak_mb": common.peak_rss_mb()}


def _parquet_copy(db: Path) -> Path:
    """Write the store's tickets to Parquet once, for the pandas process to read."""
    import duckdb
    import pyarrow.parquet as pq

    parquet = db.with_suffix(".parquet")
    if not parquet.exists():
        with duckdb.connect(str(db), read_only=True) as con:
            tickets = con.table("tickets").filter(
                duckdb.ColumnExpression("source") == common.SIM_SOURCE
            )
            pq.write_table(tickets.to_arrow_table(), parquet)
    return parquet


def _run_worker(path_name: str, db: Path, runs: int) -> dict:
    """Run one path's worker in a fresh process; return its seconds and peak MB."""
    out = subprocess.run(
        [sys.executable, __file__, "--worker", path_name, "--db", str(db), "--runs", str(runs)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="store size (cached)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds alternating the two paths (median)"
    )
    parser.add_argument("--worker", choices=PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.db, args.runs)))
        return 0

    db = common.simulated_store(args.tickets)
    _parquet_copy(db)
    # Rounds alternate the two paths: this machine's speed drifts by 15% over
    # minutes, and a ratio of runs a minute apart drifts much less.
    rounds = []
    for _ in range(args.rounds):
        rounds.append({path_name: _run_worker(path_name, db, args.runs) for path_name in PATHS})

    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        (tickets,) = con.execute("select count(*) from tickets").fetchone()
    rows, missed = [], []
    for page in PAGES:
        for name in RANGES:
            fast = statistics.median(r["duckdb"]["seconds"][page][name] for r in rounds)
            slow = statistics.median(r["pandas"]["seconds"][page][name] for r in rounds)
            ratios = [
                r["pandas"]["seconds"][page][name] / r["duckdb"]["seconds"][page][name]
                for r in rounds
            ]
            ratio = statistics.median(ratios)
            ok = ratio >= TARGETS[name]
            if not ok:
                missed.append(f"{page} / {name}")
            rows.append(
                (
                    page,
                    name,
                    f"{fast:.3f}",
                    f"{slow:.3f}",
                    f"{ratio:.1f}x",
                    f"{min(ratios):.1f}-{max(ratios):.1f}x",
                    f">= {TARGETS[name]:.0f}x",
                    "yes" if ok else "NO",
                )
            )
    print(
        f"{tickets:,} tickets, calendar hours, tz {TZ}; {args.rounds} rounds, each the median "
        f"of {args.runs} runs per path; pandas/duckdb is the median of the rounds' ratios\n"
    )
    print(
        common.table(
            (
                "page",
                "range",
                "duckdb s",
                "pandas s",
                "pandas/duckdb",
                "rounds",
                "target",
                "met",
            ),
            rows,
        )
    )
    duck_mb, pandas_mb = (max(r[path]["peak_mb"] for r in rounds) for path in PATHS)
    share = duck_mb / pandas_mb
    print(
        f"\npeak memory (VmHWM, the largest of the rounds): duckdb {duck_mb:,.0f} MB, "
        f"pandas {pandas_mb:,.0f} MB, ratio {share:.2f} (target <= {MEMORY_TARGET:.2f}: "
        f"{'yes' if share <= MEMORY_TARGET else 'NO'})"
    )
    if share > MEMORY_TARGET:
        missed.append("memory")
    if missed:
        print("targets missed: " + ", ".join(missed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
