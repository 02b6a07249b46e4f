"""What every arrival model shares: its result (:class:`Fit`), normal quantiles on the
log scale, the envelope guard, and the check of autoregressive roots."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.forecast.envelope import Rejected, envelope
from analytics.forecast.series import MIN_SEASONS, Z80, Z95, ShortHistory


@dataclass
class Fit:
    """Estimated parameters, a function predicting ``h`` steps past the end with given
    future regressors, and, for the state-space models, ``at(origin, h)``: ``h`` steps
    from an earlier origin of the same filtered series, using only data before it."""

    params: object
    predict: Callable[[pd.DataFrame, int], pd.DataFrame]
    at: Callable[[int, int], pd.DataFrame] | None = None


# The largest log1p value back-transformed: expm1 stays finite, so an explosive
# forecast is reported by how far it crossed its envelope, not as "inf".
MAX_LOG = 700.0


def from_normal(mean_log: np.ndarray, sd_log: np.ndarray) -> pd.DataFrame:
    """Return back-transformed quantiles of a normal forecast of log1p(y)."""
    sd = np.maximum(np.asarray(sd_log, dtype=float), 1e-6)
    mean_log = np.asarray(mean_log, dtype=float)
    out = {
        "mean": mean_log,
        "lo80": mean_log - Z80 * sd,
        "hi80": mean_log + Z80 * sd,
        "lo95": mean_log - Z95 * sd,
        "hi95": mean_log + Z95 * sd,
    }
    return pd.DataFrame(
        {k: np.maximum(np.expm1(np.minimum(v, MAX_LOG)), 0.0) for k, v in out.items()}
    )


def guarded(fitter: Callable[..., Fit]) -> Callable[..., Fit]:
    """Return ``fitter`` whose forecasts go through the envelope of the data they were
    fitted on (:meth:`analytics.forecast.envelope.Envelope.check`): capped, or :class:`Rejected`.

    A series shorter than :data:`MIN_SEASONS` seasons raises :class:`ShortHistory`:
    no model can say anything about it.
    """

    @functools.wraps(fitter)
    def fit(y: pd.Series, x: pd.DataFrame, m: int, fixed=None) -> Fit:
        if len(y) < MIN_SEASONS * m:
            raise ShortHistory(f"{len(y)} periods; at least {MIN_SEASONS * m} needed")
        raw = fitter(y, x, m, fixed)
        bounds = envelope(y, m)

        def predict(xf: pd.DataFrame, h: int) -> pd.DataFrame:
            return bounds.check(raw.predict(xf, h))

        def at(start: int, h: int) -> pd.DataFrame:
            # The envelope of the data before the origin: no peeking past it.
            return envelope(y.iloc[:start], m).check(raw.at(start, h))

        return Fit(raw.params, predict, at if raw.at is not None else None)

    return fit


def check_roots(roots: np.ndarray, model: str) -> None:
    """Raise :class:`Rejected` when an AR root lies on or inside the unit circle: the
    forecast on the log scale then drifts or grows without bound."""
    roots = np.atleast_1d(np.asarray(roots))
    if len(roots) and (not np.isfinite(roots).all() or np.abs(roots).min() <= 1.0):
        smallest = float(np.abs(roots).min()) if np.isfinite(roots).all() else float("nan")
        raise Rejected(f"its {model} has an explosive or unit root, of modulus {smallest:.3f}")
