"""A run of the sample desk: the story's arrivals and rosters through the queue,
gathered into one row per ticket and one row per agent reply."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.sample.arrivals import draw_arrivals
from analytics.sample.desk import CATEGORIES, REGIONS, draw_work
from analytics.sample.queue import Budget, TicketState, serve_team
from analytics.sample.roster import team_windows
from analytics.sample.story import SimConfig, calendar_events, check_config, events_frame


@dataclass
class SimResult:
    """Tickets and events of one run; times are minutes since ``t0`` (UTC).

    ``tickets`` has one row per ticket, ordered by creation, with columns
    ``region``, ``category``, ``channel``, ``priority`` (codes into the tuples of
    :mod:`analytics.sample.desk`), ``created``, ``first_reply``, ``first_solved``, ``solved``,
    ``status`` and more (NaN when it did not happen by ``end``). ``touches`` has
    one row per agent reply: ``ticket`` (row in ``tickets``), ``ready`` (queued
    since), ``start``, ``finish``, ``reopen`` and ``prev_finish``.
    """

    config: SimConfig
    t0: pd.Timestamp
    end: float
    tickets: pd.DataFrame
    touches: pd.DataFrame
    events: pd.DataFrame
    agent_names: dict[str, list[str]] = field(default_factory=dict)

    def timestamps(self, column: str) -> pd.Series:
        """Return a ticket time column as tz-aware UTC timestamps (NaT when absent)."""
        minutes = self.tickets[column].to_numpy()
        return pd.Series(to_utc(self.t0, minutes), index=self.tickets.index)


def simulate(config: SimConfig, budget: Budget | None = None) -> SimResult:
    """Run the desk over the configured period, within ``budget`` when one is given.

    Returns
    -------
    SimResult
        One row per ticket with its arrival, every agent touch and its final
        state at the end of the period, plus the events (story and calendar).

    Raises
    ------
    SimInputError
        For an input outside the bounds of :func:`check_config`.
    Stopped
        When ``budget`` runs out or calls the run off.
    """
    config = check_config(config)
    rng = np.random.default_rng(config.seed)
    t0 = pd.Timestamp(config.start, tz="UTC")
    days = (config.end - config.start).days
    end = days * 1440.0

    tk = draw_arrivals(config, rng, t0, days)
    n = len(tk["created"])
    tk.update(draw_work(rng, tk["category"], tk["channel"], tk["priority"]))

    state = TicketState(n)
    agent_names: dict[str, list[str]] = {}
    for r, region in enumerate(REGIONS):
        idx = np.flatnonzero(tk["region"] == r)
        windows, names = team_windows(config, region, rng, t0, days)
        agent_names[region] = names
        serve_team(idx, tk, windows, state, end, budget)

    tickets = _tickets(tk, state, end)
    events = events_frame(config.events + calendar_events(config.start, config.end))
    return SimResult(config, t0, end, tickets, _touches(state), events, agent_names)


def _tickets(tk: dict, st: TicketState, end: float) -> pd.DataFrame:
    """Return the per-ticket frame: the draws, what the queue did, the final status."""
    df = pd.DataFrame(
        {
            "region": tk["region"],
            "category": tk["category"],
            "channel": tk["channel"],
            "priority": tk["priority"],
            "created": tk["created"],
            "first_reply": st.first_reply,
            "first_solved": st.first_solved,
            "solved": st.solved,
            "last_touch": st.last_touch,
            "first_agent": st.first_agent,
            "last_agent": st.last_agent,
            "replies": st.replies,
            "reopened": st.reopened,
            "extra": tk["extra"],
        }
    )
    df["status"] = _status(tk, st, end)
    df["updated"] = np.fmax(
        np.fmax(st.last_touch, df["created"].to_numpy()),
        np.where(st.pending_until < end, st.pending_until, np.nan),
    )
    return df


def _status(tk: dict, st: TicketState, end: float) -> np.ndarray:
    """Return each ticket's Zendesk status at ``end``."""
    solved = ~np.isnan(st.solved)
    waiting_agent = ~np.isnan(st.waiting_since)
    # A ticket whose reopen came after the end is still just solved.
    status = np.where(
        solved,
        np.where(end - st.solved > 4 * 1440, "closed", "solved"),
        np.where(
            np.isnan(st.first_reply),
            "new",
            np.where(waiting_agent, "open", "pending"),
        ),
    )
    transfer = tk["category"] == CATEGORIES.index("Domain transfer")
    # Transfers waiting on the other registrar sit on hold, not open.
    status = np.where((status == "open") & transfer, "hold", status)
    return status


def _touches(st: TicketState) -> pd.DataFrame:
    """Return the per-touch frame, by ticket then time, with the previous touch's finish."""
    if st.items:
        items = np.array([it[:4] for it in st.items])
        ticket = items[:, 0].astype(np.int64)
        reopen_item = np.array([it[4] for it in st.items])
    else:
        items = np.zeros((0, 4))
        ticket = np.zeros(0, dtype=np.int64)
        reopen_item = np.zeros(0, dtype=bool)
    df_items = pd.DataFrame(
        {"ticket": ticket, "ready": items[:, 1], "start": items[:, 2], "finish": items[:, 3]}
    )
    df_items["reopen"] = reopen_item
    df_items = df_items.sort_values(["ticket", "ready"], kind="stable")
    # Open/new time until an agent answered, pending time until the customer answered back.
    df_items["prev_finish"] = df_items.groupby("ticket")["finish"].shift()
    return df_items.reset_index(drop=True)


def to_utc(t0: pd.Timestamp, minutes: np.ndarray) -> pd.DatetimeIndex:
    """Return minutes since ``t0`` as UTC timestamps, rounded to the second (NaT for NaN)."""
    seconds = np.round(np.asarray(minutes, dtype=np.float64) * 60.0)
    out = np.full(len(seconds), np.datetime64("NaT"), dtype="datetime64[s]")
    ok = ~np.isnan(seconds)
    out[ok] = np.datetime64(t0.tz_localize(None), "s") + seconds[ok].astype("timedelta64[s]")
    return pd.DatetimeIndex(out).tz_localize("UTC")
