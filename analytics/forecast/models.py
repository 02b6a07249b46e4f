"""The forecasting models: each fits ``y`` and returns quantiles of ``h`` steps ahead.

Every model works on ``log1p(count)`` (the negative-binomial GLM on counts)
and returns quantiles, back-transformed, so intervals are never negative.
Every forecast goes through the envelope of the history it was fitted on
(:mod:`analytics.forecast.envelope`): capped, or :class:`Rejected`.

``seasonal_naive``
    Same weekday last week (daily) or same hour last week (hourly): the
    baseline every model must beat.
``ets``
    ``ETSModel`` (additive error, damped trend, weekly season), daily only.
``sarimax``
    Regression with ARMA(1,1) errors: trend, weekday dummies, annual Fourier
    terms, public holidays of the series' region and past-event regressors.
    Daily only: on hourly series its fit is too slow to backtest.
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
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analytics.forecast.envelope import Rejected, envelope, seasonal_spread
from analytics.forecast.series import MIN_SEASONS, QUANTILES, Z80, Z95, ShortHistory


@dataclass
class Fit:
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


def _guarded(fitter: Callable[..., Fit]) -> Callable[..., Fit]:
    """Return ``fitter`` whose forecasts go through the envelope of the data they were
    fitted on (:meth:`analytics.forecast.envelope.Envelope.check`): capped, or :class:`Rejected`.

    A series shorter than :data:`MIN_SEASONS` seasons raises :class:`ShortHistory`:
    no model can say anything about it.
    """

    @functools.wraps(fitter)
    def fit(y: pd.Series, x: pd.DataFrame, m: int, fixed=None) -> Fit:
        if len(y) < MIN_SEASONS * m:
            raise ShortHistory(f"{len(y)} periods; at least {MIN_SEASONS * m} needed")
        raw = fitter(y, x, m, fixed)
        bounds = envelope(y, m)

        def predict(xf: pd.DataFrame, h: int) -> pd.DataFrame:
            return bounds.check(raw.predict(xf, h))

        def at(start: int, h: int) -> pd.DataFrame:
            # The envelope of the data before the origin: no peeking past it.
            return envelope(y.iloc[:start], m).check(raw.at(start, h))

        return Fit(raw.params, predict, at if raw.at is not None else None)

    return fit


def _check_roots(roots: np.ndarray, model: str) -> None:
    """Raise :class:`Rejected` when an AR root lies on or inside the unit circle: the
    forecast on the log scale then drifts or grows without bound."""
    roots = np.atleast_1d(np.asarray(roots))
    if len(roots) and (not np.isfinite(roots).all() or np.abs(roots).min() <= 1.0):
        smallest = float(np.abs(roots).min()) if np.isfinite(roots).all() else float("nan")
        raise Rejected(f"its {model} has an explosive or unit root, of modulus {smallest:.3f}")


@_guarded
def _seasonal_naive(y, x, m, fixed=None) -> Fit:
    logy = np.log1p(y.to_numpy(dtype=float))
    sd1 = seasonal_spread(logy, m)

    def predict(_xf, h):
        steps = np.arange(h)
        base = logy[len(logy) - m + steps % m]
        return _from_normal(base, sd1 * np.sqrt(steps // m + 1))

    return Fit(None, predict)


@_guarded
def _ets(y, x, m, fixed=None) -> Fit:
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

    return Fit((res.params, mse), lambda _xf, h: forecast(len(y), h), forecast)


@_guarded
def _sarimax(y, x, m, fixed=None) -> Fit:
    # statsmodels' ARIMA is its SARIMAX state-space model; Hannan-Rissanen
    # estimates the regression with ARMA(1,1) errors by GLS, far faster than
    # maximising the full likelihood.
    from statsmodels.tsa.arima.model import ARIMA

    logy = np.log1p(y.to_numpy(dtype=float))
    model = ARIMA(logy, exog=x.to_numpy(), order=(1, 0, 1), trend="c")
    if fixed is None:
        res = model.fit(method="hannan_rissanen")
    else:
        # No standard errors: only forecasts are needed, and the numerical
        # Hessian costs more than the filter itself.
        res = model.filter(fixed, cov_type="none")
    _check_roots(res.arroots, "ARMA error")

    def predict(xf, h):
        fc = res.get_forecast(h, exog=xf.to_numpy())
        return _from_normal(fc.predicted_mean, np.sqrt(fc.var_pred_mean))

    def at(start: int, h: int) -> pd.DataFrame:
        # Dynamic from the origin: the filtered state there has seen only earlier data.
        fc = res.get_prediction(start=start, end=start + h - 1, dynamic=True)
        return _from_normal(fc.predicted_mean, np.sqrt(fc.var_pred_mean))

    return Fit(res.params, predict, at)


@_guarded
def _nb_glm(y, x, m, fixed=None) -> Fit:
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

    return Fit(params, predict)


@_guarded
def _autoreg(y, x, m, fixed=None) -> Fit:
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

    return Fit(res.params, predict)


@_guarded
def _mstl(y, x, m, fixed=None) -> Fit:
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
    # (STL plus ETS(A,N,N), as in Hyndman's stlf): an AR(1) with a constant does worse
    # than seasonal naive, and an ARMA(1,1) estimated once can have cancelling roots.
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

    return Fit((seasonal, res.params), predict, at)


# Weeks of complete days whose hours give the intraday profile of ``day_split``.
PROFILE_WEEKS = 4


def _hour_shares(days: np.ndarray, day_index: pd.DatetimeIndex) -> tuple[np.ndarray, float]:
    """Return each weekday's share of its arrivals by hour (7 x 24) over the last
    :data:`PROFILE_WEEKS` weeks of ``days`` (one row of 24 hours per day), and the
    spread on log1p of the hours of a day split by those shares."""
    recent = days[-7 * PROFILE_WEEKS :]
    weekday = day_index[-len(recent) :].day_of_week.to_numpy()
    share = np.tile(recent.sum(axis=0) / max(recent.sum(), 1e-9), (7, 1))
    for d in range(7):
        same = recent[weekday == d]
        if same.sum() > 0:
            share[d] = same.sum(axis=0) / same.sum()
    # The spread of the split itself: log error of hours given their day's actual total.
    split = recent.sum(axis=1, keepdims=True) * share[weekday]
    return share, float(np.std(np.log1p(recent) - np.log1p(split)))


@_guarded
def _day_split(y, x, m, fixed=None) -> Fit:
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
    share, split_sd = _hour_shares(days, day_index)

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

    return Fit(None, predict)


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


def combine(members: list[pd.DataFrame]) -> pd.DataFrame:
    """Return the members' quantiles combined one by one: the median (the mean of two)."""
    stacked = np.stack([f[list(QUANTILES)].to_numpy() for f in members])
    return pd.DataFrame(np.median(stacked, axis=0), columns=list(QUANTILES))


def run_model(model: str, y: pd.Series, x: pd.DataFrame, m: int, fixed) -> Fit:
    """Return the :class:`Fit` of ``model`` on ``y``: with the regressors ``x`` if the model
    uses them, and the parameters ``fixed`` (None: estimated) if they fit these columns."""
    with warnings.catch_warnings():
        # Convergence chatter from statsmodels on short or flat series; the
        # backtest scores say whether the fit is any good.
        warnings.simplefilter("ignore")
        xm = x if model in USES_REGRESSORS else x.iloc[:, :0]
        # Parameters estimated at the first origin fit only its columns; their size
        # is compared, since a truth test on a parameter array raises.
        if fixed is not None and model in ("sarimax", "nb_glm"):
            size = len(np.atleast_1d(fixed[0] if model == "nb_glm" else fixed))
            if size != _n_params(model, xm):
                fixed = None
        return FITTERS[model](y, xm, m, fixed)


def _n_params(model: str, x: pd.DataFrame) -> int:
    return x.shape[1] + 1 + (3 if model == "sarimax" else 0)
