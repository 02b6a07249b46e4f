"""Staffing and what-if: agents needed against the plan, and the plan tried on the forecast."""

from datetime import timedelta

import streamlit as st

import ui
from analytics import access, charts, forecast, sample
from analytics.planning import needs, staffing, whatif

st.title("Staffing and what-if")
selection = ui.selection()
user = ui.current_user()
if selection is None:
    st.info("The store is empty. Import a helpdesk export on the Data page.")
    st.stop()
settings = ui.settings()
cfg = settings.forecast

# Forecasts read the history up to the period's end, whatever its start: one cache entry.
scope = forecast.history_key(selection)
regions = ui.cached(forecast.series_names, scope, "D", "region", settings=settings)[1:]
if not regions:
    st.info("Not enough history in this selection to plan staffing.")
    st.stop()
channels = ui.cached(forecast.history, scope, "D", "channel", settings=settings)
live_share = staffing.live_share(channels, cfg.live_channels)

daily = {}
for region in regions:
    fit = ui.cached(forecast.forecast_series, scope, "D", 28, "region", region, 0,
                    settings=settings)  # fmt: skip
    if fit is not None:
        daily[region] = fit.forecast[["period", "mean"]]
if not daily:
    st.info("Not enough history in this selection to forecast a region and plan staffing.")
    st.stop()

st.subheader("Current plan", divider="gray")
st.caption(
    "Agents per team and weekday between the start and end hours (local), on the queue "
    "(forms, email) and on the live desk (chat, phone). Edit it: the gaps and the what-if "
    "follow. Starting values: the simulator's staffing sized for the forecast volume."
)
mean_daily = needs.daily_means(daily)
saved = ui.cached(staffing.saved_plan, selection.source)
key = f"plan_{selection.source}_{'-'.join(sorted(mean_daily))}_{len(saved)}"
if key not in st.session_state:
    st.session_state[key] = needs.starting_plan(saved, mean_daily)
agents = {"min_value": 0, "max_value": staffing.MAX_AGENTS, "step": 1}
edited = st.data_editor(
    st.session_state[key],
    hide_index=True,
    key=f"editor_{key}",
    disabled=["team", "weekday"],
    column_config={
        "start_hour": st.column_config.NumberColumn(min_value=0, max_value=23, step=1),
        "end_hour": st.column_config.NumberColumn(min_value=1, max_value=24, step=1),
        "queue_agents": st.column_config.NumberColumn(**agents),
        "live_agents": st.column_config.NumberColumn(**agents),
    },
)
try:
    plan = staffing.validate_plan(edited)
except staffing.PlanError as exc:
    st.error(f"The plan is not valid: {ui.md_escape(exc)}", icon=":material/error:")
    st.stop()
if not saved.empty:
    last = saved.iloc[0]
    st.caption(
        f"Saved plan: by {ui.md_escape(last['saved_by'])}, {last['saved_at']:%Y-%m-%d %H:%M} UTC."
    )
if user.can("save_staffing"):
    if st.button("Save this plan", icon=":material/save:", key="save_plan"):
        try:
            with ui.cursor() as cur:
                rows = staffing.save_plan(cur, selection.source, plan, actor=user)
        except (staffing.PlanError, access.PermissionDenied) as exc:
            st.error(f"The plan was not saved: {ui.md_escape(exc)}")
        else:
            st.success(
                f"Saved the plan ({rows} team-days) for source {ui.md_escape(selection.source)}."
            )
else:
    st.caption(
        f"You are a {user.role}: try changes here for the what-if; saving the plan needs the "
        "analyst role."
    )

recent = ui.cached(forecast.history, scope, "H", "region", settings=settings)
today = ui.cached(forecast.same_day, scope, settings=settings)
weight = today.weight if today is not None else None
hourly = whatif.today_updated(
    whatif.expected_hourly(daily, whatif.hourly_profile(recent)), recent, weight
)
if today is not None and today.says_something:
    st.caption(
        f"Today, updated at {today.at:%H:%M}: {today.seen:,.0f} tickets since opening, where "
        f"the morning forecast expected {today.expected:,.0f}; the rest of today follows "
        f"({today.factor - 1:+.0%} for the total)."
    )

