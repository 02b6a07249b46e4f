"""The day, then its hours: the hourly model call centres staff from.

A day's total is forecast from the daily totals (weekday, public holidays,
the eve before a holiday and the catch-up after it), then split by its
weekday's intraday profile. This is what the call-centre literature finds
best for arrivals (Weinberg, Brown & Stroud 2007; Shen & Huang 2008; Taylor
2008; Ibrahim et al. 2016): the day's level is uncertain and shared by all its
hours (its "busyness"), while the shape within the day is stable from week
to week.

The profile is the share of each hour in its weekday's arrivals over the
last :data:`PROFILE_WEEKS` weeks of ordinary days: holidays and the days
around them have shapes of their own and are left out.

The daily regression is robust (Huber's weights, spreads from the median
absolute deviation): a day no calendar knows, an outage or the intermediate
days of a festival, would otherwise pull the weekday effects towards it and
widen every ordinary day's interval.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from analytics.forecast.modelbase import Fit, from_normal, guarded
from analytics.forecast.opening import OPENING_WEEKS

# Weeks of ordinary days whose hours give each weekday's intraday profile: the weeks the
# opening hours are inferred from. The profile is stable from week to week, so
# more weeks mostly average out the hours' noise; four weeks scored worse than
# eight on every real hourly series of the benchmark (``benchmarks/RESULTS.md``).
PROFILE_WEEKS = OPENING_WEEKS
# Complete days the daily model needs: three weeks, so every weekday is seen three times.
MIN_DAYS = 3 * 7


def complete_days(y: pd.Series) -> tuple[np.ndarray, pd.DatetimeIndex, int]:
    """Return the complete local days of the hourly ``y`` (one row of 24 counts per day),
    their dates, and the hours of the last, incomplete day (0 when ``y`` ends at midnight)."""
    counts = y.to_numpy(dtype=float)
    hours = y.index.hour.to_numpy()
    begin = int((24 - hours[0]) % 24)  # the first midnight
    partial = int((hours[-1] + 1) % 24)
    days = counts[begin : len(counts) - partial].reshape(-1, 24)
    index = pd.date_range(y.index[begin].normalize(), periods=len(days), freq="D")
    return days, index, partial


def day_flags(holiday: pd.Series) -> pd.DataFrame:
    """Return ``holiday``, ``holiday_eve`` and ``holiday_after`` per day, from a daily 0/1
    holiday series: the eve is the ordinary day before a holiday, the catch-up the
    ordinary day after one."""
    hol = holiday.astype(float)
    before, after = hol.shift(-1, fill_value=0.0), hol.shift(1, fill_value=0.0)
    return pd.DataFrame(
        {
            "holiday": hol,
            "holiday_eve": ((before > 0) & (hol == 0)).astype(float),
            "holiday_after": ((after > 0) & (hol == 0)).astype(float),
        },
        index=holiday.index,
    )


def daily_design(x: pd.DataFrame) -> pd.DataFrame:
    """Return the per-day regressors of the hourly design ``x``: weekday dummies, events
    (a day is active if any of its hours is) and the holiday flags of :func:`day_flags`."""
    cols = [c for c in x.columns if c != "trend" and not c.startswith("hour")]
    days = x[cols].groupby(x.index.normalize()).max()
    if "holiday" in days:
        days = days.drop(columns="holiday").join(day_flags(days["holiday"]))
    return days


# The median absolute deviation of normal errors is 0.6745 of their standard deviation.
MAD_TO_SD = 1.4826


def robust_sd(e: np.ndarray) -> float:
    """Return the standard deviation of ``e`` estimated from its median absolute deviation
    (0 for fewer than two values): a day the calendar does not know, like an outage
    or an unlisted holiday, does not inflate it."""
    if len(e) < 2:
        return 0.0
    return float(MAD_TO_SD * np.median(np.abs(e - np.median(e))))


def intraday_profile(
    days: np.ndarray, index: pd.DatetimeIndex, ordinary: np.ndarray
) -> tuple[np.ndarray, float]:
    """Return each weekday's share of its arrivals by hour (7 x 24) over the last
    :data:`PROFILE_WEEKS` weeks of ``ordinary`` days, and the robust spread on log1p
    (:func:`robust_sd`) of the hours of those days split by it.

    A weekday without an ordinary day in the window takes the profile of all of them.
    """
    recent = slice(max(0, len(days) - 7 * PROFILE_WEEKS), len(days))
    keep = ordinary[recent]
    sample, weekday = days[recent][keep], index[recent][keep].day_of_week.to_numpy()
    if not len(sample):
        sample, weekday = days[recent], index[recent].day_of_week.to_numpy()
    pooled = sample.sum(axis=0) / max(sample.sum(), 1e-9)
    share = np.tile(pooled, (7, 1))
    for d in range(7):
        same = sample[weekday == d]
        if same.sum() > 0:
            share[d] = same.sum(axis=0) / same.sum()
    split = sample.sum(axis=1, keepdims=True) * share[weekday]
    busy = split > 0
    return share, robust_sd(np.log1p(sample[busy]) - np.log1p(split[busy]))


class DailyFit(NamedTuple):
    """A regression with AR(1) errors on log1p(day totals): coefficients (constant
    first), the errors' autocorrelation, their innovation variance, and the last error."""

    beta: np.ndarray
    phi: float
    sigma2: float
    last: float

    def forecast(self, xf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the mean and standard deviation of log1p(day total) for each row of ``xf``."""
        steps = np.arange(1, len(xf) + 1)
        mean = np.column_stack([np.ones(len(xf)), xf]) @ self.beta + self.phi**steps * self.last
        # Var of the error h steps ahead: sigma2 (1 + phi^2 + ... + phi^(2(h-1))).
        var = self.sigma2 * np.cumsum(self.phi ** (2 * (steps - 1)))
        return mean, np.sqrt(var)


# The errors' autocorrelation stays below 1: the forecast returns to the regression's
# level instead of drifting (a unit root on the log scale grows without bound).
MAX_PHI = 0.95
# Huber's constant: full weight within 1.345 robust standard deviations, which keeps 95%
# of least squares' efficiency on normal errors (Huber 1964; the textbook default).
HUBER_K = 1.345


def huber_weights(e: np.ndarray, scale: float) -> np.ndarray:
    """Return Huber's weights of the residuals ``e``: 1 within :data:`HUBER_K` x ``scale``,
    then falling as 1 / |e| (all 1 when ``scale`` is 0)."""
    if scale <= 0:
        return np.ones(len(e))
    r = np.abs(e) / (HUBER_K * scale)
    return np.where(r <= 1.0, 1.0, 1.0 / np.maximum(r, 1e-12))


def _ar1(u: np.ndarray, w: np.ndarray) -> float:
    """Return the weighted lag-one autocorrelation of ``u`` (weights ``w`` per day; a pair
    counts with both its days' weights), within +-:data:`MAX_PHI`."""
    pair = w[1:] * w[:-1]
    denominator = float(np.sum(pair * u[:-1] ** 2))
    if denominator <= 0:
        return 0.0
    return float(np.clip(np.sum(pair * u[1:] * u[:-1]) / denominator, -MAX_PHI, MAX_PHI))


def daily_fit(totals: np.ndarray, xd: np.ndarray) -> DailyFit:
    """Return the regression of log1p(``totals``) on ``xd`` with AR(1) errors, by iterated
    feasible GLS (Cochrane-Orcutt) with Huber's weights (four rounds of small weighted
    least-squares solves, where a state-space fit of ARMA errors took most of an hourly
    backtest's time).

    Huber's weights and the robust spread keep the days the calendar does not know
    (an outage, the intermediate days of a festival) from steering the weekday
    effects, the autocorrelation and the spread of every ordinary day.
    """
    z = np.log1p(np.asarray(totals, dtype=float))
    xc = np.column_stack([np.ones(len(z)), xd])
    w = np.ones(len(z))
    beta = np.linalg.lstsq(xc, z, rcond=None)[0]
    phi = 0.0
    for _ in range(4):
        phi = _ar1(z - xc @ beta, w)
        xs, zs = xc[1:] - phi * xc[:-1], z[1:] - phi * z[:-1]
        root = np.sqrt(w[1:])[:, None]
        beta = np.linalg.lstsq(xs * root, zs * root[:, 0], rcond=None)[0]
        innovations = zs - xs @ beta
        w = np.concatenate([[1.0], huber_weights(innovations, robust_sd(innovations))])
    u = z - xc @ beta
    innovations = u[1:] - phi * u[:-1]
    # Days that all deviate alike have no median deviation: the root mean square stands in.
    rms = float(np.sqrt(np.mean(innovations**2))) if len(innovations) else 0.0
    sd = robust_sd(innovations) or rms
    return DailyFit(beta, phi, sd**2, float(u[-1]))


@guarded
def day_split(y, x, m, fixed=None) -> Fit:
    """Forecast the days, then split each by its weekday's hourly profile (hourly only).

    The days are the complete local days of the hourly history, their log1p
    totals a regression with AR(1) errors (:func:`daily_fit`) on weekday dummies, holidays,
    their eves and catch-up days, and events (:func:`daily_design`): the errors
    carry the recent level, and a holiday's low does not drag the next day
    down as a lag would. The day of the origin, partly observed, keeps the
    forecast of its remaining hours (:mod:`analytics.forecast.sameday` updates
    it from the hours seen). Spread on log1p: the day's forecast spread and the
    spread of the split of a known day, in quadrature.
    """
    del fixed  # re-estimated at every origin: the fit is a few least-squares solves
    days, day_index, partial = complete_days(y)
    if len(days) < MIN_DAYS:
        raise ValueError("day_split needs three weeks of complete days")
    # The last day's eve flag needs tomorrow's holiday, which the training rows lack:
    # it is read as an ordinary day, the same at every origin.
    train = daily_design(x).reindex(day_index).fillna(0.0)
    cols = [c for c in train.columns if train[c].std() > 0 and train[c].sum() >= 2]
    ordinary = train.filter(like="holiday").sum(axis=1).to_numpy() == 0
    share, split_sd = intraday_profile(days, day_index, ordinary)
    res = daily_fit(days.sum(axis=1), train[cols].to_numpy())

    def predict(xf: pd.DataFrame, h: int) -> pd.DataFrame:
        n_days = int(np.ceil((partial + h) / 24))
        future = pd.date_range(day_index[-1] + pd.Timedelta(days=1), periods=n_days, freq="D")
        ahead = daily_design(pd.concat([x, xf])).reindex(future).fillna(0.0)
        day_log, day_sd = res.forecast(ahead[cols].to_numpy())
        slot = partial + np.arange(h)  # hours since the last complete day's end
        which, hour = slot // 24, slot % 24
        mean = np.expm1(day_log[which]) * share[future[which].day_of_week.to_numpy(), hour]
        return from_normal(np.log1p(mean), np.sqrt(day_sd[which] ** 2 + split_sd**2))

    return Fit(res, predict)
