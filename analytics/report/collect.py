"""The figures of one week's report, gathered from the store before any wording.

Every figure comes from :mod:`analytics.metrics`; the next-week outlook from
:mod:`analytics.forecast`, the one place the report depends on it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from analytics import coverage, events, metrics
from analytics.i18n import N_
from analytics.report.errors import ReportError
from analytics.report.weeks import (
    NO_FILTERS,
    WEEKS_OF_TREND,
    Filters,
    iso_week,
    last_complete_week,
    parse_week,
    same_week_last_year,
    week_selection,
)
from analytics.settings import Settings

_log = logging.getLogger(__name__)


@dataclass
class Outlook:
    """Next week: the daily forecast, its surges and staffing, and the calendar's events.

    ``forecast`` has ``day, mean, lo80, hi80, lo95, hi95, agents`` (None when
    no forecast could be made; ``note`` then says why). ``surges`` has the
    columns of :func:`analytics.forecast.surges`.
    """

    first_day: date
    last_day: date
    forecast: pd.DataFrame | None
    surges: pd.DataFrame
    events: pd.DataFrame
    note: str | None = None


@dataclass
class WeekData:
    """Everything the report says about one week, before any wording."""

    source: str
    week: str
    first_day: date
    last_day: date
    tz: str
    region: str | None
    as_of: datetime
    sla_target_hours: float
    now: metrics.OverviewFigures
    previous: metrics.OverviewFigures
    last_year: metrics.OverviewFigures | None
    last_year_week: str
    clear: dict
    clear_previous: dict
    clear_last_year: dict | None
    flow: pd.DataFrame
    forecast_before: pd.DataFrame | None
    trend: pd.DataFrame
    backlog: pd.DataFrame
    movers: pd.DataFrame
    events: pd.DataFrame
    outlook: Outlook
    missing: dict[str, str] = field(default_factory=dict)
    """:func:`analytics.coverage.missing_inputs` of the source: input -> reason."""
    quality: metrics.QualityFigures | None = None
    """Reopens, one-touch and CSAT of the tickets resolved in the week, and the week before's."""
    filters: Filters = NO_FILTERS
    """The tickets covered (all regions, teams... when empty) and the clock of the durations."""


def collect(
    con: duckdb.DuckDBPyConnection,
    source: str,
    week: str | None,
    region: str | None,
    tz: str | None,
    settings: Settings,
    with_forecast: bool = True,
    filters: Filters = NO_FILTERS,
) -> WeekData:
    """Return the numbers of the report on ``source`` for ISO ``week`` (None: the last complete).

    ``region`` None covers every region (else it adds to ``filters.regions``);
    ``filters`` narrow the tickets as the sidebar's do, and say whether
    durations count business hours; ``tz`` None is ``settings.default_tz``.

    Raises
    ------
    ReportError
        On a malformed week, or a week in which the source (or selection) has no ticket.
    """
    tz = tz or settings.default_tz
    span = metrics.current_span(con, source)
    week, monday, sel = selected_week(span, source, week, tz, region, filters)
    now = week_overview(con, sel, week, settings)
    return WeekData(
        source=source,
        week=week,
        first_day=monday,
        last_day=monday + timedelta(days=6),
        tz=tz,
        region=sel.regions[0] if len(sel.regions) == 1 else None,
        as_of=span.as_of,
        sla_target_hours=settings.sla_target_hours,
        now=now,
        **comparisons(con, sel, monday, span.first_created_at, settings),
        **week_series(con, sel, monday, settings, with_forecast),
        outlook=outlook(con, sel, settings, with_forecast),
        missing=coverage.missing_inputs(con, source),
        quality=metrics.quality(con, sel, settings),
        filters=Filters.of(sel),
    )


def selected_week(
    span: metrics.SourceSpan,
    source: str,
    week: str | None,
    tz: str,
    region: str | None,
    filters: Filters = NO_FILTERS,
) -> tuple[str, date, metrics.Selection]:
    """Return the week asked for (default: the last complete one), its Monday and its selection.

    Raises :class:`ReportError` when the source is empty or the week lies outside it.
    """
    if span.as_of is None:
        raise ReportError(N_("source {source} has no tickets"), source=repr(source))
    week = week or last_complete_week(span.as_of, tz)
    monday = parse_week(week)
    sel = week_selection(source, monday, tz, region, filters)
    if sel.start >= span.as_of or sel.end <= span.first_created_at:
        raise ReportError(
            N_("no data for {week}: source {source} runs from {first} to {last}"),
            week=week,
            source=repr(source),
            first=f"{span.first_created_at:%Y-%m-%d}",
            last=f"{span.as_of:%Y-%m-%d}",
        )
    return week, monday, sel


def week_overview(
    con: duckdb.DuckDBPyConnection, sel: metrics.Selection, week: str, settings: Settings
) -> metrics.OverviewFigures:
    """Return the week's overview figures; raise :class:`ReportError` when no ticket moved."""
    now = metrics.overview(con, sel, settings)
    if now.created == 0 and now.resolved == 0:
        chosen = Filters.of(sel).chosen()
        if not chosen:
            raise ReportError(N_("no data for {week}: no ticket created or resolved"), week=week)
        raise ReportError(
            N_("no data for {week} with {filters}: no ticket created or resolved"),
            week=week,
            filters="; ".join(
                f"{name} {', '.join(map(repr, values))}" for name, values in chosen.items()
            ),
        )
    return now


