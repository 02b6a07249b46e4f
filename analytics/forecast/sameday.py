"""The same-day update: the rest of today re-forecast from the morning's arrivals.

A morning forecast fixes the day's total before the desk opens; by 10:00 the
arrivals so far say whether today is busier or quieter than expected. As in
Weinberg, Brown & Stroud (2007), the day's "busyness" (actual over forecast,
shared by its hours) is updated from the hours seen, and the rest of the day
is the morning forecast times the updated busyness.

How much of the morning's busyness carries into the afternoon is learned
from the backtest's days (:func:`learned_weight`): a least-squares slope of
the rest of the day's log ratio on the morning's. A desk whose mornings say
little about its afternoons keeps the morning forecast; one whose days are
busy or quiet throughout follows the morning. The update is applied only
when it beat the morning forecast on the backtest's days (:func:`earned_weight`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.forecast.series import FORECAST_COLUMNS, SeriesForecast

# Backtest days needed before the weight of the morning is learned.
MIN_DAYS_SEEN = 5


@dataclass(frozen=True)
class DayUpdate:
    """Today re-forecast at ``at``: ``seen`` arrivals where the morning forecast expected
    ``expected``; ``factor``, the day's busyness applied to the rest of the day (learned
    ``weight`` times the morning's log ratio); ``morning``, today's hours as forecast
    before opening, and ``forecast``, today's remaining hours updated (both ``period,
    mean, lo80, hi80, lo95, hi95``)."""

    at: pd.Timestamp
    seen: float
    expected: float
    weight: float
    factor: float
    morning: pd.DataFrame
    forecast: pd.DataFrame

    @property
    def keeps_morning(self) -> bool:
        """True when the update leaves the rest of the day as the morning forecast it: in
        the backtest, updating from the morning's arrivals did not beat the morning."""
        return self.weight == 0

    @property
    def says_something(self) -> bool:
        """Return False when nothing was expected and nothing came: a closed day, or an
        export that ended, where "0 where 0 was expected (+0%)" tells nobody anything."""
        return self.seen > 0 or self.expected >= 0.5


def busyness(seen: float, expected: float, weight: float) -> float:
    """Return the day's busyness factor: ``exp(weight * log((seen + 1) / (expected + 1)))``,
    ``seen`` arrivals where ``expected`` were forecast, the morning's log ratio times the
    learned ``weight``."""
    return float(np.exp(weight * np.log((seen + 1) / (expected + 1))))


def update_today(
    morning: pd.DataFrame, arrivals: pd.Series, at: pd.Timestamp, weight: float
) -> DayUpdate:
    """Return today's remaining hours from ``morning`` (``period`` and the forecast
    columns, from an origin before today's opening) updated by ``arrivals`` (hourly
    counts indexed by hour) with the learned ``weight`` (:func:`learned_weight`).

    Only the complete hours before ``at`` count as seen, whatever ``arrivals``
    holds after it; the rest of ``at``'s day is scaled by the busyness factor.
    """
    at = pd.Timestamp(at).floor("h")
    periods = pd.DatetimeIndex(morning["period"])
    day = at.normalize()
    today = (periods >= day) & (periods < day + pd.Timedelta(days=1))
    seen_hours = arrivals[(arrivals.index >= day) & (arrivals.index < at)]
    before = today & (periods < at)
    expected, seen = float(morning.loc[before, "mean"].sum()), float(seen_hours.sum())
    factor = busyness(seen, expected, weight)
    rest = morning[today & (periods >= at)].copy()
    for column in FORECAST_COLUMNS:
        rest[column] = rest[column] * factor
    return DayUpdate(
        at, seen, expected, weight, factor,
        morning[today].reset_index(drop=True), rest.reset_index(drop=True),
    )  # fmt: skip


