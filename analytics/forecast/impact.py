"""The measured impact of a past event on arrivals and on first response.

Two estimates, shown side by side:

- an **intervention model** on the event's own series: a regression of
  ``log1p(daily tickets)`` on a trend, weekday dummies, annual Fourier terms,
  public holidays and an event regressor, with AR(1) errors (statsmodels
  ``SARIMAX``). The event's shape (permanent step, box over the event's
  dates, decaying pulse, one-week ramp then decay, each pulse with or
  without a lasting step, over a grid of decay times) is chosen by AIC with
  fast OLS fits; only the chosen model is fitted with AR errors.
- a **staggered difference in differences** when the same kind of event hit
  other regions at other dates: the treated region's log arrivals minus the
  mean of the regions not yet treated, with weekly event-time effects. A
  plain two-way fixed-effects regression would mix early and late cohorts.

The series are aggregated in DuckDB (``arrivals_daily.sql``); statsmodels
only sees a few hundred daily points. Fit windows span at most two years
before the event and 13 weeks after it (FORECASTING.md: annual Fourier
terms, never a 365-day seasonal period).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import statsmodels.api as sm

from analytics import access, metrics, store

PRE_DAYS = 730
POST_DAYS = 91
DID_PRE_DAYS = 182
FOURIER_TERMS = 3
DECAY_DAYS = (7, 14, 21, 28, 42)
RAMP_DAYS = 7
DRAWS = 2000
Z95 = 1.959963984540054
SHAPE_WORDS = {
    "step": "a lasting step",
    "box": "a level shift over the event's dates",
    "pulse": "a decaying pulse",
    "ramp_decay": "a one-week ramp then a decay",
}


class ImpactError(Exception):
    """The impact cannot be estimated; the message says why, fit to show a user."""


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


@dataclass(frozen=True)
class Impact:
    """Everything the Events page shows about one event.

    ``series`` has ``day, actual, counterfactual, low, high`` (tickets/day);
    ``categories`` has ``category, effect_per_day, low, high, share_pct``
    sorted by effect.
    """

    event: dict
    source: str
    arrivals: Effect
    did: Effect | None
    did_note: str | None
    first_response: Effect | None
    series: pd.DataFrame
    categories: pd.DataFrame

    def sentence(self) -> str:
        """Return the result in one sentence, like the issue's example."""
        return describe(self)


# --- public entry points ------------------------------------------------------------------


def find_event(
    con: duckdb.DuckDBPyConnection,
    name: str,
    region: str | None = None,
    source: str | None = None,
) -> dict:
    """Return the calendar row of the event called ``name`` (the latest if several).

    With ``source``, only that source's events and every source's are
    searched; another source's event of the same name is not found.

    Raises
    ------
    ImpactError
        When no event has that name.
    """
    with con.cursor() as cur:
        calendar = cur.execute(store.load_sql("events_all"), {"source": source}).df()
    rows = calendar[calendar["name"] == name].sort_values(
        ["starts_on", "region", "source"], ascending=[False, True, True]
    )
    if region is not None:
        rows = rows[rows["region"] == region]
    if rows.empty:
        where = "the calendar" if source is None else f"the calendar of {source!r}"
        raise ImpactError(f"no event named {name!r} in {where}")
    return _event_dict(rows.iloc[0])


