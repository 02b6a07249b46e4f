"""Business hours as a calendar table that SQL can measure durations against.

For each schedule the calendar lists its business intervals as UTC instants,
each with the business seconds that came before it. The business time up to
an instant t is then found with one ASOF join: the last interval starting at
or before t, plus the part of it already elapsed. A duration in business
hours is the difference of two such values, so no query walks day by day.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
import pyarrow as pa

from analytics.settings import Schedule

CALENDAR_SCHEMA = pa.schema(
    [
        ("schedule", pa.string()),
        ("starts", pa.timestamp("us", tz="UTC")),
        ("ends", pa.timestamp("us", tz="UTC")),
        ("cum_before", pa.int64()),
    ]
)


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    # Aware arithmetic on a ZoneInfo datetime is wall-clock arithmetic, so
    # 09:00 stays 09:00 across a DST change, and minute 1440 is next midnight.
    return datetime.combine(day, time(0), tzinfo=zone) + timedelta(minutes=minute)


@functools.lru_cache(maxsize=32)
def _schedule_intervals(schedule: Schedule, first: date, last: date) -> tuple[list, list]:
    zone = ZoneInfo(schedule.tz)
    years = list(range(first.year, last.year + 1))
    closed = (
        set(holiday_calendars.country_holidays(schedule.holidays, years=years))
        if schedule.holidays
        else set()
    )
    starts, ends = [], []
    day = first
    while day <= last:
        if day not in closed:
            for start, end in schedule.week[day.weekday()]:
                starts.append(_local(day, start, zone).astimezone(UTC))
                ends.append(_local(day, end, zone).astimezone(UTC))
        day += timedelta(days=1)
    return starts, ends


def calendar_table(schedules: Mapping[str, Schedule], first: date, last: date) -> pa.Table:
    """Return the business intervals of every schedule between two dates (inclusive).

    Columns: ``schedule``, ``starts``, ``ends`` (UTC) and ``cum_before``, the
    business seconds of that schedule from ``first`` up to ``starts``.
    """
    names, starts_all, ends_all, cum_all = [], [], [], []
    for name, schedule in schedules.items():
        starts, ends = _schedule_intervals(schedule, first, last)
        total = 0
        for start, end in zip(starts, ends, strict=True):
            names.append(name)
            starts_all.append(start)
            ends_all.append(end)
            cum_all.append(total)
            total += int((end - start).total_seconds())
    return pa.Table.from_arrays(
        [
            pa.array(names, pa.string()),
            pa.array(starts_all, pa.timestamp("us", tz="UTC")),
            pa.array(ends_all, pa.timestamp("us", tz="UTC")),
            pa.array(cum_all, pa.int64()),
        ],
        schema=CALENDAR_SCHEMA,
    )


def team_schedule_table(team_schedules: Mapping[str, str]) -> pa.Table:
    """Return the team -> schedule mapping as a two-column Arrow table."""
    return pa.table(
        {
            "team": pa.array(list(team_schedules), pa.string()),
            "schedule": pa.array(list(team_schedules.values()), pa.string()),
        }
    )


def business_seconds(schedule: Schedule, start: datetime, end: datetime) -> int:
    """Return the business seconds between two instants, walking the calendar in Python.

    The slow, obvious definition; tests hold the SQL path to it.
    """
    if end <= start:
        return -business_seconds(schedule, end, start) if end < start else 0
    starts, ends = _schedule_intervals(
        schedule, (start - timedelta(days=2)).date(), (end + timedelta(days=2)).date()
    )
    total = 0.0
    for s, e in zip(starts, ends, strict=True):
        overlap = (min(e, end) - max(s, start)).total_seconds()
        if overlap > 0:
            total += overlap
    return int(total)
