"""Converting a store of the format before DuckLake into the store, once.

Before DuckLake the store was one DuckDB file (``data/backlog_radar.duckdb``)
written by DuckDB 2.0.1, whose format the DuckDB this app runs cannot read. A
child process reads it with DuckDB 2.0.1, installed in a folder of its own
(:func:`legacy_folder`), and writes its tables to Parquet
(:mod:`analytics.convert_export`); this process loads them into the store in
one transaction. A file the installed DuckDB can read (written by DuckDB 1.5)
needs no child. The old file is opened read-only, and only by DuckDB.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analytics import access, convert_export, db, store

LEGACY_ENV = "BACKLOG_RADAR_LEGACY_DUCKDB"
LEGACY_VERSION = "2.0.1"
_EXPORTER = Path(__file__).resolve().with_name("convert_export.py")
# How DuckDB says that a newer DuckDB wrote the file: the legacy one reads it.
_NEWER_FORMAT = "version number"
# The old store's rows keep their ids, so a store already holding any of these converts nothing.
_DATA_TABLES = tuple(t for t in convert_export.TABLES if t != "audit_log")


@dataclass(frozen=True)
class ConvertReport:
    """What one conversion copied.

    ``store`` names the store converted into; ``read_with`` is the version
    of DuckDB that read the old file; ``rows`` maps each table to the rows
    copied.
    """

    old_path: Path
    store: str
    schema_version: int
    read_with: str
    rows: dict[str, int]


def legacy_folder() -> Path:
    """Return the folder holding DuckDB 2.0.1: ``BACKLOG_RADAR_LEGACY_DUCKDB``, else ``<venv>/legacy-duckdb``."""
    return Path(os.environ.get(LEGACY_ENV) or Path(sys.prefix) / "legacy-duckdb")


def convert_store(
    old_path: str | Path, con: duckdb.DuckDBPyConnection, *, actor: access.User
) -> ConvertReport:
    """Copy every row of the old store at ``old_path`` into the store behind ``con``; return what was copied.

    One transaction: the store shows all of the old store or none of it.
    Rows keep their ids (imports, events, effects, audit rows), and the next
    id of each kind continues after the largest. Audit rows the store
    already holds (sign-ins since it opened) move after the old ones. The
    conversion is recorded in the audit log. The old file is not changed.

    Raises
    ------
    analytics.store.StoreError
        In one line: ``old_path`` is no old store, or one older than schema
        version 5; DuckDB 2.0.1 is missing (saying how to install it); the
        store already holds data.
    analytics.access.PermissionDenied
        When ``actor`` is not an admin: converting writes every table.
    """
    old_path = Path(old_path)
    access.require(actor, "convert_store")
    if not old_path.is_file():
        raise store.StoreError(f"no file at {old_path}")
    if not db.is_old_store(old_path):
        raise store.StoreError(f"{old_path} is not a store of the format before DuckLake")
    where = store.location(con).name
    # Checked before the long export, and again in the transaction, which decides.
    with contextlib.closing(store.cursor(con)) as cur:
        _refuse_a_store_with_data(cur, where)
    with tempfile.TemporaryDirectory(prefix="backlog-radar-convert-") as folder:
        exported = _export(old_path, Path(folder))
        with (
            store.write_lock(con, f"converting {old_path.name}"),
            store.transaction(con) as cur,
        ):
            _refuse_a_store_with_data(cur, where)
            _load(cur, Path(folder), exported["rows"])
            cur.execute(store.load_sql("convert_next_ids"))
            detail = {**exported["rows"], "read_with": f"DuckDB {exported['duckdb']}"}
            access.record(cur, actor, "convert_store", str(old_path.resolve()), detail)
    return ConvertReport(
        old_path, where, exported["schema_version"], exported["duckdb"], exported["rows"]
    )


def _export(old_path: Path, out: Path) -> dict:
    """Write the old store's tables to ``out``; return the exporter's report.

    The installed DuckDB reads the file when it can; a file written by a
    newer one goes to the legacy DuckDB in a child process.
    """
    try:
        old = duckdb.connect(str(old_path), read_only=True)
    except duckdb.Error as exc:
        if _NEWER_FORMAT not in str(exc):
            raise store.StoreError(f"cannot read {old_path}: {_one_line(str(exc))}") from exc
        return _export_with_legacy(old_path, out)
    try:
        return {"duckdb": duckdb.__version__, **convert_export.export_tables(old, out)}
    except (convert_export.ExportError, duckdb.Error) as exc:
        raise store.StoreError(f"cannot convert {old_path}: {_one_line(str(exc))}") from exc
    finally:
        old.close()


def _export_with_legacy(old_path: Path, out: Path) -> dict:
    folder = legacy_folder()
    if not (folder / "duckdb" / "__init__.py").is_file():
        raise store.StoreError(
            f"{old_path} was written by DuckDB {LEGACY_VERSION}, which the converter needs: "
            f"install it with `{sys.executable} -m pip install --target {folder} "
            f"duckdb=={LEGACY_VERSION}` (or point {LEGACY_ENV} at a folder holding it)"
        )
    # -I: the child's path is the standard library and the app's packages,
    # with the legacy folder put first by the exporter itself.
    done = subprocess.run(
        [sys.executable, "-I", str(_EXPORTER), str(folder), str(old_path), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        said = done.stderr.strip().splitlines() or [f"the exporter exited with {done.returncode}"]
        raise store.StoreError(f"cannot convert {old_path}: {_one_line(said[-1])}")
    return json.loads(done.stdout)


def _refuse_a_store_with_data(cur: duckdb.DuckDBPyConnection, where: str) -> None:
    held = {
        table: cur.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
        for table in _DATA_TABLES
    }
    if any(held.values()):
        found = ", ".join(f"{rows:,} in {table}" for table, rows in held.items() if rows)
        raise store.StoreError(
            f"the store {where} already holds rows ({found}): an old store converts only "
            "into a new one (--db NEW.sqlite)"
        )


def _load(cur: duckdb.DuckDBPyConnection, folder: Path, rows: dict[str, int]) -> None:
    cur.execute(
        store.load_sql("convert_audit_shift"), {"old_rows": str(folder / "audit_log.parquet")}
    )
    for table in convert_export.TABLES:
        # Table names from convert_export.TABLES only; the file is a bound value.
        inserted = cur.execute(
            f"insert into {table} by name select * from read_parquet($path)",  # noqa: S608
            {"path": str(folder / f"{table}.parquet")},
        ).fetchone()[0]
        if inserted != rows[table]:
            raise store.StoreError(
                f"{table}: {inserted:,} of {rows[table]:,} rows copied; nothing was converted"
            )


def old_store_beside(settings, *, con: duckdb.DuckDBPyConnection | None = None) -> Path | None:
    """Return the old store the app should offer to convert, None when there is none.

    That is the old default file beside the configured store
    (``data/backlog_radar.duckdb`` beside ``data/backlog_radar.sqlite``) when
    it exists and was never converted into the configured store. (The
    configured file itself being an old store is :class:`db.OldStoreError`
    when the store is opened.) ``settings`` is a ``Settings``;
    ``con``, an open connection to its store, saves opening one.
    """
    old = settings.db_path.with_suffix(".duckdb")
    if not db.is_old_store(old):
        return None
    return None if _converted(settings, con, old) else old


def _converted(settings, con: duckdb.DuckDBPyConnection | None, old: Path) -> bool:
    """Return True when the audit log says ``old`` was converted into the configured store."""
    if con is None and not settings.catalog and not settings.db_path.exists():
        return False
    cur = store.cursor(con) if con is not None else store.open_configured(settings)
    try:
        return cur.execute(
            "select count(*) > 0 from audit_log where action = 'convert_store' and target = ?",
            [str(old.resolve())],
        ).fetchone()[0]
    finally:
        cur.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
