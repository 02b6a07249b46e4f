"""The store on a PostgreSQL catalog: a real server of the tests' own (tests/pg.py).

A shared store keeps its catalog in PostgreSQL and its Parquet files in a
data folder; these tests open it the way the app and the command line do,
from one process and from two.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from analytics import ingest, lake, store
from analytics.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
MAPPING = {"ticket_id": "Id", "created_at": "Created", "team": "Team"}
LATEST = store.migrations()[-1][0]


def _export(path: Path, rows: int, *, prefix: str = "T") -> Path:
    """Write a generic export of ``rows`` tickets."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Id,Created,Team\n")
        for n in range(rows):
            fh.write(f"{prefix}{n},2024-03-{1 + n % 28:02d} 09:{n % 60:02d},team {n % 3}\n")
    return path


def _import(con, path: Path, source: str) -> ingest.ImportReport:
    return ingest.import_file(
        con, path, source=source, preset="generic", mapping=MAPPING, settings=load_settings()
    )


def _sources(con) -> dict[str, int]:
    return {s.source: s.tickets for s in store.list_sources(con)}


# A second process opening the same store: it prints the sources it sees, then
# imports its own file when given one.
CHILD = """
import sys
from analytics import ingest, store
from analytics.settings import load_settings

catalog, data_path = sys.argv[1:3]
con = store.connect(None, catalog=catalog, data_path=data_path)
print(sorted(s.source for s in store.list_sources(con)), flush=True)
if len(sys.argv) > 3:
    ingest.import_file(
        con, sys.argv[3], source=sys.argv[4], preset="generic",
        mapping={"ticket_id": "Id", "created_at": "Created", "team": "Team"},
        settings=load_settings(),
    )
con.close()
"""


def _child(*args: object) -> str:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_new_store_on_postgresql_applies_every_migration(pg_catalog, tmp_path):
    con = store.connect(None, catalog=pg_catalog, data_path=tmp_path / "files")

    assert store.schema_version(con) == LATEST
    assert store.location(con).kind == "postgres"
    # The catalog is PostgreSQL's: DuckLake's tables are in the database itself.
    with psycopg.connect(pg_catalog) as pg:
        tables = {
            name
            for (name,) in pg.execute(
                "select table_name from information_schema.tables where table_schema = 'public'"
            )
        }
    assert {"ducklake_snapshot", "ducklake_table", "ducklake_data_file"} <= tables
    con.close()

    # Opening it again finds the schema there and applies nothing twice.
    again = store.connect(None, catalog=pg_catalog, data_path=tmp_path / "files")
    assert store.schema_version(again) == LATEST
    assert again.execute("select count(*) from schema_version").fetchone()[0] == len(
        store.migrations()
    )
    again.close()


def test_an_imported_csv_lands_in_the_postgresql_store(pg_catalog, tmp_path):
    con = store.connect(None, catalog=pg_catalog, data_path=tmp_path / "files")

    report = _import(con, _export(tmp_path / "desk.csv", 40), "desk")

    assert report.rows_inserted == 40
    assert _sources(con) == {"desk": 40}
    teams = con.execute("select count(distinct team) from tickets").fetchone()[0]
    assert teams == 3
    con.close()


def test_two_processes_on_one_postgresql_store_see_each_others_commits(pg_catalog, tmp_path):
    files = tmp_path / "files"
    con = store.connect(None, catalog=pg_catalog, data_path=files)
    _import(con, _export(tmp_path / "mine.csv", 10, prefix="M"), "mine")

    # The other process sees this one's commit, then commits its own import...
    seen = _child(pg_catalog, files, _export(tmp_path / "theirs.csv", 7, prefix="X"), "theirs")
    assert seen == "['mine']"

    # ...which this process's open connection sees at its next read.
    assert _sources(con) == {"mine": 10, "theirs": 7}
    assert _child(pg_catalog, files) == "['mine', 'theirs']"
    con.close()


def test_a_postgresql_stores_files_go_to_its_data_path(pg_catalog, tmp_path):
    files = tmp_path / "files"
    con = store.connect(None, catalog=pg_catalog, data_path=files)
    _import(con, _export(tmp_path / "desk.csv", 25), "desk")

    assert store.location(con).data_path == files.resolve()
    listed = [
        Path(f)
        for (f,) in con.execute(
            "select data_file from ducklake_list_files(current_database(), 'tickets')"
        ).fetchall()
    ]
    assert listed
    for path in listed:
        assert path.is_relative_to(files.resolve()) and path.is_file()
    # Nothing beside the data folder: the catalog is in PostgreSQL, not a file.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desk.csv", "files"]
    con.close()


def test_a_stopped_postgresql_catalog_is_named_in_one_line_and_the_store_opens_once_it_is_back(
    pg_server, pg_catalog, tmp_path
):
    files = tmp_path / "files"
    con = store.connect(None, catalog=pg_catalog, data_path=files)
    _import(con, _export(tmp_path / "desk.csv", 5), "desk")
    con.close()

    pg_server.stop()
    with pytest.raises(lake.CatalogError) as caught:
        store.connect(None, catalog=pg_catalog, data_path=files)
    assert "\n" not in str(caught.value)
    assert f"127.0.0.1:{pg_server.port}" in str(caught.value)

    pg_server.start()
    con = store.connect(None, catalog=pg_catalog, data_path=files)
    assert _sources(con) == {"desk": 5}
    con.close()


def test_a_new_store_opens_empty_at_the_latest_schema_on_either_catalog(store_location):
    con = store.connect(**store_location)

    assert store.schema_version(con) == LATEST
    assert store.location(con).kind == ("postgres" if store_location.get("catalog") else "sqlite")
    assert store.list_sources(con) == []
    con.close()