def _forecast_days(fc: SeriesForecast) -> pd.DataFrame:
    """Return the chosen model's scored backtest rows with, for each (origin, day):
    ``day`` (days since the history's start), ``hour`` (hours since that day's first
    scored hour), ``end`` (the position after its last hour) and ``first`` (True on
    the day the origin opens to)."""
    pred = fc.predictions
    columns = ["origin", "day", "hour", "end", "first", "actual", "mean"]
    if pred.empty or "scored" not in pred:
        return pd.DataFrame(columns=columns)
    rows = pred[(pred["model"] == fc.chosen) & pred["scored"].astype(bool)]
    start = pd.Timestamp(fc.history["period"].iloc[0]).hour
    position = rows["origin"] + rows["step"] - 1
    rows = rows.assign(day=(start + position) // 24, position=position)
    group = rows.groupby(["origin", "day"])["position"]
    rows = rows.assign(
        hour=rows["position"] - group.transform("min"),
        end=group.transform("max") + 1,
        first=rows["day"] == rows.groupby("origin")["day"].transform("min"),
    )
    return rows[columns]


def _log_ratio(frame: pd.DataFrame) -> float:
    return float(np.log((frame["actual"].sum() + 1) / (frame["mean"].sum() + 1)))


def learned_weight(pairs: list[tuple[float, float]]) -> float | None:
    """Return how much of the morning's log busyness carries into the rest of the day:
    the least-squares slope of the rest's log ratio on the morning's, over earlier days
    ``(morning, rest)``, within [0, 1]; None with too few days."""
    if len(pairs) < MIN_DAYS_SEEN:
        return None
    seen, rest = np.array(pairs).T
    spread = np.sum((seen - seen.mean()) ** 2)
    if not spread:
        return 0.0
    slope = np.sum((seen - seen.mean()) * (rest - rest.mean())) / spread
    return float(np.clip(slope, 0.0, 1.0))


def _pairs(days: pd.DataFrame, hours_open: int) -> pd.DataFrame:
    """Return ``origin, end, first, morning, rest`` per forecast day: the log busyness of
    its first ``hours_open`` scored hours and of the hours after them."""
    out = []
    for (origin, _), day in days.groupby(["origin", "day"], sort=True):
        seen, rest = day[day["hour"] < hours_open], day[day["hour"] >= hours_open]
        if len(seen) and len(rest):
            out.append((origin, day["end"].iat[0], day["first"].iat[0],
                        _log_ratio(seen), _log_ratio(rest), seen, rest))  # fmt: skip
    return pd.DataFrame(out, columns=["origin", "end", "first", "morning", "rest", "seen", "after"])


def day_pairs(fc: SeriesForecast, hours_open: int) -> list[tuple[float, float]]:
    """Return ``(morning, rest)`` log busyness of every day the backtest forecast (each
    origin's two days, 48 hours ahead): its first ``hours_open`` hours after opening,
    and the hours after them."""
    pairs = _pairs(_forecast_days(fc), hours_open)
    return list(zip(pairs["morning"], pairs["rest"], strict=True))


def _trial(pairs: pd.DataFrame) -> pd.DataFrame:
    """Return, for each origin's first day among the backtest's ``pairs`` (:func:`_pairs`,
    oldest first), the rest of the day's absolute errors summed: ``morning``,
    ``candidate`` (updated with the weight learned from the days that had ended by its
    origin), ``oracle`` (scaled by the day's own actual busyness), and ``origin``,
    ``end``, ``hours``; days before a weight can be learned are left out."""
    rows = []
    for row in pairs[pairs["first"].astype(bool)].itertuples():
        known = pairs[pairs["end"] <= row.origin]
        weight = learned_weight(list(zip(known["morning"], known["rest"], strict=True)))
        if weight is None:
            continue
        actual, mean = row.after["actual"].to_numpy(), row.after["mean"].to_numpy()
        error = {key: float(np.abs(actual - factor * mean).sum())
                 for key, factor in (("morning", 1.0), ("candidate", np.exp(weight * row.morning)),
                                     ("oracle", np.exp(row.rest)))}  # fmt: skip
        rows.append({"origin": row.origin, "end": row.end, "hours": len(actual), **error})
    columns = ["origin", "end", "hours", "morning", "candidate", "oracle"]
    return pd.DataFrame(rows, columns=columns)


def _earned(days: pd.DataFrame) -> bool:
    """Return True when the update beat the morning forecast over ``days`` (rows of
    :func:`_trial`), on at least :data:`MIN_DAYS_SEEN` of them."""
    return len(days) >= MIN_DAYS_SEEN and days["candidate"].sum() < days["morning"].sum()


def earned_weight(fc: SeriesForecast, hours_open: int) -> float | None:
    """Return the weight of today's update ``hours_open`` hours after opening: the learned
    weight (:func:`learned_weight`) when the backtest's updates beat its morning forecasts
    (:func:`update_backtest`), else 0, the morning forecast kept; None with too few days.

    The update must beat the morning forecast as a model must beat seasonal naive: one
    that made the backtest's afternoons worse would only pass the morning's noise on
    to staffing.
    """
    pairs = _pairs(_forecast_days(fc), hours_open)
    weight = learned_weight(list(zip(pairs["morning"], pairs["rest"], strict=True)))
    if weight is None:
        return None
    return weight if _earned(_trial(pairs)) else 0.0


def update_backtest(fc: SeriesForecast, hours_open: int) -> dict[str, float] | None:
    """Return the rest-of-day error of the morning forecast and of its update
    ``hours_open`` hours after opening, over the backtest's origins (mean absolute
    error on the scored hours of each origin's first day): ``morning_mae``,
    ``updated_mae``, ``gain`` (1 - updated / morning), ``candidate_gain``,
    ``oracle_gain`` and ``days``; None when there are too few.

    Each origin's update learns its weight from the days that had ended by then,
    and applies it only if those days' updates had beaten their morning forecasts
    (:func:`earned_weight`); ``candidate_gain`` is the gain had it always applied.
    ``oracle_gain`` is the gain had each day's rest been scaled by its own actual
    busyness (known only afterwards): the most any update of the day's level can
    gain, what is left being the hours' own noise around the day's profile.
    """
    trial = _trial(_pairs(_forecast_days(fc), hours_open))
    if trial.empty:
        return None
    applied = [_earned(trial[trial["end"] <= origin]) for origin in trial["origin"]]
    updated = trial["candidate"].where(applied, trial["morning"])
    hours, before = trial["hours"].sum(), trial["morning"].sum()

    def gain(errors: pd.Series) -> float:
        return float(1 - errors.sum() / before) if before else 0.0

    return {
        "morning_mae": float(before / hours),
        "updated_mae": float(updated.sum() / hours),
        "gain": gain(updated),
        "candidate_gain": gain(trial["candidate"]),
        "oracle_gain": gain(trial["oracle"]),
        "days": float(len(trial)),
    }


def error_by_hour(fc: SeriesForecast) -> pd.DataFrame:
    """Return ``hour, model, mase``: each model's mean scaled error (MASE) on the scored
    hours of the backtest, by hour of day (hourly forecasts; empty without a backtest)."""
    pred = fc.predictions
    if pred.empty or "scored" not in pred or fc.freq != "H":
        return pd.DataFrame(columns=["hour", "model", "mase"])
    rows = pred[pred["scored"].astype(bool)]
    start = pd.Timestamp(fc.history["period"].iloc[0])
    hours = (start.hour + rows["origin"] + rows["step"] - 1) % 24
    frame = rows.assign(hour=hours.astype(int))
    out = frame.groupby(["model", "hour"], sort=True)["ase"].mean().rename("mase")
    return out.reset_index()[["hour", "model", "mase"]]
