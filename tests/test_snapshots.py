"""The store's history: listing snapshots, undoing an import, maintenance, and their commands."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from exports import import_, write_csv

from analytics import access, cli, replica, snapshots, store

HEADER = ["Ticket", "Opened", "Answered", "Solved", "State"]
MAPPING = {
    "ticket_id": "Ticket",
    "created_at": "Opened",
    "first_response_at": "Answered",
    "resolved_at": "Solved",
    "status": "State",
}
ADMIN = access.User("alice", "admin", "local")
ANALYST = access.User("ana", "analyst", "local")
NOW = timedelta(0)  # no grace: files unneeded now are removed now


def rows(first: int, last: int, state: str = "Open", solved: str = "") -> list[list[str]]:
    """Return export rows for tickets T-first..T-last, all in ``state``."""
    return [
        [f"T-{i}", f"2024-03-{1 + i % 28:02d} 09:00:00", "", solved, state]
        for i in range(first, last + 1)
    ]


def load(con, tmp_path: Path, name: str, data: list, source: str = "desk", actor=ADMIN):
    """Import ``data`` as file ``name`` into ``source``; return the report."""
    path = write_csv(tmp_path / name, HEADER, data)
    return import_(con, path, source=source, preset="generic", mapping=MAPPING, actor=actor)


def tickets(con, source: str = "desk") -> list[tuple]:
    """Return every column of every ticket of ``source``, in a stable order."""
    return con.execute(
        "select * from tickets where source = ? order by ticket_id", [source]
    ).fetchall()


def parquet_files(folder: Path) -> set[Path]:
    return set(folder.rglob("*.parquet"))


@pytest.fixture
def con(tmp_path):
    con = store.connect(tmp_path / "store.sqlite")
    yield con
    con.close()


@pytest.fixture
def lake(store_location):
    """A new store on each kind of catalog: SQLite, then PostgreSQL."""
    con = store.connect(**store_location)
    yield con
    con.close()


# --- the list -------------------------------------------------------------------------------


def test_the_list_says_who_did_what_to_what_newest_first(con, tmp_path):
    load(con, tmp_path, "first.csv", rows(1, 20), actor=ANALYST)
    load(con, tmp_path, "second.csv", rows(1, 5, "Solved", "2024-03-20 10:00:00"), actor=ANALYST)
    load(con, tmp_path, "other.csv", rows(1, 3), source="other")
    store.delete_source(con, "other", actor=ADMIN)
    shown = snapshots.list_snapshots(con, limit=4)
    assert [(s.author, s.what, s.target, s.changes) for s in shown] == [
        ("alice", "delete source", "other", "imports removed, tickets removed"),
        ("alice", "import", "other", "imports added, tickets added"),
        ("ana", "import #2", "desk", "imports added, tickets changed"),
        ("ana", "import #1", "desk", "imports added, tickets added"),
    ]
    assert [s.id for s in shown] == sorted((s.id for s in shown), reverse=True)
    assert shown[0].at >= shown[-1].at
    # The import of "other" is gone with its source: no id, nothing to undo.
    assert shown[1].import_id is None
    # Only the latest import of a source can be undone.
    assert [s.undoable for s in shown] == [False, False, True, False]


def test_sign_ins_are_left_out_unless_asked_for(con, tmp_path):
    load(con, tmp_path, "first.csv", rows(1, 20))
    for action in ("sign_in", "sign_in_failed", "sign_out"):
        with store.transaction(con) as tx:
            access.record(tx, ANALYST, action, "127.0.0.1")
    assert snapshots.list_snapshots(con, limit=1)[0].what == "import #1"
    every = snapshots.list_snapshots(con, limit=3, include_sessions=True)
    assert [(s.action, s.changes) for s in every] == [
        ("sign_out", ""),
        ("sign_in_failed", ""),
        ("sign_in", ""),
    ]


# --- undo -----------------------------------------------------------------------------------

UNDO_CASES = {
    # A file of new tickets only.
    "added": rows(21, 30),
    # The same file again with five tickets solved since, and two new ones.
    "changed": rows(1, 5, "Solved", "2024-03-20 10:00:00") + rows(6, 22),
}


@pytest.mark.parametrize("case", sorted(UNDO_CASES))
def test_undo_puts_the_sources_tickets_back_exactly_as_before_the_import(lake, tmp_path, case):
    load(lake, tmp_path, "first.csv", rows(1, 20))
    load(lake, tmp_path, "other.csv", rows(1, 12), source="other")
    before, other = tickets(lake), tickets(lake, "other")
    bad = [["", "2024-03-01 09:00:00", "", "", "Open"]]  # a reject, to be forgotten too
    report = load(lake, tmp_path, "second.csv", UNDO_CASES[case] + bad)
    assert tickets(lake) != before and report.rows_rejected == 1
    load(lake, tmp_path, "later-other.csv", rows(13, 15), source="other")  # another source's
    other_now = tickets(lake, "other")
    version = store.data_version(lake)

    undone = snapshots.undo_import(lake, report.import_id, actor=ADMIN)

    assert tickets(lake) == before
    assert tickets(lake, "other") == other_now != other
    expected = (report.rows_inserted, report.rows_updated)
    assert (undone.tickets_removed, undone.tickets_restored) == expected
    assert (undone.source, undone.file_name) == ("desk", "second.csv")
    imports = lake.execute("select import_id from imports order by import_id").fetchall()
    assert report.import_id not in [i for (i,) in imports] and len(imports) == 3
    rejects = "select count(*) from rejects where import_id = ?"
    assert lake.execute(rejects, [report.import_id]).fetchone() == (0,)
    # One snapshot, labelled and audited.
    assert store.data_version(lake) == version + 1
    top = snapshots.list_snapshots(lake, limit=1)[0]
    assert (top.author, top.action, top.target) == ("alice", "undo_import", "desk")
    log = access.audit_log(lake, limit=1)
    assert log[["actor", "action", "target"]].values.tolist() == [["alice", "undo_import", "desk"]]
    detail = json.loads(log["detail"][0])
    assert detail == {
        "import_id": report.import_id,
        "file": "second.csv",
        "removed": expected[0],
        "restored": expected[1],
    }


def test_undoing_a_sources_only_import_leaves_it_no_ticket(con, tmp_path):
    report = load(con, tmp_path, "first.csv", rows(1, 20))
    undone = snapshots.undo_import(con, report.import_id, actor=ADMIN)
    assert (undone.tickets_removed, undone.tickets_restored) == (20, 0)
    assert tickets(con) == []
    assert store.list_sources(con) == []


def test_undo_refuses_an_unknown_import(con):
    with pytest.raises(store.StoreError, match=r"^no import #7 in the store$"):
        snapshots.undo_import(con, 7, actor=ADMIN)


def test_undo_refuses_an_import_with_a_later_one_of_its_source(con, tmp_path):
    first = load(con, tmp_path, "first.csv", rows(1, 20))
    load(con, tmp_path, "second.csv", rows(21, 25))
    before = tickets(con)
    message = r"^import #2 \(second\.csv\) came after import #1 into source 'desk': undo it first$"
    with pytest.raises(store.StoreError, match=message):
        snapshots.undo_import(con, first.import_id, actor=ADMIN)
    assert tickets(con) == before


def test_undo_refuses_an_import_whose_snapshot_before_expired(lake, tmp_path):
    report = load(lake, tmp_path, "first.csv", rows(1, 20))
    snapshots.maintain(lake, retention_days=0, actor=ADMIN)
    assert not snapshots.list_snapshots(lake, limit=100)[-1].undoable
    with pytest.raises(store.StoreError, match="maintenance expired the snapshot before it"):
        snapshots.undo_import(lake, report.import_id, actor=ADMIN)
    assert len(tickets(lake)) == 20


def test_only_admins_may_undo_an_import(con, tmp_path):
    report = load(con, tmp_path, "first.csv", rows(1, 20))
    with pytest.raises(access.PermissionDenied, match="undo import needs the admin role"):
        snapshots.undo_import(con, report.import_id, actor=ANALYST)
    assert len(tickets(con)) == 20


def test_undo_waits_for_the_write_lock_like_an_import(con, tmp_path):
    report = load(con, tmp_path, "first.csv", rows(1, 20))
    with (
        store.write_lock(con, "importing big.csv into source 'desk'"),
        pytest.raises(store.StoreBusyError, match="importing big.csv"),
    ):
        snapshots.undo_import(con, report.import_id, actor=ADMIN, lock_timeout=0.2)
    assert len(tickets(con)) == 20


# --- maintenance ----------------------------------------------------------------------------


def test_maintain_merges_small_files_and_keeps_the_data_and_its_readers(
    lake, store_location, tmp_path
):
    for n in range(4):
        load(lake, tmp_path, f"part{n}.csv", rows(1 + 20 * n, 20 * (n + 1)))
    load(lake, tmp_path, "update.csv", rows(1, 5, "Solved", "2024-03-20 10:00:00"))
    reader = store.connect(**store_location)  # another process's connection, opened before
    before = tickets(reader)
    sources = store.list_sources(reader)

    report = snapshots.maintain(lake, retention_days=0, actor=ADMIN, file_grace=NOW)

    assert report.files_merged >= 4 and report.files_written >= 1
    assert report.snapshots_expired > 0
    assert tickets(reader) == before == tickets(lake)
    assert store.list_sources(reader) == sources
    log = access.audit_log(lake, limit=1)
    assert log[["actor", "action"]].values.tolist() == [["alice", "maintain"]]
    assert json.loads(log["detail"][0])["files_merged"] == report.files_merged
    reader.close()


def test_maintain_removes_the_files_only_expired_snapshots_needed(lake, tmp_path):
    load(lake, tmp_path, "keep.csv", rows(1, 30), source="keep")
    load(lake, tmp_path, "gone.csv", rows(1, 40), source="gone")
    kept = tickets(lake, "keep")
    store.delete_source(lake, "gone", actor=ADMIN)
    # The tickets' own files: maintenance also moves small tables' rows to files of their own.
    folder = store.location(lake).data_path / "main" / "tickets"
    files_before = parquet_files(folder)

    report = snapshots.maintain(lake, retention_days=0, actor=ADMIN, file_grace=NOW)

    files_after = parquet_files(folder)
    assert len(files_after) < len(files_before)
    assert files_after < files_before  # nothing new: the one left was not merged
    assert report.files_removed >= len(files_before - files_after)
    assert report.bytes_freed > 0
    assert tickets(lake, "keep") == kept and tickets(lake, "gone") == []


def test_maintain_leaves_files_unneeded_for_less_than_the_grace(lake, tmp_path):
    for n in range(3):
        load(lake, tmp_path, f"part{n}.csv", rows(1 + 20 * n, 20 * (n + 1)))
    folder = store.location(lake).data_path / "main" / "tickets"
    report = snapshots.maintain(lake, retention_days=0, actor=ADMIN)
    assert report.files_merged == 3 and report.files_removed == 0
    # The merged files are scheduled for deletion, and still on disk for queries in flight.
    assert len(parquet_files(folder)) == 4
    later = snapshots.maintain(lake, retention_days=0, actor=ADMIN, file_grace=NOW)
    assert later.files_removed >= 3
    assert len(parquet_files(folder)) == 1


def test_an_import_of_the_retention_can_still_be_undone_after_maintenance(lake, tmp_path):
    for n in range(3):
        load(lake, tmp_path, f"part{n}.csv", rows(1 + 20 * n, 20 * (n + 1)))
    before = tickets(lake)
    report = load(lake, tmp_path, "again.csv", UNDO_CASES["changed"])
    done = snapshots.maintain(lake, retention_days=30, actor=ADMIN, file_grace=NOW)
    assert done.snapshots_expired == 0 and done.files_merged >= 3
    # Merged and flushed rows keep the snapshot that wrote them: the past reads the same.
    snapshots.undo_import(lake, report.import_id, actor=ADMIN)
    assert tickets(lake) == before


def test_only_admins_may_maintain(con):
    with pytest.raises(access.PermissionDenied, match="maintain needs the admin role"):
        snapshots.maintain(con, retention_days=0, actor=ANALYST)


def test_maintain_waits_for_the_write_lock(con):
    with (
        store.write_lock(con, "importing big.csv into source 'desk'"),
        pytest.raises(store.StoreBusyError, match="importing big.csv"),
    ):
        snapshots.maintain(con, retention_days=0, actor=ADMIN, lock_timeout=0.2)


def test_a_process_copy_of_the_tickets_follows_maintenance(con, tmp_path):
    load(con, tmp_path, "first.csv", rows(1, 20))
    reader = store.connect(tmp_path / "store.sqlite")
    replica.sync(reader)
    load(con, tmp_path, "second.csv", rows(21, 30))
    snapshots.maintain(con, retention_days=0, actor=ADMIN, file_grace=NOW)
    replica.sync(reader)
    cur = store.cursor(reader)
    replica.use(cur)
    assert cur.execute("select count(*) from tickets").fetchone() == (30,)


# --- the commands ---------------------------------------------------------------------------


def _run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_commands_list_undo_and_maintain(capsys, tmp_path):
    db = tmp_path / "cli.sqlite"
    first = write_csv(tmp_path / "first.csv", HEADER, rows(1, 20))
    second = write_csv(tmp_path / "second.csv", HEADER, rows(21, 25))
    for path in (first, second):
        code, _, err = _run(capsys, "import", path, "--db", db, "--source", "desk",
                            "--preset", "generic", *[f"--map={k}={v}" for k, v in MAPPING.items()])  # fmt: skip
        assert code == 0, err

    code, out, _ = _run(capsys, "snapshots", "--db", db, "--limit", "2")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    assert "import #2 desk: imports added, tickets added (undo-import possible)" in lines[0]
    assert lines[1].endswith("import #1 desk: imports added, tickets added")
    _, out, _ = _run(capsys, "snapshots", "--db", db, "--json", "--all")
    listed = json.loads(out)["snapshots"]
    assert set(listed[0]) == {
        "id", "at", "author", "action", "target", "changes", "import_id", "undoable",
    }  # fmt: skip
    assert listed[0]["author"].startswith("cli:")

    code, out, _ = _run(capsys, "undo-import", "2", "--db", db)
    assert (code, out) == (
        0,
        "undid import #2 (second.csv) of source 'desk': 5 tickets removed, 0 restored\n",
    )
    code, out, err = _run(capsys, "undo-import", "2", "--db", db)
    assert (code, out, err) == (1, "", "error: no import #2 in the store\n")

    code, out, _ = _run(capsys, "maintain", "--db", db, "--retention-days", "0", "--json")
    assert code == 0
    assert json.loads(out)["snapshots_expired"] > 0
    code, out, _ = _run(capsys, "maintain", "--db", db, "--grace-minutes", "0")
    assert code == 0 and "expired 0 snapshots older than 30 days" in out
    assert "removed " in out and "files no snapshot needs" in out
    con = store.connect(db)
    assert len(tickets(con)) == 20
    con.close()
