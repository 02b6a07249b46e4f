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

from analytics import i18n

SPLITS = ("total", "region", "channel", "category")
FREQS = ("D", "H")
HORIZONS = {"D": (7, 90), "H": (48, 168)}
SEASON = {"D": 7, "H": 168}
MODELS = {
    "D": ("seasonal_naive", "ets", "sarimax", "nb_glm", "autoreg", "combo", "ets_sarimax"),
    "H": ("seasonal_naive", "mstl", "nb_glm", "autoreg", "day_split", "combo", "day_combo"),
}
DEFAULT_MODEL = {"D": "combo", "H": "combo"}
# How each model reads on screen; the codes stay in the CLI's JSON and the settings.
MODEL_NAMES = {
    "seasonal_naive": i18n.N_("seasonal naive"),
    "ets": i18n.N_("smoothing (ETS)"),
    "sarimax": "SARIMAX",
    "nb_glm": i18n.N_("count regression"),
    "autoreg": i18n.N_("autoregression"),
    "mstl": "MSTL",
    "day_split": i18n.N_("day split by hour"),
    "combo": i18n.N_("combination"),
    "ets_sarimax": "ETS + SARIMAX",
    "day_combo": i18n.N_("day combination"),
}
Z80, Z95 = stats.norm.ppf(0.9), stats.norm.ppf(0.975)
QUANTILES = ("lo95", "lo80", "mean", "hi80", "hi95")
# The columns of a forecast after its period, in display order.
FORECAST_COLUMNS = ("mean", "lo80", "hi80", "lo95", "hi95")
# Seasons of arrivals a forecast needs: one to repeat (seasonal naive, the
# simplest model that knows the weekly cycle) and a second to measure how much
# a season differs from the one before (its interval). Every model needs at
# least that much; the regression models and the backtest need more.
MIN_SEASONS = 2


def model_name(code: str, lang: str = "en") -> str:
    """Return a model's short name for people in ``lang`` (``seasonal naive``), short enough
    for a card; an unknown code as it is. docs/forecast.md describes each model."""
    name = MODEL_NAMES.get(code)
    return i18n.gettext(lang, name) if name else code


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
    # The note's sentences as (message, values), for :func:`describe_note` in any language.
    note_parts: tuple = ()
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


def shortfall(span: int, freq: str, lang: str = "en") -> str | None:
    """Return why ``span`` periods of arrivals are too few to forecast (in ``lang``), or
    None when they are enough (:data:`MIN_SEASONS` seasons)."""
    need = MIN_SEASONS * SEASON[freq]
    if span >= need:
        return None
    _ = i18n.translator(lang)
    if freq == "D":
        have = i18n.ngettext(lang, "{n} day of arrivals", "{n} days of arrivals", span)
        have = have.format(n=i18n.number(span, lang)) if span else _("no complete day")
        text = _(
            "Not enough history to forecast: {have} in this selection, and a forecast needs "
            "at least {need} days (two weeks: one to repeat, one to measure how much a week "
            "differs from the one before)."
        )
    else:
        have = i18n.ngettext(lang, "{n} hour of arrivals", "{n} hours of arrivals", span)
        have = have.format(n=i18n.number(span, lang)) if span else _("no complete hour")
        text = _(
            "Not enough history to forecast: {have} in this selection, and a forecast needs "
            "at least {need} hours (two weeks: one to repeat, one to measure how much a week "
            "differs from the one before)."
        )
    return text.format(have=have, need=i18n.number(need, lang))


# Values of a note's sentence that are words, translated with it; a reason a model
# was rejected is translated when the catalogue knows it.
_WORDS = ("units", "why")


def describe_parts(parts: Iterable[tuple[str, dict]], lang: str = "en") -> str:
    """Return a note's sentences (message, values) in ``lang``, numbers in its format."""
    said = []
    for text, values in parts:
        shown = {}
        for name, value in values.items():
            if name in _WORDS:
                value = i18n.gettext(lang, value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                value = i18n.number(value, lang)
            shown[name] = value
        said.append(i18n.gettext(lang, text).format(**shown))
    return " ".join(said)


def describe_note(fc: SeriesForecast, lang: str = "en") -> str:
    """Return ``fc.note`` in ``lang``: why the forecast is not the backtest's plain choice."""
    return describe_parts(fc.note_parts, lang) if fc.note_parts else fc.note
