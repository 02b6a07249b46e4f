"""What if: the forecast arrivals through the desk simulator's queue, under a staffing plan.

The simulator (``analytics.sample``) draws its own arrivals from the
story's rates; here the arrivals are the forecast's instead: expected daily
tickets per region, split into hours by the region's recent hourly profile
(share of each hour within its weekday), drawn as Poisson counts. The
tickets then go through the simulator's own ticket draws (handling times,
exchanges) and queues, so the answer keeps the simulator's dynamics: live
desk versus queue, follow-ups, agents' pace following the backlog. The run
starts with an empty queue.

Teams are the source's own regions, named as in its data. The plan gives,
for each team and weekday, the agents on shift from its start hour to its
end hour (local time): queue agents answer forms and email, live agents
chat, phone and urgent tickets. Every row counts, each on its own weekday.

Scenario switches: close the live chat between two dates, add agents on
weekends, move a planned rollout. Every input is checked against bounds no
real desk reaches, and a run stops when its time budget runs out or nobody
waits for it any more.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics import forecast as fc
from analytics import i18n, metrics
from analytics.i18n import N_
from analytics.planning import staffing
from analytics.sample import desk, queue
from analytics.sample.story import TeamStaffing, default_staffing
from analytics.settings import Settings, load_settings

log = logging.getLogger(__name__)

# More than a whole city's 311 line over the longest horizon (about 7,000 a day).
MAX_TICKETS = 2_000_000
MAX_SHIFT_DAYS = 366
MAX_CLOSED_DAYS = 366
MAX_PLANNED_FACTOR = 10.0


class ScenarioError(i18n.TranslatableError, ValueError):
    """A what-if input is outside what a real desk needs; the message names it.

    ``str(error)`` is English; :func:`analytics.planning.staffing.describe_error`
    says it in another language.
    """

    def __str__(self) -> str:
        return staffing.describe_error(self, "en")


@dataclass(frozen=True)
class Scenario:
    """Switches applied on top of a staffing plan.

    ``chat_closed`` is a (first day, last day) pair; ``weekend_agents`` extra
    queue agents work each weekend day in every team; ``rollout_shift_days``
    moves every planned event of kind "interface rollout" by that many days.
    """

    chat_closed: tuple[date, date] | None = None
    weekend_agents: int = 0
    rollout_shift_days: int = 0


def check_scenario(scenario: Scenario) -> None:
    """Raise :class:`ScenarioError` unless the switches are ones a real desk could try."""
    if not (
        isinstance(scenario.weekend_agents, int | np.integer)
        and 0 <= scenario.weekend_agents <= staffing.MAX_AGENTS
    ):
        raise ScenarioError(
            N_("extra weekend agents are a whole number from 0 to {most}"),
            most=staffing.MAX_AGENTS,
        )
    if not (
        isinstance(scenario.rollout_shift_days, int | np.integer)
        and abs(scenario.rollout_shift_days) <= MAX_SHIFT_DAYS
    ):
        raise ScenarioError(
            N_("rollouts move by a whole number of days, at most {most}"), most=MAX_SHIFT_DAYS
        )
    if scenario.chat_closed is not None:
        first, last = scenario.chat_closed
        if not first <= last <= first + timedelta(days=MAX_CLOSED_DAYS - 1):
            raise ScenarioError(
                N_("the chat closes on or before it reopens, for at most {most} days"),
                most=MAX_CLOSED_DAYS,
            )


def check_planned(planned: Iterable[fc.PlannedEvent]) -> None:
    """Raise :class:`ScenarioError` unless each planned event has a bounded effect and length."""
    for event in planned:
        if not event.start <= event.end <= event.start + timedelta(days=MAX_SHIFT_DAYS):
            raise ScenarioError(
                N_("planned event {name!r}: it ends on or after its start, within a year"),
                name=event.name,
            )
        factors = np.asarray([1.0 + event.uplift, *event.profile], dtype=float)
        if (
            not (np.isfinite(factors).all() and (factors >= 0).all())
            or (factors > MAX_PLANNED_FACTOR).any()
        ):
            raise ScenarioError(
                N_("planned event {name!r}: its effect is between 0 and {most}x"),
                name=event.name,
                most=MAX_PLANNED_FACTOR,
            )


def check_arrivals(hourly: Mapping[str, pd.Series], plan: pd.DataFrame) -> None:
    """Raise :class:`ScenarioError` unless the expected arrivals fit the plan and the bounds.

    Every team has a full week in the plan; rates are finite and not negative,
    whole days up to the longest forecast horizon, :data:`MAX_TICKETS` in all.
    """
    if not hourly:
        raise ScenarioError(N_("there are no arrivals to simulate"))
    longest = fc.HORIZONS["D"][1]
    for team, series in hourly.items():
        days = set(plan.loc[plan["team"] == team, "weekday"])
        if days != set(staffing.WEEKDAYS):
            raise ScenarioError(N_("the plan has no full week for the team {team}"), team=team)
        rates = np.asarray(series, dtype=float)
        if not (np.isfinite(rates).all() and (rates >= 0).all()):
            raise ScenarioError(
                N_("{team}: expected arrivals are finite and not negative"), team=team
            )
        if not (0 < len(rates) <= 24 * longest and len(rates) % 24 == 0):
            raise ScenarioError(
                N_("{team}: arrivals cover whole days, at most {most}"), team=team, most=longest
            )
    total = sum(float(np.sum(s)) for s in hourly.values())
    if total > MAX_TICKETS:
        raise ScenarioError(
            N_("the forecast brings {total} tickets; the what-if simulates up to {most}"),
            total=round(total),
            most=MAX_TICKETS,
        )


def default_plan(daily_tickets: Mapping[str, float]) -> pd.DataFrame:
    """Return a starting plan (:data:`staffing.PLAN_COLUMNS`), one week per team.

    Each team gets the simulator's head count per daily ticket (at least two
    queue agents and one on the live desk), within :data:`staffing.MAX_AGENTS`.
    """
    sample_teams = default_staffing(1.0, 0.0).values()
    queue_per_ticket = sum(s.agents - s.live_desk for s in sample_teams) / desk.BASE_DAILY_TICKETS
    live_per_ticket = sum(s.live_desk for s in sample_teams) / desk.BASE_DAILY_TICKETS
    teams = {}
    for team, tickets in daily_tickets.items():
        volume = max(0.0, float(tickets)) if math.isfinite(tickets) else 0.0
        on_queue = min(staffing.MAX_AGENTS, max(2, math.ceil(queue_per_ticket * volume)))
        live = min(staffing.MAX_AGENTS, max(1, round(live_per_ticket * volume)))
        teams[team] = TeamStaffing(agents=on_queue + live, live_desk=live)
    return staffing.plan_table(teams)


def hourly_profile(hourly: pd.DataFrame) -> pd.DataFrame:
    """Return the share of each hour within its weekday, per series (``series, dow, hour, share``).

    ``hourly`` is an hourly history (``series, period, created``).
    """
    frame = hourly.assign(
        dow=pd.DatetimeIndex(hourly["period"]).day_of_week,
        hour=pd.DatetimeIndex(hourly["period"]).hour,
    )
    per = frame.groupby(["series", "dow", "hour"])["created"].sum().reset_index()
    per["share"] = per["created"] / per.groupby(["series", "dow"])["created"].transform("sum")
    return per.fillna({"share": 1 / 24})


def expected_hourly(
    daily: Mapping[str, pd.DataFrame], profile: pd.DataFrame
) -> dict[str, pd.Series]:
    """Return expected tickets per local hour for each series: the day split by its profile."""
    out = {}
    for series, frame in daily.items():
        prof = profile[profile["series"] == series].set_index(["dow", "hour"])["share"]
        hours = pd.date_range(frame["period"].iloc[0], periods=24 * len(frame), freq="h")
        day_mean = np.repeat(frame["mean"].to_numpy(), 24)
        keys = list(zip(hours.day_of_week, hours.hour, strict=True))
        share = prof.reindex(keys).fillna(1 / 24).to_numpy()
        out[series] = pd.Series(day_mean * share, index=hours)
    return out


def today_updated(
    hourly: Mapping[str, pd.Series], history: pd.DataFrame, weight: float | None
) -> dict[str, pd.Series]:
    """Return ``hourly`` (expected tickets per hour and series, from today) with the rest
    of today updated from today's arrivals so far in ``history`` (``series, period,
    created``, up to the current hour): each series' day scaled by its busyness,
    ``exp(weight * log((seen + 1) / (expected + 1)))`` (the same-day update of the
    hourly forecast, :mod:`analytics.forecast.sameday`).

    Unchanged without a ``weight``, or when the history does not end during the
    first day of ``hourly``.
    """
    out = dict(hourly)
    if weight is None or history.empty or not out:
        return out
    at = pd.Timestamp(history["period"].max()).tz_localize(None) + pd.Timedelta(hours=1)
    day = at.normalize()
    for series, expected in hourly.items():
        if at.hour == 0 or expected.index[0] != day:
            return dict(hourly)
        mine = history[history["series"] == series]
        when = pd.DatetimeIndex(mine["period"]).tz_localize(None)
        seen = float(mine.loc[(when >= day) & (when < at), "created"].sum())
        before = float(expected[(expected.index >= day) & (expected.index < at)].sum())
        factor = fc.busyness(seen, before, weight)
        rest = (expected.index >= at) & (expected.index < day + pd.Timedelta(days=1))
        out[series] = expected.where(~rest, expected * factor)
    return out


def shifts(
    plan: pd.DataFrame, team: str, first: date, days: int, scenario: Scenario = Scenario()
) -> pd.DataFrame:
    """Return the team's shift of each day of the run: ``day, start_hour, end_hour,
    queue_agents, live_agents``, from that weekday's row of the plan.

    Weekends get the scenario's extra queue agents; while the chat is closed
    only the phone needs the live desk, so a third of it stays (at least one)
    and the others work the queue, as in the simulator.
    """
    rows = plan[plan["team"] == team].set_index("weekday")
    dates = pd.date_range(first, periods=days, freq="D")
    out = rows.loc[[staffing.WEEKDAYS[d] for d in dates.day_of_week]].reset_index(drop=True)
    out.insert(0, "day", np.arange(days))
    out = out[["day", "start_hour", "end_hour", "queue_agents", "live_agents"]].copy()
    weekend = np.asarray(dates.day_of_week >= 5)
    out.loc[weekend, "queue_agents"] += scenario.weekend_agents
    if scenario.chat_closed:
        lo, hi = scenario.chat_closed
        closed = np.asarray((dates.date >= lo) & (dates.date <= hi))
        live = out["live_agents"].to_numpy()
        stay = np.where(live > 0, np.maximum(1, np.round(live / 3)), 0).astype(int)
        out.loc[closed, "queue_agents"] += (live - stay)[closed]
        out.loc[closed, "live_agents"] = stay[closed]
    return out


def _windows(day_shifts: pd.DataFrame, first: date, tz: str, t0: pd.Timestamp) -> dict:
    """Return the pools' working windows (minutes since ``t0``) for the shifts of each day."""
    local_day = pd.Timestamp(first) + pd.to_timedelta(day_shifts["day"].to_numpy(), unit="D")

    def minutes(hours: np.ndarray) -> np.ndarray:
        naive = pd.DatetimeIndex(local_day + pd.to_timedelta(hours, unit="h"))
        utc = naive.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
        return ((utc - t0) / pd.Timedelta(minutes=1)).to_numpy()

    starts = minutes(day_shifts["start_hour"].to_numpy())
    ends = minutes(day_shifts["end_hour"].to_numpy())
    out = {}
    for pool, column in (("queue", "queue_agents"), ("live", "live_agents")):
        heads = day_shifts[column].to_numpy()
        agent = np.concatenate([np.arange(n) for n in heads]) if heads.sum() else np.zeros(0)
        out[pool] = queue.agent_windows(agent, np.repeat(starts, heads), np.repeat(ends, heads))
    return out


