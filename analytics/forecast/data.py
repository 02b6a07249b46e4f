"""The history a forecast reads from the store, the series it can forecast, and their calendar.

:func:`forecast_series` reads one series of a selection and fits it
(:func:`analytics.forecast.fit.fit_series`) with its region's public holidays
and its source's calendar events.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from analytics import metrics, replica, store
from analytics.forecast import workers
from analytics.forecast.features import holiday_days
from analytics.forecast.fit import fit_series
from analytics.forecast.hourly import fit_hourly, morning_origin, opening_for
from analytics.forecast.sameday import DayUpdate
from analytics.forecast.series import (
    HORIZONS,
    SPLITS,
    SeriesForecast,
    arrival_span,
    observed_span,
    shortfall,
)
from analytics.settings import Settings

# Hourly models see the last twelve weeks: three to train, then room for 20 scored
# and 8 calibration origins on a five-day desk. The intraday profile is stable,
# and a longer window only slows the fits.
HOURLY_HISTORY_H = 12 * 7 * 24
DAILY_HISTORY_D = 3 * 365 + 1
MAX_SERIES = 12


def history_selection(
    con: duckdb.DuckDBPyConnection, selection: metrics.Selection, freq: str
) -> metrics.Selection:
    """Return ``selection`` widened to the history a forecast needs, ending where it ends."""
    span = metrics.current_span(con, selection.source)
    end = min(selection.end, span.as_of) if span.as_of else selection.end
    if freq == "H":
        end = end.replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(hours=HOURLY_HISTORY_H)
    else:
        # Whole local days only: the last, partial day would read as a drop.
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(selection.tz)
        last_day = end.astimezone(zone).date()
        end = datetime.combine(last_day, datetime.min.time(), tzinfo=zone)
        start = end - timedelta(days=DAILY_HISTORY_D)
    first = span.first_created_at or start
    return replace(selection, start=max(start, first), end=end)


def history_key(selection: metrics.Selection) -> metrics.Selection:
    """Return ``selection`` with the start every forecast of it reads: the same filters
    and end, and the start :func:`history_selection` would put back anyway.

    A forecast's history window follows from the selection's end alone, so
    "last 7 days" and "last 90 days" share one forecast. Cache keys built from
    this selection let them share one computation too: the surge line is a
    backtested fit of a few seconds, and twenty managers each on their own
    period would otherwise compute it twenty times.
    """
    return replace(selection, start=selection.end - timedelta(days=DAILY_HISTORY_D))


def history(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    freq: str = "D",
    by: str = "total",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return ``period, series, created, resolved`` for the forecast's history window.

    Read once per store snapshot and kept: a later call with the same
    arguments returns a copy of the frame read then.
    """
    if by not in SPLITS:
        raise ValueError(f"by must be one of {SPLITS}, not {by!r}")
    wide = history_selection(con, selection, freq)
    if wide.end <= wide.start:
        return pd.DataFrame(columns=["period", "series", "created", "resolved"])
    # Counts of arrivals and resolutions do not depend on the clock.
    wide = replace(wide, business_hours=False)
    grain = "hour" if freq == "H" else "day"
    # A forecast page reads one history three or four times (the series' names,
    # the shortfall, each series' fit), and over years of tickets it is a full scan.
    frame = replica.remembered(
        con,
        ("forecast history", wide, grain, by),
        lambda: metrics.query(con, "arrivals_by", wide, settings, dimension=by, grain=grain),
    )
    return frame.copy()


def series_names(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    freq: str = "D",
    by: str = "total",
    settings: Settings | None = None,
) -> list[str]:
    """Return ``"total"`` then the split's values by volume (at most :data:`MAX_SERIES`);
    empty when the selection's history is too short to forecast (:func:`history_shortfall`)."""
    frame = history(con, selection, freq, by, settings)
    if frame.empty or _source_shortfall(frame, freq):
        return []
    volume = frame.groupby("series")["created"].sum().sort_values(ascending=False)
    rest = [s for s in volume.index if s != "total" and volume[s] > 0][: MAX_SERIES - 1]
    return ["total", *rest]


def calendar_events(
    con: duckdb.DuckDBPyConnection, series: str, by: str, source: str | None
) -> pd.DataFrame:
    """Return the events of ``source``'s calendar that concern ``series`` (all-region ones always)."""
    with store.cursor(con) as cur:
        frame = cur.execute(store.load_sql("events_in_range"), {
            "first_day": date(1900, 1, 1), "last_day": date(2999, 12, 31), "regions": [],
            "source": source,
        }).df()  # fmt: skip
    if by == "region" and series != "total":
        frame = frame[frame["region"].isin(["all", series])]
    return frame


def series_holidays(settings: Settings, series: str, by: str, first: date, last: date) -> set[date]:
    """Return the public holidays for a series: its region's countries, else the default ones."""
    countries = settings.forecast.region_holidays.get(series) if by == "region" else None
    return holiday_days(countries or settings.forecast.default_holidays, first, last)


