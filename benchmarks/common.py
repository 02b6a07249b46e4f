"""Helpers shared by the benchmarks: cached simulated stores and the stores they are
compared with (a native copy, the release's own), the release's worktree, peak memory, tables.

Stores are built once under ``benchmarks/out/`` (gitignored) and reused; the
folder name carries the requested size, so ``--tickets`` picks its own cache, and
the version of the code that builds it (see :func:`import_code_version`), so a
change to the import (say, the order it stores rows in) or to the store's
format builds a fresh store instead of serving one the current code would not
write. Old versions are left in place; delete ``benchmarks/out/store_*`` and
``benchmarks/out/lake_*`` to reclaim the space.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
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
# The release before the store moved to DuckLake ("today's" native store and
# import), and the DuckDB it runs on, installed apart from the app's.
RELEASE_COMMIT = "71ee6d6"
RELEASE_DUCKDB = "2.0.1"
LEGACY_DUCKDB = ROOT / ".venv" / "legacy-duckdb"
# What a cached store is: a DuckLake store (SQLite catalog plus Parquet files).
# Part of the cache key, so that no store of the native DuckDB format is reused.
STORE_FORMAT = "ducklake-sqlite"
# The code whose changes change what a simulated store holds or how it is laid out.
IMPORT_CODE = (
    "analytics/db.py",
    "analytics/lake.py",
    "analytics/store.py",
    "analytics/ingest/*.py",
    "analytics/canonical.py",
    "analytics/sample/*.py",
    "analytics/sql/import_*.sql",
    "analytics/sql/replica_tickets.sql",
    "analytics/sql/migrations/*.sql",
)


def import_code_version() -> str:
    """Return a short hash of the store format, the import code and the DuckDB version,
    to key cached stores."""
    import duckdb

    digest = hashlib.sha256(f"{STORE_FORMAT} {duckdb.__version__}".encode())
    for pattern in IMPORT_CODE:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def simulated_store(tickets: int, *, years: float = 3.0, seed: int = 42) -> Path:
    """Return the catalog file of a DuckLake store holding about ``tickets`` simulated tickets.

    The store is the app's embedded one, as an import leaves it: a SQLite
    catalog (``store.sqlite``) and its Parquet files beside it
    (``store.sqlite.files/``), the tickets of source ``sample`` imported by
    :func:`analytics.ingest.import_file` in one transaction. Nothing else is
    run on it (no ``checkpoint``: on DuckLake that is file maintenance the app
    does not do after an import). Built on first use and cached in
    ``benchmarks/out/lake_<tickets>_<version>/``, ``<version>`` being
    :func:`import_code_version`; open it with ``store.connect(path)``.
    """
    from analytics import ingest, store
    from analytics.sample import write_sample
    from analytics.settings import load_settings

    folder = OUT / f"lake_{tickets}_{import_code_version()}"
    path = folder / "store.sqlite"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    scale = tickets / (TICKETS_PER_SCALE_YEAR * years)
    began = time.perf_counter()
    files = write_sample(
        OUT / f"sample_{tickets}", start=SIM_START, years=years, scale=scale, seed=seed
    )
    building = folder.with_name(folder.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    con = store.connect(building / path.name)
    try:
        report = ingest.import_file(
            con, files.tickets_csv, source=SIM_SOURCE, settings=load_settings()
        )
    finally:
        con.close()
    # Renamed only once complete, so an interrupted build is never reused. The
    # catalog names its files relative to the data path, which every open
    # gives anew (``lake.open_lake``), so the store reads them where they are now.
    building.rename(folder)
    shutil.rmtree(files.tickets_csv.parent)
    print(
        f"built {folder.name}: {report.tickets:,} tickets at scale {scale:.3f} "
        f"in {time.perf_counter() - began:.0f} s",
        file=sys.stderr,
    )
    return path


def disk_mb(*paths: Path) -> float:
    """Return the size on disk of ``paths`` (files, or folders counted whole) in MB."""
    total = 0
    for path in paths:
        if path.is_dir():
            total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        elif path.exists():
            total += path.stat().st_size
    return total / 1024**2


@contextlib.contextmanager
def release_tree(parent: Path) -> Iterator[Path]:
    """Yield a temporary ``git worktree`` of the release in ``parent``, removed afterwards."""
    if not (LEGACY_DUCKDB / "duckdb").is_dir():
        raise SystemExit(
            f"DuckDB {RELEASE_DUCKDB} for the release is missing: run "
            f".venv/bin/pip install --quiet --target {LEGACY_DUCKDB} duckdb=={RELEASE_DUCKDB}"
        )
    tree = parent / "release-tree"
    subprocess.run(
        [
            "git",
            "-C",
            str(ROOT),
            "worktree",
            "add",
            "--quiet",
            "--detach",
            str(tree),
            RELEASE_COMMIT,
        ],
        check=True,
    )
    try:
        yield tree
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False
        )


def release_env(tree: Path) -> dict[str, str]:
    """Return the environment of a child running the release: its DuckDB first, then its tree."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(LEGACY_DUCKDB), str(tree)])}


