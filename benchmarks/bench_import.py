"""Import benchmark: the project's import against a bare DuckDB load and pandas.

Generates (once, cached under ``benchmarks/out/``) a Zendesk ticket export of
``--tickets`` rows with the built-in simulator, then times three ways of
reading it, each run in a fresh subprocess so that peak memory
(``ru_maxrss``) belongs to one path only:

- ``import``: :func:`analytics.ingest.import_file` into a fresh store
  (detection, date reading, validation, flags, upsert, one transaction);
- ``duckdb``: ``create table t as select * from read_csv(...)`` into a fresh
  DuckDB file;
- ``pandas``: ``pandas.read_csv`` of the file.

The file is read once before timing so that every run reads it from the page
cache, not from disk. Runs are interleaved (import, duckdb, pandas, import...)
so that a noisy neighbour slows every path alike. Targets (issue 2): the
import within 1.5x the bare DuckDB load, its peak memory below pandas'.

Usage::

    .venv/bin/python benchmarks/bench_import.py               # 1,000,000 tickets, 3 runs
    .venv/bin/python benchmarks/bench_import.py --tickets 20000 --runs 1
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "benchmarks" / "out"
PATHS = ("import", "duckdb", "pandas")
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


def run_child(kind: str, csv_path: Path, db_path: Path) -> dict:
    """Run one path once in this process; return seconds, rows and peak memory."""
    stages: list[tuple[float, str]] = []
    if kind == "import":
        sys.path.insert(0, str(ROOT))
        from analytics import ingest, store
        from analytics.settings import load_settings

        start = time.perf_counter()

        def progress(fraction: float, message: str) -> None:
            stages.append((time.perf_counter() - start, message))

        con = store.connect(db_path)
        report = ingest.import_file(
            con, csv_path, source="bench", progress=progress, settings=load_settings()
        )
        con.close()
        rows = report.tickets
    elif kind == "duckdb":
        import duckdb

        start = time.perf_counter()
        con = duckdb.connect(str(db_path))
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
        "stages": stages,
    }


def measure(kind: str, csv_path: Path, workdir: Path) -> dict:
    """Run one path in a fresh interpreter with a fresh database file."""
    db_path = workdir / f"{kind}.duckdb"
    for stale in (db_path, db_path.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(csv_path), str(db_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the report -----------------------------------------------------------------------------


def summarise(results: dict[str, list[dict]]) -> dict[str, dict]:
    """Return median and min seconds, rows/s and median peak memory for each path."""
    summary = {}
    for kind, runs in results.items():
        seconds = [r["seconds"] for r in runs]
        median = statistics.median(seconds)
        summary[kind] = {
            "median_s": median,
            "min_s": min(seconds),
            "rows": runs[0]["rows"],
            "rows_per_s": runs[0]["rows"] / median,
            "cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        }
    return summary


def format_table(summary: dict[str, dict], runs: int) -> str:
    """Return the benchmark as a Markdown table plus the two target ratios."""
    labels = {
        "import": "project import (`import_file`)",
        "duckdb": "bare DuckDB `create table as read_csv`",
        "pandas": "pandas `read_csv`",
    }
    lines = [
        f"| path ({runs} runs) | median s | min s | rows/s | CPU s | peak MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in PATHS:
        s = summary[kind]
        lines.append(
            f"| {labels[kind]} | {s['median_s']:.2f} | {s['min_s']:.2f} "
            f"| {s['rows_per_s']:,.0f} | {s['cpu_s']:.1f} | {s['peak_mb']:,.0f} |"
        )
    time_ratio = summary["import"]["median_s"] / summary["duckdb"]["median_s"]
    best_ratio = summary["import"]["min_s"] / summary["duckdb"]["min_s"]
    cpu_ratio = summary["import"]["cpu_s"] / summary["duckdb"]["cpu_s"]
    memory_ratio = summary["import"]["peak_mb"] / summary["pandas"]["peak_mb"]
    lines += [
        "",
        f"import / bare DuckDB time: {time_ratio:.2f}x median, {best_ratio:.2f}x best, "
        f"{cpu_ratio:.2f}x CPU (target <= 1.5x: {'met' if time_ratio <= 1.5 else 'missed'})",
        f"import / pandas peak memory: {memory_ratio:.2f}x (target < 1: "
        f"{'met' if memory_ratio < 1 else 'missed'})",
    ]
    return "\n".join(lines)


def format_stages(stages: list[list]) -> str:
    """Return the importer's stages with the seconds each took (from its progress calls)."""
    lines = ["importer stages (one run):"]
    previous_t, previous_label = 0.0, "opening the store"
    for t, label in stages:
        lines.append(f"  {t - previous_t:7.2f} s  {previous_label}")
        previous_t, previous_label = t, label
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "CSV", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, csv_path, db_path = args.child
        print(json.dumps(run_child(kind, Path(csv_path), Path(db_path))))
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
    results: dict[str, list[dict]] = {kind: [] for kind in PATHS}
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-", dir=OUT_DIR))
    try:
        for run in range(args.runs):
            for kind in PATHS:
                result = measure(kind, csv_path, workdir)
                results[kind].append(result)
                print(
                    f"  run {run + 1} {kind:<7} {result['seconds']:6.2f} s "
                    f"{result['cpu_s']:6.1f} CPU s {result['peak_mb']:7,.0f} MB",
                    file=sys.stderr,
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    summary = summarise(results)
    print(format_table(summary, args.runs))
    median_run = sorted(results["import"], key=lambda r: r["seconds"])[len(results["import"]) // 2]
    print(format_stages(median_run["stages"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
