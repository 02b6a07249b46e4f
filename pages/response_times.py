"""Response times: trends, distribution, breakdowns, SLA by week, the slowest tickets."""

from zoneinfo import ZoneInfo

import streamlit as st

import ui
from analytics import charts, coverage, people
from analytics.metrics import DIMENSIONS, risk

st.title("Response times")
selection = ui.selection()
if selection is None:
    st.info("The store is empty. Import a helpdesk export on the Data page.")
    st.stop()
st.caption(f"Tickets counted by creation date (cohort); durations in {ui.hours_label(selection)}.")

missing = ui.cached(coverage.missing_inputs, selection.source)
controls = st.columns(2)
with controls[0]:
    grain = (
        st.segmented_control("Trend by", ["day", "week"], default="week", key="frt_grain") or "week"
    )
dimension = "region"
# The breakdown is of first responses: without them there is nothing to break down.
if "first_response" not in missing:
    with controls[1]:
        dimension = (
            st.segmented_control(
                "Break down by", list(DIMENSIONS), default="region", key="frt_dimension"
            )
            or "region"
        )
# Only what is shown is computed: another grain or dimension is one more
# query, then cached.
page = ui.metric("response_times_page", selection, grain=grain, dimension=dimension)
trend = page.trend
events = ui.events_for(selection)


def not_in_source(what: str, needs: str) -> bool:
    """Say that ``what`` is not in this source, and why, when the source lacks its input."""
    if needs in missing:
        st.info(f"{what}: {coverage.NOT_IN_SOURCE}. {ui.md_escape(missing[needs])}")
        return True
    return False


left, right = st.columns(2)
with left:
    if not not_in_source("First response time", "first_response"):
        state = ui.chart(
            ui.figure(charts.response_time_trend, trend, "frt", events),
            trend,
            "first_response_trend",
            select=True,
        )
        ui.tickets_below(state, selection, f"created_{grain}", "first_response_trend")
with right:
    if not not_in_source("Resolution time", "resolution"):
        state = ui.chart(
            ui.figure(charts.response_time_trend, trend, "resolution", events),
            trend,
            "resolution_trend",
            select=True,
        )
        ui.tickets_below(state, selection, f"created_{grain}", "resolution_trend")
if "first_response" in missing:
    # The distribution, SLA, breakdown and slowest tickets all measure the first response.
    st.stop()

left, right = st.columns(2)
with left:
    buckets = page.buckets
    state = ui.chart(
        ui.figure(charts.buckets_bar, buckets),
        buckets,
        "first_response_buckets",
        empty=buckets["tickets"].sum() == 0,
        select=True,
    )
    ui.tickets_below(state, selection, "frt_bucket", "first_response_buckets")
with right:
    sla = page.sla
    state = ui.chart(
        ui.figure(charts.sla_weekly, sla, ui.settings().sla_target_hours),
        sla,
        "sla_weekly",
        empty=sla.empty or sla["evaluated"].sum() == 0,
        select=True,
    )
    ui.tickets_below(state, selection, "sla_week", "sla_weekly")

breakdown = page.breakdown
state = ui.chart(
    ui.figure(charts.breakdown_bar, breakdown, dimension),
    breakdown,
    f"first_response_by_{dimension}",
    select=True,
)
ui.tickets_below(state, selection, dimension, f"first_response_by_{dimension}")

# Satisfaction by first response: what slow first replies cost, from ratings only.
rating_gap = ui.cached(coverage.missing_quality_inputs, selection.source).get("satisfaction")
if rating_gap:
    st.info(f"Satisfaction by first response: {coverage.NOT_IN_SOURCE}. {ui.md_escape(rating_gap)}")
else:
    csat = ui.metric("csat_by_response_bucket", selection)
    state = ui.chart(
        ui.figure(charts.csat_by_response_bar, csat),
        csat,
        "csat_by_first_response",
        empty=csat["rated"].sum() == 0,
        empty_message="No rated ticket was resolved in this selection.",
        select=True,
    )
    ui.tickets_below(state, selection, "rated_in_bucket", "csat_by_first_response")

st.subheader("Slowest tickets", divider="gray")
slowest = page.slowest
if slowest.empty:
    st.info("No tickets in this selection.")
else:
    st.caption(
        "Waited longest for a first response; unanswered tickets count with their age so "
        f"far. Times in {selection.tz}."
    )
    # Lazy: the table loads the browser's data grid, as heavy as the page's
    # five charts together, so it is drawn when someone opens it.
    table = st.expander("The tickets, slowest first", key="slowest_table", on_change="rerun")
    if table.open:
        with table:
            ui.grid(
                slowest,
                column_config={
                    "wait_h": st.column_config.NumberColumn("Wait (h)", format="%.1f"),
                    "resolution_h": st.column_config.NumberColumn("Resolution (h)", format="%.1f"),
                },
            )
    ui.download_csv(slowest, "slowest_tickets", "Download the slowest tickets (CSV)")

st.subheader("Tickets at risk", divider="gray")
within = st.segmented_control(
    "Due within",
    risk.HORIZONS,
    default=4,
    format_func=lambda hours: f"{hours} h",
    key="risk_within",
)
within = within or 4
agents = people.view_for(ui.settings(), ui.current_user().role)
at_risk = ui.cached(
    risk.tickets_at_risk,
    selection,
    within,
    settings=ui.settings(),
    view=agents,
    key=people.key_for(ui.settings(), agents),
)
as_of = (
    "-"
    if at_risk.now is None
    else f"{at_risk.now.astimezone(ZoneInfo(selection.tz)):%Y-%m-%d %H:%M}"
)
st.markdown(
    f"**{at_risk.count:,} tickets at risk** of missing a target in the next {within} "
    f"{ui.hours_label(selection)}; **{at_risk.breached:,}** already past one.",
    help="Open tickets whose first-response clock (while unanswered) or resolution clock "
    "falls due within the horizon, soonest first. Tickets already past a target are counted "
    "apart: that target is missed, the list is of those that can still make theirs. "
    "The period plays no part, the filters do.",
)
st.caption(
    f"As of the export's last event, {as_of}; times in {selection.tz}. Clocks watched: "
    + ", ".join(clock.replace("_", " ") for clock in at_risk.watched)
    + "."
)
if at_risk.count:
    ui.grid(
        at_risk.by_team,
        column_config={
            "team": "Team",
            "at_risk": st.column_config.NumberColumn("At risk"),
            "breached": st.column_config.NumberColumn("Past a target"),
        },
        key="risk_by_team",
    )
    ui.grid(
        at_risk.tickets,
        column_config={
            "ticket_id": "Ticket",
            "clock": "Clock",
            "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
            "due_at": st.column_config.DatetimeColumn("Due", format="YYYY-MM-DD HH:mm"),
            "hours_left": st.column_config.NumberColumn("Hours left", format="%.1f"),
        },
        key="risk_tickets",
    )
    ui.download_csv(at_risk.tickets, "tickets_at_risk", "Download the tickets at risk (CSV)")
else:
    st.info(f"No open ticket in this selection falls due in the next {within} h.")
