"""Seasonality: volume by month and week year over year, weekday and hour profiles, decompositions."""

import zoneinfo
from dataclasses import replace
from datetime import timedelta

import streamlit as st

import ui
from analytics import charts, metrics, seasonality

st.title("Seasonality")
selection = ui.selection()
if selection is None:
    st.info("The store is empty. Import a helpdesk export on the Data page.")
    st.stop()

whole = st.toggle(
    "Whole history",
    value=True,
    key="season_whole_history",
    help="Seasons need years: ignore the sidebar's period (the filters still apply).",
)
if whole:
    span = ui.cached(metrics.source_span, selection.source)
    zone = zoneinfo.ZoneInfo(selection.tz)
    first, last = span.first_created_at.astimezone(zone), span.as_of.astimezone(zone)
    # The export's last day is cut short by the export itself: end on the day before.
    start, end = metrics.period(
        first.date(), max(first.date(), last.date() - timedelta(days=1)), selection.tz
    )
    selection = replace(selection, start=start, end=end)
measure = (
    st.segmented_control(
        "Measure", ["Tickets", "Median first response"], default="Tickets", key="season_measure"
    )
    or "Tickets"
)
tickets = measure == "Tickets"
hours = ui.hours_label(selection)
st.caption(
    f"Tickets counted by creation date; days, weeks and hours in {selection.tz}; "
    f"first response in {hours}."
)

st.subheader("Year over year", divider="gray")
months = ui.cached(seasonality.volume_by_month, selection, settings=ui.settings())
weeks = ui.cached(seasonality.volume_by_week, selection, settings=ui.settings())
value, unit = ("created_per_day", "Tickets per day") if tickets else ("frt_median_h", "Hours")
label = "Tickets per day" if tickets else "Median first response"
cols = st.columns(2)
with cols[0]:
    state = ui.chart(
        ui.figure(
            charts.year_over_year,
            months,
            "month",
            value,
            f"{label} by month ({charts.COHORT})",
            unit,
        ),
        months,
        "season_months",
        empty=months.empty or months["created"].sum() == 0,
        select=True,
    )
    ui.tickets_below(state, selection, "created_month", "season_months")
with cols[1]:
    state = ui.chart(
        ui.figure(
            charts.year_over_year,
            weeks,
            "week",
            value,
            f"{label} by ISO week ({charts.COHORT})",
            unit,
        ),
        weeks,
        "season_weeks",
        empty=weeks.empty or weeks["created"].sum() == 0,
        select=True,
    )
    ui.tickets_below(state, selection, "created_week", "season_weeks")

st.subheader("Weekday and hour of day", divider="gray")
weekday = ui.cached(seasonality.weekday_profile, selection, settings=ui.settings())
hourly = ui.cached(seasonality.hour_profile, selection, settings=ui.settings())
prefix, suffix = ("created", "") if tickets else ("frt", "_h")
cols = st.columns(2)
with cols[0]:
    ui.chart(
        ui.figure(
            charts.profile_spread,
            weekday,
            "weekday",
            prefix,
            f"{label} by weekday, spread across weeks",
            "Tickets per day" if tickets else "Hours",
            labels=charts.WEEKDAYS,
            suffix=suffix,
        ),
        weekday,
        "season_weekday",
        empty=weekday.empty or weekday["created_mean"].sum() == 0,
    )
with cols[1]:
    ui.chart(
        ui.figure(
            charts.profile_spread,
            hourly,
            "hour",
            prefix,
            f"{label} by hour of day, spread across weeks",
            "Tickets per hour" if tickets else "Hours",
            suffix=suffix,
        ),
        hourly,
        "season_hour",
        empty=hourly.empty or hourly["created_mean"].sum() == 0,
    )

st.subheader("Decomposition", divider="gray")
column = "created" if tickets else "frt_median_h"
parts = ui.cached(seasonality.daily_decomposition, selection, column, settings=ui.settings())
st.caption(
    "Daily series: STL with a weekly period; from two years on, its level is split into "
    "annual Fourier terms and the trend. Hourly: the last 8 weeks, STL with a weekly period "
    "split into the hour-of-day profile and the weekday differences."
)
ui.chart(
    ui.figure(
        charts.decomposition,
        parts,
        "day",
        ("trend", "weekly", "annual", "residual"),
        f"{label} per day",
        unit,
        ui.events_for(selection),
    ),
    parts,
    "season_decomposition_daily",
    empty=parts.empty,
    empty_message="Four weeks of data are needed for a decomposition.",
)
hourly_parts = ui.cached(
    seasonality.hourly_decomposition, selection, column, settings=ui.settings()
)
ui.chart(
    ui.figure(
        charts.decomposition,
        hourly_parts,
        "hour",
        ("trend", "daily", "weekly", "residual"),
        f"{label} per hour",
        unit,
        ui.events_for(
            replace(selection, start=selection.end - timedelta(weeks=seasonality.HOURLY_WEEKS))
        ),
    ),
    hourly_parts,
    "season_decomposition_hourly",
    empty=hourly_parts.empty,
    empty_message="Two weeks of data are needed for an hourly decomposition.",
)

st.subheader("Candidate events", divider="gray")
spikes = ui.cached(seasonality.candidate_events, selection, column, settings=ui.settings())
if spikes.empty:
    st.write("No day stands out from the decomposition.")
else:
    st.caption(
        f"Days whose residual is at least {seasonality.SPIKE_Z} robust standard deviations "
        "from zero, largest first. Days no calendar event explains may deserve one."
    )
    ui.grid(
        spikes,
        "candidate_events",
        column_config={
            "day": st.column_config.DateColumn("Day"),
            "observed": st.column_config.NumberColumn("Observed", format="%.1f"),
            "expected": st.column_config.NumberColumn("Expected", format="%.1f"),
            "residual": st.column_config.NumberColumn("Residual", format="%+.1f"),
            "score": st.column_config.NumberColumn("Robust z", format="%+.1f"),
            "direction": "Direction",
            "in_calendar": "Calendar events that day",
        },
    )
