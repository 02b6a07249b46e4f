"""Scale benchmark: ten million tickets imported as one file, then every page on that store.

Usage::

    .venv/bin/python benchmarks/bench_scale.py             # ~10,000,000 tickets against 1,000,000
    .venv/bin/python benchmarks/bench_scale.py --small     # ~100,000 against 10,000: a quick check
    .venv/bin/python benchmarks/bench_scale.py --scale 14  # another size, against a tenth of it

Steps, each cached under ``benchmarks/out/`` and reused by the next run:

1. **Export.** The simulator's Zendesk export at ``--scale`` (three years;
   28.25 gives about ten million tickets, 3.9 GB), written by ``python -m
   analytics sample`` in a child process: its time and peak memory are
   reported. Cached in ``scale_export_<scale>_<simulator version>/``.
2. **Import.** The export imported as one file by ``python -m analytics
   import`` into a fresh DuckLake store (SQLite catalog, Parquet files), in a
   child process: wall time, rows per second, the child's peak resident
   memory (``wait4``), and the store's size on disk (catalog and data files)
   against the CSV's. Cached in ``scale_store_<scale>_<import code version>/``
   with its figures; ``--reimport`` measures it again.
3. **Layout.** The store's Parquet files and row groups: how many a filter
   on the last 90 days of ``created_at`` has to read (row groups whose
   ``created_at`` range reaches into those days), from the files' own
   statistics.
4. **Pages.** Each page's library calls (``page_calls.py``: its ``ui.cached``
   and ``ui.metric`` calls with the default widgets), on this store and on a
   baseline of a tenth of the tickets (``common.simulated_store``, 1,000,000
   tickets by default, as in ``bench_metrics.py``). A worker process per
   store and round opens the store as the app does (connect, first sync of
   the local replica, the sidebar's facts: the "first open", paid once per
   app process), then visits the pages in an order turning each round: a
   page's first call is its "first" visit, the median of ``--runs`` more its
   "warm" one, and each call's share is kept to name what a slow page waits
   on. Overview, response times and backlog are timed on the last 90 days
   and on all time; the other pages ignore the sidebar's period.

Targets: the 90-day ratio of the big store to the baseline at most 2x (date
filters skip what they do not need), each page's first visit at most 3 s and
warm visit at most 0.5 s. Durations in calendar hours, days in Europe/Paris.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import common
from page_calls import PAGES, RANGED, SPENT, page_calls

TZ = "Europe/Paris"
DEFAULT_SCALE = 28.25
SMALL_SCALE = 0.2825
# Tickets the simulator writes per unit of scale over three years (measured).
TICKETS_PER_SCALE = common.TICKETS_PER_SCALE_YEAR * 3
RATIO_TARGET = 2.0
FIRST_TARGET_S = 3.0
WARM_TARGET_S = 0.5
RANGES = ("last 90 days", "all time")
SIMULATOR_CODE = "analytics/sample/*.py"
FILES_SQL = "select data_file from ducklake_list_files('lake', 'tickets')"
ROW_GROUPS_SQL = """
select
    file_name,
    row_group_num_rows,
    stats_min::timestamptz as first_created,
    stats_max::timestamptz as last_created
from parquet_metadata($files)
where path_in_schema = 'created_at'
"""
# The rows of the last 90 days, read from the store's files or from the replica.
RECENT_SQL = "select count(*) from tickets where source = $source and created_at >= $start"


def simulator_version() -> str:
    """Return a short hash of the simulator's code, to key cached exports."""
    digest = hashlib.sha256()
    for path in sorted(common.ROOT.glob(SIMULATOR_CODE)):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def run_child(command: list[str]) -> tuple[float, float, str]:
    """Run ``command``; return its wall seconds, its own peak resident MB and its stdout.

    ``wait4`` gives the child's own resource usage, whatever ran before it.
    """
    began = time.perf_counter()
    child = subprocess.Popen(command, cwd=common.ROOT, stdout=subprocess.PIPE, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(command[:4])} ... failed with status {child.returncode}")
    return seconds, usage.ru_maxrss / 1024, out


def cached_export(scale: float) -> tuple[Path, dict]:
    """Return the simulator's export at ``scale`` and how its writing went, simulating it once."""
    folder = common.OUT / f"scale_export_{scale:g}_{simulator_version()}"
    facts = folder / "generated.json"
    if facts.exists():
        return folder / "tickets.csv", json.loads(facts.read_text())
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    print(f"simulating the export at scale {scale:g} ...", file=sys.stderr)
    command = [sys.executable, "-m", "analytics", "sample", "--out", str(building)]
    seconds, peak_mb, _ = run_child(command + ["--scale", str(scale)])
    data = {"scale": scale, "seconds": seconds, "peak_mb": peak_mb}
    data["csv_mb"] = common.disk_mb(building / "tickets.csv")
    (building / "generated.json").write_text(json.dumps(data))
    building.rename(folder)  # only once complete: an interrupted run is never reused
    return folder / "tickets.csv", data


