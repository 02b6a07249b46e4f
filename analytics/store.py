"""The DuckDB ticket store: opening, schema migrations, sources.

The schema lives in ``sql/migrations/NNN_name.sql`` and is applied on open, in
order, each inside a transaction, with the version recorded in
``schema_version``. Nobody creates tables by hand.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"


class StoreError(Exception):
    """A store problem explained in one line, fit to show a user."""


class StoreLockedError(StoreError):
    """Another process (usually the running app) holds the database file."""


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
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreLockedError(
                f"the database {path} is in use by another process "
                "(is the Backlog Radar app running?); stop it or use another --db"
            ) from exc
        raise StoreError(f"cannot open the database {path}: {exc}") from exc
    con.execute("set TimeZone = 'UTC'")
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


def delete_source(con: duckdb.DuckDBPyConnection, source: str) -> int:
    """Delete a source's tickets, imports and rejects in one transaction.

    Returns the number of tickets deleted.

    Raises
    ------
    StoreError
        When no such source exists.
    """
    cur = con.cursor()
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
        bump_data_version(cur)
        cur.execute("commit")
    except Exception:
        cur.execute("rollback")
        raise
    return deleted
