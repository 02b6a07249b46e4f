"""The regressors of every arrival model: trend, calendar terms, holidays and events.

One source for the forecast's models (:func:`design`), the measured impact of
an event (:mod:`analytics.forecast.impact`) and the seasonal decomposition
(:mod:`analytics.seasonality`), so that a weekday or an annual cycle means the
same thing in all three.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

ANNUAL_TERMS = 3


def trend_years(index: pd.DatetimeIndex, origin: pd.Timestamp | None = None) -> np.ndarray:
    """Return the years since ``origin`` (default: the first period) of each period."""
    origin = index[0] if origin is None else origin
    return np.asarray((index - origin) / pd.Timedelta(days=365.25), dtype=float)


def weekday_columns(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Return the dummies ``dow1`` .. ``dow6`` (Tuesday to Sunday; Monday is the base)."""
    dow = index.day_of_week
    return pd.DataFrame({f"dow{d}": (dow == d).astype(float) for d in range(1, 7)}, index=index)


def annual_fourier(index: pd.DatetimeIndex, terms: int = ANNUAL_TERMS) -> pd.DataFrame:
    """Return ``sin1, cos1, ...`` up to ``terms`` pairs: the annual cycle by day of year.

    Fourier pairs rather than a 365-day seasonal period: a few smooth terms
    fit a yearly shape from two or three years of days, where a seasonal
    period of 365 overfits them (Hyndman & Athanasopoulos, *Forecasting:
    Principles and Practice*, 3rd ed., 2021, section 12.1).
    """
    doy = index.day_of_year.to_numpy() / 365.25
    out = pd.DataFrame(index=index)
    for k in range(1, terms + 1):
        out[f"sin{k}"] = np.sin(2 * np.pi * k * doy)
        out[f"cos{k}"] = np.cos(2 * np.pi * k * doy)
    return out


def calendar_design(
    index: pd.DatetimeIndex,
    freq: str = "D",
    origin: pd.Timestamp | None = None,
    terms: int = ANNUAL_TERMS,
) -> pd.DataFrame:
    """Return ``trend`` (years since ``origin``), the weekday dummies, then the hour-of-day
    dummies (hourly) or ``terms`` annual Fourier pairs (daily)."""
    x = pd.DataFrame(index=index)
    x["trend"] = trend_years(index, origin)
    for name, column in weekday_columns(index).items():
        x[name] = column.to_numpy()
    if freq == "H":
        for h in range(1, 24):
            x[f"hour{h}"] = (index.hour == h).astype(float)
        return x
    for name, column in annual_fourier(index, terms).items():
        x[name] = column.to_numpy()
    return x


# Event kinds that move arrivals and recur on no fixed date: each gets a
# regressor while active. "holiday" and "season" calendar rows recur on the
# same dates every year, so they are projected forward.
VOLUME_KINDS = ("interface rollout", "product launch", "marketing campaign", "outage")
RECURRING_KINDS = ("holiday", "season")


def holiday_calendar(countries: Iterable[str], first: date, last: date) -> dict[date, str]:
    """Return the holidays of ``countries`` between two dates, with their names.

    A code is an ISO country code (its public holidays), optionally followed by
    extra categories of the ``holidays`` package: ``"BR:optional"`` adds
    Brazil's optional days (Carnival, Corpus Christi), which most employers
    there observe. Unknown countries and categories a country lacks are skipped.
    """
    import holidays as holiday_calendars

    years = range(first.year, last.year + 1)
    out: dict[date, str] = {}
    for code in countries:
        country, _, extra = code.partition(":")
        try:
            supported = holiday_calendars.country_holidays(country).supported_categories
            wanted = ("public", *(c for c in extra.split("+") if c and c in supported))
            found = holiday_calendars.country_holidays(country, years=years, categories=wanted)
        except NotImplementedError:
            continue
        out.update((day, name) for day, name in found.items() if first <= day <= last)
    return out


def holiday_days(countries: Iterable[str], first: date, last: date) -> set[date]:
    """Return the days of :func:`holiday_calendar` (ISO codes, ``"BR:optional"``)."""
    return set(holiday_calendar(countries, first, last))


