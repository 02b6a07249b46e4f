"""A click on a chart lists as many tickets as the bar or point clicked counted.

Every drill-down kind is checked against the frame of the very function the
page draws its chart from (``metrics.overview_page``, ``response_times_page``,
``backlog_page``, ``seasonality.volume_by_week``), on a real store: the UCI
ServiceNow log and the simulated desk, over DST weeks of Europe/Paris and
America/New_York and a fortnight in Asia/Kolkata (offset by half an hour).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from conftest import SERVICENOW_LOG

from analytics import ingest, metrics, people, seasonality, store
from analytics.metrics import BUCKETS, DIMENSIONS, Selection, period, tickets_behind
from analytics.settings import DEFAULT_SETTINGS_FILE, load_settings
from ui.drill import value_of

SETTINGS = load_settings({"BACKLOG_RADAR_SETTINGS": str(DEFAULT_SETTINGS_FILE)})


@dataclass(frozen=True)
class Case:
    source: str
    first_day: date
    last_day: date
    tz: str
    filters: dict = field(default_factory=dict, hash=False)

    def selection(self) -> Selection:
        start, end = period(self.first_day, self.last_day, self.tz)
        return Selection(
            self.source, start, end, tz=self.tz, **{k: tuple(v) for k, v in self.filters.items()}
        )


CASES = [
    # the spring change (Sunday 27 March: 23 hours) inside two ISO weeks
    Case("sample", date(2016, 3, 21), date(2016, 4, 3), "Europe/Paris"),
    # the spring change of New York (Sunday 13 March)
    Case("uci", date(2016, 3, 7), date(2016, 3, 20), "America/New_York"),
    Case("sample", date(2016, 5, 2), date(2016, 5, 15), "Asia/Kolkata", {"regions": ["Asia"]}),
]
IDS = [f"{c.source}-{c.first_day}-{c.tz}" for c in CASES]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory, sample_desk):
    """One store holding the UCI log (source ``uci``) and a small sample (``sample``)."""
    if not SERVICENOW_LOG.exists():
        pytest.skip(f"real data not found: {SERVICENOW_LOG}")
    connection = store.connect(tmp_path_factory.mktemp("drill") / "drill.sqlite")
    ingest.import_file(connection, SERVICENOW_LOG, source="uci", settings=SETTINGS)
    sample = sample_desk(start=date(2016, 1, 4), years=1.0, scale=0.3, seed=11)
    ingest.import_file(connection, sample.tickets_csv, source="sample", settings=SETTINGS)
    yield connection
    connection.close()


@pytest.fixture(params=CASES, ids=IDS)
def case(request, con) -> tuple:
    return con, request.param.selection()


def count(con, selection: Selection, kind: str, value) -> int:
    return tickets_behind(con, selection, kind, value, SETTINGS, limit=1).total


def local_midnight_after(day, tz: str) -> datetime:
    following = pd.Timestamp(day).date() + timedelta(days=1)
    return datetime.combine(following, datetime.min.time(), tzinfo=ZoneInfo(tz))


def test_a_day_of_the_flow_lists_its_created_resolved_and_open_tickets(case):
    con, selection = case
    flow = metrics.overview_page(con, selection, SETTINGS).flow
    assert flow["created"].sum() > 0 and flow["resolved"].sum() > 0
    for row in flow.itertuples():
        assert count(con, selection, "created_day", row.day) == row.created, row.day
        assert count(con, selection, "resolved_day", row.day) == row.resolved, row.day
        end = local_midnight_after(row.day, selection.tz)
        assert count(con, selection, "open_at", end) == row.backlog, row.day


@pytest.mark.parametrize("grain", ["day", "week"])
def test_a_trend_point_lists_the_tickets_created_in_its_period(case, grain):
    con, selection = case
    trend = metrics.response_times_page(con, selection, grain=grain, settings=SETTINGS).trend
    assert len(trend) == (14 if grain == "day" else 2), "a period without tickets"
    kind = f"created_{grain}"
    for row in trend.itertuples():
        assert count(con, selection, kind, row.period) == row.created, row.period


def test_a_week_of_the_sla_chart_lists_the_tickets_it_evaluated(case):
    con, selection = case
    sla = metrics.response_times_page(con, selection, grain="week", settings=SETTINGS).sla
    assert sla["evaluated"].sum() > 0
    for row in sla.itertuples():
        assert count(con, selection, "sla_week", row.week) == row.evaluated, row.week
    # not every ticket created in a week is held to its target yet
    created = metrics.response_times_page(con, selection, grain="week", settings=SETTINGS).trend
    assert (created["created"].to_numpy() >= sla["evaluated"].to_numpy()).all()


def test_the_last_week_of_the_sla_chart_leaves_out_tickets_not_yet_due(con):
    # At the export's end some tickets wait for a first reply within their target:
    # created that week, but not yet held to it.
    as_of = metrics.source_span(con, "sample").as_of
    last = as_of.astimezone(ZoneInfo("Europe/Paris")).date()
    selection = Selection(
        "sample", *period(last - timedelta(days=13), last, "Europe/Paris"), tz="Europe/Paris"
    )
    page = metrics.response_times_page(con, selection, grain="week", settings=SETTINGS)
    week = page.sla.iloc[-1]
    assert count(con, selection, "sla_week", week.week) == week.evaluated
    assert count(con, selection, "created_week", week.week) > week.evaluated


def test_a_week_of_the_seasonality_chart_lists_its_tickets(case):
    con, selection = case
    weeks = seasonality.volume_by_week(con, selection, SETTINGS)
    for row in weeks.itertuples():
        monday = date.fromisocalendar(int(row.year), int(row.week), 1)
        assert count(con, selection, "created_week", monday) == row.created, monday


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_a_breakdown_bar_lists_the_tickets_with_its_value(case, dimension):
    con, selection = case
    breakdown = metrics.response_times_page(
        con, selection, dimension=dimension, settings=SETTINGS
    ).breakdown
    assert breakdown["created"].sum() > 0
    for row in breakdown.itertuples():
        assert count(con, selection, dimension, row.value) == row.created, row.value


def test_a_first_response_bucket_lists_its_tickets(case):
    con, selection = case
    buckets = metrics.response_times_page(con, selection, settings=SETTINGS).buckets
    assert list(buckets["bucket"]) == list(BUCKETS)
    for row in buckets.itertuples():
        assert count(con, selection, "frt_bucket", row.bucket) == row.tickets, row.bucket


def test_a_heatmap_cell_lists_the_tickets_created_in_that_weekday_and_hour(case):
    con, selection = case
    heatmap = metrics.backlog_page(con, selection, settings=SETTINGS).heatmap
    # The heatmap's mean is over the hours of the period starting at that local weekday and hour.
    starts = pd.date_range(selection.start, selection.end, freq="h", inclusive="left")
    local = starts.tz_convert(selection.tz)
    hours = pd.Series(1, index=pd.MultiIndex.from_arrays([local.isocalendar().day, local.hour]))
    hours = hours.groupby(level=[0, 1]).sum()
    assert heatmap["arrivals_mean"].sum() > 0
    for row in heatmap.itertuples():
        expected = round(row.arrivals_mean * hours[(row.weekday, row.hour)])
        got = count(con, selection, "weekday_hour", (row.weekday, row.hour))
        assert got == expected, (row.weekday, row.hour)


@pytest.mark.parametrize("grain", ["hour", "day"])
def test_a_backlog_point_lists_the_tickets_open_and_awaiting_at_its_end(case, grain):
    con, selection = case
    series = metrics.backlog_page(con, selection, grain=grain, settings=SETTINGS).series
    # every 7th hour keeps the test short; every day
    rows = series.iloc[:: 7 if grain == "hour" else 1]
    for index, row in zip(rows.index, rows.itertuples(), strict=True):
        if grain == "hour":
            # real hours: aware arithmetic in a zone would step over wall-clock hours
            end = selection.start.astimezone(UTC) + timedelta(hours=int(index) + 1)
        else:
            end = local_midnight_after(row.bucket, selection.tz)
        assert count(con, selection, "open_at", end) == row.open, row.bucket
        assert count(con, selection, "awaiting_at", end) == row.awaiting_first_response, row.bucket


def test_a_bar_of_the_backlog_by_age_lists_its_open_tickets(case):
    con, selection = case
    age = metrics.backlog_page(con, selection, settings=SETTINGS).now.age
    assert age["open"].sum() > 0
    for row in age.itertuples():
        awaiting = row.awaiting_first_response
        assert count(con, selection, "open_aged", row.age) == row.open, row.age
        assert count(con, selection, "awaiting_aged", row.age) == awaiting, row.age
        assert count(con, selection, "answered_aged", row.age) == row.open - awaiting, row.age


def test_the_list_shows_times_in_the_selection_zone_first_created_first(con):
    selection = CASES[0].selection()
    behind = tickets_behind(con, selection, "created_day", date(2016, 3, 27), SETTINGS)
    tickets = behind.tickets
    assert behind.total == len(tickets) > 0
    assert str(tickets["created_at"].dt.tz) == "Europe/Paris"
    assert (tickets["created_at"].dt.date == date(2016, 3, 27)).all()
    assert tickets["created_at"].is_monotonic_increasing
    limited = tickets_behind(con, selection, "created_day", date(2016, 3, 27), SETTINGS, limit=3)
    assert limited.total == behind.total and len(limited.tickets) == 3
    assert list(limited.tickets["ticket_id"]) == list(tickets["ticket_id"].head(3))


def test_a_point_with_no_ticket_lists_none(con):
    selection = CASES[0].selection()
    behind = tickets_behind(con, selection, "region", "no such region", SETTINGS)
    assert behind.total == 0 and behind.tickets.empty


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("created_at; drop table tickets", date(2016, 3, 27)),
        ("frt_bucket", "2-3 h"),
        ("open_at", datetime(2016, 3, 27, 12)),  # an instant without its zone
    ],
)
def test_a_kind_or_value_outside_the_list_is_refused(con, kind, value):
    with pytest.raises(ValueError):
        tickets_behind(con, CASES[0].selection(), kind, value, SETTINGS)


def test_links_quote_the_ticket_id_whole():
    ids = pd.Series(["INC0001", "a/b?c#d e", "<b>x</b>"])
    links = metrics.ticket_links(ids, "https://desk.example/tickets/{ticket_id}/view")
    assert list(links) == [
        "https://desk.example/tickets/INC0001/view",
        "https://desk.example/tickets/a%2Fb%3Fc%23d%20e/view",
        "https://desk.example/tickets/%3Cb%3Ex%3C%2Fb%3E/view",
    ]


def test_assignees_in_the_list_follow_the_people_view(con):
    selection = CASES[1].selection()
    tickets = tickets_behind(con, selection, "created_week", date(2016, 3, 14), SETTINGS).tickets
    assert tickets["assignee"].notna().any()
    assert "assignee" not in people.shown(tickets, "teams", None).columns
    hidden = people.shown(tickets, "pseudonyms", b"key")["assignee"].dropna()
    assert hidden.str.fullmatch(r"Agent [0-9a-f]{6}").all()


def test_a_month_of_the_seasonality_chart_lists_its_tickets(case):
    con, selection = case
    months = seasonality.volume_by_month(con, selection, SETTINGS)
    assert months["created"].sum() > 0
    for row in months.itertuples():
        first = date(int(row.year), int(row.month), 1)
        assert count(con, selection, "created_month", first) == row.created, first


@pytest.mark.parametrize("tz", ["Europe/Paris", "America/New_York", "Asia/Kolkata"])
def test_a_satisfaction_bar_lists_the_rated_tickets_resolved_in_its_bucket(con, tz):
    start, end = period(date(2016, 3, 1), date(2016, 4, 30), tz)
    selection = Selection("sample", start, end, tz=tz)
    csat = metrics.csat_by_response_bucket(con, selection, SETTINGS)
    assert csat["rated"].sum() > 0 and (csat["rated"] > 0).sum() >= 3
    for row in csat.itertuples():
        assert count(con, selection, "rated_in_bucket", row.bucket) == row.rated, row.bucket
    # the rated tickets, not every one created with that first response
    listed = tickets_behind(con, selection, "rated_in_bucket", "0-1 h", SETTINGS).tickets
    created = count(con, selection, "frt_bucket", "0-1 h")
    assert len(listed) == csat["rated"].iloc[0] != created


@pytest.mark.parametrize(
    ("by", "view"), [("agent", "names"), ("agent", "pseudonyms"), ("team", "names")]
)
def test_a_point_of_the_agents_trend_lists_their_tickets_of_that_week(case, by, view):
    con, selection = case
    key = b"drill-test-key" if view == "pseudonyms" else None
    trend = metrics.agents_trend(con, selection, by, view, key, settings=SETTINGS)
    column = "assignee" if by == "agent" else "team"
    assert trend["handled"].sum() > 0
    if view == "pseudonyms":
        assert trend[column].str.fullmatch(r"Agent [0-9a-f]{6}|\(unassigned\)").all()
    for row in trend.itertuples():
        name = getattr(row, column)
        behind = tickets_behind(
            con,
            selection,
            f"{column}_week",
            (name, row.week),
            SETTINGS,
            limit=1,
            view=view,
            key=key,
        )
        assert behind.total == row.handled, (name, row.week)


def test_a_pseudonym_lists_the_tickets_of_the_name_it_hides(con):
    selection = CASES[1].selection()
    key = b"drill-test-key"
    named = metrics.agents_trend(con, selection, "agent", "names", None, settings=SETTINGS)
    row = named[named["assignee"] != "(unassigned)"].sort_values("handled").iloc[-1]
    value = (people.pseudonym(row["assignee"], key), row["week"])
    hidden = tickets_behind(
        con, selection, "assignee_week", value, SETTINGS, view="pseudonyms", key=key
    )
    real = tickets_behind(con, selection, "assignee_week", (row["assignee"], row["week"]), SETTINGS)
    assert hidden.total == real.total == row["handled"]
    assert list(hidden.tickets["ticket_id"]) == list(real.tickets["ticket_id"])
    # a real name is no pseudonym: it lists nobody's tickets
    asked = tickets_behind(
        con,
        selection,
        "assignee_week",
        (row["assignee"], row["week"]),
        SETTINGS,
        view="pseudonyms",
        key=key,
    )
    assert asked.total == 0
    with pytest.raises(people.PeopleHidden):
        tickets_behind(con, selection, "assignee_week", value, SETTINGS, view="teams")


@pytest.mark.parametrize(
    ("kind", "point", "value"),
    [
        # a bucket named in French on the axis, as typed in its customdata
        ("frt_bucket", {"x": "sans réponse", "customdata": ["not answered", 12]}, "not answered"),
        ("frt_bucket", {"x": "0-1 h", "customdata": {"0": "0-1 h", "1": 40}}, "0-1 h"),
        ("open_aged", {"x": "&lt; 1 jour", "customdata": "&lt; 1 day"}, "< 1 day"),
        # a heatmap cell: its weekday from customdata, whatever the axis calls it
        ("weekday_hour", {"x": "09:00", "y": "lun.", "customdata": {"0": 16.0, "1": 1.0}}, (1, 9)),
        ("weekday_hour", {"x": "23:00", "y": "Sun", "customdata": [2.5, 7]}, (7, 23)),
    ],
)
def test_a_click_names_its_value_whatever_the_language_shown(kind, point, value):
    selection = CASES[0].selection()
    assert value_of(point, kind, selection, "day") == value
