"""The store's history: its snapshots, undoing an import, and maintenance.

Every write to the store is one transaction, so one DuckLake snapshot, and
the audit row it records labels the snapshot (:func:`analytics.access.record`):
its author is who wrote, its commit message the action, its extra info the
target. :func:`list_snapshots` reads them back in plain words.

DuckLake keeps every snapshot until it is expired, and can read a table as it
was at any snapshot kept (``from tickets at (version => N)``).
:func:`undo_import` uses that to put a source's tickets back as they were just
before an import, in one new snapshot, so the undo is itself history.
:func:`maintain` is what keeps that history from growing without end: it
expires snapshots older than the retention, merges small files and removes
the files no snapshot needs any more.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta

import duckdb

from analytics import access, access_words, i18n, store
from analytics.i18n import N_

# A file no snapshot needs is removed only once it has been unneeded this long:
# a query that listed its files just before still finds them (DuckLake's docs:
# "safe ... provided there are no read transactions that last that long"), and
# a Parquet file another host is writing for an import not yet committed is not
# taken for an orphan. Every query of the app lasts seconds, an import minutes.
FILE_GRACE = timedelta(hours=1)
_MAINTAIN = "maintain"


@dataclass(frozen=True)
class Snapshot:
    """One snapshot of the store: a committed write, newest first in listings.

    ``author``, ``action`` and ``target`` come from the audit row of the
    write (None for a snapshot nobody labelled); ``changes`` says in words
    which rows it added or removed ("imports added, tickets changed"), empty
    when it changed no data. ``import_id`` is set when the snapshot wrote an
    import still in the store, and ``undoable`` when :func:`undo_import`
    would accept it now.
    """

    id: int
    at: datetime
    author: str | None
    action: str | None
    target: str | None
    changes: str
    import_id: int | None = None
    undoable: bool = False

    @property
    def what(self) -> str:
        """Return the action in words, with the import's id: "import #3", "delete source"."""
        words = (self.action or "").replace("_", " ")
        return f"{words} #{self.import_id}" if self.import_id is not None else words


@dataclass(frozen=True)
class UndoReport:
    """What undoing an import did: the tickets it removed (the import had added
    them) and those it restored as they were before (the import had changed them),
    and the tickets whose satisfaction rating it put back as it was (none
    for a ticket the import first rated)."""

    import_id: int
    source: str
    file_name: str
    tickets_removed: int
    tickets_restored: int
    ratings_undone: int = 0


@dataclass(frozen=True)
class MaintenanceReport:
    """What :func:`maintain` did.

    ``bytes_freed`` is None when the size of a removed file could not be
    read (a data path that is not a local folder).
    """

    rows_flushed: int
    snapshots_expired: int
    files_merged: int
    files_written: int
    files_removed: int
    bytes_freed: int | None


@dataclass(frozen=True)
class _ImportState:
    """One row of ``imports_undo_state.sql``."""

    import_id: int
    source: str
    file_name: str
    written_in: int
    before: int
    before_kept: bool
    same_schema: bool
    later_import_id: int | None
    later_file_name: str | None

    @property
    def undoable(self) -> bool:
        return self.later_import_id is None and self.before_kept and self.same_schema


def list_snapshots(
    con: duckdb.DuckDBPyConnection, limit: int = 50, include_sessions: bool = False
) -> list[Snapshot]:
    """Return the latest ``limit`` snapshots of the store, newest first.

    Sign-ins, failed sign-ins and sign-outs are snapshots too (they write the
    audit log); they are left out unless ``include_sessions``.

    Examples
    --------
    >>> [s.action for s in list_snapshots(con, limit=2)]  # doctest: +SKIP
    ['undo_import', 'import']
    """
    params = {"limit": int(limit), "include_sessions": bool(include_sessions)}
    with store.transaction(con) as cur:
        rows = cur.execute(store.load_sql("snapshots_recent"), params).fetchall()
        imports = {state.written_in: state for state in _import_states(cur, None)}
    shown = []
    for row in rows:
        state = imports.get(row[0])
        shown.append(
            Snapshot(
                *row,
                import_id=state.import_id if state else None,
                undoable=bool(state and state.undoable),
            )
        )
    return shown


