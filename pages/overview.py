"""Overview: this period against the previous one, created vs resolved, what changed."""

import streamlit as st

import ui
from analytics import charts, coverage, forecast, metrics, people
from analytics.settings import SAMPLE_SOURCE

RISK_HOURS = 4

st.title("Overview")
selection = ui.selection()
if selection is None:
    st.info("The store is empty. Import a helpdesk export to begin.")
    st.page_link("pages/data.py", label="Go to the Data page", icon=":material/upload_file:")
    st.stop()

if selection.source == SAMPLE_SOURCE:
    st.info(
        "You are looking at the built-in sample: a simulated support desk in four regions "
        "living through a September peak, a regional interface rollout and a live-chat "
        "closure. Import your own export on the Data page."
    )
    st.page_link("pages/data.py", label="Import your own data", icon=":material/upload_file:")

page = ui.metric("overview_page", selection)
now, before = page.current, page.previous
missing = ui.cached(coverage.missing_inputs, selection.source)
st.caption(
    f"Durations in {ui.hours_label(selection)}; counts by creation date except resolved "
    "(by resolution date); backlog at the end of the period. Deltas against the previous "
    "period of equal length."
)
for reason in missing.values():
    st.caption(ui.md_escape(reason))


# A previous period before the source's first ticket has nothing to compare with.
comparable = before.created > 0


def delta(current, previous, fmt="{:+,.0f}"):
    if not comparable or current is None or previous is None:
        return None
    return fmt.format(current - previous)


def card(column, label: str, needs: str | None, value: str, change=None, **options) -> None:
    """Draw a card, or "not in this source" with the reason when the source lacks its input."""
    if needs in missing:
        column.metric(label, **ui.not_in_source(missing[needs]))
    else:
        column.metric(label, value, change, **options)


cards = st.columns(4)
cards[0].metric(
    "Tickets created",
    f"{now.created:,}",
    delta(now.created, before.created),
    delta_color="inverse",  # more tickets is more work
)
card(
    cards[1],
    "Tickets resolved",
    "resolution",
    f"{now.resolved:,}",
    delta(now.resolved, before.resolved),
)
card(
    cards[2],
    "Median first response",
    "first_response",
    ui.hours(now.frt_median_h),
    delta(now.frt_median_h, before.frt_median_h, "{:+,.1f} h"),
    delta_color="inverse",
)
card(
    cards[3],
    "p90 first response",
    "first_response",
    ui.hours(now.frt_p90_h),
    delta(now.frt_p90_h, before.frt_p90_h, "{:+,.1f} h"),
    delta_color="inverse",
)
cards = st.columns(4)
card(
    cards[0],
    "SLA attainment",
    "first_response",
    "-" if now.sla_pct is None else f"{now.sla_pct:.1f}%",
    delta(now.sla_pct, before.sla_pct, "{:+.1f} pts"),
    help=f"First responses within {ui.settings().sla_target_hours:g} h (or the priority's target).",
)
card(
    cards[1],
    "Backlog now",
    "done",
    f"{now.backlog_open:,}",
    delta(now.backlog_open, before.backlog_open),
    delta_color="inverse",
)
card(
    cards[2],
    "Awaiting first response",
    "first_response",
    f"{now.backlog_awaiting_first_response:,}",
    delta(now.backlog_awaiting_first_response, before.backlog_awaiting_first_response),
    delta_color="inverse",
)
card(
    cards[3],
    "Median resolution",
    "resolution",
    ui.hours(now.resolution_median_h),
    delta(now.resolution_median_h, before.resolution_median_h, "{:+,.1f} h"),
    delta_color="inverse",
)
# Open now is open now: the tickets at risk ignore the period and look from the
# export's last event. Without first responses every ticket would look unanswered.
if "first_response" not in missing:
    at_risk = ui.cached(
        metrics.tickets_at_risk, selection, RISK_HOURS, settings=ui.settings(), view=people.TEAMS
    )
    st.markdown(
        f":material/alarm: **{at_risk.count:,} tickets at risk** of missing a target in the "
        f"next {RISK_HOURS} h ({ui.hours_label(selection)})",
        help=f"Open tickets whose first-response or resolution target falls due within "
        f"{RISK_HOURS} h of the export's last event. {at_risk.breached:,} open tickets are "
        "already past a target, counted apart: that target is missed already. "
        "The list is on the Response times page.",
    )

# Quality of the tickets resolved in the period; a rate the export lacks is said so.
quality = ui.metric("quality", selection)
lacking = ui.cached(coverage.missing_quality_inputs, selection.source)


def quality_card(column, label: str, needs: str, rate: str, explain: str, **options) -> None:
    """Draw a quality rate with its change in points, or why there is none."""
    value, previous = getattr(quality, rate), getattr(quality.previous, rate)
    if needs in lacking:
        column.metric(label, **ui.not_in_source(lacking[needs]))
    elif value is None:
        column.metric(label, "—", help="No ticket resolved in this period records it.")
    else:
        change = None if previous is None else f"{value - previous:+.1f} pts"
        column.metric(label, f"{value:.1f}%", change, help=explain, **options)


cards = st.columns(4)
quality_card(
    cards[0],
    "Reopen rate",
    "reopens",
    "reopen_rate_pct",
    f"Of {quality.reopens_known:,} tickets resolved with a known reopen count, the share "
    "reopened at least once.",
    delta_color="inverse",
)
quality_card(
    cards[1],
    "One-touch resolution",
    "replies",
    "one_touch_pct",
    f"Of {quality.replies_known:,} tickets resolved with a known reply count, the share "
    "resolved with exactly one agent reply.",
)
csat_help = f"Good ratings (75 or more of 100) among {quality.rated:,} rated resolved tickets."
if quality.csat_response_pct is not None:
    csat_help += f" Response rate {quality.csat_response_pct:.1f}% of tickets resolved."
quality_card(cards[2], "CSAT", "satisfaction", "csat_pct", csat_help)


def surge_line(surge: str | None) -> None:
    if surge:
        st.warning(f"Next surge: {ui.md_escape(surge)}", icon=":material/warning:")
    else:
        st.caption("No surge expected in the next 28 days.")


# A backtested forecast of a few seconds: the page does not wait for it. It depends
# on the period's end, not its start, so every period ending now shares one.
ui.show_when_ready(
    forecast.next_surge,
    forecast.history_key(selection),
    ui.settings().forecast.surge_margin,
    settings=ui.settings(),
    draw=surge_line,
    waiting="Forecasting the next 28 days for surges...",
)

flow = page.flow
state = ui.chart(
    ui.figure(charts.created_vs_resolved, flow, ui.events_for(selection)),
    flow,
    "created_vs_resolved",
    empty=flow.empty or (flow["created"].sum() == 0 and flow["resolved"].sum() == 0),
    select=True,
)
# one kind per trace: the created bars, the resolved bars, the backlog line
ui.tickets_below(state, selection, ("created_day", "resolved_day", "open_at"), "flow")

st.subheader("What changed", divider="gray")
movers = page.movers[page.movers["change"] != 0].head(6)
if movers.empty:
    st.write("No region, channel or category moved between the two periods.")
else:
    for row in movers.itertuples():
        pct = f" ({row.change / row.previous:+.0%})" if row.previous else ""
        st.text(
            f"{row.dimension.capitalize()} {row.value}: {row.current:,} tickets created, "
            f"{row.change:+,} against the previous period{pct}"
        )
