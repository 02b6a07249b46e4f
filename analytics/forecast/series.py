"""What every part of the forecast shares: frequencies, horizons, models, and the result.

:class:`SeriesForecast` is one series' history, backtest and forecast;
:class:`ShortHistory` is raised when a series is too short to forecast at all
(:func:`shortfall` says why).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

SPLITS = ("total", "region", "channel", "category")
FREQS = ("D", "H")
HORIZONS = {"D": (7, 90), "H": (48, 168)}
SEASON = {"D": 7, "H": 168}
MODELS = {
    "D": ("seasonal_naive", "ets", "sarimax", "nb_glm", "autoreg", "combo", "ets_sarimax"),
    "H": ("seasonal_naive", "mstl", "nb_glm", "autoreg", "day_split", "combo", "day_combo"),
}
DEFAULT_MODEL = {"D": "combo", "H": "combo"}
Z80, Z95 = stats.norm.ppf(0.9), stats.norm.ppf(0.975)
QUANTILES = ("lo95", "lo80", "mean", "hi80", "hi95")
# The columns of a forecast after its period, in display order.
FORECAST_COLUMNS = ("mean", "lo80", "hi80", "lo95", "hi95")
# Seasons of arrivals a forecast needs: one to repeat (seasonal naive, the
# simplest model that knows the weekly cycle) and a second to measure how much
# a season differs from the one before (its interval). Every model needs at
# least that much; the regression models and the backtest need more.
MIN_SEASONS = 2


class ShortHistory(ValueError):
    """Too little history to forecast at all; the message says how much there is and
    how much is needed."""


@dataclass
class SeriesForecast:
    """One series' history, backtest and forecast.

    ``forecast`` has ``period, mean, lo80, hi80, lo95, hi95`` for the chosen
    model (``mean`` is the point forecast: the back-transformed median);
    ``models`` the same per model; ``scores`` one row per model with ``mase``,
    ``relative_mase`` (against seasonal naive), ``smape``, ``coverage80``,
    ``coverage95`` (of the calibrated intervals, on the scored origins),
    ``fit_s``, ``raw_coverage80``, ``raw_coverage95`` (of the model's own
    intervals), ``calibrated`` (share of scored origins whose intervals had
    a calibration) and ``rejected`` (scored origins whose forecast the envelope
    rejected); ``by_horizon`` the MASE per model and step; ``predictions``
    every scored backtest forecast (``model, origin, step, actual, mean, lo80,
    hi80, lo95, hi95, calibrated``, origin = training length); ``calibration``
    the conformal factors of the final forecast (``model, factor80, factor95,
    n_errors``); ``note`` a sentence for people when the forecast is not the
    backtest's plain choice (a model rejected by its envelope, or a history too
    short to backtest), else ""; ``rejected`` the reason of each rejected model.
    """

    name: str
    freq: str
    history: pd.DataFrame
    chosen: str
    scores: pd.DataFrame
    by_horizon: pd.DataFrame
    forecast: pd.DataFrame
    models: dict[str, pd.DataFrame] = field(default_factory=dict)
    origins: int = 0
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    note: str = ""
    rejected: dict[str, str] = field(default_factory=dict)
    opening: object = None  # the OpeningHours of an hourly forecast
    today: object = None  # the same-day update (sameday.DayUpdate), when there is one

    def to_dict(self) -> dict:
        """Return the JSON shape of ``python -m analytics forecast --json``."""
        fmt = "%Y-%m-%d" if self.freq == "D" else "%Y-%m-%dT%H:00"
        models = {
            row.model: {
                "mase": _num(row.mase),
                "smape": _num(row.smape),
                "coverage80": _num(row.coverage80),
                "coverage95": _num(row.coverage95),
                "fit_s": _num(row.fit_s),
                "raw_coverage80": _num(row.raw_coverage80),
                "raw_coverage95": _num(row.raw_coverage95),
            }
            for row in self.scores.itertuples()
        }
        out = {
            "name": self.name,
            "chosen": self.chosen,
            "note": self.note or None,
            "rejected": self.rejected,
            "models": models,
            "forecast": [
                {
                    "period": row.period.strftime(fmt),
                    **{k: round(float(getattr(row, k)), 2) for k in ("mean", *QUANTILES[:2])},
                    **{k: round(float(getattr(row, k)), 2) for k in QUANTILES[3:]},
                }
                for row in self.forecast.itertuples()
            ],
        }
        if self.opening is not None:
            out["open_hours"] = self.opening.describe()
        if self.today is not None:
            out["today"] = {
                "updated_at": self.today.at.strftime(fmt),
                "seen": round(self.today.seen, 2),
                "expected": round(self.today.expected, 2),
                "factor": round(self.today.factor, 4),
            }
        return out


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


def arrival_span(counts: Iterable[float]) -> int:
    """Return the periods from the first one with arrivals to the end (0 when none)."""
    values = np.asarray(list(counts), dtype=float)
    found = np.flatnonzero(values > 0)
    return int(len(values) - found[0]) if len(found) else 0


def observed_span(counts: Iterable[float], freq: str) -> int:
    """Return the periods a source's arrivals were observed: :func:`arrival_span`, less a
    trailing run of empty periods longer than a season.

    A week without a single arrival after the last one means the data stopped
    (a one-day export whose tickets were closed over the following weeks, which
    move the source's end), not a quiet week; a quiet night or weekend is history.
    """
    values = np.asarray(list(counts), dtype=float)
    found = np.flatnonzero(values > 0)
    if not len(found):
        return 0
    trailing = len(values) - 1 - found[-1]
    return arrival_span(values if trailing <= SEASON[freq] else values[: found[-1] + 1])


def shortfall(span: int, freq: str) -> str | None:
    """Return why ``span`` periods of arrivals are too few to forecast, or None when
    they are enough (:data:`MIN_SEASONS` seasons)."""
    need = MIN_SEASONS * SEASON[freq]
    if span >= need:
        return None
    unit = "day" if freq == "D" else "hour"
    have = f"{span} {unit}{'' if span == 1 else 's'} of arrivals" if span else f"no complete {unit}"
    return (
        f"Not enough history to forecast: {have} in this selection, and a forecast needs at "
        f"least {need} {unit}s (two weeks: one to repeat, one to measure how much a week "
        "differs from the one before)."
    )
