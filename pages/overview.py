"""Overview: a verdict in one sentence, this period against the previous one, what changed."""

import streamlit as st

import ui
from analytics import charts, coverage, forecast, metrics, people, verdict
from analytics.charts.managers import DIMENSION_LABELS
from analytics.settings import SAMPLE_SOURCE
from ui import N_, _, n_

RISK_HOURS = 4
DATA_PAGE = "pages/data.py"
DIVIDER = "gray"

st.title(_("Overview"))
selection = ui.selection()
if selection is None:
    st.info(_("The store is empty. Import a helpdesk export to begin."))
    st.page_link(DATA_PAGE, label=_("Go to the Data page"), icon=":material/upload_file:")
    st.stop()

page = ui.cached(metrics.overview_page, selection, settings=ui.settings())
now, before = page.current, page.previous
missing = ui.cached(coverage.missing_inputs, selection.source, lang=ui.lang())
# A previous period before the source's first ticket has nothing to compare with.
comparable = before.created > 0
target_hours = ui.settings().sla_target_hours
days = max(1, round((selection.end - selection.start).total_seconds() / 86400))

# The verdict first: the one sentence a manager reads before any card.
st.subheader(
    ui.md_escape(
        verdict.verdict(
            now, before if comparable else None, days, target_hours, missing, lang=ui.lang()
        )
    ),
    anchor=False,
)

if selection.source == SAMPLE_SOURCE:
    st.info(
        _(
            "You are looking at the built-in sample: a simulated support desk in four regions "
            "living through a September peak, a regional interface rollout and a live-chat "
            "closure. Import your own export on the Data page."
        )
    )
    st.page_link(DATA_PAGE, label=_("Import your own data"), icon=":material/upload_file:")

st.caption(
    _(
        "Durations in {hours}; counts by creation date except resolved (by resolution date); "
        "backlog at the end of the period. Deltas against the previous period of equal length."
    ).format(hours=ui.hours_label(selection))
)
for reason in missing.values():
    st.caption(ui.md_escape(reason))


def signed_percent(points: float) -> str:
    """Return a change in percent with its sign: ``+18%``, ``+18 %``."""
    return ui.signed(points, 0, ui.percent(0)[len(ui.number(0)) :])


def points(change: float) -> str:
    """Return a change of a rate: ``+1.2 pts``."""
    return _("{change} pts").format(change=ui.signed(change, 1))


# How each card's change reads: a count, hours, or points of a rate.
CHANGES = {
    "count": lambda change: ui.signed(change),
    "hours": lambda change: ui.signed(change, 1, "\u00a0h"),
    "points": points,
}


def delta(current, previous, kind: str = "count") -> str | None:
    if not comparable or current is None or previous is None:
        return None
    return CHANGES[kind](current - previous)


def card(column, label: str, needs: str | None, value: str, change=None, **options) -> None:
    """Draw a card, or "not in this source" with the reason when the source lacks its input."""
    if needs in missing:
        column.metric(_(label), **ui.not_in_source(missing[needs]))
    else:
        column.metric(_(label), value, change, **options)


cards = st.columns(4)
card(
    cards[0],
    N_("Tickets created"),
    None,
    ui.number(now.created),
    delta(now.created, before.created),
    delta_color="inverse",  # more tickets is more work
)
card(
    cards[1],
    N_("Tickets resolved"),
    "resolution",
    ui.number(now.resolved),
    delta(now.resolved, before.resolved),
)
card(
    cards[2],
    N_("Median first response"),
    "first_response",
    ui.hours(now.frt_median_h),
    delta(now.frt_median_h, before.frt_median_h, "hours"),
    delta_color="inverse",
)
card(
    cards[3],
    N_("p90 first response"),
    "first_response",
    ui.hours(now.frt_p90_h),
    delta(now.frt_p90_h, before.frt_p90_h, "hours"),
    delta_color="inverse",
)
cards = st.columns(4)
card(
    cards[0],
    N_("SLA attainment"),
    "first_response",
    "-" if now.sla_pct is None else ui.percent(now.sla_pct, 1),
    delta(now.sla_pct, before.sla_pct, "points"),
    help=_("First responses within {target} (or the priority's target).").format(
        target=ui.hours(target_hours, 0 if float(target_hours).is_integer() else 1)
    ),
)
card(
    cards[1],
    N_("Backlog now"),
    "done",
    ui.number(now.backlog_open),
    delta(now.backlog_open, before.backlog_open),
    delta_color="inverse",
)
card(
    cards[2],
    N_("Awaiting first response"),
    "first_response",
    ui.number(now.backlog_awaiting_first_response),
    delta(now.backlog_awaiting_first_response, before.backlog_awaiting_first_response),
    delta_color="inverse",
)
card(
    cards[3],
    N_("Median resolution"),
    "resolution",
    ui.hours(now.resolution_median_h),
    delta(now.resolution_median_h, before.resolution_median_h, "hours"),
    delta_color="inverse",
)
# Open now is open now: the tickets at risk ignore the period and look from the
# export's last event. Without first responses every ticket would look unanswered.
if "first_response" not in missing:
    at_risk = ui.cached(
        metrics.tickets_at_risk, selection, RISK_HOURS, settings=ui.settings(), view=people.TEAMS
    )
    within = ui.hours(RISK_HOURS, 0)
    line = n_(
        "**{n} ticket at risk** of missing a target in the next {within} ({clock})",
        "**{n} tickets at risk** of missing a target in the next {within} ({clock})",
        at_risk.count,
    )
    breached = n_(
        "{n} open ticket is already past a target",
        "{n} open tickets are already past a target",
        at_risk.breached,
    )
    st.markdown(
        ":material/alarm: " + line.format(within=within, clock=ui.hours_label(selection)),
        help=_(
            "Open tickets whose first-response or resolution target falls due within "
            "{within} of the export's last event. {breached}, counted apart: that target is "
            "missed already. The list is on the Response times page."
        ).format(within=within, breached=breached),
    )

