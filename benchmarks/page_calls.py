"""Each manager's page's library calls, as the page makes them with its default widgets.

The calls are the ``ui.cached`` and ``ui.metric`` ones of ``pages/*.py``
(what the app caches; the page's own pandas on their results is left out),
each on the store's connection and a :class:`analytics.metrics.Selection`.
:func:`call` adds each function's duration to :data:`SPENT`, so that a
benchmark can say which call a slow page waits on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

# Pages whose figures follow the sidebar's period; the others ignore it
# (seasonality shows the whole history, the forecasts read the history up to
# the period's end, the weekly report covers one week).
RANGED = ("overview", "response times", "backlog")
PAGES = (*RANGED, "seasonality", "staffing", "forecast", "weekly report")

# Seconds spent in each library function a page calls, since the last reset.
SPENT: dict[str, float] = {}


def call(function: Callable, *args, **kwargs):
    """Return ``function(*args, **kwargs)``, adding its duration to :data:`SPENT`."""
    began = time.perf_counter()
    try:
        return function(*args, **kwargs)
    finally:
        name = f"{function.__module__.removeprefix('analytics.')}.{function.__name__}"
        SPENT[name] = SPENT.get(name, 0.0) + time.perf_counter() - began


def events_for(con, s) -> None:
    """Read the selection's events for the charts' bands, as ``ui.events_for`` does."""
    from analytics import events

    zone = ZoneInfo(s.tz)
    first = s.start.astimezone(zone).date()
    last = (s.end.astimezone(zone) - timedelta(microseconds=1)).date()
    call(events.events_in_range, con, first, last, s.regions, source=s.source)


def flow_page(name: str) -> Callable:
    """Return the overview's, response times' or backlog page's calls on a selection."""
    from analytics import coverage, forecast, metrics

    def run(con, s, settings) -> None:
        if name == "overview":
            call(metrics.overview_page, con, s, settings)
            margin = settings.forecast.surge_margin
            call(forecast.next_surge, con, forecast.history_key(s), margin, settings=settings)
        elif name == "response times":
            call(metrics.response_times_page, con, s, "week", "region", settings=settings)
        else:
            call(metrics.backlog_page, con, s, "day", settings)
        call(coverage.missing_inputs, con, s.source)
        events_for(con, s)

    return run


def seasonality_page(con, s, settings) -> None:
    """Run the seasonality page's calls with its default, the whole history."""
    from analytics import metrics, seasonality

    span = call(metrics.source_span, con, s.source)
    zone = ZoneInfo(s.tz)
    first, last = span.first_created_at.astimezone(zone), span.as_of.astimezone(zone)
    day_before = max(first.date(), last.date() - timedelta(days=1))
    start, end = metrics.period(first.date(), day_before, s.tz)
    s = replace(s, start=start, end=end)
    for profile in (seasonality.volume_by_month, seasonality.volume_by_week,
                    seasonality.weekday_profile, seasonality.hour_profile):  # fmt: skip
        call(profile, con, s, settings=settings)
    call(seasonality.daily_decomposition, con, s, "created", settings=settings)
    events_for(con, s)
    call(seasonality.hourly_decomposition, con, s, "created", settings=settings)
    events_for(con, replace(s, start=s.end - timedelta(weeks=seasonality.HOURLY_WEEKS)))
    call(seasonality.candidate_events, con, s, "created", settings=settings)


def staffing_page(con, s, settings) -> None:
    """Run the staffing page's calls before its what-if (which waits for a button)."""
    from analytics import forecast
    from analytics.planning import staffing

    scope = forecast.history_key(s)
    regions = call(forecast.series_names, con, scope, "D", "region", settings=settings)[1:]
    call(forecast.history, con, scope, "D", "channel", settings=settings)
    for region in regions:
        call(forecast.forecast_series, con, scope, "D", 28, "region", region, 0, settings=settings)
    call(staffing.saved_plan, con, s.source)
    call(forecast.history, con, scope, "H", "region", settings=settings)
    call(forecast.same_day, con, scope, settings=settings)


def forecast_page(con, s, settings) -> None:
    """Run the forecast page's calls with its defaults: daily, 28 days, the total, 8 origins."""
    from analytics import events, forecast

    scope = forecast.history_key(s)
    names = call(forecast.series_names, con, scope, "D", "total", settings=settings)
    call(forecast.history_shortfall, con, scope, "D", settings=settings)
    fits = [
        call(forecast.forecast_series, con, scope, "D", 28, "total", name, 8, settings=settings)
        for name in names
    ]
    first_day = (fits[0].history["period"].max() + timedelta(days=1)).date()
    last_day = first_day + timedelta(days=120)
    call(events.events_in_range, con, first_day, last_day, s.regions, source=s.source)
    call(forecast.event_profiles, con)
    call(forecast.series_names, con, scope, "D", "region")


def weekly_report_page(con, s, settings) -> None:
    """Run the weekly report page's calls for its default, the latest complete week."""
    from analytics import metrics, report

    weeks = report.report_weeks(call(metrics.source_span, con, s.source), s.tz)
    call(metrics.filter_values, con, s.source)
    call(report.collect, con, s.source, weeks[0], None, s.tz, settings)


def page_calls() -> dict[str, Callable]:
    """Return page name -> function running that page's library calls on a selection."""
    calls = {name: flow_page(name) for name in RANGED}
    calls.update(
        {
            "seasonality": seasonality_page,
            "staffing": staffing_page,
            "forecast": forecast_page,
            "weekly report": weekly_report_page,
        }
    )
    return calls
