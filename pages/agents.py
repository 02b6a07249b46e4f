"""Agents and teams: figures per agent or team, when their work arrives, and their weeks."""

import streamlit as st

import ui
from analytics import charts, metrics, people

st.title("Agents and teams")
selection = ui.selection()
if selection is None:
    st.info("The store is empty. Import a helpdesk export on the Data page.")
    st.stop()

settings = ui.settings()
view = people.view_for(settings, ui.current_user().role)
key = people.key_for(settings, view)

choices = {"Agents": "agent", "Teams": "team"}
if view == people.TEAMS:
    choices = {"Teams": "team"}
    st.caption(
        "Figures are shown per team only: the settings ([people]) do not show "
        "individual agents to you."
    )
elif view == people.PSEUDONYMS:
    st.caption("Agents appear as stable pseudonyms ([people] in the settings).")
label = st.segmented_control(
    "Figures per", list(choices), default=next(iter(choices)), key="agents_by"
)
by = choices.get(label or "", next(iter(choices.values())))
noun = "agent" if by == "agent" else "team"

recorded = ui.cached(metrics.agents_recorded, selection, settings=settings)
if not recorded[by]:
    st.info(
        f"{noun.capitalize()}s: not in this export. None of this source's tickets names "
        f"{'an agent (assignee)' if by == 'agent' else 'a team'}."
    )
    st.stop()

figures = ui.cached(metrics.agents, selection, by, view, key, settings=settings)
if figures.empty:
    st.info("No tickets in this selection.")
    st.stop()
# assignee or team: the frames' first column names who
column = figures.columns[0]
st.caption(
    "Tickets handled, response times and SLA count the tickets created in the period "
    "(cohort); reopened, one touch and CSAT the tickets resolved in it, leaving out those "
    "the export says nothing about; the backlog is taken at the period's end. "
    f"Durations in {ui.hours_label(selection)}."
)
hours = {"format": "%.1f"}
ui.grid(
    figures,
    column_config={
        column: st.column_config.TextColumn(noun.capitalize()),
        "handled": st.column_config.NumberColumn("Tickets handled", format="%d"),
        "frt_median_h": st.column_config.NumberColumn("Median first response (h)", **hours),
        "frt_p90_h": st.column_config.NumberColumn("p90 first response (h)", **hours),
        "resolution_median_h": st.column_config.NumberColumn("Median resolution (h)", **hours),
        "sla_pct": st.column_config.NumberColumn("SLA met (%)", **hours),
        "backlog_open": st.column_config.NumberColumn("Open backlog", format="%d"),
        "resolved": st.column_config.NumberColumn("Resolved", format="%d"),
        "reopen_pct": st.column_config.NumberColumn("Reopened (%)", **hours),
        "one_touch_pct": st.column_config.NumberColumn("One touch (%)", **hours),
        "csat_pct": st.column_config.NumberColumn("CSAT (%)", **hours),
        "ratings": st.column_config.NumberColumn("Ratings", format="%d"),
    },
)
ui.download_csv(figures, f"{noun}_figures", f"Download the {noun} figures (CSV)")

names = list(dict.fromkeys(figures[column]))
st.subheader("When the work arrives", divider="gray")
chosen = st.selectbox(
    f"Workload of one {noun}", names, index=None, placeholder=f"All {noun}s", key="agents_workload"
)
workload = metrics.workload_of(
    ui.cached(metrics.agents_workload, selection, by, view, key, settings=settings),
    () if chosen is None else (chosen,),
)
ui.chart(
    ui.figure(
        charts.weekday_hour_heatmap,
        workload,
        "tickets",
        f"Tickets created by weekday and hour, {chosen or f'all {noun}s'} ({charts.COHORT}), "
        f"{selection.tz}",
        "tickets",
    ),
    workload,
    f"{noun}_workload",
    empty=workload["tickets"].sum() == 0,
)

st.subheader("Week by week", divider="gray")
picked = st.multiselect(
    f"{noun.capitalize()}s to compare", names, default=names[:5], key="agents_trend"
)
trend = ui.cached(metrics.agents_trend, selection, by, view, key, settings=settings)
trend = trend[trend[column].isin(picked)]
left, right = st.columns(2)
for place, value in ((left, "handled"), (right, "frt_median_h")):
    with place:
        state = ui.chart(
            ui.figure(charts.agents_trend_lines, trend, column, value),
            trend,
            f"{noun}_trend_{value}",
            empty_message=f"Pick one or more {noun}s to compare.",
            select=True,
        )
        # Every trace is one agent or team: the point names whose week it is.
        ui.tickets_below(state, selection, f"{column}_week", f"{noun}_trend_{value}")
