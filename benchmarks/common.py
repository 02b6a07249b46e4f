"""Helpers shared by the benchmarks: cached simulated stores, peak memory, tables.

Stores are built once under ``benchmarks/out/`` (gitignored) and reused; the
file name carries the requested size, so ``--tickets`` picks its own cache, and
the version of the code that builds it (see :func:`import_code_version`), so a
change to the import (say, the order it stores rows in) builds a fresh store
instead of serving one the current code would not write. Old versions are
left in place; delete ``benchmarks/out/store_*`` to reclaim the space.
"""

from __future__ import annotations

import hashlib
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
# The code whose changes change what a simulated store holds or how it is laid out.
IMPORT_CODE = (
    "analytics/ingest/*.py",
    "analytics/canonical.py",
    "analytics/sample/*.py",
    "analytics/sql/import_*.sql",
    "analytics/sql/migrations/*.sql",
)


def import_code_version() -> str:
    """Return a short hash of the import code and the DuckDB version, to key cached stores."""
    import duckdb

    digest = hashlib.sha256(duckdb.__version__.encode())
    for pattern in IMPORT_CODE:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def simulated_store(tickets: int, *, years: float = 3.0, seed: int = 42) -> Path:
    """Return a DuckDB store holding about ``tickets`` simulated tickets (source ``sample``).

    Built on first use and cached as ``benchmarks/out/store_<tickets>_<version>.duckdb``,
    ``<version>`` being :func:`import_code_version`.
    """
    from analytics import ingest, store
    from analytics.sample import write_sample
    from analytics.settings import load_settings

    path = OUT / f"store_{tickets}_{import_code_version()}.duckdb"
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
        report = ingest.import_file(
            con, files.tickets_csv, source=SIM_SOURCE, settings=load_settings()
        )
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
    """Return this process's peak resident memory in MB.

    Linux's ``ru_maxrss`` survives ``exec``: a worker started by a parent that
    had loaded a million rows would report the parent's peak. The high-water
    mark of the process's own memory map (``VmHWM``) starts afresh at exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


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
