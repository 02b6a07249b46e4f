"""Arrival forecasts: daily and hourly, per series, chosen by a rolling-origin backtest.

Every model works on ``log1p(count)`` (the negative-binomial GLM on counts)
and returns quantiles, back-transformed, so intervals are never negative.
Models (see ``docs/forecast.md`` for the measured accuracy and fit times):

``seasonal_naive``
    Same weekday last week (daily) or same hour last week (hourly): the
    baseline every model must beat.
``ets``
    ``ETSModel`` (additive error, damped trend, weekly season), daily only.
``sarimax``
    Regression with ARMA(1,1) errors: trend, weekday dummies, annual Fourier
    terms, public holidays of the series' region and past-event regressors.
    Daily only: hourly SARIMAX takes minutes on this machine.
``mstl``
    ``MSTL`` with daily and weekly cycles, the seasonally adjusted rest by
    simple exponential smoothing; hourly only.
``day_split``
    Hourly only: the days forecast by a daily ``AutoReg``, each split by its
    weekday's hourly profile of the last four weeks.
``nb_glm``
    Negative-binomial GLM (Poisson fit, moment dispersion, NB refit) with the
    same regressors (hour-of-week dummies hourly).
``autoreg``
    ``AutoReg`` with lags (1, 7) or (1, 2, 24, 168) and the same regressors.
``combo``
    The median, quantile by quantile, of SARIMAX (or MSTL), the GLM and AutoReg.

The choice: the lowest mean MASE over the backtest's origins, at the
requested horizon. Slow models estimate their parameters once, at the first
origin, and only re-filter the longer series at later origins.

Bounds: every model's forecast, at every backtest origin and at the end, goes
through the envelope of the history it was fitted on (:mod:`analytics.forecast.envelope`:
the recent maximum grown at the series' own trend, plus its week-to-week
spread). A forecast that is not finite, crosses the envelope, or comes from an
AR root on or inside the unit circle is rejected; interval bounds are capped.
A model rejected at a scored origin or at the end is no candidate: the next
best by backtest is used, and :attr:`SeriesForecast.note` says so. Fewer than
:data:`MIN_SEASONS` seasons of arrivals: :class:`ShortHistory`; too short for
one backtest origin at the horizon: the default model, noted as not backtested.

Example
-------
>>> fc = fit_series(y, "D", horizon=28, origins=8)  # doctest: +SKIP
>>> fc.chosen, fc.forecast.head()  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from analytics import metrics, store
from analytics.forecast.envelope import Rejected, envelope, seasonal_spread
from analytics.settings import Settings, load_settings

SPLITS = ("total", "region", "channel", "category")
FREQS = ("D", "H")
HORIZONS = {"D": (7, 90), "H": (48, 168)}
SEASON = {"D": 7, "H": 168}
# Hourly models see the last eight weeks: the intraday profile is stable and
# a longer window only slows the fits (FORECASTING.md).
HOURLY_HISTORY_H = 8 * 7 * 24
DAILY_HISTORY_D = 3 * 365 + 1
MODELS = {
    "D": ("seasonal_naive", "ets", "sarimax", "nb_glm", "autoreg", "combo", "ets_sarimax"),
    "H": ("seasonal_naive", "mstl", "nb_glm", "autoreg", "day_split", "combo"),
}
DEFAULT_MODEL = {"D": "combo", "H": "combo"}
MAX_SERIES = 12
# Event kinds that move arrivals and recur on no fixed date: each gets a
# regressor while active. "holiday" and "season" calendar rows recur on the
# same dates every year, so they are projected forward.
VOLUME_KINDS = ("interface rollout", "product launch", "marketing campaign", "outage")
RECURRING_KINDS = ("holiday", "season")
Z80, Z95 = stats.norm.ppf(0.9), stats.norm.ppf(0.975)
QUANTILES = ("lo95", "lo80", "mean", "hi80", "hi95")
# Seasons of arrivals a forecast needs: one to repeat (seasonal naive, the
# simplest model that knows the weekly cycle) and a second to measure how much
# a season differs from the one before (its interval). Every model needs at
# least that much; the regression models and the backtest need more.
MIN_SEASONS = 2


class ShortHistory(ValueError):
    """Too little history to forecast at all; the message says how much there is and
    how much is needed."""


@dataclass(frozen=True)
class PlannedEvent:
    """A future event the forecast should include.

    ``profile`` is the measured effect: the factor on arrivals for each day
    since ``start`` (1.0 = no effect), from a past event of the same kind.
    Without it, ``uplift`` (0.3 = +30%) applies from ``start`` to ``end``.
    ``region`` is a region name or ``"all"``.
    """

    name: str
    kind: str
    region: str
    start: date
    end: date
    uplift: float = 0.0
    profile: tuple[float, ...] = ()

    def factors(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Return the multiplicative effect on each of ``days`` (1 outside the event)."""
        since = (days.normalize() - pd.Timestamp(self.start)).days.to_numpy()
        if self.profile:
            prof = np.asarray(self.profile, dtype=float)
            inside = (since >= 0) & (since < len(prof))
            return np.where(inside, prof[np.clip(since, 0, len(prof) - 1)], 1.0)
        last = (pd.Timestamp(self.end) - pd.Timestamp(self.start)).days
        return np.where((since >= 0) & (since <= last), 1.0 + self.uplift, 1.0)


