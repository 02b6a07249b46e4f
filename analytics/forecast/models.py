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

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from analytics.forecast.daysplit import day_split
from analytics.forecast.envelope import seasonal_spread
from analytics.forecast.modelbase import Fit, check_roots, from_normal, guarded
from analytics.forecast.series import QUANTILES


@guarded
def _seasonal_naive(y, x, m, fixed=None) -> Fit:
    logy = np.log1p(y.to_numpy(dtype=float))
    sd1 = seasonal_spread(logy, m)

    def predict(_xf, h):
        steps = np.arange(h)
        base = logy[len(logy) - m + steps % m]
        return from_normal(base, sd1 * np.sqrt(steps // m + 1))

    return Fit(None, predict)


@guarded
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
        return from_normal(np.asarray(pred.predicted_mean), np.sqrt(np.maximum(ratio * mse, 0)))

    return Fit((res.params, mse), lambda _xf, h: forecast(len(y), h), forecast)


@guarded
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
    check_roots(res.arroots, "ARMA error")

    def predict(xf, h):
        fc = res.get_forecast(h, exog=xf.to_numpy())
        return from_normal(fc.predicted_mean, np.sqrt(fc.var_pred_mean))

    def at(start: int, h: int) -> pd.DataFrame:
        # Dynamic from the origin: the filtered state there has seen only earlier data.
        fc = res.get_prediction(start=start, end=start + h - 1, dynamic=True)
        return from_normal(fc.predicted_mean, np.sqrt(fc.var_pred_mean))

    return Fit(res.params, predict, at)


@guarded
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


@guarded
def _autoreg(y, x, m, fixed=None) -> Fit:
    from statsmodels.tsa.ar_model import AutoReg

    logy = np.log1p(y.to_numpy(dtype=float))
    lags = [1, 7] if m == 7 else [1, 2, 24, 168]
    model = AutoReg(logy, lags=lags, trend="c", exog=x.to_numpy())
    res = model.fit()
    check_roots(res.roots, "AutoReg")
    sd = float(np.sqrt(res.sigma2))

    def predict(xf, h):
        n = len(logy)
        pred = res.get_prediction(start=n, end=n + h - 1, exog_oos=xf.to_numpy())
        mean = np.asarray(pred.predicted_mean)
        se = np.sqrt(np.asarray(pred.var_pred_mean)) if hasattr(pred, "var_pred_mean") else sd
        return from_normal(mean, se)

    return Fit(res.params, predict)


@guarded
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
        return from_normal(fc.predicted_mean + season, np.sqrt(fc.var_pred_mean))

    def predict(_xf, h):
        return forecast(len(logy), h, res.get_forecast(h))

    def at(start: int, h: int) -> pd.DataFrame:
        return forecast(start, h, res.get_prediction(start, start + h - 1, dynamic=True))

    return Fit((seasonal, res.params), predict, at)


FITTERS: dict[str, Callable] = {
    "seasonal_naive": _seasonal_naive,
    "ets": _ets,
    "sarimax": _sarimax,
    "mstl": _mstl,
    "nb_glm": _nb_glm,
    "autoreg": _autoreg,
    "day_split": day_split,
}
USES_REGRESSORS = {"sarimax", "nb_glm", "autoreg", "day_split"}
# Combinations: name -> members, combined quantile by quantile (median; "ets_sarimax"
# is the plain mean of two, the combination the literature finds hard to beat).
COMBOS = {
    "D": {"combo": ("sarimax", "nb_glm", "autoreg"), "ets_sarimax": ("ets", "sarimax")},
    "H": {"combo": ("mstl", "nb_glm", "autoreg"), "day_combo": ("day_split", "nb_glm", "autoreg")},
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
