"""Forecasts stay finite and within the envelope of their history: a level shift, a ramp,
a spike, a month of zeros, one day and two weeks of data, for every model, daily and
hourly, directly and through the backtest; and through the CLI, the Forecast page and
staffing on a level shift."""

from __future__ import annotations

import base64
import csv
import json
import re
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from apptest import page_on
from streamlit.testing.v1 import AppTest

from analytics import cli, forecast, ingest, store
from analytics.forecast.envelope import Rejected, envelope
from analytics.planning import staffing
from analytics.settings import load_settings

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
        # Some fits refuse a short or odd series (statsmodels' own checks); most do not.
        assert "seasonal_naive" in produced and len(produced) >= 3, produced


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


@pytest.mark.parametrize(
    "mean,lo95,hi95,reason",
    [
        (2.9e6, 2.0e6, 4.0e6, "above the envelope"),
        (np.inf, 0.0, np.inf, "not finite"),
        (120.0, 0.01, 1e9, "wider than the history's whole envelope"),
    ],
    ids=["the probe's first day", "overflow", "variance blow-up"],
)
def test_the_envelope_rejects_wild_forecasts(mean, lo95, hi95, reason):
    y = pd.Series(step(), index=pd.date_range("2026-09-17", periods=80, freq="D"))
    pred = pd.DataFrame({"mean": [mean] * 7, "lo80": [lo95] * 7, "hi80": [hi95] * 7,
                         "lo95": [lo95] * 7, "hi95": [hi95] * 7})  # fmt: skip
    with pytest.raises(Rejected, match=reason):
        envelope(y, 7).check(pred)


def test_the_envelope_caps_bounds_and_keeps_a_sane_forecast():
    y = pd.Series(step(), index=pd.date_range("2026-09-17", periods=80, freq="D"))
    bounds = envelope(y, 7)
    # The point ceiling is the recent maximum plus one week's spread: 140 a day and more.
    assert 140 < bounds.point_ceiling(1)[0] < bounds.bound_ceiling(14)[-1] < 3 * 140
    pred = pd.DataFrame({"mean": [135.0] * 14, "lo80": [100.0] * 14, "hi80": [180.0] * 14,
                         "lo95": [90.0] * 14, "hi95": [5000.0] * 14})  # fmt: skip
    out = bounds.check(pred)
    np.testing.assert_allclose(out["hi95"], bounds.bound_ceiling(14))
    pd.testing.assert_frame_equal(out.drop(columns="hi95"), pred.drop(columns="hi95"))


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
def test_two_weeks_get_the_default_model_labelled_not_backtested(freq):
    y = draw("two_weeks", freq)
    fit = forecast.fit_series(y, freq, 7 if freq == "D" else 48, 8)
    assert fit.chosen == forecast.DEFAULT_MODEL[freq] and fit.origins == 0
    assert fit.note.startswith("Not backtested:") and "not a model chosen" in fit.note
    assert set(fit.models) == {"seasonal_naive", forecast.DEFAULT_MODEL[freq]}
    assert (
        fit.forecast["hi95"].max()
        <= envelope(y, forecast.SEASON[freq]).bound_ceiling(len(fit.forecast)).max()
    )


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


# --- the store, the CLI, the page and staffing --------------------------------------------


def write_source(path, days: list[int], resolve_after: timedelta = timedelta(hours=5)):
    """A generic export: ``days[i]`` tickets created on day i from 17 Sep 2026, evenly
    spread over the day, each resolved ``resolve_after`` later."""
    start, n = datetime(2026, 9, 17), 0
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "created", "resolved"])
        for day, count in enumerate(days):
            for k in range(count):
                created = start + timedelta(days=day, minutes=int(k * 1440 / count))
                out.writerow([f"T{n}", created.isoformat(), (created + resolve_after).isoformat()])
                n += 1
    return path


def import_store(tmp_path, name: str, csv_path) -> str:
    db = tmp_path / f"{name}.sqlite"
    con = store.connect(db)
    ingest.import_file(
        con, csv_path, source=name, preset="generic",
        mapping={"ticket_id": "id", "created_at": "created", "resolved_at": "resolved"}, settings=load_settings(),
    )  # fmt: skip
    con.close()
    return str(db)


@pytest.fixture(scope="module")
def step_store(tmp_path_factory):
    """The probe's source: 60 tickets a day for 70 days, then 140 a day for 10 days."""
    folder = tmp_path_factory.mktemp("step")
    path = write_source(folder / "step.csv", [60] * 70 + [140] * 10)
    return import_store(folder, "step", path)


