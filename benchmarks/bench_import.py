"""Import benchmark: the import on both DuckLake catalogs against the release's, a bare load and pandas.

Generates (once, cached under ``benchmarks/out/``) a Zendesk ticket export of
``--tickets`` rows with the built-in simulator, then times five ways of
reading it, each run in a fresh subprocess so that peak memory
(``ru_maxrss``) belongs to one path only:

- ``release``: the baseline, today's import: :func:`analytics.ingest.import_file`
  of the release before DuckLake (commit 71ee6d6, DuckDB 2.0.1) into a fresh
  native DuckDB file. The commit is checked out in a temporary ``git
  worktree``, removed at the end, and the child imports ``analytics`` from
  it with ``.venv/legacy-duckdb`` (DuckDB 2.0.1) first on ``PYTHONPATH``; it
  checks the version it got. The harness around the call is this script's,
  the same for every path.
- ``sqlite``: :func:`analytics.ingest.import_file` into a fresh embedded
  store: a SQLite catalog file and its Parquet files (detection, date
  reading, validation, flags, upsert, one transaction).
- ``postgres``: the same into a fresh shared store: a new database on a
  throwaway PostgreSQL server on 127.0.0.1 (``tests/pg.py``, the tests'
  server, without fsync) and a fresh data folder.
- ``duckdb``: ``create table t as select * from read_csv(...)`` into a fresh
  DuckDB file;
- ``pandas``: ``pandas.read_csv`` of the file.

The file is read once before timing so that every run reads it from the page
cache, not from disk. Each run is one round of the five paths, in an order
turning each round, so that a noisy neighbour slows every path alike; the
ratios to the release are the medians of the rounds' ratios, with their
range. The store's size on disk after each import is reported (the native
file; the catalog plus the Parquet files). Targets: each catalog's import
within 1.25x the release's (the DuckLake issue); the import within 1.5x the
bare DuckDB load, its peak memory below pandas' (issue 2).

Usage::

    .venv/bin/python benchmarks/bench_import.py               # 1,000,000 tickets, 3 runs
    .venv/bin/python benchmarks/bench_import.py --tickets 20000 --runs 1
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import common
from common import RELEASE_COMMIT, RELEASE_DUCKDB

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "benchmarks" / "out"
PATHS = ("release", "sqlite", "postgres", "duckdb", "pandas")
IMPORTS = ("release", "sqlite", "postgres")
RELEASE_TARGET = 1.25
BARE_TARGET = 1.5
# Tickets the simulator writes over three years at scale 1 (measured: 355.5k);
# a little headroom so that one run always yields enough rows to trim.
# 1,000,000 tickets -> scale 2.85 -> 1,013,268 simulated, 395 MB.
TICKETS_PER_SCALE = 355_500
HEADROOM = 1.013
SEED = 7


def export_path(tickets: int) -> Path:
    """Return the cached Zendesk export of ``tickets`` rows, simulating it if missing."""
    path = OUT_DIR / f"zendesk_{tickets}.csv"
    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    from analytics.sample import write_sample

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    scale = max(round(tickets / TICKETS_PER_SCALE * HEADROOM, 2), 0.01)
    with tempfile.TemporaryDirectory(dir=OUT_DIR) as scratch:
        while True:
            print(f"simulating {tickets:,} tickets (scale {scale:.3f}) ...", file=sys.stderr)
            files = write_sample(
                Path(scratch), start=date(2023, 1, 2), years=3.0, scale=scale, seed=SEED
            )
            with files.tickets_csv.open("rb") as fh:
                rows = sum(1 for _ in fh) - 1
            if rows >= tickets:
                break
            scale = round(scale * tickets / rows * HEADROOM, 2) + 0.01
        # The simulator writes no line breaks inside fields, so a line is a record:
        # keeping the first ``tickets`` data lines keeps the oldest tickets.
        partial = path.with_suffix(".part")
        with files.tickets_csv.open("rb") as src, partial.open("wb") as dst:
            dst.writelines(itertools.islice(src, tickets + 1))
        partial.replace(path)
    return path


def warm_page_cache(path: Path) -> None:
    """Read the file once so that the timed runs read it from memory."""
    with path.open("rb") as fh:
        while fh.read(16 * 1024**2):
            pass


# --- one measured run (in a child process) --------------------------------------------------


def run_child(kind: str, csv_path: Path, target: dict) -> dict:
    """Run one path once in this process; return seconds, rows and peak memory.

    ``target`` says where the path writes: ``db`` (a file), or for
    ``postgres`` ``catalog`` and ``data_path``; for ``release``, ``tree`` is
    the release's worktree, whose ``analytics`` is imported.
    """
    stages: list[tuple[float, str]] = []
    if kind in IMPORTS:
        if kind == "release":
            common.use_release(target["tree"])
        from analytics import ingest, store
        from analytics.settings import load_settings

        start = time.perf_counter()

        def progress(fraction: float, message: str) -> None:
            stages.append((time.perf_counter() - start, message))

        if kind == "postgres":
            con = store.connect(None, catalog=target["catalog"], data_path=target["data_path"])
        else:
            con = store.connect(target["db"])
        report = ingest.import_file(
            con, csv_path, source="bench", progress=progress, settings=load_settings()
        )
        con.close()
        rows = report.tickets
    elif kind == "duckdb":
        import duckdb

        start = time.perf_counter()
        con = duckdb.connect(target["db"])
        con.execute("create table t as select * from read_csv(?)", [str(csv_path)])
        rows = con.execute("select count(*) from t").fetchone()[0]
        con.close()
    elif kind == "pandas":
        import pandas as pd

        start = time.perf_counter()
        rows = len(pd.read_csv(csv_path))
    else:
        raise ValueError(kind)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": seconds,
        # CPU time of the whole child (interpreter start and imports included):
        # steadier than wall time when other jobs share the cores.
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rows": rows,
        "peak_mb": usage.ru_maxrss / 1024,  # Linux reports kilobytes
        "duckdb": sys.modules["duckdb"].__version__ if "duckdb" in sys.modules else None,
        "stages": stages,
    }


@contextlib.contextmanager
def postgres_server(workdir: Path) -> Iterator:
    """Yield a throwaway PostgreSQL server (``tests/pg.py``), stopped and removed afterwards."""
    sys.path.insert(0, str(ROOT / "tests"))
    import pg

    server = pg.start_server(workdir)
    try:
        yield server
    finally:
        pg.stop_server(server)


def measure(kind: str, csv_path: Path, workdir: Path, release: Path, server) -> dict:
    """Run one path in a fresh interpreter with a fresh store; return its result and store size."""
    folder = workdir / "stores" / kind
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = None
    target: dict = {"db": str(folder / ("store.sqlite" if kind == "sqlite" else "t.duckdb"))}
    if kind == "release":
        target["tree"] = str(release)
        env = common.release_env(release)
    if kind == "postgres":
        target = {"catalog": server.create_database(), "data_path": str(folder / "files")}
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(csv_path), json.dumps(target)],
            capture_output=True,
            text=True,
            env=env,
            cwd=target.get("tree"),
        )
        if out.returncode:
            raise SystemExit(f"the {kind} run failed:\n{out.stderr[-3000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["store_mb"] = common.disk_mb(folder)
        if kind == "postgres":
            import psycopg

            with psycopg.connect(target["catalog"]) as catalog:
                (size,) = catalog.execute("select pg_database_size(current_database())").fetchone()
            result["store_mb"] += size / 1024**2
    finally:
        if kind == "postgres":
            server.drop_database(target["catalog"])
        shutil.rmtree(folder, ignore_errors=True)
    return result


# --- the report -----------------------------------------------------------------------------


def summarise(results: dict[str, list[dict]]) -> dict[str, dict]:
    """Return median and min seconds, rows/s, ratios to the release and peak memory per path."""
    summary = {}
    release = results["release"]
    for kind, runs in results.items():
        seconds = [r["seconds"] for r in runs]
        median = statistics.median(seconds)
        ratios = [r["seconds"] / base["seconds"] for r, base in zip(runs, release, strict=True)]
        summary[kind] = {
            "median_s": median,
            "min_s": min(seconds),
            "rows": runs[0]["rows"],
            "rows_per_s": runs[0]["rows"] / median,
            "cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "peak_mb": statistics.median(r["peak_mb"] for r in runs),
            "store_mb": statistics.median(r.get("store_mb", 0.0) for r in runs),
            "vs_release": statistics.median(ratios),
            "vs_release_range": (min(ratios), max(ratios)),
        }
    return summary


LABELS = {
    "release": f"release import ({RELEASE_COMMIT}, DuckDB {RELEASE_DUCKDB}, native file)",
    "sqlite": "import, DuckLake on a SQLite catalog",
    "postgres": "import, DuckLake on a PostgreSQL catalog",
    "duckdb": "bare DuckDB `create table as read_csv`",
    "pandas": "pandas `read_csv`",
}


def format_table(summary: dict[str, dict], runs: int) -> str:
    """Return the benchmark as a Markdown table plus the target ratios."""
    lines = [
        f"| path ({runs} runs) | median s | min s | / release (runs) | rows | rows/s | CPU s "
        "| peak MB | store MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in PATHS:
        s = summary[kind]
        low, high = s["vs_release_range"]
        store_mb = f"{s['store_mb']:,.0f}" if kind in IMPORTS or kind == "duckdb" else ""
        lines.append(
            f"| {LABELS[kind]} | {s['median_s']:.2f} | {s['min_s']:.2f} "
            f"| {s['vs_release']:.2f}x ({low:.2f}-{high:.2f}x) | {s['rows']:,} "
            f"| {s['rows_per_s']:,.0f} | {s['cpu_s']:.1f} | {s['peak_mb']:,.0f} | {store_mb} |"
        )
    lines.append("")
    for kind in ("sqlite", "postgres"):
        s, base = summary[kind], summary["release"]
        ratio = s["vs_release"]
        cpu = s["cpu_s"] / base["cpu_s"]
        bare = s["median_s"] / summary["duckdb"]["median_s"]
        memory = s["peak_mb"] / summary["pandas"]["peak_mb"]
        lines.append(
            f"{kind}: / release {ratio:.2f}x median of the rounds, {cpu:.2f}x CPU "
            f"(target <= {RELEASE_TARGET}x: {'met' if ratio <= RELEASE_TARGET else 'missed'}); "
            f"/ bare DuckDB {bare:.2f}x (target <= {BARE_TARGET}x: "
            f"{'met' if bare <= BARE_TARGET else 'missed'}); peak / pandas {memory:.2f}x "
            f"(target < 1: {'met' if memory < 1 else 'missed'})"
        )
    rows = {summary[kind]["rows"] for kind in IMPORTS}
    if len(rows) > 1:
        lines.append(f"the imports stored different numbers of tickets: {sorted(rows)}")
    return "\n".join(lines)


def format_stages(kind: str, run: dict) -> str:
    """Return the importer's stages in ``run`` with the seconds each took (from its progress
    calls; the last one lasts until the import returned and the store was closed)."""
    lines = [f"{kind} import stages (its median run, {run['seconds']:.2f} s):"]
    previous_t, previous_label = 0.0, "opening the store"
    for t, label in [*run["stages"], (run["seconds"], None)]:
        lines.append(f"  {t - previous_t:7.2f} s  {previous_label}")
        previous_t, previous_label = t, label
    return "\n".join(lines)


def run_rounds(csv_path: Path, runs: int) -> dict[str, list[dict]]:
    """Run ``runs`` rounds of every path; return each path's results in round order."""
    results: dict[str, list[dict]] = {kind: [] for kind in PATHS}
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-", dir=OUT_DIR))
    try:
        with common.release_tree(workdir) as release, postgres_server(workdir) as server:
            for run in range(runs):
                order = PATHS[run % len(PATHS) :] + PATHS[: run % len(PATHS)]
                for kind in order:
                    result = measure(kind, csv_path, workdir, release, server)
                    results[kind].append(result)
                    print(
                        f"  run {run + 1} {kind:<8} {result['seconds']:6.2f} s "
                        f"{result['cpu_s']:6.1f} CPU s {result['peak_mb']:7,.0f} MB "
                        f"(DuckDB {result['duckdb']})",
                        file=sys.stderr,
                    )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--child", nargs=3, metavar=("KIND", "CSV", "TARGET"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        kind, csv_path, target = args.child
        print(json.dumps(run_child(kind, Path(csv_path), json.loads(target))))
        return 0

    if args.generate:
        export_path(args.tickets)
        return 0

    # ru_maxrss survives fork and exec: the parent stays small (it simulates in
    # a child too) so that each child's peak is its own.
    subprocess.run(
        [sys.executable, __file__, "--generate", "--tickets", str(args.tickets)], check=True
    )
    csv_path = export_path(args.tickets)
    size_mb = csv_path.stat().st_size / 1024**2
    print(f"{csv_path.relative_to(ROOT)}: {args.tickets:,} tickets, {size_mb:,.0f} MB")
    warm_page_cache(csv_path)
    results = run_rounds(csv_path, args.runs)
    summary = summarise(results)
    print(format_table(summary, args.runs))
    for kind in IMPORTS:
        median_run = sorted(results[kind], key=lambda r: r["seconds"])[len(results[kind]) // 2]
        print(format_stages(kind, median_run))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
