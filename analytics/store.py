"""The ticket store: its sources, deleting one, and the write lock.

Opening the store, its migrations, SQL files and transactions are
:mod:`analytics.db`'s; they are part of the store's API too, so callers write
``store.connect``, ``store.transaction``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analytics import access
from analytics.db import (
    MIGRATIONS_DIR,
    SQL_DIR,
    OldStoreError,
    StoreError,
    StoreLockedError,
    commit_message,
    connect,
    cursor,
    data_version,
    is_conflict,
    load_sql,
    location,
    migrate,
    migrations,
    next_id,
    read_holder,
    retrying,
    schema_version,
    transaction,
    write_lock_path,
)

__all__ = [
    "MIGRATIONS_DIR",
    "SQL_DIR",
    "WRITE_LOCK_TIMEOUT_S",
    "SourceSummary",
    "StoreBusyError",
    "StoreError",
    "StoreLockedError",
    "OldStoreError",
    "commit_message",
    "cursor",
    "is_conflict",
    "location",
    "next_id",
    "retrying",
    "connect",
    "data_version",
    "delete_source",
    "list_sources",
    "open_configured",
    "load_sql",
    "migrate",
    "migrations",
    "schema_version",
    "transaction",
    "write_lock",
    "write_lock_path",
]

try:
    import fcntl
except ImportError:  # Windows: only the in-process lock applies
    fcntl = None


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


def open_configured(settings) -> duckdb.DuckDBPyConnection:
    """Return a connection to the store ``settings`` name (a ``Settings``: db_path, catalog, data_path)."""
    return connect(settings.db_path, catalog=settings.catalog, data_path=settings.data_path)


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
    cur = cursor(con)
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
        cur.execute("delete from ratings where source = ?", [source])
        cur.execute(
            "delete from rejects where import_id in (select import_id from imports where source = ?)",
            [source],
        )
        cur.execute("delete from imports where source = ?", [source])
        # The source's own calendar goes with it; events of every source stay.
        events = cur.execute("select event_id from events where source = ?", [source]).fetchall()
        cur.execute("delete from events where source = ?", [source])
        access.record(
            cur, actor, "delete_source", source, {"tickets": deleted, "events": len(events)}
        )
        cur.execute("commit")
    except Exception:
        cur.execute("rollback")
        raise
    return deleted


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
    cursors), then an ``fcntl.flock`` on the store's lock file (beside a
    SQLite catalog, in the data folder of a PostgreSQL one) for other
    processes. ``flock`` is released by the kernel when its holder dies, so a
    killed import never leaves a stale lock; the file itself stays, and while
    locked it names the holder. DuckLake's own conflict check stays the last
    word: two writers on different hosts that both commit see one fail.

    ``what`` describes the holder in other writers' messages ("importing
    x.csv into source emea"). A writer that finds the lock taken calls
    ``on_wait`` with the holder's description, then waits up to ``timeout``
    seconds.

    Raises
    ------
    StoreBusyError
        When the lock is still held after ``timeout`` seconds.
    """
    lock_path = write_lock_path(con)
    key = str(lock_path)
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
        if fcntl is None:
            yield
        else:
            with _file_lock(lock_path, description, deadline, timeout, on_wait):
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
                holder = read_holder(lock_path) or "another process"
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


def _busy_message(holder: str, timeout: float) -> str:
    return (
        f"the store is busy: {holder}; waited {timeout:g} s for it to finish. "
        "Try again when it is done"
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S UTC")
