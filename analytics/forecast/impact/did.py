"""Staggered difference in differences: an event's effect against the regions not yet treated.

When the same kind of event hits regions at different dates, the treated
region's log arrivals minus the mean of the regions not yet treated, with
weekly event-time effects, measure the effect. A plain two-way fixed-effects
regression would mix early and late cohorts (Goodman-Bacon, "Difference-in-
differences with variation in treatment timing", *Journal of Econometrics*, 2021).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analytics.forecast.features import weekday_columns
from analytics.forecast.impact.effect import DRAWS, Effect, relative_effect

DID_PRE_DAYS = 182


def staggered_did(
    panel: pd.DataFrame,
    treated: str,
    start: date,
    end: date,
    adoption: dict[str, date | None],
) -> tuple[Effect | None, str | None]:
    """Return the effect on ``treated`` against the regions not yet treated, or why not.

    ``panel`` is daily tickets, one column per region; ``adoption`` gives each
    region's start date for this kind of event (None: never). Controls are the
    regions whose own start falls after the effect window; the window is cut
    short before the first control is treated. The estimate regresses the
    difference of log1p counts (treated minus the controls' mean) on weekday
    dummies and one dummy per event week, with HAC errors.
    """
    later = {r: d for r, d in adoption.items() if r != treated and (d is None or d > start)}
    if not later:
        return None, "No region was still untreated at that date, so there is no comparison."
    cut = min([d for d in later.values() if d is not None], default=None)
    last = end if cut is None else min(end, cut - timedelta(days=1))
    if (last - start).days < 6:
        return None, "The next region was treated within a week: too short to compare."
    controls = sorted(r for r in later if r in panel.columns)
    if not controls or treated not in panel.columns:
        return None, "The regions to compare with have no tickets in this source."
    days = pd.DatetimeIndex(panel.index)
    keep = (days >= pd.Timestamp(start - timedelta(days=DID_PRE_DAYS))) & (
        days <= pd.Timestamp(last)
    )
    # Regions treated before this one must not sit in its own pre-period either.
    sub = panel.loc[keep]
    days = pd.DatetimeIndex(sub.index)
    diff = np.log1p(sub[treated].to_numpy(dtype=float)) - np.log1p(
        sub[controls].to_numpy(dtype=float)
    ).mean(axis=1)
    offset = (days - pd.Timestamp(start)).days.to_numpy()
    week = np.where(offset >= 0, offset // 7, -1)
    weeks, beta, cov = _event_weeks(diff, days, week)
    draws = np.random.default_rng(0).multivariate_normal(beta, cov, DRAWS)
    note = (
        None
        if last == end
        else f"Compared up to {last:%Y-%m-%d}, the day before the next region was treated."
    )
    treated_counts = sub[treated].to_numpy(dtype=float)
    return _did_effect(
        start, last, controls, offset, week, weeks, beta, draws, treated_counts
    ), note


def _event_weeks(
    diff: np.ndarray, days: pd.DatetimeIndex, week: np.ndarray
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Return the event weeks, their effects on ``diff`` and the effects' HAC covariance
    (a regression on weekday dummies and one dummy per event week)."""
    x = pd.DataFrame({"const": 1.0}, index=days)
    for name, column in weekday_columns(days).items():
        x[name] = column.to_numpy()
    weeks = sorted(set(week[week >= 0]))
    for w in weeks:
        x[f"event_week_{w}"] = (week == w).astype(float)
    fit = sm.OLS(diff, x.to_numpy()).fit(method="qr", cov_type="HAC", cov_kwds={"maxlags": 7})
    idx = [list(x.columns).index(f"event_week_{w}") for w in weeks]
    beta = np.asarray(fit.params)[idx]
    cov = np.asarray(fit.cov_params())[np.ix_(idx, idx)]
    return weeks, beta, cov


def _did_effect(
    start: date,
    last: date,
    controls: list[str],
    offset: np.ndarray,
    week: np.ndarray,
    weeks: list[int],
    beta: np.ndarray,
    draws: np.ndarray,
    counts: np.ndarray,
) -> Effect:
    """Return the staggered estimate as an :class:`Effect`, from the weekly effects and their
    draws, relative to the treated region's ``counts`` without the effect."""
    in_window = week >= 0
    per_day = np.array([weeks.index(w) for w in week[in_window]])
    rel_draws = np.exp(draws[:, per_day]) - 1  # draws x days
    pct = 100 * rel_draws.mean(axis=1)
    treated_counts = counts[in_window]
    point_rel = np.exp(beta[per_day]) - 1
    baseline = float((treated_counts / (1 + point_rel)).mean())
    abs_draws = (treated_counts / (1 + point_rel) * rel_draws).mean(axis=1)
    profile = pd.DataFrame(
        {
            "day_offset": offset[in_window].astype(int),
            "effect": point_rel,
            "low": np.percentile(rel_draws, 2.5, axis=0),
            "high": np.percentile(rel_draws, 97.5, axis=0),
        }
    )
    effect_pct = float(100 * point_rel.mean())
    return Effect(
        metric="arrivals",
        method="staggered_did",
        model=(
            f"difference in differences against the regions not yet treated "
            f"({', '.join(controls)}), weekly event-time effects, HAC errors"
        ),
        shape="weekly",
        decay_days=None,
        first_day=start,
        last_day=last,
        **relative_effect(effect_pct, pct, abs_draws, baseline),
        duration_days=(last - start).days + 1,
        profile=profile,
    )


def did_for(
    by_region: pd.DataFrame, calendar: pd.DataFrame, event: dict, end: date
) -> tuple[Effect | None, str | None]:
    """Return :func:`staggered_did` of ``event`` on the daily arrivals by region, each
    region adopting at its first event of the same kind, or why there is none."""
    same_kind = calendar[(calendar["kind"] == event["kind"]) & (calendar["region"] != "all")]
    if len(same_kind) < 2:
        return None, "No other region had this kind of event: there is no staggered comparison."
    panel = by_region.assign(day=pd.to_datetime(by_region["day"])).pivot(
        index="day", columns="value", values="created"
    )
    panel = panel.drop(columns=[c for c in ("(none)",) if c in panel.columns]).fillna(0)
    adoption: dict[str, date | None] = dict.fromkeys(panel.columns)
    for row in same_kind.sort_values("starts_on").itertuples():
        if row.region in adoption and adoption[row.region] is None:
            adoption[row.region] = pd.Timestamp(row.starts_on).date()
    # Only a region's first event of the kind counts as its adoption date.
    adoption[event["region"]] = event["starts_on"]
    return staggered_did(panel, event["region"], event["starts_on"], end, adoption)
