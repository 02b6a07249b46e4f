"""Arrival forecasts: daily and hourly, per series, chosen by a rolling-origin backtest.

The package, in the order a forecast is made:

- :mod:`~analytics.forecast.data`: the history of a selection from the store,
  the series a split gives, their holidays and calendar events;
- :mod:`~analytics.forecast.features`: the regressors (trend, weekday, hour,
  annual Fourier terms, holidays, events), shared with the measured impact
  and the seasonal decomposition;
- :mod:`~analytics.forecast.models`: seasonal naive, ETS, SARIMAX, MSTL,
  the day then its hours (:mod:`~analytics.forecast.daysplit`), a
  negative-binomial GLM, AutoReg and their combinations, each
  kept inside the envelope of its history (:mod:`~analytics.forecast.envelope`);
- :mod:`~analytics.forecast.backtest`: origins, scores, conformal calibration
  of the intervals, and the choice;
- :mod:`~analytics.forecast.opening`: which hours a desk is open, closed, or
  answers a trickle; :mod:`~analytics.forecast.plan`: where the backtest's
  origins sit (before a working day opens, hourly) and which hours it scores;
- :mod:`~analytics.forecast.fit`: :func:`fit_series`, all of the above for one series;
- :mod:`~analytics.forecast.hourly`: :func:`fit_hourly`, the hourly forecast from
  this morning's origin, with today's rest updated from the hours seen
  (:mod:`~analytics.forecast.sameday`);
- :mod:`~analytics.forecast.planned`: planned events multiplied into a forecast;
- :mod:`~analytics.forecast.surges`: periods whose arrivals exceed normal capacity;
- :mod:`~analytics.forecast.impact`: the measured impact of a past event
  (imported on its own: ``from analytics.forecast import impact``).

Fewer than :data:`MIN_SEASONS` seasons of arrivals: :class:`ShortHistory`; too
short for one backtest origin at the horizon: the default model, noted as not
backtested.

Example
-------
>>> fc = fit_series(y, "D", horizon=28, origins=8)  # doctest: +SKIP
>>> fc.chosen, fc.forecast.head()  # doctest: +SKIP
"""

from analytics.forecast.backtest import (
    CALIBRATION_ORIGINS,
    MIN_CALIBRATION,
    calibrate,
    calibration_factors,
    choose,
    conformal_quantile,
    interval_scores,
    origins_for,
)
from analytics.forecast.data import (
    calendar_events,
    forecast_series,
    history,
    history_key,
    history_selection,
    history_shortfall,
    region_shares,
    same_day,
    series_holidays,
    series_names,
)
from analytics.forecast.features import design, event_columns, holiday_calendar, holiday_days
from analytics.forecast.fit import fit_series
from analytics.forecast.hourly import fit_hourly, opening_for
from analytics.forecast.models import COMBOS, FITTERS, USES_REGRESSORS
from analytics.forecast.opening import (
    CLOSED,
    OPEN,
    TRICKLE,
    OpeningHours,
    from_schedule,
    infer_opening,
)
from analytics.forecast.planned import (
    PlannedEvent,
    calendar_planned,
    event_profiles,
    profile_for,
    with_events,
)
from analytics.forecast.sameday import (
    DayUpdate,
    busyness,
    day_pairs,
    earned_weight,
    error_by_hour,
    learned_weight,
    update_backtest,
    update_today,
)
from analytics.forecast.series import (
    DEFAULT_MODEL,
    FREQS,
    HORIZONS,
    MIN_SEASONS,
    MODEL_NAMES,
    MODELS,
    QUANTILES,
    SEASON,
    SPLITS,
    Z80,
    Z95,
    SeriesForecast,
    ShortHistory,
    arrival_span,
    describe_note,
    model_name,
    observed_span,
    shortfall,
)
from analytics.forecast.surges import (
    SURGE_ORIGINS,
    describe_surge,
    next_surge,
    normal_capacity,
    surges,
)

__all__ = [
    "MODEL_NAMES",
    "model_name",
    "CALIBRATION_ORIGINS",
    "CLOSED",
    "OPEN",
    "TRICKLE",
    "DayUpdate",
    "OpeningHours",
    "busyness",
    "day_pairs",
    "earned_weight",
    "error_by_hour",
    "fit_hourly",
    "from_schedule",
    "infer_opening",
    "learned_weight",
    "opening_for",
    "update_backtest",
    "update_today",
    "COMBOS",
    "DEFAULT_MODEL",
    "FITTERS",
    "FREQS",
    "HORIZONS",
    "MIN_CALIBRATION",
    "MIN_SEASONS",
    "MODELS",
    "QUANTILES",
    "SEASON",
    "SPLITS",
    "SURGE_ORIGINS",
    "USES_REGRESSORS",
    "Z80",
    "Z95",
    "PlannedEvent",
    "SeriesForecast",
    "ShortHistory",
    "arrival_span",
    "calendar_events",
    "calendar_planned",
    "calibrate",
    "calibration_factors",
    "choose",
    "conformal_quantile",
    "describe_note",
    "describe_surge",
    "design",
    "event_columns",
    "event_profiles",
    "fit_series",
    "forecast_series",
    "history",
    "history_key",
    "history_selection",
    "history_shortfall",
    "holiday_calendar",
    "holiday_days",
    "interval_scores",
    "next_surge",
    "normal_capacity",
    "observed_span",
    "origins_for",
    "profile_for",
    "region_shares",
    "same_day",
    "series_holidays",
    "series_names",
    "shortfall",
    "surges",
    "with_events",
]
