"""One estimate of an event's effect on one metric, as the Events page and the store hold it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

# Draws from the estimated parameters' normal distribution that give an effect's interval.
DRAWS = 2000
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Effect:
    """One estimate of an event's effect on one metric.

    ``effect_pct`` is the mean uplift over ``first_day``..``last_day`` in per
    cent of the counterfactual (arrivals only); ``effect_abs`` is the same in
    tickets per day, or in hours for first response. ``low``/``high`` bound
    the 95% interval. ``profile`` holds ``day_offset, effect, low, high`` from
    the event's start (relative change for arrivals, hours for first response).
    """

    metric: str
    method: str
    model: str
    shape: str | None
    decay_days: float | None
    first_day: date
    last_day: date
    effect_pct: float | None
    low_pct: float | None
    high_pct: float | None
    effect_abs: float
    low_abs: float
    high_abs: float
    baseline: float
    duration_days: int | None
    lasting_pct: float | None = None
    profile: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)

    def to_dict(self) -> dict:
        """Return the estimate as JSON-ready data (without the profile)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "profile"}
        out["first_day"] = self.first_day.isoformat()
        out["last_day"] = self.last_day.isoformat()
        return out


def relative_effect(
    effect_pct: float, pct_draws: np.ndarray, abs_draws: np.ndarray, baseline: float
) -> dict[str, float]:
    """Return the :class:`Effect` fields of a relative effect on arrivals: ``effect_pct``
    and its 95% interval from the draws, the same in tickets a day, and ``baseline``."""
    return {
        "effect_pct": effect_pct,
        "low_pct": float(np.percentile(pct_draws, 2.5)),
        "high_pct": float(np.percentile(pct_draws, 97.5)),
        "effect_abs": float(baseline * effect_pct / 100),
        "low_abs": float(np.percentile(abs_draws, 2.5)),
        "high_abs": float(np.percentile(abs_draws, 97.5)),
        "baseline": baseline,
    }