def estimate(
    con: duckdb.DuckDBPyConnection,
    source: str,
    event_id: int,
    tz: str = "UTC",
) -> Impact:
    """Return the measured impact of calendar event ``event_id`` on ``source``.

    Only the calendar of ``source`` (its own events and every source's) is
    read: the event, the holidays and the other regions' events of its kind.

    Raises
    ------
    ImpactError
        When the event is unknown or another source's, has not started
        before the data ends, or the source has too little history around it.
    """
    with con.cursor() as cur:
        calendar = cur.execute(store.load_sql("events_all"), {"source": source}).df()
    match = calendar[calendar["event_id"] == event_id]
    if match.empty:
        raise ImpactError(f"no event with id {event_id} in the calendar of {source!r}")
    event = _event_dict(match.iloc[0])
    span = metrics.source_span(con, source)
    if span.as_of is None:
        raise ImpactError(f"the source {source!r} holds no tickets")
    zone = pd.Timestamp(span.as_of).tz_convert(tz)
    first_data = pd.Timestamp(span.first_created_at).tz_convert(tz).date() + timedelta(days=1)
    last_data = zone.date() - timedelta(days=1)
    start = event["starts_on"]
    end = event["ends_on"] or start
    if start > last_data - timedelta(days=6):
        raise ImpactError("the event starts too close to the end of the data to be measured")
    if (start - first_data).days < 56:
        raise ImpactError("the data start less than 8 weeks before the event")
    end = min(end, last_data)
    lo = max(first_data, start - timedelta(days=PRE_DAYS))
    hi = min(last_data, end + timedelta(days=POST_DAYS))
    period = metrics.period(lo, hi, tz)
    selection = metrics.Selection(source, *period, tz=tz)
    by_region = metrics.query(con, "arrivals_daily", selection, dimension="region")
    region = event["region"]
    regional = region != "all"
    if regional and region not in set(by_region["value"]):
        raise ImpactError(f"the source {source!r} has no tickets in region {region!r}")
    scoped = replace(selection, regions=(region,) if regional else ())
    own = metrics.query(con, "arrivals_daily", scoped, dimension="none")
    own["day"] = pd.to_datetime(own["day"])
    own = own.set_index("day")
    holidays = _holiday_days(calendar, event, own.index)

    arrivals_fit = fit_intervention(own["created"], start, end, holidays)
    arrivals = arrivals_fit.effect
    series = arrivals_fit.series

    frt = own["frt_median_h"].dropna()
    first_response = None
    if len(frt) >= 56 and (frt.index >= pd.Timestamp(start)).any():
        first_response = fit_level_shift(frt, start, end, holidays)

    did, did_note = None, None
    if regional:
        did, did_note = _did_for(by_region, calendar, event, end)
    else:
        did_note = "The event hits every region at once: there is no region to compare with."

    by_category = metrics.query(con, "arrivals_daily", scoped, dimension="category")
    categories = category_effects(by_category, arrivals_fit, start, end, holidays)
    return Impact(event, source, arrivals, did, did_note, first_response, series, categories)


def save_effects(
    con: duckdb.DuckDBPyConnection, impact: Impact, *, actor: access.User = access.SYSTEM
) -> list[int]:
    """Save the impact's estimates and profiles in ``event_effects``; return their ids.

    A new estimate of the same event, metric and method replaces the old one.
    ``actor`` must be allowed to save effects; the save is audited.
    """
    access.require(actor, "save_effects")
    ev = impact.event
    effects = [e for e in (impact.arrivals, impact.did, impact.first_response) if e is not None]
    ids = []
    with store.transaction(con) as cur:
        for eff in effects:
            key = {
                "source": impact.source,
                "event_id": ev["event_id"],
                "metric": eff.metric,
                "method": eff.method,
            }
            old = cur.execute(
                "select effect_id from event_effects where source = $source "
                "and event_id = $event_id and metric = $metric and method = $method",
                key,
            ).fetchall()
            for (effect_id,) in old:
                cur.execute("delete from event_effect_profile where effect_id = ?", [effect_id])
                cur.execute("delete from event_effects where effect_id = ?", [effect_id])
            row = cur.execute(
                store.load_sql("event_effect_insert"),
                {
                    **key,
                    "event_name": ev["name"],
                    "kind": ev["kind"],
                    "region": ev["region"],
                    "starts_on": eff.first_day,
                    "ends_on": eff.last_day,
                    "model": eff.model,
                    "shape": eff.shape,
                    "decay_days": eff.decay_days,
                    "effect_pct": eff.effect_pct,
                    "low_pct": eff.low_pct,
                    "high_pct": eff.high_pct,
                    "effect_abs": eff.effect_abs,
                    "low_abs": eff.low_abs,
                    "high_abs": eff.high_abs,
                    "baseline": eff.baseline,
                    "duration_days": eff.duration_days,
                },
            ).fetchone()
            effect_id = row[0]
            if not eff.profile.empty:
                profile = eff.profile.assign(effect_id=effect_id)[
                    ["effect_id", "day_offset", "effect", "low", "high"]
                ]
                cur.register("_profile", profile)
                cur.execute("insert into event_effect_profile select * from _profile")
                cur.unregister("_profile")
            ids.append(effect_id)
        access.record(
            cur, actor, "save_effects", ev["name"], {"source": impact.source, "effects": len(ids)}
        )
    return ids