def undo_import(
    con: duckdb.DuckDBPyConnection,
    import_id: int,
    *,
    actor: access.User,
    lock_timeout: float = store.WRITE_LOCK_TIMEOUT_S,
) -> UndoReport:
    """Put the tickets of import ``import_id``'s source back as they were just before it; return what changed.

    One transaction, so one snapshot: the source's tickets as of the snapshot
    before the import's, the import's row and rejects forgotten, and an
    ``undo_import`` audit row. Waits up to ``lock_timeout`` seconds for
    another write (see :func:`analytics.store.write_lock`).

    Raises
    ------
    analytics.store.StoreError
        When there is no such import, when a later import of the same source
        must be undone first, or when maintenance expired the snapshot before it.
    analytics.access.PermissionDenied
        When ``actor`` may not undo imports.
    """
    access.require(actor, "undo_import")
    cur = store.cursor(con)
    try:
        with store.write_lock(cur, f"undoing import #{import_id}", timeout=lock_timeout):
            return store.retrying(lambda: _undo(cur, import_id, actor))
    finally:
        cur.close()


def _undo(cur: duckdb.DuckDBPyConnection, import_id: int, actor: access.User) -> UndoReport:
    """Undo the import in one transaction on ``cur``; return what changed."""
    with store.transaction(cur, fresh_cursor=False):
        state = _undoable(cur, import_id)
        tickets = {"source": state.source, "before": state.before}
        cur.execute(store.load_sql("undo_import_changes"), tickets)
        removed, restored = cur.execute(store.load_sql("undo_import_counts")).fetchone()
        cur.execute(store.load_sql("undo_import_remove"), {"source": state.source})
        cur.execute(store.load_sql("undo_import_restore"), tickets)
        cur.execute("drop table _undo_changes")
        ratings = _undo_ratings(cur, tickets)
        cur.execute(store.load_sql("undo_import_delete_rejects"), {"import_id": import_id})
        cur.execute(store.load_sql("undo_import_delete_import"), {"import_id": import_id})
        report = UndoReport(import_id, state.source, state.file_name, removed, restored, ratings)
        detail = {
            "import_id": import_id,
            "file": state.file_name,
            "removed": removed,
            "restored": restored,
        }
        if ratings:
            detail["ratings"] = ratings
        access.record(cur, actor, "undo_import", state.source, detail)
    return report


def _undo_ratings(cur: duckdb.DuckDBPyConnection, params: dict) -> int:
    """Put the source's ratings back as they were at snapshot ``before``; return how many tickets changed.

    Runs inside the undo's transaction, after the tickets are back.
    """
    cur.execute(store.load_sql("undo_import_ratings_changes"), params)
    changed = cur.execute("select count(*) from _undo_rating_changes").fetchone()[0]
    if changed:
        cur.execute(store.load_sql("undo_import_ratings_remove"), {"source": params["source"]})
        cur.execute(store.load_sql("undo_import_ratings_restore"), params)
    cur.execute("drop table _undo_rating_changes")
    return changed


def _undoable(cur: duckdb.DuckDBPyConnection, import_id: int) -> _ImportState:
    """Return the state of import ``import_id``; raise StoreError saying why it cannot be undone."""
    found = _import_states(cur, import_id)
    if not found:
        raise store.StoreError(f"no import #{import_id} in the store")
    state = found[0]
    if state.later_import_id is not None:
        raise store.StoreError(
            f"import #{state.later_import_id} ({state.later_file_name}) came after import "
            f"#{import_id} into source {state.source!r}: undo it first"
        )
    if not state.before_kept:
        raise store.StoreError(
            f"import #{import_id} can no longer be undone: maintenance expired the "
            "snapshot before it (see [store] snapshot_retention_days)"
        )
    if not state.same_schema:
        raise store.StoreError(
            f"import #{import_id} can no longer be undone: the store's tables changed since"
        )
    return state


