"""ISO weeks, local to a time zone: parse them, find the last complete one, list those
with tickets, select one with the filters of a report.

Example
-------
>>> parse_week("2026-W01")
datetime.date(2025, 12, 29)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from analytics import metrics
from analytics.i18n import N_
from analytics.report.errors import ReportError
from analytics.settings import Settings

WEEKS_OF_TREND = 12
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(text: str) -> date:
    """Return the Monday of ISO week ``text`` (``"2026-W47"``).

    >>> parse_week("2026-W01")
    datetime.date(2025, 12, 29)
    """
    match = WEEK.match(text.strip())
    if not match:
        raise ReportError(N_("a week is written like 2026-W47, not {text}"), text=repr(text))
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        raise ReportError(f"{text} is not an ISO week ({exc})") from exc


def iso_week(day: date) -> str:
    """Return the ISO week holding ``day``, as ``"2026-W47"``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def same_week_last_year(monday: date) -> date:
    """Return the Monday of the same ISO week number a year earlier (week 52 for a week 53)."""
    year, week, _ = monday.isocalendar()
    try:
        return date.fromisocalendar(year - 1, week, 1)
    except ValueError:
        return date.fromisocalendar(year - 1, 52, 1)


def last_complete_week(as_of: datetime, tz: str) -> str:
    """Return the last ISO week that ended before ``as_of`` (local weeks of ``tz``)."""
    local = as_of.astimezone(ZoneInfo(tz)).date()
    return iso_week(local - timedelta(days=local.weekday() + 7))


@dataclass(frozen=True)
class Filters:
    """The tickets a report covers, as the sidebar's filters: an empty tuple means all.

    ``business_hours`` measures durations in the teams' business hours.
    """

    regions: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    business_hours: bool = False

    @classmethod
    def of(cls, selection: metrics.Selection) -> Filters:
        """Return the filters of ``selection`` (its period and zone play no part)."""
        return cls(**{f.name: getattr(selection, f.name) for f in fields(cls)})

    def chosen(self) -> dict[str, tuple[str, ...]]:
        """Return the dimensions that narrow the tickets (``"teams": ("Billing",)``), in order."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "business_hours" and getattr(self, f.name)
        }


NO_FILTERS = Filters()


def report_weeks(span: metrics.SourceSpan, tz: str) -> list[str]:
    """Return the complete weeks of a source, newest first (empty for an empty source)."""
    if span.first_created_at is None or span.as_of is None:
        return []
    first = span.first_created_at.astimezone(ZoneInfo(tz)).date()
    monday = parse_week(last_complete_week(span.as_of, tz))
    out = []
    while monday + timedelta(days=6) >= first:
        out.append(iso_week(monday))
        monday -= timedelta(days=7)
    return out


def weeks_with_tickets(
    con: duckdb.DuckDBPyConnection,
    source: str,
    tz: str,
    filters: Filters = NO_FILTERS,
    settings: Settings | None = None,
) -> list[str]:
    """Return the complete ISO weeks (local to ``tz``) in which tickets of ``source`` and
    ``filters`` were created or resolved, newest first: the weeks a report can be made of.

    One pass over the tickets (``sql/report_weeks.sql``); a week in which no
    ticket of the selection moved is left out.
    """
    span = metrics.current_span(con, source)
    if span.first_created_at is None or span.as_of is None:
        return []
    end_monday = parse_week(last_complete_week(span.as_of, tz)) + timedelta(days=7)
    start, end = metrics.period(
        span.first_created_at.astimezone(ZoneInfo(tz)).date(), end_monday - timedelta(days=1), tz
    )
    if end <= start:
        return []
    # Which weeks hold tickets does not depend on the clock: calendar hours are cheaper.
    sel = week_selection(source, end_monday, tz, filters=replace(filters, business_hours=False))
    found = metrics.query(con, "report_weeks", replace(sel, start=start, end=end), settings)
    return [iso_week(pd.Timestamp(monday).date()) for monday in found["monday"]]


def week_selection(
    source: str, monday: date, tz: str, region: str | None = None, filters: Filters = NO_FILTERS
) -> metrics.Selection:
    """Return the selection of one local ISO week (Monday to Sunday) with ``filters``.

    ``region`` (one region, as the command line and the jobs name it) adds to
    ``filters.regions``.
    """
    start, end = metrics.period(monday, monday + timedelta(days=6), tz)
    regions = tuple(dict.fromkeys((*filters.regions, *((region,) if region else ()))))
    return metrics.Selection(
        source,
        start,
        end,
        tz,
        regions=regions,
        teams=filters.teams,
        channels=filters.channels,
        categories=filters.categories,
        priorities=filters.priorities,
        business_hours=filters.business_hours,
    )
