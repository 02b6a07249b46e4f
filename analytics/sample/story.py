"""The sample's story: the teams' head count, the events that happen to the desk,
and the bounds every input is checked against.

The default story follows ``docs/simulator.md``: a new interface rolled out
region by region, landing in Europe during the September peak of the second
year, a live chat closed for ten days, weekend staff reinforced. A
:class:`SimConfig` holds a run's parameters; :func:`analytics.sample.simulate`
runs it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics.sample.desk import CHRISTMAS_LEVEL, REGIONS, TREND_PER_YEAR

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

# Bounds no real desk reaches: they keep a run to seconds and its memory small.
MAX_AGENTS = 10_000
MAX_YEARS = 10.0
MAX_SCALE = 100.0
MAX_MULTIPLIER = 10.0
MAX_DECAY_WEEKS = 104.0
EVENT_KINDS = ("interface rollout", "channel closed", "staffing change")


class SimInputError(ValueError):
    """A simulation input is outside what a real desk needs; the message names it."""


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


def events_frame(events: tuple[Event, ...]) -> pd.DataFrame:
    """Return ``events`` as rows of :data:`EVENT_COLUMNS`, dates in ISO format."""
    return pd.DataFrame([_event_row(e) for e in events], columns=list(EVENT_COLUMNS))


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
