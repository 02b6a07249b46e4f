"""A file over the upload limit: imported from the command line and a drop folder, streamed.

The browser upload keeps its limit (``BACKLOG_RADAR_MAX_UPLOAD_MB``, lowered
to 1 MB here); a file already on the machine's disk imports whatever its
size, and Python never holds it whole: the import's Python memory stays the
same for a file four times larger.
"""

from __future__ import annotations

import csv
import gzip
import shutil
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import streamlit as st
from conftest import ROOT
from exports import table_dump, tickets
from streamlit.testing.v1 import AppTest

from analytics import cli, ingest, store
from analytics.ingest import limits
from analytics.jobs.config import Job, JobsConfig
from analytics.jobs.context import RunContext
from analytics.jobs.imports import run_import_job
from analytics.settings import load_settings

MB = 1024**2
HEADER = ["number", "opened_at", "caller_id", "state", "priority", "resolved_at", "description"]
# Unmapped text, as real exports carry: it makes each row about 1 KB.
FILLER = "The customer reports that the portal times out while saving a draft. " * 14
LARGE_ROWS = 2_500  # about 2.5 MB, over the 1 MB limit
FIRST = datetime(2024, 1, 1, tzinfo=UTC)


def write_export(path: Path, rows: int) -> Path:
    """Write a ServiceNow incident export of ``rows`` tickets a minute apart, a row at a time;
    gzipped when ``path`` ends in ``.gz``."""
    if path.suffix == ".gz":
        plain = write_export(path.with_suffix(""), rows)
        with plain.open("rb") as src, gzip.open(path, "wb", compresslevel=1) as out:
            shutil.copyfileobj(src, out)
        return path
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for i in range(rows):
            opened = FIRST + timedelta(minutes=i)
            resolved = opened + timedelta(hours=3) if i % 3 else None
            writer.writerow(
                [
                    f"INC{i:07d}",
                    f"{opened:%Y-%m-%d %H:%M:%S}",
                    f"caller {i % 977}",
                    "Resolved" if resolved else "New",
                    f"{1 + i % 4} - Moderate",
                    f"{resolved:%Y-%m-%d %H:%M:%S}" if resolved else "",
                    FILLER,
                ]
            )
    return path


@pytest.fixture
def small_limits(monkeypatch):
    """Lower the upload and unpack limits to 1 MB for this test's processes' settings."""
    monkeypatch.setenv("BACKLOG_RADAR_MAX_UPLOAD_MB", "1")
    monkeypatch.setenv("BACKLOG_RADAR_MAX_UNPACKED_MB", "1")
    assert load_settings().max_upload_mb == 1


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    """Return a plain export of about 2.5 MB (read-only)."""
    return write_export(tmp_path_factory.mktemp("large") / "incidents.csv", LARGE_ROWS)