def use_release(tree: str | Path) -> None:
    """In a child started with :func:`release_env`: import ``analytics`` from the release's tree,
    and exit unless the DuckDB imported is the release's."""
    sys.path.insert(0, str(tree))
    import duckdb

    if duckdb.__version__ != RELEASE_DUCKDB:
        raise SystemExit(f"the release runs on DuckDB {RELEASE_DUCKDB}, not {duckdb.__version__}")


def store_files(lake_store: Path) -> dict[str, Path]:
    """Return each path's input: the store's catalog, the native file, the Parquet copy,
    the release's store."""
    return {
        "lake": lake_store,
        "native": lake_store.with_name("native.duckdb"),
        "parquet": lake_store.with_name("tickets.parquet"),
        "release": lake_store.with_name(f"release_{RELEASE_COMMIT}.duckdb"),
    }


def quoted(path: Path) -> str:
    """Return ``path`` as the inside of a SQL string literal."""
    return str(path).replace("'", "''")


def comparison_stores(lake_store: Path) -> dict[str, Path]:
    """Return :func:`store_files`, building the native file and the Parquet copy once.

    ``native.duckdb`` and ``tickets.parquet`` sit beside the store's catalog
    and are built from it; each is renamed into place only once complete.
    """
    import duckdb
    import pyarrow.parquet as pq

    from analytics import db, store

    files = store_files(lake_store)
    if not files["native"].exists():
        building = files["native"].with_suffix(".building")
        building.unlink(missing_ok=True)
        with store.connect(lake_store, read_only=True) as con:
            snapshot = db.data_version(con)
            con.execute(f"attach '{quoted(building)}' as native")
            # the tickets as the pages read them: with their ratings joined
            con.execute(
                f"create table native.tickets as {db.load_sql('replica_tickets')}",
                {"sources": None},
            )
            con.execute("create table native.events as from lake.events")
            # what the native store's data_version read (one row)
            con.execute(
                "create table native.store_meta as select $v::bigint as data_version",
                {"v": snapshot},
            )
            con.execute("detach native")
        building.rename(files["native"])
    if not files["parquet"].exists():
        partial = files["parquet"].with_suffix(".part")
        with duckdb.connect(str(files["native"]), read_only=True) as con:
            tickets = con.execute(
                "from tickets where source = $source", {"source": SIM_SOURCE}
            ).to_arrow_table()
            pq.write_table(tickets, partial)
        partial.rename(files["parquet"])
    return files


def build_release_store(files: dict[str, Path], tickets: int, tree: Path) -> None:
    """Build the release's own store of the same simulation once, with the release's code.

    The release's ``benchmarks/common.py`` builds it in the release's tree, as
    it built the store the earlier measurements used (the simulator has not
    changed since, so the tickets are the same); the file is then moved beside
    the DuckLake store.
    """
    if files["release"].exists():
        return
    script = (
        "import sys; sys.path.insert(0, 'benchmarks'); import duckdb; "
        f"assert duckdb.__version__ == {RELEASE_DUCKDB!r}, duckdb.__version__; "
        f"import common; print(common.simulated_store({tickets}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tree,
        env=release_env(tree),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    built = Path(tree, out.stdout.strip().splitlines()[-1])
    partial = files["release"].with_suffix(".part")
    shutil.move(built, partial)
    partial.rename(files["release"])


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
