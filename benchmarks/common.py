"""Helpers shared by the benchmarks: cached simulated stores, peak memory, tables.

Stores are built once under ``benchmarks/out/`` (gitignored) and reused; the
file name carries the requested size, so ``--tickets`` picks its own cache.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Tickets the simulator writes per year at scale 1 over a three-year run (measured).
TICKETS_PER_SCALE_YEAR = 118_000
SIM_START = date(2023, 1, 2)
SIM_SOURCE = "sample"


def simulated_store(tickets: int, *, years: float = 3.0, seed: int = 42) -> Path:
    """Return a DuckDB store holding about ``tickets`` simulated tickets (source ``sample``).

    Built on first use and cached as ``benchmarks/out/store_<tickets>.duckdb``.
    """
    from analytics import importer, store
    from analytics.simulate import write_sample

    path = OUT / f"store_{tickets}.duckdb"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    scale = tickets / (TICKETS_PER_SCALE_YEAR * years)
    began = time.perf_counter()
    files = write_sample(
        OUT / f"sample_{tickets}", start=SIM_START, years=years, scale=scale, seed=seed
    )
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    con = store.connect(building)
    try:
        report = importer.import_file(con, files.tickets_csv, source=SIM_SOURCE)
        con.execute("checkpoint")
    finally:
        con.close()
    # Renamed only once complete, so an interrupted build is never reused.
    building.rename(path)
    shutil.rmtree(files.tickets_csv.parent)
    print(
        f"built {path.name}: {report.tickets:,} tickets at scale {scale:.3f} "
        f"in {time.perf_counter() - began:.0f} s",
        file=sys.stderr,
    )
    return path


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_seconds(work: Callable[[], object], runs: int) -> float:
    """Return the median wall time of ``runs`` calls of ``work``."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Return rows as a plain-text table with right-aligned columns."""
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [" | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
