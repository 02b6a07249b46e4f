"""Time each page's metric queries on the DuckLake store, on native DuckDB files and in pandas.

Usage::

    .venv/bin/python benchmarks/bench_metrics.py [--tickets N] [--runs K] [--rounds R]

A simulated store of about ``N`` tickets (three years) is built once and
cached under ``benchmarks/out/`` (:func:`common.simulated_store`: a DuckLake
store, SQLite catalog plus Parquet files, as an import leaves it). For each
page (overview, response times, backlog) and each range ("all time", "last
90 days" up to the export's last event), the full set of the page's queries
runs ``K`` times and the median is taken; ``R`` rounds run the four paths
one after another (the order turning each round), and each ratio reported is
the median of the rounds' ratios, with their range. The paths, each in its
own subprocess:

- ``ducklake``: the store as the app opens it, ``store.connect(path,
  read_only=True)``, then the pages' own calls (``metrics.overview_page``
  and the others). Every page first brings the process's local copy of the
  tickets (:mod:`analytics.replica`) up to the store's snapshot, which costs
  catalog lookups even when it has not moved. The first sync copies the
  tickets and events from the Parquet files; that "first open"
  (``store.connect``, the first sync, the source's span) is timed on its own
  and left out of the pages' medians, but the process's peak memory
  includes it, and the copy's size on disk is reported.
- ``native``: the baseline of the target, the same tickets in a native
  DuckDB file of the DuckDB the app now runs on, built once from the store
  (``create table tickets as from lake.tickets``, and ``events``, the other
  table the metric SQL reads: the statements the replica's first copy runs,
  so both files hold the same rows in the same order). It is queried the
  way the pages queried the native store before DuckLake. The library can no
  longer open a native file (``store.connect`` opens a lake, and the metric
  cursors switch to the replica), so the worker attaches the file read-only
  as ``lake``, on which ``store.cursor``'s ``use lake`` lands, and stands in,
  in its own process only, for the two calls that exist only for DuckLake:
  ``replica.use`` (the cursor stays on the file) and ``replica.sync`` (a
  one-row read of ``store_meta.data_version``, what the native store's
  ``data_version`` was). Every other step (the SQL files, the cursors and
  their macros, the two-query pool, the settings, the connection's options)
  is the library's own, so this path and ``ducklake`` differ by the replica
  and its sync alone.
- ``release``: today's native store as it runs in production, for the
  record: the release before DuckLake (commit 71ee6d6) on its DuckDB 2.0.1,
  from a temporary ``git worktree`` of it with ``.venv/legacy-duckdb`` first on
  ``PYTHONPATH``, on its own store of the same simulation built by its own
  code. The same harness runs its pages (the page functions' names have not
  changed). It differs from ``native`` by the DuckDB version and the store
  format as well.
- ``pandas``: ``tests/reference_metrics.py`` on a DataFrame loaded once (from
  a Parquet copy of the tickets, so that no DuckDB memory is counted against
  it); its per-selection cohort memo is reset before every page run.

Peak memory is each process's ``VmHWM`` (peak resident set: interpreter,
libraries, data and, for DuckDB, its buffer pool and operators, which live in
the same process). Durations are in calendar hours, display time zone
Europe/Paris.

Targets (issue 4, and the DuckLake issue): on the DuckLake store each page
within 1.25x of the native file, on both ranges; at least 3x faster than
pandas on the full range and 10x on 90 days; peak memory at most a quarter
of pandas'.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

TZ = "Europe/Paris"
PATHS = ("release", "native", "ducklake", "pandas")
PAGES = ("overview", "response times", "backlog")
RANGES = ("all time", "last 90 days")
TARGETS = {"all time": 3.0, "last 90 days": 10.0}
MEMORY_TARGET = 0.25
LAKE_TARGET = 1.25


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


def open_native(native: Path):
    """Open the native baseline file as the pages queried the store before DuckLake; return it.

    The file is attached read-only as ``lake`` (``store.cursor`` runs ``use
    lake``), with the time zone and allocator options ``store.connect`` sets.
    ``replica.use`` and ``replica.sync`` are replaced in this process, and
    only in the baseline's worker, by what stood at their place then: no
    switch of catalog, and a one-row read of the data version.
    """
    import duckdb

    from analytics import lake, replica

    con = duckdb.connect()
    con.execute(f"attach '{common.quoted(native)}' as lake (read_only)")
    lake.use(con)
    con.execute("set TimeZone = 'UTC'")
    con.execute("set allocator_bulk_deallocation_flush_threshold = '6MiB'")
    replica.use = lambda cur: None
    replica.sync = lambda con: con.execute("select data_version from store_meta").fetchone()[0]
    return con


def first_open(path_name: str, files: dict[str, Path]) -> tuple:
    """Open one path's store and read the source's span; return ``(con, span, timings)``.

    For DuckLake this includes the first sync, the copy of the tickets into the
    process's replica; its size on disk is among the timings.
    """
    import time

    from analytics import metrics, store

    began = time.perf_counter()
    if path_name in ("native", "release"):
        if path_name == "native":
            con = open_native(files["native"])
        else:
            con = store.connect(files["release"], read_only=True)
        opened = time.perf_counter()
        synced = opened
    else:
        from analytics import replica  # not in the release

        # opened as the app opens it, with the same settings
        con = store.connect(files["lake"], read_only=True)
        opened = time.perf_counter()
        replica.sync(con)
        synced = time.perf_counter()
    span = metrics.current_span(con, common.SIM_SOURCE)
    done = time.perf_counter()
    timings = {
        "open_s": opened - began,
        "sync_s": synced - opened,
        "span_s": done - synced,
        "first_open_s": done - began,
        "first_open_peak_mb": common.peak_rss_mb(),
    }
    if path_name == "ducklake":
        (copy,) = con.execute(
            "select path from duckdb_databases() where database_name = $name",
            {"name": replica.NAME},
        ).fetchone()
        timings["replica_mb"] = common.disk_mb(Path(copy), Path(copy + ".wal"))
    return con, span, timings


def worker(path_name: str, files: dict[str, Path], runs: int) -> dict:
    """Time every page and range on one path; return seconds, first open and peak MB."""
    from analytics import metrics
    from analytics.settings import load_settings

    settings = load_settings()
    timings: dict = {}
    con = None
    if path_name == "pandas":
        import pandas as pd

        sys.path.insert(0, str(common.ROOT / "tests"))
        frame = pd.read_parquet(files["parquet"])
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
    else:
        con, span, timings = first_open(path_name, files)
        pages = duckdb_pages(con, settings)
    selections = _selections(span, common.SIM_SOURCE)
    seconds = {
        page: {
            name: common.median_seconds(lambda run=run, s=s: run(s), runs)
            for name, s in selections.items()
        }
        for page, run in pages.items()
    }
    peak = common.peak_rss_mb()
    if con is not None:  # after the timings, so that it changes none of them
        (timings["tickets"],) = con.execute(
            "select count(*) from tickets where source = $source", {"source": common.SIM_SOURCE}
        ).fetchone()
    if path_name == "ducklake":
        from analytics import replica

        # what every page pays before its queries when the snapshot has not moved
        timings["sync_unchanged_s"] = common.median_seconds(lambda: replica.sync(con), 50)
    return {"seconds": seconds, "peak_mb": peak, **timings}


def _run_worker(path_name: str, files: dict[str, Path], runs: int, tree: Path) -> dict:
    """Run one path's worker in a fresh process; return its seconds and peak MB."""
    command = [sys.executable, __file__, "--worker", path_name, "--store", str(files["lake"])]
    command += ["--runs", str(runs)]
    env = None
    if path_name == "release":
        command += ["--tree", str(tree)]
        env = common.release_env(tree)
    out = subprocess.run(command, capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(f"the {path_name} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _spread(values: list[float], unit: str = "x", digits: int = 2) -> str:
    return f"{min(values):,.{digits}f}-{max(values):,.{digits}f}{unit}"


def page_rows(rounds: list[dict]) -> tuple[list[tuple], list[str]]:
    """Return the table's rows (one per page and range) and the targets missed."""
    rows, missed = [], []
    for page in PAGES:
        for name in RANGES:

            def s(r, path, page=page, name=name):
                return r[path]["seconds"][page][name]

            release, native, lake, slow = (
                statistics.median(s(r, path) for r in rounds) for path in PATHS
            )
            lake_ratios = [s(r, "ducklake") / s(r, "native") for r in rounds]
            release_ratios = [s(r, "ducklake") / s(r, "release") for r in rounds]
            speedups = [s(r, "pandas") / s(r, "ducklake") for r in rounds]
            lake_ratio, speedup = statistics.median(lake_ratios), statistics.median(speedups)
            lake_ok, pandas_ok = lake_ratio <= LAKE_TARGET, speedup >= TARGETS[name]
            if not lake_ok:
                missed.append(f"{page} / {name}: ducklake/native {lake_ratio:.2f}x")
            if not pandas_ok:
                missed.append(f"{page} / {name}: pandas/ducklake {speedup:.1f}x")
            rows.append(
                (
                    page,
                    name,
                    f"{release:.3f}",
                    f"{native:.3f}",
                    f"{lake:.3f}",
                    f"{lake_ratio:.2f}x ({_spread(lake_ratios)})",
                    "yes" if lake_ok else "NO",
                    f"{statistics.median(release_ratios):.2f}x ({_spread(release_ratios)})",
                    f"{slow:.3f}",
                    f"{speedup:.1f}x ({_spread(speedups, digits=1)})",
                    f">= {TARGETS[name]:.0f}x",
                    "yes" if pandas_ok else "NO",
                )
            )
    return rows, missed


def memory_lines(rounds: list[dict]) -> tuple[list[str], list[str]]:
    """Return the lines on first open and peak memory, and the targets missed."""
    lines, missed = [], []
    for path in ("release", "native", "ducklake"):
        opens = [r[path]["first_open_s"] for r in rounds]
        line = (
            f"first open, {path}: {statistics.median(opens):.2f} s ({_spread(opens, ' s')}; "
            f"connect {statistics.median(r[path]['open_s'] for r in rounds):.3f} s, "
            f"first sync {statistics.median(r[path]['sync_s'] for r in rounds):.2f} s, "
            f"span {statistics.median(r[path]['span_s'] for r in rounds):.3f} s), "
            f"peak after it {max(r[path]['first_open_peak_mb'] for r in rounds):,.0f} MB"
        )
        if path == "ducklake":
            unchanged = statistics.median(r[path]["sync_unchanged_s"] for r in rounds)
            line += (
                f"; the replica on disk {max(r[path]['replica_mb'] for r in rounds):,.0f} MB; "
                f"a later sync, the snapshot unchanged, {unchanged * 1000:.1f} ms "
                "(once per page)"
            )
        lines.append(line)
    pandas_mb = max(r["pandas"]["peak_mb"] for r in rounds)
    lines.append(
        "peak memory (VmHWM, the largest of the rounds, first open included), "
        f"against pandas' {pandas_mb:,.0f} MB:"
    )
    for path in ("release", "native", "ducklake"):
        peak = max(r[path]["peak_mb"] for r in rounds)
        share = peak / pandas_mb
        met = share <= MEMORY_TARGET
        lines.append(
            f"  {path}: {peak:,.0f} MB ({_spread([r[path]['peak_mb'] for r in rounds], ' MB', 0)}),"
            f" {share:.2f} (target <= {MEMORY_TARGET:.2f}: {'yes' if met else 'NO'})"
        )
        if path == "ducklake" and not met:
            missed.append(f"memory: ducklake {share:.2f} of pandas")
    return lines, missed


HEADERS = (
    "page",
    "range",
    "release s",
    "native s",
    "ducklake s",
    "lake/native (rounds)",
    "<= 1.25x",
    "lake/release (rounds)",
    "pandas s",
    "pandas/lake (rounds)",
    "target",
    "met",
)


def report(rounds: list[dict], runs: int) -> str:
    """Return the benchmark's report: the table, first open, memory, the targets missed."""
    counts = {path: rounds[0][path]["tickets"] for path in ("release", "native", "ducklake")}
    header = (
        f"{counts['ducklake']:,} tickets, calendar hours, tz {TZ}; {len(rounds)} rounds, each "
        f"the median of {runs} runs per path; ratios are the medians of the rounds' ratios"
    )
    if len(set(counts.values())) > 1:
        header += f"\nthe paths hold different numbers of tickets: {counts}"
    rows, missed = page_rows(rounds)
    lines, memory_missed = memory_lines(rounds)
    missed += memory_missed
    text = [header, "", common.table(HEADERS, rows), "", *lines]
    if missed:
        text.append("targets missed: " + "; ".join(missed))
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="store size (cached)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds alternating the paths (median)"
    )
    parser.add_argument("--worker", choices=PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        if args.worker == "release":
            common.use_release(args.tree)
        print(json.dumps(worker(args.worker, common.store_files(args.store), args.runs)))
        return 0

    files = common.comparison_stores(common.simulated_store(args.tickets))
    scratch = Path(tempfile.mkdtemp(prefix="bench-metrics-", dir=common.OUT))
    try:
        with common.release_tree(scratch) as tree:
            common.build_release_store(files, args.tickets, tree)
            # Rounds alternate the paths, in an order turning each round: this
            # machine's speed drifts by 15% over minutes, and a ratio of runs a
            # minute apart drifts much less.
            rounds = []
            for i in range(args.rounds):
                order = PATHS[i % len(PATHS) :] + PATHS[: i % len(PATHS)]
                rounds.append({path: _run_worker(path, files, args.runs, tree) for path in order})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(report(rounds, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
