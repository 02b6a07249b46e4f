"""The managers' questions: one function each, one SQL query (or a few side by side)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

import duckdb
import pandas as pd

from analytics.metrics import engine
from analytics.metrics.engine import query
from analytics.metrics.selection import DIMENSIONS, Selection, SourceSpan
from analytics.settings import Settings


def check_choice(what: str, value: str, allowed: tuple[str, ...]) -> None:
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


def none_if_nan(value):
    return None if value is None or pd.isna(value) else value


def figures_of(row: pd.Series) -> OverviewFigures:
    return OverviewFigures(
        created=int(row["created"]),
        resolved=int(row["resolved"]),
        frt_median_h=none_if_nan(row["frt_median_h"]),
        frt_p90_h=none_if_nan(row["frt_p90_h"]),
        resolution_median_h=none_if_nan(row["resolution_median_h"]),
        sla_pct=none_if_nan(row["sla_pct"]),
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
    return figures_of(frame.set_index("period").loc["current"])


def overview_with_previous(
    con: duckdb.DuckDBPyConnection, selection: Selection, settings: Settings | None = None
) -> tuple[OverviewFigures, OverviewFigures]:
    """Return the overview figures of ``selection`` and of its :meth:`~Selection.previous`.

    One query for both, equal to ``overview(selection)`` and
    ``overview(selection.previous())``.
    """
    previous_start = selection.previous().start
    frame = query(con, "overview_figures", selection, settings, previous_start=previous_start)
    return both_figures(frame)


def both_figures(frame: pd.DataFrame) -> tuple[OverviewFigures, OverviewFigures]:
    rows = frame.set_index("period")
    return figures_of(rows.loc["current"]), figures_of(rows.loc["previous"])


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
    check_choice("grain", grain, ("day", "week"))
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
    check_choice("dimension", dimension, DIMENSIONS)
    return query(con, "response_time_breakdown", selection, settings, dimension=dimension)


def sla_of(weekly_trend: pd.DataFrame) -> pd.DataFrame:
    """Return ``week, met, evaluated, sla_pct`` from a weekly :func:`response_time_trend`."""
    # Built from the columns: cheaper than selecting and renaming.
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
    check_choice("grain", grain, ("hour", "day"))
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
    return backlog_now_of(query(con, "backlog_now", selection, settings, at=now_at(con, selection)))


def now_at(con, selection: Selection, span: SourceSpan | None = None) -> datetime:
    """Return the moment "now" means for ``selection``: its end, or the data's last event before it."""
    span = span or engine.current_span(con, selection.source)
    return min(selection.end, span.as_of) if span.as_of else selection.end


def backlog_now_of(frame: pd.DataFrame) -> BacklogNow:
    clear = ["backlog_open", "resolved_per_day", "days_to_clear"]
    first = frame.iloc[0]
    return BacklogNow(
        age=frame.drop(columns=clear),
        clear={k: none_if_nan(first[k]) for k in clear},
    )


def backlog_age(con, selection: Selection, settings: Settings | None = None) -> pd.DataFrame:
    """Return ``age, open, awaiting_first_response`` for tickets open at the period's end."""
    return backlog_now(con, selection, settings).age


def days_to_clear(con, selection: Selection, settings: Settings | None = None) -> dict:
    """Return ``backlog_open``, ``resolved_per_day`` and ``days_to_clear`` at the period's end."""
    return backlog_now(con, selection, settings).clear


# --- pages: what each page draws when opened, its queries side by side (see queries) -------
