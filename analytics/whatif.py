"""What if: the forecast arrivals through the desk simulator's queue, under a staffing plan.

The simulator (``analytics.simulate``) draws its own arrivals from the
story's rates; here the arrivals are the forecast's instead: expected daily
tickets per region, split into hours by the region's recent hourly profile
(share of each hour within its weekday), drawn as Poisson counts. The
tickets then go through the simulator's own ticket draws (handling times,
exchanges), agent shifts and queues, so the answer keeps the simulator's
dynamics: live desk versus queue, weekends, agents' pace following the
backlog. The run starts with an empty queue.

Regions the simulator does not know (real exports) are pooled into one team
working French hours; the staffing plan then names that one team.

Scenario switches: close the live chat between two dates, add agents on
weekends, move a planned rollout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics import forecast as fc
from analytics import metrics
from analytics import simulate as sim
from analytics.settings import Settings, load_settings

POOLED = "France"


@dataclass(frozen=True)
class Scenario:
    """Switches applied on top of a staffing plan.

    ``chat_closed`` is a (first day, last day) pair; ``weekend_agents`` extra
    agents work each weekend day in every team; ``rollout_shift_days`` moves
    every planned event of kind "interface rollout" by that many days.
    """

    chat_closed: tuple[date, date] | None = None
    weekend_agents: int = 0
    rollout_shift_days: int = 0


def default_plan(daily_tickets: Mapping[str, float]) -> dict[str, sim.TeamStaffing]:
    """Return a starting plan per team: the simulator's staffing sized for the volume."""
    out = {}
    for region, tickets in daily_tickets.items():
        share = sim.REGION_SHARE[sim.REGIONS.index(region)]
        scale = max(0.05, tickets / (sim.BASE_DAILY_TICKETS * share))
        staff = sim.default_staffing(scale, 0.1)[region]
        out[region] = replace(staff, hires=0, rentree_temps=0)
    return out


def teams_for(regions: list[str]) -> dict[str, str]:
    """Map each data region to the simulator team that serves it (pooled when unknown)."""
    if regions and all(r in sim.REGIONS for r in regions):
        return {r: r for r in regions}
    return {r: POOLED for r in regions}


def _hourly_profile(hourly: pd.DataFrame) -> pd.DataFrame:
    """Share of each hour within its weekday, per series (``series, dow, hour, share``)."""
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


def run(
    hourly: Mapping[str, pd.Series],
    plan: Mapping[str, sim.TeamStaffing],
    scenario: Scenario = Scenario(),
    tz: str = "UTC",
    seed: int = 7,
) -> pd.DataFrame:
    """Run expected hourly arrivals (per simulator team) through the simulator's queue.

    Returns one row per ticket: ``team, channel, created_h, first_reply_h``
    (hours since the start; NaN when not answered by the end).
    """
    start = min(s.index[0] for s in hourly.values()).normalize()
    days = max(len(s) for s in hourly.values()) // 24
    config = sim.SimConfig(
        start=start.date(),
        years=days / 365.25,
        staffing=_staffing(plan, scenario),
        events=_events(scenario),
        seed=seed,
    ).resolved()
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(config.start, tz="UTC")
    parts = []
    for r, region in enumerate(sim.REGIONS):
        if region not in hourly:
            continue
        rates = hourly[region]
        local = rates.index.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
        minutes = ((local.tz_convert("UTC") - t0) / pd.Timedelta(minutes=1)).to_numpy()
        counts = rng.poisson(np.maximum(rates.to_numpy(), 0.0))
        n = int(counts.sum())
        created = np.repeat(minutes, counts) + rng.random(n) * 60.0
        category = sim._pick(rng, np.tile(sim.CATEGORY_SHARE / sim.CATEGORY_SHARE.sum(), (n, 1)))
        channel = sim._pick(rng, sim.CHANNEL_MIX[category])
        parts.append((created, np.full(n, r), category, channel))
    created = np.concatenate([p[0] for p in parts])
    region = np.concatenate([p[1] for p in parts]).astype(np.int8)
    category = np.concatenate([p[2] for p in parts]).astype(np.int8)
    channel = np.concatenate([p[3] for p in parts]).astype(np.int8)
    keep = created >= 0
    if scenario.chat_closed:
        lo = (scenario.chat_closed[0] - config.start).days * 1440.0
        hi = ((scenario.chat_closed[1] - config.start).days + 1) * 1440.0
        hit = (channel == sim.CHAT) & (created >= lo) & (created < hi)
        diverted = rng.random(len(created)) < sim.CHAT_DIVERTED_TO_FORM
        channel[hit & diverted] = sim.CHANNELS.index("web_form")
        keep &= ~(hit & ~diverted)
    order = np.argsort(created[keep], kind="stable")
    tk = {
        "created": created[keep][order],
        "region": region[keep][order],
        "category": category[keep][order],
        "channel": channel[keep][order],
    }
    tk["priority"] = sim._pick(rng, np.tile(sim.PRIORITY_MIX, (len(order), 1))).astype(np.int8)
    tk.update(sim._ticket_draws(rng, tk["category"], tk["channel"], tk["priority"]))
    end = days * 1440.0
    state = sim._State(len(tk["created"]))
    for r, team in enumerate(sim.REGIONS):
        if team not in hourly:
            continue
        windows, _ = sim._agent_windows(config, team, rng, t0, days)
        sim._run_team(np.flatnonzero(tk["region"] == r), tk, windows, state, end)
    return pd.DataFrame(
        {
            "team": np.array(sim.REGIONS, dtype=object)[tk["region"]],
            "channel": np.array(sim.CHANNELS, dtype=object)[tk["channel"]],
            "created_h": tk["created"] / 60.0,
            "first_reply_h": state.first_reply / 60.0,
        }
    )


