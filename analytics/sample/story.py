"""The built-in sample: a queue simulation of a multi-region support desk.

Tickets arrive as a non-homogeneous Poisson process per region, category and
channel; agents on shifts in their team's local time pick them up. Response
times and backlog are never drawn from a distribution: they come out of the
queue. The default story follows ``docs/simulator.md``: a new interface rolled
out region by region, landing in Europe during the September peak of the
second year, a live chat closed for ten days, weekend staff reinforced.

Public API: :func:`write_sample` (what the app and CLI call),
:func:`simulate` with :class:`SimConfig` (for "what if" reruns),
:func:`story_events` and :func:`default_staffing`; the queue machinery
(:func:`draw_work`, :class:`TicketState`, :func:`serve_team`, :class:`Budget`)
serves ``analytics.planning.whatif``.

Example
-------
>>> files = write_sample(Path("data/sample"), years=1.0, scale=0.2)  # doctest: +SKIP
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ACCOUNT_TZ = "Europe/Paris"
REGIONS = ("France", "Europe", "North America", "Asia")
TIMEZONES = {
    "France": "Europe/Paris",
    "Europe": "Europe/Berlin",
    "North America": "America/New_York",
    "Asia": "Asia/Singapore",
}
TEAMS = {r: f"Support {r}" for r in REGIONS}
AGENT_CODES = {"France": "FR", "Europe": "EU", "North America": "NA", "Asia": "AS"}
CATEGORIES = (
    "Domain renewal",
    "Domain transfer",
    "DNS",
    "Hosting",
    "Email service",
    "Billing",
    "Account access",
    "New interface",
)
NEW_INTERFACE = CATEGORIES.index("New interface")
CHANNELS = ("web_form", "email", "chat", "voice")
CHAT = CHANNELS.index("chat")
PRIORITIES = ("low", "normal", "high", "urgent")

ZENDESK_COLUMNS = (
    "Id",
    "Requester",
    "Requester id",
    "Requester email",
    "Submitter",
    "Assignee",
    "Group",
    "Subject",
    "Tags",
    "Status",
    "Priority",
    "Via",
    "Ticket type",
    "Created at",
    "Updated at",
    "Assigned at",
    "Organization",
    "Due date",
    "Initially assigned at",
    "Solved at",
    "Resolution time",
    "Satisfaction Score",
    "Group stations",
    "Assignee stations",
    "Reopens",
    "Replies",
    "First reply time in minutes",
    "First reply time in minutes within business hours",
    "First resolution time in minutes",
    "First resolution time in minutes within business hours",
    "Full resolution time in minutes",
    "Full resolution time in minutes within business hours",
    "Agent wait time in minutes",
    "Agent wait time in minutes within business hours",
    "Requester wait time in minutes",
    "Requester wait time in minutes within business hours",
    "On hold time in minutes",
    "On hold time in minutes within business hours",
    "Region [list]",
    "Category [list]",
)
EVENT_COLUMNS = (
    "name",
    "kind",
    "region",
    "start",
    "end",
    "peak_multiplier",
    "decay_weeks",
    "notes",
)

# Share of the desk's daily volume by region (at trend 1, annual profile 1).
REGION_SHARE = np.array([0.28, 0.34, 0.23, 0.15])
BASE_DAILY_TICKETS = 300.0
TREND_PER_YEAR = 0.05

# Everyday category mix; "New interface" only exists once a region has it.
CATEGORY_SHARE = np.array([0.16, 0.08, 0.15, 0.15, 0.14, 0.14, 0.18, 0.0])
# The rentrée (September) peak is carried by renewals, transfers and new hosting projects.
RENTREE_CATEGORIES = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
# Agent minutes for the first reply; follow-ups take FOLLOW_UP_EFFORT of that.
HANDLING_MEDIAN_MIN = np.array([17.0, 28.0, 33.0, 41.0, 32.0, 20.0, 18.0, 28.0])
HANDLING_SIGMA = 0.55
FOLLOW_UP_EFFORT = 0.6
# Probability of 0, 1, 2, 3 further exchanges with the customer, by category.
EXCHANGES = np.array(
    [
        [0.55, 0.30, 0.10, 0.05],
        [0.25, 0.35, 0.25, 0.15],
        [0.30, 0.35, 0.22, 0.13],
        [0.25, 0.35, 0.25, 0.15],
        [0.30, 0.35, 0.22, 0.13],
        [0.45, 0.35, 0.15, 0.05],
        [0.40, 0.35, 0.17, 0.08],
        [0.40, 0.35, 0.17, 0.08],
    ]
)
# Channel mix by category (web form, email, chat, phone).
CHANNEL_MIX = np.array(
    [
        [0.42, 0.30, 0.18, 0.10],
        [0.45, 0.32, 0.15, 0.08],
        [0.40, 0.30, 0.20, 0.10],
        [0.42, 0.30, 0.18, 0.10],
        [0.40, 0.33, 0.17, 0.10],
        [0.38, 0.35, 0.15, 0.12],
        [0.35, 0.25, 0.25, 0.15],
        [0.38, 0.22, 0.28, 0.12],
    ]
)
PRIORITY_MIX = np.array([0.15, 0.70, 0.12, 0.03])
TICKET_TYPE = (
    "task",
    "task",
    "incident",
    "incident",
    "incident",
    "question",
    "problem",
    "question",
)
SUBJECTS = {
    "Domain renewal": ("Renewal of my domain", "Domain expired?", "Auto-renew did not work"),
    "Domain transfer": ("Transfer in stuck", "Auth code not accepted", "Transfer out request"),
    "DNS": ("DNS records not updating", "Site unreachable after DNS change", "Add a CNAME"),
    "Hosting": ("New hosting instance", "Website is down", "Upgrade my hosting plan"),
    "Email service": ("Cannot receive emails", "Mailbox quota", "SMTP authentication fails"),
    "Billing": ("Invoice request", "Double charge", "Change payment method"),
    "Account access": ("Cannot log in", "Two-factor lost", "Reset my password"),
    "New interface": ("Where is X in the new interface?", "How do I renew now?", "New UI help"),
}
# Agent minutes of a live session, by channel (form and email never take one).
LIVE_MINUTES = np.array([0.0, 0.0, 22.0, 12.0])
# Routing and reading: no agent can reply within the first minute.
ROUTING_DELAY_MIN = 1.0
# Most live contacts end in the session; the rest continue by email.
LIVE_SOLVED_IN_SESSION = 0.7
# Customers take hours to answer an agent, sometimes days.
CUSTOMER_DELAY_MEDIAN_MIN = 240.0
CUSTOMER_DELAY_SIGMA = 1.1
REOPEN_SHARE = 0.05
REOPEN_DELAY_MEDIAN_MIN = 1.5 * 24 * 60
# Chat customers who find the chat closed: some fill in the form, most find the answer
# in the help pages or wait for the chat to reopen.
CHAT_DIVERTED_TO_FORM = 0.3

# Agents adapt their pace to the backlog of the past days: thorough when waits
# have been short (they also do side work then), terse after days of long waits.
# This keeps ordinary weeks at a few hours of wait instead of a knife-edge queue;
# because the pace follows days, not hours, a weekend's backlog still hits Monday
# morning, and a surge beyond EFFORT_MIN capacity still piles up into a crisis.
EFFORT_MAX = 1.6
EFFORT_MIN = 0.75
EFFORT_FULL_WAIT_MIN = 20 * 60.0
EFFORT_MEMORY_MIN = 3 * 1440.0

# Weekday shifts in local hours; agent a works shift a % 3.
WEEKDAY_SHIFTS = ((7.0, 15.5), (9.0, 17.5), (11.5, 20.0))
WEEKEND_SHIFT = (10.0, 17.0)
BUSINESS_START_MIN, BUSINESS_END_MIN = 9 * 60, 18 * 60

_HOUR_WEIGHTS = np.array(
    [0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.6, 3.2, 5.6, 7.8, 8.2, 7.8,
     6.4, 6.6, 7.2, 7.0, 6.4, 5.6, 4.4, 3.6, 3.2, 2.8, 2.0, 1.2]
)  # fmt: skip
HOUR_PROFILE = _HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()
_WEEKDAY_WEIGHTS = np.array([1.38, 1.15, 1.08, 1.03, 0.94, 0.52, 0.46])
WEEKDAY_PROFILE = _WEEKDAY_WEIGHTS / _WEEKDAY_WEIGHTS.mean()
# Whole-desk seasonality at mid-month (day of year), interpolated between months.
_MONTH_ANCHOR_DOY = np.array([15, 46, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349])
_MONTH_LEVEL = np.array([1.0, 1.02, 1.03, 1.0, 0.97, 0.95, 0.85, 0.72, 1.05, 1.05, 1.0, 0.97])
# Extra factor on the rentrée categories: ramps up late August, fades in October.
_RENTREE_DOY = np.array([1, 235, 251, 270, 292, 366])
_RENTREE_LEVEL = np.array([1.0, 1.0, 1.85, 1.75, 1.0, 1.0])
CHRISTMAS_LEVEL = 0.55

# Bounds no real desk reaches: they keep a run to seconds and its memory small.
MAX_AGENTS = 10_000
MAX_YEARS = 10.0
MAX_SCALE = 100.0
MAX_MULTIPLIER = 10.0
MAX_DECAY_WEEKS = 104.0
EVENT_KINDS = ("interface rollout", "channel closed", "staffing change")
# The queue loop looks at its budget every this many tickets.
CHECK_EVERY = 1024


class SimInputError(ValueError):
    """A simulation input is outside what a real desk needs; the message names it."""


class Stopped(RuntimeError):
    """A run stopped before its end: out of time, or called off."""


@dataclass
class Budget:
    """How long a run may take, and a way to call it off.

    ``seconds`` of wall time from creation (None: no limit); ``cancelled``
    returns True once nobody waits for the result (e.g. the browser session
    ended). ``label`` names the run in the message of :class:`Stopped`.
    """

    seconds: float | None = None
    cancelled: Callable[[], bool] | None = None
    label: str = "the simulation"
    started: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        """Raise :class:`Stopped` when the time is up or the run was called off.

        The message reads "the what-if stopped after 12.0 s: it reached its time
        limit of 10 s".
        """
        elapsed = time.monotonic() - self.started
        if self.cancelled is not None and self.cancelled():
            reason = "it was cancelled (nobody waits for it any more)"
        elif self.seconds is not None and elapsed > self.seconds:
            reason = f"it reached its time limit of {self.seconds:g} s"
        else:
            return
        raise Stopped(f"{self.label} stopped after {elapsed:.1f} s: {reason}")


@dataclass(frozen=True)
class Event:
    """One thing that happened to the desk, and the effect the simulator injects.

    ``end`` is the last day of the effect (inclusive). ``peak_multiplier`` means,
    by ``kind``: for ``interface rollout`` the region's total arrivals at the peak
    of the wave of new-interface tickets relative to no rollout; for
    ``channel closed`` the factor on that channel's arrivals (0); for
    ``staffing change`` the factor on weekend head count.
    """

    name: str
    kind: str
    region: str
    start: date
    end: date
    peak_multiplier: float
    decay_weeks: float = 0.0
    notes: str = ""


@dataclass(frozen=True)
class TeamStaffing:
    """Head count of one regional team.

    ``agents`` work weekdays on three staggered shifts; ``live_desk`` of them
    answer chat, phone and urgent tickets (and only those while the chat is
    open); ``weekend_share`` of ``agents`` work each weekend day. ``hires``
    more queue agents join at evenly spaced dates over the run; ``rentree_temps``
    temporary queue agents work weekdays from late August to mid-October.
    ``availability`` is the share of their days agents work outside leave; below 1
    it stands for part-timers, so a team can be 4.5 agents strong.
    """

    agents: int
    live_desk: int
    weekend_share: float = 1 / 3
    hires: int = 0
    rentree_temps: int = 0
    availability: float = 1.0


@dataclass(frozen=True)
class SimConfig:
    """Parameters of a simulation run.

    ``scale`` multiplies the daily volume; ``staffing`` defaults to
    :func:`default_staffing` at that scale and ``events`` to :func:`story_events`.
    """

    start: date = date(2023, 1, 2)
    years: float = 3.0
    scale: float = 1.0
    seed: int = 42
    staffing: Mapping[str, TeamStaffing] | None = None
    events: tuple[Event, ...] | None = None

    def resolved(self) -> SimConfig:
        """Return a copy with ``staffing`` and ``events`` filled with their defaults."""
        return replace(
            self,
            staffing=self.staffing or default_staffing(self.scale, self.years),
            events=story_events(self.start, self.years) if self.events is None else self.events,
        )

    @property
    def end(self) -> date:
        """First day after the simulated period."""
        return self.start + timedelta(days=round(self.years * 365.25))


@dataclass(frozen=True)
class SampleFiles:
    """Where :func:`write_sample` put the export and the story."""

    tickets_csv: Path
    events_csv: Path


@dataclass
class SimResult:
    """Tickets and events of one run; times are minutes since ``t0`` (UTC).

    ``tickets`` has one row per ticket, ordered by creation, with columns
    ``region``, ``category``, ``channel``, ``priority`` (codes into the module
    tuples), ``created``, ``first_reply``, ``first_solved``, ``solved``,
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
        return pd.Series(_to_utc(self.t0, minutes), index=self.tickets.index)


