"""Imports at the same time, in one process and across processes, on both catalogs.

The app's browser sessions share one DuckDB connection through cursors, so two
imports can start together in one process; the command line and cron run in
other processes beside the app. Writers take turns (the store's write lock)
and name the one they wait for; readers never wait and see each import whole
or not at all. These tests use real stores (a SQLite catalog, and a real
PostgreSQL one), real threads and real processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import exports
import pytest

from analytics import ingest, store
from analytics.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
MAPPING = {"ticket_id": "Id", "created_at": "Created", "team": "Team"}


def _export(path: Path, rows: int, *, prefix: str = "T", rejects_every: int = 0) -> Path:
    """Write a generic export of ``rows`` tickets (every ``rejects_every``-th undated)."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Id,Created,Team\n")
        for n in range(rows):
            bad = rejects_every and n % rejects_every == 0
            created = "" if bad else f"2024-03-{1 + n % 28:02d} 09:{n % 60:02d}"
            fh.write(f"{prefix}{n},{created},team {n % 5}\n")
    return path


def _counts(cur) -> tuple[int, int, int]:
    return cur.execute(
        "select (select count(*) from tickets), (select count(*) from imports), "
        "(select count(*) from rejects)"
    ).fetchone()


@pytest.fixture
def db(store_location, tmp_path) -> dict:
    """The ``store.connect`` arguments of a store holding source s (10 tickets)."""
    con = store.connect(**store_location)
    exports.import_(
        con, _export(tmp_path / "first.csv", 10), preset="generic", mapping=MAPPING, source="s"
    )
    con.close()
    return store_location


def _arg(location: dict) -> str:
    """Return ``location`` as one command-line argument for a child process."""
    return json.dumps({k: str(v) if v is not None else None for k, v in location.items()})


