"""The rolling-origin backtest: origins, scores, calibrated intervals and the choice.

Each model forecasts from a series of origins, one season (a day, hourly)
apart, seeing only the data before each; its errors give its MASE, sMAPE
and interval coverage. Earlier origins only calibrate the intervals
(split-conformal prediction on a rolling origin). The choice is the lowest
mean MASE, if it beats seasonal naive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from analytics.forecast.envelope import Rejected, envelope
from analytics.forecast.features import usable_columns
from analytics.forecast.modelbase import MAX_LOG, Fit
from analytics.forecast.models import COMBOS, FITTERS, USES_REGRESSORS, combine, run_model
from analytics.forecast.plan import Plan, daily_plan, without_closed
from analytics.forecast.series import SEASON, Z95


def _scale(train: np.ndarray, m: int, counted: np.ndarray) -> float:
    """MASE denominator: in-sample MAE of the seasonal naive forecast on the ``counted``
    periods (the open hours), floored at a small count."""
    if len(train) <= m or not counted[m:].any():
        return 1.0
    return max(float(np.mean(np.abs(train[m:] - train[:-m])[counted[m:]])), 0.1)


def _smape(actual: np.ndarray, pred: np.ndarray) -> np.ndarray:
    denom = np.abs(actual) + np.abs(pred)
    return np.where(denom > 0, 2 * np.abs(actual - pred) / np.where(denom > 0, denom, 1), 0.0)


def origins_for(n: int, freq: str, horizon: int, count: int) -> list[int]:
    """Return the training lengths (origins) of a rolling daily backtest: ``count``
    origins, a week apart, the last one leaving ``horizon`` periods to score (hourly
    origins depend on the opening hours: :func:`analytics.forecast.plan.hourly_plan`)."""
    if freq == "H":
        raise ValueError("hourly origins follow the opening hours: see plan.hourly_plan")
    return daily_plan(n, horizon, count, 0).cuts


# Origins before the scored ones whose errors only calibrate the intervals (and the
# sliding window of origins every calibration reads), and the fewest out-of-sample
# errors an interval is calibrated from (fewer: the model's own).
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


def backtest_predictions(
    y: pd.Series,
    x_all: pd.DataFrame,
    freq: str,
    plan: Plan,
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
    cuts = plan.cuts
    out: dict[tuple[str, int], pd.DataFrame] = {}
    if not cuts:
        return out
    # Parameters are estimated at the first origin and kept while the usable
    # regressors stay the same (an event first seen later brings a re-estimate).
    params: dict[str, tuple[tuple[str, ...], object]] = {}
    filtered: dict[str, tuple[tuple[str, ...], Fit]] = {}
    for k, cut in enumerate(cuts):
        if progress:
            progress(k)
        train, horizon = y.iloc[:cut], plan.spans[cut]
        cols = usable_columns(x_all, cut, freq)
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
                    fit = run_model(model, train, xt, m, fixed)
                    params[model] = (key, fit.params)
                    preds[model] = fit.predict(xf, horizon)
                    if fit.at is not None and cut != cuts[-1]:
                        end = cuts[-1] + plan.spans[cuts[-1]]
                        filtered[model] = (key, _refilter(model, y, x_all[cols], end, m, fit))
            except Rejected as exc:
                rejected[(model, cut)] = str(exc)
            except (ValueError, np.linalg.LinAlgError):
                pass  # the model sits this origin out; the scores count what it forecast
            fit_s[model] = fit_s.get(model, 0.0) + time.perf_counter() - began
        closed = plan.closed[cut]
        for model, pred in _with_combos(preds, names, freq).items():
            out[(model, cut)] = without_closed(pred, closed)
    return out


def _refilter(model: str, y: pd.Series, x: pd.DataFrame, end: int, m: int, fit: Fit) -> Fit:
    """Return ``model`` with the parameters of ``fit`` run over the first ``end`` periods.

    One filter over the series up to the last scored period, with the
    parameters of the first origin, then serves every later origin.
    """
    return run_model(model, y.iloc[:end], x.iloc[:end], m, fit.params)


def _with_combos(
    preds: Mapping[str, pd.DataFrame | None], names: list[str], freq: str
) -> dict[str, pd.DataFrame]:
    """Return the forecasts of ``names`` at one origin, combinations included; a model
    without a forecast (rejected or failed) is left out, of the combinations too."""
    preds = dict(preds)
    for combo, members in COMBOS[freq].items():
        if combo in names:
            found = [preds[p] for p in members if preds.get(p) is not None]
            preds[combo] = combine(found) if found else None
    return {model: preds[model] for model in names if preds.get(model) is not None}


def score_origins(
    y: pd.Series,
    freq: str,
    plan: Plan,
    scored: list[int],
    raw: dict[tuple[str, int], pd.DataFrame],
) -> tuple[pd.DataFrame, dict[str, dict[str, float] | None]]:
    """Return the error rows of the ``scored`` origins, and each model's final calibration.

    Each scored origin's intervals are calibrated from the errors of the last
    :data:`CALIBRATION_ORIGINS` origins whose whole span had been observed by
    then (split-conformal on a rolling origin and a sliding window: the spread
    follows the recent weeks, so a holiday's large errors stop widening the
    ordinary weeks after it, and a calm month's small ones stop narrowing a
    busy one): no origin's interval ever uses data after it. Only the steps the
    plan scores (open hours) calibrate; both the calibrated and the model's own
    intervals are scored, and every row says whether it counts (``scored``).
    """
    m = SEASON[freq]
    values = y.to_numpy(dtype=float)
    scores = {
        (model, cut): interval_scores(pred, values[cut : cut + plan.spans[cut]])[plan.scored[cut]]
        for (model, cut), pred in raw.items()
    }
    models = list(dict.fromkeys(model for model, _ in raw))
    rows = []
    for cut in scored:
        span = plan.spans[cut]
        actual = values[cut : cut + span]
        # Calibrated bounds stay within the envelope of the data before their origin.
        ceiling = envelope(values[:cut], m).bound_ceiling(span)
        scale = _scale(values[:cut], m, plan.counted[cut])
        seen = [c for c in plan.cuts if c + plan.spans[c] <= cut][-CALIBRATION_ORIGINS:]
        for model in models:
            pred = raw.get((model, cut))
            if pred is None:
                continue
            factors = calibration_factors(scores[(model, c)] for c in seen if (model, c) in scores)
            cal = calibrate(pred, factors, ceiling) if factors else pred
            cal = without_closed(cal, plan.closed[cut])
            rows.append(
                _error_rows(model, cut, actual, pred, cal, scale, plan.scored[cut], factors)
            )
    final = {
        model: calibration_factors(
            scores[(model, c)] for c in plan.cuts[-CALIBRATION_ORIGINS:] if (model, c) in scores
        )
        for model in models
    }
    if not rows:
        return pd.DataFrame(columns=_ERROR_COLUMNS), final
    err = pd.DataFrame({c: np.concatenate([r[c] for r in rows]) for c in _ERROR_COLUMNS})
    return err, final


def _error_rows(model, cut, actual, pred, cal, scale, scored, factors) -> dict[str, np.ndarray]:
    """Return the error rows of one model at one origin: :data:`_ERROR_COLUMNS` -> values.

    Arrays, not a frame: a backtest scores a few hundred (model, origin)
    pairs, and building a frame for each cost more than the scoring itself.
    """
    n = len(actual)
    point = pred["mean"].to_numpy()
    bounds = {c: cal[c].to_numpy() for c in ("lo80", "hi80", "lo95", "hi95")}
    own = {c: pred[c].to_numpy() for c in ("lo80", "hi80", "lo95", "hi95")}
    return {
        "model": np.full(n, model, dtype=object),
        "origin": np.full(n, cut, dtype=np.int64),
        "step": np.arange(1, n + 1, dtype=np.int64),
        "ase": np.abs(actual - point) / scale,
        "smape": _smape(actual, point),
        "in80": (bounds["lo80"] <= actual) & (actual <= bounds["hi80"]),
        "in95": (bounds["lo95"] <= actual) & (actual <= bounds["hi95"]),
        "raw_in80": (own["lo80"] <= actual) & (actual <= own["hi80"]),
        "raw_in95": (own["lo95"] <= actual) & (actual <= own["hi95"]),
        "actual": actual,
        "mean": point,
        **bounds,
        "calibrated": np.full(n, factors is not None),
        "scored": np.broadcast_to(np.asarray(scored, dtype=bool), (n,)),
    }


_ERROR_COLUMNS = (
    "model", "origin", "step", "ase", "smape", "in80", "in95", "raw_in80", "raw_in95",
    "actual", "mean", "lo80", "hi80", "lo95", "hi95", "calibrated", "scored",
)  # fmt: skip
_SCORE_COLUMNS = (
    "model", "mase", "relative_mase", "smape", "coverage80", "coverage95", "fit_s",
    "raw_coverage80", "raw_coverage95", "calibrated", "rejected",
)  # fmt: skip


def needed_models(names: Iterable[str], freq: str) -> list[str]:
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


def score_table(
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
    err = err[err["scored"].astype(bool)]
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