def _import_states(cur: duckdb.DuckDBPyConnection, import_id: int | None) -> list[_ImportState]:
    """Return the undo state of every import, or of ``import_id`` only."""
    rows = cur.execute(store.load_sql("imports_undo_state"), {"import_id": import_id}).fetchall()
    return [_ImportState(*row) for row in rows]


def maintain(
    con: duckdb.DuckDBPyConnection,
    *,
    retention_days: float,
    actor: access.User,
    file_grace: timedelta = FILE_GRACE,
    lock_timeout: float = store.WRITE_LOCK_TIMEOUT_S,
) -> MaintenanceReport:
    """Flush small writes to files, expire old snapshots, merge small files and remove
    unneeded ones; return what was done.

    In DuckLake's order (its ``CHECKPOINT``): the rows small writes keep in
    the catalog go to Parquet files; snapshots older than ``retention_days``
    expire (the latest is always kept), so imports before them can no longer
    be undone; adjacent small files merge; files no snapshot needs, and
    Parquet files the catalog does not know, are deleted once unneeded for
    ``file_grace``. Under the store's write lock, so no import on this host
    runs meanwhile; readers keep reading. Recorded in the audit log.

    Raises
    ------
    analytics.access.PermissionDenied
        When ``actor`` is not an admin.
    analytics.store.StoreBusyError
        When another write holds the store for longer than ``lock_timeout``.
    """
    # Expiring history takes away what undo needs, as deleting a source does: the same role.
    access.require(actor, "maintain")
    if retention_days < 0 or file_grace < timedelta(0):
        raise store.StoreError("the retention and the file grace cannot be negative")
    now = datetime.now(UTC)
    cur = store.cursor(con)
    try:
        with store.write_lock(cur, "maintaining the store", timeout=lock_timeout):
            (flushed,) = _maintenance_step(cur, actor, "maintain_flush")
            expired = _expire(cur, actor, now - timedelta(days=retention_days))
            merged, written = _maintenance_step(cur, actor, "maintain_merge")
            # Files are scheduled for deletion at the catalog's clock as the steps above commit.
            removed, freed = _remove_files(cur, actor, datetime.now(UTC), file_grace)
            report = MaintenanceReport(flushed, expired, merged, written, removed, freed)
            with store.transaction(cur, fresh_cursor=False):
                access.record(cur, actor, _MAINTAIN, None, asdict(report))
    finally:
        cur.close()
    return report


def _maintenance_step(cur: duckdb.DuckDBPyConnection, actor: access.User, name: str, **params):
    """Run ``sql/<name>.sql`` in a transaction of its own, its snapshot (if any) labelled
    as maintenance by ``actor``; return its one row."""

    def run() -> tuple:
        with store.transaction(cur, fresh_cursor=False):
            store.commit_message(cur, _MAINTAIN, None, actor=actor.name)
            return cur.execute(store.load_sql(name), params).fetchone()

    return store.retrying(run)


def _expire(cur: duckdb.DuckDBPyConnection, actor: access.User, older_than: datetime) -> int:
    """Expire the snapshots taken before ``older_than`` but the latest; return how many."""
    (versions,) = cur.execute(
        store.load_sql("maintain_expiring"), {"older_than": older_than}
    ).fetchone()
    if not versions:
        return 0
    (expired,) = _maintenance_step(cur, actor, "maintain_expire", versions=versions)
    return expired


