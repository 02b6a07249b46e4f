"""The intervention model: an event's effect on its own series, against a counterfactual.

A regression of ``log1p(daily tickets)`` on the baseline terms of
:func:`analytics.forecast.features.calendar_design` (trend, weekday, annual
Fourier), public holidays and an event regressor, with AR(1) errors. The
event's shape is chosen by AIC with fast OLS fits; only the chosen model is
fitted with AR errors.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analytics.forecast.features import calendar_design
from analytics.forecast.impact.effect import DRAWS, Z95, Effect, relative_effect

FOURIER_TERMS = 3
DECAY_DAYS = (7, 14, 21, 28, 42)
RAMP_DAYS = 7
SHAPE_WORDS = {
    "step": "a lasting step",
    "box": "a level shift over the event's dates",
    "pulse": "a decaying pulse",
    "ramp_decay": "a one-week ramp then a decay",
}


@dataclass(frozen=True)
class InterventionFit:
    """The chosen intervention model: its effect, the chart series and the design."""

    effect: Effect
    series: pd.DataFrame
    design: pd.DataFrame
    event_columns: tuple[str, ...]
    candidates: pd.DataFrame


def baseline_design(days: pd.DatetimeIndex, holidays: pd.Series | None = None) -> pd.DataFrame:
    """Return the no-event regressors: constant, trend, weekdays, annual Fourier, holidays."""
    x = calendar_design(days, "D", terms=FOURIER_TERMS)
    x.insert(0, "const", 1.0)
    if holidays is not None and holidays.reindex(days, fill_value=False).any():
        x["holiday"] = holidays.reindex(days, fill_value=False).astype(float).to_numpy()
    return x


def shape_candidates(
    days: pd.DatetimeIndex, start: date, end: date
) -> list[tuple[str, float | None, dict[str, np.ndarray]]]:
    """Return ``(shape, decay_days, columns)`` for every event shape tried."""
    offset = (days - pd.Timestamp(start)).days.to_numpy().astype(float)
    after = offset >= 0
    step = after.astype(float)
    box = (after & (days <= pd.Timestamp(end))).astype(float)
    out: list[tuple[str, float | None, dict[str, np.ndarray]]] = [
        ("step", None, {"event_step": step}),
        ("box", None, {"event_box": box}),
    ]
    for tau in DECAY_DAYS:
        pulse = np.where(after, np.exp(-np.clip(offset, 0, None) / tau), 0.0)
        ramp = np.where(
            after,
            np.clip((offset + 1) / RAMP_DAYS, 0, 1)
            * np.exp(-np.clip(offset - RAMP_DAYS, 0, None) / tau),
            0.0,
        )
        out += [
            ("pulse", tau, {"event_pulse": pulse}),
            ("ramp_decay", tau, {"event_pulse": ramp}),
            ("pulse+step", tau, {"event_pulse": pulse, "event_step": step}),
            ("ramp_decay+step", tau, {"event_pulse": ramp, "event_step": step}),
        ]
    return out


def _shape_words(shape: str, tau: float | None) -> str:
    parts = []
    for piece in shape.split("+"):
        words = SHAPE_WORDS[piece]
        if piece in ("pulse", "ramp_decay"):
            words += f" (decay time {tau:g} days)"
        parts.append(words)
    return " plus ".join(parts)


def fit_intervention(
    counts: pd.Series, start: date, end: date, holidays: pd.Series | None = None
) -> InterventionFit:
    """Return the AIC-chosen intervention model of daily ``counts`` around an event.

    ``counts`` is indexed by day. The effect window is ``start``..``end``.

    Examples
    --------
    >>> fit = fit_intervention(daily_tickets, date(2024, 9, 2), date(2024, 11, 11))
    >>> fit.effect.effect_pct, fit.effect.low_pct, fit.effect.high_pct
    """
    counts = counts.astype(float)
    days = pd.DatetimeIndex(counts.index)
    z = np.log1p(counts.to_numpy())
    shape, tau, x, event_columns, candidates = _best_shape(
        z, baseline_design(days, holidays), start, end
    )
    beta, cov, sigma2 = _ar1_fit(z, x)
    names = list(x.columns)
    ev_idx = [names.index(c) for c in event_columns]
    base_idx = [i for i in range(len(names)) if i not in ev_idx]
    xv = x.to_numpy()
    cf_log = xv[:, base_idx] @ beta[base_idx]
    cf_var = np.einsum(
        "ij,jk,ik->i", xv[:, base_idx], cov[np.ix_(base_idx, base_idx)], xv[:, base_idx]
    )
    spread = Z95 * np.sqrt(cf_var + sigma2)
    series = pd.DataFrame(
        {
            "day": days,
            "actual": counts.to_numpy(),
            "counterfactual": np.expm1(cf_log),
            "low": np.clip(np.expm1(cf_log - spread), 0, None),
            "high": np.expm1(cf_log + spread),
        }
    )
    lasting = None
    if "step" in event_columns and shape != "step":
        lasting = 100 * float(np.expm1(beta[names.index("event_step")]))
    window = (days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))
    effect = _arrival_effect(
        _EventTerms(
            shape, tau, start, end, days, xv[:, ev_idx], beta[ev_idx], cov[np.ix_(ev_idx, ev_idx)]
        ),
        cf_log,
        window,
        lasting,
        len(candidates),
    )
    return InterventionFit(effect, series, x, event_columns, candidates)


def _best_shape(
    z: np.ndarray, base: pd.DataFrame, start: date, end: date
) -> tuple[str, float | None, pd.DataFrame, tuple[str, ...], pd.DataFrame]:
    """Return the event shape of lowest AIC by OLS: its name, decay time, design and event
    columns, and every candidate's AIC."""
    rows = []
    best = None
    for shape, tau, columns in shape_candidates(pd.DatetimeIndex(base.index), start, end):
        x = base.assign(**columns)
        aic = _ols_aic(z, x.to_numpy())
        rows.append({"shape": shape, "decay_days": tau, "aic": aic})
        if best is None or aic < best[0]:
            best = (aic, shape, tau, x, tuple(columns))
    _, shape, tau, x, event_columns = best
    candidates = pd.DataFrame(rows).sort_values("aic").reset_index(drop=True)
    return shape, tau, x, event_columns, candidates


