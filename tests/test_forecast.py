"""Forecasts: known structure recovered, intervals never negative, no peeking past the
origin, planned events, surges, the store path, the CLI and the pages."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from apptest import fresh_app, page_on
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from analytics import cli, events, forecast, ingest, metrics, store
from analytics.settings import load_settings

WEEKDAY = np.array([1.35, 1.15, 1.05, 1.0, 0.95, 0.5, 0.45])


def expected_counts(index: pd.DatetimeIndex, step_at: pd.Timestamp) -> np.ndarray:
    """Weekly and annual cycles and a +30% step: the truth the models must find."""
    annual = 1 + 0.2 * np.sin(2 * np.pi * index.day_of_year / 365.25)
    step = np.where(index >= step_at, 1.3, 1.0)
    return 120 * WEEKDAY[index.day_of_week] * annual * step


@pytest.fixture(scope="module")
def synthetic():
    """Two and a half years of daily counts, the step six months before the end, and the
    28 days that follow, drawn from the same truth."""
    rng = np.random.default_rng(3)
    index = pd.date_range("2023-01-02", periods=900 + 28, freq="D")
    step_at = index[900 - 180]
    truth = expected_counts(index, step_at)
    y = pd.Series(rng.poisson(truth).astype(float), index=index)
    return y.iloc[:900], y.iloc[900:], truth[900:]


@pytest.fixture(scope="module")
def synthetic_fit(synthetic):
    history, _, _ = synthetic
    return forecast.fit_series(history, "D", 28, 8)


def test_the_forecast_recovers_a_known_future_within_its_interval(synthetic, synthetic_fit):
    _, future, truth = synthetic
    fc = synthetic_fit.forecast
    assert len(fc) == 28
    assert fc["period"].iloc[0] == future.index[0]
    # The expected counts lie inside the 80% interval nearly every day...
    inside_truth = (fc["lo80"] <= truth) & (truth <= fc["hi80"])
    assert inside_truth.mean() >= 0.9
    # ...and the drawn counts inside the 95% interval as often as promised.
    inside_draws = (fc["lo95"] <= future.to_numpy()) & (future.to_numpy() <= fc["hi95"])
    assert inside_draws.mean() >= 0.85
    # The weekly shape is found: Mondays forecast well above Sundays.
    by_day = fc.assign(dow=pd.DatetimeIndex(fc["period"]).day_of_week).groupby("dow")["mean"]
    assert by_day.mean()[0] > 2 * by_day.mean()[6]


def test_the_chosen_model_beats_seasonal_naive_in_the_backtest(synthetic_fit):
    scores = synthetic_fit.scores.set_index("model")
    assert synthetic_fit.origins == 8
    assert set(scores.index) == set(forecast.MODELS["D"])
    assert scores.loc[synthetic_fit.chosen, "mase"] == scores["mase"].min()
    assert scores.loc[synthetic_fit.chosen, "relative_mase"] < 0.9
    assert set(synthetic_fit.by_horizon["step"]) == set(range(1, 29))
    assert (scores["fit_s"] >= 0).all()


def test_backtest_coverage_is_near_nominal_on_origins_not_used_to_calibrate(synthetic_fit):
    scores = synthetic_fit.scores.set_index("model")
    assert scores["calibrated"].eq(1.0).all()
    # 8 origins x 28 days, correlated within an origin: a few points of slack.
    assert 0.70 <= scores.loc[synthetic_fit.chosen, "coverage80"] <= 0.90
    assert scores.loc[synthetic_fit.chosen, "coverage95"] >= 0.88
    assert scores["coverage80"].median() == pytest.approx(0.8, abs=0.08)
    factors = synthetic_fit.calibration.set_index("model")
    assert set(factors.index) == set(forecast.MODELS["D"])
    assert (factors["factor95"] >= factors["factor80"]).all()


def test_a_full_daily_backtest_over_three_years_scores_every_model():
    """Three years, every model, 8 scored and 8 calibration origins: every model is scored
    (its time is measured by benchmarks/bench_forecast.py, not here)."""
    rng = np.random.default_rng(2)
    index = pd.date_range("2022-01-03", periods=3 * 365, freq="D")
    y = pd.Series(rng.poisson(150 * WEEKDAY[index.day_of_week]).astype(float), index=index)
    fit = forecast.fit_series(y, "D", 7, 8)
    assert fit.scores["mase"].notna().all()


def test_holiday_codes_add_a_country_s_optional_days():
    """ "BR" is Brazil's public calendar; "BR:optional" adds the days most employers
    observe too (Corpus Christi); a category a country lacks, or an unknown country,
    adds nothing."""
    first, last = date(2016, 1, 1), date(2016, 12, 31)
    public = forecast.holiday_days(["BR"], first, last)
    wider = forecast.holiday_calendar(["BR:optional"], first, last)
    assert date(2016, 4, 21) in public and date(2016, 5, 26) not in public
    assert public < set(wider) and wider[date(2016, 5, 26)] == "Corpus Christi"
    assert forecast.holiday_days(["FR:optional", "XX"], first, last) == forecast.holiday_days(
        ["FR"], first, last
    )
    assert forecast.holiday_days(["BR"], date(2016, 5, 1), date(2016, 5, 31)) == {date(2016, 5, 1)}


@pytest.mark.parametrize("freq,horizon", [("D", 14), ("H", 48)])
def test_intervals_are_never_negative_even_on_sparse_counts(freq, horizon):
    rng = np.random.default_rng(5)
    periods = 200 if freq == "D" else 24 * 7 * 5
    index = pd.date_range("2024-01-01", periods=periods, freq="D" if freq == "D" else "h")
    y = pd.Series(rng.poisson(0.4, periods).astype(float), index=index)
    fit = forecast.fit_series(y, freq, horizon, 3)
    assert not fit.calibration.empty
    for model, frame in [*fit.models.items(), ("backtest", fit.predictions)]:
        values = frame[["mean", "lo80", "hi80", "lo95", "hi95"]].to_numpy()
        assert (values >= 0).all(), model
        assert (frame["lo95"] <= frame["lo80"]).all() and (frame["hi80"] <= frame["hi95"]).all()


def hourly_counts(index: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Weekday levels times an intraday profile: office hours on weekdays, flat weekends."""
    office = np.exp(-0.5 * ((np.arange(24) - 11) / 3.0) ** 2) + 0.05
    flat = np.full(24, 1.0)
    weekday = index.day_of_week.to_numpy()[:, None] < 5
    shape = np.where(weekday, office / office.sum(), flat / 24)
    profile = shape[np.arange(len(index)), index.hour.to_numpy()]
    return rng.poisson(300 * WEEKDAY[index.day_of_week] * profile).astype(float)