def forecast_series(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    freq: str,
    horizon: int,
    by: str,
    name: str,
    backtest: int,
    settings: Settings,
    models: tuple[str, ...] | None = None,
) -> SeriesForecast | None:
    """Return the forecast of one series of the selection (None when its history is too
    short: :func:`history_shortfall` says why).

    The history runs up to the selection's end (up to 3 years daily, 12 weeks
    hourly), whatever the period's start: a forecast "as of" a past date only
    ever sees what was known then. ``models`` limits the candidates (default: all).
    Hourly, a history that ends during today after the desk opened is forecast
    from this morning, with today's update (:func:`analytics.forecast.fit_hourly`).
    """
    everything = history(con, selection, freq, by, settings)
    return _fit_history(con, selection, everything, freq, horizon, by, name, backtest,
                        settings, models)  # fmt: skip


def _counts(frame: pd.DataFrame, freq: str) -> pd.Series:
    """Return the arrivals of one series of a history frame on a regular local index."""
    y = pd.Series(
        frame["created"].to_numpy(dtype=float),
        index=pd.DatetimeIndex(frame["period"]).tz_localize(None),
    )
    return y.asfreq("D" if freq == "D" else "h", fill_value=0.0)


def _fit_history(
    con, selection, everything, freq, horizon, by, name, backtest, settings, models
) -> SeriesForecast | None:
    """Return :func:`forecast_series` of a history frame already read from the store."""
    frame = everything[everything["series"] == name]
    if _source_shortfall(everything, freq) or shortfall(arrival_span(frame["created"]), freq):
        return None
    y = _counts(frame, freq)
    lo, hi = HORIZONS[freq]
    horizon = int(min(max(horizon, lo), hi))
    first, last = y.index[0].date(), (y.index[-1] + pd.Timedelta(days=horizon + 1)).date()
    holidays = series_holidays(settings, name, by, first, last)
    events = calendar_events(con, name, by, selection.source)
    args = {"holidays": holidays, "events": events, "name": name, "models": models}
    if freq == "H":
        args["opening"] = opening_for(settings, name, y)
    fc = workers.run(_fit, y, freq, horizon, backtest, args)
    resolved = frame["resolved"].to_numpy(dtype=float)
    fc.history["resolved"] = resolved[-len(fc.history) :]
    return fc


def _fit(y: pd.Series, freq: str, horizon: int, backtest: int, args: dict) -> SeriesForecast:
    """Return the fit of ``y``: hourly from this morning's origin, else :func:`fit_series`.

    Module-level, so that a worker process can run it (:mod:`analytics.forecast.workers`).
    """
    if freq == "H":
        return fit_hourly(y, horizon, backtest, **args)
    return fit_series(y, freq, horizon, backtest, **args)


# The same-day update of staffing and the what-if: the hourly total's day split (the
# day, then its hours, as staffing splits its daily forecast), 48 hours ahead, its
# weight learned on 20 scored origins (the Forecast page's hourly default).
SAME_DAY_HORIZON = 48
SAME_DAY_ORIGINS = 20
SAME_DAY_MODELS = ("seasonal_naive", "day_split")


def same_day(
    con: duckdb.DuckDBPyConnection, selection: metrics.Selection, settings: Settings
) -> DayUpdate | None:
    """Return today's update of the hourly forecast of the total, or None when the
    history does not end during today after the desk opened (or too short a backtest
    to learn the update from); only then does it fit the hourly models."""
    everything = history(con, selection, "H", "total", settings)
    if everything.empty:
        return None
    y = _counts(everything[everything["series"] == "total"], "H")
    if morning_origin(y, opening_for(settings, "total", y)) is None:
        return None
    fc = _fit_history(
        con, selection, everything, "H", SAME_DAY_HORIZON, "total", "total", SAME_DAY_ORIGINS,
        settings, SAME_DAY_MODELS,
    )  # fmt: skip
    return fc.today if fc is not None else None


def history_shortfall(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    freq: str = "D",
    settings: Settings | None = None,
    lang: str = "en",
) -> str | None:
    """Return why the selection's total is too short to forecast (how much history it
    has, how much a forecast needs, in ``lang``), or None when it is long enough."""
    return _source_shortfall(history(con, selection, freq, "total", settings), freq, lang)


def _source_shortfall(frame: pd.DataFrame, freq: str, lang: str = "en") -> str | None:
    """Return :func:`shortfall` of the observed span of the total in a history frame."""
    span = observed_span(frame.loc[frame["series"] == "total", "created"], freq)
    return shortfall(span, freq, lang)


def region_shares(
    con: duckdb.DuckDBPyConnection, selection: metrics.Selection, settings: Settings | None = None
) -> dict[str, float]:
    """Return each region's share of arrivals over the last 28 days of history."""
    frame = history(con, selection, "D", "region", settings)
    recent = frame[frame["period"] >= frame["period"].max() - pd.Timedelta(days=27)]
    per = recent[recent["series"] != "total"].groupby("series")["created"].sum()
    total = per.sum()
    return {k: float(v / total) for k, v in per.items()} if total else {}