def event_columns(index: pd.DatetimeIndex, events: pd.DataFrame | None) -> pd.DataFrame:
    """Return one 0/1 column per volume-event kind (active days) and per recurring event.

    Recurring ("holiday", "season") events are repeated on the same month and
    day in every year of ``index``, so a Christmas dip seen once is expected again.
    """
    out = pd.DataFrame(index=index)
    if events is None or events.empty:
        return out
    days = index.normalize()
    for kind in VOLUME_KINDS:
        rows = events[events["kind"] == kind]
        if rows.empty:
            continue
        active = np.zeros(len(index))
        for row in rows.itertuples():
            start, end = pd.Timestamp(row.starts_on), pd.Timestamp(row.ends_on or row.starts_on)
            active = np.maximum(active, ((days >= start) & (days <= end)).astype(float))
        out[f"event_{kind}"] = active
    recurring = events[events["kind"].isin(RECURRING_KINDS)]
    for name, rows in recurring.groupby(
        recurring["name"].str.replace(r"\s*\d{4}$", "", regex=True)
    ):
        mask = np.zeros(len(index), dtype=bool)
        for row in rows.itertuples():
            start, end = pd.Timestamp(row.starts_on), pd.Timestamp(row.ends_on or row.starts_on)
            for year in range(index.min().year - 1, index.max().year + 1):
                shift = year - start.year
                lo, hi = start + pd.DateOffset(years=shift), end + pd.DateOffset(years=shift)
                mask |= (days >= lo) & (days <= hi)
        out[f"recurring_{name}"] = mask.astype(float)
    return out


def design(
    index: pd.DatetimeIndex,
    freq: str,
    holidays: set[date] = frozenset(),
    events: pd.DataFrame | None = None,
    origin: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Return the regressors shared by SARIMAX, the GLM and AutoReg for ``index``.

    Trend (years since ``origin``), weekday dummies (daily) or hour-of-day and
    weekday dummies (hourly), three annual Fourier pairs (daily), a holiday
    indicator and the event columns.
    """
    x = calendar_design(index, freq, index[0] if origin is None else origin)
    if holidays:
        x["holiday"] = np.isin(index.normalize().date, list(holidays)).astype(float)
    x = x.join(event_columns(index, events))
    return x


def usable_columns(x: pd.DataFrame, n_train: int, freq: str = "D") -> list[str]:
    """Return the columns of ``x`` that vary in its first ``n_train`` rows (a constant
    one breaks the fits).

    Annual Fourier terms need two years of days and a trend half a year: on a
    shorter history they extrapolate wildly.
    """
    train = x.iloc[:n_train]
    days = n_train if freq == "D" else n_train / 24
    out = []
    for c in x.columns:
        if c.startswith(("sin", "cos")) and days < 730:
            continue
        if c == "trend":
            if days >= 182:
                out.append(c)
            continue
        # An indicator needs two active periods; the Fourier terms (which sum to
        # about zero, so a count test dropped them at random origins) only variation.
        indicator = not c.startswith(("sin", "cos"))
        if train[c].std() > 0 and (not indicator or train[c].sum() >= 2):
            out.append(c)
    return out


def calendar_holidays(
    calendar: pd.DataFrame, region: str, days: pd.DatetimeIndex, exclude: int | None = None
) -> pd.Series:
    """Return True on the ``days`` covered by a "holiday" row of ``calendar`` for ``region``
    (or all regions), leaving out the event ``exclude`` (an ``event_id``).

    The measured impact of an event reads the holidays of its own calendar: they
    are the days the people who run that desk marked, in the event's region.
    """
    mask = pd.Series(False, index=days)
    hol = calendar[
        (calendar["kind"] == "holiday")
        & (calendar["event_id"] != exclude)
        & ((calendar["region"] == "all") | (calendar["region"] == region))
    ]
    for row in hol.itertuples():
        first = pd.Timestamp(row.starts_on)
        last = pd.Timestamp(row.ends_on) if not pd.isna(row.ends_on) else first
        mask[(days >= first) & (days <= last)] = True
    return mask
