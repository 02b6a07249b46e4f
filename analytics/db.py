"""Opening the DuckDB store: schema migrations, SQL files, transactions and the data version.

The schema lives in ``sql/migrations/NNN_name.sql`` and is applied on open, in
order, each inside a transaction, with the version recorded in
``schema_version``. Nobody creates tables by hand. Every query of the library
is a file under ``sql/`` (:func:`load_sql`).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

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


# DuckDB keeps the memory of a finished query for reuse and hands it back to
# the system only after one release of 512 MiB; a page's queries release
# buffers of 8 MiB, so a server would keep what every query had used. It
# flushes only above the threshold, hence just under 8 MiB. A SET, not a
# connect option: DuckDB refuses another connection to the file in this
# process (a script's plain duckdb.connect) with a different configuration.
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
            raise StoreLockedError(locked_message(str(exc), Path(path))) from exc
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


@contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection, *, changes_data: bool = True, fresh_cursor: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a cursor inside a transaction; commit when the block ends, roll back on error.

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


def locked_message(duckdb_message: str, db_path: Path) -> str:
    """Return the one-line reason another process holds ``db_path``, naming it when possible."""
    if holder := lock_holder(write_lock_path(db_path)):
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


def write_lock_path(db_path: Path) -> Path:
    """Return the lock file that serialises writers of ``db_path`` (``<db>.import.lock``)."""
    return db_path.with_name(db_path.name + ".import.lock")


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