def saved_effects(con: duckdb.DuckDBPyConnection, kind: str | None = None) -> pd.DataFrame:
    """Return the saved effects (all, or of one event ``kind``), newest first."""
    with con.cursor() as cur:
        return cur.execute(store.load_sql("event_effects_saved"), {"kind": kind}).df()


def describe(impact: Impact) -> str:
    """Return one sentence such as "Interface rollout, Europe, from 2017-09-04: +41% ..."."""
    ev, eff = impact.event, impact.arrivals
    where = "all regions" if ev["region"] == "all" else ev["region"]
    text = (
        f"{ev['kind'].capitalize()}, {where}, from {ev['starts_on']:%Y-%m-%d}: "
        f"{eff.effect_pct:+.0f}% tickets/day ({eff.effect_abs:+.1f} a day; 95% interval "
        f"{eff.low_pct:+.0f}% to {eff.high_pct:+.0f}%)"
    )
    if eff.shape and ("pulse" in eff.shape or "ramp_decay" in eff.shape):
        weeks = eff.duration_days / 7 if eff.duration_days else 0
        tail = (
            f", then a lasting {eff.lasting_pct:+.0f}%"
            if eff.lasting_pct is not None and abs(eff.lasting_pct) >= 0.5
            else " to zero"
        )
        text += f", decaying{tail} after about {weeks:.0f} weeks"
    elif eff.shape == "step":
        text += ", lasting"
    if impact.first_response is not None:
        text += f"; median first response {impact.first_response.effect_abs:+.1f} h"
    return text + "."


# --- the intervention model ---------------------------------------------------------------


@dataclass(frozen=True)
class InterventionFit:
    """The chosen intervention model: its effect, the chart series and the design."""

    effect: Effect
    series: pd.DataFrame
    design: pd.DataFrame
    event_columns: tuple[str, ...]
    candidates: pd.DataFrame


def baseline_design(days: pd.DatetimeIndex, holidays: pd.Series | None = None) -> pd.DataFrame:
    """Return the no-event regressors: constant, trend, weekdays, annual Fourier, holidays."""
    x = pd.DataFrame({"const": 1.0, "trend": (days - days[0]).days.to_numpy() / 365.25}, index=days)
    for k in range(1, 7):
        x[f"weekday_{k}"] = (days.day_of_week == k).astype(float)
    angle = 2 * np.pi * days.day_of_year.to_numpy() / 365.25
    for k in range(1, FOURIER_TERMS + 1):
        x[f"annual_sin_{k}"] = np.sin(k * angle)
        x[f"annual_cos_{k}"] = np.cos(k * angle)
    if holidays is not None and holidays.reindex(days, fill_value=False).any():
        x["holiday"] = holidays.reindex(days, fill_value=False).astype(float).to_numpy()
    return x


def shape_candidates(
    days: pd.DatetimeIndex, start: date, end: date
) -> list[tuple[str, float | None, dict[str, np.ndarray]]]:
    """Return ``(shape, decay_days, columns)`` for every event shape tried."""
    offset = (days - pd.Timestamp(start)).days.to_numpy().astype(float)
    after = offset >= 0
    step = after.astype(float)
    box = (after & (days <= pd.Timestamp(end))).astype(float)
    out: list[tuple[str, float | None, dict[str, np.ndarray]]] = [
        ("step", None, {"event_step": step}),
        ("box", None, {"event_box": box}),
    ]
    for tau in DECAY_DAYS:
        pulse = np.where(after, np.exp(-np.clip(offset, 0, None) / tau), 0.0)
        ramp = np.where(
            after,
            np.clip((offset + 1) / RAMP_DAYS, 0, 1)
            * np.exp(-np.clip(offset - RAMP_DAYS, 0, None) / tau),
            0.0,
        )
        out += [
            ("pulse", tau, {"event_pulse": pulse}),
            ("ramp_decay", tau, {"event_pulse": ramp}),
            ("pulse+step", tau, {"event_pulse": pulse, "event_step": step}),
            ("ramp_decay+step", tau, {"event_pulse": ramp, "event_step": step}),
        ]
    return out


def _shape_words(shape: str, tau: float | None) -> str:
    parts = []
    for piece in shape.split("+"):
        words = SHAPE_WORDS[piece]
        if piece in ("pulse", "ramp_decay"):
            words += f" (decay time {tau:g} days)"
        parts.append(words)
    return " plus ".join(parts)