def _ar1_fit(z: np.ndarray, x: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, float]:
    """Return the coefficients of ``x``, their covariance and the error variance of the
    regression of ``z`` with AR(1) errors; OLS with HAC errors when that covariance
    is not finite."""
    with warnings.catch_warnings():
        # Convergence chatter from the AR(1) likelihood; the fit is checked below.
        warnings.simplefilter("ignore")
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        xv = x.to_numpy()
        # Starting from the OLS solution saves most of the optimiser's iterations.
        start_beta = np.linalg.solve(xv.T @ xv, xv.T @ z)
        resid = z - xv @ start_beta
        start_params = np.r_[start_beta, 0.0, resid.var()]
        result = SARIMAX(z, exog=xv, order=(1, 0, 0), trend="n").fit(
            start_params=start_params, disp=False, maxiter=200
        )
    k = x.shape[1]
    beta = np.asarray(result.params[:k])
    cov = np.asarray(result.cov_params())[:k, :k]
    sigma2 = float(result.params[-1])
    if not np.all(np.isfinite(cov)):
        ols = sm.OLS(z, x.to_numpy()).fit(method="qr", cov_type="HAC", cov_kwds={"maxlags": 7})
        beta, cov, sigma2 = np.asarray(ols.params), np.asarray(ols.cov_params()), ols.scale
    return beta, cov, sigma2


@dataclass(frozen=True)
class _EventTerms:
    """The chosen event terms: shape, window, their columns and estimated coefficients."""

    shape: str
    tau: float | None
    start: date
    end: date
    days: pd.DatetimeIndex
    x: np.ndarray
    beta: np.ndarray
    cov: np.ndarray


def _arrival_effect(
    ev: _EventTerms, cf_log: np.ndarray, window: np.ndarray, lasting: float | None, tried: int
) -> Effect:
    """Return the effect on arrivals over the event's window: the mean uplift weighted by
    the counterfactual, its interval from :data:`DRAWS` draws of the event coefficients."""
    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal(ev.beta, ev.cov, DRAWS)
    weights = np.exp(cf_log[window])
    rel = np.exp(ev.x[window] @ draws.T) - 1  # days x draws
    pct = 100 * (weights @ rel) / weights.sum()
    point_rel = np.exp(ev.x[window] @ ev.beta) - 1
    effect_pct = float(100 * (weights @ point_rel) / weights.sum())
    baseline = float(np.expm1(cf_log[window]).mean())
    abs_draws = (np.expm1(cf_log[window])[:, None] * rel).mean(axis=0)
    return Effect(
        metric="arrivals",
        method="intervention",
        model=(
            f"{_shape_words(ev.shape, ev.tau)}, chosen by AIC among {tried} shapes; "
            "regression on log1p(tickets/day) with trend, weekday, annual Fourier and "
            "holiday terms and AR(1) errors (SARIMAX)"
        ),
        shape=ev.shape,
        decay_days=ev.tau,
        first_day=ev.start,
        last_day=ev.end,
        **relative_effect(effect_pct, pct, abs_draws, baseline),
        duration_days=_duration(ev.shape, ev.tau, ev.start, ev.end),
        lasting_pct=lasting,
        profile=_profile(ev.shape, ev.tau, ev.start, ev.end, ev.days, ev.x, ev.beta, draws),
    )


def _ols_aic(z: np.ndarray, x: np.ndarray) -> float:
    """Return the Gaussian AIC of an OLS fit, up to a constant shared by all candidates.

    Normal equations on a design of about 20 columns: LAPACK's QR on a tall matrix is
    much slower when OpenBLAS threads contend for a few cores.
    """
    beta = np.linalg.solve(x.T @ x, x.T @ z)
    rss = float(np.sum((z - x @ beta) ** 2))
    return len(z) * math.log(rss / len(z)) + 2 * x.shape[1]