def _remove_files(
    cur: duckdb.DuckDBPyConnection, actor: access.User, now: datetime, grace: timedelta
) -> tuple[int, int | None]:
    """Delete the files scheduled for deletion and the orphaned ones, unneeded for longer
    than ``grace``; return how many, and their bytes (None if a size was unreadable)."""
    removed, freed = 0, 0
    cutoffs = {
        "maintain_old_files": _schedule_cutoff(cur, now - grace, grace),
        "maintain_orphaned_files": now - grace,  # compared with the files' own times
    }
    for name, older_than in cutoffs.items():
        params = {"older_than": older_than, "dry_run": True}
        # Sizes first: once deleted, a file has none to read.
        listed = cur.execute(store.load_sql(name), params).fetchall()
        sizes = {path: _size(path) for (path,) in listed}
        paths = [path for (path,) in _maintenance_rows(cur, actor, name, older_than)]
        removed += len(paths)
        for path in paths:
            size = sizes.get(path)
            freed = None if freed is None or size is None else freed + size
    return removed, freed


def _schedule_cutoff(
    cur: duckdb.DuckDBPyConnection, cutoff: datetime, grace: timedelta
) -> datetime:
    """Return the ``older_than`` that makes ``ducklake_cleanup_old_files`` delete only the files
    scheduled before ``cutoff``.

    DuckLake 1.5.5 compares a SQLite catalog's schedule times with it as text
    ("2026-03-02 17:00:00+00" < "2026-03-02T09:00:00"), so every file
    scheduled on the cutoff's day would go: the day before is asked for
    instead, which keeps files up to a day longer than ``grace``, never
    shorter. Without a grace every scheduled file goes anyway.
    """
    if grace and store.location(cur).kind == "sqlite":
        return datetime.combine(cutoff.date(), time.min, UTC) - timedelta(microseconds=1)
    return cutoff


def _maintenance_rows(
    cur: duckdb.DuckDBPyConnection, actor: access.User, name: str, older_than: datetime
) -> list[tuple]:
    """Run the file clean-up ``sql/<name>.sql`` for real, in a transaction of its own; return its rows.

    Not retried: the files are gone as soon as it runs, whatever the commit does.
    """
    with store.transaction(cur, fresh_cursor=False):
        store.commit_message(cur, _MAINTAIN, None, actor=actor.name)
        params = {"older_than": older_than, "dry_run": False}
        return cur.execute(store.load_sql(name), params).fetchall()


def _size(path: str) -> int | None:
    """Return the size of the local file ``path`` in bytes, None if it cannot be read."""
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return None


# The phrases of a snapshot's changes (sql/snapshots_recent.sql), for the reader's language.
CHANGES = {
    "added": N_("{table} added"),
    "changed": N_("{table} changed"),
    "removed": N_("{table} removed"),
    "store created": N_("store created"),
    "tables created": N_("tables created"),
    "tables altered": N_("tables altered"),
    "tables dropped": N_("tables dropped"),
    "small writes moved to files": N_("small writes moved to files"),
    "files merged": N_("files merged"),
    "files rewritten": N_("files rewritten"),
}


def describe_action(shot: Snapshot, lang: str = "en") -> str:
    """Return a snapshot's write in words in ``lang``, with its import's number: "import #3"."""
    action = shot.action or ""
    named = access_words.ACTION_NAMES.get(action)
    words = i18n.gettext(lang, named) if named else action.replace("_", " ")
    if shot.import_id is None:
        return words
    return i18n.gettext(lang, "{action} #{import_id}").format(
        action=words, import_id=shot.import_id
    )


def describe_changes(text: str, lang: str = "en") -> str:
    """Return a snapshot's changes ("imports added, tickets changed") in ``lang``."""
    phrases = []
    for phrase in filter(None, text.split(", ")):
        table = re.fullmatch(r"(\w+) (added|changed|removed)", phrase)
        if table:
            phrases.append(i18n.gettext(lang, CHANGES[table[2]]).format(table=table[1]))
        else:
            known = CHANGES.get(phrase)
            phrases.append(i18n.gettext(lang, known) if known else phrase)
    return ", ".join(phrases)
