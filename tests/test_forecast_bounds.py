"""Forecasts stay finite and within the envelope of their history: a level shift, a ramp,
a spike, a month of zeros, one day and two weeks of data, for every model, daily and
hourly, directly and through the backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import forecast
from analytics.envelope import envelope

DAILY_HORIZON, HOURLY_HORIZON = 14, 48
# The last eight weeks of a shape, as the app's hourly history.
HOURLY_DAYS = 56
COLUMNS = ["mean", "lo80", "hi80", "lo95", "hi95"]


def step() -> np.ndarray:
    return np.r_[np.full(70, 60.0), np.full(10, 140.0)]


def ramp() -> np.ndarray:
    return np.linspace(20.0, 200.0, 80)


def spike() -> np.ndarray:
    level = np.full(80, 60.0)
    level[40] = 600.0
    return level


def month_of_zeros() -> np.ndarray:
    return np.r_[np.full(40, 60.0), np.zeros(30), np.full(20, 60.0)]


def one_day() -> np.ndarray:
    return np.array([60.0])


def two_weeks() -> np.ndarray:
    return np.full(14, 60.0)


# Shape -> (expected arrivals a day, the range a sensible forecast's daily level lies in).
SHAPES = {
    "step": (step, (60, 200)),
    "ramp": (ramp, (100, 400)),
    "spike": (spike, (30, 120)),
    "month_of_zeros": (month_of_zeros, (20, 120)),
    "one_day": (one_day, None),
    "two_weeks": (two_weeks, (30, 120)),
}


def draw(shape: str, freq: str) -> pd.Series:
    """Poisson arrivals of a shape: daily, or hourly on an office-hours profile (its last
    eight weeks, starting at the first hour with arrivals, as the app's history does)."""
    rng = np.random.default_rng(sorted(SHAPES).index(shape))
    levels = SHAPES[shape][0]()
    if freq == "D":
        index = pd.date_range("2026-09-17", periods=len(levels), freq="D")
        return pd.Series(rng.poisson(levels).astype(float), index=index)
    levels = levels[-HOURLY_DAYS:]
    profile = np.exp(-0.5 * ((np.arange(24) - 12) / 3.5) ** 2) + 0.1
    hourly = np.outer(levels, profile / profile.sum()).ravel()
    index = pd.date_range("2026-09-17", periods=len(hourly), freq="h")
    y = pd.Series(rng.poisson(hourly).astype(float), index=index)
    return y.iloc[np.flatnonzero(y.to_numpy() > 0)[0] :] if y.sum() else y


@pytest.fixture(scope="module", params=[(s, f) for s in SHAPES for f in ("D", "H")],
                ids=lambda p: f"{p[0]}-{p[1]}")  # fmt: skip
def case(request):
    """(shape, freq, series, horizon)."""
    shape, freq = request.param
    return shape, freq, draw(shape, freq), DAILY_HORIZON if freq == "D" else HOURLY_HORIZON


@pytest.fixture(scope="module")
def fitted(case):
    """The shape's fit through the backtest (two scored origins), or the error it raised."""
    _, freq, y, horizon = case
    try:
        return forecast.fit_series(y, freq, horizon, 2)
    except forecast.ShortHistory as exc:
        return exc


def assert_within(frame: pd.DataFrame, y: pd.Series, m: int, label: str) -> None:
    """Every value finite, non-negative and within the envelope of ``y``."""
    bounds = envelope(y, m)
    values = frame[COLUMNS].to_numpy(dtype=float)
    assert np.isfinite(values).all(), label
    assert (values >= 0).all(), label
    assert (values <= bounds.bound_ceiling(len(frame))[:, None] * (1 + 1e-9)).all(), label
    assert (frame["mean"].to_numpy() <= bounds.point_ceiling(len(frame)) * (1 + 1e-9)).all()
    assert (frame["lo95"] <= frame["lo80"]).all() and (frame["hi80"] <= frame["hi95"]).all()


def regressors(y: pd.Series, freq: str, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The weekday (and hour) dummies of ``y`` and of the ``horizon`` periods after it."""
    step = pd.Timedelta(days=1) if freq == "D" else pd.Timedelta(hours=1)
    index = y.index.append(pd.date_range(y.index[-1] + step, periods=horizon, freq=step))
    x = forecast.design(index, freq)
    x = x[[c for c in x.columns if c.startswith(("dow", "hour"))]]
    return x.iloc[: len(y)], x.iloc[len(y) :]


def test_every_model_alone_stays_within_the_envelope_or_refuses(case):
    """Each model function, called directly: a bounded forecast, or an error that says why
    (an explosive fit is rejected, one day of data is not enough), never a wild number."""
    shape, freq, y, horizon = case
    m = forecast.SEASON[freq]
    xt, xf = regressors(y, freq, horizon)
    produced = []
    for model in forecast.MODELS[freq]:
        if model not in forecast.FITTERS:
            continue  # combinations: medians of bounded members
        try:
            pred = forecast.FITTERS[model](y, xt, m).predict(xf, horizon)
        except forecast.ShortHistory:
            assert shape == "one_day", model
            continue
        except (ValueError, np.linalg.LinAlgError):
            continue
        assert shape != "one_day", model
        assert_within(pred, y, m, model)
        produced.append(model)
    if shape != "one_day":
        assert "seasonal_naive" in produced


def test_the_backtest_and_the_final_forecasts_stay_within_the_envelope(case, fitted):
    shape, freq, y, horizon = case
    if shape == "one_day":
        assert isinstance(fitted, forecast.ShortHistory)
        return
    m = forecast.SEASON[freq]
    for model, frame in fitted.models.items():
        assert_within(frame, y, m, model)
    # Backtest forecasts: within the envelope of the data before their origin.
    for (model, origin), frame in fitted.predictions.groupby(["model", "origin"]):
        assert_within(frame, y.iloc[:origin], m, f"{model} at {origin}")
    for model in fitted.rejected:
        assert model in fitted.note


def daily_level(fit: forecast.SeriesForecast) -> float:
    """Mean forecast arrivals a day over the horizon."""
    per_period = float(fit.forecast["mean"].mean())
    return per_period if fit.freq == "D" else per_period * 24


def test_the_chosen_forecast_is_sensible(case, fitted):
    """On the step: near the new level (not 1e6); after a spike: the usual level; on a ramp,
    still climbing but not exploding."""
    shape, _, _, _ = case
    if shape == "one_day":
        assert "Not enough history" in str(fitted)
        return
    low, high = SHAPES[shape][1]
    assert low < daily_level(fitted) < high, (fitted.chosen, fitted.note)


@pytest.mark.parametrize("freq", ["D", "H"])
def test_one_day_is_not_enough_history(freq):
    with pytest.raises(forecast.ShortHistory, match="Not enough history") as caught:
        forecast.fit_series(draw("one_day", freq), freq, 7 if freq == "D" else 48, 2)
    unit, need = ("day", 14) if freq == "D" else ("hour", 336)
    assert f"a forecast needs at least {need} {unit}s" in str(caught.value)


@pytest.mark.parametrize("freq", ["D", "H"])
def test_two_weeks_get_seasonal_naive_labelled_not_backtested(freq):
    fit = forecast.fit_series(draw("two_weeks", freq), freq, 7 if freq == "D" else 48, 8)
    assert fit.chosen == "seasonal_naive" and fit.origins == 0
    assert fit.note.startswith("Not backtested:")
    assert list(fit.models) == ["seasonal_naive"]


def test_a_rejected_model_gives_way_to_the_next_best_and_says_so():
    """An AutoReg whose root is explosive on this level shift (seed chosen where it is):
    rejected, the note names it and the model used instead."""
    rng = np.random.default_rng(38)
    index = pd.date_range("2026-09-17", periods=80, freq="D")
    y = pd.Series(rng.poisson(step()).astype(float), index=index)
    fit = forecast.fit_series(y, "D", 7, 3)
    assert "autoreg" in fit.rejected and "explosive or unit root" in fit.rejected["autoreg"]
    assert "autoreg" not in fit.models and fit.chosen != "autoreg"
    assert fit.note.startswith("autoreg rejected:") and f"Using {fit.chosen}" in fit.note
    assert fit.to_dict()["note"] == fit.note
