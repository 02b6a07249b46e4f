"""Real public exports import with no options and match their raw rows.

Data: UCI ML Repository dataset 498, "Incident management process enriched
event log" (Amaral, Fantinato, Peres; CC BY 4.0), and an NYC Open Data 311
slice. Both are read from ../shared/realdata, never copied into the repo.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import exports
import pytest

from analytics import store

SERVICENOW_LOG = exports.REALDATA / "uci_servicenow_incidents" / "incident_event_log.zip"
NYC311 = exports.REALDATA / "nyc311_sample" / "nyc311_2023-02-28.csv"

# Chosen to cover: resolved and closed quickly, resolved a day later, first
# response equal to resolution.
SPOT_CHECKED = ("INC0000045", "INC0000047", "INC0000057")


def _need(path):
    if not path.exists():
        pytest.skip(f"real data not found at {path} (../shared/realdata beside the repo)")


@pytest.fixture(scope="module")
def servicenow():
    _need(SERVICENOW_LOG)
    con = store.connect()
    report = exports.import_(con, SERVICENOW_LOG)
    yield con, report
    con.close()


@pytest.fixture(scope="module")
def servicenow_raw() -> dict[str, list[dict]]:
    """The raw audit rows of the spot-checked incidents, read with the csv module."""
    _need(SERVICENOW_LOG)
    rows: dict[str, list[dict]] = {n: [] for n in SPOT_CHECKED}
    with zipfile.ZipFile(SERVICENOW_LOG) as archive:
        (member,) = archive.namelist()
        with archive.open(member) as fh:
            for row in csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8")):
                if row["number"] in rows:
                    rows[row["number"]].append(row)
    return rows


def _day_first(text: str) -> datetime | None:
    if text == "?":
        return None
    return datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=UTC)


def test_servicenow_audit_log_is_recognised_without_options(servicenow):
    _, report = servicenow
    assert report.preset == "servicenow-audit"
    assert report.rows_read == 141_712
    assert report.rows_rejected == 0


def test_servicenow_audit_log_yields_one_ticket_per_incident(servicenow):
    con, report = servicenow
    assert report.tickets == 24_918
    count = con.execute("select count(*) from tickets where source = ?", [report.source]).fetchone()
    assert count[0] == 24_918


def test_servicenow_incidents_without_resolution_stay_unresolved(servicenow):
    con, _ = servicenow
    unresolved = con.execute("select count(*) from tickets where resolved_at is null").fetchone()
    # Counted from the raw file with the csv module: 1,556 incidents have
    # resolved_at = '?' on every row (6.2%; the realdata README's 12.5% is wrong).
    assert unresolved[0] == 1_556


@pytest.mark.parametrize("number", SPOT_CHECKED)
def test_servicenow_ticket_matches_its_raw_rows(servicenow, servicenow_raw, number):
    con, report = servicenow
    raw = sorted(servicenow_raw[number], key=lambda r: int(r["sys_mod_count"]))
    first_response = next(
        _day_first(r["sys_updated_at"]) for r in raw if r["incident_state"] != "New"
    )
    last = raw[-1]
    stored = exports.tickets(con, report.source, [number])[number]
    assert stored["created_at"] == _day_first(last["opened_at"])
    assert stored["first_response_at"] == first_response
    assert stored["resolved_at"] == _day_first(last["resolved_at"])
    assert stored["closed_at"] == _day_first(last["closed_at"])
    assert stored["priority_raw"] == last["priority"]
    assert stored["first_response_s"] == (first_response - stored["created_at"]).total_seconds()


def test_servicenow_priorities_are_normalised(servicenow):
    con, _ = servicenow
    pairs = dict(con.execute("select distinct priority_raw, priority from tickets").fetchall())
    assert pairs == {
        "1 - Critical": "urgent",
        "2 - High": "high",
        "3 - Moderate": "normal",
        "4 - Low": "low",
    }


def test_servicenow_first_responses_before_creation_are_flagged(servicenow):
    con, report = servicenow
    flagged = con.execute(
        "select count(*) from tickets where list_contains(flags, 'response_before_creation')"
    ).fetchone()[0]
    early = con.execute(
        "select count(*) from tickets where first_response_at < created_at"
    ).fetchone()[0]
    assert flagged == early == report.flags["response_before_creation"] > 0


@pytest.fixture(scope="module")
def nyc():
    _need(NYC311)
    con = store.connect()
    report = exports.import_(con, NYC311)
    yield con, report
    con.close()


def test_nyc311_is_recognised_and_read_whole(nyc):
    con, report = nyc
    assert report.preset == "nyc311"
    assert report.rows_rejected == 0
    assert report.tickets == 4_999
    assert con.execute("select count(*) from tickets").fetchone()[0] == 4_999


def test_nyc311_open_requests_have_no_close_date(nyc):
    con, _ = nyc
    assert con.execute("select count(*) from tickets where closed_at is null").fetchone()[0] == 545


def test_nyc311_requests_closed_before_creation_are_flagged(nyc):
    con, report = nyc
    flagged = con.execute(
        "select ticket_id from tickets "
        "where list_contains(flags, 'closed_before_creation') order by ticket_id"
    ).fetchall()
    assert flagged == [("56921224",), ("56923577",)]
    assert report.flags["closed_before_creation"] == 2


def test_nyc311_requests_closed_at_creation_have_zero_resolution_time(nyc):
    con, _ = nyc
    assert con.execute("select count(*) from tickets where resolution_s = 0").fetchone()[0] == 141


def test_nyc311_times_are_read_as_new_york_wall_clock(nyc):
    con, report = nyc
    with NYC311.open(encoding="utf-8", newline="") as fh:
        row = next(csv.DictReader(fh))
    local = datetime.strptime(row["Created Date"], "%m/%d/%Y %I:%M:%S %p")
    expected = local.replace(tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    stored = exports.tickets(con, report.source, [row["Unique Key"]])[row["Unique Key"]]
    assert report.tz == "America/New_York"
    assert stored["created_at"] == expected
    # 11:45 PM on 28 February in New York is 04:45 UTC on 1 March (EST, UTC-5).
    assert (stored["created_at"].month, stored["created_at"].day) == (3, 1)
