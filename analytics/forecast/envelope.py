"""The envelope a count forecast must stay inside, derived from the series' own history.

Counts have a floor (zero) but no natural ceiling. A model fitted on
``log1p(count)`` that finds an explosive root, or whose variance blows up,
returns ``expm1`` of a large number: after a level shift, astronomical
tickets a day, and staffing asks for thousands of agents. The envelope is that missing ceiling, computed from the
history alone (no constant fitted to any one data set), over the last
:data:`WINDOW_SEASONS` seasons (a year of days: a seasonal peak comes back
within it):

``top``
    ``log1p`` of the largest count in the window (the recent maximum).
``trend``
    The series' own growth per season: the Theil-Sen slope of ``log1p`` of
    its season means, floored at zero (a median of pairwise slopes, so one
    level shift or one spike does not make a trend).
``spread``
    The standard deviation of ``log1p`` seasonal differences (how much a week
    differs from the week before): the error of the seasonal naive forecast.

For step ``j`` of ``h``, ``k = ceil(j / m)`` seasons ahead (``m`` the season):

- point ceiling: ``expm1(top + trend * j / m + z95 * spread)``: the recent
  maximum, grown at the series' own pace, plus one season's 95% spread;
- bound ceiling: ``expm1(top + trend * j / m + z95 * spread * sqrt(k))``:
  the same with the spread of a seasonal random walk ``k`` seasons on, which
  is the seasonal naive forecast's own 95% bound from the recent maximum.

:meth:`Envelope.check` rejects a forecast (raises :class:`Rejected`) whose
values are not finite, whose point forecast crosses the point ceiling, or
whose 95% interval is wider, on the log scale, than the whole envelope (a
variance blow-up); otherwise it returns the forecast with its interval bounds
capped at the bound ceiling. Seasonal naive, which repeats the last season,
always passes by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analytics.i18n import N_

# Seasons of history the envelope looks at: 52 weeks, so a yearly peak is in it.
WINDOW_SEASONS = 52
Z95 = float(stats.norm.ppf(0.975))
COLUMNS = ("mean", "lo80", "hi80", "lo95", "hi95")


class Rejected(ValueError):
    """A forecast outside its envelope, or from an explosive fit; the message says why."""


def seasonal_spread(logy: np.ndarray, m: int) -> float:
    """Return the standard deviation of the last :data:`WINDOW_SEASONS` seasons' seasonal
    differences of ``logy`` (0.5 when there is no full season to difference)."""
    diffs = logy[m:] - logy[:-m]
    if not len(diffs):
        return 0.5
    return float(np.std(diffs[-min(len(diffs), WINDOW_SEASONS * m) :]))


def _trend(counts: np.ndarray, m: int) -> float:
    """Theil-Sen slope of log1p of the complete seasons' means, per season, floored at 0."""
    n = len(counts) // m
    if n < 3:
        return 0.0
    means = np.log1p(counts[len(counts) - n * m :].reshape(n, m).mean(axis=1))
    # Theil-Sen: the median of the slopes between every pair of seasons.
    i, j = np.triu_indices(n, k=1)
    return max(0.0, float(np.median((means[j] - means[i]) / (j - i))))


@dataclass(frozen=True)
class Envelope:
    """The ceilings of a forecast of a count series (see the module docstring)."""

    m: int
    recent_max: float
    trend: float
    spread: float

    def _log_top(self, h: int) -> np.ndarray:
        steps = np.arange(1, h + 1)
        return np.log1p(self.recent_max) + self.trend * steps / self.m

    def point_ceiling(self, h: int) -> np.ndarray:
        """Return the highest point forecast allowed at each of ``h`` steps."""
        return np.expm1(self._log_top(h) + Z95 * self.spread)

    def bound_ceiling(self, h: int) -> np.ndarray:
        """Return the highest interval bound allowed at each of ``h`` steps."""
        seasons = np.ceil(np.arange(1, h + 1) / self.m)
        return np.expm1(self._log_top(h) + Z95 * self.spread * np.sqrt(seasons))

    def cap(self, pred: pd.DataFrame) -> pd.DataFrame:
        """Return ``pred`` with every value floored at 0 and capped at the bound ceiling."""
        ceiling = self.bound_ceiling(len(pred))[:, None]
        values = np.clip(pred[list(COLUMNS)].to_numpy(dtype=float), 0.0, ceiling)
        out = pd.DataFrame(values, columns=list(COLUMNS), index=pred.index)
        extra = [c for c in pred.columns if c not in COLUMNS]
        return pd.concat([pred[extra], out], axis=1) if extra else out

    def check(self, pred: pd.DataFrame) -> pd.DataFrame:
        """Return ``pred`` capped (:meth:`cap`), or raise :class:`Rejected` saying why."""
        values = pred[list(COLUMNS)].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise Rejected(N_("its forecast is not finite"))
        unit = "a day" if self.m == 7 else "an hour"
        mean, point = pred["mean"].to_numpy(dtype=float), self.point_ceiling(len(pred))
        # A relative tolerance: seasonal naive repeats the maximum exactly.
        over = mean > point * (1 + 1e-9) + 1e-9
        if over.any():
            j = int(np.argmax(mean - point))
            raise Rejected(
                f"its forecast reaches {mean[j]:,.0f} tickets {unit} at step {j + 1}, above the "
                f"envelope of {point[j]:,.0f} from the history's recent maximum of "
                f"{self.recent_max:,.0f}, trend and spread"
            )
        width = np.log1p(np.maximum(values[:, 4], 0)) - np.log1p(np.maximum(values[:, 3], 0))
        if (width > np.log1p(self.bound_ceiling(len(pred))) + 1e-9).any():
            raise Rejected(N_("its 95% interval is wider than the history's whole envelope"))
        return self.cap(pred)


def envelope(y: np.ndarray | pd.Series, m: int) -> Envelope:
    """Return the envelope of forecasts of the count series ``y`` with season ``m``."""
    counts = np.maximum(np.asarray(y, dtype=float), 0.0)
    window = counts[-min(len(counts), WINDOW_SEASONS * m) :]
    return Envelope(
        m=m,
        recent_max=float(window.max()) if len(window) else 0.0,
        trend=_trend(window, m),
        spread=seasonal_spread(np.log1p(counts), m),
    )
