"""``python -m analytics sql``: one read-only query on the store, and nothing else.

The refusals are the point: every one exits 1 with one line on stderr and
leaves the store exactly as it was. The README's script is run as written.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import exports
import pytest
from conftest import ROOT

from analytics import cli, queries, store

HEADER = ["Ticket", "Opened", "Solved"]
MAPPING = {"ticket_id": "Ticket", "created_at": "Opened", "resolved_at": "Solved"}
SOURCES = {"emea": 14, "apac": 10}


def _fill(con, folder: Path) -> None:
    """Import SOURCES' tickets: enough rows that DuckLake writes Parquet files, not only the catalog."""
    for source, count in SOURCES.items():
        rows = [
            [
                f"{source}-{n:02d}",
                f"2024-03-{1 + n:02d} 09:00:00",
                "" if n % 3 else "2024-04-01 10:00",
            ]
            for n in range(count)
        ]
        path = exports.write_csv(folder / f"{source}.csv", HEADER, rows)
        exports.import_(con, path, preset="generic", mapping=MAPPING, source=source)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sql")
    path = folder / "store.sqlite"
    con = store.connect(path)
    _fill(con, folder)
    con.close()
    assert list(path.with_name("store.sqlite.files").rglob("*.parquet"))
    return path


def _run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _state(db: Path) -> tuple:
    """Return what a change to the store would change: its snapshot, rows and files."""
    con = store.connect(db, read_only=True)
    try:
        rows = exports.table_dump(con)
        version = store.data_version(con)
    finally:
        con.close()
    files = sorted(str(p) for p in db.with_name(db.name + ".files").rglob("*"))
    return version, rows, files


def test_a_count_on_the_store_prints_a_table(capsys, db):
    code, out, err = _run(
        capsys,
        "sql",
        "select source, count(*) as n from tickets group by all order by n",
        "--db",
        db,
    )
    assert code == 0, err
    assert out.split() == ["source", "n", "apac", "10", "emea", "14"]


