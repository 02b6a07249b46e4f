"""An old store (one DuckDB file, written by DuckDB 2.0.1) converts once into the store.

Old stores are written here as the previous release wrote them: by DuckDB
2.0.1, from the legacy folder ``make test`` installs, in a process of their
own (tests/legacy_store.py), which the tests' DuckDB 1.5.5 cannot read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import exports
import legacy_store
import pytest

from analytics import access, cli, convert, store
from analytics.settings import load_settings

LEGACY = convert.legacy_folder()
TESTS = Path(__file__).resolve().parent
OLD_IDS = {"next_import_id": 4, "next_event_id": 3, "next_effect_id": 2}
TABLES = (
    "tickets", "imports", "rejects", "events", "event_effects", "event_effect_profile",
    "audit_log", "staffing_plans",
)  # fmt: skip
# Every table of the old store, read by DuckDB 2.0.1 in a process of its own.
LEGACY_DUMP = """
import json, sys
sys.path[:0] = sys.argv[1:3]
import duckdb, legacy_store
con = duckdb.connect(sys.argv[3], read_only=True)
print(json.dumps(legacy_store.rows_by_table(con, sys.argv[4:])))
"""


def write_old_store(path: Path, version: int = 5) -> Path:
    """Write an old store at ``path`` with DuckDB 2.0.1, recording schema ``version``; return it."""
    assert (LEGACY / "duckdb").is_dir(), f"no DuckDB 2.0.1 in {LEGACY}: make test installs it"
    script = TESTS / "legacy_store.py"
    subprocess.run(
        [sys.executable, "-I", str(script), str(LEGACY), str(path), str(version)],
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture(scope="module")
def written_old(tmp_path_factory) -> Path:
    return write_old_store(tmp_path_factory.mktemp("old") / "backlog_radar.duckdb")


@pytest.fixture
def old(written_old, tmp_path) -> Path:
    """A test's own copy of the old store, beside where its new store goes."""
    (tmp_path / "data").mkdir()
    return Path(shutil.copy(written_old, tmp_path / "data" / "backlog_radar.duckdb"))


@pytest.fixture
def new(tmp_path) -> Path:
    return tmp_path / "data" / "backlog_radar.sqlite"


def _run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _old_rows(path: Path) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-I", "-c", LEGACY_DUMP, str(LEGACY), str(TESTS), str(path), *TABLES],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def _new_rows(path: Path) -> dict[str, list[str]]:
    con = store.connect(path, read_only=True)
    try:
        return legacy_store.rows_by_table(con, TABLES)
    finally:
        con.close()


def _tickets(path: Path) -> int:
    con = store.connect(path, read_only=True)
    try:
        return con.execute("select count(*) from tickets").fetchone()[0]
    finally:
        con.close()


def test_every_row_of_the_old_store_arrives(capsys, old, new):
    code, out, err = _run(capsys, "convert-store", old, "--db", new)
    assert code == 0, err
    assert f"converted {old} (schema version 5, read with DuckDB 2.0.1) into {new}" in out
    assert "  tickets: 3 rows" in out and "  rejects: 1 row" in out
    before, after = _old_rows(old), _new_rows(new)
    for table in TABLES:
        assert before[table], f"the old store's {table} is empty: the test proves nothing"
        if table == "audit_log":
            after[table] = [r for r in after[table] if '"convert_store"' not in r]
        assert after[table] == before[table], table


def test_the_conversion_is_in_the_audit_log(old, new):
    con = store.connect(new)
    convert.convert_store(old, con, actor=access.User("cli:alice", "admin", "cli"))
    row = con.execute(
        "select audit_id, actor, target, detail from audit_log where action = 'convert_store'"
    ).fetchone()
    con.close()
    assert row[:3] == (3, "cli:alice", str(old))
    assert json.loads(row[3])["tickets"] == 3


def test_ids_continue_after_the_old_ones(old, new, tmp_path):
    con = store.connect(new)
    convert.convert_store(old, con, actor=access.SYSTEM)
    meta = con.execute("select * from store_meta").fetchone()
    assert dict(zip(OLD_IDS, meta[:3], strict=True)) == OLD_IDS
    csv = exports.write_csv(tmp_path / "more.csv", ["Id", "Opened"], [["N-1", "2025-03-01 10:00"]])
    report = exports.import_(
        con, csv, preset="generic", mapping={"ticket_id": "Id", "created_at": "Opened"}
    )
    con.close()
    assert report.import_id == OLD_IDS["next_import_id"]  # the old store's largest was 3