def _duration(shape: str, tau: float | None, start: date, end: date) -> int | None:
    if shape.startswith("pulse"):
        return int(round(3 * tau))
    if shape.startswith("ramp_decay"):
        return int(round(RAMP_DAYS + 3 * tau))
    if shape == "box":
        return (end - start).days + 1
    return None


def _profile(shape, tau, start, end, days, ev_x, beta, draws) -> pd.DataFrame:
    """Return the relative effect per day from the start over the event's length or decay."""
    offset = (days - pd.Timestamp(start)).days.to_numpy()
    length = max((end - start).days + 1, _duration(shape, tau, start, end) or 0)
    keep = (offset >= 0) & (offset < length)
    rel_draws = np.exp(ev_x[keep] @ draws.T) - 1
    return pd.DataFrame(
        {
            "day_offset": offset[keep].astype(int),
            "effect": np.exp(ev_x[keep] @ beta) - 1,
            "low": np.percentile(rel_draws, 2.5, axis=1),
            "high": np.percentile(rel_draws, 97.5, axis=1),
        }
    )


def fit_level_shift(
    values: pd.Series, start: date, end: date, holidays: pd.Series | None = None
) -> Effect:
    """Return the mean change of a daily value (median first response, hours) over an event.

    A regression of the value on the baseline terms and a box over
    ``start``..``end``, with Newey-West (HAC, 7 lags) standard errors, because
    queues carry one day's delay into the next.
    """
    days = pd.DatetimeIndex(values.index)
    box = ((days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))).astype(float)
    x = baseline_design(days, holidays).assign(event_box=box)
    fit = sm.OLS(values.to_numpy(dtype=float), x.to_numpy()).fit(
        method="qr", cov_type="HAC", cov_kwds={"maxlags": 7}
    )
    k = list(x.columns).index("event_box")
    beta, se = float(fit.params[k]), float(fit.bse[k])
    window = box.astype(bool)
    baseline = float(values.to_numpy()[window].mean() - beta) if window.any() else float("nan")
    offsets = (days[window] - pd.Timestamp(start)).days.to_numpy()
    profile = pd.DataFrame(
        {"day_offset": offsets, "effect": beta, "low": beta - Z95 * se, "high": beta + Z95 * se}
    )
    return Effect(
        metric="first_response_h",
        method="intervention",
        model=(
            "level shift over the event's dates; regression of the daily median first "
            "response on trend, weekday, annual Fourier and holiday terms, HAC errors"
        ),
        shape="box",
        decay_days=None,
        first_day=start,
        last_day=end,
        effect_pct=None,
        low_pct=None,
        high_pct=None,
        effect_abs=beta,
        low_abs=beta - Z95 * se,
        high_abs=beta + Z95 * se,
        baseline=baseline,
        duration_days=(end - start).days + 1,
        profile=profile,
    )


def category_effects(
    by_category: pd.DataFrame,
    fit: InterventionFit,
    start: date,
    end: date,
    holidays: pd.Series | None = None,
) -> pd.DataFrame:
    """Return ``category, effect_per_day, low, high, share_pct``: where the extra tickets went.

    Each category's daily count is regressed (linear, HAC errors) on the
    chosen model's baseline and event terms; the effect is the mean extra
    tickets per day over ``start``..``end``. A category that did not exist
    before the event (new-interface questions) gets its whole volume.
    """
    rows = []
    frame = by_category.assign(day=pd.to_datetime(by_category["day"]))
    for category, part in frame.groupby("value"):
        y = part.set_index("day")["created"].reindex(fit.design.index, fill_value=0)
        x = fit.design
        res = sm.OLS(y.to_numpy(dtype=float), x.to_numpy()).fit(
            method="qr", cov_type="HAC", cov_kwds={"maxlags": 7}
        )
        idx = [list(x.columns).index(c) for c in fit.event_columns]
        window = (x.index >= pd.Timestamp(start)) & (x.index <= pd.Timestamp(end))
        weights = x.to_numpy()[window][:, idx].mean(axis=0)
        beta = np.asarray(res.params)[idx]
        cov = np.asarray(res.cov_params())[np.ix_(idx, idx)]
        effect = float(weights @ beta)
        se = math.sqrt(max(float(weights @ cov @ weights), 0.0))
        rows.append(
            {
                "category": category,
                "effect_per_day": effect,
                "low": effect - Z95 * se,
                "high": effect + Z95 * se,
            }
        )
    out = pd.DataFrame(rows, columns=["category", "effect_per_day", "low", "high"])
    total = out["effect_per_day"].clip(lower=0).sum()
    out["share_pct"] = 100 * out["effect_per_day"].clip(lower=0) / total if total else 0.0
    return out.sort_values("effect_per_day", ascending=False).reset_index(drop=True)