def _arrivals(hourly: Mapping[str, pd.Series], tz: str, t0, rng) -> tuple[np.ndarray, ...]:
    """Return every ticket's ``created`` (minutes since ``t0``), team number, category, channel."""
    parts = []
    for r, rates in enumerate(hourly.values()):
        local = rates.index.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
        minutes = ((local.tz_convert("UTC") - t0) / pd.Timedelta(minutes=1)).to_numpy()
        counts = rng.poisson(np.asarray(rates, dtype=float))
        n = int(counts.sum())
        created = np.repeat(minutes, counts) + rng.random(n) * 60.0
        mix = desk.CATEGORY_SHARE / desk.CATEGORY_SHARE.sum()
        category = desk.pick(rng, np.tile(mix, (n, 1)))
        channel = desk.pick(rng, desk.CHANNEL_MIX[category])
        parts.append((created, np.full(n, r), category, channel))
    created, team, category, channel = (np.concatenate(p) for p in zip(*parts, strict=True))
    return created, team.astype(np.int16), category.astype(np.int8), channel.astype(np.int8)


def _tickets(hourly, scenario: Scenario, first: date, tz: str, t0, rng) -> dict:
    """Return the run's tickets in creation order, their work drawn (closed chat applied)."""
    created, team, category, channel = _arrivals(hourly, tz, t0, rng)
    keep = created >= 0
    if scenario.chat_closed:
        lo = (scenario.chat_closed[0] - first).days * 1440.0
        hi = ((scenario.chat_closed[1] - first).days + 1) * 1440.0
        hit = (channel == desk.CHAT) & (created >= lo) & (created < hi)
        diverted = rng.random(len(created)) < desk.CHAT_DIVERTED_TO_FORM
        channel[hit & diverted] = desk.CHANNELS.index("web_form")
        keep &= ~(hit & ~diverted)
    order = np.argsort(created[keep], kind="stable")
    tk = {
        "created": created[keep][order],
        "team": team[keep][order],
        "category": category[keep][order],
        "channel": channel[keep][order],
    }
    tk["priority"] = desk.pick(rng, np.tile(desk.PRIORITY_MIX, (len(order), 1))).astype(np.int8)
    tk.update(desk.draw_work(rng, tk["category"], tk["channel"], tk["priority"]))
    return tk


