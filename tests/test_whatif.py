"""The what-if: every row of the plan counts, inputs stay within a real desk's bounds, a run
keeps to its time budget, and teams are the selected source's own regions.

Runs on real stores: the built-in sample (a simulated desk) and the NYC 311 slice of
../shared/realdata, imported as the Data page imports it.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import exports
import numpy as np
import pandas as pd
import pytest
import streamlit as st
from apptest import fresh_app, page_on
from streamlit.testing.v1 import AppTest

from analytics import forecast, metrics, store
from analytics import sample as sim
from analytics.planning import staffing, whatif
from analytics.settings import ForecastSettings, load_settings

ROOT = Path(__file__).resolve().parents[1]
NYC311 = exports.REALDATA / "nyc311_sample" / "nyc311_2023-02-28.csv"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory, sample_desk) -> Path:
    """Half a year of the simulated desk at a tenth of its volume, in a store file."""
    folder = tmp_path_factory.mktemp("whatif")
    files = sample_desk(start=date(2024, 1, 1), years=0.5, scale=0.1)
    con = store.connect(folder / "store.sqlite")
    try:
        exports.import_(con, files.tickets_csv, source="sample")
    finally:
        con.close()
    return folder / "store.sqlite"


@pytest.fixture(scope="module")
def nyc_db(tmp_path_factory) -> Path:
    """The NYC 311 slice (one day of requests, five boroughs) in a store file."""
    if not NYC311.exists():
        pytest.skip(f"real data not found at {NYC311} (../shared/realdata beside the repo)")
    db = tmp_path_factory.mktemp("nyc") / "store.sqlite"
    con = store.connect(db)
    exports.import_(con, NYC311)
    con.close()
    return db


def whole_selection(con, source: str, tz: str = "UTC") -> metrics.Selection:
    span = metrics.source_span(con, source)
    start, end = metrics.period(span.first_created_at.date(), span.as_of.date(), tz)
    return metrics.Selection(source, start, end, tz=tz)


def one_team_week(per_hour: float = 6.0, days: int = 7) -> dict[str, pd.Series]:
    """Expected arrivals of one team from a Monday, busier in office hours."""
    hours = pd.date_range("2026-03-02", periods=24 * days, freq="h")
    shape = np.where((hours.hour >= 8) & (hours.hour < 19), 1.0, 0.2)
    return {"Desk": pd.Series(per_hour * shape, index=hours)}


def week_plan(team: str = "Desk", queue: int = 3, live: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        [(team, d, 7, 20, queue, live) for d in staffing.WEEKDAYS],
        columns=list(staffing.PLAN_COLUMNS),
    )


# --- every row of the plan counts ------------------------------------------------------


@pytest.fixture(scope="module")
def sample_whatif(sample_db):
    """The sample's selection, its default plan and the baseline of the what-if under it."""
    con = store.connect(sample_db, read_only=True)
    try:
        selection = whole_selection(con, "sample")
        regions = forecast.series_names(con, selection, "D", "region", load_settings())[1:]
        plan = whatif.default_plan({region: 30.0 for region in regions})
        base = whatif.compare(con, selection, 14, staffing.plan_rows(plan), whatif.Scenario())
    finally:
        con.close()
    return selection, plan, base["baseline"]


@pytest.mark.parametrize("weekday", staffing.WEEKDAYS)
def test_an_edit_to_one_weekday_changes_that_day_and_no_day_before_it(
    sample_db, sample_whatif, weekday
):
    selection, plan, base = sample_whatif
    # Nobody on shift on that weekday, in every team.
    edited = plan.copy()
    edited.loc[edited["weekday"] == weekday, ["queue_agents", "live_agents"]] = 0
    con = store.connect(sample_db, read_only=True)
    try:
        rows = staffing.plan_rows(edited)
        after = whatif.compare(con, selection, 14, rows, whatif.Scenario())["baseline"]
    finally:
        con.close()
    names = [staffing.WEEKDAYS[d] for d in pd.DatetimeIndex(base["date"]).day_of_week]
    day = names.index(weekday)
    assert base.loc[day, "answered"] > 0
    assert after.loc[day, "answered"] == 0
    assert after.loc[day, "awaiting"] > base.loc[day, "awaiting"]
    # The days before are untouched; the days after inherit that day's backlog.
    columns = ["created", "answered", "awaiting"]
    pd.testing.assert_frame_equal(after.loc[: day - 1, columns], base.loc[: day - 1, columns])


