"""Read-only queries on the store: one SELECT, run where it can read the store and nothing else.

Scripts and the command line's ``sql`` may ask the store anything, in SQL,
and change nothing nor read anything else. Three fences:

- The text is parsed first. It must be exactly one SELECT statement; the
  table functions it calls must be on a short list (:data:`TABLE_FUNCTIONS`),
  and the catalogs and schemas it names must be the lake's or DuckDB's own
  views. DuckDB's external-access switch does not cover the SQLite and
  PostgreSQL extensions the catalog needs: with it off, ``sqlite_scan`` and
  ``sqlite_attach`` still open any SQLite file, ``postgres_scan`` any server,
  and the catalog's own database (``__ducklake_metadata_lake``) shows every
  table of the PostgreSQL database it lives in.
- It runs on a connection of its own that attached the store read-only, with
  external access off except for the store's data folder (DuckLake reads its
  Parquet files through DuckDB's file system) and its configuration locked,
  so no statement can open it again.
- Inside a transaction that is rolled back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import pandas as pd

from analytics import lake, store

# Table functions that read nothing but their arguments or the store's own snapshots.
TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "generate_series",
        "unnest",
        "ducklake_snapshots",
        "ducklake_table_info",
        "ducklake_table_changes",
    }
)
# Catalog and schema names a query may spell out: the lake, and DuckDB's views of catalogs.
_SCOPES = frozenset({"", lake.NAME, "main", "information_schema", "pg_catalog"})
# The keys under which DuckDB's parse tree (json_serialize_sql) names a catalog or schema.
_SCOPE_KEYS = ("catalog_name", "schema_name", "catalog", "schema")


def read_only_query(con: duckdb.DuckDBPyConnection, text: str) -> pd.DataFrame:
    """Return the rows of ``text``, one SELECT statement, read from the store behind ``con``.

    ``con`` only says which store (any connection or cursor to it): the
    query runs on a read-only connection of its own, which can read the
    store's tables and nothing else, inside a transaction that is rolled
    back. Times come back in UTC.

    Example: ``read_only_query(con, "select source, count(*) as n from tickets group by all")``

    Raises
    ------
    analytics.store.StoreError
        In one line, when ``text`` is not exactly one SELECT, calls a table
        function or names a catalog outside the store, or fails.
    analytics.lake.CatalogError
        When the catalog cannot be reached.
    """
    sandbox = _open_sandbox(store.location(con))
    try:
        _check(sandbox, text)
        sandbox.execute("begin transaction")
        try:
            return sandbox.execute(text).df()
        finally:
            sandbox.execute("rollback")
    except duckdb.Error as exc:
        raise store.StoreError(f"the query failed: {_first_line(exc)}") from exc
    finally:
        sandbox.close()


def _open_sandbox(location: lake.Location) -> duckdb.DuckDBPyConnection:
    """Return a connection that reads the store at ``location`` and can open nothing else."""
    con = lake.open_lake(location, read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        # DuckLake reads its Parquet files through DuckDB's file system, which
        # external access governs: the data folder stays open, nothing else.
        con.execute("set allowed_directories = $folders", {"folders": [f"{location.data_path}/"]})
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _check(con: duckdb.DuckDBPyConnection, text: str) -> None:
    """Return None when ``text`` is one SELECT reading only the store; raise StoreError otherwise."""
    try:
        statements = con.extract_statements(text)
    except duckdb.Error as exc:
        raise store.StoreError(f"the query does not parse: {_first_line(exc)}") from exc
    if not statements:
        raise store.StoreError("no query given: pass one SELECT statement")
    if len(statements) > 1:
        raise store.StoreError(
            f"one statement at a time: the text holds {len(statements)}; remove all but one SELECT"
        )
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise store.StoreError(f"only a SELECT runs here (the store is read-only), not {kind.name}")
    tree = json.loads(con.execute("select json_serialize_sql($text)", {"text": text}).fetchone()[0])
    if tree["error"]:
        # PRAGMA parses as a SELECT of a pragma function but is no SELECT statement.
        raise store.StoreError("only a SELECT runs here (the store is read-only)")
    for node in _nodes(tree["statements"]):
        _refuse_outside_reads(node)


def _refuse_outside_reads(node: dict) -> None:
    if node.get("type") == "TABLE_FUNCTION":
        name = str((node.get("function") or {}).get("function_name", ""))
        if name.lower() not in TABLE_FUNCTIONS:
            raise store.StoreError(
                f"a read-only query may not call {name}(), which reaches beyond the store's "
                f"tables; it may call {', '.join(sorted(TABLE_FUNCTIONS))}"
            )
    for key in _SCOPE_KEYS:
        value = node.get(key)
        if isinstance(value, str) and value.lower() not in _SCOPES:
            raise store.StoreError(
                f"{value} is not the store: a query reads the store's tables only "
                f"(tickets, or {lake.NAME}.tickets)"
            )


def _nodes(tree: object) -> Iterator[dict]:
    """Yield every object of a parse tree from ``json_serialize_sql``, however deep."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