def run(
    hourly: Mapping[str, pd.Series],
    plan: pd.DataFrame,
    scenario: Scenario = Scenario(),
    tz: str = "UTC",
    seed: int = 7,
    budget: queue.Budget | None = None,
) -> pd.DataFrame:
    """Run expected hourly arrivals (per team, local hours) through the queue under ``plan``.

    Returns one row per ticket: ``team, channel, created_h, first_reply_h``
    (hours since local midnight of the first day; NaN when not answered by
    the end). Raises :class:`analytics.planning.staffing.PlanError` or
    :class:`ScenarioError` for inputs out of bounds, and
    :class:`analytics.sample.Stopped` when ``budget`` runs out.
    """
    plan = staffing.validate_plan(plan)
    check_scenario(scenario)
    check_arrivals(hourly, plan)
    budget = budget or queue.Budget(label="the what-if")
    first = min(s.index[0] for s in hourly.values()).date()
    days = max(len(s) for s in hourly.values()) // 24
    t0 = pd.Timestamp(first).tz_localize(tz).tz_convert("UTC")
    rng = np.random.default_rng(seed)
    tk = _tickets(hourly, scenario, first, tz, t0, rng)
    budget.check()
    state = queue.TicketState(len(tk["created"]))
    for r, team in enumerate(hourly):
        windows = _windows(shifts(plan, team, first, days, scenario), first, tz, t0)
        queue.serve_team(np.flatnonzero(tk["team"] == r), tk, windows, state, days * 1440.0, budget)
    return pd.DataFrame(
        {
            "team": np.array(list(hourly), dtype=object)[tk["team"]],
            "channel": np.array(desk.CHANNELS, dtype=object)[tk["channel"]],
            "created_h": tk["created"] / 60.0,
            "first_reply_h": state.first_reply / 60.0,
        }
    )


