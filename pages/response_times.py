"""Response times: trends, distribution, breakdowns, SLA by week, the slowest tickets."""

import streamlit as st

import ui
from analytics import charts, coverage
from analytics.metrics import DIMENSIONS

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
        ui.chart(
            ui.figure(charts.response_time_trend, trend, "frt", events),
            trend,
            "first_response_trend",
        )
with right:
    if not not_in_source("Resolution time", "resolution"):
        ui.chart(
            ui.figure(charts.response_time_trend, trend, "resolution", events),
            trend,
            "resolution_trend",
        )
if "first_response" in missing:
    # The distribution, SLA, breakdown and slowest tickets all measure the first response.
    st.stop()

left, right = st.columns(2)
with left:
    buckets = page.buckets
    ui.chart(
        ui.figure(charts.buckets_bar, buckets),
        buckets,
        "first_response_buckets",
        empty=buckets["tickets"].sum() == 0,
    )
with right:
    sla = page.sla
    ui.chart(
        ui.figure(charts.sla_weekly, sla, ui.settings().sla_target_hours),
        sla,
        "sla_weekly",
        empty=sla.empty or sla["evaluated"].sum() == 0,
    )

breakdown = page.breakdown
ui.chart(
    ui.figure(charts.breakdown_bar, breakdown, dimension),
    breakdown,
    f"first_response_by_{dimension}",
)

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