def fit_intervention(
    counts: pd.Series, start: date, end: date, holidays: pd.Series | None = None
) -> InterventionFit:
    """Return the AIC-chosen intervention model of daily ``counts`` around an event.

    ``counts`` is indexed by day. The effect window is ``start``..``end``.

    Examples
    --------
    >>> fit = fit_intervention(daily_tickets, date(2024, 9, 2), date(2024, 11, 11))
    >>> fit.effect.effect_pct, fit.effect.low_pct, fit.effect.high_pct
    """
    counts = counts.astype(float)
    days = pd.DatetimeIndex(counts.index)
    z = np.log1p(counts.to_numpy())
    base = baseline_design(days, holidays)
    rows = []
    best = None
    for shape, tau, columns in shape_candidates(days, start, end):
        x = base.assign(**columns)
        aic = _ols_aic(z, x.to_numpy())
        rows.append({"shape": shape, "decay_days": tau, "aic": aic})
        if best is None or aic < best[0]:
            best = (aic, shape, tau, x, tuple(columns))
    _, shape, tau, x, event_columns = best
    candidates = pd.DataFrame(rows).sort_values("aic").reset_index(drop=True)

    with warnings.catch_warnings():
        # Convergence chatter from the AR(1) likelihood; the fit is checked below.
        warnings.simplefilter("ignore")
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        xv = x.to_numpy()
        # Starting from the OLS solution saves most of the optimiser's iterations.
        start_beta = np.linalg.solve(xv.T @ xv, xv.T @ z)
        resid = z - xv @ start_beta
        start_params = np.r_[start_beta, 0.0, resid.var()]
        result = SARIMAX(z, exog=xv, order=(1, 0, 0), trend="n").fit(
            start_params=start_params, disp=False, maxiter=200
        )
    names = list(x.columns)
    beta = np.asarray(result.params[: len(names)])
    cov = np.asarray(result.cov_params())[: len(names), : len(names)]
    sigma2 = float(result.params[-1])
    if not np.all(np.isfinite(cov)):
        ols = sm.OLS(z, x.to_numpy()).fit(method="qr", cov_type="HAC", cov_kwds={"maxlags": 7})
        beta, cov, sigma2 = np.asarray(ols.params), np.asarray(ols.cov_params()), ols.scale

    ev_idx = [names.index(c) for c in event_columns]
    base_idx = [i for i in range(len(names)) if i not in ev_idx]
    xv = x.to_numpy()
    window = (days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))
    cf_log = xv[:, base_idx] @ beta[base_idx]
    cf_var = np.einsum(
        "ij,jk,ik->i", xv[:, base_idx], cov[np.ix_(base_idx, base_idx)], xv[:, base_idx]
    )
    spread = Z95 * np.sqrt(cf_var + sigma2)
    series = pd.DataFrame(
        {
            "day": days,
            "actual": counts.to_numpy(),
            "counterfactual": np.expm1(cf_log),
            "low": np.clip(np.expm1(cf_log - spread), 0, None),
            "high": np.expm1(cf_log + spread),
        }
    )

    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal(beta[ev_idx], cov[np.ix_(ev_idx, ev_idx)], DRAWS)
    ev_x = xv[:, ev_idx]
    weights = np.exp(cf_log[window])
    rel = np.exp(ev_x[window] @ draws.T) - 1  # days x draws
    pct = 100 * (weights @ rel) / weights.sum()
    point_rel = np.exp(ev_x[window] @ beta[ev_idx]) - 1
    effect_pct = float(100 * (weights @ point_rel) / weights.sum())
    baseline = float(np.expm1(cf_log[window]).mean())
    abs_draws = (np.expm1(cf_log[window])[:, None] * rel).mean(axis=0)

    profile = _profile(shape, tau, start, end, days, ev_x, beta[ev_idx], draws)
    lasting = None
    if "step" in event_columns and shape != "step":
        lasting = 100 * float(np.expm1(beta[names.index("event_step")]))
    duration = _duration(shape, tau, start, end)
    effect = Effect(
        metric="arrivals",
        method="intervention",
        model=(
            f"{_shape_words(shape, tau)}, chosen by AIC among {len(candidates)} shapes; "
            "regression on log1p(tickets/day) with trend, weekday, annual Fourier and "
            "holiday terms and AR(1) errors (SARIMAX)"
        ),
        shape=shape,
        decay_days=tau,
        first_day=start,
        last_day=end,
        effect_pct=effect_pct,
        low_pct=float(np.percentile(pct, 2.5)),
        high_pct=float(np.percentile(pct, 97.5)),
        effect_abs=float(baseline * effect_pct / 100),
        low_abs=float(np.percentile(abs_draws, 2.5)),
        high_abs=float(np.percentile(abs_draws, 97.5)),
        baseline=baseline,
        duration_days=duration,
        lasting_pct=lasting,
        profile=profile,
    )
    return InterventionFit(effect, series, x, event_columns, candidates)