@pytest.mark.parametrize("weekday", staffing.WEEKDAYS)
def test_a_shift_moved_on_one_weekday_moves_that_days_answers(weekday):
    hourly = one_team_week()
    plan = week_plan()
    base = whatif.summary(whatif.run(hourly, plan), 7)
    late = plan.copy()
    late.loc[late["weekday"] == weekday, ["start_hour", "end_hour"]] = (21, 24)
    after = whatif.summary(whatif.run(hourly, late), 7)
    day = staffing.WEEKDAYS.index(weekday)
    # Nobody answers between 20:00 and 21:00 any more: more tickets wait that evening.
    assert after.loc[day, "answered"] != base.loc[day, "answered"]
    columns = ["created", "answered", "awaiting"]
    pd.testing.assert_frame_equal(after.loc[: day - 1, columns], base.loc[: day - 1, columns])


# --- bounds on every input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"queue_agents": 200_000}, "agents are between 0 and 10,000"),
        ({"live_agents": -1}, "agents are between 0 and 10,000"),
        ({"start_hour": 24}, "start before end"),
        ({"end_hour": 25}, "between hours 0 and 24"),
        ({"queue_agents": 2.5}, "whole numbers"),
        ({"end_hour": float("nan")}, "whole numbers"),
    ],
)
def test_a_plan_out_of_bounds_stops_the_what_if_before_it_runs(change, message):
    plan = week_plan().astype(object)  # as edited: any value may come back
    plan.loc[plan["weekday"] == "Wed", list(change)] = list(change.values())
    with pytest.raises(staffing.PlanError, match=message):
        whatif.run(one_team_week(), plan)
    with pytest.raises(staffing.PlanError, match=message):
        staffing.planned_per_hour(plan, pd.date_range("2026-03-02", periods=24, freq="h"), "x")


def test_a_plan_without_a_full_week_for_a_team_is_refused():
    plan = week_plan()
    with pytest.raises(whatif.ScenarioError, match="no full week for the team Desk"):
        whatif.run(one_team_week(), plan[plan["weekday"] != "Sun"])


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (whatif.Scenario(weekend_agents=200_000), "extra weekend agents"),
        (whatif.Scenario(weekend_agents=-1), "extra weekend agents"),
        (whatif.Scenario(rollout_shift_days=10_000), "rollouts move"),
        (whatif.Scenario(chat_closed=(date(2026, 3, 9), date(2026, 3, 2))), "the chat closes"),
        (whatif.Scenario(chat_closed=(date(2026, 3, 2), date(2036, 3, 2))), "at most 366 days"),
    ],
)
def test_a_scenario_out_of_bounds_is_refused(scenario, message):
    with pytest.raises(whatif.ScenarioError, match=message):
        whatif.run(one_team_week(), week_plan(), scenario)


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        (float("inf"), "finite and not negative"),
        (-1.0, "finite and not negative"),
        (1e9, "the what-if simulates up to 2,000,000"),
    ],
)
def test_arrivals_out_of_bounds_are_refused(rate, message):
    hourly = one_team_week()
    hourly["Desk"].iloc[30] = rate
    with pytest.raises(whatif.ScenarioError, match=message):
        whatif.run(hourly, week_plan())


def test_the_what_if_refuses_a_horizon_and_a_planned_event_out_of_bounds(sample_db):
    con = store.connect(sample_db, read_only=True)
    try:
        selection = whole_selection(con, "sample")
        rows = staffing.plan_rows(week_plan("France"))
        with pytest.raises(whatif.ScenarioError, match="7 to 90 days ahead"):
            whatif.compare(con, selection, 10_000, rows, whatif.Scenario())
        huge = forecast.PlannedEvent("Launch", "product launch", "all", date(2025, 3, 1),
                                     date(2025, 3, 5), uplift=1e6)  # fmt: skip
        with pytest.raises(whatif.ScenarioError, match="between 0 and 10x"):
            whatif.compare(con, selection, 14, rows, whatif.Scenario(), (huge,))
    finally:
        con.close()


# --- a time budget, and a run that nobody waits for -------------------------------------


def test_a_large_run_stops_at_its_time_budget_with_a_clear_message():
    # Three busy teams for four weeks: about 400,000 tickets, within the bounds.
    hourly = {team: one_team_week(200.0, 28)["Desk"] for team in ("A", "B", "C")}
    plan = pd.concat([week_plan(team, 300, 50) for team in hourly], ignore_index=True)
    budget = sim.Budget(seconds=0.001, label="the what-if")
    with pytest.raises(sim.Stopped, match=r"^the what-if stopped after [\d.]+ s: it reached its "
                                          r"time limit of 0.001 s$"):  # fmt: skip
        whatif.run(hourly, plan, budget=budget)


def test_the_what_if_keeps_to_the_configured_budget(sample_db):
    con = store.connect(sample_db, read_only=True)
    try:
        selection = whole_selection(con, "sample")
        settings = load_settings()
        tight = replace(settings, forecast=replace(settings.forecast, whatif_seconds=0.0))
        rows = staffing.plan_rows(week_plan("France"))
        with pytest.raises(sim.Stopped, match="the what-if stopped after"):
            whatif.compare(con, selection, 14, rows, whatif.Scenario(), settings=tight)
    finally:
        con.close()