@pytest.mark.parametrize("freq,horizon", [("D", 14), ("H", 48)])
def test_the_backtest_never_uses_data_after_its_origin(freq, horizon):
    """Two series equal up to a date and ten times apart after it: every origin before
    that date must score the same forecasts; origins after it must not."""
    rng = np.random.default_rng(11)
    if freq == "D":
        index = pd.date_range("2024-01-01", periods=400, freq="D")
        values = rng.poisson(80 * WEEKDAY[index.day_of_week]).astype(float)
    else:  # seven weeks of hours, starting and ending mid-day
        index = pd.date_range("2024-01-01 13:00", periods=7 * 168, freq="h")
        values = hourly_counts(index, rng)
    base = pd.Series(values, index=index)
    models = forecast.MODELS[freq]
    a = forecast.fit_series(base, freq, horizon, 8, models=models)
    origins = sorted(a.predictions["origin"].unique())
    change = origins[4] + 3  # between the fifth and the sixth scored origin
    changed = base.copy()
    changed.iloc[change:] *= 10
    b = forecast.fit_series(changed, freq, horizon, 8, models=models)
    pa, pb = (
        a.predictions.set_index(["model", "origin", "step"]),
        b.predictions.set_index(["model", "origin", "step"]),
    )
    assert set(pa.index.get_level_values("model")) == set(models)
    # Up to the change, the same forecasts (and the same ones rejected by the envelope).
    early_a, early_b = (p[p.index.get_level_values("origin") <= change] for p in (pa, pb))
    pd.testing.assert_series_equal(early_a["mean"], early_b["mean"])
    after = pa.index[pa.index.get_level_values("origin") > change].intersection(pb.index)
    assert len(after) and not np.allclose(pa.loc[after, "mean"], pb.loc[after, "mean"])
    # The calibrated intervals too: calibration only uses errors observed by the origin.
    assert early_a["calibrated"].any()
    bounds = ["lo80", "hi80", "lo95", "hi95"]
    pd.testing.assert_frame_equal(early_a[bounds], early_b[bounds])
    # The actuals scored at early origins that reach past the change do differ.
    assert not np.allclose(early_a["actual"], early_b["actual"])


