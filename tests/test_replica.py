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
