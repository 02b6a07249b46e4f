"""What a metric is asked about: a source, a period, filters and a clock (the sidebar's selection)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from analytics import replica, store

DIMENSIONS = ("region", "team", "channel", "category", "priority")
GRAINS = ("hour", "day", "week")


@dataclass(frozen=True)
class Selection:
    """What the sidebar selects: one source, a period and optional filters.

    ``start`` and ``end`` are instants (end exclusive); :func:`period` builds
    them from local dates. Empty filter tuples mean "all".
    """

    source: str
    start: datetime
    end: datetime
    tz: str = "UTC"
    regions: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    business_hours: bool = False

    def previous(self) -> Selection:
        """Return the same selection over the equal period just before this one."""
        length = self.end - self.start
        return replace(self, start=self.start - length, end=self.start)


def period(first_day: date, last_day: date, tz: str) -> tuple[datetime, datetime]:
    """Return the instants bounding local days ``first_day``..``last_day`` (inclusive) in ``tz``.

    DST-correct: a day is midnight to midnight of the zone, 23 to 25 hours long.
    """
    zone = ZoneInfo(tz)
    start = datetime.combine(first_day, time(0), tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


@dataclass(frozen=True)
class SourceSpan:
    """First creation and last event of a source (None for an empty source)."""

    first_created_at: datetime | None
    as_of: datetime | None


def source_span(con: duckdb.DuckDBPyConnection, source: str) -> SourceSpan:
    """Return the span of ``source``; ``as_of`` is its latest recorded event.

    Read from the process's copy of the tickets once per store snapshot
    (:func:`analytics.replica.remembered`), as every page asks for it.
    """
    return replica.remembered(con, ("source_span", source), lambda: _source_span(con, source))


def _source_span(con: duckdb.DuckDBPyConnection, source: str) -> SourceSpan:
    with store.cursor(con) as cur:
        replica.use(cur)
        row = cur.execute(store.load_sql("source_span"), {"source": source}).fetchone()
    return SourceSpan(*row)


def filter_values(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, list[str]]:
    """Return the distinct values of each filterable dimension of ``source``.

    Read from the process's copy of the tickets once per store snapshot, as
    every page's sidebar asks for them.
    """
    found = replica.remembered(con, ("filter_values", source), lambda: _filter_values(con, source))
    return {dimension: list(values) for dimension, values in found.items()}


def _filter_values(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, tuple[str, ...]]:
    with store.cursor(con) as cur:
        replica.use(cur)
        rows = cur.execute(store.load_sql("filter_values"), {"source": source}).fetchall()
    values: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    for dimension, value in rows:
        values[dimension].append(value)
    return {dimension: tuple(found) for dimension, found in values.items()}


# A week holding less than this share of a busy week is thin (dense_span).
DENSE_SHARE = 0.1


def last_complete_day(as_of: datetime, tz: str) -> date:
    """Return the last local day in ``tz`` that the data covers whole.

    The export was taken at ``as_of`` (the source's last event): its own day
    counts only when that event falls in the day's last hour, so "last 7
    days" does not end on a partial, nearly empty day.
    """
    local = as_of.astimezone(ZoneInfo(tz))
    return local.date() if local.hour == 23 else local.date() - timedelta(days=1)


def dense_span(con: duckdb.DuckDBPyConnection, source: str, tz: str) -> tuple[date, date] | None:
    """Return the first and last local day of ``source``'s dense weeks, or None when it is empty.

    A week is dense when its created tickets reach :data:`DENSE_SHARE` of a
    busy week (the 90th percentile of the source's weeks): a log whose last
    months hold a trickle has its dense span end where the work was.
    """
    return replica.remembered(con, ("dense_span", source, tz), lambda: _dense_span(con, source, tz))


def _dense_span(con: duckdb.DuckDBPyConnection, source: str, tz: str) -> tuple[date, date] | None:
    params = {"source": source, "tz": tz, "share": DENSE_SHARE}
    with store.cursor(con) as cur:
        replica.use(cur)
        row = cur.execute(store.load_sql("dense_span"), params).fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])
