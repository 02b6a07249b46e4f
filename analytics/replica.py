"""A process's local copy of the tickets and events, which the metric queries read.

The store's tickets live in Parquet files behind a catalog: every query there
first asks the catalog which files make the current snapshot, a few
milliseconds each, and a page runs a dozen queries. So each process keeps a
copy in a DuckDB file of its own (in a temporary folder, removed at exit, or
by the next process to attach a copy when it was killed: :func:`sweep`),
attached to the store's connection as ``replica``, and brought up to the
store's latest snapshot before a metric query runs. On a SQLite catalog a
stat of the catalog's files says whether anything committed since the last
sync; otherwise, or when it did, one catalog lookup says whether the snapshot
moved; when it has, only the tickets that changed are copied again (their
whole sources when they are a large share of them).
The copy's tickets carry their satisfaction rating (``csat_score``,
``csat_at``), joined from the store's ``ratings`` once here rather than in
every query.

The copy is a cache keyed on the snapshot id; the store stays the only
record. Writers never touch it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import duckdb

from analytics import db

NAME = "replica"
FOLDER_PREFIX = "backlog-radar-replica-"
# A copy's folder with no database file yet is an orphan after this long.
ORPHAN_SECONDS = 3600
T = TypeVar("T")
_REGISTRY: dict[str, _Replica] = {}
_REGISTRY_LOCK = threading.Lock()
_ATTACH_LOCK = threading.Lock()
# Connection -> its copy, so that a page's sync asks the catalog one question
# (the latest snapshot), not two: looking the copy up in duckdb_databases()
# starts a DuckLake transaction of its own, as long as the lookup itself.
_BY_CONNECTION: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# A catalog file modified more recently than this is not trusted to be still:
# a commit in the same tick of the file system's clock could leave its
# modification time unchanged.
SETTLED_SECONDS = 2.0


# Results remembered per copy (see remembered()); the oldest go first beyond this.
REMEMBERED = 256
# Changed tickets up to this share of their sources' tickets are replaced one by
# one; beyond it the sources are copied anew (replica._copy_changes).
ROWS_SHARE = 0.25


@dataclass
class _Replica:
    path: Path
    catalog_file: Path | None = None
    snapshot: int = -1
    stamp: tuple | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (snapshot, key) -> a result of remembered()
    results: dict = field(default_factory=dict)
    # tickets written by the last refresh
    copied: int = 0


def sync(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the copy up to the store's latest snapshot; return that snapshot's id.

    ``con`` is the store's connection or one of its cursors (not a cursor on
    which ``use replica`` ran).
    """
    replica = _attached(con)
    stamp = catalog_stamp(replica.catalog_file)
    if stamp is not None and stamp == replica.stamp:
        return replica.snapshot
    # On a cursor of its own: the app's sessions share ``con`` across threads,
    # and one DuckDB connection runs one statement at a time.
    with db.cursor(con) as cur:
        latest = db.data_version(cur)
    with replica.lock:
        if latest != replica.snapshot:
            replica.snapshot = _refresh(con, replica)
        # Taken before the lookup: a commit after it changes the files again.
        replica.stamp = stamp
    return replica.snapshot


def remembered(con: duckdb.DuckDBPyConnection, key: tuple, compute: Callable[[], T]) -> T:
    """Return ``compute()``, computed once per store snapshot and ``key``, then kept.

    For a source's facts that every page asks for and only an import
    changes (its span, its filters' values, what its export records): at ten
    million tickets each is a scan of the source. ``key`` names the function
    and its arguments; ``compute`` reads the store at the snapshot the copy
    was just brought to. The result is shared: callers must not change it.
    """
    snapshot = sync(con)
    replica = _attached(con)
    found = replica.results.get((snapshot, key), _MISSING)
    if found is _MISSING:
        found = compute()
        with replica.lock:
            while len(replica.results) >= REMEMBERED:
                replica.results.pop(next(iter(replica.results)))
            replica.results[(snapshot, key)] = found
    return found


_MISSING = object()


