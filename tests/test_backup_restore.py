"""The restore drill, on both catalogs: back up a store, change it, restore the backup elsewhere.

A backup is only as good as the restore it allows. Each test builds a real
store (a SQLite catalog, and a real PostgreSQL one from tests/pg.py), backs
it up with the command line as cron does, and restores it into a new
location, then reads every table back.
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import exports
import pytest

from analytics import backup, events, lake, store
from analytics.cli import main

MAPPING = {"ticket_id": "Id", "created_at": "Created", "team": "Team"}
EVENTS_CSV = (
    "name,kind,region,start,end\nSpring sale,marketing campaign,all,2024-03-04,2024-03-08\n"
)


def _export(path: Path, rows: int, *, prefix: str = "T") -> Path:
    """Write a generic export of ``rows`` tickets, every seventh undated (rejected)."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Id,Created,Team\n")
        for n in range(rows):
            created = "" if n % 7 == 3 else f"2024-03-{1 + n % 28:02d} 09:{n % 60:02d}"
            fh.write(f"{prefix}{n},{created},team {n % 5}\n")
    return path


def _import(con, path: Path) -> None:
    exports.import_(con, path, source="s", preset="generic", mapping=MAPPING)


def _every_table(con) -> dict[str, list[tuple]]:
    """Return the contents of every table of the store, the ones exports.table_dump reads and the rest."""
    names = [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'main' order by 1"
        ).fetchall()
    ]
    dump = exports.table_dump(con)
    for name in names:
        dump.setdefault(name, con.execute(f"select * from {name} order by all").fetchall())
    assert set(dump) == set(names)
    return dump


def _args(location: dict) -> list[str]:
    """Return the command-line arguments naming the store ``location`` (``store.connect``'s)."""
    if location.get("catalog"):
        return ["--catalog", location["catalog"], "--data-path", str(location["data_path"])]
    return ["--db", str(location["path"])]


@pytest.fixture
def new_location(store_location, request, tmp_path):
    """Return a maker of new, empty store locations of the same catalog kind as ``store_location``."""
    made = iter(range(1, 100))

    def make() -> dict:
        n = next(made)
        if store_location.get("catalog"):
            url = request.getfixturevalue("pg_server").create_database()
            return {"path": None, "catalog": url, "data_path": tmp_path / f"restored-{n}"}
        return {"path": tmp_path / f"restored-{n}" / "store.sqlite"}

    return make


@pytest.fixture
def built(store_location, tmp_path) -> dict:
    """``store.connect``'s arguments of a store holding source s (40 tickets, a few rejects) and an event."""
    con = store.connect(**store_location)
    _import(con, _export(tmp_path / "first.csv", 40))
    events_file = tmp_path / "events.csv"
    events_file.write_text(EVENTS_CSV, encoding="utf-8")
    events.import_events_csv(con, events_file, source="s")
    con.close()
    return store_location


def test_a_restored_backup_holds_every_table_as_it_was_when_backed_up(
    built, new_location, tmp_path
):
    con = store.connect(**built)  # the app stays open on the store throughout
    at_backup = _every_table(con)
    snapshot = store.data_version(con)

    assert main(["backup", str(tmp_path / "backup"), *_args(built)]) == 0
    _import(con, _export(tmp_path / "later.csv", 30, prefix="L"))
    after_import = _every_table(con)
    target = new_location()
    assert main(["restore", str(tmp_path / "backup"), *_args(target)]) == 0

    restored = store.connect(**target)
    assert _every_table(restored) == at_backup
    assert store.data_version(restored) == snapshot
    assert [e for e in events.all_events(restored)["name"]] == ["Spring sale"]
    # The restored store is a working store: it takes the later import too.
    _import(restored, _export(tmp_path / "later.csv", 30, prefix="L"))
    assert exports.table_dump(restored)["tickets"] == after_import["tickets"]
    restored.close()
    # The original still has the later import.
    assert _every_table(con) == after_import
    assert len(after_import["tickets"]) > len(at_backup["tickets"])
    con.close()


def test_a_backup_says_what_it_holds_and_never_a_password(built, tmp_path, capsys, monkeypatch):
    if built.get("catalog"):
        # Trust authentication: the server ignores the password, libpq still sends it.
        built = {**built, "catalog": built["catalog"].replace("postgres@", "postgres:s3cret@")}
    con = store.connect(**built)
    snapshot = store.data_version(con)
    con.close()
    calls: list[tuple[list[str], dict]] = []
    real_run = subprocess.run

    def run(argv, **kwargs):
        calls.append((argv, kwargs.get("env") or {}))
        return real_run(argv, **kwargs)

    monkeypatch.setattr(subprocess, "run", run)
    assert main(["backup", str(tmp_path / "backup"), "--json", *_args(built)]) == 0
    printed = json.loads(capsys.readouterr().out)

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest == printed
    kind = "postgres" if built.get("catalog") else "sqlite"
    assert manifest["catalog"] == kind
    assert manifest["snapshot_id"] == snapshot
    files = [p for p in (tmp_path / "backup" / "files").rglob("*") if p.is_file()]
    assert manifest["files"] == len(files) > 0
    assert manifest["bytes"] == sum(p.stat().st_size for p in files)
    assert (tmp_path / "backup" / backup.CATALOG_FILES[kind]).stat().st_mode & 0o077 == 0
    assert "s3cret" not in json.dumps(manifest)
    assert all("s3cret" not in " ".join(argv) for argv, _ in calls)
    dumps = [env for argv, env in calls if Path(argv[0]).name == "pg_dump"]
    assert [env.get("PGPASSWORD") for env in dumps] == (["s3cret"] if kind == "postgres" else [])


