"""The write stage: everything the import writes to the store, in one transaction.

Until this stage the import has written temporary tables only; here the
import's record, its rejects, its tickets and their satisfaction ratings are
written, the import is audited and the data version moves, all committed
together or not at all.
"""

from __future__ import annotations

import json

import duckdb

from analytics import access, store
from analytics.ingest import ratings
from analytics.ingest.model import ImportReport


def release_staging(cur: duckdb.DuckDBPyConnection, *, event_log: bool) -> None:
    """Drop what _actions and _rejects no longer need: the staged text and the parsed rows.

    Called between the reading transaction and the writing one: DuckDB frees
    a dropped table only once its transaction ends, so dropped inside the
    write the staged and parsed rows would stay in memory while the insert
    sorts.
    """
    # A ratings import made neither: it rates tickets already stored.
    cur.execute("drop view if exists _incoming")
    cur.execute("drop table if exists _tickets" if event_log else "drop view if exists _tickets")
    cur.execute("drop table _parsed")
    cur.execute("drop view _raw")
    cur.execute("drop table _raw_rows")


def write(
    cur: duckdb.DuckDBPyConnection,
    report: ImportReport,
    options: dict,
    actor: access.User,
    *,
    tickets: bool = True,
) -> None:
    """Write the import, its rejects, tickets and ratings from _actions, _rating_actions and _rejects.

    Sets ``report.import_id``. ``cur`` is the cursor that holds those
    temporary tables; ``options`` is recorded with the import (how the file
    was read); ``tickets`` is False for a ratings import, which has no
    _actions. The write lock is the caller's to hold.
    """
    with store.transaction(cur, fresh_cursor=False):
        report.import_id = _record_import(cur, report, options)
        cur.execute(
            "insert into rejects select ?, line, reason, raw from _rejects", [report.import_id]
        )
        # Changed tickets are deleted and written again with the new ones: a plain
        # insert skips the conflict checks (less time and memory than an upsert)
        # and keeps its creation order.
        if report.rows_updated:
            cur.execute(store.load_sql("import_delete_changed"), {"source": report.source})
        if tickets:
            cur.execute(
                store.load_sql("import_insert"),
                {"source": report.source, "import_id": report.import_id},
            )
        ratings.write(cur, report)
        detail = {
            "import_id": report.import_id,
            "file": report.file_name,
            "inserted": report.rows_inserted,
            "updated": report.rows_updated,
            "rejected": report.rows_rejected,
        }
        if report.ratings_written:
            detail["ratings"] = report.ratings_written
        access.record(cur, actor, "import", report.source, detail)


def _record_import(cur, report: ImportReport, options: dict) -> int:
    """Insert the import's row in ``imports``; return its id."""
    import_id = store.next_id(cur, "import")
    cur.execute(
        """
        insert into imports (
            import_id, source, file_name, sha256, preset, mapping, options,
            rows_read, rows_inserted, rows_updated, rows_unchanged, rows_rejected, rows_flagged,
            started_at, finished_at, outcome
        ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            import_id,
            report.source,
            report.file_name,
            report.sha256,
            report.preset,
            json.dumps(report.mapping),
            json.dumps(options),
            report.rows_read,
            report.rows_inserted,
            report.rows_updated,
            report.rows_unchanged,
            report.rows_rejected,
            report.rows_flagged,
            report.started_at,
            report.finished_at,
            report.outcome,
        ],
    )
    return import_id