def catalog_stamp(catalog_file: Path | None) -> tuple | None:
    """Return what a commit to the SQLite catalog ``catalog_file`` changes; None if unknown.

    A commit writes its pages to the write-ahead log, and a checkpoint copies
    them into the catalog file and empties the log. So while the log is
    empty, an equal stamp (the file's inode, size and modification time)
    means no commit landed in between. None for a PostgreSQL catalog, while
    the log holds pages, and while the file was modified in the last
    ``SETTLED_SECONDS``. (Readers touch the log's time but never its size.)
    """
    if catalog_file is None:
        return None
    try:
        if os.stat(catalog_file.with_name(catalog_file.name + "-wal")).st_size:
            return None
    except FileNotFoundError:
        pass
    try:
        st = os.stat(catalog_file)
    except FileNotFoundError:
        return None
    if time.time() - st.st_mtime < SETTLED_SECONDS:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def use(cur: duckdb.DuckDBPyConnection) -> None:
    """Make the copy ``cur``'s default catalog: its ``tickets`` and ``events`` are the copy's."""
    try:
        cur.execute(f"use {NAME}")
    except duckdb.CatalogException:
        # Attaching is the database's, not the cursor's: only the first asks for it.
        _attached(cur)
        cur.execute(f"use {NAME}")


def _attached(con: duckdb.DuckDBPyConnection) -> _Replica:
    """Return the copy attached to ``con``'s database, attaching a new one if needed."""
    if (known := _BY_CONNECTION.get(con)) is not None:
        return known
    # Sessions that start together all find no copy: one attaches it, the others wait.
    with _ATTACH_LOCK:
        if (known := _BY_CONNECTION.get(con)) is None:
            with db.cursor(con) as cur:
                known = _BY_CONNECTION[con] = _attach(cur)
    return known


def _attach(con: duckdb.DuckDBPyConnection) -> _Replica:
    row = con.execute(
        "select path from duckdb_databases() where database_name = $name", {"name": NAME}
    ).fetchone()
    with _REGISTRY_LOCK:
        if row and row[0] in _REGISTRY:
            return _REGISTRY[row[0]]
        if row:  # attached by a connection this module no longer knows
            con.execute(f"detach {NAME}")
        folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        atexit.register(shutil.rmtree, folder, True)
        sweep(folder.parent)
        path = folder / "replica.duckdb"
        # Writable even when the store was opened read-only: the copy is this process's own.
        con.execute(f"attach '{path}' as {NAME} (read_write)")
        _REGISTRY[str(path)] = _Replica(path, db.location(con).catalog_file)
        return _REGISTRY[str(path)]


def sweep(parent: Path) -> list[Path]:
    """Remove the copies in ``parent`` that no process holds any more; return them.

    A process removes its copy when it exits, but not when it is killed or
    stopped by a signal its server does not turn into an exit (a service
    manager's stop): each restart of a server on ten million tickets would
    leave 276 MB behind. DuckDB holds a lock on a database file while it is
    attached, so a copy whose file can be locked belongs to no one; a folder
    without a file is left for an hour, for a process about to attach it.
    """
    removed = []
    for folder in parent.glob(f"{FOLDER_PREFIX}*"):
        path = folder / "replica.duckdb"
        if str(path) in _REGISTRY:
            # This process's own: a lock asked here would be granted over DuckDB's,
            # and closing the file would then drop DuckDB's lock.
            continue
        try:
            if path.exists() and _held(path):
                continue
            if not path.exists() and time.time() - folder.stat().st_mtime < ORPHAN_SECONDS:
                continue
        except OSError:
            continue  # removed meanwhile, or not ours to read
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _held(path: Path) -> bool:
    """Return True while a process holds DuckDB's lock on the database file ``path``."""
    # Another process's file: no lock of this process's can be dropped by closing it.
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _refresh(con: duckdb.DuckDBPyConnection, replica: _Replica) -> int:
    """Copy what changed since ``replica.snapshot``; return the snapshot now copied."""
    with db.cursor(con) as cur:
        cur.execute("begin transaction")
        try:
            snapshot = db.data_version(cur)  # pinned for the transaction
            sources = _changed_sources(cur, replica.snapshot, snapshot)
            if sources is None:
                cur.execute(
                    f"create or replace table {NAME}.tickets as {db.load_sql('replica_tickets')}",
                    {"sources": None},
                )  # noqa: S608
                cur.execute(f"create or replace table {NAME}.events as from events")  # noqa: S608
                replica.copied = _count(cur, f"{NAME}.tickets")
            else:
                if sources:
                    replica.copied = _copy_changes(cur, sources, replica.snapshot + 1, snapshot)
                cur.execute(f"delete from {NAME}.events")  # noqa: S608
                cur.execute(f"insert into {NAME}.events from events")  # noqa: S608
            cur.execute("commit")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                cur.execute("rollback")
            raise
    return snapshot