def _staffing(plan, scenario: Scenario) -> dict[str, sim.TeamStaffing]:
    out = {}
    for region in sim.REGIONS:
        staff = plan.get(region) or sim.TeamStaffing(agents=2, live_desk=1)
        if scenario.weekend_agents:
            share = staff.weekend_share + scenario.weekend_agents / max(staff.agents, 1)
            staff = replace(staff, weekend_share=min(1.0, share))
        out[region] = staff
    return out


def _events(scenario: Scenario) -> tuple[sim.Event, ...]:
    if not scenario.chat_closed:
        return ()
    first, last = scenario.chat_closed
    return (sim.Event("Live chat closed", "channel closed", "all", first, last, 0.0),)


def summary(tickets: pd.DataFrame, days: int) -> pd.DataFrame:
    """Return per day: ``day, created, awaiting`` (awaiting a first response at the day's
    end) and the ``frt_p50_h``/``frt_p90_h`` of the day's tickets (unanswered count as
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
                "awaiting": int(((created_h < end) & (reply_h > end)).sum()),
                "frt_p50_h": float(today.quantile(0.5)) if len(today) else np.nan,
                "frt_p90_h": float(today.quantile(0.9)) if len(today) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def compare(
    con,
    selection: metrics.Selection,
    days: int,
    plan: tuple[tuple[str, int, int, float], ...],
    scenario: Scenario,
    planned: tuple[fc.PlannedEvent, ...] = (),
    settings: Settings | None = None,
) -> dict:
    """Return the baseline plan and the scenario side by side over the next ``days``.

    ``plan`` is ``(team, agents, live_desk, weekend_share)`` rows (hashable, so
    the result is cached on it). Returns ``{"baseline": frame, "scenario":
    frame, "percentiles": frame}``; frames from :func:`summary` with a ``date``.
    """
    settings = settings or load_settings()
    regions = [s for s in fc.series_names(con, selection, "D", "region", settings) if s != "total"]
    teams = teams_for(regions)
    daily: dict[str, pd.DataFrame] = {}
    for region in regions:
        one = fc.forecast_series(con, selection, "D", days, "region", region, 0, settings)
        if one is None:
            continue
        moved = tuple(
            replace(e, start=e.start + timedelta(days=scenario.rollout_shift_days),
                    end=e.end + timedelta(days=scenario.rollout_shift_days))
            if e.kind == "interface rollout" else e
            for e in planned
        )  # fmt: skip
        base = fc.with_events(one, planned, split="region")
        alt = fc.with_events(one, moved, split="region")
        for key, frame in (("base", base), ("alt", alt)):
            team = teams[region]
            acc = daily.setdefault(f"{key}:{team}", frame[["period", "mean"]].copy())
            if acc is not frame and region != next(r for r in regions if teams[r] == team):
                acc["mean"] = acc["mean"].to_numpy() + frame["mean"].to_numpy()
    hourly_hist = fc.history(con, selection, "H", "region", settings)
    hourly_hist = hourly_hist[hourly_hist["series"] != "total"].assign(
        series=lambda f: f["series"].map(teams)
    )
    profile = _hourly_profile(hourly_hist.dropna(subset=["series"]))
    staffing = {team: sim.TeamStaffing(int(a), int(live), float(w)) for team, a, live, w in plan}
    out = {}
    for key, scen in (("baseline", Scenario()), ("scenario", scenario)):
        prefix = "base" if key == "baseline" else "alt"
        per_team = {k.split(":", 1)[1]: v for k, v in daily.items() if k.startswith(prefix + ":")}
        hourly = expected_hourly(per_team, profile)
        tickets = run(hourly, staffing, scen, selection.tz)
        first = next(iter(per_team.values()))["period"].iloc[0]
        frame = summary(tickets, days)
        frame["date"] = pd.date_range(first, periods=days, freq="D")
        out[key] = frame
        wait = tickets["first_reply_h"].fillna(days * 24.0) - tickets["created_h"]
        out.setdefault("rows", []).append(
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
