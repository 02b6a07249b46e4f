"""A process killed (SIGKILL) in the middle of an import leaves the store as it was.

A child process imports a generated export into a store that already holds
data and reports each stage through the importer's progress callback into a
marker file. The test kills it with SIGKILL as soon as the chosen stage is
reached (or, for the commit, as soon as the import's first Parquet file is in
the data folder, before the catalog has recorded it), then reopens the store
and compares every table with what it held before the import. On both
catalogs: SQLite and a real PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import exports
import pytest

from analytics import ingest, store
from analytics.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
ROWS = 150_000
MAPPING = {"ticket_id": "Id", "created_at": "Created", "resolved_at": "Solved", "team": "Team"}

CHILD = """
import sys
from analytics import ingest, store
from analytics.settings import load_settings

import json
location, export, marker, source = sys.argv[1:5]

def progress(fraction, message):
    with open(marker, "a", encoding="utf-8") as fh:
        fh.write(message + "\\n")

con = store.connect(**json.loads(location))
ingest.import_file(
    con,
    export,
    source=source,
    preset="generic",
    mapping={"ticket_id": "Id", "created_at": "Created", "resolved_at": "Solved", "team": "Team"},
    progress=progress,
    settings=load_settings(),
)
con.close()
"""


@pytest.fixture(scope="module")
def big_export(tmp_path_factory) -> Path:
    """A generic export of 150,000 tickets, a few of them rejected."""
    path = tmp_path_factory.mktemp("kill") / "big.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Id,Created,Solved,Team\n")
        for n in range(ROWS):
            day = 1 + n % 28
            solved = "" if n % 5 == 0 else f"2024-03-{day:02d} 17:{n % 60:02d}"
            created = "not a date" if n % 10_000 == 7 else f"2024-03-{day:02d} 09:{n % 60:02d}"
            fh.write(f"T{n},{created},{solved},team {n % 7}\n")
    return path


@pytest.fixture
def filled_db(store_location, tmp_path) -> dict:
    """The ``store.connect`` arguments of a store holding an earlier import of the same source."""
    con = store.connect(**store_location)
    path = exports.write_csv(
        tmp_path / "earlier.csv",
        ["Id", "Created", "Solved", "Team"],
        [
            ["T1", "2024-02-01 09:00", "", "team 1"],
            ["T2", "2024-02-02 09:00", "2024-02-02 10:00", "team 2"],
            ["old", "2024-02-03 09:00", "", "team 3"],
            ["", "2024-02-04 09:00", "", "team 4"],
        ],
    )
    exports.import_(con, path, preset="generic", mapping=MAPPING, source="big")
    con.close()
    return store_location


def _parquet_files(location: dict) -> int:
    folder = location.get("data_path") or Path(location["path"]).with_name("store.sqlite.files")
    return sum(1 for _ in Path(folder).rglob("*.parquet"))


def _kill_at(db: dict, export: Path, marker: Path, stage: str) -> bool:
    """Run the child import and SIGKILL it at ``stage``; return True if it was killed.

    ``stage`` is a progress message, or ``"commit"``: after ``writing``, the
    moment a new Parquet file is in the data folder.
    """
    location = json.dumps({k: str(v) if v is not None else None for k, v in db.items()})
    files_before = _parquet_files(db)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, location, str(export), str(marker), "big"],
        cwd=ROOT,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wanted = "writing" if stage == "commit" else stage
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            if child.poll() is not None:
                break
            reached = marker.exists() and wanted in marker.read_text(encoding="utf-8")
            if reached and (stage != "commit" or _parquet_files(db) > files_before):
                os.kill(child.pid, signal.SIGKILL)
                child.wait(timeout=30)
                return True
            time.sleep(0.001 if reached else 0.01)
        else:
            pytest.fail(f"the import never reached {stage!r}")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    _, err = child.communicate()
    assert child.returncode == 0, err.decode()
    return False


@pytest.mark.parametrize(
    "stage", ["staging the mapped columns", "reading dates", "validating", "writing", "commit"]
)
def test_import_killed_mid_way_leaves_exactly_the_data_before_it(
    stage, big_export, filled_db, tmp_path
):
    con = store.connect(**filled_db)
    before = exports.table_dump(con)
    con.close()

    killed = _kill_at(filled_db, big_export, tmp_path / "progress.txt", stage)

    con = store.connect(**filled_db)
    after = exports.table_dump(con)
    if killed and stage != "commit":
        assert after == before
    elif after != before:
        # Killed during or after the commit: the import must then be whole.
        (import_id, rows_inserted, rows_updated, rows_rejected) = con.execute(
            "select import_id, rows_inserted, rows_updated, rows_rejected from imports "
            "order by import_id desc limit 1"
        ).fetchone()
        written = con.execute(
            "select count(*) from tickets where import_id = ?", [import_id]
        ).fetchone()[0]
        rejected = con.execute(
            "select count(*) from rejects where import_id = ?", [import_id]
        ).fetchone()[0]
        assert (written, rejected) == (rows_inserted + rows_updated, rows_rejected)
        assert rows_rejected == ROWS // 10_000 + (ROWS % 10_000 > 7)
        assert len(after["tickets"]) == len(before["tickets"]) + rows_inserted
    # The killed writer's locks died with it: the next import goes straight through.
    report = ingest.import_file(
        con,
        big_export,
        source="big",
        preset="generic",
        mapping=MAPPING,
        lock_timeout=5,
        settings=load_settings(),
    )
    assert report.tickets == ROWS - report.rows_rejected
    assert con.execute("select count(*) from tickets where source = 'big'").fetchone()[0] == (
        report.tickets + 1  # "old" is not in the big export and is kept
    )
    con.close()
