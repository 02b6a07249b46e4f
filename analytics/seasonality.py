"""Seasonal views: volume by month and week, weekday and hour profiles, decompositions.

The aggregation is SQL in DuckDB (``volume_by_month.sql``, ``volume_by_week.sql``,
``weekday_profile.sql``, ``hour_profile.sql``, ``arrivals_daily.sql``,
``arrivals_hourly.sql``); statsmodels' ``STL`` only sees the small daily or
hourly series. Residual spikes of a decomposition are candidate events.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd

from analytics import events, metrics, replica
from analytics.forecast.features import annual_fourier, trend_years
from analytics.settings import Settings

MIN_DAYS_WEEKLY = 28
MIN_DAYS_ANNUAL = 2 * 365
HOURLY_WEEKS = 8
SPIKE_Z = 3.5
MAX_SPIKES = 15


def volume_by_month(
    con: duckdb.DuckDBPyConnection, selection: metrics.Selection, settings: Settings | None = None
) -> pd.DataFrame:
    """Return ``year, month, days, created, created_per_day, frt_median_h`` per local month."""
    return metrics.query(con, "volume_by_month", selection, settings)


def volume_by_week(
    con: duckdb.DuckDBPyConnection, selection: metrics.Selection, settings: Settings | None = None
) -> pd.DataFrame:
    """Return ``year, week, first_day, days, created, created_per_day, frt_median_h`` per ISO week."""
    return metrics.query(con, "volume_by_week", selection, settings)


def weekday_profile(
    con: duckdb.DuckDBPyConnection, selection: metrics.Selection, settings: Settings | None = None
) -> pd.DataFrame:
    """Return tickets per day and median first response per weekday (1=Mon), with quantiles."""
    return metrics.query(con, "weekday_profile", selection, settings)


def hour_profile(
    con: duckdb.DuckDBPyConnection, selection: metrics.Selection, settings: Settings | None = None
) -> pd.DataFrame:
    """Return tickets per hour and median first response per hour of day, with quantiles."""
    return metrics.query(con, "hour_profile", selection, settings)


def arrivals_daily(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    dimension: str = "none",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return ``day, value, created, frt_median_h`` per local day (and value of ``dimension``).

    Read once per store snapshot: the daily decomposition and its candidate
    events both start from it, and over years of tickets it is a full scan.
    """
    if dimension not in ("none", *metrics.DIMENSIONS):
        raise ValueError(f"dimension must be none or one of {metrics.DIMENSIONS}")
    # Settings reach the query through the business-hours clock and its schedules.
    key = ("arrivals_daily", selection, dimension, repr(settings))
    frame = replica.remembered(
        con,
        key,
        lambda: metrics.query(con, "arrivals_daily", selection, settings, dimension=dimension),
    )
    return frame.copy()


def arrivals_hourly(
    con: duckdb.DuckDBPyConnection, selection: metrics.Selection, settings: Settings | None = None
) -> pd.DataFrame:
    """Return ``hour, created, frt_median_h`` per local hour of the selection's last weeks.

    Only the last :data:`HOURLY_WEEKS` weeks: enough for daily and weekly
    cycles, and an hourly decomposition of years would be slow and unreadable.
    """
    start = max(selection.start, selection.end - timedelta(weeks=HOURLY_WEEKS))
    recent = metrics.Selection(**{**selection.__dict__, "start": start})
    return metrics.query(con, "arrivals_hourly", recent, settings)


