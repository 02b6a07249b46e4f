"""Seasonality: volume by month and week year over year, weekday and hour profiles, decompositions."""

import zoneinfo
from dataclasses import replace
from datetime import timedelta

import pandas as pd
import streamlit as st

import ui
from analytics import charts, metrics, seasonality
from ui import N_, _

DIVIDER = "gray"
# The measure's option codes (kept in the session) and what they show.
MEASURES = {"Tickets": N_("Tickets"), "Median first response": N_("Median first response")}
DIRECTIONS = {"spike": N_("spike"), "dip": N_("dip")}
# The candidate events as shown, in order.
SPIKE_LABELS = {
    "day": N_("Day"),
    "observed": N_("Observed"),
    "expected": N_("Expected"),
    "residual": N_("Residual"),
    "score": N_("Robust z"),
    "direction": N_("Direction"),
    "in_calendar": N_("Calendar events that day"),
}


def spikes_table(spikes: pd.DataFrame) -> pd.DataFrame:
    """Return the candidate events as text in the session's language."""
    shown = spikes.copy()
    shown["day"] = shown["day"].map(ui.long_date)
    for column in ("observed", "expected"):
        shown[column] = shown[column].map(lambda value: ui.number(value, 1))
    for column in ("residual", "score"):
        shown[column] = shown[column].map(lambda value: ui.signed(value, 1))
    shown["direction"] = shown["direction"].map(lambda way: _(DIRECTIONS.get(way, way)))
    return shown


st.title(_("Seasonality"))
selection = ui.selection()
if selection is None:
    st.info(_("The store is empty. Import a helpdesk export on the Data page."))
    st.stop()

whole = st.toggle(
    _("Whole history"),
    value=True,
    key="season_whole_history",
    help=_("Seasons need years: ignore the sidebar's period (the filters still apply)."),
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
first_measure = next(iter(MEASURES))
measure = ui.choice(_("Measure"), MEASURES, first_measure, "season_measure")
tickets = measure == first_measure
hours = ui.hours_label(selection)
st.caption(
    _(
        "Tickets counted by creation date; days, weeks and hours in {zone}; first response "
        "in {hours}."
    ).format(zone=ui.md_escape(selection.tz), hours=hours)
)

st.subheader(_("Year over year"), divider=DIVIDER)
months = ui.cached(seasonality.volume_by_month, selection, settings=ui.settings())
weeks = ui.cached(seasonality.volume_by_week, selection, settings=ui.settings())
value, unit = ("created_per_day", _("Tickets per day")) if tickets else ("frt_median_h", _("Hours"))
label = _("Tickets per day") if tickets else _("Median first response")
cohort = _(charts.COHORT)
cols = st.columns(2)
with cols[0]:
    state = ui.chart(
        ui.figure(
            charts.year_over_year,
            months,
            "month",
            value,
            _("{measure} by month ({cohort})").format(measure=label, cohort=cohort),
            unit,
            lang=ui.lang(),
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
            _("{measure} by ISO week ({cohort})").format(measure=label, cohort=cohort),
            unit,
            lang=ui.lang(),
        ),
        weeks,
        "season_weeks",
        empty=weeks.empty or weeks["created"].sum() == 0,
        select=True,
    )
    ui.tickets_below(state, selection, "created_week", "season_weeks")

st.subheader(_("Weekday and hour of day"), divider=DIVIDER)
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
            _("{measure} by weekday, spread across weeks").format(measure=label),
            _("Tickets per day") if tickets else _("Hours"),
            labels=ui.weekday_names(short=True),
            suffix=suffix,
            lang=ui.lang(),
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
            _("{measure} by hour of day, spread across weeks").format(measure=label),
            _("Tickets per hour") if tickets else _("Hours"),
            suffix=suffix,
            lang=ui.lang(),
        ),
        hourly,
        "season_hour",
        empty=hourly.empty or hourly["created_mean"].sum() == 0,
    )

st.subheader(_("Decomposition"), divider=DIVIDER)
column = "created" if tickets else "frt_median_h"
parts = ui.cached(seasonality.daily_decomposition, selection, column, settings=ui.settings())
st.caption(
    _(
        "Daily series: STL with a weekly period; from two years on, its level is split into "
        "annual Fourier terms and the trend. Hourly: the last 8 weeks, STL with a weekly "
        "period split into the hour-of-day profile and the weekday differences."
    )
)
ui.chart(
    ui.figure(
        charts.decomposition,
        parts,
        "day",
        ("trend", "weekly", "annual", "residual"),
        _("{measure} per day").format(measure=label),
        unit,
        ui.events_for(selection),
        lang=ui.lang(),
    ),
    parts,
    "season_decomposition_daily",
    empty=parts.empty,
    empty_message=_("Four weeks of data are needed for a decomposition."),
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
        _("{measure} per hour").format(measure=label),
        unit,
        ui.events_for(
            replace(selection, start=selection.end - timedelta(weeks=seasonality.HOURLY_WEEKS))
        ),
        lang=ui.lang(),
    ),
    hourly_parts,
    "season_decomposition_hourly",
    empty=hourly_parts.empty,
    empty_message=_("Two weeks of data are needed for an hourly decomposition."),
)

st.subheader(_("Candidate events"), divider=DIVIDER)
spikes = ui.cached(seasonality.candidate_events, selection, column, settings=ui.settings())
if spikes.empty:
    st.write(_("No day stands out from the decomposition."))
else:
    st.caption(
        _(
            "Days whose residual is at least {z} robust standard deviations from zero, "
            "largest first. Days no calendar event explains may deserve one."
        ).format(
            z=ui.number(seasonality.SPIKE_Z, 0 if float(seasonality.SPIKE_Z).is_integer() else 1)
        )
    )
    ui.grid(spikes_table(spikes), labels=SPIKE_LABELS)
    ui.download_csv(spikes, "candidate_events")