def _copy_changes(
    cur: duckdb.DuckDBPyConnection, sources: list[str], since: int, until: int
) -> int:
    """Bring the copy's tickets of ``sources`` up to snapshot ``until``; return the tickets copied.

    A nightly import touches a few thousand tickets of a source that may hold
    ten million: those rows alone are replaced, which costs what the import
    holds, not what the source holds. When the changes reach
    :data:`ROWS_SHARE` of the sources' tickets (a first import, a source
    imported again whole), copying the sources anew is cheaper.
    """
    # In the cursor's temporary catalog: read by the delete and by the insert.
    changed = db.load_sql("replica_changed_tickets")
    cur.execute(f"create or replace temp table changed_tickets as {changed}",
                {"since": since, "until": until})  # fmt: skip
    rows = _count(cur, "changed_tickets")
    held = _count(cur, f"{NAME}.tickets", sources)
    if rows <= ROWS_SHARE * held:
        cur.execute(
            f"delete from {NAME}.tickets using changed_tickets as changed "  # noqa: S608
            f"where {NAME}.tickets.source = changed.source "
            f"and {NAME}.tickets.ticket_id = changed.ticket_id"
        )
        cur.execute(f"insert into {NAME}.tickets {db.load_sql('replica_tickets_of')}")  # noqa: S608
        return rows
    cur.execute(f"delete from {NAME}.tickets where source in $s", {"s": sources})  # noqa: S608
    tickets = db.load_sql("replica_tickets")
    cur.execute(f"insert into {NAME}.tickets {tickets}", {"sources": sources})  # noqa: S608
    return _count(cur, f"{NAME}.tickets", sources)


def _count(cur: duckdb.DuckDBPyConnection, table: str, sources: list[str] | None = None) -> int:
    """Return the rows of ``table`` (a name from this module), of ``sources`` if given."""
    if sources is None:
        return cur.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
    sql = f"select count(*) from {table} where source in $s"  # noqa: S608
    return cur.execute(sql, {"s": sources}).fetchone()[0]


def copied(con: duckdb.DuckDBPyConnection) -> int:
    """Return how many tickets the copy's last refresh wrote (0 before the first)."""
    return _attached(con).copied


def _changed_sources(cur: duckdb.DuckDBPyConnection, since: int, until: int) -> list[str] | None:
    """Return the sources whose tickets changed after snapshot ``since`` up to ``until``;
    None when the copy must be rebuilt (first copy, schema change, expired snapshots)."""
    if since < 0:
        return None
    # Maintenance may have expired the snapshots after ``since``: then the
    # changes are unknown, and asking DuckLake for them would abort the
    # transaction. Expiry removes the oldest first, so checking the next one
    # is enough.
    (known,) = cur.execute(db.load_sql("snapshot_exists"), {"id": since + 1}).fetchone()
    if not known:
        return None
    changes = cur.execute(
        db.load_sql("snapshot_changes"), {"since": since, "until": until}
    ).fetchall()
    if any(
        kind.startswith(("tables_created", "tables_dropped", "tables_altered"))
        for (kind,) in changes
    ):
        return None
    rows = cur.execute(
        db.load_sql("replica_changed_sources"), {"since": since + 1, "until": until}
    ).fetchall()
    return sorted(row[0] for row in rows)