st.subheader("Queued work: agents per day", divider="gray")
st.caption(
    f"Workload of forms and email ({1 - live_share:.0%} of tickets) at {cfg.handling_minutes:g} "
    f"min per ticket, {cfg.productive_hours:g} productive hours a day, {cfg.shrinkage:.0%} "
    f"shrinkage; then an hourly first-in first-out simulation adds agents until first "
    f"responses stay within {settings.sla_target_hours:g} h."
)
queued = needs.queued_needs(hourly, plan, live_share, settings)
team_pick = st.selectbox("Team", sorted(queued["team"].unique()), key="staff_team")
one = queued[queued["team"] == team_pick]
short = needs.short_days(one)
if len(short):
    st.warning(
        f"{ui.md_escape(team_pick)}: short of queue agents on {len(short)} of {len(one)} days "
        f"(up to {int((short['needed'] - short['planned']).max())} agents).",
        icon=":material/warning:",
    )
ui.chart(
    ui.figure(charts.staffing_gap, one, "day", f"{team_pick}: queue agents needed per day"),
    one,
    "staffing_queue",
)

st.subheader("Live work: agents per hour", divider="gray")
st.caption(
    f"Chat and phone ({live_share:.0%} of tickets), {cfg.live_handling_seconds:g} s per contact, "
    f"{cfg.service_level:.0%} answered within {cfg.answer_seconds:g} s: Erlang C, and Erlang A "
    f"with callers hanging up after {cfg.patience_seconds:g} s on average."
)
live = needs.live_needs(hourly[team_pick], plan[plan["team"] == team_pick], live_share, settings)
ui.chart(
    ui.figure(
        charts.staffing_gap, live, "period", f"{team_pick}: live agents needed per hour (Erlang A)"
    ),
    live,
    "staffing_live",
)

st.subheader("What if", divider="gray")
st.caption(
    "The forecast arrivals go through the desk simulator's queue (agents' shifts, live desk, "
    "follow-ups) under the plan above, then under the plan with the switches below."
)
first = daily[next(iter(daily))]["period"].iloc[0].date()
with st.form("whatif"):
    row = st.columns(4)
    days = row[0].number_input("Days ahead", 14, 28, 28, key="wi_days")
    close = row[1].checkbox("Close the live chat", key="wi_close")
    closed = row[1].date_input(
        "Chat closed from - to", (first + timedelta(days=7), first + timedelta(days=16)),
        key="wi_closed",
    )  # fmt: skip
    weekend = row[2].number_input("Extra weekend agents per team", 0, 20, 0, key="wi_weekend")
    shift = row[3].number_input(
        "Move planned rollouts (days)", -60, 60, 0, key="wi_shift",
        help="Moves the interface rollouts planned on the Forecast page.",
    )  # fmt: skip
    submitted = st.form_submit_button("Run the what-if", icon=":material/play_arrow:")
if submitted or st.session_state.get("wi_ran"):
    st.session_state["wi_ran"] = True
    scenario = whatif.Scenario(
        chat_closed=(closed[0], closed[-1]) if close and closed else None,
        weekend_agents=int(weekend),
        rollout_shift_days=int(shift),
    )
    try:
        with st.spinner("Simulating the queue..."):
            result = ui.cached(
                whatif.compare, selection, int(days), staffing.plan_rows(plan), scenario,
                tuple(st.session_state.get("fc_planned", [])), settings=settings,
                cancelled=ui.session_ended, same_day_weight=weight,
            )  # fmt: skip
    except (whatif.ScenarioError, staffing.PlanError, sample.Stopped) as exc:
        st.error(f"No what-if: {ui.md_escape(exc)}", icon=":material/error:")
        st.stop()
    st.dataframe(
        result["percentiles"],
        hide_index=True,
        column_config={
            "frt_p50_h": st.column_config.NumberColumn("First response p50 (h)", format="%.1f"),
            "frt_p90_h": st.column_config.NumberColumn("First response p90 (h)", format="%.1f"),
            "peak_awaiting": st.column_config.NumberColumn("Peak awaiting first response"),
        },
    )
    side = st.columns(2)
    with side[0]:
        ui.chart(
            ui.figure(charts.whatif_lines, result["baseline"], result["scenario"], "awaiting",
                                "Awaiting a first response at the end of the day", "Tickets"),
            result["scenario"],
            "whatif_backlog",
        )  # fmt: skip
    with side[1]:
        ui.chart(
            ui.figure(charts.whatif_lines, result["baseline"], result["scenario"], "frt_p90_h",
                                "First response p90 of the day's tickets", "Hours"),
            result["scenario"],
            "whatif_frt",
        )  # fmt: skip
