"""Hourly forecasts of a desk with opening hours: closed hours, the intraday profile,
holidays and their catch-up, origins before opening, and the same-day update.

The desk is synthetic and its truth known: open 08:00-18:00 on weekdays, a
fixed intraday profile, weekday levels, and a catch-up the day after a holiday.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from apptest import page_on

from analytics import forecast, ingest, store
from analytics.forecast.plan import hourly_plan
from analytics.settings import SettingsError, load_settings, parse_schedule

OPEN_HOURS = np.arange(8, 18)
# The share of each open hour in its day: a morning peak and an afternoon one.
PROFILE = np.array([0.06, 0.12, 0.14, 0.11, 0.07, 0.09, 0.13, 0.12, 0.09, 0.07])
LEVEL = np.array([520.0, 470.0, 450.0, 440.0, 400.0, 0.0, 0.0])
CATCH_UP = 1.4


def desk(
    weeks: int, holidays: set[date] = frozenset(), seed: int = 3, busyness: float = 0.05
) -> pd.Series:
    """Return ``weeks`` weeks of hourly arrivals from a Monday: weekday level x day noise x
    the profile, zero on weekends, nights and ``holidays``, the day after a holiday
    :data:`CATCH_UP` times busier; ``busyness`` is the spread of a day's level, shared
    by its hours."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-01-06", periods=7 * weeks, freq="D")
    total = LEVEL[days.day_of_week] * rng.lognormal(0, busyness, len(days))
    after = np.array([(d - pd.Timedelta(days=1)).date() in holidays for d in days])
    total = np.where(
        [d.date() in holidays for d in days], 0.0, total * np.where(after, CATCH_UP, 1)
    )
    hourly = np.zeros((len(days), 24))
    hourly[:, OPEN_HOURS] = total[:, None] * PROFILE[None, :]
    index = pd.date_range(days[0], periods=len(days) * 24, freq="h")
    return pd.Series(rng.poisson(hourly.ravel()).astype(float), index=index)


@pytest.fixture(scope="module")
def fitted():
    y = desk(12)
    return y, forecast.fit_series(y, "H", 48, 20, models=("seasonal_naive", "day_split"))


def test_the_opening_hours_are_inferred_from_the_arrivals(fitted):
    y, fc = fitted
    assert fc.opening.describe() == "Mon-Fri 08-18"
    assert forecast.infer_opening(y).states(y.index[:24]).tolist() == [0] * 8 + [2] * 10 + [0] * 6


def test_a_trickle_is_told_from_a_closed_hour():
    """A voice server that answers at night: a few calls are a trickle, not an opening."""
    y = desk(8)
    night = (y.index.hour == 3) & (y.index.day_of_week < 5)
    y[night] = np.random.default_rng(1).poisson(1.0, night.sum())
    opening = forecast.infer_opening(y)
    assert opening.grid[0][3] == forecast.TRICKLE
    assert opening.grid[0][4] == forecast.CLOSED
    assert opening.grid[0][10] == forecast.OPEN
    assert opening.describe() == "Mon-Fri 08-18"


def test_closed_hours_are_forecast_as_exactly_zero(fitted):
    _, fc = fitted
    for frame in (fc.forecast, *fc.models.values()):
        periods = pd.DatetimeIndex(frame["period"])
        closed = (periods.day_of_week >= 5) | (periods.hour < 8) | (periods.hour >= 18)
        assert closed.any() and (~closed).any()
        assert (frame.loc[closed, ["mean", "lo80", "hi80", "lo95", "hi95"]] == 0).all().all()
        assert (frame.loc[~closed, "mean"] > 0).all()


def test_only_open_hours_are_scored_from_origins_before_opening(fitted):
    y, fc = fitted
    assert fc.origins == 20
    rows = fc.predictions[fc.predictions["model"] == "day_split"]
    origins = y.index[rows["origin"].unique()]
    # Before 08:00 on Tuesday to Friday; on Friday evening (18:00) for a Monday.
    assert {(o.day_of_week, o.hour) for o in origins} <= {(1, 8), (2, 8), (3, 8), (4, 8), (4, 18)}
    assert (4, 18) in {(o.day_of_week, o.hour) for o in origins}
    scored = rows[rows["scored"]]
    periods = y.index[scored["origin"] + scored["step"] - 1]
    assert set(periods.hour) == set(OPEN_HOURS) and periods.day_of_week.max() < 5


