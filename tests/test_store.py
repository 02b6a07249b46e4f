"""The store: schema migrations on open, sources listed and deleted as a whole."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys

import duckdb
import exports
import pytest

from analytics import db, store

ROOT = exports.ROOT

HEADER = ["Ticket", "Opened", "Solved"]
MAPPING = {"ticket_id": "Ticket", "created_at": "Opened", "resolved_at": "Solved"}


def _fill(con, tmp_path, source, rows):
    path = exports.write_csv(tmp_path / f"{source}.csv", HEADER, rows)
    return exports.import_(con, path, preset="generic", mapping=MAPPING, source=source)


def test_opening_a_new_store_applies_every_migration(tmp_path):
    con = store.connect(tmp_path / "new.sqlite")
    versions = [v for v, _ in store.migrations()]
    assert versions and versions[0] == 1
    assert [
        r[0] for r in con.execute("select version from schema_version order by 1").fetchall()
    ] == versions
    assert store.schema_version(con) == versions[-1]
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert {"tickets", "imports", "rejects", "store_meta", "schema_version"} <= tables
    # one snapshot per migration, labelled for the snapshots list
    labels = con.execute(
        "select author, commit_message from ducklake_snapshots(current_database()) "
        "where snapshot_id = ?",
        [store.data_version(con)],
    ).fetchone()
    assert labels == ("system", "migrate")


def test_reopening_a_store_applies_nothing_again_and_keeps_data(tmp_path):
    path = tmp_path / "store.sqlite"
    con = store.connect(path)
    _fill(con, tmp_path, "a", [["1", "2024-03-12 09:00:00", ""]])
    before = exports.table_dump(con)
    con.close()
    con = store.connect(path)
    assert exports.table_dump(con) == before  # schema_version rows and applied_at included
    assert store.migrate(con) == store.schema_version(con)
    assert exports.table_dump(con) == before


@pytest.fixture
def migrations_dir(tmp_path, monkeypatch):
    folder = tmp_path / "migrations"
    shutil.copytree(store.MIGRATIONS_DIR, folder)
    monkeypatch.setattr(db, "MIGRATIONS_DIR", folder)  # read by db.migrations()
    return folder


def test_a_new_migration_is_applied_once_on_the_next_open(tmp_path, migrations_dir):
    path = tmp_path / "store.sqlite"
    store.connect(path).close()
    (migrations_dir / "900_add_notes.sql").write_text(
        "alter table tickets add column note varchar;"
    )
    con = store.connect(path)
    assert store.schema_version(con) == 900
    assert "note" in [r[0] for r in con.execute("describe tickets").fetchall()]
    con.close()
    con = store.connect(path)  # a second apply would fail: the column exists
    assert con.execute("select count(*) from schema_version where version = 900").fetchone()[0] == 1


def test_a_failing_migration_leaves_the_schema_as_it_was(tmp_path, migrations_dir):
    path = tmp_path / "store.sqlite"
    store.connect(path).close()
    (migrations_dir / "900_broken.sql").write_text(
        "create table half_done (x integer); alter table no_such_table add column y integer;"
    )
    with pytest.raises(duckdb.Error):
        store.connect(path)
    con = store.connect(path, read_only=True)
    latest = max(v for v, _ in store.migrations() if v < 900)
    assert con.execute("select max(version) from schema_version").fetchone()[0] == latest
    names = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert "half_done" not in names


def test_sources_are_listed_with_counts_and_span(tmp_path):
    con = store.connect()
    _fill(con, tmp_path, "b", [["1", "2024-03-12 09:00:00", "2024-03-12 10:00:00"],
                               ["2", "2024-03-14 09:00:00", ""]])  # fmt: skip
    _fill(con, tmp_path, "a", [["1", "2024-01-01 00:00:00", ""]])
    summaries = store.list_sources(con)
    assert [(s.source, s.tickets, s.open_tickets, s.imports) for s in summaries] == [
        ("a", 1, 1, 1),
        ("b", 2, 1, 1),
    ]
    b = summaries[1]
    assert (b.first_created_at.isoformat(), b.last_created_at.isoformat()) == (
        "2024-03-12T09:00:00+00:00",
        "2024-03-14T09:00:00+00:00",
    )


def test_delete_source_removes_only_that_source(tmp_path):
    con = store.connect()
    rows = [["1", "2024-03-12 09:00:00", ""], ["", "2024-03-12 09:00:00", ""]]
    _fill(con, tmp_path, "keep", rows)
    gone = _fill(con, tmp_path, "gone", rows + [["2", "2024-03-13 09:00:00", ""]])
    kept = {
        t: con.execute(
            f"select * from {t} where import_id <> ? order by all", [gone.import_id]
        ).fetchall()
        for t in ("tickets", "imports", "rejects")
    }
    version = store.data_version(con)
    assert store.delete_source(con, "gone") == 2
    for table, rows_before in kept.items():
        assert con.execute(f"select * from {table} order by all").fetchall() == rows_before
    assert [s.source for s in store.list_sources(con)] == ["keep"]
    assert store.data_version(con) == version + 1


def test_deleting_an_unknown_source_says_so(tmp_path):
    con = store.connect()
    _fill(con, tmp_path, "a", [["1", "2024-03-12 09:00:00", ""]])
    before = exports.table_dump(con)
    with pytest.raises(store.StoreError, match="no source named 'b'"):
        store.delete_source(con, "b")
    assert exports.table_dump(con) == before


def test_timestamps_come_back_in_utc_whatever_the_session_zone(tmp_path):
    path = tmp_path / "s.sqlite"
    con = store.connect(path)
    _fill(con, tmp_path, "a", [["1", "2024-03-12T09:00:00+02:00", ""]])
    con.close()
    con = store.connect(path)
    (created,) = con.execute("select created_at from tickets").fetchone()
    assert created.isoformat() == "2024-03-12T07:00:00+00:00"


@pytest.mark.parametrize("read_only", [False, True])
def test_a_store_hands_large_freed_buffers_back_to_the_system(tmp_path, read_only):
    path = tmp_path / "s.sqlite"
    store.connect(path).close()
    con = store.connect(path, read_only=read_only)
    (threshold,) = con.execute(
        "select current_setting('allocator_bulk_deallocation_flush_threshold')"
    ).fetchone()
    # an all-time page releases buffers of 8 MiB; DuckDB's default is 512 MiB
    assert threshold == "6.0 MiB"


def test_a_new_store_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "private.sqlite"
    store.connect(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


READER = """
import sys, time
from analytics import store
con = store.connect(sys.argv[1])
print(con.execute("select count(*) from tickets").fetchone()[0], flush=True)
# A second connection in the same process, as the app's HTTP layer keeps one.
other = store.connect(sys.argv[1])
sys.stdin.readline()  # the other process imports meanwhile
print(store.cursor(con).execute("select count(*) from tickets").fetchone()[0], flush=True)
"""


def test_a_process_holding_the_store_open_sees_another_process_import(tmp_path):
    path = tmp_path / "shared.sqlite"
    store.connect(path).close()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(path)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert reader.stdout.readline().strip() == "0"
        # Opening the store several times in this process (as the app's two
        # connections do) must not disturb the reader's view of the catalog.
        for _ in range(3):
            store.connect(path).close()
        con = store.connect(path)
        _fill(
            con, tmp_path, "a", [["1", "2024-03-12 09:00:00", ""], ["2", "2024-03-12 10:00:00", ""]]
        )
        out, _ = reader.communicate("go\n", timeout=60)
    finally:
        reader.kill()
    assert out.strip() == "2"
