"""The managers' metrics: one function per question, each one SQL query.

Definitions live in ``docs/metrics.md`` and the SQL in ``analytics/sql``;
this module binds a :class:`Selection` (the sidebar's filters) to the
queries and returns small frames or dataclasses. Every query starts from the
``selected_tickets`` table macro, defined per cursor in its calendar-hours or
business-hours variant, so the filters and the duration clock are written
once.
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from analytics import business_hours, store
from analytics.settings import Settings, load_settings

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
    """Return the span of ``source``; ``as_of`` is its latest recorded event."""
    with con.cursor() as cur:
        row = cur.execute(store.load_sql("source_span"), {"source": source}).fetchone()
    return SourceSpan(*row)


# Per connection (weakly held, so a closed store's entries go with it):
# (source, data version) -> span.
_SPANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _current_span(con: duckdb.DuckDBPyConnection, source: str) -> SourceSpan:
    # Every query needs the span, which changes only with the data: reading
    # the data version is a one-row lookup, the span a scan of the source.
    # Both on this thread's cursor: ``con`` may serve several sessions at once.
    cur = _calendar_cursor(con)
    key = (source, store.data_version(cur))
    spans = _SPANS.setdefault(con, {})
    if key not in spans:
        if len(spans) > 64:
            spans.clear()
        spans[key] = source_span(cur, source)
    return spans[key]


def filter_values(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, list[str]]:
    """Return the distinct values of each filterable dimension of ``source``."""
    with con.cursor() as cur:
        rows = cur.execute(store.load_sql("filter_values"), {"source": source}).fetchall()
    values: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    for dimension, value in rows:
        values[dimension].append(value)
    return values


@functools.lru_cache(maxsize=8)
def _calendar(schedules: tuple, first: date, last: date):
    return business_hours.calendar_table(dict(schedules), first, last)


# Defined after the clock's selected_tickets macro, whichever clock it is.
_SHARED_MACROS = ("ticket_state_macros", "backlog_levels_macro")

# Per thread: connection (weakly held) -> a cursor with the calendar-hours
# macros defined. Opening a cursor and defining its macros costs about 3 ms,
# as much as a small query over 90 days; a page runs several queries per run
# on the same thread. Cursors are not thread-safe, hence one per thread; a
# thread's cursors close when it ends.
_THREAD = threading.local()


def _calendar_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    cursors = getattr(_THREAD, "cursors", None)
    if cursors is None:
        cursors = _THREAD.cursors = weakref.WeakKeyDictionary()
    cur = cursors.get(con)
    if cur is None:
        cur = con.cursor()
        cur.execute("set TimeZone = 'UTC'")
        for name in ("selected_tickets_calendar", *_SHARED_MACROS):
            cur.execute(store.load_sql(name))
        cursors[con] = cur
    return cur


@contextlib.contextmanager
def _cursor(
    con: duckdb.DuckDBPyConnection, selection: Selection, settings: Settings, span: SourceSpan
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a cursor with the macros the metric queries use, for ``selection``'s clock."""
    if not selection.business_hours:
        yield _calendar_cursor(con)
        return
    # Business hours: the calendar table depends on the span, so a fresh cursor.
    with con.cursor() as cur:
        cur.execute("set TimeZone = 'UTC'")
        cur.register("_team_schedules", business_hours.team_schedule_table(settings.team_schedules))
        first = (span.first_created_at or selection.start).date() - timedelta(days=2)
        last = max(span.as_of or selection.end, selection.end).date() + timedelta(days=2)
        cur.register("_calendar", _calendar(tuple(settings.schedules.items()), first, last))
        for name in ("selected_tickets_business", *_SHARED_MACROS):
            cur.execute(store.load_sql(name))
        yield cur


