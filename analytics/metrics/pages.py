"""What each managers' page asks in one go: its questions run side by side, one bundle back."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics.metrics.engine import current_span, queries
from analytics.metrics.questions import (
    BacklogNow,
    OverviewFigures,
    backlog_now_of,
    both_figures,
    buckets_of,
    check_choice,
    now_at,
    sla_of,
)
from analytics.metrics.selection import DIMENSIONS, Selection
from analytics.settings import Settings


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
    current, previous = both_figures(frames["figures"])
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
    check_choice("grain", grain, ("day", "week"))
    check_choice("dimension", dimension, DIMENSIONS)
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
    check_choice("grain", grain, ("hour", "day"))
    span = current_span(con, selection.source)  # once: it brings the local copy up to date
    frames = queries(
        con,
        selection,
        {
            "series": ("backlog_series", {"grain": grain}),
            "heatmap": ("weekday_hour_heatmap", {}),
            "now": ("backlog_now", {"at": now_at(con, selection, span)}),
        },
        settings,
        span=span,
    )
    return BacklogPage(frames["series"], frames["heatmap"], backlog_now_of(frames["now"]))