def imported_store(csv: Path, scale: float, *, reimport: bool) -> tuple[Path, dict]:
    """Return a store holding ``csv`` imported by the command line, and how the import went."""
    folder = common.OUT / f"scale_store_{scale:g}_{common.import_code_version()}"
    facts = folder / "import.json"
    if facts.exists() and not reimport:
        return folder / "store.sqlite", json.loads(facts.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    db = building / "store.sqlite"
    print(f"importing {csv.name} ({common.disk_mb(csv):,.0f} MB) ...", file=sys.stderr)
    command = [sys.executable, "-m", "analytics", "import", str(csv), "--db", str(db)]
    seconds, peak_mb, out = run_child(command + ["--source", common.SIM_SOURCE, "--json"])
    report = json.loads(out)
    data = {
        "seconds": seconds,
        "peak_mb": peak_mb,
        "rows_read": report["rows_read"],
        "tickets": report["tickets"],
        "rejected": report["rows_rejected"],
        "csv_mb": common.disk_mb(csv),
        "catalog_mb": common.disk_mb(db, db.with_name(db.name + "-wal")),
        "files_mb": common.disk_mb(building / "store.sqlite.files"),
    }
    (building / "import.json").write_text(json.dumps(data))
    building.rename(folder)
    return folder / "store.sqlite", data


def layout(db: Path) -> dict:
    """Return the tickets' Parquet files and row groups, and how many a 90-day filter reads."""
    from analytics import metrics, store

    with store.connect(db, read_only=True) as con:
        files = [r[0] for r in con.execute(FILES_SQL).fetchall()]
        groups = con.execute(ROW_GROUPS_SQL, {"files": files}).fetchall()
        span = metrics.source_span(con, common.SIM_SOURCE)
        start = span.as_of - timedelta(days=90)
        (recent,) = con.execute(
            RECENT_SQL, {"source": common.SIM_SOURCE, "start": start}
        ).fetchone()
    reached = [g for g in groups if g[3] >= start]
    return {
        "tickets_90d": recent,
        "files": len(files),
        "row_groups": len(groups),
        "rows_per_group": statistics.median(g[1] for g in groups),
        "groups_90d": len(reached),
        "rows_90d_read": sum(g[1] for g in reached),
    }


def first_open(db: Path) -> tuple:
    """Open the store as the app's first visitor does; return ``(con, span, timings)``."""
    from analytics import metrics, replica, store

    began = time.perf_counter()
    con = store.connect(db, read_only=True)
    opened = time.perf_counter()
    replica.sync(con)
    synced = time.perf_counter()
    # the sidebar's facts: the sources, the source's span and its filter values
    store.list_sources(con)
    span = metrics.source_span(con, common.SIM_SOURCE)
    metrics.filter_values(con, common.SIM_SOURCE)
    done = time.perf_counter()
    (copy,) = con.execute(
        "select path from duckdb_databases() where database_name = $name", {"name": replica.NAME}
    ).fetchone()
    return (
        con,
        span,
        {
            "connect_s": opened - began,
            "sync_s": synced - opened,
            "sidebar_s": done - synced,
            "open_s": done - began,
            "open_peak_mb": common.peak_rss_mb(),
            "replica_mb": common.disk_mb(Path(copy), Path(copy + ".wal")),
        },
    )


def scans(con, start) -> dict:
    """Return the seconds of a count of the last 90 days, on the store's files and on the replica."""
    from analytics import replica, store

    out = {}
    for where in ("lake", "replica"):
        with store.cursor(con) as cur:
            if where == "replica":
                replica.use(cur)
            params = {"source": common.SIM_SOURCE, "start": start}
            out[where] = common.median_seconds(lambda c=cur, p=params: c.execute(RECENT_SQL, p), 3)
    return out


def visit(db: Path, runs: int, order: int) -> dict:
    """Open the store, then time each page's first and warm visits; return the figures."""
    from analytics import metrics
    from analytics.settings import load_settings

    settings = load_settings()
    con, span, opening = first_open(db)
    last = span.as_of.astimezone(ZoneInfo(TZ)).date()
    first = span.first_created_at.astimezone(ZoneInfo(TZ)).date()
    selections = {
        "last 90 days": metrics.Selection(
            common.SIM_SOURCE, *metrics.period(last - timedelta(days=89), last, TZ), tz=TZ
        ),
        "all time": metrics.Selection(common.SIM_SOURCE, *metrics.period(first, last, TZ), tz=TZ),
    }
    calls = page_calls()
    names = PAGES[order % len(PAGES) :] + PAGES[: order % len(PAGES)]
    seconds: dict = {}
    for page in names:
        for name in RANGES if page in RANGED else ("all time",):
            run = calls[page]
            SPENT.clear()
            began = time.perf_counter()
            run(con, selections[name], settings)
            figures = {"first": time.perf_counter() - began, "first_calls": dict(SPENT)}
            SPENT.clear()
            figures["warm"] = common.median_seconds(
                lambda r=run, s=selections[name]: r(con, s, settings), runs
            )
            figures["warm_calls"] = {k: v / runs for k, v in SPENT.items()}
            seconds.setdefault(page, {})[name] = figures
    (tickets,) = con.execute(
        "select count(*) from tickets where source = $s", {"s": common.SIM_SOURCE}
    ).fetchone()
    return {
        **opening,
        "pages": seconds,
        "scans": scans(con, selections["last 90 days"].start),
        "peak_mb": common.peak_rss_mb(),
        "tickets": tickets,
    }


def _median(rounds: list[dict], store: str, *keys: str) -> float:
    values = []
    for one in rounds:
        value = one[store]
        for key in keys:
            value = value[key]
        values.append(value)
    return statistics.median(values)


def page_rows(rounds: list[dict]) -> tuple[list[tuple], list[str]]:
    """Return the table's rows (page, range: first and warm on both stores) and targets missed."""
    rows, missed = [], []
    for page in PAGES:
        for name in RANGES if page in RANGED else ("all time",):
            keys = ("pages", page, name)
            base_first, big_first = (_median(rounds, s, *keys, "first") for s in ("base", "big"))
            base_warm, big_warm = (_median(rounds, s, *keys, "warm") for s in ("base", "big"))
            ratio = big_warm / base_warm
            label = name if page in RANGED else "(period ignored)"
            first_ok, warm_ok = big_first <= FIRST_TARGET_S, big_warm <= WARM_TARGET_S
            ratio_ok = name != "last 90 days" or ratio <= RATIO_TARGET
            for ok, what in ((first_ok, f"first {big_first:.2f} s"),
                             (warm_ok, f"warm {big_warm:.2f} s"), (ratio_ok, f"{ratio:.1f}x")):  # fmt: skip
                if not ok:
                    missed.append(f"{page} / {label}: {what}")
            rows.append((page, label, f"{base_first:.2f}", f"{big_first:.2f}",
                         f"{base_warm:.3f}", f"{big_warm:.3f}", f"{ratio:.2f}x",
                         "yes" if first_ok else "NO", "yes" if warm_ok else "NO"))  # fmt: skip
    return rows, missed


def facts_lines(generated: dict, imported: dict, layouts: dict, rounds: list[dict]) -> list[str]:
    """Return the lines on the export, the import, the store's layout and the first open."""
    store_mb = imported["catalog_mb"] + imported["files_mb"]
    lines = [
        f"export: {imported['rows_read']:,} rows, {generated['csv_mb']:,.0f} MB of CSV, simulated "
        f"and written in {generated['seconds']:.0f} s (peak {generated['peak_mb']:,.0f} MB)",
        f"import (python -m analytics import, one file): {imported['seconds']:.1f} s, "
        f"{imported['rows_read'] / imported['seconds']:,.0f} rows/s, peak resident "
        f"{imported['peak_mb']:,.0f} MB; {imported['tickets']:,} tickets, "
        f"{imported['rejected']:,} rejected",
        f"store on disk: {store_mb:,.0f} MB (catalog {imported['catalog_mb']:.1f} MB, Parquet "
        f"{imported['files_mb']:,.0f} MB), {store_mb / imported['csv_mb']:.1%} of the CSV",
    ]
    for name, shape in layouts.items():
        lines.append(
            f"layout, {name}: {shape['files']} Parquet file(s), {shape['row_groups']} row groups "
            f"of {shape['rows_per_group']:,.0f} rows; the last 90 days "
            f"({shape['tickets_90d']:,} tickets) reach {shape['groups_90d']} of them "
            f"({shape['rows_90d_read']:,} rows to read)"
        )
    for name in ("base", "big"):
        lines.append(open_line(rounds, name))
    for where in ("lake", "replica"):
        base, big = (_median(rounds, s, "scans", where) for s in ("base", "big"))
        lines.append(
            f"count of the last 90 days on the {where}: base {base * 1000:.1f} ms, "
            f"big {big * 1000:.1f} ms, {big / base:.2f}x"
        )
    return lines


def slow_calls(rounds: list[dict]) -> list[str]:
    """Return a line per page over a target on the big store: its three slowest calls there,
    first and warm, against the same calls warm on the base store."""

    def spent(store: str, page: str, name: str, kind: str) -> dict[str, float]:
        found = {f for r in rounds for f in r[store]["pages"][page][name][kind]}
        return {f: _median(rounds, store, "pages", page, name, kind, f) for f in found}

    lines = []
    for page in PAGES:
        for name in RANGES if page in RANGED else ("all time",):
            first = _median(rounds, "big", "pages", page, name, "first")
            warm = _median(rounds, "big", "pages", page, name, "warm")
            if first <= FIRST_TARGET_S and warm <= WARM_TARGET_S:
                continue
            cold, hot = (
                spent("big", page, name, "first_calls"),
                spent("big", page, name, "warm_calls"),
            )
            base = spent("base", page, name, "warm_calls")
            top = sorted(hot, key=hot.get, reverse=True)[:3]
            lines.append(
                f"  {page} / {name if page in RANGED else 'any period'}: "
                + "; ".join(
                    f"{f} {cold.get(f, 0):.2f} s first, {hot[f]:.2f} s warm "
                    f"(base {base.get(f, 0):.2f} s)"
                    for f in top
                )
            )
    return ["slowest calls of the pages over a target (big store):", *lines] if lines else []


def open_line(rounds: list[dict], name: str) -> str:
    """Return the line on one store's first open and its worker's peak memory."""

    def m(key: str) -> float:
        return _median(rounds, name, key)

    return (
        f"first open, {name} ({rounds[0][name]['tickets']:,} tickets): {m('open_s'):.2f} s "
        f"(connect {m('connect_s'):.2f}, first replica sync {m('sync_s'):.2f}, sidebar "
        f"{m('sidebar_s'):.2f}); replica {m('replica_mb'):,.0f} MB on disk; peak resident "
        f"{m('open_peak_mb'):,.0f} MB after it, "
        f"{max(r[name]['peak_mb'] for r in rounds):,.0f} MB after every page"
    )


def run_workers(stores: dict[str, Path], rounds: int, runs: int) -> list[dict]:
    """Run one worker per store and round, stores alternating; return each round's results."""
    results = []
    for i in range(rounds):
        names = list(stores) if i % 2 == 0 else list(reversed(stores))
        one = {}
        for name in names:
            command = [sys.executable, __file__, "--worker", str(stores[name])]
            _, _, out = run_child(command + ["--runs", str(runs), "--order", str(i)])
            one[name] = json.loads(out.strip().splitlines()[-1])
        results.append(one)
    return results


HEADERS = ("page", "range", "base first s", "big first s", "base warm s", "big warm s",
           "big/base warm", "first <= 3 s", "warm <= 0.5 s")  # fmt: skip


def report(
    generated: dict, imported: dict, layouts: dict, rounds: list[dict], base: int, load: tuple
) -> str:
    """Return the benchmark's report: the import, the layout, the pages, the targets missed."""
    rows, missed = page_rows(rounds)
    text = [
        f"big: the export imported by the command line; base: common.simulated_store({base:,}); "
        f"{len(rounds)} round(s), medians; tz {TZ}; load average (1 min) {load[0]:.1f} "
        f"before the pages, {load[1]:.1f} after, on {os.cpu_count()} cores",
        *facts_lines(generated, imported, layouts, rounds),
        "",
        common.table(HEADERS, rows),
        *slow_calls(rounds),
    ]
    if missed:
        text.append("targets missed: " + "; ".join(missed))
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE, help="simulator scale")
    parser.add_argument("--small", action="store_true", help=f"scale {SMALL_SCALE}: a quick check")
    parser.add_argument("--runs", type=int, default=5, help="warm calls per page (median)")
    parser.add_argument("--rounds", type=int, default=2, help="worker rounds per store")
    parser.add_argument("--reimport", action="store_true", help="import the export again")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--order", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(visit(args.worker, args.runs, args.order)))
        return 0
    scale = SMALL_SCALE if args.small else args.scale
    csv, generated = cached_export(scale)
    big, imported = imported_store(csv, scale, reimport=args.reimport)
    base_tickets = int(round(scale * TICKETS_PER_SCALE / 10, -3))
    base = common.simulated_store(base_tickets)
    layouts = {"big": layout(big), "base": layout(base)}
    before = os.getloadavg()[0]
    rounds = run_workers({"base": base, "big": big}, args.rounds, args.runs)
    load = (before, os.getloadavg()[0])
    print(report(generated, imported, layouts, rounds, base_tickets, load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
