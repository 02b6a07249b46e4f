"""Where a backtest forecasts from, and which of its forecast periods count.

Daily, the origins are a week apart and every day counts. Hourly, they sit
where a manager forecasts, before a working day opens (Friday evening for a
Monday: :func:`hourly_plan`), and only the
open hours of the ``horizon`` hours after the opening count: closed hours
are forecast as exactly 0, trickle hours are forecast but never judged.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from analytics.forecast.opening import CLOSED, OPEN, OpeningHours, infer_opening
from analytics.forecast.series import SEASON


class Plan(NamedTuple):
    """The origins of one backtest and what each one scores.

    ``cuts`` are training lengths, oldest first; ``spans[cut]`` the periods
    forecast from it; ``scored[cut]`` True on the steps whose errors count;
    ``closed[cut]`` True on the steps forecast as exactly 0; ``counted[cut]``
    True on the periods before it whose errors count (the MASE scale, open
    hours only); ``ahead`` True on the final forecast's closed periods.
    """

    cuts: list[int]
    spans: dict[int, int]
    scored: dict[int, np.ndarray]
    closed: dict[int, np.ndarray]
    counted: dict[int, np.ndarray]
    ahead: np.ndarray


def min_training(freq: str) -> int:
    """Periods before the first backtest origin: three weeks hourly, eight weeks daily."""
    return 3 * SEASON[freq] if freq == "H" else 8 * 7


def daily_plan(n: int, horizon: int, count: int, extra: int) -> Plan:
    """Return ``count`` daily origins a week apart, the last leaving ``horizon`` days to
    score, every day counted (``extra``: the forecast's days past the history)."""
    last = n - horizon
    cuts = sorted(o for o in (last - 7 * k for k in range(count)) if o >= min_training("D"))
    return Plan(
        cuts,
        dict.fromkeys(cuts, horizon),
        {cut: np.ones(horizon, dtype=bool) for cut in cuts},
        {cut: np.zeros(horizon, dtype=bool) for cut in cuts},
        {cut: np.ones(cut, dtype=bool) for cut in cuts},
        np.zeros(extra, dtype=bool),
    )


# Days between the opening hours an origin uses and the day it forecasts: the
# origin of a Monday sits on Friday evening, so hours inferred up to the Friday
# before never read what came after the origin (for desks closed at most two days in a row).
INFERENCE_LAG_DAYS = 3


def hourly_plan(
    y: pd.Series, ahead: pd.DatetimeIndex, horizon: int, count: int, opening: OpeningHours | None
) -> Plan:
    """Return the last ``count`` working-day origins of the hourly ``y``, each scoring
    the open hours of the ``horizon`` hours from the opening it forecasts.

    An origin sits just before a working day opens, where a manager plans the
    day; a working day after a closed day (a Monday) is forecast from the close
    of the last working day (Friday evening); a 24/7 desk's origins are its
    midnights. ``opening`` None: each origin infers the opening hours from the
    arrivals before it (:data:`INFERENCE_LAG_DAYS`); ``ahead`` are the forecast's
    periods, whose closed hours come from the whole history.
    """
    index = pd.DatetimeIndex(y.index)
    n = len(y)
    found = []
    for midnight in np.flatnonzero(index.hour == 0):
        known = opening or infer_opening(y.iloc[: max(1, midnight - 24 * INFERENCE_LAG_DAYS)])
        spot = day_origin(known, index, int(midnight))
        if spot and spot[0] >= min_training("H") and spot[0] + spot[1] + horizon <= n:
            found.append((*spot, known))
    found = found[-count:]
    plan = Plan([], {}, {}, {}, {}, (opening or infer_opening(y)).states(ahead) == CLOSED)
    for cut, lead, known in found:
        states = known.states(index[cut : cut + lead + horizon])
        plan.cuts.append(cut)
        plan.spans[cut] = lead + horizon
        plan.scored[cut] = (np.arange(lead + horizon) >= lead) & (states == OPEN)
        plan.closed[cut] = states == CLOSED
        plan.counted[cut] = known.states(index[:cut]) == OPEN
    return plan


def day_origin(opening: OpeningHours, index: pd.DatetimeIndex, midnight: int):
    """Return ``(origin, lead)`` for the day starting at position ``midnight``, or None
    on a closed day: before its first open hour, or after the last open hour before it
    when the day before is closed."""
    day = index[midnight].day_of_week
    hour = opening.opening_hour(day)
    if hour is None:
        return None
    pos = origin = midnight + hour
    if opening.opening_hour((day - 1) % 7) is None:
        grid = np.asarray(opening.grid)
        while origin > 0 and grid[index[origin - 1].day_of_week, index[origin - 1].hour] != OPEN:
            origin -= 1
    return origin, pos - origin


def without_closed(pred: pd.DataFrame, closed: np.ndarray) -> pd.DataFrame:
    """Return ``pred`` with every quantile 0 on its ``closed`` steps: a closed desk
    receives nothing, with certainty."""
    if not closed.any():
        return pred
    out = pred.copy()
    out.loc[closed[: len(out)], ["mean", "lo80", "hi80", "lo95", "hi95"]] = 0.0
    return out
