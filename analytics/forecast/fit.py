"""One series' forecast: backtest every model, choose one, forecast with calibrated intervals.

The choice: the lowest mean MASE over the backtest's origins, at the
requested horizon. Every model's forecast, at every backtest origin and at
the end, goes through the envelope of the history it was fitted on
(:mod:`analytics.forecast.envelope`); a model rejected at a scored origin or at
the end is no candidate: the next best by backtest is used, and
:attr:`SeriesForecast.note` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd

from analytics.forecast.backtest import (
    CALIBRATION_ORIGINS,
    backtest_predictions,
    calibrate,
    choose,
    needed_models,
    score_origins,
    score_table,
)
from analytics.forecast.envelope import Rejected, envelope
from analytics.forecast.features import design, usable_columns
from analytics.forecast.models import COMBOS, combine, run_model
from analytics.forecast.opening import OpeningHours, infer_opening
from analytics.forecast.plan import Plan, daily_plan, hourly_plan, min_training, without_closed
from analytics.forecast.series import (
    DEFAULT_MODEL,
    FORECAST_COLUMNS,
    FREQS,
    MODELS,
    SEASON,
    SeriesForecast,
    ShortHistory,
    arrival_span,
    describe_parts,
    shortfall,
)
from analytics.i18n import N_


def _final_forecasts(
    y: pd.Series,
    x_all: pd.DataFrame,
    freq: str,
    horizon: int,
    names: list[str],
    final_cal: dict[str, dict[str, float] | None],
    closed: np.ndarray,
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Return every model's final forecast, refitted on the whole history and calibrated
    (0 on the ``closed`` periods ahead), and the reason of each model whose forecast
    was rejected."""
    m = SEASON[freq]
    cols = usable_columns(x_all, len(y), freq)
    xt, xf = x_all.iloc[: len(y)][cols], x_all.iloc[len(y) :][cols]
    ceiling = envelope(y, m).bound_ceiling(horizon)
    finals: dict[str, pd.DataFrame] = {}
    rejected: dict[str, str] = {}
    for model in needed_models(names, freq):
        try:
            finals[model] = run_model(model, y, xt, m, None).predict(xf, horizon)
        except Rejected as exc:
            rejected[model] = str(exc)
        except (ValueError, np.linalg.LinAlgError):
            continue
    for combo, members in COMBOS[freq].items():
        found = [finals[p] for p in members if p in finals]
        if combo in names and found:
            finals[combo] = combine(found)
    for model, factors in final_cal.items():
        if factors and model in finals:
            finals[model] = calibrate(finals[model], factors, ceiling)
    return {k: without_closed(v, closed) for k, v in finals.items()}, rejected


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


def _note(
    preferred: str, chosen: str, rejected: dict[str, str], backtested: bool
) -> tuple[tuple[str, dict], ...]:
    """Return the sentences (message, values) that say which models were rejected and
    what stands in (:func:`~analytics.forecast.series.describe_note` words them)."""
    others = [f"{model}, {why}" for model, why in rejected.items() if model != preferred]
    parts = []
    if preferred != chosen and preferred in rejected:
        if chosen != "seasonal_naive":
            text = N_("{preferred} rejected: {why}. Using {chosen}, the next best in the backtest.")
        elif backtested:
            text = N_(
                "{preferred} rejected: {why}. Using {chosen}, the baseline, which nothing else beat."
            )
        else:
            text = N_("{preferred} rejected: {why}. Using {chosen}, the baseline.")
        parts.append((text, {"preferred": preferred, "why": rejected[preferred], "chosen": chosen}))
    if others:
        text = N_("Also rejected: {others}.") if parts else N_("Rejected, not used: {others}.")
        parts.append((text, {"others": "; ".join(others)}))
    return tuple(parts)


def _not_backtested(
    y: pd.Series,
    freq: str,
    horizon: int,
    name: str,
    future_index: pd.DatetimeIndex,
    x_all,
    plan: Plan,
) -> SeriesForecast:
    """Return the forecast of a history too short for one backtest origin, with a note.

    It is the default model (:data:`DEFAULT_MODEL`, the one the backtests on
    real desks choose most: ``benchmarks/bench_forecast.py``), within the
    envelope like every forecast, its intervals uncalibrated; seasonal naive
    when the default is rejected.
    """
    units = N_("days") if freq == "D" else N_("hours")
    need = min_training(freq) + horizon
    names = ["seasonal_naive", DEFAULT_MODEL[freq]]
    finals, rejected = _final_forecasts(y, x_all, freq, horizon, names, {}, plan.ahead)
    chosen = DEFAULT_MODEL[freq] if DEFAULT_MODEL[freq] in finals else "seasonal_naive"
    finals = {k: _dated(v, future_index) for k, v in finals.items()}
    if chosen != "seasonal_naive":
        text = N_(
            "Not backtested: {length} {units} of history, and a backtest {horizon} {units} "
            "ahead needs {need} ({fit} to fit, {horizon} to score). This is the default model "
            "({chosen}), with uncalibrated intervals, not a model chosen by its accuracy on "
            "this series."
        )
    else:
        text = N_(
            "Not backtested: {length} {units} of history, and a backtest {horizon} {units} "
            "ahead needs {need} ({fit} to fit, {horizon} to score). This is the seasonal naive "
            "forecast (the last week repeated), not a model chosen by its accuracy on this "
            "series."
        )
    values = {"length": len(y), "units": units, "horizon": horizon, "need": need,
              "fit": min_training(freq), "chosen": chosen}  # fmt: skip
    note = ((text, values),)
    scores, by_horizon = score_table(pd.DataFrame(), names, {}, 0, {}, [])
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
        note=describe_parts(note, "en"),
        note_parts=note,
        rejected=rejected,
    )


