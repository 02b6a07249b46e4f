"""When the sample's agents work: each team's shifts in local time, leave,
weekend rotations, hires and rentrée temps, and who sits on the live desk.

The result is the working windows the queue engine takes
(:func:`analytics.sample.queue.agent_windows`), in minutes since the run's start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.sample.desk import AGENT_CODES, TIMEZONES, WEEKDAY_SHIFTS, WEEKEND_SHIFT
from analytics.sample.queue import agent_windows
from analytics.sample.story import SimConfig, TeamStaffing


@dataclass(frozen=True)
class _Days:
    """The days a roster covers (from the day before the start to the day after the end)."""

    dates: pd.DatetimeIndex
    weekend: np.ndarray
    month: np.ndarray
    dom: np.ndarray
    index: np.ndarray  # days since the start


def team_windows(
    config: SimConfig, region: str, rng: np.random.Generator, t0: pd.Timestamp, days: int
) -> tuple[dict, list[str]]:
    """Return each pool's agent working windows (UTC minutes) and the agents' names.

    Windows are ``{"live"|"queue": [(agent, starts, ends), ...]}``; an agent
    moved between pools on some days (chat closed) appears in both, on
    disjoint days.
    """
    staff = config.staffing[region]
    n_agents = staff.agents + staff.hires + staff.rentree_temps
    dates = pd.date_range(pd.Timestamp(config.start) - pd.Timedelta(days=1), periods=days + 2)
    cal = _Days(
        dates,
        dates.day_of_week.to_numpy() >= 5,
        dates.month.to_numpy(),
        dates.day.to_numpy(),
        np.asarray((dates - pd.Timestamp(config.start)).days),
    )
    absent = _absences(cal, staff, rng, n_agents)
    present, first_temp = _on_board(cal, staff, n_agents, days)
    heads = staff.weekend_share * present.sum(axis=1)
    weekend_heads, chat_closed = _event_days(config, region, cal, heads)
    # Who works a weekend day rotates at random among the permanent staff on board.
    rank = np.argsort(rng.random((len(dates), n_agents)) + ~present, axis=1).argsort(axis=1)
    # Temps are planned for the rentrée every year; they never work weekends.
    month, dom = cal.month, cal.dom
    rentree = ((month == 8) & (dom >= 25)) | (month == 9) | ((month == 10) & (dom <= 15))
    present[:, first_temp:] = (rentree & ~cal.weekend)[:, None]
    works = np.where(cal.weekend[:, None], rank < weekend_heads[:, None], ~absent) & present
    is_live = _live_desk(cal.weekend, rank, weekend_heads, chat_closed, staff, n_agents)
    windows = _windows(cal, TIMEZONES[region], works, is_live, n_agents, t0)
    names = [f"Agent {AGENT_CODES[region]}-{a + 1:02d}" for a in range(n_agents)]
    return windows, names


def _absences(cal: _Days, staff: TeamStaffing, rng, n_agents: int) -> np.ndarray:
    """Return who is on leave (days x agents): summer holidays and Christmas, otherwise
    the odd sick day; part-timers (availability below 1) are away more."""
    month, dom = cal.month, cal.dom
    absent_p = np.where(np.isin(month, (7, 8)), 0.22, 0.04)
    absent_p = np.where(((month == 12) & (dom >= 22)) | ((month == 1) & (dom <= 2)), 0.4, absent_p)
    absent_p = 1 - (1 - absent_p) * staff.availability
    return rng.random((len(cal.dates), n_agents)) < absent_p[:, None]


def _on_board(cal: _Days, staff: TeamStaffing, n_agents: int, days: int) -> tuple:
    """Return (who of the permanent staff has joined, days x agents; the first temp's number).

    Hiring keeps pace with the volume trend: newcomers join at evenly spaced dates.
    """
    joins = np.zeros(n_agents)
    first_temp = n_agents - staff.rentree_temps
    if staff.hires:
        joins[first_temp - staff.hires : first_temp] = np.linspace(0, days, staff.hires + 2)[1:-1]
    present = cal.index[:, None] >= joins[None, :]
    present[:, first_temp:] = False
    return present, first_temp


def _event_days(config: SimConfig, region: str, cal: _Days, weekend_heads: np.ndarray) -> tuple:
    """Return (weekend head count per day with the staffing changes, at least one;
    whether the chat is closed each day)."""
    chat_closed = np.zeros(len(cal.dates), dtype=bool)
    for ev in config.events:
        if ev.region not in ("all", region):
            continue
        on = (cal.index >= (ev.start - config.start).days) & (
            cal.index <= (ev.end - config.start).days
        )
        if ev.kind == "staffing change":
            weekend_heads = np.where(on, weekend_heads * ev.peak_multiplier, weekend_heads)
        elif ev.kind == "channel closed":
            chat_closed |= on
    return np.maximum(1, np.round(weekend_heads)).astype(int), chat_closed


def _live_desk(weekend, rank, weekend_heads, chat_closed, staff: TeamStaffing, n_agents: int):
    """Return who sits on the live desk (days x agents): the first ``live_desk`` agents on
    weekdays, the team's share of the weekend rota, fewer while the chat is closed."""
    live = staff.live_desk
    agent = np.arange(n_agents)[None, :]
    live_heads_weekend = np.maximum(1, np.round(weekend_heads * live / staff.agents)).astype(int)
    # With the chat closed only the phone needs the live desk: a third of it.
    live_heads_closed = max(1, round(live / 3))
    is_live = np.where(weekend[:, None], rank < live_heads_weekend[:, None], agent < live)
    closed_cut = np.where(weekend, np.minimum(live_heads_weekend, 1), live_heads_closed)
    is_live_closed = np.where(
        weekend[:, None], rank < closed_cut[:, None], agent < closed_cut[:, None]
    )
    return np.where(chat_closed[:, None], is_live_closed, is_live)


def _windows(cal: _Days, tz: str, works, is_live, n_agents: int, t0: pd.Timestamp) -> dict:
    """Return the live and queue pools' windows for the days each agent ``works``."""
    shift = np.array(WEEKDAY_SHIFTS)[np.arange(n_agents) % 3]
    begin_h = np.where(cal.weekend[:, None], WEEKEND_SHIFT[0], shift[None, :, 0])
    end_h = np.where(cal.weekend[:, None], WEEKEND_SHIFT[1], shift[None, :, 1])
    rows, cols = np.nonzero(works)
    day_ns = cal.dates.to_numpy()[rows]

    def to_minutes(hours_local: np.ndarray) -> np.ndarray:
        naive = pd.DatetimeIndex(day_ns + (hours_local * 3600).astype("timedelta64[s]"))
        utc = naive.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
        return ((utc - t0) / pd.Timedelta(minutes=1)).to_numpy()

    starts = to_minutes(begin_h[rows, cols])
    ends = to_minutes(end_h[rows, cols])
    pool = is_live[rows, cols]
    return {
        "live": agent_windows(cols[pool], starts[pool], ends[pool]),
        "queue": agent_windows(cols[~pool], starts[~pool], ends[~pool]),
    }