@functools.lru_cache(maxsize=64)
def _zone_step_us(tz: str, first: date, last: date) -> int:
    """Return the step on which ``tz``'s local hours start between two dates, in microseconds.

    An hour, unless the zone uses an offset that is not whole hours there
    (Asia/Kolkata, Australia/Adelaide...): then a quarter hour. Queries sum
    events per step before converting the few step keys to local time,
    which is much cheaper than converting every timestamp.
    """
    zone = ZoneInfo(tz)
    day = first
    while day <= last:
        offset = datetime.combine(day, time(12), tzinfo=zone).utcoffset()
        if offset is None or offset.total_seconds() % 3600:
            return 900_000_000
        day += timedelta(days=1)
    return 3_600_000_000


# The zone's offset is sampled this often, then each change found to the
# second: since 1970 no zone in tzdata has kept an offset for less than a week.
_ZONE_SAMPLE = timedelta(days=1)


@functools.lru_cache(maxsize=64)
def zone_changes(
    tz: str, start: datetime, end: datetime
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Return when ``tz``'s UTC offset changes in [start, end), and its offsets, in microseconds.

    ``(changes, offsets)``: the instants since the epoch at which the offset
    changes, in order, and the offsets, one more than the changes: the one at
    ``start``, then the one from each change on.
    """
    zone = ZoneInfo(tz)

    def offset_us(second: int) -> int:
        offset = datetime.fromtimestamp(second, zone).utcoffset() or timedelta(0)
        return offset // timedelta(microseconds=1)

    # the seconds from start's to the last one before end
    first, last = int(start.timestamp()), math.ceil(end.timestamp()) - 1
    step = int(_ZONE_SAMPLE.total_seconds())
    offsets, changes = [offset_us(first)], []
    before = first
    while before < last:
        after = min(before + step, last)
        if offset_us(after) != offsets[-1]:
            # the first second with the new offset
            lo, hi = before, after
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset_us(mid) == offsets[-1] else (lo, mid)
            changes.append(hi * 1_000_000)
            offsets.append(offset_us(hi))
            before = hi
        else:
            before = after
    return tuple(changes), tuple(offsets)


def zone_offset_macro(changes: int) -> str:
    """Return SQL defining ``zone_offset_us(us, changes, offsets)`` for lists of ``changes`` changes.

    The offset at instant ``us``, given :func:`zone_changes`' lists: a CASE
    over the changes, latest first. DuckDB has no cheap per-row search of a
    list, and joining every ticket to its local hour took a fifth of the
    trend's time; the CASE is three times cheaper. Only the number of arms
    comes from here; the instants and offsets stay bound parameters.
    """
    arms = "".join(
        f"    when us >= changes[{i}] then offsets[{i + 1}]\n" for i in range(changes, 0, -1)
    )
    body = f"case\n{arms}    else offsets[1]\nend" if changes else "offsets[1]"
    return f"create or replace temp macro zone_offset_us(us, changes, offsets) as\n{body}"


def _params(selection: Selection, settings: Settings, span: SourceSpan) -> dict:
    priorities = list(settings.sla_by_priority)
    changes, offsets = zone_changes(selection.tz, selection.start, selection.end)
    first = min(selection.start, span.first_created_at or selection.start).date()
    last = max(selection.end, span.as_of or selection.end).date()
    return {
        "source": selection.source,
        "regions": list(selection.regions),
        "teams": list(selection.teams),
        "channels": list(selection.channels),
        "categories": list(selection.categories),
        "priorities": list(selection.priorities),
        "as_of": span.as_of or selection.end,
        "start": selection.start,
        "end": selection.end,
        "tz": selection.tz,
        "zone_step_us": _zone_step_us(
            selection.tz, first - timedelta(days=2), last + timedelta(days=2)
        ),
        "zone_changes": list(changes),
        "zone_offsets": list(offsets),
        "sla_default_s": settings.sla_target_hours * 3600,
        "sla_priorities": priorities,
        "sla_targets": [settings.sla_by_priority[p] * 3600 for p in priorities],
    }


def query(
    con: duckdb.DuckDBPyConnection,
    name: str,
    selection: Selection,
    settings: Settings | None = None,
    **extra,
) -> pd.DataFrame:
    """Run ``sql/<name>.sql`` for ``selection``; return its (small, aggregated) result.

    Only the parameters the query names are bound, so every query file can
    use any subset of the selection's parameters plus ``extra``.
    """
    settings = settings or load_settings()
    span = _current_span(con, selection.source)
    return _run(
        con, selection, settings, span, name, {**_params(selection, settings, span), **extra}
    )


# query file name -> its statement, parsed once per process: parsing with
# DuckDB 2.0's PEG parser costs 0.5-1.7 ms a query, a tenth of a small one.
_STATEMENTS: dict[str, duckdb.Statement] = {}


def _statement(cur: duckdb.DuckDBPyConnection, name: str) -> duckdb.Statement:
    """Return ``sql/<name>.sql`` parsed; a statement is only a syntax tree, so any cursor runs it."""
    statement = _STATEMENTS.get(name)
    if statement is None:
        (statement,) = cur.extract_statements(store.load_sql(name))
        _STATEMENTS[name] = statement
    return statement


def _run(con, selection, settings, span, name: str, params: dict, then=None) -> Any:
    with _cursor(con, selection, settings, span) as cur:
        statement = _statement(cur, name)
        names = statement.named_parameters
        if "zone_changes" in names:
            _define_zone_offset(cur, len(params["zone_changes"]))
        used = {k: v for k, v in params.items() if k in names}
        frame = cur.execute(statement, used).df()
    return frame if then is None else then(frame)


def _define_zone_offset(cur: duckdb.DuckDBPyConnection, changes: int) -> None:
    """Define ``zone_offset_us`` on ``cur`` for ``changes`` changes, unless it already is."""
    defined = getattr(_THREAD, "zone_offset_arms", None)
    if defined is None:
        defined = _THREAD.zone_offset_arms = weakref.WeakKeyDictionary()
    if defined.get(cur) != changes:
        cur.execute(zone_offset_macro(changes))
        defined[cur] = changes


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="backlog-radar-metrics")


def queries(
    con: duckdb.DuckDBPyConnection,
    selection: Selection,
    parts: dict[str, tuple[str, dict]],
    settings: Settings | None = None,
    then: dict[str, Callable[[pd.DataFrame], Any]] | None = None,
) -> dict[str, Any]:
    """Run several query files for ``selection`` at once; return part -> result.

    ``parts`` maps a name to ``(query file, extra parameters)``; each result
    equals :func:`query` of that file. The parts run two at a time, each on
    its thread's own cursor: over 90 days a query spends much of its time
    planning and in single-threaded steps, so a page's queries side by side
    finish about 1.5x sooner than one after another (and than one statement
    holding them all, measured too). ``then`` maps a part to a function of
    its frame, called on the same thread as soon as the query ends, while
    the others still run; the part's result is then what it returns.
    """
    settings = settings or load_settings()
    span = _current_span(con, selection.source)
    shared = _params(selection, settings, span)
    then = then or {}
    futures = {
        part: _pool().submit(
            _run, con, selection, settings, span, name, {**shared, **extra}, then.get(part)
        )
        for part, (name, extra) in parts.items()
    }
    return {part: future.result() for part, future in futures.items()}


def _check(what: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")


@dataclass(frozen=True)
class OverviewFigures:
    """The overview cards for one period (hours are calendar or business per selection)."""

    created: int
    resolved: int
    frt_median_h: float | None
    frt_p90_h: float | None
    resolution_median_h: float | None
    sla_pct: float | None
    sla_evaluated: int
    backlog_open: int
    backlog_awaiting_first_response: int

    def to_dict(self) -> dict:
        """Return the figures as plain JSON-ready data."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _none_if_nan(value):
    return None if value is None or pd.isna(value) else value


def _figures(row: pd.Series) -> OverviewFigures:
    return OverviewFigures(
        created=int(row["created"]),
        resolved=int(row["resolved"]),
        frt_median_h=_none_if_nan(row["frt_median_h"]),
        frt_p90_h=_none_if_nan(row["frt_p90_h"]),
        resolution_median_h=_none_if_nan(row["resolution_median_h"]),
        sla_pct=_none_if_nan(row["sla_pct"]),
        sla_evaluated=int(row["sla_evaluated"]),
        backlog_open=int(row["backlog_open"]),
        backlog_awaiting_first_response=int(row["backlog_awaiting_first_response"]),
    )


def overview(
    con: duckdb.DuckDBPyConnection, selection: Selection, settings: Settings | None = None
) -> OverviewFigures:
    """Return the overview figures of ``selection``'s period."""
    # An empty previous period: the query then reads the current period only.
    frame = query(con, "overview_figures", selection, settings, previous_start=selection.start)
    return _figures(frame.set_index("period").loc["current"])


def overview_with_previous(
    con: duckdb.DuckDBPyConnection, selection: Selection, settings: Settings | None = None
) -> tuple[OverviewFigures, OverviewFigures]:
    """Return the overview figures of ``selection`` and of its :meth:`~Selection.previous`.

    One query for both, equal to ``overview(selection)`` and
    ``overview(selection.previous())``.
    """
    previous_start = selection.previous().start
    frame = query(con, "overview_figures", selection, settings, previous_start=previous_start)
    return _both_figures(frame)


def _both_figures(frame: pd.DataFrame) -> tuple[OverviewFigures, OverviewFigures]:
    rows = frame.set_index("period")
    return _figures(rows.loc["current"]), _figures(rows.loc["previous"])


def daily_flow(con, selection: Selection, settings: Settings | None = None) -> pd.DataFrame:
    """Return ``day, created, resolved, backlog`` per local day of the period."""
    return query(con, "daily_flow", selection, settings)


def movers(con, selection: Selection, settings: Settings | None = None) -> pd.DataFrame:
    """Return ``dimension, value, current, previous, change`` sorted by largest change."""
    previous_start = selection.previous().start
    return query(con, "movers", selection, settings, previous_start=previous_start)


def response_time_trend(
    con, selection: Selection, grain: str = "day", settings: Settings | None = None
) -> pd.DataFrame:
    """Return response times and SLA per day or ISO week (cohort).

    Columns: ``period, created, answered, frt_median_h, frt_p90_h,
    resolution_median_h, resolution_p90_h, met, evaluated, sla_pct``, then
    the tickets per first-response bucket (:data:`BUCKETS`; see :func:`buckets_of`).
    """
    _check("grain", grain, ("day", "week"))
    return query(con, "response_time_trend", selection, settings, grain=grain)


def response_time_buckets(
    con, selection: Selection, settings: Settings | None = None
) -> pd.DataFrame:
    """Return ``bucket, tickets, share_pct`` for 0-1 h ... 24 h+ and not answered."""
    return buckets_of(response_time_trend(con, selection, "week", settings))


# first-response bucket -> its count column in response_time_trend
BUCKETS = {
    "0-1 h": "frt_0_1h",
    "1-4 h": "frt_1_4h",
    "4-8 h": "frt_4_8h",
    "8-24 h": "frt_8_24h",
    "24 h+": "frt_24h_plus",
    "not answered": "not_answered",
}


def buckets_of(trend: pd.DataFrame) -> pd.DataFrame:
    """Return :func:`response_time_buckets` from a :func:`response_time_trend` at any grain.

    The trend counts each period's tickets per bucket; counts add up, so the
    period's distribution needs no query of its own.
    """
    tickets = [int(trend[column].sum()) for column in BUCKETS.values()]
    total = sum(tickets)
    return pd.DataFrame(
        {
            "bucket": list(BUCKETS),
            "tickets": tickets,
            "share_pct": [100.0 * n / total if total else float("nan") for n in tickets],
        }
    )


def response_time_breakdown(
    con, selection: Selection, dimension: str, settings: Settings | None = None
) -> pd.DataFrame:
    """Return response figures per value of ``dimension`` (one of :data:`DIMENSIONS`)."""
    _check("dimension", dimension, DIMENSIONS)
    return query(con, "response_time_breakdown", selection, settings, dimension=dimension)


def sla_of(weekly_trend: pd.DataFrame) -> pd.DataFrame:
    """Return ``week, met, evaluated, sla_pct`` from a weekly :func:`response_time_trend`."""
    # built from the columns: selecting and renaming took 0.8 ms longer
    return pd.DataFrame(
        {
            "week": weekly_trend["period"],
            "met": weekly_trend["met"],
            "evaluated": weekly_trend["evaluated"],
            "sla_pct": weekly_trend["sla_pct"],
        }
    )


def sla_weekly(con, selection: Selection, settings: Settings | None = None) -> pd.DataFrame:
    """Return ``week, met, evaluated, sla_pct`` per ISO week (cohort)."""
    return sla_of(response_time_trend(con, selection, "week", settings))


def slowest_tickets(
    con, selection: Selection, limit: int = 100, settings: Settings | None = None
) -> pd.DataFrame:
    """Return the ``limit`` tickets of the period that waited longest for a first response.

    ``created_at``, ``first_response_at`` and ``resolved_at`` are wall-clock
    times of the selection's zone (naive), as the page shows them.
    """
    return query(con, "slowest_tickets", selection, settings, limit=int(limit))


def backlog_series(
    con, selection: Selection, grain: str = "day", settings: Settings | None = None
) -> pd.DataFrame:
    """Return ``bucket, open, awaiting_first_response`` at the end of each hour or day."""
    _check("grain", grain, ("hour", "day"))
    return query(con, "backlog_series", selection, settings, grain=grain)


def weekday_hour_heatmap(
    con, selection: Selection, settings: Settings | None = None
) -> pd.DataFrame:
    """Return ``weekday (1=Mon), hour, arrivals_mean, backlog_mean, frt_median_h``."""
    return query(con, "weekday_hour_heatmap", selection, settings)


@dataclass(frozen=True)
class BacklogNow:
    """The backlog at the period's end (or the export's last event, if sooner)."""

    age: pd.DataFrame
    """``age, open, awaiting_first_response`` per calendar-age bucket."""
    clear: dict
    """``backlog_open``, ``resolved_per_day`` (last 28 days) and ``days_to_clear``."""


def backlog_now(con, selection: Selection, settings: Settings | None = None) -> BacklogNow:
    """Return the backlog by age and the days to clear it, at ``min(end, as_of)``, in one query."""
    return _backlog_now(query(con, "backlog_now", selection, settings, at=_now_at(con, selection)))


def _now_at(con, selection: Selection) -> datetime:
    span = _current_span(con, selection.source)
    return min(selection.end, span.as_of) if span.as_of else selection.end


def _backlog_now(frame: pd.DataFrame) -> BacklogNow:
    clear = ["backlog_open", "resolved_per_day", "days_to_clear"]
    first = frame.iloc[0]
    return BacklogNow(
        age=frame.drop(columns=clear),
        clear={k: _none_if_nan(first[k]) for k in clear},
    )


def backlog_age(con, selection: Selection, settings: Settings | None = None) -> pd.DataFrame:
    """Return ``age, open, awaiting_first_response`` for tickets open at the period's end."""
    return backlog_now(con, selection, settings).age


def days_to_clear(con, selection: Selection, settings: Settings | None = None) -> dict:
    """Return ``backlog_open``, ``resolved_per_day`` and ``days_to_clear`` at the period's end."""
    return backlog_now(con, selection, settings).clear


# --- pages: what each page draws when opened, its queries side by side (see queries) -------


@dataclass(frozen=True)
class OverviewPage:
    """What the Overview page draws."""

    current: OverviewFigures
    previous: OverviewFigures
    flow: pd.DataFrame
    """:func:`daily_flow`."""
    movers: pd.DataFrame
    """:func:`movers`."""


def overview_page(con, selection: Selection, settings: Settings | None = None) -> OverviewPage:
    """Return :func:`overview_with_previous`, :func:`daily_flow` and :func:`movers` at once."""
    previous_start = selection.previous().start
    frames = queries(
        con,
        selection,
        {
            "figures": ("overview_figures", {"previous_start": previous_start}),
            "flow": ("daily_flow", {}),
            "movers": ("movers", {"previous_start": previous_start}),
        },
        settings,
    )
    current, previous = _both_figures(frames["figures"])
    return OverviewPage(current, previous, frames["flow"], frames["movers"])


@dataclass(frozen=True)
class ResponseTimesPage:
    """What the Response times page draws for one trend grain and one breakdown dimension."""

    trend: pd.DataFrame
    """:func:`response_time_trend` at the grain."""
    sla: pd.DataFrame
    """:func:`sla_weekly`."""
    buckets: pd.DataFrame
    """:func:`response_time_buckets`."""
    breakdown: pd.DataFrame
    """:func:`response_time_breakdown` of the dimension."""
    slowest: pd.DataFrame
    """:func:`slowest_tickets`."""


def response_times_page(
    con,
    selection: Selection,
    grain: str = "week",
    dimension: str = "region",
    limit: int = 100,
    settings: Settings | None = None,
) -> ResponseTimesPage:
    """Return the Response times page's figures at once.

    The SLA chart reads the weekly trend, so at the default grain one trend
    serves both charts.
    """
    _check("grain", grain, ("day", "week"))
    _check("dimension", dimension, DIMENSIONS)
    parts = {
        "trend": ("response_time_trend", {"grain": grain}),
        "breakdown": ("response_time_breakdown", {"dimension": dimension}),
        "slowest": ("slowest_tickets", {"limit": int(limit)}),
    }
    # The buckets and the SLA table are small pandas steps on a trend, taken
    # on its worker while the other queries still run.
    if grain == "week":
        then = {"trend": lambda trend: (trend, buckets_of(trend), sla_of(trend))}
    else:
        parts["weekly"] = ("response_time_trend", {"grain": "week"})
        then = {"trend": lambda trend: (trend, buckets_of(trend), None), "weekly": sla_of}
    frames = queries(con, selection, parts, settings, then)
    trend, buckets, sla = frames["trend"]
    return ResponseTimesPage(
        trend=trend,
        sla=frames.get("weekly", sla),
        buckets=buckets,
        breakdown=frames["breakdown"],
        slowest=frames["slowest"],
    )


@dataclass(frozen=True)
class BacklogPage:
    """What the Backlog page draws for one resolution of the series."""

    series: pd.DataFrame
    """:func:`backlog_series` at the grain."""
    heatmap: pd.DataFrame
    """:func:`weekday_hour_heatmap`."""
    now: BacklogNow
    """:func:`backlog_now`."""


def backlog_page(
    con, selection: Selection, grain: str = "day", settings: Settings | None = None
) -> BacklogPage:
    """Return the Backlog page's figures at once."""
    _check("grain", grain, ("hour", "day"))
    frames = queries(
        con,
        selection,
        {
            "series": ("backlog_series", {"grain": grain}),
            "heatmap": ("weekday_hour_heatmap", {}),
            "now": ("backlog_now", {"at": _now_at(con, selection)}),
        },
        settings,
    )
    return BacklogPage(frames["series"], frames["heatmap"], _backlog_now(frames["now"]))
