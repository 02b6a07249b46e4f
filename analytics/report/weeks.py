"""ISO weeks, local to a time zone: parse them, find the last complete one, select one.

Example
-------
>>> parse_week("2026-W01")
datetime.date(2025, 12, 29)
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from analytics import metrics
from analytics.report.errors import ReportError

WEEKS_OF_TREND = 12
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(text: str) -> date:
    """Return the Monday of ISO week ``text`` (``"2026-W47"``).

    >>> parse_week("2026-W01")
    datetime.date(2025, 12, 29)
    """
    match = WEEK.match(text.strip())
    if not match:
        raise ReportError(f"a week is written like 2026-W47, not {text!r}")
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


def week_selection(
    source: str, monday: date, tz: str, region: str | None = None
) -> metrics.Selection:
    """Return the selection of one local ISO week (Monday to Sunday), optionally one region."""
    start, end = metrics.period(monday, monday + timedelta(days=6), tz)
    return metrics.Selection(source, start, end, tz, regions=(region,) if region else ())