def test_the_day_split_follows_the_weekday_profile_from_a_mid_day_origin():
    """Hours of a stable weekday profile: forecasting the day and splitting it by the
    profile beats last week's same hour, and its hours keep each weekday's shape."""
    rng = np.random.default_rng(9)
    index = pd.date_range("2024-03-04 13:00", periods=6 * 168 + 5, freq="h")
    y = pd.Series(hourly_counts(index, rng), index=index)
    fit = forecast.fit_series(y, "H", 48, 8, models=("day_split",))
    scores = fit.scores.set_index("model")
    assert scores.loc["day_split", "relative_mase"] < 0.9  # about 0.75 at best (Poisson noise)
    assert fit.chosen == "day_split"
    fc = fit.forecast.assign(period=pd.DatetimeIndex(fit.forecast["period"]))
    assert fc["period"].iloc[0] == index[-1] + pd.Timedelta(hours=1)
    weekday = fc[fc["period"].dt.day_of_week < 5].set_index(fc["period"].dt.hour)["mean"]
    assert weekday.loc[11].min() > 10 * weekday.loc[2].max()
    weekend = fc[fc["period"].dt.day_of_week >= 5]["mean"]
    assert weekend.empty or weekend.max() < 2.5 * weekend.min()
    # The days add up to about the weekday level (300 x the weekday factor).
    days = fc.groupby(fc["period"].dt.normalize())["mean"].sum().iloc[1:]
    expected = 300 * WEEKDAY[days.index.day_of_week]
    assert np.allclose(days.to_numpy(), expected, rtol=0.2)


def test_calibration_factors_come_only_from_windows_seen_by_the_origin():
    """A series whose errors blow up after an origin: the origin's calibration cannot know."""
    rng = np.random.default_rng(21)
    index = pd.date_range("2024-01-01", periods=300, freq="D")
    y = pd.Series(rng.poisson(60 * WEEKDAY[index.day_of_week]).astype(float), index=index)
    calm = forecast.fit_series(y, "D", 7, 4, models=("seasonal_naive",))
    wild = y.copy()
    wild.iloc[-7:] = wild.iloc[-7:] * rng.choice([0.2, 5.0], 7)
    stormy = forecast.fit_series(wild, "D", 7, 4, models=("seasonal_naive",))
    last = calm.predictions["origin"].max()
    pa, pb = (f.predictions[f.predictions["origin"] == last] for f in (calm, stormy))
    # The last origin's interval is the same; only its score and the final forecast change.
    np.testing.assert_allclose(pa[["lo80", "hi80"]], pb[["lo80", "hi80"]])
    assert not np.allclose(pa["actual"], pb["actual"])
    wide = stormy.calibration.set_index("model").loc["seasonal_naive", "factor95"]
    assert wide > calm.calibration.set_index("model").loc["seasonal_naive", "factor95"]


def test_calibrated_intervals_cover_new_draws_as_promised():
    """Forecasts whose own intervals are three times too narrow: the conformal factors
    from earlier errors restore about 80% and 95% coverage on fresh draws."""
    rng = np.random.default_rng(8)
    mean = rng.uniform(20, 200, 400)

    def draws():
        return np.round(mean * np.exp(rng.normal(0, 0.25, len(mean))))

    sd = 0.25 / 3  # the model believes in a third of the true log-scale noise
    pred = pd.DataFrame(
        {
            "mean": mean,
            "lo80": mean * np.exp(-forecast.Z80 * sd),
            "hi80": mean * np.exp(forecast.Z80 * sd),
            "lo95": mean * np.exp(-forecast.Z95 * sd),
            "hi95": mean * np.exp(forecast.Z95 * sd),
        }
    )
    past = draws()
    raw80 = ((pred["lo80"] <= past) & (past <= pred["hi80"])).mean()
    assert raw80 < 0.5
    factors = forecast.calibration_factors([forecast.interval_scores(pred, past)])
    cal = forecast.calibrate(pred, factors)
    future = draws()
    cover80 = ((cal["lo80"] <= future) & (future <= cal["hi80"])).mean()
    cover95 = ((cal["lo95"] <= future) & (future <= cal["hi95"])).mean()
    assert 0.72 <= cover80 <= 0.88
    assert 0.90 <= cover95 <= 0.99
    assert (cal[["lo80", "lo95"]] >= 0).all().all()
    assert (cal["lo95"] <= cal["lo80"]).all() and (cal["hi80"] <= cal["hi95"]).all()
    # Too few errors: no calibration rather than a guess.
    assert forecast.calibration_factors([np.ones(forecast.MIN_CALIBRATION - 1)]) is None