def test_the_day_split_recovers_the_profile_and_beats_naive(fitted):
    _, fc = fitted
    assert fc.chosen == "day_split"
    assert fc.scores.set_index("model").loc["day_split", "relative_mase"] < 0.85
    frame = fc.models["day_split"].assign(period=lambda f: pd.DatetimeIndex(f["period"]))
    day = frame[frame["period"].dt.normalize() == frame["period"].iloc[-1].normalize()]
    if day["mean"].sum() == 0:  # a weekend: the last weekday forecast instead
        weekday = frame[frame["period"].dt.day_of_week < 5]
        day = weekday[weekday["period"].dt.normalize() == weekday["period"].iloc[-1].normalize()]
    shares = day.set_index(day["period"].dt.hour)["mean"] / day["mean"].sum()
    assert np.abs(shares.loc[OPEN_HOURS].to_numpy() - PROFILE).max() < 0.015


def test_a_monday_holiday_is_followed_by_its_catch_up():
    """Three earlier Monday holidays teach the catch-up; the history ends on a fourth."""
    mondays = pd.date_range("2025-01-06", periods=12, freq="7D")
    holidays = {mondays[k].date() for k in (2, 5, 8, 11)}
    y = desk(12, holidays).loc[: mondays[11] + pd.Timedelta(hours=23)]
    fc = forecast.fit_series(y, "H", 48, 8, holidays=holidays, models=("day_split",))
    tuesday = fc.models["day_split"].head(24)["mean"].sum()
    assert tuesday == pytest.approx(LEVEL[1] * CATCH_UP, rel=0.12)


def test_the_backtest_never_sees_after_its_origin():
    """Arrivals multiplied after the fifth scored origin leave every forecast made
    before it unchanged, opening hours and intervals included."""
    y = desk(12)
    models = ("seasonal_naive", "day_split")
    a = forecast.fit_series(y, "H", 48, 20, models=models)
    change = sorted(a.predictions["origin"].unique())[4] + 3
    changed = y.copy()
    changed.iloc[change:] *= 5
    b = forecast.fit_series(changed, "H", 48, 20, models=models)
    early = [
        p[p["origin"] <= change].reset_index(drop=True) for p in (a.predictions, b.predictions)
    ]
    columns = ["model", "origin", "step", "mean", "lo80", "hi95", "scored"]
    pd.testing.assert_frame_equal(early[0][columns], early[1][columns])


def test_the_same_day_update_reads_only_arrivals_before_its_time(fitted):
    y, fc = fitted
    morning = fc.forecast
    day = pd.DatetimeIndex(morning["period"])
    at = day[(day.day_of_week < 5) & (day.hour == 11)][0]
    seen = pd.Series(1.3 * morning["mean"].to_numpy(), index=day)
    later = seen.copy()
    later[later.index >= at] *= 50
    a, b = (forecast.update_today(morning, s, at, 0.8) for s in (seen, later))
    assert a.seen == b.seen and a.factor == b.factor
    pd.testing.assert_frame_equal(a.forecast, b.forecast)
    assert a.factor == pytest.approx(np.exp(0.8 * np.log((a.seen + 1) / (a.expected + 1))))
    assert a.factor > 1.2 and a.forecast["period"].min() == at
    assert a.says_something


def test_a_day_that_expected_nothing_and_saw_nothing_says_nothing(fitted):
    y, fc = fitted
    morning = fc.forecast.assign(mean=0.0)
    day = pd.DatetimeIndex(morning["period"])
    at = day[(day.day_of_week < 5) & (day.hour == 11)][0]
    quiet = forecast.update_today(morning, pd.Series(0.0, index=day), at, 0.8)
    assert not quiet.says_something and quiet.factor == 1.0
    busy = forecast.update_today(morning, pd.Series(1.0, index=day), at, 0.8)
    assert busy.says_something


