"""Staffing and what-if: agents needed against the plan, and the plan tried on the forecast."""

from datetime import timedelta

import pandas as pd
import streamlit as st

import ui
from analytics import access, charts, forecast, sample
from analytics.planning import needs, staffing, whatif
from ui import N_, _, n_

DIVIDER = "gray"
# The plan's columns a person does not edit.
FIXED_COLUMNS = ("team", "weekday")
# The what-if's result table as shown: its columns, and its two plans.
RESULT_LABELS = {
    "plan": N_("Plan"),
    "tickets": N_("Tickets"),
    "frt_p50_h": N_("First response p50 (h)"),
    "frt_p90_h": N_("First response p90 (h)"),
    "peak_awaiting": N_("Peak awaiting first response"),
}
PLANS = {"baseline": N_("Baseline plan"), "scenario": N_("Scenario")}


def said(exc: Exception) -> str:
    """Return a plan or what-if error in the session's language, escaped for Markdown."""
    return ui.md_escape(staffing.describe_error(exc, ui.lang()))


def share(value: float) -> str:
    """Return a share (0.8) as a percentage: ``80%`` or ``80 %``."""
    return ui.percent(100 * value)


def amount(value: float) -> str:
    """Return a setting's number as typed: ``12``, ``7.5`` (``7,5`` in French)."""
    return ui.number(value, 0 if float(value).is_integer() else 1)


def result_table(percentiles: pd.DataFrame) -> pd.DataFrame:
    """Return the what-if's percentiles as text in the session's language."""
    shown = percentiles.copy()
    shown["plan"] = shown["plan"].map(lambda plan: _(PLANS.get(plan, plan)))
    for column in ("frt_p50_h", "frt_p90_h"):
        shown[column] = shown[column].map(lambda hours: ui.number(hours, 1))
    for column in ("tickets", "peak_awaiting"):
        if column in shown:
            shown[column] = shown[column].map(ui.number)
    return shown


st.title(_("Staffing and what-if"))
selection = ui.selection()
user = ui.current_user()
if selection is None:
    st.info(_("The store is empty. Import a helpdesk export on the Data page."))
    st.stop()
settings = ui.settings()
cfg = settings.forecast

# Forecasts read the history up to the period's end, whatever its start: one cache entry.
scope = forecast.history_key(selection)
regions = ui.cached(forecast.series_names, scope, "D", "region", settings=settings)[1:]
if not regions:
    st.info(_("Not enough history in this selection to plan staffing."))
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
    st.info(_("Not enough history in this selection to forecast a region and plan staffing."))
    st.stop()

st.subheader(_("Current plan"), divider=DIVIDER)
st.caption(
    _(
        "Agents per team and weekday between the start and end hours (local), on the queue "
        "(forms, email) and on the live desk (chat, phone). Edit it: the gaps and the what-if "
        "follow. Starting values: the simulator's staffing sized for the forecast volume."
    )
)
mean_daily = needs.daily_means(daily)
saved = ui.cached(staffing.saved_plan, selection.source)
key = f"plan_{selection.source}_{'-'.join(sorted(mean_daily))}_{len(saved)}"
if key not in st.session_state:
    st.session_state[key] = needs.starting_plan(saved, mean_daily)
agents = {"min_value": 0, "max_value": staffing.MAX_AGENTS, "step": 1}
# The weekday column shows the day's name in the session's language; the plan keeps its code.
day_names = dict(zip(staffing.WEEKDAYS, ui.weekday_names(), strict=True))
edited = st.data_editor(
    st.session_state[key].assign(weekday=lambda plan: plan["weekday"].map(day_names)),
    hide_index=True,
    key=f"editor_{key}",
    disabled=list(FIXED_COLUMNS),
    column_config={
        "team": st.column_config.TextColumn(_("Team")),
        "weekday": st.column_config.TextColumn(_("Weekday")),
        "start_hour": st.column_config.NumberColumn(
            _("Start hour"), min_value=0, max_value=23, step=1
        ),
        "end_hour": st.column_config.NumberColumn(_("End hour"), min_value=1, max_value=24, step=1),
        "queue_agents": st.column_config.NumberColumn(_("Agents in the queue"), **agents),
        "live_agents": st.column_config.NumberColumn(_("Agents on the live desk"), **agents),
    },
)
edited = edited.assign(weekday=st.session_state[key]["weekday"].to_numpy())
try:
    plan = staffing.validate_plan(edited)