@pytest.mark.parametrize("name", ["incidents.csv", "incidents.csv.gz"])
def test_a_file_over_the_upload_limit_imports_from_the_command_line(
    small_limits, tmp_path, capsys, name
):
    # The gzip also unpacks past the 1 MB unpack limit: without a size limit,
    # only the scratch disk's room bounds what it unpacks to.
    path = write_export(tmp_path / name, LARGE_ROWS)
    assert (tmp_path / "incidents.csv").stat().st_size > 2 * MB
    db = tmp_path / "store.sqlite"

    code = cli.main(["import", str(path), "--db", str(db), "--source", "desk"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"imported {LARGE_ROWS:,} tickets from {LARGE_ROWS:,} rows" in out
    with store.connect(db, read_only=True) as con:
        assert len(tickets(con, "desk")) == LARGE_ROWS


def test_a_file_over_the_upload_limit_imports_from_a_drop_folder(small_limits, tmp_path, large):
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(large, drop / large.name)
    ctx = RunContext(
        settings=load_settings(),
        config=JobsConfig(tmp_path / "backlog_radar.toml"),
        run_id=1,
        now=datetime(2026, 12, 7, 3, 0, tzinfo=UTC),
        state_dir=tmp_path / "jobs",
    )
    job = Job(
        name="nightly", kind="import", cron="*/15 * * * *", source="desk", folder=drop,
        preset="servicenow",
    )  # fmt: skip
    with store.connect(tmp_path / "store.sqlite") as con:
        assert run_import_job(con, job, ctx).outcome == "nothing to do"  # first sight

        result = run_import_job(con, job, ctx)

        assert result.outcome == "ok", result.message
        assert f"{LARGE_ROWS:,} tickets ({LARGE_ROWS:,} new" in result.message
        assert len(tickets(con, "desk")) == LARGE_ROWS
    assert (drop / "done" / large.name).exists()


def test_without_a_size_limit_an_archive_still_stops_at_the_scratch_disks_room(
    tmp_path, monkeypatch
):
    path = write_export(tmp_path / "incidents.csv.gz", LARGE_ROWS)  # unpacks to 2.5 MB
    # A scratch disk with 1 MB free beyond the reserve: the room, not a limit, caps the copy.
    room = SimpleNamespace(total=100 * MB, used=0, free=limits.SCRATCH_RESERVE + MB)
    monkeypatch.setattr(limits.shutil, "disk_usage", lambda folder: room)
    with store.connect(tmp_path / "store.sqlite") as con:
        before = table_dump(con)
        with pytest.raises(ingest.ImportFailed, match=r"unpacks to more than the 1 MB free in "):
            ingest.import_file(con, path, settings=load_settings(), max_mb=None)
        assert table_dump(con) == before


def test_the_upload_limit_still_refuses_the_file_in_the_library_and_on_the_data_page(
    small_limits, tmp_path, large, monkeypatch
):
    with store.connect(tmp_path / "library.sqlite") as con:
        before = table_dump(con)
        with pytest.raises(ingest.ImportFailed, match=r"is 2 MB, over the 1 MB limit"):
            ingest.import_file(con, large, settings=load_settings())
        assert table_dump(con) == before

    db = tmp_path / "page.sqlite"
    store.connect(db).close()
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(db))
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(tmp_path / "no-users.json"))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        at = at.switch_page("pages/data.py").run()
        at.file_uploader[0].set_value((large.name, large.read_bytes(), "text/csv"))
        at.run()
        assert any("over the 1 MB limit" in e.value for e in at.error), [e.value for e in at.error]
        assert not at.exception
    finally:
        st.cache_resource.clear()
    with store.connect(db, read_only=True) as con:
        assert tickets(con, "incidents") == {}


def _python_peak_mb(path: Path, db: Path) -> float:
    """Return the most memory Python's allocator held at once while importing ``path``, in MB.

    ``tracemalloc`` counts every allocation Python makes (numpy's too) and
    none of DuckDB's: what it sees is what the import reads into Python.
    Unlike the resident set, it does not depend on the machine's load.
    """
    with store.connect(db) as con:
        tracemalloc.start()
        try:
            report = ingest.import_file(con, path, settings=load_settings(), max_mb=None)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert report.tickets > 0
    return peak / MB


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_the_import_holds_no_more_of_a_file_four_times_larger_in_python(tmp_path, suffix):
    # Over the 16 MB chunk the importer counts line breaks by, so that both
    # files fill whole chunks.
    small = write_export(tmp_path / f"small{suffix}", 17_000)
    big = write_export(tmp_path / f"big{suffix}", 68_000)
    sizes = [(tmp_path / f"{name}.csv").stat().st_size / MB for name in ("small", "big")]
    assert sizes[0] > 16

    peaks = [
        _python_peak_mb(small, tmp_path / "a.sqlite"),
        _python_peak_mb(big, tmp_path / "b.sqlite"),
    ]

    # The chunks of the line count and of the hash thread may or may not
    # overlap, a few MB either way; reading the files whole would add 50 MB.
    assert peaks[1] - peaks[0] < 0.15 * (sizes[1] - sizes[0]), (peaks, sizes)
    assert peaks[1] < sizes[1], (peaks, sizes)