def summary(tickets: pd.DataFrame, days: int) -> pd.DataFrame:
    """Return per day: ``day, created, answered`` (first responses given that day),
    ``awaiting`` (awaiting a first response at the day's end) and the
    ``frt_p50_h``/``frt_p90_h`` of the day's tickets (unanswered count as
    waiting until the end of the run)."""
    wait = tickets["first_reply_h"].fillna(days * 24.0) - tickets["created_h"]
    day = (tickets["created_h"] // 24).astype(int)
    rows = []
    created_h = tickets["created_h"].to_numpy()
    reply_h = tickets["first_reply_h"].fillna(np.inf).to_numpy()
    for d in range(days):
        end = (d + 1) * 24.0
        today = wait[day == d]
        rows.append(
            {
                "day": d,
                "created": int(len(today)),
                "answered": int(((reply_h >= end - 24.0) & (reply_h < end)).sum()),
                "awaiting": int(((created_h < end) & (reply_h > end)).sum()),
                "frt_p50_h": float(today.quantile(0.5)) if len(today) else np.nan,
                "frt_p90_h": float(today.quantile(0.9)) if len(today) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _daily_forecasts(con, selection, days, scenario, planned, settings, budget) -> dict:
    """Return ``{"base"|"alt": {region: period, mean}}``: the planned events as planned,
    and with the scenario's rollouts moved."""
    shift = timedelta(days=scenario.rollout_shift_days)
    moved = tuple(
        replace(e, start=e.start + shift, end=e.end + shift) if e.kind == "interface rollout" else e
        for e in planned
    )
    out: dict[str, dict[str, pd.DataFrame]] = {"base": {}, "alt": {}}
    for region in fc.series_names(con, selection, "D", "region", settings)[1:]:
        budget.check()
        one = fc.forecast_series(con, selection, "D", days, "region", region, 0, settings)
        if one is None:
            continue
        out["base"][region] = fc.with_events(one, planned, split="region")[["period", "mean"]]
        out["alt"][region] = fc.with_events(one, moved, split="region")[["period", "mean"]]
    return out


def compare(
    con,
    selection: metrics.Selection,
    days: int,
    plan: tuple[tuple, ...],
    scenario: Scenario,
    planned: tuple[fc.PlannedEvent, ...] = (),
    settings: Settings | None = None,
    cancelled: Callable[[], bool] | None = None,
    same_day_weight: float | None = None,
) -> dict:
    """Return the baseline plan and the scenario side by side over the next ``days``.

    ``plan`` holds the plan's rows as tuples in the order of
    :data:`analytics.planning.staffing.PLAN_COLUMNS` (hashable, so the result is cached
    on it; see :func:`analytics.planning.staffing.plan_rows`). Returns ``{"baseline":
    frame, "scenario": frame, "percentiles": frame}``; frames from
    :func:`summary` with a ``date``. The run stops after the setting
    ``staffing.whatif_seconds``, or when ``cancelled()`` turns True. With a
    ``same_day_weight`` (the hourly forecast's :class:`~analytics.forecast.DayUpdate`),
    the rest of today follows today's arrivals so far (:func:`today_updated`).
    """
    settings = settings or load_settings()
    low, high = fc.HORIZONS["D"]
    if not (isinstance(days, int | np.integer) and low <= days <= high):
        raise ScenarioError(N_("the what-if looks {low} to {high} days ahead"), low=low, high=high)
    frame = staffing.validate_plan(pd.DataFrame(list(plan), columns=list(staffing.PLAN_COLUMNS)))
    check_scenario(scenario)
    check_planned(planned)
    budget = queue.Budget(settings.forecast.whatif_seconds, cancelled, label="the what-if")
    try:
        return _compare(
            con, selection, days, frame, scenario, planned, settings, budget, same_day_weight
        )
    except queue.Stopped as exc:
        log.warning("%s (source %s)", exc, selection.source)
        raise


def _compare(con, selection, days, plan, scenario, planned, settings, budget, weight) -> dict:
    daily = _daily_forecasts(con, selection, days, scenario, planned, settings, budget)
    if not daily["base"]:
        raise ScenarioError(N_("no region of this selection has a forecast to simulate"))
    history = fc.history(con, selection, "H", "region", settings)
    profile = hourly_profile(history[history["series"].isin(list(daily["base"]))])
    out: dict = {"rows": []}
    for key, prefix, scen in (("baseline", "base", Scenario()), ("scenario", "alt", scenario)):
        hourly = today_updated(expected_hourly(daily[prefix], profile), history, weight)
        tickets = run(hourly, plan, scen, selection.tz, budget=budget)
        first = next(iter(daily[prefix].values()))["period"].iloc[0]
        frame = summary(tickets, days)
        frame["date"] = pd.date_range(first, periods=days, freq="D")
        out[key] = frame
        wait = tickets["first_reply_h"].fillna(days * 24.0) - tickets["created_h"]
        out["rows"].append(
            {
                "plan": key,
                "tickets": len(tickets),
                "frt_p50_h": float(wait.quantile(0.5)),
                "frt_p90_h": float(wait.quantile(0.9)),
                "peak_awaiting": int(frame["awaiting"].max()),
            }
        )
    out["percentiles"] = pd.DataFrame(out.pop("rows"))
    return out