except staffing.PlanError as exc:
    st.error(_("The plan is not valid: {error}").format(error=said(exc)), icon=":material/error:")
    st.stop()
if not saved.empty:
    last = saved.iloc[0]
    saved_at = pd.Timestamp(last["saved_at"])
    saved_at = saved_at.tz_localize("UTC") if saved_at.tzinfo is None else saved_at
    st.caption(
        _("Saved plan: by {user}, {when}.").format(
            user=ui.md_escape(last["saved_by"]),
            when=ui.date_time(saved_at.tz_convert(selection.tz)),
        )
    )
if user.can("save_staffing"):
    if st.button(_("Save this plan"), icon=":material/save:", key="save_plan"):
        try:
            with ui.cursor() as cur:
                rows = staffing.save_plan(cur, selection.source, plan, actor=user)
        except (staffing.PlanError, access.PermissionDenied) as exc:
            st.error(_("The plan was not saved: {error}").format(error=said(exc)))
        else:
            st.success(
                n_(
                    "Saved the plan ({n} team-day) for source {source}.",
                    "Saved the plan ({n} team-days) for source {source}.",
                    rows,
                ).format(source=ui.md_escape(selection.source))
            )
else:
    st.caption(
        _(
            "You are a {role}: try changes here for the what-if; saving the plan needs the "
            "analyst role."
        ).format(role=ui.md_escape(user.role))
    )

recent = ui.cached(forecast.history, scope, "H", "region", settings=settings)
today = ui.cached(forecast.same_day, scope, settings=settings)
weight = today.weight if today is not None else None
hourly = whatif.today_updated(
    whatif.expected_hourly(daily, whatif.hourly_profile(recent)), recent, weight
)
if today is not None and today.says_something:
    figures = {"time": f"{today.at:%H:%M}", "seen": ui.number(today.seen),
               "expected": ui.number(today.expected)}  # fmt: skip
    if today.keeps_morning:
        update = _(
            "Today, updated at {time}: {seen} tickets since opening, where the morning "
            "forecast expected {expected}. In the backtest, updating from the morning's "
            "arrivals did not beat the morning forecast, so the rest of today keeps it."
        ).format(**figures)
    else:
        update = _(
            "Today, updated at {time}: {seen} tickets since opening, where the morning "
            "forecast expected {expected}; the rest of today follows ({change} for the total)."
        ).format(**figures, change=ui.signed_percent(100 * (today.factor - 1)))
    st.caption(update)

st.subheader(_("Queued work: agents per day"), divider=DIVIDER)
st.caption(
    _(
        "Workload of forms and email ({queued} of tickets) at {minutes} min per ticket, "
        "{hours} productive hours a day, {shrinkage} shrinkage; then an hourly first-in "
        "first-out simulation adds agents until first responses stay within {target}."
    ).format(
        queued=share(1 - live_share),
        minutes=amount(cfg.handling_minutes),
        hours=amount(cfg.productive_hours),
        shrinkage=share(cfg.shrinkage),
        target=ui.hours(settings.sla_target_hours, 0 if settings.sla_target_hours % 1 == 0 else 1),
    )
)
queued = needs.queued_needs(hourly, plan, live_share, settings)
team_pick = st.selectbox(_("Team"), sorted(queued["team"].unique()), key="staff_team")
one = queued[queued["team"] == team_pick]
short = needs.short_days(one)
if len(short):
    most = int((short["needed"] - short["planned"]).max())
    st.warning(
        _("{team}: short of queue agents on {short} of {days} days (up to {agents}).").format(
            team=ui.md_escape(team_pick),
            short=ui.number(len(short)),
            days=ui.number(len(one)),
            agents=n_("{n} agent", "{n} agents", most),
        ),
        icon=":material/warning:",
    )
