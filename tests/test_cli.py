"""The command line, driven through ``main()`` and once as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import exports
import pytest

from analytics import cli, store

REPORT_KEYS = {
    "source", "file_name", "sha256", "preset", "preset_label", "mapping", "tz", "date_formats",
    "rows_read", "tickets", "rows_inserted", "rows_updated", "rows_unchanged", "rows_rejected",
    "rows_flagged", "flags", "rejects", "import_id", "dry_run", "started_at", "finished_at",
    "outcome", "notes", "preview", "ratings_written",
}  # fmt: skip


@pytest.fixture
def db(tmp_path):
    return tmp_path / "cli.sqlite"


def _run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_prints_the_report(capsys, tmp_path, db):
    code, out, err = _run(capsys, "import", exports.zendesk(tmp_path), "--db", db)
    assert code == 0, err
    assert "Zendesk ticket export -> source 'zendesk_tickets'" in out
    assert "imported 3 tickets from 3 rows: 3 new, 0 updated, 0 unchanged" in out
    assert "times read in UTC" in out


def test_import_json_is_one_object_with_stable_keys(capsys, tmp_path, db):
    path = exports.freshdesk(tmp_path)
    code, out, _ = _run(capsys, "import", path, "--db", db, "--json", "--source", "fd")
    assert code == 0
    report = json.loads(out)  # one object and nothing else on stdout
    assert set(report) == REPORT_KEYS
    assert (report["preset"], report["source"], report["tickets"]) == ("freshdesk", "fd", 2)
    _, again, _ = _run(capsys, "import", path, "--db", db, "--json", "--source", "fd")
    assert list(json.loads(again)) == list(report)
    assert json.loads(again)["rows_unchanged"] == 2


GENERIC_MAP = ["--preset", "generic", "--map", "ticket_id=Ticket", "--map", "created_at=Opened"]


@pytest.mark.parametrize(
    ("content", "options", "reason"),
    [
        ("", GENERIC_MAP, "is empty"),
        ("Ticket,Opened\n", GENERIC_MAP, "header but no rows"),
        ("Ticket,Opened\n,2024-03-12\n", GENERIC_MAP, "no valid rows (1 rejected; line 2: "),
        ("Ticket,Opened\nT-1,2024-03-12\n", [], "no preset recognises this header"),
        ("Ticket,Opened\nT-1,2024-03-12\n", ["--map", "ticket_id=Tiket"], "did you mean"),
    ],
    ids=["empty", "header-only", "no-valid-row", "unknown-header", "misspelt-column"],
)
def test_import_of_nothing_exits_nonzero_with_one_line(capsys, tmp_path, db, content, options,
                                                       reason):  # fmt: skip
    path = exports.write_text(tmp_path / "bad.csv", content)
    code, out, err = _run(capsys, "import", path, "--db", db, *options)
    assert code != 0
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert reason in err


def test_import_with_no_valid_row_exits_nonzero(capsys, tmp_path, db):
    path = exports.write_text(tmp_path / "bad.csv", "Ticket,Opened\n,2024-03-12\n")
    code, _, err = _run(capsys, "import", path, "--db", db, "--preset", "generic",
                        "--map", "ticket_id=Ticket", "--map", "created_at=Opened")  # fmt: skip
    assert code == 1
    assert "no valid rows (1 rejected; line 2: missing ticket id)" in err


def test_map_accepts_column_names_with_spaces_colons_and_plus(capsys, tmp_path, db):
    path = exports.generic(tmp_path)
    maps = [arg for f, c in exports.GENERIC_MAPPING.items() for arg in ("--map", f"{f}={c}")]
    code, out, err = _run(capsys, "import", path, "--db", db, "--preset", "generic", *maps,
                          "--json")  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert report["mapping"]["created_at"] == "Opened: Date+Time"
    assert report["mapping"]["team"] == "Queue + Team"
    con = store.connect(db)
    assert con.execute("select distinct team from tickets").fetchall() == [("Ops + Infra",)]


def test_event_log_activities_come_from_the_command_line(capsys, tmp_path, db):
    code, out, err = _run(
        capsys, "import", exports.event_log(tmp_path), "--db", db, "--preset", "event-log",
        "--map", "ticket_id=Case ID", "--map", "timestamp=Event Time", "--map", "activity=Activity",
        "--first-response-activity", "Agent reply", "--resolved-activity", "Resolved", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["tickets"] == 2
    con = store.connect(db)
    first = con.execute("select first_response_s from tickets where ticket_id = 'C-1'").fetchone()
    assert first == (3600,)


def test_sources_json_and_delete_source(capsys, tmp_path, db):
    _run(capsys, "import", exports.zendesk(tmp_path), "--db", db, "--source", "zd")
    _run(capsys, "import", exports.freshdesk(tmp_path), "--db", db, "--source", "fd")
    code, out, _ = _run(capsys, "sources", "--db", db, "--json")
    assert code == 0
    listed = json.loads(out)["sources"]
    assert [(s["source"], s["tickets"], s["open_tickets"]) for s in listed] == [
        ("fd", 2, 0),
        ("zd", 3, 2),
    ]
    assert set(listed[0]) == {
        "source", "tickets", "open_tickets", "first_created_at", "last_created_at", "imports",
        "last_import_at",
    }  # fmt: skip

    code, out, _ = _run(capsys, "delete-source", "zd", "--db", db)
    assert (code, out.strip()) == (0, "deleted source 'zd' (3 tickets)")
    _, out, _ = _run(capsys, "sources", "--db", db)
    assert out.startswith("fd: 2 tickets (0 open), created 2024-03-12 to 2024-03-12")
    assert "zd" not in out

    code, _, err = _run(capsys, "delete-source", "zd", "--db", db)
    assert code == 1 and err == "error: no source named 'zd'\n"


def test_dry_run_prints_would_import_and_writes_nothing(capsys, tmp_path, db):
    code, out, _ = _run(capsys, "import", exports.zendesk(tmp_path), "--db", db, "--dry-run")
    assert code == 0
    assert "would import 3 tickets" in out
    con = store.connect(db)
    assert con.execute("select count(*) from tickets").fetchone() == (0,)
    assert con.execute("select count(*) from imports").fetchone() == (0,)


def test_commands_run_while_another_process_holds_the_store_open(capsys, tmp_path, db):
    _run(capsys, "import", exports.zendesk(tmp_path), "--db", db)
    # The app's place: another process with the store open, in the middle of a read.
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from analytics import store; con = store.connect(sys.argv[1]); "
         "con.execute('begin'); con.execute('select count(*) from tickets').fetchone(); "
         "print('ready', flush=True); time.sleep(60)", str(db)],
        cwd=exports.ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        code, out, err = _run(capsys, "import", exports.freshdesk(tmp_path), "--db", db)
        assert code == 0, err
        code, out, _ = _run(capsys, "sources", "--db", db, "--json")
        assert code == 0
        assert {s["source"] for s in json.loads(out)["sources"]} == {"zendesk_tickets", "freshdesk"}
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_python_m_analytics_runs_as_a_process(tmp_path, db):
    path = exports.nyc311(tmp_path)
    env = {**os.environ, "BACKLOG_RADAR_DB": str(db)}
    done = subprocess.run(
        [sys.executable, "-m", "analytics", "import", str(path), "--json"],
        cwd=exports.ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["preset"], report["tickets"], report["tz"]) == ("nyc311", 3, "America/New_York")
    con = store.connect(db, read_only=True)
    assert con.execute("select count(*) from tickets").fetchone() == (3,)