def test_a_restore_into_a_store_holding_data_is_refused_without_force(built, tmp_path, capsys):
    con = store.connect(**built)
    at_backup = _every_table(con)
    con.close()
    assert main(["backup", str(tmp_path / "backup"), *_args(built)]) == 0
    con = store.connect(**built)
    _import(con, _export(tmp_path / "later.csv", 30, prefix="L"))
    after_import = _every_table(con)
    con.close()
    capsys.readouterr()

    assert main(["restore", str(tmp_path / "backup"), *_args(built)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1
    assert "already holds data" in error and "--force" in error
    con = store.connect(**built)
    assert _every_table(con) == after_import
    con.close()

    assert main(["restore", str(tmp_path / "backup"), "--force", *_args(built)]) == 0
    con = store.connect(**built)
    assert _every_table(con) == at_backup
    con.close()


def test_a_backup_taken_while_others_read_and_import_holds_one_whole_state(
    built, new_location, tmp_path
):
    con = store.connect(**built)
    before = _every_table(con)
    reader = store.cursor(con)
    reader.execute("begin transaction")
    seen = reader.execute("select count(*) from tickets").fetchone()[0]
    big = _export(tmp_path / "big.csv", 20_000, prefix="B")
    errors: list[BaseException] = []
    reads: list[int] = []
    stop = threading.Event()

    def read() -> None:
        cur = store.cursor(con)
        try:
            while not stop.is_set():
                reads.append(cur.execute("select count(*) from tickets").fetchone()[0])
        except BaseException as exc:
            errors.append(exc)
        finally:
            cur.close()

    def write() -> None:
        cur = store.cursor(con)
        try:
            _import(cur, big)
        except BaseException as exc:
            errors.append(exc)
        finally:
            cur.close()

    threads = [threading.Thread(target=read), threading.Thread(target=write)]
    for t in threads:
        t.start()
    status = main(["backup", str(tmp_path / "backup"), *_args(built)])
    threads[1].join(timeout=300)
    stop.set()
    threads[0].join(timeout=60)
    # The reader's transaction still sees the store as it began, backup or not.
    assert reader.execute("select count(*) from tickets").fetchone()[0] == seen
    reader.execute("commit")
    assert status == 0 and not errors, errors
    after = _every_table(con)
    assert set(reads) <= {len(before["tickets"]), len(after["tickets"])} and reads
    con.close()

    target = new_location()
    assert main(["restore", str(tmp_path / "backup"), *_args(target)]) == 0
    restored = store.connect(**target)
    assert _every_table(restored) in (before, after)
    restored.close()


@pytest.mark.parametrize(
    ("url", "bare", "password"),
    [
        (
            "postgresql://radar@db.example.com/radar",
            "postgresql://radar@db.example.com/radar",
            None,
        ),
        ("postgresql://radar:s3cret@db:5433/radar", "postgresql://radar@db:5433/radar", "s3cret"),
        ("postgresql://radar:p%40ss%2Fw@db/radar", "postgresql://radar@db/radar", "p@ss/w"),
        (
            "postgresql://radar@db/radar?sslmode=require&password=s3cret",
            "postgresql://radar@db/radar?sslmode=require",
            "s3cret",
        ),
    ],
)
def test_the_password_leaves_the_url_for_the_environment(url, bare, password):
    assert backup.split_password(url) == (bare, password)


def test_a_backup_never_writes_into_a_folder_that_holds_something(tmp_path, capsys):
    db = tmp_path / "store.sqlite"
    store.connect(db).close()
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "notes.txt").write_text("keep me")

    assert main(["backup", str(tmp_path / "backup"), "--db", str(db)]) == 1
    assert "not an empty folder" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "backup").iterdir()] == ["notes.txt"]
    assert not list(tmp_path.glob(".backup.partial-*"))


def test_a_restore_needs_a_backup_of_the_same_catalog_kind(tmp_path, capsys):
    db = tmp_path / "store.sqlite"
    store.connect(db).close()
    assert main(["backup", str(tmp_path / "backup"), "--db", str(db)]) == 0
    capsys.readouterr()

    assert main(["restore", str(tmp_path), "--db", str(tmp_path / "new.sqlite")]) == 1
    assert "is not a backup" in capsys.readouterr().err
    where = lake.locate(None, catalog="postgresql://radar@db/radar", data_path=tmp_path / "f")
    with pytest.raises(backup.BackupError, match="restore it with --db FILE"):
        backup.restore(tmp_path / "backup", where)
    assert not (tmp_path / "new.sqlite").exists()