def _ols_aic(z: np.ndarray, x: np.ndarray) -> float:
    """Return the Gaussian AIC of an OLS fit, up to a constant shared by all candidates.

    Normal equations on a 20-column design: LAPACK's QR on a tall matrix was
    200 times slower on a loaded 2-core machine (OpenBLAS threads contending).
    """
    beta = np.linalg.solve(x.T @ x, x.T @ z)
    rss = float(np.sum((z - x @ beta) ** 2))
    return len(z) * math.log(rss / len(z)) + 2 * x.shape[1]


def _duration(shape: str, tau: float | None, start: date, end: date) -> int | None:
    if shape.startswith("pulse"):
        return int(round(3 * tau))
    if shape.startswith("ramp_decay"):
        return int(round(RAMP_DAYS + 3 * tau))
    if shape == "box":
        return (end - start).days + 1
    return None


def _profile(shape, tau, start, end, days, ev_x, beta, draws) -> pd.DataFrame:
    """Return the relative effect per day from the start over the event's length or decay."""
    offset = (days - pd.Timestamp(start)).days.to_numpy()
    length = max((end - start).days + 1, _duration(shape, tau, start, end) or 0)
    keep = (offset >= 0) & (offset < length)
    rel_draws = np.exp(ev_x[keep] @ draws.T) - 1
    return pd.DataFrame(
        {
            "day_offset": offset[keep].astype(int),
            "effect": np.exp(ev_x[keep] @ beta) - 1,
            "low": np.percentile(rel_draws, 2.5, axis=1),
            "high": np.percentile(rel_draws, 97.5, axis=1),
        }
    )


def fit_level_shift(
    values: pd.Series, start: date, end: date, holidays: pd.Series | None = None
) -> Effect:
    """Return the mean change of a daily value (median first response, hours) over an event.

    A regression of the value on the baseline terms and a box over
    ``start``..``end``, with Newey-West (HAC, 7 lags) standard errors, because
    queues carry one day's delay into the next.
    """
    days = pd.DatetimeIndex(values.index)
    box = ((days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))).astype(float)
    x = baseline_design(days, holidays).assign(event_box=box)
    fit = sm.OLS(values.to_numpy(dtype=float), x.to_numpy()).fit(
        method="qr", cov_type="HAC", cov_kwds={"maxlags": 7}
    )
    k = list(x.columns).index("event_box")
    beta, se = float(fit.params[k]), float(fit.bse[k])
    window = box.astype(bool)
    baseline = float(values.to_numpy()[window].mean() - beta) if window.any() else float("nan")
    offsets = (days[window] - pd.Timestamp(start)).days.to_numpy()
    profile = pd.DataFrame(
        {"day_offset": offsets, "effect": beta, "low": beta - Z95 * se, "high": beta + Z95 * se}
    )
    return Effect(
        metric="first_response_h",
        method="intervention",
        model=(
            "level shift over the event's dates; regression of the daily median first "
            "response on trend, weekday, annual Fourier and holiday terms, HAC errors"
        ),
        shape="box",
        decay_days=None,
        first_day=start,
        last_day=end,
        effect_pct=None,
        low_pct=None,
        high_pct=None,
        effect_abs=beta,
        low_abs=beta - Z95 * se,
        high_abs=beta + Z95 * se,
        baseline=baseline,
        duration_days=(end - start).days + 1,
        profile=profile,
    )


