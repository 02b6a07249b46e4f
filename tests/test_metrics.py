"""The SQL metrics equal the pandas oracle (``reference_metrics``) of docs/metrics.md.

Two real stores feed every case: the UCI ServiceNow incident log and a small
built-in sample (regions, teams with business-hours schedules, channels,
priorities). Cases cover all time with no filter, one region, two channels,
one priority, and the DST-change weeks of Europe/Paris and America/New_York
with the display time zone set to match; the week-long cases also run in
business hours, where the oracle walks each ticket's schedule in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import exports
import pandas as pd
import pytest
from reference_metrics import Reference, load_tickets

from analytics import ingest, metrics, store
from analytics.metrics import Selection, period
from analytics.settings import DEFAULT_SETTINGS_FILE, load_settings

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
SERVICENOW_LOG = REALDATA / "uci_servicenow_incidents" / "incident_event_log.zip"
SAMPLE_START = date(2016, 1, 4)  # the sample spans 2016 like the UCI log, DST changes included
SETTINGS = load_settings({"BACKLOG_RADAR_SETTINGS": str(DEFAULT_SETTINGS_FILE)})
HOURS = {
    "frt_median_h",
    "frt_p90_h",
    "resolution_median_h",
    "resolution_p90_h",
    "wait_h",
    "resolution_h",
    "sla_pct",
    "share_pct",
    "arrivals_mean",
    "backlog_mean",
    "resolved_per_day",
    "days_to_clear",
}


@dataclass(frozen=True)
class Case:
    source: str
    first_day: date
    last_day: date
    tz: str = "UTC"
    filters: dict = field(default_factory=dict, hash=False)
    business_hours: bool = False

    @property
    def id(self) -> str:
        filters = ",".join(f"{k}={'+'.join(v)}" for k, v in self.filters.items()) or "all"
        clock = "business" if self.business_hours else "calendar"
        return f"{self.source}-{self.first_day}-{self.tz}-{filters}-{clock}"

    def selection(self) -> Selection:
        start, end = period(self.first_day, self.last_day, self.tz)
        return Selection(
            self.source,
            start,
            end,
            tz=self.tz,
            business_hours=self.business_hours,
            **{k: tuple(v) for k, v in self.filters.items()},
        )


def _dst_weeks(source: str, filters: list[dict]) -> list[Case]:
    """The weeks of the 2016 DST changes, each with its filter, in both clocks."""
    weeks = [
        (date(2016, 3, 21), "Europe/Paris"),  # Sunday 27 March: 23 hours
        (date(2016, 10, 24), "Europe/Paris"),  # Sunday 30 October: 25 hours
        (date(2016, 3, 7), "America/New_York"),  # Sunday 13 March
        (date(2016, 10, 31), "America/New_York"),  # Sunday 6 November
    ]
    return [
        Case(source, monday, monday + timedelta(days=6), tz, f, business)
        for (monday, tz), f in zip(weeks, filters, strict=True)
        for business in (False, True)
    ]


CASES = [
    Case("uci", date(2016, 2, 29), date(2017, 2, 18)),
    Case("sample", date(2016, 1, 4), date(2017, 1, 2), "Europe/Paris"),
    # Offset by half an hour: local hours do not start on UTC hours.
    Case("sample", date(2016, 5, 2), date(2016, 5, 15), "Asia/Kolkata", {"regions": ["Asia"]}),
    Case(
        "sample",
        date(2016, 4, 1),
        date(2016, 6, 30),
        "America/New_York",
        {"teams": ["Support Asia"]},
    ),
    *_dst_weeks(
        "uci",
        [
            {"regions": ["Location 204"]},
            {"channels": ["phone", "web"]},
            {"priorities": ["high"]},
            {},
        ],
    ),
    *_dst_weeks(
        "sample",
        [
            {"regions": ["France"]},
            {"channels": ["email", "chat"]},
            {"priorities": ["urgent"]},
            {"regions": ["North America", "Europe"]},
        ],
    ),
]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory, sample_desk):
    """One store holding the UCI log (source ``uci``) and a small sample (``sample``)."""
    if not SERVICENOW_LOG.exists():
        pytest.skip(f"real data not found: {SERVICENOW_LOG}")

    folder = tmp_path_factory.mktemp("metrics")
    connection = store.connect(folder / "metrics.sqlite")
    ingest.import_file(connection, SERVICENOW_LOG, source="uci", settings=SETTINGS)
    sample = sample_desk(start=SAMPLE_START, years=1.0, scale=0.3, seed=11)
    ingest.import_file(connection, sample.tickets_csv, source="sample", settings=SETTINGS)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def references(con) -> dict[str, Reference]:
    return {s: Reference(load_tickets(con, s), SETTINGS) for s in ("uci", "sample")}


# Counts do not depend on the clock; their business-hours runs keep one DST week per store.
COUNT_CASES = [
    c
    for c in CASES
    if not c.business_hours or (c.first_day, c.tz) == (date(2016, 3, 21), "Europe/Paris")
]


@pytest.fixture(params=CASES, ids=[c.id for c in CASES])
def case(request, con, references):
    c: Case = request.param
    return con, c.selection(), references[c.source]


@pytest.fixture(params=COUNT_CASES, ids=[c.id for c in COUNT_CASES])
def count_case(request, con, references):
    c: Case = request.param
    return con, c.selection(), references[c.source]


def _plain(value):
    if isinstance(value, pd.Timestamp | datetime):
        value = pd.Timestamp(value)
        return value.tz_localize(None) if value.tzinfo is None else value.tz_convert("UTC")
    if isinstance(value, date):
        return pd.Timestamp(value)
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def assert_same(actual: pd.DataFrame | dict, expected: pd.DataFrame | dict) -> None:
    """Counts and labels exactly equal, hours and percentages within 1e-9 relative."""
    if isinstance(expected, dict):
        actual, expected = pd.DataFrame([actual]), pd.DataFrame([expected])
    expected = expected.reset_index(drop=True)
    actual = (
        actual[list(expected.columns)].reset_index(drop=True) if len(expected.columns) else actual
    )
    assert len(actual) == len(expected), f"{len(actual)} rows, oracle has {len(expected)}"
    for column in expected.columns:
        got = [_plain(v) for v in actual[column]]
        want = [_plain(v) for v in expected[column]]
        if column in HOURS:
            assert [g is None for g in got] == [w is None for w in want], column
            got = [g for g in got if g is not None]
            want = [w for w in want if w is not None]
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), column
        else:
            assert got == want, column


def test_overview_equals_the_oracle(case):
    con, selection, ref = case
    expected = ref.overview(selection)
    assert expected["created"] > 0, "the case selects no ticket"
    assert_same(metrics.overview(con, selection, SETTINGS).to_dict(), expected)


def test_previous_period_overview_equals_the_oracle(case):
    con, selection, ref = case
    previous = selection.previous()
    assert_same(metrics.overview(con, previous, SETTINGS).to_dict(), ref.overview(previous))


def test_overview_with_previous_from_one_query_equals_the_oracle(case):
    con, selection, ref = case
    now, before = metrics.overview_with_previous(con, selection, SETTINGS)
    assert_same(now.to_dict(), ref.overview(selection))
    assert_same(before.to_dict(), ref.overview(selection.previous()))


def test_daily_flow_equals_the_oracle(count_case):
    con, selection, ref = count_case
    assert_same(metrics.daily_flow(con, selection, SETTINGS), ref.daily_flow(selection))


def test_movers_equal_the_oracle(count_case):
    con, selection, ref = count_case
    assert_same(metrics.movers(con, selection, SETTINGS), ref.movers(selection))


@pytest.mark.parametrize("grain", ["day", "week"])
def test_response_time_trend_equals_the_oracle(case, grain):
    con, selection, ref = case
    actual = metrics.response_time_trend(con, selection, grain, SETTINGS)
    assert_same(actual, ref.response_time_trend(selection, grain))


def test_response_time_buckets_equal_the_oracle(case):
    con, selection, ref = case
    actual = metrics.response_time_buckets(con, selection, SETTINGS)
    assert_same(actual, ref.response_time_buckets(selection))


@pytest.mark.parametrize("dimension", metrics.DIMENSIONS)
def test_response_time_breakdown_equals_the_oracle(case, dimension):
    con, selection, ref = case
    actual = metrics.response_time_breakdown(con, selection, dimension, SETTINGS)
    assert_same(actual, ref.response_time_breakdown(selection, dimension))


def test_sla_weekly_equals_the_oracle(case):
    con, selection, ref = case
    assert_same(metrics.sla_weekly(con, selection, SETTINGS), ref.sla_weekly(selection))


def test_slowest_tickets_equal_the_oracle(case):
    con, selection, ref = case
    actual = metrics.slowest_tickets(con, selection, 50, SETTINGS)
    expected = ref.slowest_tickets(selection, 50)
    assert_same(
        actual[["wait_h", "resolution_h", "unanswered"]],
        expected[["wait_h", "resolution_h", "unanswered"]],
    )
    assert_same(actual[["ticket_id"]], expected[["ticket_id"]])


def test_slowest_tickets_show_wall_clock_times_of_the_display_zone(case):
    con, selection, _ = case
    slowest = metrics.slowest_tickets(con, selection, 20, SETTINGS)
    stored = con.execute(
        "select ticket_id, created_at, first_response_at, resolved_at from tickets "
        "where source = $source and list_contains($ids, ticket_id)",
        {"source": selection.source, "ids": slowest["ticket_id"].tolist()},
    ).df()
    columns = ["created_at", "first_response_at", "resolved_at"]
    for column in columns:
        stored[column] = stored[column].dt.tz_convert(selection.tz).dt.tz_localize(None)
    expected = slowest[["ticket_id"]].merge(stored, on="ticket_id")
    pd.testing.assert_frame_equal(
        slowest[columns].reset_index(drop=True), expected[columns], check_dtype=False
    )


@pytest.mark.parametrize("grain", ["hour", "day"])
def test_backlog_series_equals_the_oracle(count_case, grain):
    con, selection, ref = count_case
    actual = metrics.backlog_series(con, selection, grain, SETTINGS)
    assert_same(actual, _oracle_backlog_series(ref, selection, grain))


def _oracle_backlog_series(ref: Reference, selection: Selection, grain: str) -> pd.DataFrame:
    # the store labels buckets with local wall-clock times, without a zone
    expected = ref.backlog_series(selection, grain)
    expected["bucket"] = expected["bucket"].dt.tz_localize(None)
    return expected


def test_weekday_hour_heatmap_equals_the_oracle(case):
    con, selection, ref = case
    actual = metrics.weekday_hour_heatmap(con, selection, SETTINGS)
    assert_same(actual, ref.weekday_hour_heatmap(selection))


def test_backlog_age_equals_the_oracle(count_case):
    con, selection, ref = count_case
    assert_same(metrics.backlog_age(con, selection, SETTINGS), ref.backlog_age(selection))


def test_days_to_clear_equals_the_oracle(count_case):
    con, selection, ref = count_case
    assert_same(metrics.days_to_clear(con, selection, SETTINGS), ref.days_to_clear(selection))


# --- each page's figures at once -------------------------------------------------------------


def test_overview_page_equals_the_oracle(count_case):
    con, selection, ref = count_case
    page = metrics.overview_page(con, selection, SETTINGS)
    assert_same(page.current.to_dict(), ref.overview(selection))
    assert_same(page.previous.to_dict(), ref.overview(selection.previous()))
    assert_same(page.flow, ref.daily_flow(selection))
    assert_same(page.movers, ref.movers(selection))


@pytest.mark.parametrize(("grain", "dimension"), [("week", "region"), ("day", "priority")])
def test_response_times_page_equals_the_oracle(case, grain, dimension):
    con, selection, ref = case
    page = metrics.response_times_page(con, selection, grain, dimension, 20, SETTINGS)
    assert_same(page.trend, ref.response_time_trend(selection, grain))
    assert_same(page.sla, ref.sla_weekly(selection))
    assert_same(page.buckets, ref.response_time_buckets(selection))
    assert_same(page.breakdown, ref.response_time_breakdown(selection, dimension))
    assert_same(page.slowest, ref.slowest_tickets(selection, 20))


@pytest.mark.parametrize("grain", ["hour", "day"])
def test_backlog_page_equals_the_oracle(count_case, grain):
    con, selection, ref = count_case
    page = metrics.backlog_page(con, selection, grain, SETTINGS)
    assert_same(page.series, _oracle_backlog_series(ref, selection, grain))
    assert_same(page.heatmap, ref.weekday_hour_heatmap(selection))
    assert_same(page.now.age, ref.backlog_age(selection))
    assert_same(page.now.clear, ref.days_to_clear(selection))


def test_queries_bind_each_parts_own_parameters(con):
    start, end = period(date(2016, 3, 1), date(2016, 3, 31), "Europe/Paris")
    selection = Selection("sample", start, end, tz="Europe/Paris")
    frames = metrics.queries(
        con,
        selection,
        {
            "days": ("response_time_trend", {"grain": "day"}),
            "weeks": ("response_time_trend", {"grain": "week"}),
        },
        SETTINGS,
    )
    assert len(frames["days"]) == 31 and len(frames["weeks"]) == 5
    pd.testing.assert_frame_equal(
        frames["weeks"],
        metrics.query(con, "response_time_trend", selection, SETTINGS, grain="week"),
    )


def test_queries_hand_each_frame_to_its_own_then(con):
    start, end = period(date(2016, 3, 1), date(2016, 3, 31), "Europe/Paris")
    selection = Selection("sample", start, end, tz="Europe/Paris")
    parts = {
        "days": ("response_time_trend", {"grain": "day"}),
        "weeks": ("response_time_trend", {"grain": "week"}),
    }
    frames = metrics.queries(con, selection, parts, SETTINGS, then={"weeks": metrics.sla_of})
    assert len(frames["days"]) == 31
    pd.testing.assert_frame_equal(frames["weeks"], metrics.sla_weekly(con, selection, SETTINGS))


@pytest.mark.parametrize(
    ("page", "kwargs"),
    [
        (metrics.response_times_page, {"grain": "month"}),
        (metrics.response_times_page, {"dimension": "assignee"}),
        (metrics.backlog_page, {"grain": "week"}),
    ],
)
def test_pages_refuse_an_unknown_grain_or_dimension(con, page, kwargs):
    start, end = period(date(2016, 3, 1), date(2016, 3, 31), "UTC")
    with pytest.raises(ValueError, match="must be"):
        page(con, Selection("sample", start, end), settings=SETTINGS, **kwargs)


# --- selections that hold nothing, and the period arithmetic ---------------------------------


@pytest.fixture(scope="module")
def empty(con) -> Selection:
    start, end = period(date(2016, 3, 21), date(2016, 3, 27), "Europe/Paris")
    return Selection("sample", start, end, tz="Europe/Paris", regions=("Atlantis",))


@pytest.mark.parametrize("business_hours", [False, True], ids=["calendar", "business"])
def test_a_region_that_does_not_exist_gives_zeros_and_nones(con, empty, business_hours):
    selection = replace(empty, business_hours=business_hours)
    figures = metrics.overview(con, selection, SETTINGS)
    assert figures.to_dict() == {
        "created": 0,
        "resolved": 0,
        "frt_median_h": None,
        "frt_p90_h": None,
        "resolution_median_h": None,
        "sla_pct": None,
        "sla_evaluated": 0,
        "backlog_open": 0,
        "backlog_awaiting_first_response": 0,
    }
    assert metrics.days_to_clear(con, selection, SETTINGS) == {
        "backlog_open": 0,
        "resolved_per_day": 0.0,
        "days_to_clear": None,
    }
    assert metrics.response_time_buckets(con, selection, SETTINGS)["tickets"].sum() == 0
    assert metrics.backlog_age(con, selection, SETTINGS)["open"].sum() == 0
    assert metrics.daily_flow(con, selection, SETTINGS)[["created", "backlog"]].sum().sum() == 0
    assert metrics.backlog_series(con, selection, "hour", SETTINGS)["open"].sum() == 0
    for empty_frame in (
        metrics.movers(con, selection, SETTINGS),
        metrics.response_time_trend(con, selection, "week", SETTINGS),
        metrics.response_time_breakdown(con, selection, "channel", SETTINGS),
        metrics.sla_weekly(con, selection, SETTINGS),
        metrics.slowest_tickets(con, selection, 10, SETTINGS),
    ):
        assert empty_frame.empty
    heatmap = metrics.weekday_hour_heatmap(con, selection, SETTINGS)
    assert heatmap["arrivals_mean"].sum() == 0 and heatmap["frt_median_h"].isna().all()
    # the same through the pages' functions
    page = metrics.response_times_page(con, selection, "day", "channel", 10, SETTINGS)
    assert page.trend.empty and page.sla.empty and page.breakdown.empty and page.slowest.empty
    assert list(page.slowest.columns) == list(metrics.slowest_tickets(con, selection).columns)
    assert metrics.overview_page(con, selection, SETTINGS).movers.empty
    backlog = metrics.backlog_page(con, selection, "hour", SETTINGS)
    assert backlog.series["open"].sum() == 0 and backlog.now.clear["days_to_clear"] is None


def test_a_week_without_an_answer_has_zero_counts_and_zero_sla(tmp_path):
    # Three tickets of one week, none answered, all past the 6-hour target
    # by the export's last event: every count is 0 (not missing) and the SLA
    # is 0 %, in the trend and in the breakdown alike.
    con = store.connect(tmp_path / "store.sqlite")
    rows = [
        ["1", "2024-03-12 09:00:00", "", ""],
        ["2", "2024-03-13 10:00:00", "", ""],
        ["3", "2024-03-14 11:00:00", "", "2024-03-15 11:00:00"],
    ]
    path = exports.write_csv(tmp_path / "t.csv", ["Ticket", "Opened", "Replied", "Solved"], rows)
    mapping = {
        "ticket_id": "Ticket",
        "created_at": "Opened",
        "first_response_at": "Replied",
        "resolved_at": "Solved",
    }
    exports.import_(con, path, preset="generic", mapping=mapping, source="t")
    start, end = period(date(2024, 3, 11), date(2024, 3, 17), "UTC")
    selection = Selection("t", start, end, tz="UTC")
    page = metrics.response_times_page(con, selection, "week", "channel", 10, SETTINGS)
    week = page.trend.iloc[0]
    assert (week["created"], week["answered"], week["met"], week["evaluated"]) == (3, 0, 0, 3)
    assert week["sla_pct"] == 0.0 and week["not_answered"] == 3
    assert page.buckets.set_index("bucket")["tickets"].to_dict() == {
        "0-1 h": 0,
        "1-4 h": 0,
        "4-8 h": 0,
        "8-24 h": 0,
        "24 h+": 0,
        "not answered": 3,
    }
    assert page.sla["sla_pct"].tolist() == [0.0]
    assert page.breakdown["sla_pct"].tolist() == [0.0]
    # whole counts, as the charts' CSV files show them ("3", not "3.0")
    counts = ["created", "answered", "met", "evaluated", *metrics.BUCKETS.values()]
    assert all(pd.api.types.is_integer_dtype(page.trend[c]) for c in counts)


@pytest.mark.parametrize("limit", [1, 3, 4, 6, 10])
def test_slowest_tickets_break_ties_at_the_cut_by_ticket_id(tmp_path, limit):
    # Waits of 5 h (one ticket), 3 h (four tickets, stored out of id order)
    # and 1 h (one): the tickets tied at the cut are kept in id order.
    con = store.connect(tmp_path / "store.sqlite")
    rows = [
        ["T-9", "2024-03-12 09:00:00", "2024-03-12 12:00:00"],
        ["T-2", "2024-03-12 10:00:00", "2024-03-12 15:00:00"],
        ["T-7", "2024-03-13 09:00:00", "2024-03-13 12:00:00"],
        ["T-1", "2024-03-13 10:00:00", "2024-03-13 11:00:00"],
        ["T-3", "2024-03-14 09:00:00", "2024-03-14 12:00:00"],
        ["T-5", "2024-03-14 10:00:00", "2024-03-14 13:00:00"],
    ]
    path = exports.write_csv(tmp_path / "t.csv", ["Ticket", "Opened", "Replied"], rows)
    mapping = {"ticket_id": "Ticket", "created_at": "Opened", "first_response_at": "Replied"}
    exports.import_(con, path, preset="generic", mapping=mapping, source="t")
    selection = Selection("t", *period(date(2024, 3, 11), date(2024, 3, 17), "UTC"))
    slowest = metrics.slowest_tickets(con, selection, limit, SETTINGS)
    ranked = ["T-2", "T-3", "T-5", "T-7", "T-9", "T-1"]
    assert slowest["ticket_id"].tolist() == ranked[:limit]
    assert slowest["wait_h"].tolist() == [5.0, 3.0, 3.0, 3.0, 3.0, 1.0][:limit]


@pytest.mark.parametrize(
    ("first_day", "last_day", "tz", "hours"),
    [
        (date(2016, 3, 27), date(2016, 3, 27), "Europe/Paris", 23),
        (date(2016, 10, 30), date(2016, 10, 30), "Europe/Paris", 25),
        (date(2016, 3, 13), date(2016, 3, 13), "America/New_York", 23),
        (date(2016, 11, 6), date(2016, 11, 6), "America/New_York", 25),
        (date(2016, 3, 21), date(2016, 3, 27), "Europe/Paris", 7 * 24 - 1),
        (date(2016, 3, 26), date(2016, 3, 26), "Europe/Paris", 24),
        (date(2016, 3, 27), date(2016, 3, 27), "UTC", 24),
    ],
)
def test_period_spans_local_midnights_so_dst_days_have_23_or_25_hours(
    first_day, last_day, tz, hours
):
    start, end = period(first_day, last_day, tz)
    zone = ZoneInfo(tz)
    assert (start.astimezone(zone).date(), start.astimezone(zone).hour) == (first_day, 0)
    assert end.astimezone(zone).date() == last_day + timedelta(days=1)
    assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == hours * 3600


@pytest.mark.parametrize(
    ("first_day", "last_day", "tz", "previous_first_day"),
    [
        # The previous week holds the 23-hour spring day: equal in local days, not in hours.
        (date(2016, 3, 28), date(2016, 4, 3), "Europe/Paris", date(2016, 3, 21)),
        (date(2016, 10, 31), date(2016, 11, 6), "Europe/Paris", date(2016, 10, 24)),
        (date(2016, 11, 7), date(2016, 11, 13), "America/New_York", date(2016, 10, 31)),
        (date(2016, 2, 1), date(2016, 2, 29), "UTC", date(2016, 1, 3)),
    ],
)
def test_previous_is_the_same_number_of_local_days_just_before(
    first_day, last_day, tz, previous_first_day
):
    start, end = period(first_day, last_day, tz)
    selection = Selection("s", start, end, tz=tz, regions=("France",), business_hours=True)
    previous = selection.previous()
    assert (previous.start, previous.end) == period(
        previous_first_day, first_day - timedelta(1), tz
    )
    assert replace(previous, start=start, end=end) == selection


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "start", "end", "changes", "offsets_h"),
    [
        # Europe's last Sundays of March and October, at 01:00 UTC
        ("Europe/Paris", _utc(2026, 1, 1), _utc(2027, 1, 1),
         [_utc(2026, 3, 29, 1), _utc(2026, 10, 25, 1)], [1, 2, 1]),
        ("America/New_York", _utc(2026, 1, 1), _utc(2026, 7, 1), [_utc(2026, 3, 8, 7)], [-5, -4]),
        # half an hour ahead, no daylight saving time
        ("Asia/Kolkata", _utc(2026, 1, 1), _utc(2027, 1, 1), [], [5.5]),
        # a half-hour change
        ("Australia/Lord_Howe", _utc(2026, 3, 1), _utc(2026, 6, 1), [_utc(2026, 4, 4, 15)], [11, 10.5]),
        # a period that starts at a change holds none
        ("Europe/Paris", _utc(2026, 3, 29, 1), _utc(2026, 4, 1), [], [2]),
        # and one that ends at a change holds none either
        ("Europe/Paris", _utc(2026, 3, 1), _utc(2026, 3, 29, 1), [], [1]),
    ],
)  # fmt: skip
def test_zone_changes_are_the_instants_the_offset_changes(tz, start, end, changes, offsets_h):
    found, offsets = metrics.zone_changes(tz, start, end)
    assert found == tuple(int(c.timestamp()) * 1_000_000 for c in changes)
    assert offsets == tuple(round(h * 3_600_000_000) for h in offsets_h)


@pytest.mark.parametrize("tz", ["Europe/Paris", "America/Sao_Paulo", "Africa/Casablanca"])
def test_zone_offset_macro_gives_the_zone_offset_at_every_hour(tz):
    # Casablanca leaves and resumes its offset around Ramadan: four changes a year.
    start, end = _utc(2016, 1, 1), _utc(2019, 1, 1)
    changes, offsets = metrics.zone_changes(tz, start, end)
    con = duckdb.connect()
    con.execute(metrics.zone_offset_macro(len(changes)))
    rows = con.execute(
        """
        select us, zone_offset_us(us, $changes::bigint[], $offsets::bigint[])
        from range(epoch_us($start::timestamptz), epoch_us($end::timestamptz), 1800000000) as t(us)
        """,
        {"changes": list(changes), "offsets": list(offsets), "start": start, "end": end},
    ).fetchall()
    zone = ZoneInfo(tz)
    expected = [
        (us, datetime.fromtimestamp(us / 1e6, zone).utcoffset() // timedelta(microseconds=1))
        for us, _ in rows
    ]
    assert len(changes) >= 6
    assert rows == expected


def test_sla_targets_without_per_priority_targets_use_the_default(con, tmp_path):
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text("[sla]\ntarget_hours = 3\n", encoding="utf-8")
    settings = load_settings({"BACKLOG_RADAR_SETTINGS": str(settings_file)})
    assert settings.sla_by_priority == {}
    ref = Reference(load_tickets(con, "sample"), settings)
    selection = Selection("sample", *period(date(2016, 3, 1), date(2016, 5, 31), "Europe/Paris"))
    trend = metrics.response_time_trend(con, selection, "week", settings)
    assert_same(trend, ref.response_time_trend(selection, "week"))
    assert_same(
        metrics.response_time_breakdown(con, selection, "priority", settings),
        ref.response_time_breakdown(selection, "priority"),
    )
    # a 3-hour target everywhere: fewer met than with 6 hours for most priorities
    default = metrics.response_time_trend(con, selection, "week", SETTINGS)
    assert trend["met"].sum() < default["met"].sum()