def test_the_page_says_when_the_what_if_ran_out_of_time(sample_db, tmp_path, monkeypatch):
    path = tmp_path / "settings.toml"
    path.write_text("[staffing]\nwhatif_seconds = 0\n", encoding="utf-8")
    monkeypatch.setenv("BACKLOG_RADAR_SETTINGS", str(path))
    at = app_on(sample_db, monkeypatch)
    at.button[-1].click().run()
    assert not at.exception
    (error,) = at.error
    shown = error.value.replace("\\", "")  # as the reader sees the escaped Markdown
    assert shown.startswith("No what-if: the what-if stopped after ")
    assert shown.endswith(" s: it reached its time limit of 0 s")
    assert all("Plan" not in frame.value.columns for frame in at.dataframe)
    st.cache_resource.clear()


def test_the_time_budget_is_a_setting(tmp_path):
    assert ForecastSettings().whatif_seconds == 60.0
    path = tmp_path / "settings.toml"
    path.write_text("[staffing]\nwhatif_seconds = 5\n", encoding="utf-8")
    assert load_settings({"BACKLOG_RADAR_SETTINGS": str(path)}).forecast.whatif_seconds == 5.0


def test_the_queue_loop_asks_whether_to_go_on_and_stops_when_called_off():
    calls = itertools.count()
    hourly = one_team_week(60.0, 28)

    def cancelled() -> bool:
        return next(calls) >= 5

    with pytest.raises(sim.Stopped, match="it was cancelled"):
        whatif.run(hourly, week_plan(queue=40, live=10), budget=sim.Budget(cancelled=cancelled))
    # Asked again and again while serving, not once up front.
    assert next(calls) == 6


# An app that runs a large what-if under the check the Staffing page passes, and writes
# down how the run ended.
SESSION_PROBE = """
import os
import pathlib

import pandas as pd
import streamlit as st

import ui
from analytics import sample as sim
from analytics.planning import staffing, whatif

hours = pd.date_range("2026-03-02", periods=24 * 28, freq="h")
hourly = {team: pd.Series(300.0, index=hours) for team in "ABCDE"}
plan = pd.DataFrame(
    [(team, day, 0, 24, 300, 60) for team in hourly for day in staffing.WEEKDAYS],
    columns=list(staffing.PLAN_COLUMNS),
)
st.write("Simulating the queue")
try:
    whatif.run(hourly, plan, budget=sim.Budget(cancelled=ui.session_ended, label="the what-if"))
    outcome = "finished"
except sim.Stopped as exc:
    outcome = str(exc)
pathlib.Path(os.environ["WHATIF_OUTCOME"]).write_text(outcome, encoding="utf-8")
"""


@pytest.mark.browser
def test_a_what_if_stops_when_its_browser_tab_closes(app_server_factory, browser, tmp_path):
    script = tmp_path / "session_probe.py"
    script.write_text(SESSION_PROBE, encoding="utf-8")
    outcome = tmp_path / "outcome.txt"
    server = app_server_factory(
        tmp_path / "probe.sqlite", script=script, env={"WHATIF_OUTCOME": str(outcome)}
    )
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url)
    # About a million tickets: the run is under way once the text shows.
    page.get_by_text("Simulating the queue").wait_for(timeout=60_000)
    context.close()
    deadline = time.monotonic() + 120
    while not outcome.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert re.fullmatch(
        r"the what-if stopped after [\d.]+ s: it was cancelled \(nobody waits for it any more\)",
        outcome.read_text(encoding="utf-8"),
    )


def test_the_sample_simulation_keeps_to_a_budget_too():
    with pytest.raises(sim.Stopped, match="the simulation stopped after"):
        sim.simulate(sim.SimConfig(years=0.5, scale=1.0), sim.Budget(seconds=0.001))


# --- teams come from the source ----------------------------------------------------------


def test_nyc311_teams_are_its_boroughs_in_the_simulation(nyc_db):
    con = store.connect(nyc_db, read_only=True)
    try:
        source = con.execute("select source from tickets limit 1").fetchone()[0]
        boroughs = {r[0] for r in con.execute("select distinct region from tickets").fetchall()}
        selection = whole_selection(con, source, "America/New_York")
        history = forecast.history(con, selection, "H", "region")
    finally:
        con.close()
    history = history[history["series"] != "total"]
    assert set(history["series"]) == boroughs
    # The day's own arrivals, hour by hour, run through the queue per borough.
    per_hour = history.pivot_table(index="period", columns="series", values="created",
                                   aggfunc="sum")  # fmt: skip
    per_hour = per_hour.reindex(pd.date_range("2023-02-28", periods=24, freq="h"), fill_value=0)
    hourly = {b: per_hour[b].fillna(0).astype(float) for b in per_hour.columns}
    plan = whatif.default_plan({b: float(s.sum()) for b, s in hourly.items()})
    tickets = whatif.run(hourly, plan, tz="America/New_York")
    assert set(plan["team"]) == set(tickets["team"]) == boroughs
    assert not set(tickets["team"]) & set(sim.REGIONS)