def default_staffing(scale: float = 1.0, years: float = 3.0) -> dict[str, TeamStaffing]:
    """Return the head count per region sized for ``scale`` times the default volume.

    Hires over ``years`` follow the volume trend.

    Examples
    --------
    >>> default_staffing(1.0)["Europe"]
    TeamStaffing(agents=14, live_desk=5, weekend_share=0.3333333333333333, hires=2, rentree_temps=3, availability=1.0)
    """
    base = {"France": (8, 4), "Europe": (9, 5), "North America": (6, 4), "Asia": (5, 3)}
    out = {}
    for region, (queue, live) in base.items():
        exact = max(2.0, queue * scale)
        queue, live = math.ceil(exact), max(1, round(live * scale))
        hires = math.ceil(exact * TREND_PER_YEAR * years - 0.25)
        out[region] = TeamStaffing(
            agents=queue + live,
            live_desk=live,
            hires=max(0, hires),
            rentree_temps=math.ceil(exact * 0.3),
            # Part-timers make up the fraction of an agent that rounding up added.
            availability=(exact + live) / (queue + live),
        )
    return out


def story_events(start: date = date(2023, 1, 2), years: float = 3.0) -> tuple[Event, ...]:
    """Return the seed's story, placed relative to ``start``.

    The Europe rollout lands on the first Monday of the September that falls
    in the second simulated year; every other event is placed relative to it,
    so any start date gives the same story.
    """
    year = start.year + 1 if date(start.year, 9, 1) - start >= timedelta(days=365) else start.year
    while date(year, 9, 1) - start < timedelta(days=365):
        year += 1
    september = date(year, 9, 1)
    anchor = september + timedelta(days=(7 - september.weekday()) % 7)
    week = timedelta(weeks=1)

    def rollout(region: str, at: date, peak: float, decay: float) -> Event:
        # The wave is over in practice about three decay periods after its one-week ramp.
        end = at + timedelta(weeks=1 + 3 * decay)
        return Event(
            f"New interface: {region}",
            "interface rollout",
            region,
            at,
            end,
            peak,
            decay,
            "New-interface tickets ramp up for a week then decay; a small residue stays.",
        )

    closure_start = anchor + 3 * week
    closure_end = closure_start + timedelta(days=9)
    events = (
        rollout("Asia", anchor - 22 * week, 1.35, 3.0),
        rollout("North America", anchor - 13 * week, 1.40, 3.0),
        rollout("Europe", anchor, 1.60, 3.0),
        Event(
            "Live chat closed",
            "channel closed",
            "all",
            closure_start,
            closure_end,
            0.0,
            0.0,
            "No chat; a third of would-be chats come by web form instead; chat agents work the queue.",
        ),
        Event(
            "Weekend staff reinforced",
            "staffing change",
            "all",
            closure_end + timedelta(days=1),
            closure_end + 12 * week,
            1.75,
            0.0,
            "Weekend head count multiplied by peak_multiplier.",
        ),
        rollout("France", anchor + 19 * week, 1.50, 4.0),
    )
    end = start + timedelta(days=round(years * 365.25))
    return tuple(e for e in events if e.start < end)


