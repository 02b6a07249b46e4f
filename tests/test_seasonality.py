"""Seasonal views on a small simulated desk: volumes, profiles, decompositions, spikes.

The simulator's seasons are known (docs/simulator.md): September well above
August, Monday the busiest weekday and Sunday the quietest, a morning peak.
Counts are also checked against a plain recount of the tickets table.
"""

import re
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics import events, ingest, metrics, seasonality, store
from analytics.settings import load_settings

TZ = "Europe/Paris"


@pytest.fixture(scope="module")
def desk(tmp_path_factory, sample_desk):
    """Two years of the sample desk at a small scale, with its events, and the whole period."""
    folder = tmp_path_factory.mktemp("seasons")
    files = sample_desk(years=2, scale=0.25)
    con = store.connect(folder / "seasons.sqlite")
    ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
    events.import_events_csv(con, files.events_csv)
    start, end = metrics.period(date(2023, 1, 2), date(2024, 12, 31), TZ)
    yield con, metrics.Selection("sample", start, end, TZ)
    con.close()


def local_days(con) -> pd.Series:
    created = con.execute("select created_at from tickets where source = 'sample'").df()
    return created["created_at"].dt.tz_convert(TZ).dt.tz_localize(None)


def test_volume_by_month_matches_a_recount_and_shows_the_september_peak(desk):
    con, selection = desk
    months = seasonality.volume_by_month(con, selection)
    stamps = local_days(con)
    stamps = stamps[(stamps >= "2023-01-02") & (stamps < "2025-01-01")]
    recount = stamps.groupby([stamps.dt.year, stamps.dt.month]).size()
    assert months.set_index(["year", "month"])["created"].to_dict() == recount.to_dict()
    per_day = months.set_index(["year", "month"])["created_per_day"]
    for year in (2023, 2024):
        assert per_day[(year, 9)] > 1.3 * per_day[(year, 8)]
    assert months.loc[(months["year"] == 2023) & (months["month"] == 1), "days"].item() == 30


def test_volume_by_week_counts_iso_weeks_with_partial_weeks_per_day(desk):
    con, selection = desk
    weeks = seasonality.volume_by_week(con, selection)
    assert weeks["created"].sum() == seasonality.volume_by_month(con, selection)["created"].sum()
    first = weeks.iloc[0]
    assert (first["year"], first["week"], first["days"]) == (2023, 1, 7)
    last = weeks.iloc[-1]
    assert (last["year"], last["week"]) == (2025, 1)  # 2024-12-30 and 31 are ISO 2025-W01
    assert last["days"] == 2


def test_weekday_profile_has_monday_busiest_sunday_quietest_with_a_spread(desk):
    con, selection = desk
    profile = seasonality.weekday_profile(con, selection).set_index("weekday")
    assert profile["created_median"].idxmax() == 1
    assert profile["created_median"].idxmin() == 7
    assert (profile["created_p10"] < profile["created_median"]).all()
    assert (profile["created_median"] < profile["created_p90"]).all()
    assert profile["weeks"].sum() == 730


def test_hour_profile_peaks_in_the_local_morning(desk):
    con, selection = desk
    # France's team works in the display time zone; the whole desk mixes four zones.
    france = replace(selection, regions=("France",))
    profile = seasonality.hour_profile(con, france).set_index("hour")
    assert len(profile) == 24
    assert profile["created_mean"].idxmax() in range(9, 13)
    assert profile["created_mean"].idxmin() in range(0, 6)
    # Per hour, the mean over a week of that hour, summed over the day: tickets per day.
    tickets = seasonality.volume_by_month(con, france)["created"].sum()
    assert profile["created_mean"].sum() == pytest.approx(tickets / 730, rel=0.02)


def test_daily_decomposition_adds_up_and_finds_the_weekly_and_annual_cycles(desk):
    con, selection = desk
    parts = seasonality.daily_decomposition(con, selection)
    total = parts["trend"] + parts["weekly"] + parts["annual"] + parts["residual"]
    np.testing.assert_allclose(total, parts["observed"], atol=1e-6)
    day = pd.to_datetime(parts["day"])
    weekly = parts.groupby(day.dt.day_of_week)["weekly"].mean()
    assert weekly.idxmax() == 0 and weekly.idxmin() == 6
    annual = parts.groupby(day.dt.month)["annual"].mean()
    assert annual[9] > annual[8] + 5


def test_first_response_decomposes_too(desk):
    con, selection = desk
    parts = seasonality.daily_decomposition(con, selection, "frt_median_h")
    assert len(parts) == 730
    assert parts["trend"].notna().all()