ui.chart(
    ui.figure(
        charts.staffing_gap,
        one,
        "day",
        _("{team}: queue agents needed per day").format(team=team_pick),
        lang=ui.lang(),
    ),
    one,
    "staffing_queue",
)

st.subheader(_("Live work: agents per hour"), divider=DIVIDER)
st.caption(
    _(
        "Chat and phone ({live} of tickets), {seconds} s per contact, {level} answered within "
        "{answer} s: Erlang C, and Erlang A with callers hanging up after {patience} s on "
        "average."
    ).format(
        live=share(live_share),
        seconds=amount(cfg.live_handling_seconds),
        level=share(cfg.service_level),
        answer=amount(cfg.answer_seconds),
        patience=amount(cfg.patience_seconds),
    )
)
live = needs.live_needs(hourly[team_pick], plan[plan["team"] == team_pick], live_share, settings)
ui.chart(
    ui.figure(
        charts.staffing_gap,
        live,
        "period",
        _("{team}: live agents needed per hour (Erlang A)").format(team=team_pick),
        lang=ui.lang(),
    ),
    live,
    "staffing_live",
)

st.subheader(_("What if"), divider=DIVIDER)
st.caption(
    _(
        "The forecast arrivals go through the desk simulator's queue (agents' shifts, live "
        "desk, follow-ups) under the plan above, then under the plan with the switches below."
    )
)
first = daily[next(iter(daily))]["period"].iloc[0].date()
with st.form("whatif"):
    row = st.columns(4)
    days = row[0].number_input(_("Days ahead"), 14, 28, 28, key="wi_days")
    close = row[1].checkbox(_("Close the live chat"), key="wi_close")
    closed = row[1].date_input(
        _("Chat closed from - to"), (first + timedelta(days=7), first + timedelta(days=16)),
        key="wi_closed",
    )  # fmt: skip
    weekend = row[2].number_input(_("Extra weekend agents per team"), 0, 20, 0, key="wi_weekend")
    shift = row[3].number_input(
        _("Move planned rollouts (days)"), -60, 60, 0, key="wi_shift",
        help=_("Moves the interface rollouts planned on the Forecast page."),
    )  # fmt: skip
    submitted = st.form_submit_button(_("Run the what-if"), icon=":material/play_arrow:")
if submitted or st.session_state.get("wi_ran"):
    st.session_state["wi_ran"] = True
    scenario = whatif.Scenario(
        chat_closed=(closed[0], closed[-1]) if close and closed else None,
        weekend_agents=int(weekend),
        rollout_shift_days=int(shift),
    )
    try:
        with st.spinner(_("Simulating the queue...")):
            result = ui.cached(
                whatif.compare, selection, int(days), staffing.plan_rows(plan), scenario,
                tuple(st.session_state.get("fc_planned", [])), settings=settings,
                cancelled=ui.session_ended, same_day_weight=weight,
            )  # fmt: skip
    except (whatif.ScenarioError, staffing.PlanError, sample.Stopped) as exc:
        st.error(_("No what-if: {error}").format(error=said(exc)), icon=":material/error:")
        st.stop()
    ui.grid(result_table(result["percentiles"]), labels=RESULT_LABELS)
    side = st.columns(2)
    with side[0]:
        ui.chart(
            ui.figure(charts.whatif_lines, result["baseline"], result["scenario"], "awaiting",
                      _("Awaiting a first response at the end of the day"), _("Tickets"),
                      lang=ui.lang(), counts=True),
            result["scenario"],
            "whatif_backlog",
        )  # fmt: skip
    with side[1]:
        ui.chart(
            ui.figure(charts.whatif_lines, result["baseline"], result["scenario"], "frt_p90_h",
                      _("First response p90 of the day's tickets"), _("Hours"), lang=ui.lang()),
            result["scenario"],
            "whatif_frt",
        )  # fmt: skip
