"""Reopens, one-touch and first-contact resolution, CSAT: library, command line and overview.

Every figure is held to the pandas oracle (``reference_metrics``) on real
stores of hand-made exports: unknown inputs, a week without a rated ticket,
tickets resolved on the period's edges, filters, time zones and both clocks.
Real data: the UCI ServiceNow log's reopen rate, from its raw CSV; the
simulated desk's CSAT against the wait for a first response.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import exports
import pandas as pd
import pytest
from apptest import app_on, open_page
from conftest import SERVICENOW_LOG
from reference_metrics import Reference, load_ratings, load_tickets

from analytics import cli, coverage, db, ingest, metrics, store
from analytics.settings import load_settings

SETTINGS = load_settings()
MONDAY, SUNDAY = date(2024, 3, 4), date(2024, 3, 10)
HEADER = ["id", "created", "answered", "resolved", "team", "reopens", "replies"]
MAPPING = {
    "ticket_id": "id",
    "created_at": "created",
    "first_response_at": "answered",
    "resolved_at": "resolved",
    "team": "team",
    "reopens": "reopens",
    "replies": "replies",
}
# id, created, first response, resolved, team, reopens, replies (UTC; "" unknown)
TICKETS = [
    ["A1", "2024-03-04T09:00:00Z", "2024-03-04T09:20:00Z", "2024-03-04T12:00:00Z", "T1", "0", "1"],
    ["A2", "2024-03-04T10:00:00Z", "2024-03-04T12:00:00Z", "2024-03-05T10:00:00Z", "T1", "1", "1"],
    ["A3", "2024-03-05T08:00:00Z", "2024-03-05T14:00:00Z", "2024-03-06T10:00:00Z", "T2", "0", "3"],
    ["A4", "2024-03-05T08:00:00Z", "2024-03-06T08:00:00Z", "2024-03-07T10:00:00Z", "T2", "", "1"],
    ["A5", "2024-03-06T08:00:00Z", "2024-03-06T18:00:00Z", "2024-03-10T23:59:59Z", "T1", "2", ""],
    # resolved at the period's end: the next period's
    ["A6", "2024-03-08T08:00:00Z", "2024-03-08T08:30:00Z", "2024-03-11T00:00:00Z", "T1", "1", "1"],
    # resolved at the period's start: this period's; never answered
    ["A7", "2024-03-01T08:00:00Z", "", "2024-03-04T00:00:00Z", "T2", "0", "2"],
    # a first response recorded before creation: in no bucket, in every rate
    ["A8", "2024-03-04T11:00:00Z", "2024-03-04T10:00:00Z", "2024-03-05T09:00:00Z", "T1", "0", "1"],
    ["B1", "2024-02-27T08:00:00Z", "2024-02-27T08:10:00Z", "2024-02-28T08:00:00Z", "T1", "0", "1"],
    ["B2", "2024-02-28T08:00:00Z", "2024-02-29T08:10:00Z", "2024-03-03T23:59:00Z", "T2", "1", "2"],
    ["C1", "2024-03-07T08:00:00Z", "2024-03-07T09:00:00Z", "", "T1", "0", "1"],
]  # fmt: skip
# ticket -> satisfaction score (0-100); A4 and B2 are unrated, C1 rated while still open
RATINGS = {
    "A1": 100,
    "A2": 0,
    "A3": 80,
    "A5": 60,
    "A6": 100,
    "A7": 75,
    "A8": 90,
    "B1": 40,
    "C1": 100,
}
# Only tickets of the week before are rated: the week itself has no rated ticket.
RATINGS_BEFORE_ONLY = {"B1": 100, "B2": 20}


def add_ratings(con, source: str, scores: dict[str, float]) -> None:
    """Store ratings as a survey import would: one row per rated ticket of ``source``."""
    with db.transaction(con) as cur:
        (import_id,) = cur.execute(
            "select max(import_id) from imports where source = ?", [source]
        ).fetchone()
        cur.executemany(
            "insert into ratings values (?, ?, ?, ?, null, ?)",
            [(source, t, float(s), str(s), import_id) for t, s in scores.items()],
        )


def import_export(con, tmp: Path, source: str, rows, columns=HEADER) -> None:
    keep = [HEADER.index(c) for c in columns]
    path = exports.write_csv(tmp / f"{source}.csv", columns, [[r[i] for i in keep] for r in rows])
    mapping = {f: c for f, c in MAPPING.items() if c in columns}
    report = ingest.import_file(
        con, path, settings=SETTINGS, source=source, preset="generic", mapping=mapping
    )
    assert report.rows_rejected == 0


@pytest.fixture(scope="module")
def quality_db(tmp_path_factory) -> Path:
    """One store: ``full`` (every input), ``bare`` (no reopens, replies or ratings),
    ``unrated_week`` (ratings, none on a ticket resolved in the week)."""
    tmp = tmp_path_factory.mktemp("quality")
    path = tmp / "quality.sqlite"
    con = store.connect(path)
    import_export(con, tmp, "full", TICKETS)
    add_ratings(con, "full", RATINGS)
    import_export(con, tmp, "bare", TICKETS, HEADER[:5])
    import_export(con, tmp, "unrated_week", TICKETS)
    add_ratings(con, "unrated_week", RATINGS_BEFORE_ONLY)
    con.close()
    return path


@pytest.fixture(scope="module")
def con(quality_db):
    connection = store.connect(quality_db)
    yield connection
    connection.close()


def selection(source, first=MONDAY, last=SUNDAY, tz="UTC", **options) -> metrics.Selection:
    start, end = metrics.period(first, last, tz)
    return metrics.Selection(source, start, end, tz=tz, **options)


def oracle(con, source: str) -> tuple[Reference, pd.DataFrame]:
    return Reference(load_tickets(con, source), SETTINGS), load_ratings(con, source)


def assert_figures(actual: dict, expected: dict) -> None:
    """Counts exactly equal, rates within 1e-9, None where the oracle has None."""
    assert actual.keys() == expected.keys()
    for key, want in expected.items():
        got = actual[key]
        if isinstance(want, dict):
            assert_figures(got, want)
        elif want is None:
            assert got is None, key
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), key


CASES = [
    ("full", {}),
    ("full", {"teams": ("T1",)}),
    ("full", {"tz": "Europe/Paris"}),
    ("full", {"tz": "Pacific/Auckland"}),
    ("full", {"first": date(2024, 2, 26), "last": date(2024, 3, 17)}),
    ("bare", {}),
    ("unrated_week", {}),
    ("unrated_week", {"teams": ("T1",)}),
]


@pytest.mark.parametrize(("source", "options"), CASES)
def test_quality_equals_the_oracle_in_both_clocks(con, source, options):
    sel = selection(source, **options)
    ref, ratings = oracle(con, source)
    expected = ref.quality(sel, ratings)
    assert expected["resolved"] > 0, "the case selects no resolved ticket"
    calendar = metrics.quality(con, sel, SETTINGS)
    assert_figures(calendar.to_dict(), expected)
    # Counts of tickets, not hours: the business-hours clock changes none of them.
    business = metrics.quality(con, selection(source, business_hours=True, **options), SETTINGS)
    assert business == calendar


def test_the_period_edges_and_unknown_inputs_count_as_defined(con):
    """Spelled out once for the hand-made week, beside the oracle."""
    q = metrics.quality(con, selection("full"), SETTINGS)
    # A1 A2 A3 A4 A5 A7 A8: A7 at the start counts, A6 at the end does not
    assert q.resolved == 7
    assert (q.reopened, q.reopens_known) == (2, 6)  # A4's reopens unknown
    assert (q.one_touch, q.replies_known) == (4, 6)  # A5's replies unknown
    assert (q.first_contact, q.first_contact_known) == (2, 5)  # A1 and A8; A4, A5 left out
    assert (q.good, q.rated) == (4, 6)  # 75 is good (A7), 60 is not (A5)
    assert q.csat_response_pct == pytest.approx(100 * 6 / 7)
    assert q.previous.resolved == 2 and q.previous.reopen_rate_pct == 50.0


def test_an_export_without_the_inputs_has_no_rates_and_says_why(con):
    q = metrics.quality(con, selection("bare"), SETTINGS)
    assert q.resolved == 7
    rates = ("reopen_rate_pct", "one_touch_pct", "first_contact_pct", "csat_pct")
    assert all(getattr(q, r) is None for r in (*rates, "csat_response_pct"))
    missing = coverage.missing_quality_inputs(con, "bare")
    assert set(missing) == {"reopens", "replies", "satisfaction"}
    assert "reopen counts" in missing["reopens"]
    assert coverage.missing_quality_inputs(con, "full") == {}
    # The inputs of the quality metrics never reach the other metrics' coverage.
    assert coverage.missing_inputs(con, "bare") == {}


def test_a_week_without_a_rated_ticket_has_no_csat_but_a_response_rate_of_zero(con):
    q = metrics.quality(con, selection("unrated_week"), SETTINGS)
    assert (q.rated, q.csat_pct, q.csat_response_pct) == (0, None, 0.0)
    assert q.previous.csat_pct == 50.0 and q.previous.rated == 2


@pytest.mark.parametrize("business_hours", [False, True])
def test_csat_by_response_bucket_equals_the_oracle(con, business_hours):
    sel = selection("full", business_hours=business_hours)
    ref, ratings = oracle(con, "full")
    expected = ref.csat_by_response_bucket(sel, ratings)
    got = metrics.csat_by_response_bucket(con, sel, SETTINGS)
    assert list(got["bucket"]) == list(metrics.BUCKETS)
    assert list(got["rated"]) == list(expected["rated"])
    assert list(got["good"]) == list(expected["good"])
    assert [None if pd.isna(v) else v for v in got["csat_pct"]] == [
        None if v is None or pd.isna(v) else pytest.approx(v) for v in expected["csat_pct"]
    ]
    if not business_hours:
        # A8, answered "before" it was created, is in no bucket
        assert got["rated"].sum() == 5
        assert list(got["rated"]) == [1, 1, 1, 1, 0, 1]


@pytest.fixture(scope="module")
def uci(tmp_path_factory):
    if not SERVICENOW_LOG.exists():
        pytest.skip(f"real data not found: {SERVICENOW_LOG}")
    path = tmp_path_factory.mktemp("uci") / "uci.sqlite"
    connection = store.connect(path)
    report = ingest.import_file(connection, SERVICENOW_LOG, source="uci", settings=SETTINGS)
    yield connection, report.tz
    connection.close()


def uci_final_rows(tz: str) -> pd.DataFrame:
    """Each incident's last update, chosen as the importer does: the highest
    ``sys_mod_count``, then the latest update, then the later row of the file."""
    raw = pd.read_csv(SERVICENOW_LOG, dtype=str, keep_default_na=False)
    raw["row"] = range(len(raw))
    raw["mod"] = pd.to_numeric(raw["sys_mod_count"], errors="coerce")
    raw["updated"] = pd.to_datetime(raw["sys_updated_at"], format="%d/%m/%Y %H:%M", errors="coerce")
    last = raw.sort_values(["mod", "updated", "row"], na_position="first").groupby("number").tail(1)
    resolved = pd.to_datetime(last["resolved_at"], format="%d/%m/%Y %H:%M", errors="coerce")
    return pd.DataFrame(
        {
            "resolved_at": resolved.dt.tz_localize(tz),
            "reopens": pd.to_numeric(last["reopen_count"], errors="coerce"),
        }
    )


@pytest.mark.parametrize(
    ("first", "last"),
    [(date(2016, 2, 29), date(2017, 2, 18)), (date(2016, 4, 1), date(2016, 4, 30))],
)
def test_the_servicenow_reopen_rate_equals_the_raw_log(uci, first, last):
    con, tz = uci
    sel = selection("uci", first, last)
    rows = uci_final_rows(tz)
    resolved = rows[(rows["resolved_at"] >= sel.start) & (rows["resolved_at"] < sel.end)]
    known = resolved["reopens"].dropna()
    q = metrics.quality(con, sel, SETTINGS)
    assert (q.resolved, q.reopens_known, q.reopened) == (
        len(resolved),
        len(known),
        int((known >= 1).sum()),
    )
    assert q.reopen_rate_pct == pytest.approx(100 * (known >= 1).mean())
    assert 0 < q.reopen_rate_pct < 10
    # The log records no reply counts and no ratings: those rates do not exist.
    assert (q.one_touch_pct, q.first_contact_pct, q.csat_pct) == (None, None, None)
    assert set(coverage.missing_quality_inputs(con, "uci")) == {"replies", "satisfaction"}


def test_on_the_sample_csat_falls_as_the_first_response_waits(tmp_path, sample_desk):
    files = sample_desk(start=date(2024, 1, 1), years=0.5, scale=0.3, seed=3)
    con = store.connect(tmp_path / "sample.sqlite")
    try:
        ingest.import_file(con, files.tickets_csv, source="sample", settings=SETTINGS)
        if "satisfaction" in coverage.missing_quality_inputs(con, "sample"):
            pytest.skip("the sample's import stores no satisfaction ratings yet")
        span = metrics.source_span(con, "sample")
        sel = selection("sample", span.first_created_at.date(), span.as_of.date())
        csat = metrics.csat_by_response_bucket(con, sel, SETTINGS)
    finally:
        con.close()
    answered = csat[(csat["bucket"] != "not answered") & (csat["rated"] >= 30)]
    assert len(answered) >= 3, csat
    assert answered["csat_pct"].is_monotonic_decreasing, csat
    assert answered["csat_pct"].iloc[0] - answered["csat_pct"].iloc[-1] >= 10, csat


RATES = ("reopen_rate_pct", "one_touch_pct", "first_contact_pct", "csat_pct", "csat_response_pct")


@pytest.mark.parametrize("source", ["full", "bare"])
def test_the_metrics_command_prints_the_quality_rates(quality_db, con, capsys, source):
    argv = ["metrics", "--db", quality_db, "--source", source, "--from", MONDAY, "--to", SUNDAY]
    assert cli.main([str(a) for a in argv]) == 0
    out, err = capsys.readouterr()
    printed = json.loads(out)
    expected = metrics.quality(con, selection(source), SETTINGS)
    for rate in RATES:
        want = getattr(expected, rate)
        assert printed[rate] == (None if want is None else pytest.approx(want)), rate
    if source == "bare":
        assert all(printed[rate] is None for rate in RATES)
        assert "one_touch_pct, first_contact_pct: null." in err
        assert "agent reply counts" in err
    else:
        assert printed["reopen_rate_pct"] == pytest.approx(100 * 2 / 6)
        assert err == ""


def card_values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_overview_shows_the_quality_cards_and_response_times_the_csat_chart(
    quality_db, tmp_path, monkeypatch, con
):
    app = app_on(quality_db, tmp_path, monkeypatch)
    at = next(app)
    at.run()
    at.pills(key="source").set_value("full").run()
    open_page(at, "pages/overview.py")
    assert not at.exception
    span = metrics.source_span(con, "full")
    q = metrics.quality(con, selection("full", span.first_created_at.date(), span.as_of.date()))
    cards = card_values(at)
    assert cards["Reopen rate"] == f"{q.reopen_rate_pct:.1f}%"
    assert cards["One-touch resolution"] == f"{q.one_touch_pct:.1f}%"
    assert cards["CSAT"] == f"{q.csat_pct:.1f}%"
    csat = next(m for m in at.metric if m.label == "CSAT")
    assert f"Response rate {q.csat_response_pct:.1f}%" in csat.help

    at.pills(key="source").set_value("bare").run()
    cards = card_values(at)
    assert cards["Reopen rate"] == cards["One-touch resolution"] == cards["CSAT"] == "—"
    assert any(
        m.label == "CSAT" and coverage.NOT_IN_SOURCE in str(m.proto.delta) for m in at.metric
    )
    at.switch_page("pages/response_times.py").run()
    assert not at.exception
    assert any("Satisfaction by first response: not in this source" in i.value for i in at.info)
    at.pills(key="source").set_value("full").run()
    assert not at.exception
    assert not any("Satisfaction by first response" in i.value for i in at.info)
    next(app, None)