def calendar_events(start: date, end: date) -> tuple[Event, ...]:
    """Return the seasonal truth (rentrée peaks, Christmas dips) between two dates.

    These come from the built-in annual profile, not from the event list; they
    are written to ``events.csv`` so analyses can be checked against them.
    """
    out = []
    for year in range(start.year, end.year + 1):
        peak = Event(
            f"Rentrée {year}",
            "season",
            "all",
            date(year, 9, 1),
            date(year, 9, 30),
            1.35,
            0.0,
            "September peak of renewals, transfers and hosting; about +35% on the year's mean.",
        )
        xmas = Event(
            f"Christmas {year}",
            "holiday",
            "all",
            date(year, 12, 22),
            date(year + 1, 1, 2),
            CHRISTMAS_LEVEL,
            0.0,
            "Arrivals dip; agents on leave too.",
        )
        out += [e for e in (peak, xmas) if e.start < end and e.end >= start]
    return tuple(out)


def check_staffing(team: str, staff: TeamStaffing) -> None:
    """Raise :class:`SimInputError` unless ``staff`` is a head count a real team can have."""
    heads = (staff.agents, staff.live_desk, staff.hires, staff.rentree_temps)
    if not all(isinstance(n, int | np.integer) and 0 <= n <= MAX_AGENTS for n in heads):
        raise SimInputError(f"{team}: head counts are whole numbers from 0 to {MAX_AGENTS:,}")
    if staff.agents < 1 or staff.live_desk > staff.agents:
        raise SimInputError(f"{team}: at least one agent, and no more on the live desk than agents")
    if not (0.0 <= staff.weekend_share <= 1.0 and 0.0 < staff.availability <= 1.0):
        raise SimInputError(f"{team}: the weekend share is 0-1, the availability above 0 up to 1")


def check_event(event: Event) -> None:
    """Raise :class:`SimInputError` unless ``event`` is one the simulator can inject."""
    where = f"event {event.name!r}"
    if event.kind not in EVENT_KINDS:
        raise SimInputError(f"{where}: the kind is one of {', '.join(EVENT_KINDS)}")
    if event.region not in (*REGIONS, "all"):
        raise SimInputError(f"{where}: the region is one of {', '.join(REGIONS)} or all")
    if not event.start <= event.end <= event.start + timedelta(days=round(MAX_YEARS * 366)):
        raise SimInputError(f"{where}: it ends on or after its start, within {MAX_YEARS:g} years")
    if not (0.0 <= event.peak_multiplier <= MAX_MULTIPLIER):
        raise SimInputError(f"{where}: the multiplier is between 0 and {MAX_MULTIPLIER:g}")
    if not (0.0 <= event.decay_weeks <= MAX_DECAY_WEEKS):
        raise SimInputError(f"{where}: the decay is between 0 and {MAX_DECAY_WEEKS:g} weeks")


