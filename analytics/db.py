"""Opening the store: schema migrations, SQL files, transactions, ids and the snapshot id.

The store is a DuckLake (:mod:`analytics.lake`). The schema lives in
``sql/migrations/NNN_name.sql`` and is applied on open, in order, each inside
a transaction, with the version recorded in ``schema_version``. Nobody
creates tables by hand. Every query of the library is a file under ``sql/``
(:func:`load_sql`).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import random
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from analytics import lake

try:
    import fcntl
except ImportError:  # Windows: only the in-process lock applies
    fcntl = None

SQL_DIR = Path(__file__).resolve().parent / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"
T = TypeVar("T")
_RETRIES = 8
# Connection -> where its store lives (weakly held: a closed store's entry goes with it).
_LOCATIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_BY_CATALOG: dict[str, lake.Location] = {}


class StoreError(Exception):
    """A store problem explained in one line, fit to show a user."""


class StoreLockedError(StoreError):
    """Another process holds the store in a way that keeps this one out."""


class OldStoreError(StoreError):
    """The path is a store of the format before DuckLake: it converts once with convert-store."""


# DuckDB keeps the memory of a finished query for reuse and hands it back to
# the system only after one release of 512 MiB; a page's queries release
# buffers of 8 MiB, so a server would keep what every query had used. It
# flushes only above the threshold, hence just under 8 MiB.
_FLUSH_AFTER = "6MiB"
# What DuckLake says when two writers commit at once: the one that loses retries.
_CONFLICT = ("transaction conflict", "database is locked", "could not serialize")
_ID_COLUMNS = {
    "import": "next_import_id",
    "event": "next_event_id",
    "effect": "next_effect_id",
    "audit": "next_audit_id",
    "run": "next_run_id",
}


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


def connect(
    path: str | Path | None = ":memory:",
    *,
    read_only: bool = False,
    catalog: str | None = None,
    data_path: str | Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store and bring its schema up to date; return its connection.

    ``path`` is the embedded store's catalog file (``":memory:"``: a new
    store in a temporary folder, removed at exit); ``catalog`` a PostgreSQL
    URL, which takes precedence, with ``data_path`` the folder of its files.
    The connection's session time zone is UTC, so every ``timestamptz`` comes
    back as a UTC instant whatever the machine's zone.

    Raises
    ------
    OldStoreError
        When ``path`` is a DuckDB file of the format before DuckLake.
    analytics.lake.CatalogError
        When the catalog cannot be reached.
    """
    if not catalog and (path is None or str(path) == ":memory:"):
        path = Path(_temporary_folder()) / "store.sqlite"
    where = lake.locate(path, catalog=catalog, data_path=data_path)
    try:
        con = lake.open_lake(where, read_only=read_only)
    except (duckdb.Error, lake.CatalogError) as exc:
        # Only once the catalog failed to open: reading its first bytes while
        # DuckDB's SQLite has it open would drop that SQLite's locks (POSIX
        # locks belong to the process and go with any descriptor's close).
        if not catalog and is_old_store(Path(path)):
            raise OldStoreError(
                f"{path} is a store of the format before DuckLake; convert it once with "
                f"python -m analytics convert-store {path}"
            ) from exc
        raise
    _LOCATIONS[con] = _BY_CATALOG[where.catalog] = where
    con.execute("set TimeZone = 'UTC'")
    con.execute("set allocator_bulk_deallocation_flush_threshold = $size", {"size": _FLUSH_AFTER})
    if not read_only:
        migrate(con)
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Return a new cursor on the store behind ``con``, in UTC, with the store as its default catalog."""
    cur = con.cursor()
    cur.execute("set TimeZone = 'UTC'")
    return lake.use(cur)


def location(con: duckdb.DuckDBPyConnection) -> lake.Location:
    """Return where the store behind ``con`` (a connection or one of its cursors) lives."""
    if found := _LOCATIONS.get(con):
        return found
    catalog = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    if catalog not in _BY_CATALOG:
        data_path = con.execute(
            "select value from ducklake_options(current_database()) where option_name = 'data_path'"
        ).fetchone()[0]
        _BY_CATALOG[catalog] = lake.Location(
            catalog, Path(data_path.rstrip("/")), lake.display_name(catalog)
        )
    return _BY_CATALOG[catalog]


def is_old_store(path: Path) -> bool:
    """Return True when ``path`` is a DuckDB database file (the format before DuckLake)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return head[8:12] == b"DUCK"


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version of the store, 0 for an empty store."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_name = 'schema_version' and table_schema = 'main' "
        "and table_catalog = current_database()"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("select coalesce(max(version), 0) from schema_version").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations the store lacks; return the resulting schema version.

    Each migration is one transaction, so one snapshot; two processes opening
    a new store at once both try, and the one that loses the commit finds the
    work done when it retries.
    """
    current = schema_version(con)
    for version, path in migrations():
        if version <= current:
            continue
        for attempt in range(_RETRIES):
            try:
                _apply(con, version, path)
                break
            except duckdb.Error as exc:
                if not is_conflict(exc) or attempt == _RETRIES - 1:
                    raise
                time.sleep(_backoff(attempt))
                if schema_version(con) >= version:
                    break
        current = version
    return current


def _apply(con: duckdb.DuckDBPyConnection, version: int, path: Path) -> None:
    con.execute("begin transaction")
    try:
        if version == 1:
            con.execute(
                "create table if not exists schema_version "
                "(version integer not null, applied_at timestamptz not null)"
            )
        con.execute(path.read_text(encoding="utf-8"))
        con.execute("insert into schema_version values (?, now())", [version])
        commit_message(con, "migrate", f"schema version {version}", actor="system")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the id of the store's latest snapshot: it changes with every commit (cache key)."""
    return con.execute(load_sql("snapshot_current")).fetchone()[0]


