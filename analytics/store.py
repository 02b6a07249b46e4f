"""The DuckDB ticket store: opening, schema migrations, sources.

The schema lives in ``sql/migrations/NNN_name.sql`` and is applied on open, in
order, each inside a transaction, with the version recorded in
``schema_version``. Nobody creates tables by hand.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analytics import access

try:
    import fcntl
except ImportError:  # Windows: only the in-process lock applies
    fcntl = None

SQL_DIR = Path(__file__).resolve().parent / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"


class StoreError(Exception):
    """A store problem explained in one line, fit to show a user."""


class StoreLockedError(StoreError):
    """Another process (usually the running app) holds the database file."""


class StoreBusyError(StoreError):
    """Another import or deletion is writing to the same store and did not finish in time."""


# How long a write waits for the one before it. A million-ticket import takes
# about a minute on a loaded 2-core machine; a second browser session or a
# double click should queue behind it rather than fail, but not forever.
WRITE_LOCK_TIMEOUT_S = 120.0
_POLL_S = 0.05
_process_locks: dict[str, threading.Lock] = {}
_process_holders: dict[str, str] = {}
_process_locks_guard = threading.Lock()

# DuckDB keeps the memory of a finished query for reuse, and hands it back to
# the system only after a single release of 512 MiB. An all-time page's
# queries release buffers of 8 MiB, so a server kept what every query had
# used. Flushing after releases above 6 MiB took the metrics benchmark's
# peak from 282-289 MB to 259-263 MB, page times unchanged within noise
# (docs/metrics.md). At 8 MiB exactly it has no effect: DuckDB flushes only
# above the threshold. A SET rather than a connect option, which would make
# DuckDB refuse any other connection to the file in this process (a script's
# plain duckdb.connect) for "a different configuration".
_FLUSH_AFTER = "6MiB"


@functools.cache
def load_sql(name: str) -> str:
    """Return the text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def migrations() -> list[tuple[int, Path]]:
    """Return ``(version, path)`` for every migration file, in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        found.append((int(path.name.split("_", 1)[0]), path))
    return found


def connect(path: str | Path = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store at ``path`` and bring its schema up to date.

    Returns a DuckDB connection whose session time zone is UTC, so every
    ``timestamptz`` comes back as a UTC instant whatever the machine's zone.

    Raises
    ------
    StoreLockedError
        When another process has the file open for writing.
    """
    created = str(path) != ":memory:" and not Path(path).exists()
    if created:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreLockedError(_locked_message(str(exc), Path(path))) from exc
        raise StoreError(f"cannot open the database {path}: {exc}") from exc
    if created:
        # Ticket logs are company data: readable by the app's own user only.
        # (The app and the command line also run with umask 077, which covers
        # the write-ahead log and the lock file.)
        os.chmod(path, 0o600)
    con.execute("set TimeZone = 'UTC'")
    con.execute("set allocator_bulk_deallocation_flush_threshold = $size", {"size": _FLUSH_AFTER})
    if not read_only:
        migrate(con)
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version of the store, 0 for an empty database."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_name = 'schema_version' and table_schema = 'main'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("select coalesce(max(version), 0) from schema_version").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations the store lacks; return the resulting schema version."""
    con.execute(
        "create table if not exists schema_version "
        "(version integer primary key, applied_at timestamptz not null)"
    )
    current = schema_version(con)
    for version, path in migrations():
        if version <= current:
            continue
        con.execute("begin transaction")
        try:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("insert into schema_version values (?, now())", [version])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        current = version
    return current


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return a number that changes whenever the store's data changes (cache key)."""
    return con.execute("select data_version from store_meta").fetchone()[0]


@contextlib.contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection, *, changes_data: bool = True, fresh_cursor: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a fresh cursor inside a transaction; commit when the block ends, roll back on error.

    With ``changes_data`` the data version is bumped in the same transaction,
    so every cached query result keyed on it is invalidated by the commit.
    Without ``fresh_cursor`` the transaction runs on ``con`` itself, which the
    caller keeps open: the block can read the temporary tables ``con`` made,
    since DuckDB keeps them private to one cursor.
    """
    cur = con.cursor() if fresh_cursor else con
    try:
        cur.execute("begin transaction")
        yield cur
        if changes_data:
            bump_data_version(cur)
        cur.execute("commit")
    except BaseException:
        cur.execute("rollback")
        raise
    finally:
        if fresh_cursor:
            cur.close()


def bump_data_version(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the data as changed; call inside the writing transaction."""
    con.execute("update store_meta set data_version = data_version + 1")


@dataclass(frozen=True)
class SourceSummary:
    """What one source holds."""

    source: str
    tickets: int
    open_tickets: int
    first_created_at: datetime | None
    last_created_at: datetime | None
    imports: int
    last_import_at: datetime | None


def list_sources(con: duckdb.DuckDBPyConnection) -> list[SourceSummary]:
    """Return one summary per source, sorted by name."""
    rows = con.execute(load_sql("sources")).fetchall()
    return [SourceSummary(*row) for row in rows]


