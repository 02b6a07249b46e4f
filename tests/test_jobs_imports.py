"""Import jobs: a drop folder's complete files and a URL's export, imported into a real store."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from exports import REQUESTER_NAME, csv_text, table_dump, tickets, write_csv
from loopback import http_server

from analytics import ingest, store
from analytics.jobs.config import Job, JobsConfig
from analytics.jobs.context import RunContext
from analytics.jobs.imports import import_from_url, run_import_job
from analytics.settings import load_settings

SERVICENOW = ["number", "opened_at", "caller_id", "state", "priority", "resolved_at"]
TOKEN = "s3cr3t-t0ken"


def servicenow_rows(*ids: str, state: str = "New") -> list[list[str]]:
    """Return ServiceNow incident rows for ``ids``, opened a minute apart (the requester is personal data)."""
    return [
        [i, f"2024-03-12 09:{n:02d}:00", REQUESTER_NAME, state, "3 - Moderate", ""]
        for n, i in enumerate(ids)
    ]


def export_bytes(*ids: str, state: str = "New") -> bytes:
    return csv_text(SERVICENOW, servicenow_rows(*ids, state=state)).encode()


@pytest.fixture
def con(tmp_path):
    con = store.connect(tmp_path / "store.sqlite")
    yield con
    con.close()


@pytest.fixture
def ctx(tmp_path) -> RunContext:
    return RunContext(
        settings=load_settings(),
        config=JobsConfig(tmp_path / "backlog_radar.toml"),
        run_id=7,
        now=datetime(2026, 12, 6, 21, 0, tzinfo=UTC),
        state_dir=tmp_path / "jobs",
    )


@pytest.fixture
def drop(tmp_path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


def folder_job(folder: Path, preset: str = "servicenow", **fields) -> Job:
    return Job(
        name="nightly", kind="import", cron="*/15 * * * *", source="desk", folder=folder,
        preset=preset, **fields,
    )  # fmt: skip


def url_job(url: str, **fields) -> Job:
    return Job(
        name="pull", kind="import", cron="0 3 * * *", source="desk", url=url,
        preset="servicenow", **fields,
    )  # fmt: skip


def imported_files(con) -> list[str]:
    return [
        r[0] for r in con.execute("select file_name from imports order by import_id").fetchall()
    ]


# --- drop folder ------------------------------------------------------------------------------


def test_a_half_written_file_waits_for_the_next_poll(con, ctx, drop):
    job = folder_job(drop)
    data = export_bytes("INC1", "INC2", "INC3")
    (drop / "export.csv").write_bytes(data[: len(data) // 2])

    first = run_import_job(con, job, ctx)
    assert first.outcome == "nothing to do" and "1 file(s) still being written" in first.message

    with (drop / "export.csv").open("ab") as out:  # the writer carries on
        out.write(data[len(data) // 2 :])
    assert run_import_job(con, job, ctx).outcome == "nothing to do"
    assert tickets(con, "desk") == {}

    done = run_import_job(con, job, ctx)  # unchanged since the previous poll: complete
    assert (done.outcome, done.message) == (
        "ok",
        "imported export.csv: 3 tickets (3 new, 0 updated)",
    )
    assert set(tickets(con, "desk")) == {"INC1", "INC2", "INC3"}
    assert not (drop / "export.csv").exists()
    assert (drop / "done" / "export.csv").read_bytes() == data
    polls = json.loads((ctx.state_dir / "polls" / "nightly.json").read_text())
    assert polls["files"] == {"export.csv": [len(data), polls["files"]["export.csv"][1]]}


def test_a_part_file_renamed_to_its_final_name_imports_at_once(con, ctx, drop):
    job = folder_job(drop)
    (drop / "export.csv.part").write_bytes(export_bytes("INC1", "INC2"))
    (drop / ".hidden.csv").write_bytes(export_bytes("INC9"))
    assert run_import_job(con, job, ctx).outcome == "nothing to do"

    (drop / "export.csv.part").rename(drop / "export.csv")
    result = run_import_job(con, job, ctx)

    assert result.outcome == "ok", result.message
    assert set(tickets(con, "desk")) == {"INC1", "INC2"}
    assert (drop / "done" / "export.csv").exists()
    assert (drop / ".hidden.csv").exists(), "dotfiles are never imported"


def test_a_refused_file_lands_in_failed_with_its_reason_and_the_store_is_unchanged(con, ctx, drop):
    job = folder_job(drop)
    (drop / "good.csv").write_bytes(export_bytes("INC1"))
    run_import_job(con, job, ctx)
    assert run_import_job(con, job, ctx).outcome == "ok"
    before = table_dump(con)
    # Refused late, by the date parser, after the file was read and staged.
    bad = csv_text(SERVICENOW, [["INC2", "next tuesday", "x", "New", "3", ""]] * 3)
    (drop / "bad.csv").write_text(bad)

    run_import_job(con, job, ctx)
    result = run_import_job(con, job, ctx)

    assert result.outcome == "failed"
    assert result.message.startswith("1 of 1 file(s) failed: bad.csv: ")
    reason = (drop / "failed" / "bad.csv.reason.txt").read_text()
    assert "holds no date" in reason and reason.count("\n") == 1
    assert (drop / "failed" / "bad.csv").read_text() == bad
    assert not (drop / "bad.csv").exists()
    assert table_dump(con) == before


def test_two_files_at_once_both_import_oldest_first_with_their_reports(con, ctx, drop):
    job = folder_job(drop)
    older, newer = drop / "z-monday.csv", drop / "a-tuesday.csv"
    write_csv(older, SERVICENOW, servicenow_rows("INC1", "INC2"))
    write_csv(newer, SERVICENOW, servicenow_rows("INC1", "INC3", state="Resolved"))
    os.utime(older, (1_700_000_000, 1_700_000_000))
    os.utime(newer, (1_700_000_600, 1_700_000_600))

    assert run_import_job(con, job, ctx).outcome == "nothing to do"
    result = run_import_job(con, job, ctx)

    assert result.outcome == "ok"
    assert result.message == (
        "imported 2 files: z-monday.csv: 2 tickets (2 new, 0 updated); "
        "a-tuesday.csv: 2 tickets (1 new, 1 updated)"
    )
    assert imported_files(con) == ["z-monday.csv", "a-tuesday.csv"]
    assert tickets(con, "desk")["INC1"]["status_raw"] == "Resolved"  # the newer file won
    for name, inserted in (("z-monday.csv", 2), ("a-tuesday.csv", 1)):
        text = (drop / "done" / f"{name}.report.json").read_text()
        report = json.loads(text)
        assert (report["job"], report["file_name"], report["rows_inserted"]) == (
            "nightly",
            name,
            inserted,
        )
        assert report["outcome"] == "imported" and report["rows_rejected"] == 0
        assert REQUESTER_NAME not in text and "INC1" not in text
    assert sorted(p.name for p in drop.iterdir()) == ["done"]


def test_a_name_already_in_done_gets_a_timestamp_and_nothing_is_overwritten(con, ctx, drop):
    job = folder_job(drop)
    for ids in (("INC1",), ("INC1", "INC2")):
        (drop / "daily.csv").write_bytes(export_bytes(*ids))
        run_import_job(con, job, ctx)
        assert run_import_job(con, job, ctx).outcome == "ok"

    done = sorted(p.name for p in (drop / "done").iterdir())
    assert done == [
        "daily-20261206T210000Z.csv",
        "daily-20261206T210000Z.csv.report.json",
        "daily.csv",
        "daily.csv.report.json",
    ]
    assert (drop / "done" / "daily.csv").read_bytes() == export_bytes("INC1")


def test_the_mapping_saved_by_an_earlier_import_of_the_source_is_reused(con, ctx, drop):
    header = ["Key", "Opened on", "Where"]
    mapping = {"ticket_id": "Key", "created_at": "Opened on", "team": "Where"}
    first = write_csv(drop.parent / "first.csv", header, [["T1", "2024-03-01 10:00", "North"]])
    ingest.import_file(
        con, first, source="desk", preset="generic", mapping=mapping, settings=ctx.settings
    )
    job = folder_job(drop, preset="generic")  # the job names no mapping
    write_csv(drop / "next.csv", header, [["T2", "2024-03-02 11:00", "South"]])

    run_import_job(con, job, ctx)
    result = run_import_job(con, job, ctx)

    assert result.outcome == "ok", result.message
    assert tickets(con, "desk")["T2"]["team"] == "South"
    row = con.execute("select mapping from imports where file_name = 'next.csv'").fetchone()
    assert json.loads(row[0]) == mapping


def test_a_reused_mapping_keeps_the_persons_choice_but_not_the_presets_optional_columns(
    con, ctx, drop
):
    first = write_csv(
        drop.parent / "first.csv", [*SERVICENOW, "Desk"], [[*servicenow_rows("INC1")[0], "North"]]
    )
    ingest.import_file(
        con, first, source="desk", preset="servicenow", mapping={"team": "Desk"},
        settings=ctx.settings,
    )  # fmt: skip
    # The next export lacks resolved_at, which the preset maps only when present.
    header = [c for c in SERVICENOW if c != "resolved_at"] + ["Desk"]
    write_csv(
        drop / "next.csv", header, [["INC2", "2024-03-13 09:00:00", "x", "New", "3", "South"]]
    )
    job = folder_job(drop)
    run_import_job(con, job, ctx)

    result = run_import_job(con, job, ctx)

    assert result.outcome == "ok", result.message
    assert tickets(con, "desk")["INC2"]["team"] == "South"


def test_without_a_saved_mapping_a_generic_file_is_refused(con, ctx, drop):
    write_csv(drop / "next.csv", ["Key", "Opened on"], [["T2", "2024-03-02 11:00"]])
    job = folder_job(drop, preset="generic")
    run_import_job(con, job, ctx)

    result = run_import_job(con, job, ctx)

    assert result.outcome == "failed" and "map the columns" in result.message
    assert (drop / "failed" / "next.csv.reason.txt").exists()


# --- URL --------------------------------------------------------------------------------------


def test_a_url_export_is_downloaded_and_imported(con, ctx):
    body = export_bytes("INC1", "INC2")
    disposition = {"Content-Disposition": 'attachment; filename="../../March export.csv"'}
    with http_server(lambda m, p, h, b: (200, disposition, body, 0.0)) as web:
        job = url_job(web.url(f"/api/export?token={TOKEN}"))
        result = run_import_job(con, job, ctx)

    assert (result.outcome, result.message) == (
        "ok",
        "imported March export.csv: 2 tickets (2 new, 0 updated)",
    )
    assert set(tickets(con, "desk")) == {"INC1", "INC2"}
    assert web.requests[0]["path"] == f"/api/export?token={TOKEN}"
    assert list((ctx.state_dir / "downloads").iterdir()) == []


def test_a_server_error_is_retried_then_reported_without_the_url_secrets(con, ctx):
    with http_server(lambda m, p, h, b: (500, {}, b"boom", 0.0)) as web:
        url = web.url(f"/export.csv?token={TOKEN}").replace("://", "://robot:hunter2@")
        result = import_from_url(con, url_job(url), ctx, backoff_s=0.01)

    host = web.url("/").split("/")[2]
    assert result.outcome == "failed"
    assert result.message == f"{host} answered HTTP 500 (Internal Server Error) (3 attempts)"
    assert TOKEN not in result.message and "hunter2" not in result.message
    assert len(web.requests) == 3
    credentials = base64.b64encode(b"robot:hunter2").decode()
    assert web.requests[0]["headers"]["Authorization"] == f"Basic {credentials}"
    assert list((ctx.state_dir / "downloads").iterdir()) == []


def test_a_client_error_is_not_retried(con, ctx):
    with http_server(lambda m, p, h, b: (404, {}, b"", 0.0)) as web:
        result = import_from_url(con, url_job(web.url("/gone.csv")), ctx, backoff_s=0.01)

    assert result.outcome == "failed" and "HTTP 404 (Not Found)" in result.message
    assert len(web.requests) == 1


def test_a_slow_response_times_out(con, ctx):
    with http_server(lambda m, p, h, b: (200, {}, export_bytes("INC1"), 5.0)) as web:
        result = import_from_url(
            con, url_job(web.url("/export.csv")), ctx, timeout_s=0.2, backoff_s=0.01
        )

    assert result.outcome == "failed"
    assert result.message.endswith("did not answer within 0.2 s (3 attempts)")
    assert len(web.requests) == 3
    assert tickets(con, "desk") == {}


def streamed(total_mb: int, sent: list[int]):
    """Yield ``total_mb`` of CSV rows in 64 KiB chunks, counting what was handed to the socket."""
    header = csv_text(SERVICENOW, []).encode()
    row = csv_text([], servicenow_rows("INC1")).encode()
    chunk = row * (64 * 1024 // len(row))
    sent[0] += len(header)
    yield header
    while sent[0] < total_mb * 1024**2:
        sent[0] += len(chunk)
        yield chunk


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "streamed"])
def test_an_oversized_body_is_refused_without_being_read_whole(con, ctx, announced):
    first = export_bytes("INC0")
    with http_server(lambda m, p, h, b: (200, {}, first, 0.0)) as web:
        run_import_job(con, url_job(web.url("/export.csv")), ctx)
    before = table_dump(con)
    sent = [0]
    headers = {"Content-Length": str(300 * 1024**2)} if announced else {}
    with http_server(lambda m, p, h, b: (200, headers, streamed(300, sent), 0.0)) as web:
        result = run_import_job(con, url_job(web.url("/export.csv"), max_mb=1), ctx)

    assert result.outcome == "failed"
    assert "over the 1 MB limit" in result.message
    assert ("is 300 MB" in result.message) == announced
    assert sent[0] < 64 * 1024**2, "the download must stop at the limit, not read the body"
    assert len(web.requests) == 1, "an oversized export is not asked for again"
    assert table_dump(con) == before
    assert list((ctx.state_dir / "downloads").iterdir()) == []


def test_the_job_limit_also_bounds_a_dropped_file(con, ctx, drop):
    big = drop / "big.csv"
    write_csv(big, SERVICENOW, servicenow_rows(*(f"INC{i}" for i in range(20_000))))
    assert big.stat().st_size > 1024**2
    job = folder_job(drop, max_mb=1)
    run_import_job(con, job, ctx)

    result = run_import_job(con, job, replace(ctx, run_id=8))

    assert result.outcome == "failed" and "over the 1 MB limit" in result.message
    assert (drop / "failed" / "big.csv").exists()
    assert tickets(con, "desk") == {}