# Quality of the tickets resolved in the period; a rate the export lacks is said so.
quality = ui.cached(metrics.quality, selection, settings=ui.settings())
lacking = ui.cached(coverage.missing_quality_inputs, selection.source, lang=ui.lang())


def quality_card(column, label: str, needs: str, rate: str, explain: str, **options) -> None:
    """Draw a quality rate with its change in points, or why there is none."""
    value, previous = getattr(quality, rate), getattr(quality.previous, rate)
    if needs in lacking:
        column.metric(_(label), **ui.not_in_source(lacking[needs]))
    elif value is None:
        column.metric(_(label), "—", help=_("No ticket resolved in this period records it."))
    else:
        change = None if previous is None else points(value - previous)
        column.metric(_(label), ui.percent(value, 1), change, help=explain, **options)


cards = st.columns(4)
quality_card(
    cards[0],
    N_("Reopen rate"),
    "reopens",
    "reopen_rate_pct",
    n_(
        "Of {n} ticket resolved with a known reopen count, the share reopened at least once.",
        "Of {n} tickets resolved with a known reopen count, the share reopened at least once.",
        quality.reopens_known,
    ),
    delta_color="inverse",
)
quality_card(
    cards[1],
    N_("One-touch resolution"),
    "replies",
    "one_touch_pct",
    n_(
        "Of {n} ticket resolved with a known reply count, the share resolved with exactly "
        "one agent reply.",
        "Of {n} tickets resolved with a known reply count, the share resolved with exactly "
        "one agent reply.",
        quality.replies_known,
    ),
)
csat_help = n_(
    "Good ratings (75 or more of 100) among {n} rated resolved ticket.",
    "Good ratings (75 or more of 100) among {n} rated resolved tickets.",
    quality.rated,
)
if quality.csat_response_pct is not None:
    csat_help += " " + _("Response rate {rate} of tickets resolved.").format(
        rate=ui.percent(quality.csat_response_pct, 1)
    )
quality_card(cards[2], N_("CSAT"), "satisfaction", "csat_pct", csat_help)


def surge_line(surge: str | None) -> None:
    if surge:
        st.warning(
            _("Next surge: {surge}").format(surge=ui.md_escape(surge)), icon=":material/warning:"
        )
    else:
        st.caption(_("No surge expected in the next 28 days."))


# A backtested forecast of a few seconds: the page does not wait for it. It depends
# on the period's end, not its start, so every period ending now shares one.
ui.show_when_ready(
    forecast.next_surge,
    forecast.history_key(selection),
    ui.settings().forecast.surge_margin,
    settings=ui.settings(),
    draw=surge_line,
    waiting=_("Forecasting the next 28 days for surges..."),
)

flow = page.flow
state = ui.chart(
    ui.figure(charts.created_vs_resolved, flow, ui.events_for(selection), lang=ui.lang()),
    flow,
    "created_vs_resolved",
    empty=flow.empty or (flow["created"].sum() == 0 and flow["resolved"].sum() == 0),
    select=True,
)
# one kind per trace: the created bars, the resolved bars, the backlog line
ui.tickets_below(state, selection, ("created_day", "resolved_day", "open_at"), "flow")

st.subheader(_("What changed"), divider=DIVIDER)
movers = page.movers[page.movers["change"] != 0].head(6)
if movers.empty:
    st.write(_("No region, channel or category moved between the two periods."))
else:
    for row in movers.itertuples():
        dimension = _(DIMENSION_LABELS.get(row.dimension, row.dimension))
        line = n_(
            "{dimension} {value}: {n} ticket created, {change} against the previous period",
            "{dimension} {value}: {n} tickets created, {change} against the previous period",
            row.current,
        ).format(dimension=dimension, value=row.value, change=ui.signed(row.change))
        if row.previous:
            line += f" ({signed_percent(100 * row.change / row.previous)})"
        st.text(line)
