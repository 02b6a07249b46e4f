"""How the metric queries run fast: per-thread cursors with their macros, parsed statements,
time-zone macros, and a small pool running a page's queries side by side.

None of this changes what a metric means (that is :mod:`analytics.metrics` and
its SQL files); it only makes asking cheaper.
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from analytics import business_hours, replica, store
from analytics.metrics.selection import Selection, SourceSpan, source_span
from analytics.settings import Settings, load_settings


@functools.lru_cache(maxsize=8)
def _calendar(schedules: tuple, first: date, last: date):
    return business_hours.calendar_table(dict(schedules), first, last)


# Defined after the clock's selected_tickets macro, whichever clock it is.
_SHARED_MACROS = ("ticket_state_macros", "backlog_levels_macro", "quality_macros")

# Per thread: connection (weakly held) -> a cursor with the calendar-hours
# macros defined. Opening a cursor and defining its macros costs as much as a
# small query, and a page runs several queries per run on the same thread.
# Cursors are not thread-safe, hence one per thread; a thread's cursors close
# when it ends.
_THREAD = threading.local()


def _calendar_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    cursors = getattr(_THREAD, "cursors", None)
    if cursors is None:
        cursors = _THREAD.cursors = weakref.WeakKeyDictionary()
    cur = cursors.get(con)
    if cur is None:
        cur = store.cursor(con)
        cur.execute("set TimeZone = 'UTC'")
        replica.use(cur)
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
    with store.cursor(con) as cur:
        cur.execute("set TimeZone = 'UTC'")
        replica.use(cur)
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
    list, and a CASE costs less than joining every ticket to its local hour.
    Only the number of arms comes from here; the instants and offsets stay
    bound parameters.
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
    span = current_span(con, selection.source)
    return _run(
        con, selection, settings, span, name, {**_params(selection, settings, span), **extra}
    )


# query file name -> its statement, parsed once per process: parsing costs a
# noticeable share of a small query.
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
    span: SourceSpan | None = None,
) -> dict[str, Any]:
    """Run several query files for ``selection`` at once; return part -> result.

    ``parts`` maps a name to ``(query file, extra parameters)``; each result
    equals :func:`query` of that file. The parts run two at a time, each on
    its thread's own cursor: over 90 days a query spends much of its time
    planning and in single-threaded steps, so a page's queries side by side
    finish sooner than one after another, or than one statement holding them
    all (``benchmarks/RESULTS.md``). ``then`` maps a part to a function of
    its frame, called on the same thread as soon as the query ends, while
    the others still run; the part's result is then what it returns.
    ``span`` is the source's span when the caller already has it (each
    reading of it asks the store for its latest snapshot).
    """
    settings = settings or load_settings()
    span = span or current_span(con, selection.source)
    shared = _params(selection, settings, span)
    then = then or {}
    futures = {
        part: _pool().submit(
            _run, con, selection, settings, span, name, {**shared, **extra}, then.get(part)
        )
        for part, (name, extra) in parts.items()
    }
    return {part: future.result() for part, future in futures.items()}


def current_span(con: duckdb.DuckDBPyConnection, source: str) -> SourceSpan:
    """Return ``source``'s span at the store's latest snapshot (read once per snapshot).

    Brings the local copy of the tickets up to the store's latest snapshot
    first (:mod:`analytics.replica`): every page's queries start here.
    """
    return source_span(con, source)