def next_id(con: duckdb.DuckDBPyConnection, kind: str) -> int:
    """Return a new id of ``kind`` (import, event, effect, audit, run); call inside the writing transaction."""
    column = _ID_COLUMNS[kind]  # identifiers from code, never from input
    con.execute(f"update store_meta set {column} = {column} + 1")  # noqa: S608
    return con.execute(f"select {column} - 1 from store_meta").fetchone()[0]  # noqa: S608


def commit_message(
    con: duckdb.DuckDBPyConnection, action: str, target: str | None, *, actor: str
) -> None:
    """Label the snapshot the current transaction will commit: who did what to what."""
    con.execute(
        "call ducklake_set_commit_message(current_database(), $actor, $message, extra_info => $extra)",
        {"actor": actor, "message": action, "extra": target},
    )


@contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection, *, fresh_cursor: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a cursor inside a transaction; commit when the block ends, roll back on error.

    The commit is one DuckLake snapshot, which readers see whole or not at
    all, and moves the snapshot id that caches key on. Without ``fresh_cursor`` the
    transaction runs on ``con`` itself, which the caller keeps open: the
    block can read the temporary tables ``con`` made, since DuckDB keeps them
    private to one cursor.
    """
    cur = cursor(con) if fresh_cursor else con
    try:
        cur.execute("begin transaction")
        yield cur
        cur.execute("commit")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            cur.execute("rollback")
        raise
    finally:
        if fresh_cursor:
            cur.close()


def retrying(write: Callable[[], T], *, attempts: int = 0) -> T:
    """Return ``write()``, run again when its commit lost to another writer's.

    ``write`` must be a whole transaction (it rolls back on error), so
    running it again is safe.
    """
    attempts = attempts or _RETRIES
    for attempt in range(attempts):
        try:
            return write()
        except duckdb.Error as exc:
            if not is_conflict(exc) or attempt == attempts - 1:
                raise
            time.sleep(_backoff(attempt))
    raise AssertionError("unreachable")


def is_conflict(exc: BaseException) -> bool:
    """Return True when ``exc`` says another writer committed first (worth a retry)."""
    text = str(exc).lower()
    return any(marker in text for marker in _CONFLICT)


def _backoff(attempt: int) -> float:
    return min(0.05 * 2**attempt, 1.0) * (0.5 + random.random())


def _temporary_folder() -> str:
    folder = tempfile.mkdtemp(prefix="backlog-radar-store-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def write_lock_path(con: duckdb.DuckDBPyConnection) -> Path:
    """Return the file whose lock serialises the writers of ``con``'s store on one host."""
    return location(con).lock_path


def lock_holder(lock_path: Path) -> str | None:
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
        return read_holder(lock_path)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def read_holder(lock_path: Path) -> str | None:
    try:
        return lock_path.read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None