def test_two_sessions_importing_at_once_run_one_after_the_other(db, tmp_path):
    con = store.connect(**db)
    # Both write the same source and the same ids: run together, DuckDB would
    # abort one of them on a write-write conflict.
    files = [_export(tmp_path / f"{name}.csv", 60_000, prefix="T") for name in ("a", "b")]
    spans: dict[int, list[float]] = {0: [], 1: []}
    reports: dict[int, ingest.ImportReport] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def session(i: int) -> None:
        def progress(fraction: float, message: str) -> None:
            # "done" is reported after the lock is released, so the end of
            # the first import's turn is taken where it starts writing.
            if message in ("staging the mapped columns", "writing"):
                spans[i].append(time.monotonic())

        cur = store.cursor(con)
        try:
            start.wait()
            reports[i] = ingest.import_file(
                cur,
                files[i],
                source="s",
                preset="generic",
                mapping=MAPPING,
                progress=progress,
                settings=load_settings(),
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            cur.close()

    threads = [threading.Thread(target=session, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    first, second = sorted(spans.values())
    assert first[1] <= second[0]  # the second began staging after the first began writing
    inserted = sorted(r.rows_inserted for r in reports.values())
    assert inserted == [0, 60_000 - 10]  # the later one found everything already stored
    assert _counts(store.cursor(con)) == (60_000, 3, 0)
    con.close()


def test_session_waiting_too_long_for_the_store_is_refused_with_who_holds_it(db, tmp_path):
    con = store.connect(**db)
    before = exports.table_dump(con)
    path = _export(tmp_path / "late.csv", 100)
    waiting: list[str] = []
    holder = store.cursor(con)
    with store.write_lock(holder, "deleting source 'x'"):
        cur = store.cursor(con)
        started = time.monotonic()
        with pytest.raises(ingest.ImportFailed) as failure:
            ingest.import_file(
                cur,
                path,
                source="s",
                preset="generic",
                mapping=MAPPING,
                lock_timeout=0.5,
                progress=lambda fraction, message: waiting.append(message),
                settings=load_settings(),
            )
        assert time.monotonic() - started >= 0.5
        with pytest.raises(store.StoreBusyError, match="the store is busy"):
            store.delete_source(cur, "s", lock_timeout=0.2)
    message = str(failure.value)
    assert message.startswith(f"the store is busy: pid {os.getpid()} deleting source 'x' since ")
    assert message.endswith("waited 0.5 s for it to finish. Try again when it is done")
    assert any(m.startswith(f"waiting: pid {os.getpid()} deleting source 'x'") for m in waiting)
    assert exports.table_dump(con) == before
    # Once the holder is gone the same import goes through.
    report = ingest.import_file(
        cur, path, source="s", preset="generic", mapping=MAPPING, settings=load_settings()
    )
    assert report.rows_inserted == 90
    con.close()


def test_readers_see_the_store_before_or_after_an_import_never_half_of_it(db, tmp_path):
    con = store.connect(**db)
    path = _export(tmp_path / "big.csv", 150_000, prefix="R", rejects_every=1000)
    before = _counts(store.cursor(con))
    seen: list[tuple[int, int, int]] = []
    done = threading.Event()

    def reader() -> None:
        cur = store.cursor(con)
        while not done.is_set():
            seen.append(_counts(cur))
        seen.append(_counts(cur))
        cur.close()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        report = ingest.import_file(
            store.cursor(con),
            path,
            source="r",
            preset="generic",
            mapping=MAPPING,
            settings=load_settings(),
        )
    finally:
        done.set()
        thread.join(timeout=60)
    after = (before[0] + report.rows_inserted, before[1] + 1, before[2] + 150)
    assert _counts(store.cursor(con)) == after
    assert set(seen) <= {before, after}
    assert seen.count(before) > 1 and seen[-1] == after  # the reader really ran alongside
    con.close()


IMPORTER = """
import json, sys
from analytics import ingest, store
from analytics.settings import load_settings

location, export, source, marker = sys.argv[1:5]

def progress(fraction, message):
    with open(marker, "a", encoding="utf-8") as fh:
        fh.write(message + "\\n")

con = store.connect(**json.loads(location))
report = ingest.import_file(
    con, export, source=source, preset="generic",
    mapping={"ticket_id": "Id", "created_at": "Created", "team": "Team"},
    progress=progress, settings=load_settings(),
)
print(report.rows_inserted)
"""

HOLDER = """
import json, sys, time
from analytics import ingest, store
from analytics.settings import load_settings

location, export, marker = sys.argv[1:4]

def progress(fraction, message):
    with open(marker, "a", encoding="utf-8") as fh:
        fh.write(message + "\\n")
    if message == "writing":
        time.sleep(60)  # hold the write lock until the test kills this process

con = store.connect(**json.loads(location))
ingest.import_file(
    con, export, source="p", preset="generic",
    mapping={"ticket_id": "Id", "created_at": "Created"}, progress=progress,
    settings=load_settings(),
)
"""

LOCK_HOLDER = """
import json, sys, time
from analytics import store

location, marker = sys.argv[1:3]
con = store.connect(**json.loads(location))
with store.write_lock(con, "importing 'other.csv' into source 'o'"):
    open(marker, "w").write("ready")
    time.sleep(60)
"""


def _start(code: str, *args: object, marker: Path, wanted: str) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=ROOT,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not (marker.exists() and wanted in marker.read_text()):
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            pytest.fail(f"the child never reached {wanted!r}: {child.stderr.read().decode()}")
        time.sleep(0.02)
    return child


def _kill(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)


def test_two_processes_importing_at_once_both_land_whole(db, tmp_path):
    children = []
    for name, rows in (("a", 40_000), ("b", 30_000)):
        path = _export(tmp_path / f"{name}.csv", rows, prefix=name.upper(), rejects_every=500)
        marker = tmp_path / f"{name}.txt"
        children.append(
            subprocess.Popen(
                [sys.executable, "-c", IMPORTER, _arg(db), path, name, marker],
                cwd=ROOT,
                env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = [child.communicate(timeout=300) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    con = store.connect(**db)
    counts = dict(con.execute("select source, count(*) from tickets group by source").fetchall())
    assert counts == {"s": 10, "a": 40_000 - 80, "b": 30_000 - 60}
    assert _counts(store.cursor(con)) == (10 + 39_920 + 29_940, 3, 80 + 60)
    imports = con.execute("select import_id from imports order by 1").fetchall()
    assert [r[0] for r in imports] == [1, 2, 3]  # every import its own id
    con.close()


def test_the_store_opens_and_reads_while_another_process_writes_and_the_next_writer_waits_for_it(
    db, tmp_path
):
    path = _export(tmp_path / "cli.csv", 1000)
    marker = tmp_path / "marker.txt"
    child = _start(HOLDER, _arg(db), path, marker, marker=marker, wanted="writing")
    try:
        con = store.connect(**db)  # no "in use by another process" any more
        assert _counts(store.cursor(con)) == (10, 1, 0)
        waiting: list[str] = []
        with pytest.raises(ingest.ImportFailed) as failure:
            ingest.import_file(
                con,
                _export(tmp_path / "x.csv", 50),
                source="s",
                preset="generic",
                mapping=MAPPING,
                lock_timeout=0.5,
                progress=lambda fraction, message: waiting.append(message),
                settings=load_settings(),
            )
    finally:
        _kill(child)
    holder = f"pid {child.pid} importing 'cli.csv' into source 'p' since "
    assert str(failure.value).startswith(f"the store is busy: {holder}")
    assert any(m.startswith(f"waiting: {holder}") for m in waiting)
    assert "\n" not in str(failure.value)
    # The killed writer left nothing: not its tickets, not its import row.
    assert _counts(store.cursor(con)) == (10, 1, 0)
    con.close()


def test_import_lock_held_by_another_process_makes_an_import_wait_then_refuse(db, tmp_path):
    marker = tmp_path / "marker.txt"
    child = _start(LOCK_HOLDER, _arg(db), marker, marker=marker, wanted="ready")
    try:
        con = store.connect(**db)
        before = exports.table_dump(con)
        with pytest.raises(ingest.ImportFailed) as failure:
            ingest.import_file(
                con,
                _export(tmp_path / "x.csv", 50),
                source="s",
                preset="generic",
                mapping=MAPPING,
                lock_timeout=0.5,
                settings=load_settings(),
            )
        assert str(failure.value).startswith(
            f"the store is busy: pid {child.pid} importing 'other.csv' into source 'o' since "
        )
        assert exports.table_dump(con) == before
    finally:
        _kill(child)
    # flock dies with its process: no stale lock for the next import.
    report = ingest.import_file(
        con,
        tmp_path / "x.csv",
        source="s",
        preset="generic",
        mapping=MAPPING,
        lock_timeout=1,
        settings=load_settings(),
    )
    assert report.rows_inserted == 40
    assert store.write_lock_path(con).read_text() == ""  # the holder's line is cleared
    con.close()