def daily_decomposition(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    value: str = "created",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return :func:`decompose_daily` of the selection's daily ``created`` or ``frt_median_h``."""
    if value not in ("created", "frt_median_h"):
        raise ValueError("value must be created or frt_median_h")
    return decompose_daily(arrivals_daily(con, selection, settings=settings), value)


def hourly_decomposition(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    value: str = "created",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return :func:`decompose_hourly` of the selection's last weeks of hours."""
    if value not in ("created", "frt_median_h"):
        raise ValueError("value must be created or frt_median_h")
    return decompose_hourly(arrivals_hourly(con, selection, settings), value)


def candidate_events(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    value: str = "created",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return :func:`residual_spikes` of the daily decomposition, with the calendar's events."""
    parts = daily_decomposition(con, selection, value, settings)
    if parts.empty:
        return residual_spikes(parts)
    first, last = pd.Timestamp(parts["day"].min()).date(), pd.Timestamp(parts["day"].max()).date()
    calendar = events.events_in_range(con, first, last, selection.regions, source=selection.source)
    return residual_spikes(parts, calendar)


def decompose_daily(daily: pd.DataFrame, value: str = "created") -> pd.DataFrame:
    """Return ``day, observed, trend, weekly, annual, residual`` for a daily series.

    ``STL`` with a weekly period (robust to spikes) gives the weekly
    component, the residual and a smooth level; from two years on, the level
    is split into annual Fourier terms (a 365-day seasonal period on three
    years overfits: :func:`analytics.forecast.features.annual_fourier`) and the
    trend. An empty frame below four weeks. Missing values (days without an
    answered ticket, for first response) are interpolated for the fit and
    left missing in ``observed``.
    """
    frame = daily[["day", value]].dropna(subset=["day"]).sort_values("day")
    series = pd.Series(
        frame[value].to_numpy(dtype=float), index=pd.DatetimeIndex(pd.to_datetime(frame["day"]))
    )
    empty = pd.DataFrame(columns=["day", "observed", "trend", "weekly", "annual", "residual"])
    if len(series) < MIN_DAYS_WEEKLY or series.notna().sum() < MIN_DAYS_WEEKLY:
        return empty
    filled = series.interpolate(limit_direction="both").to_numpy()
    level, weekly, residual = _stl(filled, 7)
    annual = np.zeros(len(series))
    if len(series) >= MIN_DAYS_ANNUAL:
        annual = _annual_terms(series.index, level)
    return pd.DataFrame(
        {
            "day": series.index,
            "observed": series.to_numpy(),
            "trend": level - annual,
            "weekly": weekly,
            "annual": annual,
            "residual": residual,
        }
    )


def decompose_hourly(hourly: pd.DataFrame, value: str = "created") -> pd.DataFrame:
    """Return ``hour, observed, trend, daily, weekly, residual`` for an hourly series.

    ``STL`` (not robust) with a weekly period (168 hours) from two weeks of hours; its
    seasonal part is split into the mean hour-of-day profile (``daily``) and
    what differs between weekdays (``weekly``). Empty below two weeks.
    """
    frame = hourly[["hour", value]].sort_values("hour")
    series = pd.Series(
        frame[value].to_numpy(dtype=float), index=pd.DatetimeIndex(pd.to_datetime(frame["hour"]))
    )
    empty = pd.DataFrame(columns=["hour", "observed", "trend", "daily", "weekly", "residual"])
    if len(series) < 2 * 168 or series.notna().sum() < 2 * 168:
        return empty
    filled = series.interpolate(limit_direction="both").to_numpy()
    # Robust STL iterates 15 times; on 1,344 hours the plain fit is enough and much faster.
    trend, seasonal, residual = _stl(filled, 168, robust=False)
    by_hour = pd.Series(seasonal).groupby(series.index.hour.to_numpy()).transform("mean")
    daily = by_hour.to_numpy()
    return pd.DataFrame(
        {
            "hour": series.index,
            "observed": series.to_numpy(),
            "trend": trend,
            "daily": daily,
            "weekly": seasonal - daily,
            "residual": residual,
        }
    )


def _stl(
    values: np.ndarray, period: int, robust: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from statsmodels.tsa.seasonal import STL

    result = STL(values, period=period, robust=robust).fit()
    return np.asarray(result.trend), np.asarray(result.seasonal), np.asarray(result.resid)


def _annual_terms(days: pd.DatetimeIndex, level: np.ndarray, terms: int = 6) -> np.ndarray:
    """Return the annual Fourier part of a smooth level (a linear trend is taken out with it)."""
    fourier = annual_fourier(days, terms).to_numpy()
    x = np.column_stack([np.ones(len(days)), trend_years(days), fourier])
    beta = np.linalg.solve(x.T @ x, x.T @ level)
    return x[:, 2:] @ beta[2:]


def residual_spikes(
    decomposition: pd.DataFrame,
    events: pd.DataFrame | None = None,
    threshold: float = SPIKE_Z,
    limit: int = MAX_SPIKES,
) -> pd.DataFrame:
    """Return the days whose residual stands out: candidate events.

    Columns ``day, observed, expected, residual, score, direction, in_calendar``:
    ``score`` is the residual in robust standard deviations (median absolute
    deviation × 1.4826), kept when ``|score| >= threshold``, largest first;
    ``in_calendar`` names the calendar events covering the day, if any.
    """
    columns = ["day", "observed", "expected", "residual", "score", "direction", "in_calendar"]
    if decomposition.empty:
        return pd.DataFrame(columns=columns)
    resid = decomposition["residual"].to_numpy(dtype=float)
    centre = np.nanmedian(resid)
    mad = 1.4826 * np.nanmedian(np.abs(resid - centre))
    if not np.isfinite(mad) or mad <= 1e-9 * max(1.0, float(np.nanmax(np.abs(resid)))):
        return pd.DataFrame(columns=columns)
    score = (resid - centre) / mad
    out = pd.DataFrame(
        {
            "day": pd.to_datetime(decomposition["day"]).dt.date,
            "observed": decomposition["observed"],
            "expected": decomposition["observed"] - decomposition["residual"],
            "residual": resid,
            "score": score,
        }
    )
    out = out[np.abs(out["score"]) >= threshold].copy()
    out["direction"] = np.where(out["score"] > 0, "spike", "dip")
    out["in_calendar"] = [_covering(events, day) for day in out["day"]]
    out = out.reindex(out["score"].abs().sort_values(ascending=False).index).head(limit)
    return out[columns].reset_index(drop=True)


def _covering(events: pd.DataFrame | None, day) -> str:
    if events is None or events.empty:
        return ""
    names = []
    for row in events.itertuples():
        first = pd.Timestamp(row.starts_on).date()
        last = first if pd.isna(row.ends_on) else pd.Timestamp(row.ends_on).date()
        if first <= day <= last:
            names.append(str(row.name))
    return ", ".join(names)