def test_a_busy_morning_raises_the_rest_of_the_day():
    """On a desk whose days are busy or quiet throughout, the history ends at 11:00 on a
    Wednesday whose morning is 60% above a usual one: the forecast starts from the
    morning's origin, and today's remaining hours follow the morning."""
    y = desk(12, busyness=0.25)
    wednesday = y.index[(y.index.day_of_week == 2) & (y.index.hour == 10)][-1]
    y = y.loc[:wednesday]
    y.loc[wednesday - pd.Timedelta(hours=2) :] = 1.6 * LEVEL[2] * PROFILE[:3]
    fc = forecast.fit_hourly(y, 48, 20, models=("seasonal_naive", "day_split"))
    assert fc.today is not None and fc.today.at == wednesday + pd.Timedelta(hours=1)
    assert fc.today.weight > 0.7 and fc.today.factor > 1.3
    rest = fc.today.forecast
    assert rest["period"].iloc[0] == fc.forecast["period"].iloc[0] == fc.today.at
    morning = fc.today.morning.set_index("period")["mean"].loc[rest["period"]]
    updated = rest.set_index("period")["mean"]
    assert (updated[morning > 0] > morning[morning > 0]).all()
    assert (updated[morning == 0] == 0).all()
    assert len(fc.history) == len(y)
    payload = fc.to_dict()
    assert payload["open_hours"] == "Mon-Fri 08-18"
    assert payload["today"]["updated_at"] == f"{fc.today.at:%Y-%m-%dT%H}:00"
    assert payload["today"]["factor"] == pytest.approx(fc.today.factor, abs=1e-4)


def test_a_desk_open_around_the_clock_is_forecast_from_midnight():
    index = pd.date_range("2025-01-06", periods=8 * 168, freq="h")
    rng = np.random.default_rng(5)
    y = pd.Series(rng.poisson(40 + 20 * np.sin(index.hour / 24 * 2 * np.pi)), index=index)
    opening = forecast.infer_opening(y.astype(float))
    assert opening.always_open and opening.describe() == "every day, around the clock"
    plan = hourly_plan(y.astype(float), index[-1:], 48, 10, None)
    assert {index[c].hour for c in plan.cuts} == {0} and len(plan.cuts) == 10


def test_opening_hours_come_from_a_named_schedule(tmp_path):
    spec = {"tz": "UTC", **{d: ["09:00-17:30"] for d in ("mon", "tue", "wed", "thu", "fri")}}
    schedule = parse_schedule("office", spec)
    opening = forecast.from_schedule(schedule.week, "office", desk(4))
    assert opening.describe() == "Mon-Fri 09-18" and opening.source == "office"
    path = tmp_path / "backlog_radar.toml"
    office = '[business_hours.schedules.office]\nmon = ["09:00-17:30"]\n'
    path.write_text(office + '[forecast.opening_hours]\ntotal = "office"\n')
    settings = load_settings({"BACKLOG_RADAR_CONFIG": str(path)})
    assert forecast.opening_for(settings, "total", desk(4)).describe() == "Mon 09-18"
    assert forecast.opening_for(settings, "Europe", desk(4)) is None
    path.write_text('[forecast.opening_hours]\ntotal = "nowhere"\n')
    with pytest.raises(SettingsError, match="forecast.opening_hours names unknown schedules"):
        load_settings({"BACKLOG_RADAR_CONFIG": str(path)})