def test_without_a_backtest_the_default_model_is_still_calibrated():
    rng = np.random.default_rng(6)
    index = pd.date_range("2024-01-01", periods=300, freq="D")
    y = pd.Series(rng.poisson(90 * WEEKDAY[index.day_of_week]).astype(float), index=index)
    fit = forecast.fit_series(y, "D", 14, 0)
    assert fit.origins == 0 and fit.chosen == forecast.DEFAULT_MODEL["D"]
    assert list(fit.calibration["model"]) == [fit.chosen]
    assert fit.calibration["n_errors"].iat[0] >= forecast.MIN_CALIBRATION
    assert fit.scores["mase"].isna().all()


@pytest.mark.parametrize(
    "values,expected",
    [
        ([1.0, 0.8, 1.2], "ets"),  # the best model beats the baseline
        ([1.0, 1.1, 1.3], "seasonal_naive"),  # nothing beats it
        ([1.0, 1.0, 1.3], "seasonal_naive"),  # a tie keeps the baseline
        ([1.0, np.nan, 1.3], "seasonal_naive"),  # a model that failed is no candidate
    ],
)
def test_the_choice_falls_back_to_seasonal_naive(values, expected):
    scores = pd.DataFrame({"model": ["seasonal_naive", "ets", "sarimax"], "mase": values})
    assert forecast.choose(scores) == expected


def test_a_seasonal_random_walk_keeps_seasonal_naive():
    """Where last week is the best guess (a seasonal random walk), no static model wins."""
    rng = np.random.default_rng(4)
    index = pd.date_range("2024-01-01", periods=280, freq="D")
    level = 4 + np.cumsum(rng.normal(0, 0.3, len(index)))
    weekly = np.log(np.tile(rng.uniform(20, 200, 7), 40))
    log_y = weekly + np.repeat(level[::7], 7)[: len(index)] - 4
    y = pd.Series(np.round(np.exp(log_y)), index=index)
    fit = forecast.fit_series(y, "D", 7, 8, models=("nb_glm",))
    scores = fit.scores.set_index("model")
    assert scores.loc["nb_glm", "mase"] > scores.loc["seasonal_naive", "mase"]
    assert fit.chosen == "seasonal_naive"
    assert fit.forecast.equals(fit.models["seasonal_naive"])


def test_a_planned_event_moves_its_days_by_the_uplift_or_the_measured_profile(synthetic_fit):
    start = synthetic_fit.forecast["period"].iloc[3].date()
    typed = forecast.PlannedEvent("Launch", "product launch", "all", start, start, uplift=0.5)
    moved = forecast.with_events(synthetic_fit, [typed])
    ratio = moved["mean"] / synthetic_fit.forecast["mean"]
    assert ratio.iloc[3] == pytest.approx(1.5)
    assert ratio.drop(index=3).eq(1.0).all()
    profiled = forecast.PlannedEvent(
        "Rollout", "interface rollout", "Europe", start, start, profile=(1.2, 2.0, 1.1)
    )
    shares = {"Europe": 0.5}
    moved = forecast.with_events(synthetic_fit, [profiled], shares, split="total")
    ratio = (moved["mean"] / synthetic_fit.forecast["mean"]).to_numpy()
    np.testing.assert_allclose(ratio[3:6], [1.1, 1.5, 1.05])
    assert (moved[["lo80", "lo95"]] >= 0).all().all()


def test_a_surge_is_flagged_where_arrivals_outrun_usual_resolutions(synthetic_fit):
    assert (
        forecast.surges(synthetic_fit, margin=0.2)
        .query("reason == 'arrivals above capacity'")
        .empty
    )
    start = synthetic_fit.forecast["period"].iloc[10].date()
    wave = forecast.PlannedEvent("Wave", "outage", "all", start, start + timedelta(days=6), 1.5)
    found = forecast.surges(synthetic_fit, forecast.with_events(synthetic_fit, [wave]), 0.2)
    over = found[found["reason"] == "arrivals above capacity"]
    assert len(over) == 1
    assert over["start"].iloc[0] >= pd.Timestamp(start)
    assert over["confidence"].iloc[0] > 0.9
    assert "total" in forecast.describe_surge(over.iloc[0])


