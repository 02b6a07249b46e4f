"""The hourly forecast a desk staffs from: its opening hours, the morning's forecast, and
today's update from the arrivals since opening.

When the history ends during a working day, after the desk opened, the
forecast is made where a manager makes it, before today's opening (Friday
evening for a Monday), and today's remaining hours are updated from the
arrivals since (:mod:`analytics.forecast.sameday`). Before the opening, on a
closed day, or without a backtest to learn the update from, the forecast
starts at the end of the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from analytics.forecast.fit import fit_series
from analytics.forecast.opening import OpeningHours, from_schedule, infer_opening
from analytics.forecast.plan import day_origin
from analytics.forecast.sameday import earned_weight, update_today
from analytics.forecast.series import SeriesForecast
from analytics.settings import Settings


def opening_for(settings: Settings, name: str, y: pd.Series) -> OpeningHours | None:
    """Return the opening hours the settings give series ``name``
    (``[forecast.opening_hours]``), or None: inferred from its arrivals."""
    schedule = settings.forecast.opening_hours.get(name)
    if schedule is None:
        return None
    return from_schedule(settings.schedules[schedule].week, schedule, y)


def morning_origin(y: pd.Series, opening: OpeningHours | None) -> tuple[int, int] | None:
    """Return ``(origin, lead)`` of today's morning forecast when the hourly ``y`` ends
    during today, after the desk opened (the origin before today's opening, the hours
    from it to the opening); else None."""
    at = y.index[-1] + pd.Timedelta(hours=1)
    midnight = np.flatnonzero(y.index == at.normalize())
    if not len(midnight):
        return None
    spot = day_origin(opening or infer_opening(y), y.index, int(midnight[0]))
    return spot if spot is not None and spot[0] + spot[1] < len(y) else None


def fit_hourly(
    y: pd.Series,
    horizon: int,
    origins: int,
    *,
    holidays: set[date] = frozenset(),
    events: pd.DataFrame | None = None,
    name: str = "total",
    opening: OpeningHours | None = None,
    models: Iterable[str] | None = None,
) -> SeriesForecast:
    """Return the hourly forecast of ``y`` for ``horizon`` hours past its end, with
    ``today`` (a :class:`~analytics.forecast.sameday.DayUpdate`) when the history ends
    after today's opening: the morning's forecast, its remaining hours updated."""
    args = {"holidays": holidays, "events": events, "name": name, "opening": opening,
            "models": models}  # fmt: skip
    spot = morning_origin(y, opening) if origins else None
    if spot is None:
        return fit_series(y, "H", horizon, origins, **args)
    origin, lead = spot
    at = y.index[-1] + pd.Timedelta(hours=1)
    fc = fit_series(y.iloc[:origin], "H", horizon + len(y) - origin, origins, **args)
    weight = earned_weight(fc, len(y) - origin - lead)
    if weight is None:
        return fit_series(y, "H", horizon, origins, **args)
    update = update_today(fc.forecast, y, at, weight)
    later = fc.forecast[
        pd.DatetimeIndex(fc.forecast["period"]) >= at.normalize() + pd.Timedelta(days=1)
    ]
    fc.forecast = pd.concat([update.forecast, later], ignore_index=True).head(horizon)
    fc.history = pd.DataFrame({"period": y.index, "created": y.to_numpy(dtype=float)})
    fc.today = update
    return fc