@pytest.fixture(scope="module")
def one_day_store(tmp_path_factory):
    """A one-day export whose tickets were resolved over the three weeks after."""
    folder = tmp_path_factory.mktemp("oneday")
    path = write_source(folder / "oneday.csv", [60], resolve_after=timedelta(days=21))
    return import_store(folder, "oneday", path)


def test_the_cli_forecast_of_a_level_shift_stays_bounded_and_says_why(step_store, capsys):
    assert cli.main(["forecast", "--db", step_store, "--horizon", "14", "--json"]) == 0
    total = json.loads(capsys.readouterr().out)["series"][0]
    values = np.array([[p[k] for k in COLUMNS] for p in total["forecast"]])
    assert np.isfinite(values).all() and values.max() < 3 * 140
    assert 60 < values[:, 0].mean() < 200
    assert total["rejected"] == {} or total["note"]
    # The default horizon is too long to backtest 80 days: said on the human output.
    assert cli.main(["forecast", "--db", step_store]) == 0
    out = capsys.readouterr().out
    assert "note: Not backtested: 80 days of history" in out


def test_the_cli_says_how_much_history_a_one_day_source_lacks(one_day_store, capsys):
    assert cli.main(["forecast", "--db", one_day_store]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Not enough history to forecast: 1 day of arrivals")
    assert "at least 14 days" in err and err.count("\n") == 1


def trace_values(values) -> np.ndarray:
    """A Plotly trace's values: a list, or the typed array Plotly encodes in base64."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.array([v for v in values if v is not None], dtype=float)


def forecast_page(db: str, monkeypatch) -> AppTest:
    return page_on(db, "pages/forecast.py", monkeypatch, timeout=120)


def fan_values(at: AppTest) -> np.ndarray:
    """Every y value drawn on the forecast chart (history, forecast and its bands)."""
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    return np.concatenate([trace_values(t["y"]) for t in figure["data"] if "y" in t])


def test_the_forecast_page_draws_a_level_shift_on_a_sane_axis(step_store, monkeypatch):
    at = forecast_page(step_store, monkeypatch)
    # Two weeks ahead: backtested, every band within the envelope.
    at.slider(key="fc_horizon_D").set_value(14).run()
    assert not at.exception
    ys = fan_values(at)
    assert len(ys) and np.isfinite(ys).all() and ys.max() < 3 * 140
    # Four weeks ahead: 80 days are too few to backtest, and the page says so.
    at.slider(key="fc_horizon_D").set_value(28).run()
    assert any(i.value.startswith("Not backtested: 80 days") for i in at.info)
    assert fan_values(at).max() < 3 * 140
    st.cache_resource.clear()


def test_the_forecast_page_says_not_enough_history_for_one_day(one_day_store, monkeypatch):
    at = forecast_page(one_day_store, monkeypatch)
    # The page opens on the source's one busy week, not on the resolutions after it.
    said = [i.value for i in at.info if "Not enough history" in i.value]
    assert len(said) == 1 and re.fullmatch(
        r"Not enough history to forecast: [1-7] days? of arrivals in this selection, and a "
        r"forecast needs at least 14 days \(two weeks: one to repeat, one to measure how much "
        r"a week differs from the one before\)\.",
        said[0],
    ), said
    assert not at.get("plotly_chart")
    st.cache_resource.clear()


@pytest.mark.parametrize("horizon", [14, 28])
def test_staffing_on_a_level_shift_asks_for_a_sane_number_of_agents(horizon):
    """Queue agents from the forecast of the step: never more than a day at twice the
    highest day of the history would need."""
    y = pd.Series(step(), index=pd.date_range("2026-09-17", periods=80, freq="D"))
    fit = forecast.fit_series(y, "D", horizon, 3)
    settings = load_settings()
    cfg = settings.forecast

    def agents(daily: np.ndarray, days: pd.DatetimeIndex) -> int:
        hours = pd.date_range(days[0], periods=24 * len(days), freq="h")
        per_hour = pd.Series(np.repeat(daily, 24) / 24, index=hours)
        need = staffing.queued_agents_per_day(
            per_hour, cfg.handling_minutes, cfg.productive_hours, cfg.shrinkage,
            settings.sla_target_hours, shift=(7, 20),
        )  # fmt: skip
        return int(need["agents"].max())

    days = pd.DatetimeIndex(fit.forecast["period"])
    asked = agents(fit.forecast["mean"].to_numpy(), days)
    assert 0 < asked <= agents(np.full(len(days), 2 * y.max()), days)