@dataclass
class SeriesForecast:
    """One series' history, backtest and forecast.

    ``forecast`` has ``period, mean, lo80, hi80, lo95, hi95`` for the chosen
    model (``mean`` is the point forecast: the back-transformed median);
    ``models`` the same per model; ``scores`` one row per model with ``mase``,
    ``relative_mase`` (against seasonal naive), ``smape``, ``coverage80``,
    ``coverage95`` (of the calibrated intervals, on the scored origins),
    ``fit_s``, ``raw_coverage80``, ``raw_coverage95`` (of the model's own
    intervals), ``calibrated`` (share of scored origins whose intervals had
    a calibration) and ``rejected`` (scored origins whose forecast the envelope
    rejected); ``by_horizon`` the MASE per model and step; ``predictions``
    every scored backtest forecast (``model, origin, step, actual, mean, lo80,
    hi80, lo95, hi95, calibrated``, origin = training length); ``calibration``
    the conformal factors of the final forecast (``model, factor80, factor95,
    n_errors``); ``note`` a sentence for people when the forecast is not the
    backtest's plain choice (a model rejected by its envelope, or a history too
    short to backtest), else ""; ``rejected`` the reason of each rejected model.
    """

    name: str
    freq: str
    history: pd.DataFrame
    chosen: str
    scores: pd.DataFrame
    by_horizon: pd.DataFrame
    forecast: pd.DataFrame
    models: dict[str, pd.DataFrame] = field(default_factory=dict)
    origins: int = 0
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    note: str = ""
    rejected: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Return the JSON shape of ``python -m analytics forecast --json``."""
        fmt = "%Y-%m-%d" if self.freq == "D" else "%Y-%m-%dT%H:00"
        models = {
            row.model: {
                "mase": _num(row.mase),
                "smape": _num(row.smape),
                "coverage80": _num(row.coverage80),
                "coverage95": _num(row.coverage95),
                "fit_s": _num(row.fit_s),
                "raw_coverage80": _num(row.raw_coverage80),
                "raw_coverage95": _num(row.raw_coverage95),
            }
            for row in self.scores.itertuples()
        }
        return {
            "name": self.name,
            "chosen": self.chosen,
            "note": self.note or None,
            "rejected": self.rejected,
            "models": models,
            "forecast": [
                {
                    "period": row.period.strftime(fmt),
                    **{k: round(float(getattr(row, k)), 2) for k in ("mean", *QUANTILES[:2])},
                    **{k: round(float(getattr(row, k)), 2) for k in QUANTILES[3:]},
                }
                for row in self.forecast.itertuples()
            ],
        }


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


# --- features -------------------------------------------------------------------------------


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
    origin = index[0] if origin is None else origin
    x = pd.DataFrame(index=index)
    x["trend"] = (index - origin) / pd.Timedelta(days=365.25)
    dow = index.day_of_week
    for d in range(1, 7):
        x[f"dow{d}"] = (dow == d).astype(float)
    if freq == "H":
        for h in range(1, 24):
            x[f"hour{h}"] = (index.hour == h).astype(float)
    else:
        doy = index.day_of_year.to_numpy() / 365.25
        for k in (1, 2, 3):
            x[f"sin{k}"] = np.sin(2 * np.pi * k * doy)
            x[f"cos{k}"] = np.cos(2 * np.pi * k * doy)
    if holidays:
        x["holiday"] = np.isin(index.normalize().date, list(holidays)).astype(float)
    x = x.join(event_columns(index, events))
    return x


def _usable(x: pd.DataFrame, n_train: int, freq: str = "D") -> list[str]:
    """Columns that vary in the first ``n_train`` rows (a constant one breaks the fits).

    Annual Fourier terms need two years of days and a trend half a year: on a
    shorter history they extrapolate wildly (seen on the UCI log's 98 days).
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


# --- models ---------------------------------------------------------------------------------


@dataclass
class _Fit:
    """Estimated parameters, a function predicting ``h`` steps past the end with given
    future regressors, and, for the state-space models, ``at(origin, h)``: ``h`` steps
    from an earlier origin of the same filtered series, using only data before it."""

    params: object
    predict: Callable[[pd.DataFrame, int], pd.DataFrame]
    at: Callable[[int, int], pd.DataFrame] | None = None


# The largest log1p value back-transformed: expm1 stays finite, so an explosive
# forecast is reported by how far it crossed its envelope, not as "inf".
MAX_LOG = 700.0


def _from_normal(mean_log: np.ndarray, sd_log: np.ndarray) -> pd.DataFrame:
    """Return back-transformed quantiles of a normal forecast of log1p(y)."""
    sd = np.maximum(np.asarray(sd_log, dtype=float), 1e-6)
    mean_log = np.asarray(mean_log, dtype=float)
    out = {
        "mean": mean_log,
        "lo80": mean_log - Z80 * sd,
        "hi80": mean_log + Z80 * sd,
        "lo95": mean_log - Z95 * sd,
        "hi95": mean_log + Z95 * sd,
    }
    return pd.DataFrame(
        {k: np.maximum(np.expm1(np.minimum(v, MAX_LOG)), 0.0) for k, v in out.items()}
    )


def _guarded(fitter: Callable[..., _Fit]) -> Callable[..., _Fit]:
    """Return ``fitter`` whose forecasts go through the envelope of the data they were
    fitted on (:meth:`analytics.forecast.envelope.Envelope.check`): capped, or :class:`Rejected`.

    A series shorter than :data:`MIN_SEASONS` seasons raises :class:`ShortHistory`:
    no model can say anything about it.
    """

    @functools.wraps(fitter)
    def fit(y: pd.Series, x: pd.DataFrame, m: int, fixed=None) -> _Fit:
        if len(y) < MIN_SEASONS * m:
            raise ShortHistory(f"{len(y)} periods; at least {MIN_SEASONS * m} needed")
        raw = fitter(y, x, m, fixed)
        bounds = envelope(y, m)

        def predict(xf: pd.DataFrame, h: int) -> pd.DataFrame:
            return bounds.check(raw.predict(xf, h))

        def at(start: int, h: int) -> pd.DataFrame:
            # The envelope of the data before the origin: no peeking past it.
            return envelope(y.iloc[:start], m).check(raw.at(start, h))

        return _Fit(raw.params, predict, at if raw.at is not None else None)

    return fit


def _check_roots(roots: np.ndarray, model: str) -> None:
    """Raise :class:`Rejected` when an AR root lies on or inside the unit circle: the
    forecast on the log scale then drifts or grows without bound."""
    roots = np.atleast_1d(np.asarray(roots))
    if len(roots) and (not np.isfinite(roots).all() or np.abs(roots).min() <= 1.0):
        smallest = float(np.abs(roots).min()) if np.isfinite(roots).all() else float("nan")
        raise Rejected(f"its {model} has an explosive or unit root, of modulus {smallest:.3f}")


@_guarded
def _seasonal_naive(y, x, m, fixed=None) -> _Fit:
    logy = np.log1p(y.to_numpy(dtype=float))
    sd1 = seasonal_spread(logy, m)

    def predict(_xf, h):
        steps = np.arange(h)
        base = logy[len(logy) - m + steps % m]
        return _from_normal(base, sd1 * np.sqrt(steps // m + 1))

    return _Fit(None, predict)


@_guarded
def _ets(y, x, m, fixed=None) -> _Fit:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    model = ETSModel(
        pd.Series(np.log1p(y.to_numpy(dtype=float))),
        error="add",
        trend="add",
        damped_trend=True,
        seasonal="add",
        seasonal_periods=m,
    )
    if fixed is None:
        res = model.fit(disp=False, maxiter=200)
        mse = float(res.mse)
    else:
        # The error variance is estimated with the parameters: res.mse would
        # average the residuals of the whole filtered series, later data included.
        res, mse = model.smooth(fixed[0]), fixed[1]

    def forecast(start: int, h: int) -> pd.DataFrame:
        pred = res.get_prediction(start=start, end=start + h - 1, dynamic=0)
        ratio = np.asarray(pred.var_pred_mean, dtype=float) / float(res.mse)
        return _from_normal(np.asarray(pred.predicted_mean), np.sqrt(np.maximum(ratio * mse, 0)))

    return _Fit((res.params, mse), lambda _xf, h: forecast(len(y), h), forecast)


@_guarded
def _sarimax(y, x, m, fixed=None) -> _Fit:
    # statsmodels' ARIMA is its SARIMAX state-space model; Hannan-Rissanen
    # estimates the regression with ARMA(1,1) errors by GLS in a fraction of a
    # second, where the full likelihood took minutes on this machine.
    from statsmodels.tsa.arima.model import ARIMA

    logy = np.log1p(y.to_numpy(dtype=float))
    model = ARIMA(logy, exog=x.to_numpy(), order=(1, 0, 1), trend="c")
    if fixed is None:
        res = model.fit(method="hannan_rissanen")
    else:
        # No standard errors: only forecasts are needed, and the numerical
        # Hessian cost more than the filter itself.
        res = model.filter(fixed, cov_type="none")
    _check_roots(res.arroots, "ARMA error")

    def predict(xf, h):
        fc = res.get_forecast(h, exog=xf.to_numpy())
        return _from_normal(fc.predicted_mean, np.sqrt(fc.var_pred_mean))

    def at(start: int, h: int) -> pd.DataFrame:
        # Dynamic from the origin: the filtered state there has seen only earlier data.
        fc = res.get_prediction(start=start, end=start + h - 1, dynamic=True)
        return _from_normal(fc.predicted_mean, np.sqrt(fc.var_pred_mean))

    return _Fit(res.params, predict, at)


@_guarded
def _nb_glm(y, x, m, fixed=None) -> _Fit:
    import statsmodels.api as sm

    counts = y.to_numpy(dtype=float)
    xc = sm.add_constant(x.to_numpy(), has_constant="add")
    if fixed is None:
        poisson = sm.GLM(counts, xc, family=sm.families.Poisson()).fit()
        mu = poisson.fittedvalues
        # Moment estimate of the NB2 dispersion from the Poisson fit: Var = mu + alpha mu^2.
        alpha = max(1e-4, float(np.sum(((counts - mu) ** 2 - mu) / mu**2) / len(counts)))
        nb = sm.GLM(counts, xc, family=sm.families.NegativeBinomial(alpha=alpha)).fit(
            start_params=poisson.params
        )
        params = (nb.params, alpha)
    else:
        params = fixed
    beta, alpha = params
    # The GLM has no memory: its level follows the last weeks through an offset,
    # the mean log residual of the last season (estimated on data up to the origin).
    recent = slice(max(0, len(counts) - 4 * m), len(counts))
    fitted = np.exp(np.clip(xc[recent] @ beta, -30, 30))
    offset = float(np.log((counts[recent].sum() + 1) / (fitted.sum() + 1)))

    def predict(xf, h):
        xfc = sm.add_constant(xf.to_numpy(), has_constant="add")
        mu = np.exp(np.clip(xfc @ beta + offset, -30, 30))
        n = 1.0 / alpha
        p = n / (n + mu)
        q = {
            "lo95": 0.025,
            "lo80": 0.1,
            "mean": 0.5,
            "hi80": 0.9,
            "hi95": 0.975,
        }
        out = {k: stats.nbinom.ppf(v, n, p) for k, v in q.items()}
        out["mean"] = mu
        return pd.DataFrame(out)

    return _Fit(params, predict)


@_guarded
def _autoreg(y, x, m, fixed=None) -> _Fit:
    from statsmodels.tsa.ar_model import AutoReg

    logy = np.log1p(y.to_numpy(dtype=float))
    lags = [1, 7] if m == 7 else [1, 2, 24, 168]
    model = AutoReg(logy, lags=lags, trend="c", exog=x.to_numpy())
    res = model.fit()
    _check_roots(res.roots, "AutoReg")
    sd = float(np.sqrt(res.sigma2))

    def predict(xf, h):
        n = len(logy)
        pred = res.get_prediction(start=n, end=n + h - 1, exog_oos=xf.to_numpy())
        mean = np.asarray(pred.predicted_mean)
        se = np.sqrt(np.asarray(pred.var_pred_mean)) if hasattr(pred, "var_pred_mean") else sd
        return _from_normal(mean, se)

    return _Fit(res.params, predict)


@_guarded
def _mstl(y, x, m, fixed=None) -> _Fit:
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.seasonal import MSTL

    logy = np.log1p(y.to_numpy(dtype=float))
    if fixed is None:
        dec = MSTL(pd.Series(logy), periods=(24, 168), stl_kwargs={"robust": False}).fit()
        seasonal = dec.seasonal.sum(axis=1).to_numpy()
        arma = None
    else:
        # The seasonal profile is a parameter: estimated at the first origin, then
        # its last week repeats, so a later origin needs no new decomposition.
        known, arma = fixed
        extra = np.arange(max(0, len(logy) - len(known)))
        seasonal = np.concatenate([known, known[len(known) - 168 + extra % 168]])[: len(logy)]
    # The seasonally adjusted series by simple exponential smoothing, ARIMA(0,1,1)
    # (STL plus ETS(A,N,N), as in Hyndman's stlf). An AR(1) with a constant was worse
    # than seasonal naive, and an ARMA(1,1) estimated once had cancelling roots.
    model = ARIMA(logy - seasonal, order=(0, 1, 1))
    res = model.fit() if arma is None else model.filter(arma, cov_type="none")

    def forecast(start: int, h: int, fc) -> pd.DataFrame:
        steps = np.arange(h)
        season = seasonal[start - 168 + steps % 168]
        return _from_normal(fc.predicted_mean + season, np.sqrt(fc.var_pred_mean))

    def predict(_xf, h):
        return forecast(len(logy), h, res.get_forecast(h))

    def at(start: int, h: int) -> pd.DataFrame:
        return forecast(start, h, res.get_prediction(start, start + h - 1, dynamic=True))

    return _Fit((seasonal, res.params), predict, at)


# Weeks of complete days whose hours give the intraday profile of ``day_split``.
PROFILE_WEEKS = 4


@_guarded
def _day_split(y, x, m, fixed=None) -> _Fit:
    """Forecast the days, then split each by its weekday's hourly profile (hourly only).

    The days are the complete local days of the hourly history, forecast by
    ``AutoReg`` on log1p with lags (1, 7), weekday dummies and the day's holiday
    and event indicators (the daily model of :func:`_autoreg`); each hour gets
    its day's forecast times its share of that weekday's arrivals over the last
    :data:`PROFILE_WEEKS` weeks. The day of the origin, partly observed, keeps
    the forecast of its remaining hours. Spread on log1p: the day's forecast
    spread and the in-sample spread of the split of a known day, in quadrature.
    """
    counts = y.to_numpy(dtype=float)
    hours = y.index.hour.to_numpy()
    begin = int((24 - hours[0]) % 24)  # the first midnight
    partial = int((hours[-1] + 1) % 24)  # hours of the last, incomplete day
    days = counts[begin : len(counts) - partial].reshape(-1, 24)
    day_index = pd.date_range(y.index[begin].normalize(), periods=len(days), freq="D")
    if len(days) < 3 * 7:
        raise ValueError("day_split needs three weeks of complete days")
    recent = days[-7 * PROFILE_WEEKS :]
    weekday = day_index[-len(recent) :].day_of_week.to_numpy()
    share = np.tile(recent.sum(axis=0) / max(recent.sum(), 1e-9), (7, 1))
    for d in range(7):
        same = recent[weekday == d]
        if same.sum() > 0:
            share[d] = same.sum(axis=0) / same.sum()
    # The spread of the split itself: log error of hours given their day's actual total.
    split = recent.sum(axis=1, keepdims=True) * share[weekday]
    split_sd = float(np.std(np.log1p(recent) - np.log1p(split)))

    def daily_design(xf: pd.DataFrame) -> pd.DataFrame:
        # Weekday dummies, holidays and events, per day: a day is active if any hour is.
        cols = [c for c in x.columns if c != "trend" and not c.startswith("hour")]
        both = pd.concat([x[cols], xf[cols]]) if len(xf) else x[cols]
        return both.groupby(both.index.normalize()).max()

    def predict(xf, h):
        n_days = int(np.ceil((partial + h) / 24))
        xd = daily_design(xf)
        train = xd.reindex(day_index).fillna(0.0)
        keep = [c for c in train.columns if train[c].std() > 0 and train[c].sum() >= 2]
        future = pd.date_range(day_index[-1] + pd.Timedelta(days=1), periods=n_days, freq="D")
        fit = _autoreg(pd.Series(days.sum(axis=1), index=day_index), train[keep], 7)
        day_fc = fit.predict(xd.reindex(future).fillna(0.0)[keep], n_days)
        day_log = np.log1p(day_fc["mean"].to_numpy())
        hi, lo = np.log1p(day_fc["hi95"].to_numpy()), np.log1p(day_fc["lo95"].to_numpy())
        slot = partial + np.arange(h)  # hours since the last complete day's end
        which, hour = slot // 24, slot % 24
        mean = np.expm1(day_log[which]) * share[future[which].day_of_week.to_numpy(), hour]
        sd = np.sqrt(((hi - lo)[which] / (2 * Z95)) ** 2 + split_sd**2)
        return _from_normal(np.log1p(mean), sd)

    return _Fit(None, predict)


FITTERS: dict[str, Callable] = {
    "seasonal_naive": _seasonal_naive,
    "ets": _ets,
    "sarimax": _sarimax,
    "mstl": _mstl,
    "nb_glm": _nb_glm,
    "autoreg": _autoreg,
    "day_split": _day_split,
}
USES_REGRESSORS = {"sarimax", "nb_glm", "autoreg", "day_split"}
# Combinations: name -> members, combined quantile by quantile (median; "ets_sarimax"
# is the plain mean of two, the combination the literature finds hard to beat).
COMBOS = {
    "D": {"combo": ("sarimax", "nb_glm", "autoreg"), "ets_sarimax": ("ets", "sarimax")},
    "H": {"combo": ("mstl", "nb_glm", "autoreg")},
}


def _combine(members: list[pd.DataFrame]) -> pd.DataFrame:
    """Return the members' quantiles combined one by one: the median (the mean of two)."""
    stacked = np.stack([f[list(QUANTILES)].to_numpy() for f in members])
    return pd.DataFrame(np.median(stacked, axis=0), columns=list(QUANTILES))


# --- backtest and fit -----------------------------------------------------------------------


def _scale(train: np.ndarray, m: int) -> float:
    """MASE denominator: in-sample MAE of the seasonal naive forecast, floored at a small count."""
    if len(train) <= m:
        return 1.0
    return max(float(np.mean(np.abs(train[m:] - train[:-m]))), 0.1)


def _smape(actual: np.ndarray, pred: np.ndarray) -> np.ndarray:
    denom = np.abs(actual) + np.abs(pred)
    return np.where(denom > 0, 2 * np.abs(actual - pred) / np.where(denom > 0, denom, 1), 0.0)


def origins_for(n: int, freq: str, horizon: int, count: int) -> list[int]:
    """Return the training lengths (origins) of a rolling backtest: ``count`` origins,
    one season (or a day, hourly) apart, the last one leaving ``horizon`` periods to score."""
    step = 7 if freq == "D" else 24
    last = n - horizon
    found = [last - step * k for k in range(count)]
    return sorted(o for o in found if o >= _min_training(freq))


# --- interval calibration -------------------------------------------------------------------

# Origins before the scored ones whose errors only calibrate the intervals, and the
# fewest out-of-sample errors an interval is calibrated from (fewer: the model's own).
CALIBRATION_ORIGINS = 8
MIN_CALIBRATION = 14
LEVELS = {"80": 0.8, "95": 0.95}


def _spread(pred: pd.DataFrame) -> np.ndarray:
    """Return each step's spread on the log1p scale: the model's own 95% half-width over
    z(0.975), floored by the Poisson spread of a count of that size.

    The floor keeps a model that promises a near-certain count (a GLM on a
    sparse series) from dividing the calibration scores by zero.
    """
    hi, lo = np.log1p(pred["hi95"].to_numpy()), np.log1p(pred["lo95"].to_numpy())
    own = (hi - lo) / (2 * Z95)
    poisson = 0.5 / np.sqrt(pred["mean"].to_numpy() + 1.0)
    return np.maximum(own, poisson)


def interval_scores(pred: pd.DataFrame, actual: np.ndarray) -> np.ndarray:
    """Return the nonconformity score of each step: the absolute error on the log1p
    scale over the model's spread (:func:`_spread`).

    Log1p stabilises the variance of counts (errors are roughly proportional to
    the level), and dividing by the model's spread keeps the shape of its
    interval over the horizon: normalised conformal prediction.
    """
    error = np.log1p(np.asarray(actual, dtype=float)) - np.log1p(pred["mean"].to_numpy())
    return np.abs(error) / _spread(pred)


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """Return the split-conformal quantile of ``scores``: the ceil((n + 1) level)-th
    smallest (the largest when n is too small for the level); NaN when empty."""
    scores = np.sort(np.asarray(scores, dtype=float)[np.isfinite(scores)])
    if not len(scores):
        return float("nan")
    rank = int(np.ceil((len(scores) + 1) * level))
    return float(scores[min(rank, len(scores)) - 1])


def calibrate(
    pred: pd.DataFrame, factors: Mapping[str, float], ceiling: np.ndarray | None = None
) -> pd.DataFrame:
    """Return ``pred`` with its intervals replaced by log1p(mean) ± factor x spread,
    back-transformed, floored at zero and capped at ``ceiling`` (``factors`` keyed
    "80" and "95"; ``ceiling`` one count per step, e.g. the envelope's bound ceiling).

    The point forecast is kept; the bounds stay ordered because the 95% factor
    is never below the 80% one. The cap applies on the log scale, before the
    back-transform: a large factor times a wide spread cannot overflow.
    """
    centre, spread = np.log1p(pred["mean"].to_numpy()), _spread(pred)
    top = np.log1p(ceiling) if ceiling is not None else np.full(len(pred), MAX_LOG)
    q80 = factors["80"]
    q95 = max(factors["95"], q80)
    out = pred.copy()
    for column, value in (
        ("lo80", centre - q80 * spread),
        ("hi80", centre + q80 * spread),
        ("lo95", centre - q95 * spread),
        ("hi95", centre + q95 * spread),
    ):
        out[column] = np.maximum(np.expm1(np.minimum(value, top)), 0.0)
    return out


def calibration_factors(scores: Iterable[np.ndarray]) -> dict[str, float] | None:
    """Return the conformal factors ("80", "95") from the scores of earlier origins,
    or None when they hold fewer than :data:`MIN_CALIBRATION` scores."""
    pooled = np.concatenate([np.asarray(s, dtype=float) for s in scores] or [np.array([])])
    pooled = pooled[np.isfinite(pooled)]
    if len(pooled) < MIN_CALIBRATION:
        return None
    out = {k: conformal_quantile(pooled, level) for k, level in LEVELS.items()}
    out["n"] = float(len(pooled))
    return out


# --- backtest and fit -----------------------------------------------------------------------


def _backtest_predictions(
    y: pd.Series,
    x_all: pd.DataFrame,
    freq: str,
    horizon: int,
    cuts: list[int],
    names: list[str],
    base: list[str],
    fit_s: dict[str, float],
    rejected: dict[tuple[str, int], str],
    progress: Callable[[int], None] | None = None,
) -> dict[tuple[str, int], pd.DataFrame]:
    """Return each model's uncalibrated forecast at each origin, keyed ``(model, origin)``.

    Models with estimated parameters estimate them at the first origin and
    re-filter the longer series at later ones; ``fit_s`` accumulates seconds,
    ``rejected`` collects why a forecast was rejected, keyed like the result.
    A rejected forecast is left out, of the combinations too.
    """
    m = SEASON[freq]
    out: dict[tuple[str, int], pd.DataFrame] = {}
    if not cuts:
        return out
    # Parameters are estimated at the first origin and kept while the usable
    # regressors stay the same (an event first seen later brings a re-estimate).
    params: dict[str, tuple[tuple[str, ...], object]] = {}
    filtered: dict[str, tuple[tuple[str, ...], _Fit]] = {}
    for k, cut in enumerate(cuts):
        if progress:
            progress(k)
        train = y.iloc[:cut]
        cols = _usable(x_all, cut, freq)
        xt, xf = x_all.iloc[:cut][cols], x_all.iloc[cut : cut + horizon][cols]
        preds: dict[str, pd.DataFrame | None] = {}
        for model in base:
            began = time.perf_counter()
            key = tuple(cols) if model in USES_REGRESSORS else ()
            preds[model] = None
            try:
                if model in filtered and filtered[model][0] == key:
                    preds[model] = filtered[model][1].at(cut, horizon)
                else:
                    known = params.get(model)
                    fixed = known[1] if known and known[0] == key else None
                    fit = _run(model, train, xt, m, fixed)
                    params[model] = (key, fit.params)
                    preds[model] = fit.predict(xf, horizon)
                    if fit.at is not None and cut != cuts[-1]:
                        end = cuts[-1] + horizon
                        # One filter over the series up to the last scored period,
                        # with these parameters, then serves every later origin.
                        full = _run(model, y.iloc[:end], x_all.iloc[:end][cols], m, fit.params)
                        filtered[model] = (key, full)
            except Rejected as exc:
                rejected[(model, cut)] = str(exc)
            except (ValueError, np.linalg.LinAlgError):
                pass  # the model sits this origin out; the scores count what it forecast
            fit_s[model] = fit_s.get(model, 0.0) + time.perf_counter() - began
        for combo, members in COMBOS[freq].items():
            if combo in names:
                found = [preds[p] for p in members if preds.get(p) is not None]
                preds[combo] = _combine(found) if found else None
        for model in names:
            if preds.get(model) is not None:
                out[(model, cut)] = preds[model]
    return out


def _score(
    y: pd.Series,
    freq: str,
    horizon: int,
    cuts: list[int],
    scored: list[int],
    raw: dict[tuple[str, int], pd.DataFrame],
) -> tuple[pd.DataFrame, dict[str, dict[str, float] | None]]:
    """Return the error rows of the scored origins, and each model's final calibration.

    Each scored origin's intervals are calibrated from the errors of the origins
    whose whole horizon had been observed by then (split-conformal on a rolling
    origin): no origin's interval ever uses data after it. Both the calibrated
    and the model's own intervals are scored.
    """
    m = SEASON[freq]
    values = y.to_numpy(dtype=float)
    scores = {
        key: interval_scores(pred, values[key[1] : key[1] + horizon]) for key, pred in raw.items()
    }
    models = list(dict.fromkeys(model for model, _ in raw))
    # Calibrated bounds stay within the envelope of the data before their origin.
    ceilings = {cut: envelope(values[:cut], m).bound_ceiling(horizon) for cut in scored}
    rows = []
    for cut in scored:
        actual = values[cut : cut + horizon]
        scale = _scale(values[:cut], m)
        seen = [c for c in cuts if c + horizon <= cut]
        for model in models:
            pred = raw.get((model, cut))
            if pred is None:
                continue
            factors = calibration_factors(scores[(model, c)] for c in seen if (model, c) in scores)
            cal = calibrate(pred, factors, ceilings[cut]) if factors else pred
            point = pred["mean"].to_numpy()
            frame = cal[["lo80", "hi80", "lo95", "hi95"]].assign(
                model=model,
                origin=cut,
                step=np.arange(1, horizon + 1),
                ase=np.abs(actual - point) / scale,
                smape=_smape(actual, point),
                in80=(cal["lo80"] <= actual) & (actual <= cal["hi80"]),
                in95=(cal["lo95"] <= actual) & (actual <= cal["hi95"]),
                raw_in80=(pred["lo80"] <= actual) & (actual <= pred["hi80"]),
                raw_in95=(pred["lo95"] <= actual) & (actual <= pred["hi95"]),
                actual=actual,
                mean=point,
                calibrated=factors is not None,
            )
            rows.append(frame[list(_ERROR_COLUMNS)])
    final = {
        model: calibration_factors(scores[(model, c)] for c in cuts if (model, c) in scores)
        for model in models
    }
    err = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=_ERROR_COLUMNS)
    return err, final


_ERROR_COLUMNS = (
    "model", "origin", "step", "ase", "smape", "in80", "in95", "raw_in80", "raw_in95",
    "actual", "mean", "lo80", "hi80", "lo95", "hi95", "calibrated",
)  # fmt: skip
_SCORE_COLUMNS = (
    "model", "mase", "relative_mase", "smape", "coverage80", "coverage95", "fit_s",
    "raw_coverage80", "raw_coverage95", "calibrated", "rejected",
)  # fmt: skip


def _needed(names: Iterable[str], freq: str) -> list[str]:
    """Return the fitted models ``names`` need: themselves and their combinations' members."""
    base = [n for n in names if n in FITTERS]
    for combo, members in COMBOS[freq].items():
        if combo in names:
            base = list(dict.fromkeys(base + list(members)))
    return base


def choose(scores: pd.DataFrame, available: Iterable[str] | None = None) -> str:
    """Return the model with the lowest backtest MASE, or seasonal naive unless one
    strictly beats it (ties and missing scores fall back to the baseline).

    Candidates are the models in ``available`` (default: every scored one) that
    no scored origin rejected (``rejected`` 0 when the column is there): when
    the best is not a candidate, the next best stands in.
    """
    valid = scores.dropna(subset=["mase"])
    naive = valid.loc[valid["model"] == "seasonal_naive", "mase"]
    if "rejected" in valid:
        valid = valid[valid["rejected"].fillna(0) == 0]
    if available is not None:
        valid = valid[valid["model"].isin(list(available))]
    if valid.empty or naive.empty:
        return "seasonal_naive"
    best = valid.sort_values("mase", kind="stable").iloc[0]
    return str(best["model"]) if best["mase"] < naive.iat[0] else "seasonal_naive"


def arrival_span(counts: Iterable[float]) -> int:
    """Return the periods from the first one with arrivals to the end (0 when none)."""
    values = np.asarray(list(counts), dtype=float)
    found = np.flatnonzero(values > 0)
    return int(len(values) - found[0]) if len(found) else 0


def observed_span(counts: Iterable[float], freq: str) -> int:
    """Return the periods a source's arrivals were observed: :func:`arrival_span`, less a
    trailing run of empty periods longer than a season.

    A week without a single arrival after the last one means the data stopped
    (a one-day export whose tickets were closed over the following weeks, which
    move the source's end), not a quiet week; a quiet night or weekend is history.
    """
    values = np.asarray(list(counts), dtype=float)
    found = np.flatnonzero(values > 0)
    if not len(found):
        return 0
    trailing = len(values) - 1 - found[-1]
    return arrival_span(values if trailing <= SEASON[freq] else values[: found[-1] + 1])


def shortfall(span: int, freq: str) -> str | None:
    """Return why ``span`` periods of arrivals are too few to forecast, or None when
    they are enough (:data:`MIN_SEASONS` seasons)."""
    need = MIN_SEASONS * SEASON[freq]
    if span >= need:
        return None
    unit = "day" if freq == "D" else "hour"
    have = f"{span} {unit}{'' if span == 1 else 's'} of arrivals" if span else f"no complete {unit}"
    return (
        f"Not enough history to forecast: {have} in this selection, and a forecast needs at "
        f"least {need} {unit}s (two weeks: one to repeat, one to measure how much a week "
        "differs from the one before)."
    )


def _min_training(freq: str) -> int:
    """Periods before the first backtest origin: three weeks hourly, eight weeks daily."""
    return 3 * SEASON[freq] if freq == "H" else 8 * 7


def _score_table(
    err: pd.DataFrame,
    names: list[str],
    fit_s: dict[str, float],
    n_cuts: int,
    rejected_at: dict[tuple[str, int], str],
    scored: list[int],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the scores (one row per model, :data:`_SCORE_COLUMNS`) and the MASE per step."""
    if err.empty:
        scores = pd.DataFrame({c: [np.nan] * len(names) for c in _SCORE_COLUMNS})
        scores["model"] = names
        scores["rejected"] = 0
        return scores, pd.DataFrame(columns=["model", "step", "mase"])
    scores = (
        err.groupby("model", sort=False)
        .agg(
            mase=("ase", "mean"),
            smape=("smape", "mean"),
            coverage80=("in80", "mean"),
            coverage95=("in95", "mean"),
            raw_coverage80=("raw_in80", "mean"),
            raw_coverage95=("raw_in95", "mean"),
            calibrated=("calibrated", "mean"),
        )
        .reset_index()
    )
    naive = scores.loc[scores["model"] == "seasonal_naive", "mase"]
    scores["relative_mase"] = scores["mase"] / naive.iat[0] if len(naive) else np.nan
    # Seconds per origin, calibration origins included.
    scores["fit_s"] = scores["model"].map(lambda n: fit_s.get(n, 0.0) / max(1, n_cuts))
    scores["rejected"] = scores["model"].map(lambda n: sum((n, c) in rejected_at for c in scored))
    by_horizon = err.groupby(["model", "step"], sort=False)["ase"].mean().reset_index()
    return scores[list(_SCORE_COLUMNS)], by_horizon.rename(columns={"ase": "mase"})


def _final_forecasts(
    y: pd.Series,
    x_all: pd.DataFrame,
    freq: str,
    horizon: int,
    names: list[str],
    final_cal: dict[str, dict[str, float] | None],
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Return every model's final forecast, refitted on the whole history and calibrated,
    and the reason of each model whose forecast was rejected."""
    m = SEASON[freq]
    cols = _usable(x_all, len(y), freq)
    xt, xf = x_all.iloc[: len(y)][cols], x_all.iloc[len(y) :][cols]
    ceiling = envelope(y, m).bound_ceiling(horizon)
    finals: dict[str, pd.DataFrame] = {}
    rejected: dict[str, str] = {}
    for model in _needed(names, freq):
        try:
            finals[model] = _run(model, y, xt, m, None).predict(xf, horizon)
        except Rejected as exc:
            rejected[model] = str(exc)
        except (ValueError, np.linalg.LinAlgError):
            continue
    for combo, members in COMBOS[freq].items():
        found = [finals[p] for p in members if p in finals]
        if combo in names and found:
            finals[combo] = _combine(found)
    for model, factors in final_cal.items():
        if factors and model in finals:
            finals[model] = calibrate(finals[model], factors, ceiling)
    return finals, rejected


def _calibration_frame(final_cal: Mapping[str, dict[str, float] | None]) -> pd.DataFrame:
    """Return ``model, factor80, factor95, n_errors`` of the calibrated models."""
    return pd.DataFrame(
        [
            {"model": k, "factor80": f["80"], "factor95": f["95"], "n_errors": int(f["n"])}
            for k, f in final_cal.items()
            if f
        ],
        columns=["model", "factor80", "factor95", "n_errors"],
    )


def _choice(
    scores: pd.DataFrame | None, names: list[str], finals: Mapping[str, pd.DataFrame], freq: str
) -> tuple[str, str]:
    """Return the model the backtest alone prefers and the one used: the best candidate
    with a final forecast (:func:`choose`); without scores, the default model if it
    forecast, else seasonal naive."""
    if scores is None:
        preferred = DEFAULT_MODEL[freq] if DEFAULT_MODEL[freq] in names else names[0]
        return preferred, preferred if preferred in finals else "seasonal_naive"
    return choose(scores.drop(columns="rejected")), choose(scores, available=list(finals))


def _rejections(
    final: dict[str, str], rejected_at: dict[tuple[str, int], str], scored: list[int]
) -> dict[str, str]:
    """Return one reason per rejected model: its final fit's, else its scored origins'."""
    out = dict(final)
    for model in dict.fromkeys(m for m, c in rejected_at if c in scored):
        if model not in out:
            cuts = [c for c in scored if (model, c) in rejected_at]
            out[model] = (
                f"at {len(cuts)} of {len(scored)} backtest origins, "
                f"{rejected_at[(model, cuts[-1])]}"
            )
    return out


def _note(preferred: str, chosen: str, rejected: dict[str, str], backtested: bool) -> str:
    """Return the sentence that says which models were rejected and what stands in."""
    others = [f"{model}, {why}" for model, why in rejected.items() if model != preferred]
    parts = []
    if preferred != chosen and preferred in rejected:
        if chosen == "seasonal_naive":
            instead = "the baseline" + (", which nothing else beat" if backtested else "")
        else:
            instead = "the next best in the backtest"
        parts.append(f"{preferred} rejected: {rejected[preferred]}. Using {chosen}, {instead}.")
    if others:
        parts.append(f"{'Also rejected' if parts else 'Rejected, not used'}: {'; '.join(others)}.")
    return " ".join(parts)


def _not_backtested(
    y: pd.Series, freq: str, horizon: int, name: str, future_index: pd.DatetimeIndex, x_all
) -> SeriesForecast:
    """Return the forecast of a history too short for one backtest origin, with a note.

    It is the default model (:data:`DEFAULT_MODEL`, the one the backtests on
    real desks choose most: ``benchmarks/bench_forecast.py``), within the
    envelope like every forecast, its intervals uncalibrated; seasonal naive
    when the default is rejected.
    """
    unit = "day" if freq == "D" else "hour"
    need = _min_training(freq) + horizon
    names = ["seasonal_naive", DEFAULT_MODEL[freq]]
    finals, rejected = _final_forecasts(y, x_all, freq, horizon, names, {})
    chosen = DEFAULT_MODEL[freq] if DEFAULT_MODEL[freq] in finals else "seasonal_naive"
    finals = {k: v.assign(period=future_index)[["period", *_ORDER]] for k, v in finals.items()}
    what = (
        f"the default model ({chosen}), with uncalibrated intervals"
        if chosen != "seasonal_naive"
        else "the seasonal naive forecast (the last week repeated)"
    )
    note = (
        f"Not backtested: {len(y)} {unit}s of history, and a backtest {horizon} {unit}s ahead "
        f"needs {need} ({_min_training(freq)} to fit, {horizon} to score). This is {what}, "
        "not a model chosen by its accuracy on this series."
    )
    scores, by_horizon = _score_table(pd.DataFrame(), names, {}, 0, {}, [])
    return SeriesForecast(
        name=name,
        freq=freq,
        history=pd.DataFrame({"period": y.index, "created": y.to_numpy()}),
        chosen=chosen,
        scores=scores,
        by_horizon=by_horizon,
        forecast=finals[chosen],
        models={k: v for k, v in finals.items() if k in names},
        predictions=pd.DataFrame(columns=list(_PREDICTION_COLUMNS)),
        calibration=_calibration_frame({}),
        note=note,
        rejected=rejected,
    )


def fit_series(
    y: pd.Series,
    freq: str,
    horizon: int,
    origins: int = 8,
    *,
    holidays: set[date] = frozenset(),
    events: pd.DataFrame | None = None,
    name: str = "total",
    models: Iterable[str] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> SeriesForecast:
    """Backtest every model on ``y`` (a count series with a regular DatetimeIndex), choose
    one, and forecast ``horizon`` periods past the end with calibrated intervals.

    ``origins`` scored origins, preceded by up to :data:`CALIBRATION_ORIGINS`
    more whose errors only calibrate the intervals. ``origins`` = 0 skips the
    scored backtest and uses :data:`DEFAULT_MODEL`, its intervals calibrated on
    the calibration origins alone (the others keep their own). Models
    only ever see data up to their origin, and so do the calibrations; the
    slow ones estimate parameters at the first origin and re-filter the longer
    series at the later ones. Seasonal naive is always backtested: it is the
    fallback when no model beats it.

    Every forecast stays within the envelope of its history (see the module
    docstring); a rejected model gives way to the next best, and ``note`` says
    so. Raises :class:`ShortHistory` below :data:`MIN_SEASONS` seasons of
    arrivals; a history too short for one backtest origin at ``horizon`` gets
    the default model's forecast, noted as not backtested.
    """
    if freq not in FREQS:
        raise ValueError(f"freq must be D or H, not {freq!r}")
    y = y.astype(float)
    short = shortfall(arrival_span(y), freq)
    if short:
        raise ShortHistory(short)
    names = [n for n in (models or MODELS[freq]) if n in MODELS[freq]]
    names = list(dict.fromkeys(["seasonal_naive", *names]))
    step = pd.Timedelta(days=1) if freq == "D" else pd.Timedelta(hours=1)
    future_index = pd.date_range(y.index[-1] + step, periods=horizon, freq=step)
    x_all = design(y.index.append(future_index), freq, holidays, events, origin=y.index[0])
    if not origins_for(len(y), freq, horizon, 1):
        return _not_backtested(y, freq, horizon, name, future_index, x_all)
    cuts = origins_for(len(y), freq, horizon, origins + CALIBRATION_ORIGINS)
    scored = cuts[-origins:] if origins else []
    # Without a scored backtest, the default model alone still runs the calibration
    # origins, so that its intervals are calibrated too (about a second more).
    tested = names if origins else [n for n in names if n == DEFAULT_MODEL[freq]]
    fit_s: dict[str, float] = {}
    rejected_at: dict[tuple[str, int], str] = {}
    total = len(cuts) + 1

    def tick(k: int) -> None:
        if progress:
            progress(k / total, f"{name}: backtest origin {k + 1} of {len(cuts)}")

    raw = _backtest_predictions(
        y, x_all, freq, horizon, cuts, tested, _needed(tested, freq), fit_s, rejected_at, tick
    )
    for combo, members in COMBOS[freq].items():
        fit_s[combo] = sum(fit_s.get(p, 0.0) for p in members)
    err, final_cal = _score(y, freq, horizon, cuts, scored, raw)
    scores, by_horizon = _score_table(err, names, fit_s, len(cuts), rejected_at, scored)

    if progress:
        progress(len(cuts) / total, f"{name}: fitting the final model")
    # The final forecast refits on the whole history (every model, for display).
    finals, final_rejected = _final_forecasts(y, x_all, freq, horizon, names, final_cal)
    rejected = _rejections(final_rejected, rejected_at, scored)
    preferred, chosen = _choice(scores if len(err) else None, names, finals, freq)
    finals = {k: v.assign(period=future_index)[["period", *_ORDER]] for k, v in finals.items()}
    if progress:
        progress(1.0, f"{name}: done")
    return SeriesForecast(
        name=name,
        freq=freq,
        history=pd.DataFrame({"period": y.index, "created": y.to_numpy()}),
        chosen=chosen,
        scores=scores.reset_index(drop=True),
        by_horizon=by_horizon,
        forecast=finals[chosen],
        models={k: v for k, v in finals.items() if k in names},
        origins=len(scored),
        predictions=err[list(_PREDICTION_COLUMNS)],
        calibration=_calibration_frame(final_cal),
        note=_note(preferred, chosen, rejected, not err.empty),
        rejected=rejected,
    )


_ORDER = ("mean", "lo80", "hi80", "lo95", "hi95")
_PREDICTION_COLUMNS = (
    "model", "origin", "step", "actual", "mean", "lo80", "hi80", "lo95", "hi95", "calibrated",
)  # fmt: skip


def _run(model: str, y: pd.Series, x: pd.DataFrame, m: int, fixed) -> _Fit:
    with warnings.catch_warnings():
        # Convergence chatter from statsmodels on short or flat series; the
        # backtest scores say whether the fit is any good.
        warnings.simplefilter("ignore")
        xm = x if model in USES_REGRESSORS else x.iloc[:, :0]
        # Parameters estimated at the first origin fit only its columns. (A truth
        # test on the parameter array raised here, so every origin but the first
        # used to drop these models from the backtest.)
        if fixed is not None and model in ("sarimax", "nb_glm"):
            size = len(np.atleast_1d(fixed[0] if model == "nb_glm" else fixed))
            if size != _n_params(model, xm):
                fixed = None
        return FITTERS[model](y, xm, m, fixed)


def _n_params(model: str, x: pd.DataFrame) -> int:
    return x.shape[1] + 1 + (3 if model == "sarimax" else 0)


# --- planned events -------------------------------------------------------------------------


def with_events(
    fc: SeriesForecast,
    planned: Iterable[PlannedEvent],
    region_shares: Mapping[str, float] | None = None,
    split: str = "total",
) -> pd.DataFrame:
    """Return ``fc.forecast`` with the planned events' effects multiplied in.

    An event of one region moves that region's series fully, and any other
    series (the total, a channel, a category) by the region's share of it.
    """
    out = fc.forecast.copy()
    factor = np.ones(len(out))
    days = pd.DatetimeIndex(out["period"])
    for event in planned:
        if event.region in ("all", "", None):
            share = 1.0
        elif split == "region":
            share = 1.0 if fc.name == event.region else 0.0
        else:
            share = (region_shares or {}).get(event.region, 0.0)
        factor *= 1.0 + share * (event.factors(days) - 1.0)
    for column in _ORDER:
        out[column] = out[column] * factor
    return out


def event_profiles(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[float, ...]]:
    """Return saved arrival-effect profiles of past events, keyed on ``(kind, region)``.

    Each profile is the factor on arrivals for each day since the event's start,
    as the event-impact analysis saved it (``event_effects`` and
    ``event_effect_profile``, latest estimate, intervention model first).
    Empty when nothing was saved or the store predates those tables.
    """
    with con.cursor() as cur:
        tables = {
            r[0]
            for r in cur.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        if not {"event_effects", "event_effect_profile"} <= tables:
            return {}
        rows = cur.execute(store.load_sql("event_effect_profiles")).fetchall()
    profiles: dict[tuple[str, str], list[float]] = {}
    for kind, region, offset, factor in rows:
        profile = profiles.setdefault((kind, region or "all"), [])
        # Days missing from a saved profile carry no effect.
        while len(profile) < int(offset):
            profile.append(1.0)
        profile.append(max(0.0, float(factor)))
    return {k: tuple(v) for k, v in profiles.items()}


def profile_for(
    profiles: Mapping[tuple[str, str], tuple[float, ...]], kind: str, region: str
) -> tuple[float, ...]:
    """Return the saved profile for an event of ``kind`` in ``region`` (or any region)."""
    if (kind, region) in profiles:
        return profiles[(kind, region)]
    for (k, _r), profile in profiles.items():
        if k == kind:
            return profile
    return ()


# --- the store ------------------------------------------------------------------------------


def history_selection(
    con: duckdb.DuckDBPyConnection, selection: metrics.Selection, freq: str
) -> metrics.Selection:
    """Return ``selection`` widened to the history a forecast needs, ending where it ends."""
    span = metrics.source_span(con, selection.source)
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


def history(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    freq: str = "D",
    by: str = "total",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return ``period, series, created, resolved`` for the forecast's history window."""
    if by not in SPLITS:
        raise ValueError(f"by must be one of {SPLITS}, not {by!r}")
    wide = history_selection(con, selection, freq)
    if wide.end <= wide.start:
        return pd.DataFrame(columns=["period", "series", "created", "resolved"])
    grain = "hour" if freq == "H" else "day"
    return metrics.query(con, "arrivals_by", wide, settings, dimension=by, grain=grain)


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
    with con.cursor() as cur:
        frame = cur.execute(store.load_sql("events_in_range"), {
            "first_day": date(1900, 1, 1), "last_day": date(2999, 12, 31), "regions": [],
            "source": source,
        }).df()  # fmt: skip
    if by == "region" and series != "total":
        frame = frame[frame["region"].isin(["all", series])]
    elif by == "total" or series == "total":
        pass
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
    by: str = "total",
    name: str = "total",
    backtest: int = 8,
    settings: Settings | None = None,
) -> SeriesForecast | None:
    """Return the forecast of one series of the selection (None when its history is too
    short: :func:`history_shortfall` says why).

    The history runs up to the selection's end (up to 3 years daily, 8 weeks
    hourly), whatever the period's start: a forecast "as of" a past date only
    ever sees what was known then.
    """
    settings = settings or load_settings()
    everything = history(con, selection, freq, by, settings)
    frame = everything[everything["series"] == name]
    if _source_shortfall(everything, freq) or shortfall(arrival_span(frame["created"]), freq):
        return None
    y = pd.Series(
        frame["created"].to_numpy(dtype=float),
        index=pd.DatetimeIndex(frame["period"]).tz_localize(None),
    )
    y = y.asfreq("D" if freq == "D" else "h", fill_value=0.0)
    lo, hi = HORIZONS[freq]
    horizon = int(min(max(horizon, lo), hi))
    first, last = y.index[0].date(), (y.index[-1] + pd.Timedelta(days=horizon + 1)).date()
    fc = fit_series(
        y,
        freq,
        horizon,
        backtest,
        holidays=series_holidays(settings, name, by, first, last),
        events=calendar_events(con, name, by, selection.source),
        name=name,
    )
    resolved = frame["resolved"].to_numpy(dtype=float)
    fc.history["resolved"] = resolved[-len(fc.history) :]
    return fc


def history_shortfall(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    freq: str = "D",
    settings: Settings | None = None,
) -> str | None:
    """Return why the selection's total is too short to forecast (how much history it
    has, how much a forecast needs), or None when it is long enough."""
    return _source_shortfall(history(con, selection, freq, "total", settings), freq)


def _source_shortfall(frame: pd.DataFrame, freq: str) -> str | None:
    """Return :func:`shortfall` of the observed span of the total in a history frame."""
    return shortfall(observed_span(frame.loc[frame["series"] == "total", "created"], freq), freq)


def region_shares(
    con: duckdb.DuckDBPyConnection, selection: metrics.Selection, settings: Settings | None = None
) -> dict[str, float]:
    """Return each region's share of arrivals over the last 28 days of history."""
    frame = history(con, selection, "D", "region", settings)
    recent = frame[frame["period"] >= frame["period"].max() - pd.Timedelta(days=27)]
    per = recent[recent["series"] != "total"].groupby("series")["created"].sum()
    total = per.sum()
    return {k: float(v / total) for k, v in per.items()} if total else {}


# --- surges ---------------------------------------------------------------------------------


def normal_capacity(fc: SeriesForecast, past_periods: int = 0) -> np.ndarray:
    """Return what the team resolves in a normal period, for each forecast period
    (or, with ``past_periods``, for that many last periods of history instead).

    The median resolved count of the same weekday (daily) or hour of week
    (hourly) over the last eight weeks of history.
    """
    hist = fc.history.tail(8 * SEASON[fc.freq]).copy()
    if "resolved" not in hist:
        hist["resolved"] = hist["created"]
    period = pd.DatetimeIndex(hist["period"])
    slot = period.day_of_week if fc.freq == "D" else period.day_of_week * 24 + period.hour
    normal = hist.groupby(np.asarray(slot))["resolved"].median()
    future = pd.DatetimeIndex(fc.forecast["period"])
    if past_periods:
        future = pd.DatetimeIndex(fc.history["period"])[-past_periods:]
    fslot = future.day_of_week if fc.freq == "D" else future.day_of_week * 24 + future.hour
    return normal.reindex(np.asarray(fslot)).fillna(hist["resolved"].median()).to_numpy()


def surges(
    fc: SeriesForecast,
    forecast: pd.DataFrame | None = None,
    margin: float = 0.2,
    target_hours: float = 6.0,
    open_backlog: float = 0.0,
) -> pd.DataFrame:
    """Return the surges of one series: runs of periods whose expected arrivals exceed
    normal capacity by ``margin``, or whose simulated backlog waits beyond ``target_hours``.

    Arrivals and capacity are compared over a trailing week (daily) or day
    (hourly). Columns: ``series, start, end, peak_period, expected`` and
    ``capacity`` (per period, over the peak's window), ``excess_pct``,
    ``max_wait_h``, ``confidence`` (forecast probability that the peak window
    exceeds the threshold) and ``reason``.
    """
    forecast = fc.forecast if forecast is None else forecast
    capacity = normal_capacity(fc)
    mean = forecast["mean"].to_numpy()
    # Compared over a trailing week (daily) or day (hourly), so that a weekend
    # the desk always works through on Monday is not a surge.
    window = 7 if fc.freq == "D" else 24
    past = fc.history["created"].to_numpy(dtype=float)[-(window - 1) :]
    past_cap = normal_capacity(fc, past_periods=window - 1)
    arrived = np.convolve(np.concatenate([past, mean]), np.ones(window), "valid")
    usual = np.convolve(np.concatenate([past_cap, capacity]), np.ones(window), "valid")
    over = arrived > usual * (1 + margin)
    # Spread of the window's sum: the forecast days' variances (from the 80% band) add up.
    sd_day = (forecast["hi80"].to_numpy() - forecast["lo80"].to_numpy()) / (2 * Z80)
    var = np.convolve(np.concatenate([np.zeros(window - 1), sd_day**2]), np.ones(window), "valid")
    prob = 1 - stats.norm.cdf((usual * (1 + margin) - arrived) / np.sqrt(np.maximum(var, 1e-9)))
    # Waits behind the backlog, FIFO at normal capacity, from eight weeks back: the
    # worst wait of those normal weeks is what the desk lives with.
    hours_per_period = 24.0 if fc.freq == "D" else 1.0
    lookback = 8 * SEASON[fc.freq]
    hist = fc.history["created"].to_numpy(dtype=float)[-lookback:]
    caps = np.concatenate([normal_capacity(fc, past_periods=len(hist)), capacity])
    per_period = max(float(np.mean(caps)), 1e-9)
    backlog, waits = float(open_backlog), []
    for a, c in zip(np.concatenate([hist, mean]), caps, strict=True):
        backlog = max(0.0, backlog + a - c)
        waits.append(backlog / per_period * hours_per_period)
    waits = np.asarray(waits)
    normal_wait = float(waits[: len(hist)].max()) if len(hist) else 0.0
    waits = waits[len(hist) :]
    late = waits > max(target_hours, normal_wait)
    flag = over | late
    rows = []
    i = 0
    periods = pd.DatetimeIndex(forecast["period"])
    while i < len(flag):
        if not flag[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(flag) and flag[j + 1]:
            j += 1
        run = slice(i, j + 1)
        peak = i + int(np.argmax(arrived[run] / np.maximum(usual[run], 1e-9)))
        rows.append(
            {
                "series": fc.name,
                "start": periods[i],
                "end": periods[j],
                "peak_period": periods[peak],
                "expected": float(arrived[peak] / window),
                "capacity": float(usual[peak] / window),
                "excess_pct": float(100 * (arrived[peak] / max(usual[peak], 1e-9) - 1)),
                "max_wait_h": float(waits[run].max()),
                "confidence": float(prob[peak]) if over[peak] else float(over[run].mean()),
                "per": "a day in the week" if fc.freq == "D" else "an hour in the day",
                "reason": "arrivals above capacity" if over[run].any() else "backlog beyond target",
            }
        )
        i = j + 1
    columns = ["series", "start", "end", "peak_period", "expected", "capacity", "excess_pct",
               "max_wait_h", "confidence", "per", "reason"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def describe_surge(row) -> str:
    """Return one line: when, where, how big, how sure."""
    fmt = "%a %d %b" if row.per.endswith("week") else "%a %d %b %H:00"
    when = f"{row.start:{fmt}}" + (f" to {row.end:{fmt}}" if row.end != row.start else "")
    if row.reason != "arrivals above capacity":
        return (
            f"{when}, {row.series}: at the usual resolution pace the backlog makes new "
            f"tickets wait up to {row.max_wait_h:,.0f} h, beyond the target and the worst "
            "of the last eight weeks"
        )
    return (
        f"{when}, {row.series}: about {row.expected:,.0f} tickets {row.per} to "
        f"{row.peak_period:{fmt}} against {row.capacity:,.0f} usually resolved "
        f"({row.excess_pct:+.0f}%), {row.confidence:.0%} likely"
    )


def next_surge(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    margin: float = 0.2,
    horizon: int = 28,
    settings: Settings | None = None,
) -> str | None:
    """Return the overview's one line about the next daily surge of the total, or None.

    Uses the default model without a backtest, so it costs one fit.
    """
    settings = settings or load_settings()
    fc = forecast_series(con, selection, "D", horizon, "total", "total", 0, settings)
    if fc is None:
        return None
    found = surges(fc, margin=margin, target_hours=settings.sla_target_hours * 4)
    found = found[found["reason"] == "arrivals above capacity"]
    if found.empty:
        return None
    return describe_surge(found.iloc[0])