def test_hourly_decomposition_splits_the_day_and_the_week(desk):
    con, selection = desk
    parts = seasonality.hourly_decomposition(con, replace(selection, regions=("France",)))
    assert 8 * 168 - 2 <= len(parts) <= 8 * 168 + 2
    hours = pd.to_datetime(parts["hour"])
    daily = parts.groupby(hours.dt.hour)["daily"].mean()
    assert daily.idxmax() in range(8, 13) and daily.idxmin() in range(0, 6)
    total = parts["trend"] + parts["daily"] + parts["weekly"] + parts["residual"]
    np.testing.assert_allclose(total, parts["observed"], atol=1e-6)


def test_a_spike_is_listed_as_a_candidate_event_with_its_date():
    days = pd.date_range("2024-01-01", periods=140, freq="D")
    rng = np.random.default_rng(5)
    counts = rng.poisson(100 * np.array([1.3, 1.1, 1, 1, 0.9, 0.5, 0.4])[days.day_of_week])
    counts[60] += 120
    parts = seasonality.decompose_daily(pd.DataFrame({"day": days, "created": counts}))
    calendar = pd.DataFrame(
        {"name": ["Outage"], "starts_on": [days[60].date()], "ends_on": [pd.NaT]}
    )
    spikes = seasonality.residual_spikes(parts, calendar)
    assert spikes.iloc[0]["day"] == days[60].date()
    assert spikes.iloc[0]["direction"] == "spike"
    assert spikes.iloc[0]["in_calendar"] == "Outage"
    assert spikes.iloc[0]["score"] > 5


def test_candidate_events_on_the_sample_name_the_calendar(desk):
    con, selection = desk
    spikes = seasonality.candidate_events(con, selection)
    assert 0 < len(spikes) <= seasonality.MAX_SPIKES
    assert (spikes["score"].abs() >= seasonality.SPIKE_Z).all()
    # Christmas dips are in the calendar the sample ships.
    assert spikes["in_calendar"].str.contains("Christmas").any()


@pytest.mark.parametrize("days", [0, 10])
def test_too_short_a_series_gives_an_empty_decomposition(days):
    frame = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=days), "created": 1})
    assert seasonality.decompose_daily(frame).empty
    assert seasonality.residual_spikes(seasonality.decompose_daily(frame)).empty


def test_the_seasonality_page_draws_every_chart_on_the_sample(desk, monkeypatch):
    import streamlit as st
    from apptest import fresh_app

    con, _ = desk
    try:
        at = fresh_app(store.location(con).catalog_file, monkeypatch, 120).run()
        at.switch_page("pages/seasonality.py").run()
        assert not at.exception and not at.error
        assert [h.value for h in at.subheader] == [
            "Year over year",
            "Weekday and hour of day",
            "Decomposition",
            "Candidate events",
        ]
        assert len(at.get("plotly_chart")) == 6
        assert not at.info  # no chart fell back to its empty message
        at.segmented_control(key="season_measure").set_value("Median first response").run()
        assert not at.exception and len(at.get("plotly_chart")) == 6
    finally:
        st.cache_resource.clear()


def test_the_seasonality_page_names_months_and_weekdays_in_french(desk, monkeypatch):
    import json

    import streamlit as st
    from apptest import fresh_app

    con, _ = desk
    try:
        at = fresh_app(store.location(con).catalog_file, monkeypatch, 120, lang="fr")
        at.run()
        at.switch_page("pages/seasonality.py").run()
        assert not at.exception and not at.error
        assert [h.value for h in at.subheader] == [
            "D'une année sur l'autre",
            "Jour de la semaine et heure",
            "Décomposition",
            "Événements candidats",
        ]
        figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
        months = figures[0]["layout"]["xaxis"]["categoryarray"]
        assert months[0] == "janv." and months[8] == "sept."
        weekdays = figures[2]["data"][-1]["x"]
        assert weekdays[0] == "lun." and weekdays[6] == "dim."
        assert figures[0]["layout"]["title"]["text"].startswith("Tickets par jour par mois")
        spikes = at.dataframe[-1].value
        assert "Résidu" in spikes.columns and "residual" not in spikes.columns
        # A decimal comma, and a signed residual.
        assert all(re.fullmatch(r"[+-]\d+(\u202f\d{3})*,\d", cell) for cell in spikes["Résidu"])
    finally:
        st.cache_resource.clear()
