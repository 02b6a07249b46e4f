"""Response times: trends, distribution, breakdowns, SLA by week, the slowest tickets."""

from zoneinfo import ZoneInfo

import streamlit as st

import ui
from analytics import charts, coverage, metrics, people
from analytics.charts.managers import DIMENSION_LABELS
from analytics.charts.people import UNASSIGNED_LABEL
from analytics.metrics import DIMENSIONS, risk
from ui import N_, _, n_

GRAINS = {"day": N_("Day"), "week": N_("Week")}
DEFAULT_GRAIN, DEFAULT_DIMENSION = "week", "region"
DIVIDER = "gray"
# The columns of each table, under the names a manager reads.
SLOWEST_LABELS = {
    "ticket_id": N_("Ticket"),
    "wait_h": N_("Wait (h)"),
    "unanswered": N_("Unanswered"),
    "resolution_h": N_("Resolution (h)"),
    "created_at": N_("Created"),
    "first_response_at": N_("First response"),
    "resolved_at": N_("Resolved"),
    "priority": N_("Priority"),
    "region": N_("Region"),
    "team": N_("Team"),
    "channel": N_("Channel"),
    "category": N_("Category"),
}
BY_TEAM_LABELS = {"team": N_("Team"), "at_risk": N_("At risk"), "breached": N_("Past a target")}
HOURS_LEFT = N_("Hours left")
AT_RISK_LABELS = {
    "ticket_id": N_("Ticket"),
    "clock": N_("Clock"),
    "due_at": N_("Due"),
    "hours_left": HOURS_LEFT,
    "team": N_("Team"),
    "priority": N_("Priority"),
    "channel": N_("Channel"),
    "assignee": N_("Assignee"),
    "created_at": N_("Created"),
}
NO_TEAM = N_("No team")
# Numbers with the reader's browser's separators (the hours are rounded to a tenth first).
LOCALIZED = {"format": "localized"}

st.title(_("Response times"))
selection = ui.selection()
if selection is None:
    st.info(_("The store is empty. Import a helpdesk export on the Data page."))
    st.stop()
st.caption(
    _("Tickets counted by creation date (cohort); durations in {hours}.").format(
        hours=ui.hours_label(selection)
    )
)

missing = ui.cached(coverage.missing_inputs, selection.source, lang=ui.lang())
controls = st.columns(2)
with controls[0]:
    grain = ui.choice(_("Trend by"), GRAINS, DEFAULT_GRAIN, "frt_grain")
dimension = "region"
# The breakdown is of first responses: without them there is nothing to break down.
if "first_response" not in missing:
    with controls[1]:
        labels = {d: DIMENSION_LABELS[d] for d in DIMENSIONS}
        dimension = ui.choice(_("Break down by"), labels, DEFAULT_DIMENSION, "frt_dimension")
# Only what is shown is computed: another grain or dimension is one more
# query, then cached.
page = ui.cached(
    metrics.response_times_page, selection, settings=ui.settings(), grain=grain, dimension=dimension
)
trend = page.trend
events = ui.events_for(selection)
lang = ui.lang()


def not_in_source(what: str, reason: str | None) -> bool:
    """Say that ``what`` (marked with ``N_``) is not in this source, and why, given a reason."""
    if reason:
        st.info(
            _("{what}: {absent}. {reason}").format(
                what=_(what), absent=_(coverage.NOT_IN_SOURCE), reason=ui.md_escape(reason)
            )
        )
        return True
    return False


left, right = st.columns(2)
with left:
    if not not_in_source(N_("First response time"), missing.get("first_response")):
        state = ui.chart(
            ui.figure(charts.response_time_trend, trend, "frt", events, lang=lang),
            trend,
            "first_response_trend",
            select=True,
        )
        ui.tickets_below(state, selection, f"created_{grain}", "first_response_trend")
with right:
    if not not_in_source(N_("Resolution time"), missing.get("resolution")):
        state = ui.chart(
            ui.figure(charts.response_time_trend, trend, "resolution", events, lang=lang),
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
        ui.figure(charts.buckets_bar, buckets, lang=lang),
        buckets,
        "first_response_buckets",
        empty=buckets["tickets"].sum() == 0,
        select=True,
    )
    ui.tickets_below(state, selection, "frt_bucket", "first_response_buckets")
with right:
    sla = page.sla
    state = ui.chart(
        ui.figure(charts.sla_weekly, sla, ui.settings().sla_target_hours, lang=lang),
        sla,
        "sla_weekly",
        empty=sla.empty or sla["evaluated"].sum() == 0,
        select=True,
    )
    ui.tickets_below(state, selection, "sla_week", "sla_weekly")