# Over 60 lines only by its signature and docstring; its steps are named functions.
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
    opening: OpeningHours | None = None,
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
    y = _checked(y, freq)
    names = [n for n in (models or MODELS[freq]) if n in MODELS[freq]]
    names = list(dict.fromkeys(["seasonal_naive", *names]))
    step = pd.Timedelta(days=1) if freq == "D" else pd.Timedelta(hours=1)
    future_index = pd.date_range(y.index[-1] + step, periods=horizon, freq=step)
    x_all = design(y.index.append(future_index), freq, holidays, events, origin=y.index[0])
    plan, opening = _plan(y, freq, horizon, origins + CALIBRATION_ORIGINS, future_index, opening)
    if not plan.cuts:
        fc = _not_backtested(y, freq, horizon, name, future_index, x_all, plan)
        fc.opening = opening
        return fc
    bt = _backtest(y, x_all, freq, plan, origins, names, name, progress)
    if progress:
        progress(bt.done, f"{name}: fitting the final model")
    # The final forecast refits on the whole history (every model, for display).
    finals, final_rejected = _final_forecasts(
        y, x_all, freq, horizon, names, bt.final_cal, plan.ahead
    )
    rejected = _rejections(final_rejected, bt.rejected_at, bt.scored)
    preferred, chosen = _choice(bt.scores if len(bt.err) else None, names, finals, freq)
    parts = _note(preferred, chosen, rejected, not bt.err.empty)
    finals = {k: _dated(v, future_index) for k, v in finals.items()}
    if progress:
        progress(1.0, f"{name}: done")
    return SeriesForecast(
        name=name,
        freq=freq,
        history=pd.DataFrame({"period": y.index, "created": y.to_numpy()}),
        chosen=chosen,
        scores=bt.scores.reset_index(drop=True),
        by_horizon=bt.by_horizon,
        forecast=finals[chosen],
        models={k: v for k, v in finals.items() if k in names},
        origins=len(bt.scored),
        predictions=bt.err[list(_PREDICTION_COLUMNS)],
        calibration=_calibration_frame(bt.final_cal),
        note=describe_parts(parts, "en"),
        note_parts=parts,
        rejected=rejected,
        opening=opening,
    )


def _plan(
    y: pd.Series,
    freq: str,
    horizon: int,
    count: int,
    future_index: pd.DatetimeIndex,
    opening: OpeningHours | None,
) -> tuple[Plan, OpeningHours | None]:
    """Return the backtest's plan of ``count`` origins, and the opening hours of an
    hourly series (given, else inferred from the whole history; None daily)."""
    if freq == "D":
        return daily_plan(len(y), horizon, count, horizon), None
    plan = hourly_plan(y, future_index, horizon, count, opening)
    return plan, opening or infer_opening(y)


def _checked(y: pd.Series, freq: str) -> pd.Series:
    """Return ``y`` as floats, or raise: ValueError for an unknown ``freq``,
    :class:`ShortHistory` for too few seasons of arrivals."""
    if freq not in FREQS:
        raise ValueError(f"freq must be D or H, not {freq!r}")
    y = y.astype(float)
    short = shortfall(arrival_span(y), freq)
    if short:
        raise ShortHistory(short)
    return y


class _Backtest(NamedTuple):
    """The backtest of one series: errors, scores, and what the final forecast needs."""

    err: pd.DataFrame
    final_cal: dict[str, dict[str, float] | None]
    scores: pd.DataFrame
    by_horizon: pd.DataFrame
    rejected_at: dict[tuple[str, int], str]
    scored: list[int]
    done: float  # the share of the work done, for the progress bar


def _backtest(
    y: pd.Series,
    x_all: pd.DataFrame,
    freq: str,
    plan: Plan,
    origins: int,
    names: list[str],
    name: str,
    progress: Callable[[float, str], None] | None,
) -> _Backtest:
    """Return the backtest of ``names`` on ``y`` at the origins of ``plan``: the last
    ``origins`` are scored, the ones before them only calibrate the intervals."""
    cuts = plan.cuts
    scored = cuts[-origins:] if origins else []
    # Without a scored backtest, the default model alone still runs the calibration
    # origins, so that its intervals are calibrated too.
    tested = names if origins else [n for n in names if n == DEFAULT_MODEL[freq]]
    fit_s: dict[str, float] = {}
    rejected_at: dict[tuple[str, int], str] = {}
    total = len(cuts) + 1

    def tick(k: int) -> None:
        if progress:
            progress(k / total, f"{name}: backtest origin {k + 1} of {len(cuts)}")

    raw = backtest_predictions(
        y, x_all, freq, plan, tested, needed_models(tested, freq), fit_s, rejected_at, tick
    )
    for combo, members in COMBOS[freq].items():
        fit_s[combo] = sum(fit_s.get(p, 0.0) for p in members)
    err, final_cal = score_origins(y, freq, plan, scored, raw)
    scores, by_horizon = score_table(err, names, fit_s, len(cuts), rejected_at, scored)
    return _Backtest(err, final_cal, scores, by_horizon, rejected_at, scored, len(cuts) / total)


def _dated(forecast: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Return ``forecast`` with its ``period`` first, then :data:`FORECAST_COLUMNS`."""
    return forecast.assign(period=index)[["period", *FORECAST_COLUMNS]]


_PREDICTION_COLUMNS = (
    "model", "origin", "step", "actual", "mean", "lo80", "hi80", "lo95", "hi95", "calibrated",
    "scored", "ase",
)  # fmt: skip