def delete_source(
    con: duckdb.DuckDBPyConnection,
    source: str,
    *,
    lock_timeout: float = WRITE_LOCK_TIMEOUT_S,
    actor: access.User | None = None,
) -> int:
    """Delete a source's tickets, imports, rejects and own events in one transaction.

    Returns the number of tickets deleted. Waits up to ``lock_timeout``
    seconds for an import in progress (see :func:`write_lock`). ``actor``
    (default :data:`analytics.access.SYSTEM`) must be an admin; the deletion
    is recorded in the audit log.

    Raises
    ------
    StoreError
        When no such source exists.
    StoreBusyError
        When another import or deletion holds the store for longer than ``lock_timeout``.
    analytics.access.PermissionDenied
        When ``actor`` may not delete sources.
    """
    actor = actor or access.SYSTEM
    access.require(actor, "delete_source")
    cur = con.cursor()
    try:
        with write_lock(cur, f"deleting source {source!r}", timeout=lock_timeout):
            return _delete_source(cur, source, actor)
    finally:
        cur.close()


def _delete_source(cur: duckdb.DuckDBPyConnection, source: str, actor: access.User) -> int:
    cur.execute("begin transaction")
    try:
        deleted = cur.execute("select count(*) from tickets where source = ?", [source]).fetchone()[
            0
        ]
        known = cur.execute("select count(*) from imports where source = ?", [source]).fetchone()[0]
        if not deleted and not known:
            raise StoreError(f"no source named {source!r}")
        cur.execute("delete from tickets where source = ?", [source])
        cur.execute(
            "delete from rejects where import_id in (select import_id from imports where source = ?)",
            [source],
        )
        cur.execute("delete from imports where source = ?", [source])
        # The source's own calendar goes with it; events of every source stay.
        events = cur.execute(
            "delete from events where source = ? returning event_id", [source]
        ).fetchall()
        access.record(
            cur, actor, "delete_source", source, {"tickets": deleted, "events": len(events)}
        )
        bump_data_version(cur)
        cur.execute("commit")
    except Exception:
        cur.execute("rollback")
        raise
    return deleted


def _locked_message(duckdb_message: str, db_path: Path) -> str:
    """Return the one-line reason another process holds ``db_path``, naming it when possible."""
    if holder := _file_lock_holder(write_lock_path(db_path)):
        return (
            f"the database {db_path} is in use by another process: {holder}; "
            "wait for it to finish or use another --db"
        )
    found = re.search(r"\(PID (\d+)\)", duckdb_message)
    return (
        f"the database {db_path} is in use by another process"
        + (f" (pid {found.group(1)})" if found else "")
        + "; is the Backlog Radar app running? Stop it or use another --db"
    )


def database_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Return the database file behind ``con``, or None for an in-memory store."""
    row = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return Path(row[0]) if row and row[0] else None


def write_lock_path(db_path: Path) -> Path:
    """Return the lock file that serialises writers of ``db_path`` (``<db>.import.lock``)."""
    return db_path.with_name(db_path.name + ".import.lock")


@contextlib.contextmanager
def write_lock(
    con: duckdb.DuckDBPyConnection,
    what: str,
    *,
    timeout: float = WRITE_LOCK_TIMEOUT_S,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the store's write lock for the body: one import or deletion at a time.

    Two locks, taken in order: a ``threading.Lock`` per database for the
    sessions of one app process (they share one DuckDB connection through
    cursors), then an ``fcntl.flock`` on ``<db>.import.lock`` for other
    processes. ``flock`` is released by the kernel when its holder dies, so a
    killed import never leaves a stale lock; the file itself stays, and while
    locked it names the holder. An in-memory store has only the first lock.

    ``what`` describes the holder in other writers' messages ("importing
    x.csv into source emea"). A writer that finds the lock taken calls
    ``on_wait`` with the holder's description, then waits up to ``timeout``
    seconds.

    Raises
    ------
    StoreBusyError
        When the lock is still held after ``timeout`` seconds.
    """
    path = database_path(con)
    key = str(path.resolve()) if path else ":memory:"
    with _process_locks_guard:
        lock = _process_locks.setdefault(key, threading.Lock())
    deadline = time.monotonic() + timeout
    if not lock.acquire(blocking=False):
        holder = _process_holders.get(key, "another import")
        if on_wait:
            on_wait(holder)
        if not lock.acquire(timeout=max(deadline - time.monotonic(), 0)):
            raise StoreBusyError(_busy_message(_process_holders.get(key, holder), timeout))
    try:
        description = f"pid {os.getpid()} {what} since {_now()}"
        _process_holders[key] = description
        if path is None or fcntl is None:
            yield
        else:
            with _file_lock(write_lock_path(path), description, deadline, timeout, on_wait):
                yield
    finally:
        _process_holders.pop(key, None)
        lock.release()


@contextlib.contextmanager
def _file_lock(
    lock_path: Path,
    description: str,
    deadline: float,
    timeout: float,
    on_wait: Callable[[str], None] | None,
) -> Iterator[None]:
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {lock_path}: {exc.strerror}") from exc
    try:
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read_holder(lock_path) or "another process"
                if not waited and on_wait:
                    on_wait(holder)
                waited = True
                if time.monotonic() >= deadline:
                    raise StoreBusyError(_busy_message(holder, timeout)) from None
                time.sleep(_POLL_S)
        # The holder's line is for other writers' messages only; the lock is the flock.
        os.ftruncate(fd, 0)
        os.pwrite(fd, description.encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _file_lock_holder(lock_path: Path) -> str | None:
    """Return the description written by the process holding ``lock_path``, None if free."""
    if fcntl is None or not lock_path.exists():
        return None
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_holder(lock_path)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_holder(lock_path: Path) -> str | None:
    try:
        return lock_path.read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None


def _busy_message(holder: str, timeout: float) -> str:
    return (
        f"the store is busy: {holder}; waited {timeout:g} s for it to finish. "
        "Try again when it is done"
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S UTC")
