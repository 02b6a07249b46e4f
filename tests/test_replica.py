"""The process's copy of the tickets: when a sync asks the catalog, and what it then sees."""

from __future__ import annotations

import os
import time

import pytest
from exports import import_, write_csv

from analytics import db, replica, store

HEADER = ["Ticket", "Opened"]
MAPPING = {"ticket_id": "Ticket", "created_at": "Opened"}


def load(con, tmp_path, name: str, first: int, last: int) -> None:
    rows = [[f"T-{i}", "2024-03-01 09:00:00"] for i in range(first, last + 1)]
    path = write_csv(tmp_path / name, HEADER, rows)
    import_(con, path, source="desk", preset="generic", mapping=MAPPING)


def settle(catalog) -> None:
    """Date the catalog and its write-ahead log a minute back, as after a quiet minute."""
    past = time.time() - 60
    for path in (catalog, catalog.with_name(catalog.name + "-wal")):
        if path.exists():
            os.utime(path, (past, past))


def copied(con) -> int:
    replica.sync(con)
    cur = store.cursor(con)
    replica.use(cur)
    return cur.execute("select count(*) from tickets").fetchone()[0]


@pytest.fixture
def lookups(monkeypatch) -> list[int]:
    """Record every catalog lookup of the latest snapshot."""
    seen: list[int] = []
    real = db.data_version

    def counted(con):
        seen.append(version := real(con))
        return version

    monkeypatch.setattr(db, "data_version", counted)
    return seen


def test_a_settled_catalog_is_not_asked_again(tmp_path, lookups):
    catalog = tmp_path / "store.sqlite"
    con = store.connect(catalog)
    load(con, tmp_path, "a.csv", 1, 3)
    settle(catalog)
    assert copied(con) == 3
    asked = len(lookups)
    assert copied(con) == 3
    assert len(lookups) == asked


def test_a_catalog_written_just_now_is_asked_every_time(tmp_path, lookups):
    con = store.connect(tmp_path / "store.sqlite")
    load(con, tmp_path, "a.csv", 1, 3)
    copied(con)
    asked = len(lookups)
    copied(con)
    assert len(lookups) == asked + 1


def test_a_commit_after_the_catalog_settled_is_seen_at_the_next_sync(tmp_path):
    catalog = tmp_path / "store.sqlite"
    writer = store.connect(catalog)
    load(writer, tmp_path, "a.csv", 1, 3)
    reader = store.connect(catalog, read_only=True)
    settle(catalog)
    assert copied(reader) == 3
    load(writer, tmp_path, "b.csv", 4, 9)
    assert copied(reader) == 9


def test_a_postgresql_catalog_is_asked_at_every_sync(tmp_path):
    assert replica.catalog_stamp(None) is None


def test_sessions_starting_together_share_one_copy_and_all_see_the_tickets(tmp_path):
    # The app's sessions share one connection across threads: the first runs of
    # a morning all find no copy attached, and a just-written catalog makes
    # every one of them ask for the latest snapshot at once.
    from concurrent.futures import ThreadPoolExecutor

    catalog = tmp_path / "store.sqlite"
    writer = store.connect(catalog)
    load(writer, tmp_path, "a.csv", 1, 5)
    con = store.connect(catalog, read_only=True)
    with ThreadPoolExecutor(8) as pool:
        versions = list(pool.map(lambda _: replica.sync(con), range(32)))
    assert len(set(versions)) == 1
    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda _: copied(con), range(16)))
    assert counts == [5] * 16


def test_the_servers_warm_up_copies_every_ticket_of_the_store(tmp_path, monkeypatch):
    import streamlit as st

    from ui import cache

    db_path = tmp_path / "store.sqlite"
    con = store.connect(db_path)
    load(con, tmp_path, "a.csv", 1, 40)
    version = db.data_version(con)
    con.close()
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db_path))
    st.cache_resource.clear()
    try:
        assert cache.warm_up() == version
        cur = store.cursor(cache.connection())
        replica.use(cur)
        assert cur.execute("select count(*) from tickets").fetchone()[0] == 40
    finally:
        st.cache_resource.clear()


def test_a_warm_up_on_an_unreadable_store_says_so_and_lets_the_page_retry(tmp_path, monkeypatch):
    import streamlit as st

    from ui import cache

    old = tmp_path / "old.duckdb"
    old.write_bytes(b"not a store at all")
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(old))
    st.cache_resource.clear()
    try:
        assert cache.warm_up() is None
    finally:
        st.cache_resource.clear()