def test_csv_has_a_header_and_a_row_per_ticket(capsys, db):
    query = "select ticket_id, created_at, resolved_at from tickets where source = 'apac'"
    code, out, err = _run(capsys, "sql", query, "--db", db, "--csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == SOURCES["apac"]
    assert list(rows[0]) == ["ticket_id", "created_at", "resolved_at"]
    by_id = {r["ticket_id"]: r for r in rows}
    assert by_id["apac-00"]["created_at"] == "2024-03-01 09:00:00+00:00"
    assert by_id["apac-01"]["resolved_at"] == ""  # a null is an empty cell


def test_json_is_an_array_of_objects_with_iso_times(capsys, db):
    query = "select ticket_id, created_at, resolved_at, flags from tickets order by ticket_id"
    code, out, err = _run(capsys, "sql", query, "--db", db, "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == sum(SOURCES.values())
    assert set(rows[0]) == {"ticket_id", "created_at", "resolved_at", "flags"}
    first = rows[0]
    assert first["ticket_id"] == "apac-00"
    assert datetime.fromisoformat(first["created_at"]) == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert datetime.fromisoformat(first["resolved_at"]) == datetime(2024, 4, 1, 10, tzinfo=UTC)
    assert rows[1]["resolved_at"] is None
    assert isinstance(first["flags"], list)


def test_text_output_escapes_control_characters(capsys, db):
    code, out, err = _run(capsys, "sql", "select 'red' || chr(27) || '[31m' as said", "--db", db)
    assert code == 0, err
    assert "\x1b" not in out
    assert "red\\x1b[31m" in out


@pytest.fixture
def outside(tmp_path) -> Path:
    """A CSV file and a SQLite database beside the store's folder, not in it."""
    exports.write_csv(tmp_path / "outside.csv", ["secret"], [["hunter2"]])
    with contextlib.closing(sqlite3.connect(tmp_path / "other.sqlite")) as other, other:
        other.execute("create table secret (word text)")
        other.execute("insert into secret values ('hunter2')")
    return tmp_path


REFUSALS = [
    ("insert", "insert into tickets select * from tickets", "not INSERT"),
    ("delete", "delete from tickets", "not DELETE"),
    ("drop", "drop table tickets", "not DROP"),
    ("attach", "attach '{outside}/attached.duckdb' as other", "not ATTACH"),
    ("copy-to", "copy tickets to '{outside}/copied.csv'", "not COPY"),
    ("set", "set threads = 1", "not SET"),
    ("call", "call ducklake_expire_snapshots('lake', older_than => now())", "not CALL"),
    ("second-statement", "select 1; delete from tickets", "one statement at a time"),
    ("pragma", "pragma version", "only a SELECT runs here"),
    ("read-csv", "select * from read_csv('{outside}/outside.csv')", "may not call read_csv()"),
    ("file-by-name", "select * from '{outside}/outside.csv'", "Permission Error"),
    ("glob", "select * from glob('/etc/*')", "may not call glob()"),
    ("sqlite-file", "from sqlite_scan('{outside}/other.sqlite', 'secret')", "may not call sqlite_scan()"),
    ("catalog-tables", "select * from __ducklake_metadata_lake.ducklake_snapshot", "is not the store"),
    ("snapshot-writer", "from ducklake_expire_snapshots('lake', dry_run => true)", "may not call ducklake_expire"),
    ("nested", "select (select count(*) from read_text('/etc/hostname')) from tickets", "may not call read_text()"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "said"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_anything_but_a_read_of_the_store_is_refused(capsys, db, outside, query, said):
    before = _state(db)
    code, out, err = _run(capsys, "sql", query.format(outside=outside), "--db", db)
    assert code == 1
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert said in err
    assert "hunter2" not in err
    assert _state(db) == before
    assert not (outside / "attached.duckdb").exists() and not (outside / "copied.csv").exists()


def test_a_query_leaves_the_callers_connection_as_it_was(tmp_path):
    con = store.connect(tmp_path / "store.sqlite")
    _fill(con, tmp_path)
    frame = queries.read_only_query(con, "select count(*) as n from tickets")
    assert frame["n"].tolist() == [sum(SOURCES.values())]
    # The caller's connection can still read files and write: only the query's own was fenced.
    path = exports.write_csv(tmp_path / "more.csv", HEADER, [["x-1", "2024-05-01 09:00", ""]])
    report = exports.import_(con, path, preset="generic", mapping=MAPPING, source="more")
    assert report.rows_inserted == 1
    con.close()


def test_a_store_on_postgresql_is_read_and_fenced_the_same(store_location, pg_process):
    con = store.connect(**store_location)
    _fill(con, Path(store_location.get("data_path") or store_location["path"]).parent)
    frame = queries.read_only_query(con, "select source, count(*) as n from tickets group by all")
    assert dict(zip(frame["source"], frame["n"], strict=True)) == SOURCES
    other = pg_process.url("postgres")
    for query in (
        f"select * from postgres_scan('{other}', 'pg_catalog', 'pg_user')",
        "select * from postgres_query('__ducklake_metadata_lake', 'select 1')",
        "select * from __ducklake_metadata_lake.ducklake_table",
    ):
        with pytest.raises(store.StoreError, match="may not call|is not the store"):
            queries.read_only_query(con, query)
    con.close()


def test_the_command_runs_as_a_process(db):
    done = subprocess.run(
        [sys.executable, "-m", "analytics", "sql", "select count(*) as n from tickets"]
        + ["--db", str(db), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"n": sum(SOURCES.values())}]


def readme_script() -> str:
    """Return the README's script, as written between its markers."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(
        r"<!-- script: start -->\n```python\n(.*?)```\n<!-- script: end -->", text, re.S
    )
    assert found, "README.md lost its script markers"
    return found.group(1)


def test_the_readme_script_reads_the_store(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    con = store.connect(data / "backlog_radar.sqlite")
    _fill(con, tmp_path)
    con.close()
    script = tmp_path / "script.py"
    script.write_text(readme_script(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["apac 10", "emea 14"]