def test_the_old_file_is_left_as_it_was(capsys, old, new):
    before = _sha256(old)
    files = sorted(old.parent.iterdir())
    code, _, err = _run(capsys, "convert-store", old, "--db", new)
    assert code == 0, err
    assert _sha256(old) == before
    assert {p for p in old.parent.iterdir() if p.name.startswith(old.name)} == {
        p for p in files if p.name.startswith(old.name)
    }  # no write-ahead log, no lock file beside it


def test_a_second_conversion_is_refused(capsys, old, new):
    assert _run(capsys, "convert-store", old, "--db", new)[0] == 0
    con = store.connect(new, read_only=True)
    version = store.data_version(con)
    con.close()
    code, out, err = _run(capsys, "convert-store", old, "--db", new)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and "already holds rows (3 in tickets" in err
    con = store.connect(new, read_only=True)
    assert store.data_version(con) == version
    con.close()


def test_audit_rows_written_before_the_conversion_follow_the_old_ones(old, new):
    con = store.connect(new)
    with store.transaction(con) as cur:
        access.record(cur, access.User("alice", "viewer", "local"), "sign_in", "alice")
    convert.convert_store(old, con, actor=access.SYSTEM)
    rows = con.execute("select audit_id, action from audit_log order by audit_id").fetchall()
    con.close()
    assert rows == [(1, "import"), (2, "edit_events"), (3, "sign_in"), (4, "convert_store")]


def test_a_missing_legacy_duckdb_says_how_to_install_it(capsys, old, new, tmp_path, monkeypatch):
    empty = tmp_path / "no-legacy"
    empty.mkdir()
    monkeypatch.setenv(convert.LEGACY_ENV, str(empty))
    code, out, err = _run(capsys, "convert-store", old, "--db", new)
    assert code == 1
    assert err.count("\n") == 1
    assert f"-m pip install --target {empty} duckdb==2.0.1" in err
    assert _tickets(new) == 0


def test_an_older_schema_says_to_open_it_with_the_previous_release(capsys, tmp_path, new):
    (tmp_path / "data").mkdir()
    old = write_old_store(tmp_path / "data" / "v4.duckdb", version=4)
    code, _, err = _run(capsys, "convert-store", old, "--db", new)
    assert code == 1
    assert err.count("\n") == 1
    assert "schema version 4, not 5" in err and "previous release" in err
    assert _tickets(new) == 0


def test_a_store_written_by_duckdb_1_5_needs_no_legacy_duckdb(tmp_path, monkeypatch, new):
    monkeypatch.setenv(convert.LEGACY_ENV, str(tmp_path / "nowhere"))
    old = tmp_path / "data" / "v15.duckdb"
    old.parent.mkdir()
    with duckdb.connect(str(old)) as con:
        legacy_store.fill(con)
    con = store.connect(new)
    report = convert.convert_store(old, con, actor=access.SYSTEM)
    con.close()
    assert report.read_with == duckdb.__version__
    assert report.rows["tickets"] == 3
    assert _tickets(new) == 3


def test_opening_an_old_store_names_the_command(old):
    with pytest.raises(store.OldStoreError, match=f"convert-store {old}"):
        store.connect(old)


def test_only_an_admin_converts(old, new):
    con = store.connect(new)
    with pytest.raises(access.PermissionDenied, match="needs the admin role"):
        convert.convert_store(old, con, actor=access.User("bob", "analyst", "local"))
    con.close()


def test_the_old_store_beside_an_empty_store_is_found_until_converted(old, new):
    settings = dataclasses.replace(load_settings({}), db_path=new, catalog=None, data_path=None)
    assert convert.old_store_beside(settings) == old  # no store yet
    con = store.connect(new)
    assert convert.old_store_beside(settings, con=con) == old  # an empty one
    convert.convert_store(old, con, actor=access.SYSTEM)
    assert convert.old_store_beside(settings, con=con) is None
    con.close()
    assert convert.old_store_beside(settings) is None


def test_nothing_beside_the_store_is_nothing_to_convert(tmp_path):
    settings = dataclasses.replace(load_settings({}), db_path=tmp_path / "backlog_radar.sqlite")
    assert convert.old_store_beside(settings) is None
