"""A store made before events had a source keeps its events when it is opened.

The old store is built with the migrations that preceded the source scope,
applied as ``store.migrate`` applies them, then filled as `make run` filled it:
the sample's tickets, then the sample's events file, plus an analyst's event.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analytics import events, ingest, store
from analytics.settings import load_settings

SCOPED_FROM = 5  # the migration that gave events a source


def old_store(path: Path) -> duckdb.DuckDBPyConnection:
    """Return a connection to a new store at the schema before events had a source."""
    con = duckdb.connect(str(path))
    con.execute(
        "create table schema_version (version integer primary key, applied_at timestamptz not null)"
    )
    for version, migration in store.migrations():
        if version < SCOPED_FROM:
            con.execute(migration.read_text(encoding="utf-8"))
            con.execute("insert into schema_version values (?, now())", [version])
    return con


def old_events(con: duckdb.DuckDBPyConnection, csv_path: Path) -> None:
    """Insert the rows of an events file, and an analyst's event, as the old import did."""
    for row in events.parse_events_csv(csv_path.read_text(encoding="utf-8")):
        con.execute(
            "insert into events (name, kind, region, starts_on, ends_on, notes) "
            "values ($name, $kind, $region, $starts_on, $ends_on, $notes)",
            {k: row[k] for k in ("name", "kind", "region", "starts_on", "ends_on", "notes")},
        )
    con.execute(
        "insert into events (name, kind, region, starts_on, notes) "
        "values ('Price rise', 'product launch', 'all', '2023-03-01', 'Told by the sales team')"
    )


@pytest.fixture
def sample_files(tmp_path, sample_desk):
    """The default three-year story, thinly: every kind of the sample's events."""
    return sample_desk(scale=0.02)


@pytest.mark.parametrize("with_sample_source", [True, False])
def test_existing_events_survive_and_the_samples_own_go_to_the_sample(
    tmp_path, sample_files, with_sample_source
):
    path = tmp_path / "old.duckdb"
    con = old_store(path)
    source = "sample" if with_sample_source else "helpdesk"
    ingest.import_file(con, sample_files.tickets_csv, source=source, settings=load_settings())
    old_events(con, sample_files.events_csv)
    before = con.execute("select event_id, name from events order by event_id").fetchall()
    con.close()

    con = store.connect(path)
    try:
        assert store.schema_version(con) >= SCOPED_FROM
        after = events.all_events(con)
        assert sorted(zip(after["event_id"], after["name"], strict=True)) == before
        scopes = dict(zip(after["name"], after["source"], strict=True))
        assert scopes.pop("Price rise") == events.ALL_SOURCES
        assert scopes == dict.fromkeys(scopes, "sample" if with_sample_source else "all")
        assert {"Rentrée 2025", "Christmas 2025", "New interface: Europe"} <= set(scopes)
    finally:
        con.close()


def test_after_the_migration_an_every_source_event_is_still_there_once(tmp_path, sample_files):
    path = tmp_path / "old.duckdb"
    con = old_store(path)
    old_events(con, sample_files.events_csv)
    con.close()
    con = store.connect(path)
    try:
        assert events.add_public_holidays(con, "FR", "all", [2023]) == 11
        assert events.add_public_holidays(con, "FR", "all", [2023]) == 11
        holidays = events.all_events(con)
        assert len(holidays[holidays["notes"] == "Public holiday (FR)"]) == 11
        with pytest.raises(duckdb.ConstraintException):
            con.execute(
                "insert into events (name, kind, region, starts_on) "
                "values ('Price rise', 'outage', 'all', '2023-03-01')"
            )
    finally:
        con.close()
