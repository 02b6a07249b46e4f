"""Agents and teams: figures per agent or team, when their work arrives, and their weeks."""

import streamlit as st

import ui
from analytics import charts, metrics, people
from analytics.charts.people import shown_name
from ui import N_, _

BY = {"agent": N_("Agents"), "team": N_("Teams")}
# The figures' columns, under the names a manager reads; the first names who.
FIGURE_LABELS = {
    "handled": N_("Tickets handled"),
    "frt_median_h": N_("Median first response (h)"),
    "frt_p90_h": N_("p90 first response (h)"),
    "resolution_median_h": N_("Median resolution (h)"),
    "sla_pct": N_("SLA met (%)"),
    "backlog_open": N_("Open backlog"),
    "resolved": N_("Resolved"),
    "reopen_pct": N_("Reopened (%)"),
    "one_touch_pct": N_("One touch (%)"),
    "csat_pct": N_("CSAT (%)"),
    "ratings": N_("Ratings"),
}
WHO = {"agent": N_("Agent"), "team": N_("Team")}
DIVIDER = "gray"
# Numbers with the reader's browser's separators (rates and hours rounded to a tenth first).
LOCALIZED = st.column_config.NumberColumn(format="localized")

st.title(_("Agents and teams"))
selection = ui.selection()
if selection is None:
    st.info(_("The store is empty. Import a helpdesk export on the Data page."))
    st.stop()

settings = ui.settings()
view = people.view_for(settings, ui.current_user().role)
key = people.key_for(settings, view)
lang = ui.lang()

choices = ["agent", "team"]
if view == people.TEAMS:
    choices = ["team"]
    st.caption(
        _(
            "Figures are shown per team only: the settings ([people]) do not show "
            "individual agents to you."
        )
    )
elif view == people.PSEUDONYMS:
    st.caption(_("Agents appear as stable pseudonyms ([people] in the settings)."))
by = ui.choice(_("Figures per"), {c: BY[c] for c in choices}, choices[0], "agents_by")
# the machine's name, for keys and files
noun = "agent" if by == "agent" else "team"

recorded = ui.cached(metrics.agents_recorded, selection, settings=settings)
if not recorded[by]:
    st.info(
        _("Agents: not in this export. None of this source's tickets names an agent (assignee).")
        if by == "agent"
        else _("Teams: not in this export. None of this source's tickets names a team.")
    )
    st.stop()

figures = ui.cached(metrics.agents, selection, by, view, key, settings=settings)
if figures.empty:
    st.info(_("No tickets in this selection."))
    st.stop()
# assignee or team: the frames' first column names who
column = figures.columns[0]
st.caption(
    _(
        "Tickets handled, response times and SLA count the tickets created in the period "
        "(cohort); reopened, one touch and CSAT the tickets resolved in it, leaving out those "
        "the export says nothing about; the backlog is taken at the period's end. "
        "Durations in {hours}."
    ).format(hours=ui.hours_label(selection))
)
labels = {column: WHO[by], **FIGURE_LABELS}
shown = figures.assign(**{column: figures[column].map(lambda name: shown_name(name, lang))})
ui.grid(
    shown.round(1),
    labels=labels,
    column_config={_(label): LOCALIZED for name, label in labels.items() if name != column},
)
ui.download_csv(
    figures,
    f"{noun}_figures",
    _("Download the agent figures (CSV)")
    if by == "agent"
    else _("Download the team figures (CSV)"),
)

names = list(dict.fromkeys(figures[column]))
st.subheader(_("When the work arrives"), divider=DIVIDER)
chosen = st.selectbox(
    _("Workload of one agent") if by == "agent" else _("Workload of one team"),
    names,
    index=None,
    format_func=lambda name: shown_name(name, lang),
    placeholder=_("All agents") if by == "agent" else _("All teams"),
    key="agents_workload",
)
workload = metrics.workload_of(
    ui.cached(metrics.agents_workload, selection, by, view, key, settings=settings),
    () if chosen is None else (chosen,),
)
who = (_("all agents") if by == "agent" else _("all teams")) if chosen is None else chosen
title = _("Tickets created by weekday and hour, {who} ({cohort}), {tz}").format(
    who=shown_name(who, lang), cohort=_(charts.COHORT), tz=selection.tz
)
ui.chart(
    ui.figure(charts.weekday_hour_heatmap, workload, "tickets", title, _("tickets"), lang=lang),
    workload,
    f"{noun}_workload",
    empty=workload["tickets"].sum() == 0,
)

st.subheader(_("Week by week"), divider=DIVIDER)
picked = st.multiselect(
    _("Agents to compare") if by == "agent" else _("Teams to compare"),
    names,
    default=names[:5],
    format_func=lambda name: shown_name(name, lang),
    key="agents_trend",
)
trend = ui.cached(metrics.agents_trend, selection, by, view, key, settings=settings)
trend = trend[trend[column].isin(picked)]
left, right = st.columns(2)
for place, value in ((left, "handled"), (right, "frt_median_h")):
    with place:
        state = ui.chart(
            ui.figure(charts.agents_trend_lines, trend, column, value, lang=lang),
            trend,
            f"{noun}_trend_{value}",
            empty_message=(
                _("Pick one or more agents to compare.")
                if by == "agent"
                else _("Pick one or more teams to compare.")
            ),
            select=True,
        )
        # Every trace is one agent or team: the point names whose week it is.
        ui.tickets_below(state, selection, f"{column}_week", f"{noun}_trend_{value}")