def comparisons(
    con: duckdb.DuckDBPyConnection,
    sel: metrics.Selection,
    monday: date,
    first_created_at: datetime,
    settings: Settings,
) -> dict:
    """Return the week before's and the same week last year's figures, as WeekData fields.

    Last year's figures are None unless the source covers that whole week.
    """
    ly_monday = same_week_last_year(monday)
    ly_sel = week_selection(sel.source, ly_monday, sel.tz, filters=Filters.of(sel))
    has_last_year = ly_sel.end > first_created_at + timedelta(days=7)
    return {
        "previous": metrics.overview(con, sel.previous(), settings),
        "last_year": metrics.overview(con, ly_sel, settings) if has_last_year else None,
        "last_year_week": iso_week(ly_monday),
        "clear": metrics.days_to_clear(con, sel, settings),
        "clear_previous": metrics.days_to_clear(con, sel.previous(), settings),
        "clear_last_year": metrics.days_to_clear(con, ly_sel, settings) if has_last_year else None,
    }


def week_series(
    con: duckdb.DuckDBPyConnection,
    sel: metrics.Selection,
    monday: date,
    settings: Settings,
    with_forecast: bool,
) -> dict:
    """Return the series the charts draw, as WeekData fields.

    The week's daily flow and the forecast made before it; the last
    ``WEEKS_OF_TREND`` weeks of response times, backlog and events; the
    categories and regions that moved most.
    """
    trend_start, trend_end = metrics.period(
        monday - timedelta(weeks=WEEKS_OF_TREND - 1), monday + timedelta(days=6), sel.tz
    )
    trend_sel = replace(sel, start=trend_start, end=trend_end)
    movers = metrics.movers(con, sel, settings)
    movers = movers[movers["dimension"].isin(["category", "region"]) & (movers["change"] != 0)]
    return {
        "flow": metrics.daily_flow(con, sel, settings),
        "forecast_before": daily_forecast(con, sel.previous(), 7, settings)[0]
        if with_forecast
        else None,
        "trend": metrics.response_time_trend(con, trend_sel, "week", settings),
        "backlog": metrics.backlog_series(con, trend_sel, "day", settings),
        "movers": movers.head(8).reset_index(drop=True),
        "events": events.events_in_range(
            con, trend_start.date(), monday + timedelta(days=6), sel.regions, source=sel.source
        ),
    }


def daily_forecast(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    days: int,
    settings: Settings,
) -> tuple[pd.DataFrame | None, pd.DataFrame, str | None]:
    """Return the forecast of tickets created per day for ``days`` days after the selection ends.

    The forecast only sees history up to ``selection.end`` (so a past week's
    forecast is the one that could have been made then). Returns ``(frame,
    surges, note)``: ``frame`` has ``day, mean, lo80, hi80, lo95, hi95``, or
    is None with ``note`` saying why.
    """
    empty = pd.DataFrame(columns=["start", "end", "expected", "capacity", "excess_pct"])
    try:
        from analytics import forecast

        # One region is a series of its own (its events' effects); the other filters
        # narrow the total's history.
        one = len(selection.regions) == 1
        by, name = ("region", selection.regions[0]) if one else ("total", "total")
        fc = forecast.forecast_series(
            con, selection, "D", days, by, name, forecast.SURGE_ORIGINS, settings
        )
        if fc is None:
            return None, empty, "not enough history for a forecast"
        frame = fc.forecast.head(days).copy()
        found = forecast.surges(
            fc,
            frame,
            margin=settings.forecast.surge_margin,
            target_hours=settings.sla_target_hours * 4,
        )
    except Exception as exc:  # noqa: BLE001
        # The forecast is one section of a report that must still go out on
        # Monday: a failing model leaves a note in that section, not no report.
        _log.warning("forecast failed for the report: %s", exc)
        return None, empty, f"forecast failed: {exc}"
    frame.insert(0, "day", pd.DatetimeIndex(frame.pop("period")).date)
    found = found[found["reason"] == "arrivals above capacity"].reset_index(drop=True)
    return frame.reset_index(drop=True), found, None


def staffing_per_day(forecast: pd.DataFrame, settings: Settings) -> list[int | None]:
    """Return the agents each forecast day's expected tickets keep busy (workload, rounded up)."""
    # Imported here: staffing loads the queue simulator, which only the outlook needs.
    from analytics.planning import staffing

    f = settings.forecast
    return [
        math.ceil(
            staffing.workload_agents(m, f.handling_minutes, f.productive_hours, f.shrinkage) - 1e-9
        )
        for m in forecast["mean"]
    ]


def outlook(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    settings: Settings,
    with_forecast: bool = True,
) -> Outlook:
    """Return the week after ``selection``'s week: forecast, surges, staffing and events."""
    zone = ZoneInfo(selection.tz)
    first = selection.end.astimezone(zone).date()
    last = first + timedelta(days=6)
    calendar = events.events_in_range(con, first, last, selection.regions, source=selection.source)
    if not with_forecast:
        return Outlook(first, last, None, pd.DataFrame(), calendar, "forecast not requested")
    frame, found, note = daily_forecast(con, selection, 7, settings)
    if frame is not None:
        frame["agents"] = staffing_per_day(frame, settings)
    return Outlook(first, last, frame, found, calendar, note)