def check_config(config: SimConfig) -> SimConfig:
    """Return ``config`` resolved, or raise :class:`SimInputError` naming the first bad input.

    Bounds: up to :data:`MAX_YEARS` years at up to :data:`MAX_SCALE` times the
    default volume, every region staffed within :data:`MAX_AGENTS`, events
    of known kinds with bounded multipliers and durations.
    """
    if not (0.0 < config.years <= MAX_YEARS):
        raise SimInputError(f"years: a run lasts more than 0 and at most {MAX_YEARS:g} years")
    if not (0.0 < config.scale <= MAX_SCALE):
        raise SimInputError(f"scale: more than 0 and at most {MAX_SCALE:g} times the default")
    config = config.resolved()
    missing = [r for r in REGIONS if r not in config.staffing]
    if missing:
        raise SimInputError(f"staffing: no head count for {', '.join(missing)}")
    for team in REGIONS:
        check_staffing(team, config.staffing[team])
    for event in config.events:
        check_event(event)
    return config


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

    tk = _arrivals(config, rng, t0, days)
    n = len(tk["created"])
    tk.update(draw_work(rng, tk["category"], tk["channel"], tk["priority"]))

    state = TicketState(n)
    agent_names: dict[str, list[str]] = {}
    for r, region in enumerate(REGIONS):
        idx = np.flatnonzero(tk["region"] == r)
        windows, names = _agent_windows(config, region, rng, t0, days)
        agent_names[region] = names
        serve_team(idx, tk, windows, state, end, budget)

    tickets, touches = _assemble(tk, state, end)
    events = pd.DataFrame(
        [_event_row(e) for e in config.events + calendar_events(config.start, config.end)],
        columns=list(EVENT_COLUMNS),
    )
    return SimResult(config, t0, end, tickets, touches, events, agent_names)


def write_sample(
    out_dir: Path,
    *,
    start: date = date(2023, 1, 2),
    years: float = 3.0,
    scale: float = 1.0,
    seed: int = 42,
) -> SampleFiles:
    """Simulate the default story and write it as a Zendesk export plus its events.

    Returns
    -------
    SampleFiles
        Paths of ``out_dir/tickets.csv`` (Zendesk ticket export format) and
        ``out_dir/events.csv`` (the truth the simulator injected).
    """
    result = simulate(SimConfig(start=start, years=years, scale=scale, seed=seed))
    return write_result(result, out_dir)


def write_result(result: SimResult, out_dir: Path) -> SampleFiles:
    """Write a simulation as ``tickets.csv`` (Zendesk export) and ``events.csv``.

    Returns
    -------
    SampleFiles
        The two paths, inside ``out_dir`` (created if missing).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = SampleFiles(out_dir / "tickets.csv", out_dir / "events.csv")
    export = zendesk_export(result)
    con = duckdb.connect()
    try:
        # DuckDB writes a million rows in a fraction of what pandas needs, quotes
        # only when a value requires it (RFC 4180) and keeps row order.
        con.from_df(export).write_csv(
            str(files.tickets_csv), sep=",", quotechar='"', escapechar='"', na_rep="", header=True
        )
    finally:
        con.close()
    result.events.to_csv(files.events_csv, index=False, lineterminator="\n")
    return files


# --- arrivals -------------------------------------------------------------------------------


def _annual_profiles(doy: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple:
    """Return (whole-desk level, rentrée factor) for days of year."""
    anchors = np.concatenate([[_MONTH_ANCHOR_DOY[-1] - 365], _MONTH_ANCHOR_DOY, [380]])
    levels = np.concatenate([[_MONTH_LEVEL[-1]], _MONTH_LEVEL, [_MONTH_LEVEL[0]]])
    level = np.interp(doy, anchors, levels)
    christmas = ((month == 12) & (day >= 22)) | ((month == 1) & (day <= 2))
    level = np.where(christmas, CHRISTMAS_LEVEL, level)
    return level, np.interp(doy, _RENTREE_DOY, _RENTREE_LEVEL)


def _rollout_curve(days_since: np.ndarray, decay_weeks: float) -> np.ndarray:
    """Return the wave of new-interface tickets, 1 at its peak, for days since rollout."""
    ramp = np.clip(days_since / 7.0, 0.0, 1.0)
    decay = np.exp(-np.clip(days_since - 7.0, 0.0, None) / (7.0 * max(decay_weeks, 0.1)))
    # Once the wave has passed, some customers keep asking how the new interface works.
    residue = 0.05
    return np.where(days_since < 0, 0.0, ramp * (residue + (1 - residue) * decay))


def _arrivals(config: SimConfig, rng: np.random.Generator, t0: pd.Timestamp, days: int) -> dict:
    """Draw every ticket's arrival time, region, category, channel and priority."""
    hours = pd.date_range(t0, periods=days * 24, freq="h")
    hour_start_min = np.arange(days * 24, dtype=np.float64) * 60.0
    base = BASE_DAILY_TICKETS * config.scale
    parts = []
    for r, region in enumerate(REGIONS):
        local = hours.tz_convert(TIMEZONES[region])
        level, rentree = _annual_profiles(
            local.day_of_year.to_numpy(), local.month.to_numpy(), local.day.to_numpy()
        )
        years_in = hour_start_min / (365.25 * 1440)
        everyday = (
            base
            * REGION_SHARE[r]
            * HOUR_PROFILE[local.hour.to_numpy()]
            * WEEKDAY_PROFILE[local.day_of_week.to_numpy()]
            * level
            * (1 + TREND_PER_YEAR * years_in)
        )
        # Hourly expected counts per category, hours x categories.
        rates = everyday[:, None] * CATEGORY_SHARE[None, :]
        rates *= 1 + (rentree[:, None] - 1) * RENTREE_CATEGORIES[None, :]
        local_days = (local.tz_localize(None).normalize() - pd.Timestamp(config.start)).days
        for ev in config.events:
            if ev.kind == "interface rollout" and ev.region == region:
                since = (
                    local_days.to_numpy()
                    + local.hour.to_numpy() / 24
                    - (ev.start - config.start).days
                )
                wave = _rollout_curve(since, ev.decay_weeks)
                rates[:, NEW_INTERFACE] += everyday * (ev.peak_multiplier - 1) * wave
        counts = rng.poisson(rates)
        per_hour = counts.sum(axis=1)
        n = int(per_hour.sum())
        created = np.repeat(hour_start_min, per_hour) + rng.random(n) * 60.0
        category = np.repeat(np.tile(np.arange(len(CATEGORIES)), len(per_hour)), counts.ravel())
        channel = pick(rng, CHANNEL_MIX[category])
        parts.append((created, np.full(n, r), category, channel))

    created = np.concatenate([p[0] for p in parts])
    region = np.concatenate([p[1] for p in parts]).astype(np.int8)
    category = np.concatenate([p[2] for p in parts]).astype(np.int8)
    channel = np.concatenate([p[3] for p in parts]).astype(np.int8)

    keep = np.ones(len(created), dtype=bool)
    for ev in config.events:
        if ev.kind != "channel closed":
            continue
        lo = (ev.start - config.start).days * 1440.0
        hi = ((ev.end - config.start).days + 1) * 1440.0
        hit = (channel == CHAT) & (created >= lo) & (created < hi)
        if ev.region != "all":
            hit &= region == REGIONS.index(ev.region)
        diverted = rng.random(len(created)) < CHAT_DIVERTED_TO_FORM
        channel[hit & diverted] = CHANNELS.index("web_form")
        keep &= ~(hit & ~diverted)

    order = np.argsort(created[keep], kind="stable")
    out = {
        "created": created[keep][order],
        "region": region[keep][order],
        "category": category[keep][order],
        "channel": channel[keep][order],
    }
    urgent_boost = np.where(out["category"] == CATEGORIES.index("Account access"), 3.0, 1.0)
    mix = np.tile(PRIORITY_MIX, (len(order), 1))
    mix[:, 3] *= urgent_boost
    out["priority"] = pick(rng, mix / mix.sum(axis=1, keepdims=True)).astype(np.int8)
    return out


def pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one index per row of a probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return (u[:, None] >= cum).sum(axis=1).clip(0, probs.shape[1] - 1)


def draw_work(rng, category, channel, priority) -> dict:
    """Draw each ticket's own work: exchanges, handling times, customer delays, reopening."""
    n = len(category)
    extra = pick(rng, EXCHANGES[category])
    live = (channel >= CHAT) | (priority == PRIORITIES.index("urgent"))
    # A live session that ends the matter has no further exchange by email.
    in_session = live & (rng.random(n) < LIVE_SOLVED_IN_SESSION)
    extra = np.where(in_session, 0, np.maximum(extra, live.astype(np.int64)))
    handling = HANDLING_MEDIAN_MIN[category][:, None] * np.exp(
        rng.normal(0.0, HANDLING_SIGMA, (n, 5))
    )
    handling[:, 1:] *= FOLLOW_UP_EFFORT
    live_minutes = np.where(channel >= CHAT, LIVE_MINUTES[channel], HANDLING_MEDIAN_MIN[category])
    handling[:, 0] = np.where(live, live_minutes * np.exp(rng.normal(0, 0.4, n)), handling[:, 0])
    delays = np.minimum(
        CUSTOMER_DELAY_MEDIAN_MIN * np.exp(rng.normal(0.0, CUSTOMER_DELAY_SIGMA, (n, 4))),
        10 * 1440.0,
    )
    reopen_delay = REOPEN_DELAY_MEDIAN_MIN * np.exp(rng.normal(0.0, 0.8, n))
    return {
        "extra": extra.astype(np.int8),
        "live": live,
        "handling": handling,
        "delays": delays,
        "reopens": rng.random(n) < REOPEN_SHARE,
        "reopen_delay": reopen_delay,
    }


# --- agents ---------------------------------------------------------------------------------


def _agent_windows(config, region, rng, t0, days) -> tuple[dict, list[str]]:
    """Return each pool's agent working windows (UTC minutes) and the agents' names.

    Windows are ``{"live"|"queue": [(agent, starts, ends), ...]}``; an agent
    moved between pools on some days (chat closed) appears in both, on
    disjoint days.
    """
    staff = config.staffing[region]
    n_agents, live = staff.agents + staff.hires + staff.rentree_temps, staff.live_desk
    dates = pd.date_range(pd.Timestamp(config.start) - pd.Timedelta(days=1), periods=days + 2)
    d = len(dates)
    weekday = dates.day_of_week.to_numpy()
    weekend = weekday >= 5
    month, dom = dates.month.to_numpy(), dates.day.to_numpy()
    day_index = np.asarray((dates - pd.Timestamp(config.start)).days)

    # Leave: summer holidays and Christmas, otherwise the odd sick day.
    absent_p = np.where(np.isin(month, (7, 8)), 0.22, 0.04)
    absent_p = np.where(((month == 12) & (dom >= 22)) | ((month == 1) & (dom <= 2)), 0.4, absent_p)
    absent_p = 1 - (1 - absent_p) * staff.availability
    absent = rng.random((d, n_agents)) < absent_p[:, None]

    # Hiring keeps pace with the volume trend: newcomers join at evenly spaced dates.
    joins = np.zeros(n_agents)
    first_temp = n_agents - staff.rentree_temps
    if staff.hires:
        joins[first_temp - staff.hires : first_temp] = np.linspace(0, days, staff.hires + 2)[1:-1]
    present = day_index[:, None] >= joins[None, :]
    present[:, first_temp:] = False
    weekend_heads = staff.weekend_share * present.sum(axis=1)
    chat_closed = np.zeros(d, dtype=bool)
    for ev in config.events:
        if ev.region not in ("all", region):
            continue
        on = (day_index >= (ev.start - config.start).days) & (
            day_index <= (ev.end - config.start).days
        )
        if ev.kind == "staffing change":
            weekend_heads = np.where(on, weekend_heads * ev.peak_multiplier, weekend_heads)
        elif ev.kind == "channel closed":
            chat_closed |= on
    weekend_heads = np.maximum(1, np.round(weekend_heads)).astype(int)
    # Who works a weekend day rotates at random among the permanent staff on board.
    rank = np.argsort(rng.random((d, n_agents)) + ~present, axis=1).argsort(axis=1)
    agent = np.arange(n_agents)[None, :]
    # Temps are planned for the rentrée every year; they never work weekends.
    rentree = ((month == 8) & (dom >= 25)) | (month == 9) | ((month == 10) & (dom <= 15))
    present[:, first_temp:] = (rentree & ~weekend)[:, None]
    works = np.where(weekend[:, None], rank < weekend_heads[:, None], ~absent) & present
    live_heads_weekend = np.maximum(1, np.round(weekend_heads * live / staff.agents)).astype(int)
    # With the chat closed only the phone needs the live desk: a third of it.
    live_heads_closed = max(1, round(live / 3))
    is_live = np.where(weekend[:, None], rank < live_heads_weekend[:, None], agent < live)
    closed_cut = np.where(weekend, np.minimum(live_heads_weekend, 1), live_heads_closed)
    is_live_closed = np.where(
        weekend[:, None], rank < closed_cut[:, None], agent < closed_cut[:, None]
    )
    is_live = np.where(chat_closed[:, None], is_live_closed, is_live)

    shift = np.array(WEEKDAY_SHIFTS)[np.arange(n_agents) % 3]
    begin_h = np.where(weekend[:, None], WEEKEND_SHIFT[0], shift[None, :, 0])
    end_h = np.where(weekend[:, None], WEEKEND_SHIFT[1], shift[None, :, 1])

    rows, cols = np.nonzero(works)
    tz = TIMEZONES[region]
    day_ns = dates.to_numpy()[rows]

    def to_minutes(hours_local: np.ndarray) -> np.ndarray:
        naive = pd.DatetimeIndex(day_ns + (hours_local * 3600).astype("timedelta64[s]"))
        utc = naive.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
        return ((utc - t0) / pd.Timedelta(minutes=1)).to_numpy()

    starts = to_minutes(begin_h[rows, cols])
    ends = to_minutes(end_h[rows, cols])
    pool = is_live[rows, cols]
    windows = {
        "live": agent_windows(cols[pool], starts[pool], ends[pool]),
        "queue": agent_windows(cols[~pool], starts[~pool], ends[~pool]),
    }
    names = [f"Agent {AGENT_CODES[region]}-{a + 1:02d}" for a in range(n_agents)]
    return windows, names