def test_a_quiet_desk_at_its_usual_pace_has_no_hourly_surge():
    """A ticket every third hour, at hours that move from week to week: each hour of the
    week resolves one ticket in a third of the weeks, so its median is 0 and made every
    forecast ticket a surge; its mean, a third, does not."""
    index = pd.date_range("2025-01-06", periods=6 * 168, freq="h")
    position = np.arange(len(index))
    y = pd.Series(((position + position // 168) % 3 == 0).astype(float), index=index)
    fc = forecast.fit_series(y, "H", 48, 0, models=("seasonal_naive",))
    assert forecast.normal_capacity(fc) == pytest.approx(np.full(48, 1 / 3))
    usual = fc.forecast.assign(mean=1 / 3, lo80=0.0, hi80=1.0, lo95=0.0, hi95=2.0)
    assert forecast.surges(fc, usual, margin=0.2).empty
    assert len(forecast.surges(fc, usual.assign(mean=1.0), margin=0.2)) == 1


def test_days_no_calendar_knows_do_not_steer_the_daily_regression():
    """Twelve weeks of days at their weekday's level with a 5% spread, and three days at a
    quarter of it that no calendar names (an outage, a festival's intermediate days):
    the regression keeps the weekday levels and the ordinary spread. By least squares,
    those three days took up to an eighth off their weekdays' levels and made the
    spread five times the ordinary one."""
    from analytics.forecast.daysplit import daily_fit

    rng = np.random.default_rng(4)
    weekday = np.arange(84) % 7
    level = np.array([520.0, 470.0, 450.0, 440.0, 400.0, 300.0, 250.0])[weekday]
    totals = level * rng.lognormal(0, 0.05, 84)
    totals[[30, 31, 60]] *= 0.25
    dummies = np.eye(7)[weekday][:, 1:]
    fit = daily_fit(totals, dummies)
    assert np.sqrt(fit.sigma2) < 0.08
    fitted = np.log1p(level[:7]) - (fit.beta[0] + np.r_[0.0, fit.beta[1:]])
    assert np.abs(fitted).max() < 0.04


def test_a_desk_that_records_no_resolution_is_measured_against_its_usual_arrivals():
    """Call arrivals carry no resolution: capacity is unknown, not zero. Against zero,
    every forecast hour was a surge "+48,907,295,064,959%" above what is usually resolved."""
    y = desk(6)
    fc = forecast.fit_series(y, "H", 48, 0, models=("seasonal_naive",))
    fc.history = fc.history.assign(resolved=0.0)
    assert forecast.normal_capacity(fc) == pytest.approx(
        forecast.normal_capacity(forecast.fit_series(y, "H", 48, 0, models=("seasonal_naive",)))
    )
    assert forecast.normal_capacity(fc).max() > 10
    assert forecast.surges(fc, margin=0.2).empty
    doubled = fc.forecast.assign(**{c: fc.forecast[c] * 2 for c in ("mean", "lo80", "hi80")})
    assert not forecast.surges(fc, doubled, margin=0.2).empty


def test_a_small_desk_s_hourly_surge_says_its_rates_with_a_decimal():
    """About one ticket an hour against 0.3 usually resolved: whole numbers read "0"."""
    row = pd.Series({"series": "total", "start": pd.Timestamp("2025-03-15 11:00"),
                     "end": pd.Timestamp("2025-03-15 23:00"),
                     "peak_period": pd.Timestamp("2025-03-15 23:00"), "expected": 1.04,
                     "capacity": 0.3, "excess_pct": 247.0, "max_wait_h": 0.0, "confidence": 0.99,
                     "per": "an hour in the day", "reason": "arrivals above capacity"})  # fmt: skip
    text = forecast.describe_surge(row)
    assert "about 1.0 tickets an hour" in text and "against 0.3 usually resolved" in text
    assert "pour 0,3 résolus d'habitude" in forecast.describe_surge(row, "fr")
    weekly = row.copy()
    weekly[["expected", "capacity", "per"]] = [130.4, 98.6, "a day in the week"]
    assert "about 130 tickets a day" in forecast.describe_surge(weekly)


def test_the_update_backtest_gains_on_busy_days_and_never_beyond_knowing_the_day():
    """Days busy or quiet throughout (a quarter's spread of level): the morning says how
    the afternoon goes, so the update gains, but never more than scaling each day's rest
    by its own actual busyness would. Days of one level leave nothing to learn: what
    remains is the hours' Poisson noise, and knowing the day's level gains little."""
    models = ("seasonal_naive", "day_split")
    busy = forecast.fit_series(desk(12, busyness=0.25), "H", 48, 20, models=models)
    score = forecast.update_backtest(busy, 3)
    assert score is not None and score["days"] >= 15
    assert 0.3 < score["candidate_gain"] <= score["oracle_gain"]
    # Applied once it has beaten the morning on five days of its own: a little less gain.
    assert 0.2 < score["gain"] < score["candidate_gain"]
    assert score["updated_mae"] < score["morning_mae"]
    assert forecast.earned_weight(busy, 3) == forecast.learned_weight(forecast.day_pairs(busy, 3))
    flat = forecast.fit_series(desk(12, busyness=0.0), "H", 48, 20, models=models)
    assert forecast.update_backtest(flat, 3)["oracle_gain"] < score["oracle_gain"] / 4


def swinging_mornings(weeks: int = 12, steady_days: int = 63) -> pd.Series:
    """Return :func:`desk` with days busy or quiet throughout for ``steady_days``, then
    mornings (before 11:00) that swing alone, the afternoons as usual."""
    y = desk(weeks, busyness=0.0, seed=8)
    rng = np.random.default_rng(8)
    day = np.arange(len(y)) // 24
    whole = np.exp(rng.normal(0, 0.3, day.max() + 1))[day]
    morning_only = np.exp(rng.normal(0, 0.5, day.max() + 1))[day]
    factor = np.where(day < steady_days, whole, np.where(y.index.hour < 11, morning_only, 1.0))
    return pd.Series(rng.poisson(y.to_numpy() * factor).astype(float), index=y.index)


def test_an_update_that_did_not_beat_the_morning_keeps_the_morning_forecast():
    """Nine weeks of days busy or quiet throughout, then three whose mornings swing alone:
    the weight learned on the first says a busy morning means a busy afternoon, which is
    now false, and updating would make the afternoons worse. The backtest keeps the
    morning's forecast of them, and so does today's update."""
    fc = forecast.fit_series(
        swinging_mornings(), "H", 48, 20, models=("seasonal_naive", "day_split")
    )
    score = forecast.update_backtest(fc, 3)
    assert score["candidate_gain"] < -0.1
    assert score["gain"] == 0.0 and score["updated_mae"] == score["morning_mae"]
    assert forecast.learned_weight(forecast.day_pairs(fc, 3)) > 0
    assert forecast.earned_weight(fc, 3) == 0.0


def desk_store(y: pd.Series, folder) -> str:
    """Write the hourly arrivals ``y`` (UTC) as one ticket each, at random minutes of their
    hour, into a new store; return its path."""
    rng = np.random.default_rng(2)
    hours = np.repeat(y.index.to_numpy(), y.to_numpy(dtype=int))
    created = pd.DatetimeIndex(hours) + pd.to_timedelta(rng.integers(0, 3600, len(hours)), "s")
    tickets = pd.DataFrame({"ticket_id": [f"T{i}" for i in range(len(created))],
                            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ")})  # fmt: skip
    path = folder / "tickets.csv"
    tickets.to_csv(path, index=False)
    db = folder / "store.duckdb"
    con = store.connect(db)
    mapping = {"ticket_id": "ticket_id", "created_at": "created_at"}
    ingest.import_file(
        con, path, source="desk", preset="generic", mapping=mapping, settings=load_settings()
    )
    con.close()
    return str(db)


def test_the_forecast_page_says_when_today_keeps_the_morning_forecast(tmp_path, monkeypatch):
    """The history ends on a Wednesday at 11:00 UTC, mid-morning: the page shows today's
    morning forecast and its update, which says why it kept the morning's figures."""
    y = swinging_mornings()
    wednesday = y.index[(y.index.day_of_week == 2) & (y.index.hour == 10)][-1]
    at = page_on(desk_store(y.loc[:wednesday], tmp_path), "pages/forecast.py", monkeypatch)
    at.session_state["fc_freq"] = "Hourly"
    at.run()
    at.pills(key="period").set_value("All").run()
    assert not at.exception and not at.error
    # Arrivals without resolutions: surges are measured against usual arrivals, not zero.
    assert not [w for w in at.warning if "against 0 usually resolved" in w.value]
    cards = {m.label: m for m in at.metric}
    updated = next(m for label, m in cards.items() if label.startswith("Today, updated at"))
    morning = cards["Today, morning forecast (rest of the day)"]
    assert "did not beat the morning forecast" in updated.help
    assert updated.value == morning.value and updated.delta in ("+0%", "±0%")
    st.cache_resource.clear()