def category_effects(
    by_category: pd.DataFrame,
    fit: InterventionFit,
    start: date,
    end: date,
    holidays: pd.Series | None = None,
) -> pd.DataFrame:
    """Return ``category, effect_per_day, low, high, share_pct``: where the extra tickets went.

    Each category's daily count is regressed (linear, HAC errors) on the
    chosen model's baseline and event terms; the effect is the mean extra
    tickets per day over ``start``..``end``. A category that did not exist
    before the event (new-interface questions) gets its whole volume.
    """
    rows = []
    frame = by_category.assign(day=pd.to_datetime(by_category["day"]))
    for category, part in frame.groupby("value"):
        y = part.set_index("day")["created"].reindex(fit.design.index, fill_value=0)
        x = fit.design
        res = sm.OLS(y.to_numpy(dtype=float), x.to_numpy()).fit(
            method="qr", cov_type="HAC", cov_kwds={"maxlags": 7}
        )
        idx = [list(x.columns).index(c) for c in fit.event_columns]
        window = (x.index >= pd.Timestamp(start)) & (x.index <= pd.Timestamp(end))
        weights = x.to_numpy()[window][:, idx].mean(axis=0)
        beta = np.asarray(res.params)[idx]
        cov = np.asarray(res.cov_params())[np.ix_(idx, idx)]
        effect = float(weights @ beta)
        se = math.sqrt(max(float(weights @ cov @ weights), 0.0))
        rows.append(
            {
                "category": category,
                "effect_per_day": effect,
                "low": effect - Z95 * se,
                "high": effect + Z95 * se,
            }
        )
    out = pd.DataFrame(rows, columns=["category", "effect_per_day", "low", "high"])
    total = out["effect_per_day"].clip(lower=0).sum()
    out["share_pct"] = 100 * out["effect_per_day"].clip(lower=0) / total if total else 0.0
    return out.sort_values("effect_per_day", ascending=False).reset_index(drop=True)


# --- staggered difference in differences --------------------------------------------------


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
    x = pd.DataFrame({"const": 1.0}, index=days)
    for k in range(1, 7):
        x[f"weekday_{k}"] = (days.day_of_week == k).astype(float)
    weeks = sorted(set(week[week >= 0]))
    for w in weeks:
        x[f"event_week_{w}"] = (week == w).astype(float)
    fit = sm.OLS(diff, x.to_numpy()).fit(method="qr", cov_type="HAC", cov_kwds={"maxlags": 7})
    idx = [list(x.columns).index(f"event_week_{w}") for w in weeks]
    beta = np.asarray(fit.params)[idx]
    cov = np.asarray(fit.cov_params())[np.ix_(idx, idx)]
    draws = np.random.default_rng(0).multivariate_normal(beta, cov, DRAWS)
    in_window = week >= 0
    per_day = np.array([weeks.index(w) for w in week[in_window]])
    rel_draws = np.exp(draws[:, per_day]) - 1  # draws x days
    pct = 100 * rel_draws.mean(axis=1)
    treated_counts = sub[treated].to_numpy(dtype=float)[in_window]
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
    return (
        Effect(
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
            effect_pct=effect_pct,
            low_pct=float(np.percentile(pct, 2.5)),
            high_pct=float(np.percentile(pct, 97.5)),
            effect_abs=float(baseline * effect_pct / 100),
            low_abs=float(np.percentile(abs_draws, 2.5)),
            high_abs=float(np.percentile(abs_draws, 97.5)),
            baseline=baseline,
            duration_days=(last - start).days + 1,
            profile=profile,
        ),
        None
        if last == end
        else f"Compared up to {last:%Y-%m-%d}, the day before the next region was treated.",
    )


def _did_for(
    by_region: pd.DataFrame, calendar: pd.DataFrame, event: dict, end: date
) -> tuple[Effect | None, str | None]:
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


# --- helpers ------------------------------------------------------------------------------


def _event_dict(row: pd.Series) -> dict:
    ends = row["ends_on"]
    return {
        "event_id": int(row["event_id"]),
        "name": row["name"],
        "kind": row["kind"],
        "region": row["region"],
        "starts_on": pd.Timestamp(row["starts_on"]).date(),
        "ends_on": None if pd.isna(ends) else pd.Timestamp(ends).date(),
        "notes": None if pd.isna(row["notes"]) else row["notes"],
    }


def _holiday_days(calendar: pd.DataFrame, event: dict, days: pd.DatetimeIndex) -> pd.Series:
    """Return True on days covered by a holiday in the event's region (other than itself)."""
    mask = pd.Series(False, index=days)
    hol = calendar[
        (calendar["kind"] == "holiday")
        & (calendar["event_id"] != event["event_id"])
        & ((calendar["region"] == "all") | (calendar["region"] == event["region"]))
    ]
    for row in hol.itertuples():
        first = pd.Timestamp(row.starts_on)
        last = pd.Timestamp(row.ends_on) if not pd.isna(row.ends_on) else first
        mask[(days >= first) & (days <= last)] = True
    return mask