def agent_windows(agent: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list:
    """Return one pool's windows, ``[(agent, starts, ends), ...]`` by agent number.

    ``agent``, ``starts`` and ``ends`` list one working window each, in time
    order for each agent; the windows keep that order.
    """
    if len(agent) == 0:
        return []
    order = np.argsort(agent, kind="stable")
    ids, first = np.unique(agent[order], return_index=True)
    cuts = first[1:]
    return [
        (int(a), s.tolist(), e.tolist())
        for a, s, e in zip(
            ids, np.split(starts[order], cuts), np.split(ends[order], cuts), strict=True
        )
    ]


# --- the queue ------------------------------------------------------------------------------


class TicketState:
    """What happened to each ticket, filled in by the queue loop."""

    def __init__(self, n: int) -> None:
        nan = np.full(n, np.nan)
        self.first_reply = nan.copy()
        self.first_solved = nan.copy()
        self.solved = nan.copy()
        self.last_touch = nan.copy()
        self.waiting_since = nan.copy()
        self.pending_until = nan.copy()
        self.first_agent = np.full(n, -1, dtype=np.int64)
        self.last_agent = np.full(n, -1, dtype=np.int64)
        self.replies = np.zeros(n, dtype=np.int64)
        self.reopened = np.zeros(n, dtype=bool)
        # Per agent touch: ticket, ready, start, end, is-reopen.
        self.items: list[tuple[int, float, float, float, bool]] = []


class _Pool:
    """Agents of one pool and the moments they can next take a ticket."""

    def __init__(self, windows: list) -> None:
        self.agent = [a for a, _, _ in windows]
        self.starts = [s for _, s, _ in windows]
        self.ends = [e for _, _, e in windows]
        self.ptr = [0] * len(windows)
        self.heap = [(s[0], k) for k, s in enumerate(self.starts) if s]
        heapq.heapify(self.heap)

    def next_free(self, k: int, t: float) -> float:
        """Return the first moment at or after ``t`` when agent ``k`` is on shift (inf: never)."""
        ends, p = self.ends[k], self.ptr[k]
        while p < len(ends) and ends[p] <= t:
            p += 1
        self.ptr[k] = p
        if p == len(ends):
            return math.inf
        s = self.starts[k][p]
        return t if s <= t else s

    def take(self, ready: float) -> tuple[float, int]:
        """Return when the first agent can start a ticket ready at ``ready``, and who."""
        heap = self.heap
        while heap:
            key, k = heap[0]
            if key > ready:
                return key, k
            t = self.next_free(k, ready)
            if t == ready:
                return t, k
            if t == math.inf:
                heapq.heappop(heap)
            else:
                heapq.heapreplace(heap, (t, k))
        return math.inf, -1

    def release(self, k: int, at: float) -> None:
        heapq.heapreplace(self.heap, (self.next_free(k, at), k))


def serve_team(
    idx: np.ndarray,
    tk: dict,
    windows: dict,
    st: TicketState,
    end: float,
    budget: Budget | None = None,
) -> None:
    """Serve one team's tickets into ``st``: the live desk, then the FIFO queue with follow-ups.

    ``idx`` are the team's rows of the tickets ``tk`` (``created`` plus the
    columns of :func:`draw_work`); ``windows`` maps ``"live"`` and ``"queue"`` to
    the pools' :func:`agent_windows` in minutes since the start. ``budget`` is
    checked every :data:`CHECK_EVERY` tickets.
    """
    check = budget.check if budget is not None else (lambda: None)
    served = 0
    created = tk["created"]
    extra, handling, delays = tk["extra"], tk["handling"], tk["delays"]
    reopens, reopen_delay = tk["reopens"], tk["reopen_delay"]
    items = st.items
    queue: list[tuple[float, int, int]] = []

    def after_touch(i: int, stage: int, finish: float) -> None:
        # What the customer does next decides the ticket's next queue entry.
        st.last_touch[i] = finish
        if stage == 4:
            st.solved[i] = finish
            return
        if stage < extra[i]:
            ready = finish + delays[i, stage]
            if ready < end:
                heapq.heappush(queue, (ready, i, stage + 1))
            else:
                st.pending_until[i] = ready
            return
        st.first_solved[i] = finish
        st.solved[i] = finish
        if reopens[i]:
            ready = finish + reopen_delay[i]
            if ready < end:
                heapq.heappush(queue, (ready, i, 4))

    live_pool = _Pool(windows["live"])
    for i in idx[tk["live"][idx]].tolist():
        served += 1
        if served % CHECK_EVERY == 0:
            check()
        ready = created[i] + ROUTING_DELAY_MIN
        start, k = live_pool.take(ready)
        if start >= end:
            st.waiting_since[i] = created[i]
            continue
        finish = start + handling[i, 0]
        live_pool.release(k, finish)
        st.first_reply[i] = start
        st.first_agent[i] = st.last_agent[i] = live_pool.agent[k]
        st.replies[i] = 1
        items.append((i, created[i], start, finish, False))
        after_touch(i, 0, finish)

    queue.extend((created[i] + ROUTING_DELAY_MIN, i, 0) for i in idx[~tk["live"][idx]].tolist())
    heapq.heapify(queue)
    pool = _Pool(windows["queue"])
    span = EFFORT_MAX - EFFORT_MIN
    recent_wait, last_start = 0.0, 0.0
    while queue:
        ready, i, stage = heapq.heappop(queue)
        served += 1
        if served % CHECK_EVERY == 0:
            check()
        start, k = pool.take(ready)
        if start >= end:
            st.waiting_since[i] = ready
            continue
        weight = 1.0 - math.exp(-(start - last_start) / EFFORT_MEMORY_MIN)
        recent_wait += (start - ready - recent_wait) * max(weight, 1e-3)
        last_start = max(last_start, start)
        effort = EFFORT_MAX - span * min(1.0, recent_wait / EFFORT_FULL_WAIT_MIN)
        finish = start + handling[i, stage] * effort
        pool.release(k, finish)
        agent = pool.agent[k]
        if stage == 0:
            st.first_reply[i] = start
            st.first_agent[i] = agent
        st.last_agent[i] = agent
        st.replies[i] += 1
        if stage == 4:
            st.reopened[i] = True
        items.append((i, ready, start, finish, stage == 4))
        after_touch(i, stage, finish)


# --- output ---------------------------------------------------------------------------------


def _assemble(tk: dict, st: TicketState, end: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the per-ticket frame and the per-touch frame."""
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
    df["status"] = status

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
    df["updated"] = np.fmax(
        np.fmax(st.last_touch, df["created"].to_numpy()),
        np.where(st.pending_until < end, st.pending_until, np.nan),
    )
    return df, df_items.reset_index(drop=True)


def _to_utc(t0: pd.Timestamp, minutes: np.ndarray) -> pd.DatetimeIndex:
    seconds = np.round(np.asarray(minutes, dtype=np.float64) * 60.0)
    out = np.full(len(seconds), np.datetime64("NaT"), dtype="datetime64[s]")
    ok = ~np.isnan(seconds)
    out[ok] = np.datetime64(t0.tz_localize(None), "s") + seconds[ok].astype("timedelta64[s]")
    return pd.DatetimeIndex(out).tz_localize("UTC")


def _format_account_time(t0: pd.Timestamp, minutes: np.ndarray) -> np.ndarray:
    """Format times as Zendesk does: account time zone with its offset, '' when absent."""
    utc = _to_utc(t0, minutes)
    local = utc.tz_convert(ACCOUNT_TZ)
    naive = local.tz_localize(None)
    offset_min = ((naive - utc.tz_localize(None)) / pd.Timedelta(minutes=1)).to_numpy()
    text = np.datetime_as_string(naive.to_numpy().astype("datetime64[s]"), unit="s")
    text = np.char.replace(text, "T", " ")
    sign = np.where(offset_min < 0, "-", "+")
    off = np.abs(np.nan_to_num(offset_min)).astype(np.int64)
    suffix = np.char.add(
        np.char.add(" ", sign), np.char.zfill((off // 60 * 100 + off % 60).astype(str), 4)
    )
    out = np.char.add(text.astype(str), suffix)
    return np.where(np.isnan(np.asarray(minutes, dtype=float)), "", out).astype(object)


def _business_clock(t0: pd.Timestamp, minutes: np.ndarray, tz: str) -> np.ndarray:
    """Return business minutes (Mon-Fri 09:00-18:00 local) elapsed since a fixed epoch."""
    local = _to_utc(t0, minutes).tz_convert(tz).tz_localize(None).to_numpy()
    ok = ~np.isnat(local)
    out = np.full(len(local), np.nan)
    day = local[ok].astype("datetime64[D]")
    minute = (local[ok] - day).astype("timedelta64[s]").astype(np.float64) / 60.0
    full_days = np.busday_count(np.datetime64("2000-01-03"), day)
    open_day = np.is_busday(day)
    today = np.where(open_day, np.clip(minute, BUSINESS_START_MIN, BUSINESS_END_MIN), 0.0)
    today = np.where(open_day, today - BUSINESS_START_MIN, 0.0)
    out[ok] = full_days * (BUSINESS_END_MIN - BUSINESS_START_MIN) + today
    return out


def _int_column(values: np.ndarray) -> pd.Series:
    return pd.Series(np.round(values), dtype="Int64")


def zendesk_export(result: SimResult) -> pd.DataFrame:
    """Return the tickets as a Zendesk export frame, columns in export order.

    Minutes columns are integers (calendar minutes, and minutes within the
    team's business hours); absent values are nulls.
    """
    df, t0 = result.tickets, result.t0
    n = len(df)
    region = df["region"].to_numpy()
    created = df["created"].to_numpy()
    tzs = np.array([TIMEZONES[r] for r in REGIONS])[region]

    def business(minutes: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        out = np.full(len(minutes), np.nan)
        zones = tzs if rows is None else tzs[rows]
        for tz in TIMEZONES.values():
            sel = zones == tz
            if sel.any():
                out[sel] = _business_clock(t0, minutes[sel], tz)
        return out

    def both(later: np.ndarray) -> tuple[pd.Series, pd.Series]:
        cal = later - created
        # Wall-clock arithmetic gains an hour across a spring DST change; cap at calendar.
        bus = np.fmin(business(later) - business(created), cal)
        return _int_column(cal), _int_column(bus)

    items = result.touches
    pending = items[items["prev_finish"].notna() & ~items["reopen"]]
    rows = items["ticket"].to_numpy()
    req_cal = np.bincount(rows, items["finish"] - items["ready"], minlength=n)
    req_bus = np.bincount(
        rows,
        business(items["finish"].to_numpy(), rows) - business(items["ready"].to_numpy(), rows),
        minlength=n,
    )
    prow = pending["ticket"].to_numpy()
    ag_cal = np.bincount(prow, pending["ready"] - pending["prev_finish"], minlength=n)
    ag_bus = np.bincount(
        prow,
        business(pending["ready"].to_numpy(), prow)
        - business(pending["prev_finish"].to_numpy(), prow),
        minlength=n,
    )

    customer = _customer_ids(result.config.seed, n, region)
    categories = np.array(CATEGORIES, dtype=object)[df["category"].to_numpy()]
    regions = np.array(REGIONS, dtype=object)[region]
    channel = np.array(CHANNELS, dtype=object)[df["channel"].to_numpy()]
    subject_pick = np.minimum((df["created"].to_numpy() * 7919).astype(np.int64) % 3, 2)
    subjects = np.array([SUBJECTS[c][0] for c in CATEGORIES] + [SUBJECTS[c][1] for c in CATEGORIES]
                        + [SUBJECTS[c][2] for c in CATEGORIES], dtype=object)  # fmt: skip
    subject = subjects[subject_pick * len(CATEGORIES) + df["category"].to_numpy()]
    names = np.array(
        [name for r in REGIONS for name in result.agent_names.get(r, [])] + [""], dtype=object
    )
    offsets = np.cumsum([0] + [len(result.agent_names.get(r, [])) for r in REGIONS])[region]
    last_agent = df["last_agent"].to_numpy()
    assignee = np.where(
        last_agent >= 0, names[np.where(last_agent >= 0, offsets + last_agent, -1)], ""
    )
    first_cal, first_bus = both(df["first_reply"].to_numpy())
    fres_cal, fres_bus = both(df["first_solved"].to_numpy())
    full_cal, full_bus = both(df["solved"].to_numpy())
    solved_at = df["solved"].to_numpy()
    tag = pd.Series(categories).str.lower().str.replace(" ", "_")
    tags = tag + " " + pd.Series(regions).str.lower().str.replace(" ", "_") + " " + channel
    sat = _satisfaction(result.config.seed, df)
    customer_text = pd.Series(customer.astype(str))
    assigned_at = df["first_reply"].where(df["last_agent"] >= 0)
    out = {
        "Id": pd.Series(np.arange(1, n + 1) + 10000),
        "Requester": "Customer " + customer_text,
        "Requester id": pd.Series(customer + 360_000_000_000),
        "Requester email": "customer" + customer_text + "@example.com",
        "Submitter": "Customer " + customer_text,
        "Assignee": pd.Series(assignee, dtype=object).replace("", None),
        "Group": pd.Series(np.array([TEAMS[r] for r in REGIONS], dtype=object)[region]),
        "Subject": pd.Series(subject),
        "Tags": tags,
        "Status": df["status"],
        "Priority": pd.Series(np.array(PRIORITIES, dtype=object)[df["priority"].to_numpy()]),
        "Via": pd.Series(channel),
        "Ticket type": pd.Series(np.array(TICKET_TYPE, dtype=object)[df["category"].to_numpy()]),
        "Created at": _format_account_time(t0, created),
        "Updated at": _format_account_time(t0, df["updated"].to_numpy()),
        "Assigned at": _format_account_time(t0, assigned_at.to_numpy()),
        "Organization": None,
        "Due date": None,
        "Initially assigned at": _format_account_time(t0, assigned_at.to_numpy()),
        "Solved at": _format_account_time(t0, solved_at),
        "Resolution time": _int_column((solved_at - created) / 60.0),
        "Satisfaction Score": sat,
        "Group stations": pd.Series(np.ones(n, dtype=np.int64)),
        "Assignee stations": pd.Series(
            np.where(last_agent < 0, 0, 1 + (df["first_agent"] != last_agent)).astype(np.int64)
        ),
        "Reopens": pd.Series(df["reopened"].to_numpy().astype(np.int64)),
        "Replies": df["replies"],
        "First reply time in minutes": first_cal,
        "First reply time in minutes within business hours": first_bus,
        "First resolution time in minutes": fres_cal,
        "First resolution time in minutes within business hours": fres_bus,
        "Full resolution time in minutes": full_cal,
        "Full resolution time in minutes within business hours": full_bus,
        "Agent wait time in minutes": _int_column(ag_cal),
        "Agent wait time in minutes within business hours": _int_column(ag_bus),
        "Requester wait time in minutes": _int_column(req_cal),
        "Requester wait time in minutes within business hours": _int_column(req_bus),
        "On hold time in minutes": pd.Series(np.zeros(n, dtype=np.int64)),
        "On hold time in minutes within business hours": pd.Series(np.zeros(n, dtype=np.int64)),
        "Region [list]": pd.Series(regions),
        "Category [list]": pd.Series(categories),
    }
    frame = pd.DataFrame({c: out[c] for c in ZENDESK_COLUMNS})
    for col in ("Created at", "Updated at", "Assigned at", "Initially assigned at", "Solved at"):
        frame[col] = frame[col].replace("", None)
    return frame


def _customer_ids(seed: int, n: int, region: np.ndarray) -> np.ndarray:
    """Return fake requester ids; a few customers write often, most once or twice."""
    rng = np.random.default_rng([seed, 1])
    return (region.astype(np.int64) * 1_000_000 + rng.zipf(1.6, n) % 400_000).astype(np.int64)


def _satisfaction(seed: int, df: pd.DataFrame) -> pd.Series:
    """Return Zendesk satisfaction scores; slow first replies make bad ratings likelier."""
    rng = np.random.default_rng([seed, 2])
    n = len(df)
    solved = df["status"].isin(["solved", "closed"]).to_numpy()
    wait_h = np.nan_to_num((df["first_reply"] - df["created"]).to_numpy() / 60.0)
    answered = rng.random(n) < 0.35
    bad = rng.random(n) < np.clip(0.06 + 0.6 * (1 - np.exp(-wait_h / 48.0)), 0, 0.8)
    score = np.where(answered, np.where(bad, "Bad", "Good"), "Offered")
    return pd.Series(np.where(solved, score, "Not Offered"), dtype=object)


def _event_row(e: Event) -> dict:
    return {
        "name": e.name,
        "kind": e.kind,
        "region": e.region,
        "start": e.start.isoformat(),
        "end": e.end.isoformat(),
        "peak_multiplier": e.peak_multiplier,
        "decay_weeks": e.decay_weeks,
        "notes": e.notes,
    }