def app_on(db: Path, monkeypatch) -> AppTest:
    """The staffing page of the real app on a store file."""
    return page_on(db, "pages/staffing.py", monkeypatch, timeout=240)


def plan_key(at: AppTest) -> str:
    (key,) = [k for k in at.session_state if k.startswith("plan_")]
    return key


def test_the_staffing_page_on_one_day_of_nyc311_names_no_sample_team(nyc_db, monkeypatch):
    # One day of arrivals is too short to forecast, so there is no plan to show; the
    # page says so, and nothing of the sample's desk appears. (A source long enough
    # to plan shows its own teams: tests/test_browser_pages.py, on the ServiceNow log.)
    at = app_on(nyc_db, monkeypatch)
    # What the page says; the data's freshness line above it names the display zone
    # (Europe/Paris), which is no team.
    shown = " ".join(str(m.value) for m in [*at.markdown, *at.warning, *at.info, *at.error])
    assert "Not enough history" in shown
    assert not [k for k in at.session_state if str(k).startswith("plan_")]
    assert not [name for name in sim.REGIONS if name in shown]
    st.cache_resource.clear()


def test_the_page_refuses_200000_agents_and_runs_nothing(sample_db, monkeypatch):
    at = app_on(sample_db, monkeypatch)
    at.button[-1].click().run()
    assert list(at.dataframe[-1].value["Plan"]) == ["Baseline plan", "Scenario"]
    key = plan_key(at)
    plan = at.session_state[key].copy()
    plan.loc[0, "queue_agents"] = 200_000
    at.session_state[key] = plan
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"The plan is not valid: row 1 \\({plan.loc[0, 'team']}, Mon\\): agents are between 0 "
        "and 10,000"
    ]
    # The what-if stays off: no result table, no button to run it.
    assert all("Plan" not in frame.value.columns for frame in at.dataframe)
    assert not [b for b in at.button if b.label == "Run the what-if"]
    st.cache_resource.clear()


def test_the_rest_of_today_follows_the_arrivals_so_far():
    """Ten hours at twice the expected rate: with a weight of 1 the rest of today
    doubles, tomorrow stays as forecast; without a weight, or at midnight, nothing moves."""
    today = pd.Timestamp("2026-03-04")
    expected = {"Europe": pd.Series(10.0, index=pd.date_range(today, periods=48, freq="h"))}
    seen = pd.date_range(today, periods=10, freq="h")
    history = pd.DataFrame({"series": "Europe", "period": seen, "created": 20.0})
    updated = whatif.today_updated(expected, history, 1.0)["Europe"]
    factor = 201 / 101
    assert (updated.iloc[:10] == 10).all()
    assert updated.iloc[10:24].to_numpy() == pytest.approx(10 * factor)
    assert (updated.iloc[24:] == 10).all()
    half = whatif.today_updated(expected, history, 0.5)["Europe"]
    assert half.iloc[12] == pytest.approx(10 * factor**0.5)
    assert whatif.today_updated(expected, history, None)["Europe"].equals(expected["Europe"])
    midnight = history.assign(period=seen - pd.Timedelta(hours=10))
    assert whatif.today_updated(expected, midnight, 1.0)["Europe"].equals(expected["Europe"])


def test_the_staffing_page_speaks_french_with_plain_column_names(sample_db, monkeypatch):
    at = fresh_app(sample_db, monkeypatch, 240, lang="fr")
    at.run()
    at.switch_page("pages/staffing.py").run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Effectifs et simulation"
    # French puts a narrow no-break space before a colon.
    queued = "Travail en file d'attente\u202f: agents par jour"
    assert [h.value for h in at.subheader][:2] == ["Plan actuel", queued]
    captions = " ".join(c.value for c in at.caption)
    # Shares with a no-break space before the percent sign, hours as "6 h".
    assert re.search(r"\d+\u00a0% des tickets", captions), captions
    assert re.search(r"sous \d+(,\d)?\u00a0h", captions), captions
    at.button[-1].click().run()
    assert not at.exception and not at.error
    result = at.dataframe[-1].value
    assert list(result.columns[:3]) == ["Plan", "Tickets", "Première réponse p50 (h)"]
    assert list(result["Plan"]) == ["Plan de référence", "Scénario"]
    assert all(re.fullmatch(r"\d+,\d", hours) for hours in result["Première réponse p50 (h)"])
    st.cache_resource.clear()
