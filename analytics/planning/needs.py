"""Agents needed against a staffing plan, per team: the tables the Staffing page draws.

Queued work (forms, email) is sized per day by the workload and a FIFO
backlog; live work (chat, phone) per hour by Erlang A. Both split the
forecast by the source's recent share of live channels.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from analytics.planning import staffing, whatif
from analytics.settings import Settings

# Hours a live team is sized for: one week, the plan's own period.
LIVE_HOURS = 168


def daily_means(daily: Mapping[str, pd.DataFrame]) -> dict[str, float]:
    """Return each team's mean forecast tickets a day (``daily``: team to ``period, mean``)."""
    return {team: float(frame["mean"].mean()) for team, frame in daily.items()}


def starting_plan(saved: pd.DataFrame, means: Mapping[str, float]) -> pd.DataFrame:
    """Return the plan to start editing from (:data:`staffing.PLAN_COLUMNS`).

    The saved plan when it covers exactly the forecast's teams; otherwise the
    simulator's staffing sized for ``means`` (:func:`whatif.default_plan`).
    """
    usable = not saved.empty and set(saved["team"]) == set(means)
    return saved[list(staffing.PLAN_COLUMNS)] if usable else whatif.default_plan(means)


def queued_needs(
    hourly: Mapping[str, pd.Series], plan: pd.DataFrame, live_share: float, settings: Settings
) -> pd.DataFrame:
    """Return ``day, tickets, workload_agents, needed, planned, team``: queue agents needed
    each day (:func:`staffing.queued_agents_per_day` on the queued share of the hourly
    forecast, shifts 7-20) against the plan's queue agents that weekday."""
    cfg = settings.forecast
    rows = []
    for team, series in hourly.items():
        need = staffing.queued_agents_per_day(
            series * (1 - live_share),
            cfg.handling_minutes,
            cfg.productive_hours,
            cfg.shrinkage,
            settings.sla_target_hours,
            shift=(7, 20),
        )
        need["planned"] = staffing.planned_per_day(
            plan[plan["team"] == team], pd.DatetimeIndex(need["day"]), "queue_agents"
        )
        rows.append(need.assign(team=team))
    return pd.concat(rows, ignore_index=True).rename(columns={"agents": "needed"})


def short_days(needs: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of ``needs`` where more agents are needed than planned."""
    return needs[needs["needed"] > needs["planned"]]


def live_needs(
    hourly: pd.Series, plan: pd.DataFrame, live_share: float, settings: Settings
) -> pd.DataFrame:
    """Return ``period, contacts, erlang_c, erlang_a, planned, needed`` for one team's
    first week: live agents needed per hour by Erlang A against the plan's live agents."""
    cfg = settings.forecast
    live = staffing.live_agents_per_hour(
        hourly.iloc[:LIVE_HOURS] * live_share,
        cfg.live_handling_seconds,
        cfg.service_level,
        cfg.answer_seconds,
        cfg.patience_seconds,
    )
    live["planned"] = staffing.planned_per_hour(
        plan, pd.DatetimeIndex(live["period"]), "live_agents"
    )
    live["needed"] = live["erlang_a"]
    return live