def test_a_remembered_result_is_computed_once_per_snapshot_and_again_after_an_import(tmp_path):
    con = store.connect(tmp_path / "store.sqlite")
    load(con, tmp_path, "a.csv", 1, 10)
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return copied(con)

    assert replica.remembered(con, ("count",), count) == 10
    assert replica.remembered(con, ("count",), count) == 10
    assert len(calls) == 1
    load(con, tmp_path, "b.csv", 11, 15)
    assert replica.remembered(con, ("count",), count) == 15
    assert len(calls) == 2


def test_a_sources_facts_follow_an_import(tmp_path):
    from analytics import metrics

    con = store.connect(tmp_path / "store.sqlite")
    load(con, tmp_path, "a.csv", 1, 10)
    first = metrics.source_span(con, "desk")
    values = metrics.filter_values(con, "desk")
    values["region"].append("changed by the caller")
    assert metrics.filter_values(con, "desk")["region"] == []
    rows = [[f"T-{i}", "2024-04-01 09:00:00"] for i in range(11, 13)]
    import_(con, write_csv(tmp_path / "later.csv", HEADER, rows), source="desk",
            preset="generic", mapping=MAPPING)  # fmt: skip
    later = metrics.source_span(con, "desk")
    assert first.first_created_at == later.first_created_at
    assert later.as_of > first.as_of


RATED = ["Ticket", "Opened", "Rating"]
RATED_MAPPING = {"ticket_id": "Ticket", "created_at": "Opened", "csat_score": "Rating"}


def rated(tmp_path, name: str, tickets: dict[int, str]) -> object:
    rows = [[f"T-{i}", f"2024-03-{i % 28 + 1:02d} 09:00:00", r] for i, r in tickets.items()]
    return write_csv(tmp_path / name, RATED, rows)


def differences(con) -> int:
    """Return the rows in which the copy and the store's tickets (with ratings) differ."""
    replica.sync(con)
    sql = db.load_sql("replica_tickets")
    (count,) = con.execute(
        f"select count(*) from (select * from replica.tickets except all ({sql}) "
        f"union all (({sql}) except all select * from replica.tickets))",
        {"sources": None},
    ).fetchone()
    return count


def test_an_import_touching_a_few_tickets_copies_only_those(tmp_path):
    from analytics import access, snapshots

    con = store.connect(tmp_path / "store.sqlite")
    kwargs = {"source": "desk", "preset": "generic", "mapping": RATED_MAPPING}
    import_(con, rated(tmp_path, "a.csv", {i: "Good" for i in range(1, 41)}), **kwargs)
    assert differences(con) == 0 and replica.copied(con) == 40
    # one rating changes, two tickets arrive, the rest are the same rows again
    later = {i: "Good" for i in range(1, 43)} | {7: "Bad"}
    report = import_(con, rated(tmp_path, "b.csv", later), **kwargs)
    assert differences(con) == 0
    assert replica.copied(con) == 3
    snapshots.undo_import(con, report.import_id, actor=access.SYSTEM)
    assert differences(con) == 0
    assert replica.copied(con) == 3
    # most of the source changes: the source is copied anew
    import_(con, rated(tmp_path, "c.csv", {i: "Bad" for i in range(1, 41)}), **kwargs)
    assert differences(con) == 0 and replica.copied(con) == 40


HOLDER = """
import os, signal, sys
from analytics import replica, store
con = store.connect(sys.argv[1], read_only=True)
replica.sync(con)
print("copied", flush=True)
if sys.argv[2] == "killed":
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.read()
"""


def test_a_copy_left_by_a_killed_process_is_removed_and_a_live_ones_kept(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile

    from conftest import ROOT

    catalog = tmp_path / "store.sqlite"
    writer = store.connect(catalog)
    load(writer, tmp_path, "a.csv", 1, 5)
    writer.close()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", HOLDER, str(catalog)]
    killed = subprocess.run(command + ["killed"], env=env, capture_output=True, text=True)
    assert killed.stdout.strip() == "copied"
    (left_behind,) = scratch.glob("backlog-radar-replica-*")
    live = subprocess.Popen(command + ["live"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert live.stdout.readline().strip() == "copied"
        # the live process's copy replaced the killed one's
        (held,) = scratch.glob("backlog-radar-replica-*")
        assert held != left_behind
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        con = store.connect(catalog, read_only=True)
        assert copied(con) == 5
        # another process's copy in use stays, and so does this process's own
        assert len(list(scratch.glob("backlog-radar-replica-*"))) == 2
        assert replica.sweep(scratch) == []
        con.close()
    finally:
        live.communicate("")
    assert held.exists() is False  # the live process removed its own as it exited