breakdown = page.breakdown
state = ui.chart(
    ui.figure(charts.breakdown_bar, breakdown, dimension, lang=lang),
    breakdown,
    f"first_response_by_{dimension}",
    select=True,
)
ui.tickets_below(state, selection, dimension, f"first_response_by_{dimension}")

# Satisfaction by first response: what slow first replies cost, from ratings only.
lacking = ui.cached(coverage.missing_quality_inputs, selection.source, lang=lang)
if not not_in_source(N_("Satisfaction by first response"), lacking.get("satisfaction")):
    csat = ui.cached(metrics.csat_by_response_bucket, selection, settings=ui.settings())
    state = ui.chart(
        ui.figure(charts.csat_by_response_bar, csat, lang=lang),
        csat,
        "csat_by_first_response",
        empty=csat["rated"].sum() == 0,
        empty_message=_("No rated ticket was resolved in this selection."),
        select=True,
    )
    ui.tickets_below(state, selection, "rated_in_bucket", "csat_by_first_response")

st.subheader(_("Slowest tickets"), divider=DIVIDER)
slowest = page.slowest
if slowest.empty:
    st.info(_("No tickets in this selection."))
else:
    st.caption(
        _(
            "Waited longest for a first response; unanswered tickets count with their age so "
            "far. Times in {tz}."
        ).format(tz=selection.tz)
    )
    # Lazy: the table loads the browser's data grid, as heavy as the page's
    # five charts together, so it is drawn when someone opens it.
    table = st.expander(_("The tickets, slowest first"), key="slowest_table", on_change="rerun")
    if table.open:
        with table:
            ui.grid(
                slowest.round({"wait_h": 1, "resolution_h": 1}),
                labels=SLOWEST_LABELS,
                tz=selection.tz,
                column_config={
                    _(SLOWEST_LABELS[c]): st.column_config.NumberColumn(**LOCALIZED)
                    for c in ("wait_h", "resolution_h")
                },
            )
    ui.download_csv(slowest, "slowest_tickets", _("Download the slowest tickets (CSV)"))

st.subheader(_("Tickets at risk"), divider=DIVIDER)
within = st.segmented_control(
    _("Due within"),
    risk.HORIZONS,
    default=4,
    format_func=lambda hours: ui.hours(hours, 0),
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
as_of = "-" if at_risk.now is None else ui.date_time(at_risk.now.astimezone(ZoneInfo(selection.tz)))
line = n_(
    "**{n} ticket at risk** of missing a target in the next {within} {clock}",
    "**{n} tickets at risk** of missing a target in the next {within} {clock}",
    at_risk.count,
).format(within=ui.number(within), clock=ui.hours_label(selection))
st.markdown(
    _("{at_risk}; **{breached}** already past one.").format(
        at_risk=line, breached=ui.number(at_risk.breached)
    ),
    help=_(
        "Open tickets whose first-response clock (while unanswered) or resolution clock "
        "falls due within the horizon, soonest first. Tickets already past a target are counted "
        "apart: that target is missed, the list is of those that can still make theirs. "
        "The period plays no part, the filters do."
    ),
)
st.caption(
    _("As of the export's last event, {moment}; times in {tz}. Clocks watched: {clocks}.").format(
        moment=as_of,
        tz=selection.tz,
        clocks=", ".join(_(risk.CLOCK_LABELS[clock]).lower() for clock in at_risk.watched),
    )
)
if at_risk.count:
    by_team = at_risk.by_team.replace({"team": {risk.NO_TEAM: _(NO_TEAM)}})
    ui.grid(by_team, labels=BY_TEAM_LABELS, key="risk_by_team")
    tickets = at_risk.tickets.assign(
        clock=at_risk.tickets["clock"].map(lambda c: _(risk.CLOCK_LABELS.get(c, c))),
        hours_left=at_risk.tickets["hours_left"].round(1),
    )
    if "assignee" in tickets:
        tickets["assignee"] = tickets["assignee"].fillna(_(UNASSIGNED_LABEL))
    ui.grid(
        tickets,
        labels=AT_RISK_LABELS,
        tz=selection.tz,
        column_config={_(HOURS_LEFT): st.column_config.NumberColumn(**LOCALIZED)},
        key="risk_tickets",
    )
    ui.download_csv(at_risk.tickets, "tickets_at_risk", _("Download the tickets at risk (CSV)"))
else:
    st.info(
        _("No open ticket in this selection falls due in the next {within}.").format(
            within=ui.hours(within, 0)
        )
    )