def test_saved_event_effect_profiles_are_read_for_planned_events():
    con = store.connect()
    assert forecast.event_profiles(con) == {}
    for effect_id, method, estimated, effects in (
        (1, "staggered_did", "2026-01-02", (0.9, 0.9)),
        (2, "intervention", "2026-01-01", (0.2, 0.5, None, 0.1)),
    ):
        con.execute(
            "insert into event_effects (effect_id, source, event_name, kind, region, starts_on, "
            "ends_on, metric, method, model, estimated_at) values "
            "(?, 'sample', 'Rollout', 'interface rollout', 'Europe', date '2025-09-01', "
            "date '2025-10-01', 'arrivals', ?, 'm', ?::timestamptz)",
            [effect_id, method, estimated],
        )
        for day, effect in enumerate(effects):
            if effect is not None:
                con.execute(
                    "insert into event_effect_profile values (?, ?, ?, null, null)",
                    [effect_id, day, effect],
                )
    profiles = forecast.event_profiles(con)
    assert profiles == {("interface rollout", "Europe"): (1.2, 1.5, 1.0, 1.1)}
    assert forecast.profile_for(profiles, "interface rollout", "Asia") == (1.2, 1.5, 1.0, 1.1)
    assert forecast.profile_for(profiles, "outage", "Asia") == ()


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory, sample_desk):
    """A small simulated desk (14 months, a tenth of the volume) in a store file."""
    folder = tmp_path_factory.mktemp("forecast")
    files = sample_desk(start=date(2024, 1, 1), years=1.2, scale=0.1)
    db = folder / "store.sqlite"
    con = store.connect(db)
    ingest.import_file(con, files.tickets_csv, source="sample", settings=load_settings())
    events.import_events_csv(con, files.events_csv)
    con.close()
    return db


def test_the_cli_prints_one_json_object_per_the_issue(sample_db, capsys):
    status = cli.main(
        ["forecast", "--db", str(sample_db), "--to", "2024-12-31", "--by", "region",
         "--backtest", "0", "--horizon", "14", "--json"]
    )  # fmt: skip
    assert status == 0
    payload = json.loads(capsys.readouterr().out)
    names = [s["name"] for s in payload["series"]]
    assert names[0] == "total" and set(names[1:]) == {"France", "Europe", "North America", "Asia"}
    total = payload["series"][0]
    assert set(total) == {"name", "chosen", "note", "rejected", "models", "forecast"}
    assert total["chosen"] == "combo" and total["note"] is None and total["rejected"] == {}
    first = total["forecast"][0]
    assert set(first) == {"period", "mean", "lo80", "hi80", "lo95", "hi95"}
    # --to bounds the history: the forecast starts the next day.
    assert first["period"] == "2025-01-01" and len(total["forecast"]) == 14
    assert all(p["lo95"] >= 0 for s in payload["series"] for p in s["forecast"])


def test_the_cli_backtests_and_writes_a_csv(sample_db, tmp_path, capsys):
    out = tmp_path / "fc.csv"
    status = cli.main(
        ["forecast", "--db", str(sample_db), "--freq", "H", "--horizon", "48", "--backtest", "8",
         "--json", "--out", str(out)]
    )  # fmt: skip
    assert status == 0
    total = json.loads(capsys.readouterr().out)["series"][0]
    assert set(total["models"]) == set(forecast.MODELS["H"])
    assert total["models"]["seasonal_naive"]["coverage80"] is not None
    # Added fields: the models' own coverage beside the calibrated one.
    assert {"coverage80", "raw_coverage80", "raw_coverage95"} <= set(total["models"]["mstl"])
    assert total["open_hours"]  # the hours the backtest scored, as people write them
    frame = pd.read_csv(out)
    assert len(frame) == 48 and list(frame.columns)[:3] == ["series", "model", "period"]


def test_the_cli_rejects_a_horizon_out_of_range(sample_db, capsys):
    assert cli.main(["forecast", "--db", str(sample_db), "--horizon", "400"]) == 1
    assert "--horizon must be 7 to 90" in capsys.readouterr().err


