"""Writing the tables of a store of the format before DuckLake to Parquet files.

Old stores are one DuckDB file written by DuckDB 2.0.1, whose format the
DuckDB this app runs cannot read. :mod:`analytics.convert` runs this module
as a script, under the same Python but with DuckDB 2.0.1 from a folder of its
own::

    python -I analytics/convert_export.py LEGACY_FOLDER OLD.duckdb OUT_FOLDER

It prints one JSON object (the DuckDB version that read the file, the
schema version, the rows of each table) and writes ``OUT_FOLDER/<table>.parquet``.
A problem is one line on stderr and exit status 1. The module imports no
DuckDB of its own, so :mod:`analytics.convert` also calls
:func:`export_tables` in process, on a file the installed DuckDB can read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

# The old stores' last schema (migrations 001 to 005): its tables map 1:1 onto the lake's.
LAST_NATIVE_SCHEMA = 5
TABLES = (
    "tickets",
    "imports",
    "rejects",
    "events",
    "event_effects",
    "event_effect_profile",
    "audit_log",
    "staffing_plans",
)


class ExportError(Exception):
    """The old store cannot be exported; the message says why in one line."""


def export_tables(con: duckdb.DuckDBPyConnection, out: Path) -> dict[str, object]:
    """Write every table of the old store ``con`` to ``out/<table>.parquet``.

    Returns ``{"schema_version": 5, "rows": {table: rows written}}``.

    Raises
    ------
    ExportError
        When the store is not at the last native schema version.
    """
    version = old_schema_version(con)
    if version != LAST_NATIVE_SCHEMA:
        raise ExportError(
            f"the store is at schema version {version}, not {LAST_NATIVE_SCHEMA}: open it once "
            "with the previous release of Backlog Radar (the last before DuckLake), which "
            f"brings it to version {LAST_NATIVE_SCHEMA}, then convert it"
        )
    rows = {}
    for table in TABLES:
        # The relation API names the table and the file without any SQL text.
        relation = con.table(table)
        relation.write_parquet(str(out / f"{table}.parquet"))
        rows[table] = relation.count("*").fetchall()[0][0]
    return {"schema_version": version, "rows": rows}


def old_schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version of the old store ``con``, 0 when it has none."""
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_name = 'schema_version' and table_schema = 'main'"
    ).fetchall()[0][0]
    if not found:
        return 0
    return con.execute("select coalesce(max(version), 0) from schema_version").fetchall()[0][0]


def main(argv: list[str]) -> int:
    """Export the old store ``argv[1]`` with the DuckDB in folder ``argv[0]``; return the exit status."""
    legacy, old, out = argv
    # First on the path, ahead of the DuckDB installed with the app.
    sys.path.insert(0, legacy)
    import duckdb

    if not Path(duckdb.__file__).resolve().is_relative_to(Path(legacy).resolve()):
        print(f"no DuckDB in {legacy}", file=sys.stderr)
        return 1
    try:
        con = duckdb.connect(old, read_only=True)
    except duckdb.Error as exc:
        print(" ".join(str(exc).split())[:300], file=sys.stderr)
        return 1
    try:
        result = export_tables(con, Path(out))
    except (ExportError, duckdb.Error) as exc:
        print(" ".join(str(exc).split())[:300], file=sys.stderr)
        return 1
    finally:
        con.close()
    print(json.dumps({"duckdb": duckdb.__version__, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