def test_next_surge_reads_the_store(sample_db):
    con = store.connect(sample_db, read_only=True)
    try:
        start, end = metrics.period(date(2024, 1, 1), date(2024, 8, 20), "Europe/Paris")
        selection = metrics.Selection("sample", start, end, tz="Europe/Paris")
        calm = forecast.next_surge(con, selection, margin=5.0, settings=load_settings())
        line = forecast.next_surge(con, selection, margin=-0.5, settings=load_settings())
    finally:
        con.close()
    assert calm is None
    # Half the usual resolutions is exceeded at once: the first week is the surge.
    assert line.startswith("Wed 21 Aug") and "total" in line and "likely" in line


def test_a_forecasts_history_is_read_once_per_snapshot_and_given_as_a_copy(sample_db, monkeypatch):
    read: list[str] = []
    real = metrics.query

    def counted(con, name, *args, **kwargs):
        read.append(name)
        return real(con, name, *args, **kwargs)

    monkeypatch.setattr(metrics, "query", counted)
    con = store.connect(sample_db, read_only=True)
    try:
        start, end = metrics.period(date(2024, 1, 1), date(2024, 8, 20), "Europe/Paris")
        selection = metrics.Selection("sample", start, end, tz="Europe/Paris")
        first = forecast.history(con, selection, "D", "region")
        first["created"] = -1
        again = forecast.history(con, selection, "D", "region")
        # the business-hours clock reads the same arrivals
        hours = forecast.history(con, replace(selection, business_hours=True), "D", "region")
        forecast.history(con, selection, "D", "channel")
    finally:
        con.close()
    assert read.count("arrivals_by") == 2
    assert (again["created"] >= 0).all() and again["created"].sum() > 1000
    pd.testing.assert_frame_equal(again, hours)


@pytest.mark.parametrize("page", ["pages/forecast.py", "pages/staffing.py"])
def test_the_pages_render_on_the_sample(sample_db, monkeypatch, page):
    monkeypatch.setenv("BACKLOG_RADAR_DB", str(sample_db))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert not at.error
    if page == "pages/forecast.py":
        assert at.metric[0].label.startswith("Forecast tickets")
        assert any(m.label == "Model chosen" for m in at.metric)
    else:
        at.checkbox(key="wi_close").check()
        at.number_input(key="wi_weekend").set_value(2)
        at.button[-1].click().run()
        assert not at.exception
        table = at.dataframe[-1].value
        assert list(table["Plan"]) == ["Baseline plan", "Scenario"]
    st.cache_resource.clear()


def test_the_hourly_forecast_page_shows_open_hours_and_the_error_by_hour(sample_db, monkeypatch):
    at = page_on(sample_db, "pages/forecast.py", monkeypatch)
    at.session_state["fc_freq"] = "Hourly"
    at.run()
    assert not at.exception and not at.error
    captions = " ".join(c.value for c in at.caption)
    assert "Open hours: " in captions and "scored on open hours" in captions
    assert "twelve weeks hourly" in captions
    st.cache_resource.clear()


def test_the_forecast_page_speaks_french_with_french_numbers(sample_db, monkeypatch):
    at = fresh_app(sample_db, monkeypatch, 180, lang="fr")
    at.run()
    # Ninety days ahead: thousands of tickets on the sample. (Set before the page runs:
    # AppTest shows a selectbox's options through str, not the page's French labels.)
    at.session_state["fc_horizon_D"] = 90
    at.switch_page("pages/forecast.py").run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Prévisions"
    assert [h.value for h in at.subheader] == ["Alertes de pic", "Backtest"]
    cards = {m.label: m.value for m in at.metric}
    total = cards["Tickets prévus, 90 jours à venir"]
    # A thousands group is a narrow no-break space, never a comma.
    assert re.fullmatch(r"\d{1,3}(\u202f\d{3})+", total), total
    error = cards["Erreur du backtest face au naïf saisonnier"]
    assert re.fullmatch(r"[+±-]\d+\u00a0%", error), error
    scores = at.dataframe[-1].value
    assert {"Modèle", "Choisi", "couverture à 80\u00a0%"} <= set(scores.columns)
    assert all("," in cell for cell in scores["MASE"] if cell)
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["separators"] == ",\u202f"
    assert chart["layout"]["yaxis"]["title"]["text"] == "Tickets créés"
    st.cache_resource.clear()
