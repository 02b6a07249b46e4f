"""The measured impact of a past event on arrivals and on first response.

Two estimates, shown side by side:

- an **intervention model** on the event's own series
  (:mod:`~analytics.forecast.impact.intervention`): a regression of
  ``log1p(daily tickets)`` on a trend, weekday dummies, annual Fourier terms,
  public holidays and an event regressor, with AR(1) errors (statsmodels
  ``SARIMAX``). The event's shape (permanent step, box over the event's
  dates, decaying pulse, one-week ramp then decay, each pulse with or
  without a lasting step, over a grid of decay times) is chosen by AIC with
  fast OLS fits; only the chosen model is fitted with AR errors.
- a **staggered difference in differences** when the same kind of event hit
  other regions at other dates (:mod:`~analytics.forecast.impact.did`).

The series are aggregated in DuckDB (``arrivals_daily.sql``); statsmodels
only sees a few hundred daily points. Fit windows span at most two years
before the event and 13 weeks after it: the annual cycle is a few Fourier
terms (:func:`analytics.forecast.features.annual_fourier`), never a 365-day
seasonal period.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import duckdb
import pandas as pd

from analytics import access, metrics, store
from analytics.forecast.features import calendar_holidays
from analytics.forecast.impact.did import did_for, staggered_did
from analytics.forecast.impact.effect import Effect
from analytics.forecast.impact.intervention import (
    InterventionFit,
    baseline_design,
    category_effects,
    fit_intervention,
    fit_level_shift,
    shape_candidates,
)

__all__ = [
    "Effect",
    "Impact",
    "ImpactError",
    "InterventionFit",
    "baseline_design",
    "category_effects",
    "describe",
    "estimate",
    "find_event",
    "fit_intervention",
    "fit_level_shift",
    "save_effects",
    "saved_effects",
    "shape_candidates",
    "staggered_did",
]

PRE_DAYS = 730
POST_DAYS = 91


class ImpactError(Exception):
    """The impact cannot be estimated; the message says why, fit to show a user."""


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
    with store.cursor(con) as cur:
        calendar = cur.execute(store.load_sql("events_all"), {"source": source}).df()
    rows = calendar[calendar["name"] == name].sort_values(
        ["starts_on", "region", "source"], ascending=[False, True, True]
    )
    if region is not None:
        rows = rows[rows["region"] == region]
    if rows.empty:
        where = "the calendar" if source is None else f"the calendar of {source!r}"
        raise ImpactError(f"no event named {name!r} in {where}")
    return event_row(rows.iloc[0])


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
    with store.cursor(con) as cur:
        calendar = cur.execute(store.load_sql("events_all"), {"source": source}).df()
    match = calendar[calendar["event_id"] == event_id]
    if match.empty:
        raise ImpactError(f"no event with id {event_id} in the calendar of {source!r}")
    event = event_row(match.iloc[0])
    start, end, lo, hi = _fit_window(con, source, event, tz)
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
    holidays = calendar_holidays(calendar, event["region"], own.index, event["event_id"])

    arrivals_fit = fit_intervention(own["created"], start, end, holidays)
    arrivals = arrivals_fit.effect
    series = arrivals_fit.series

    frt = own["frt_median_h"].dropna()
    first_response = None
    if len(frt) >= 56 and (frt.index >= pd.Timestamp(start)).any():
        first_response = fit_level_shift(frt, start, end, holidays)

    did, did_note = None, None
    if regional:
        did, did_note = did_for(by_region, calendar, event, end)
    else:
        did_note = "The event hits every region at once: there is no region to compare with."

    by_category = metrics.query(con, "arrivals_daily", scoped, dimension="category")
    categories = category_effects(by_category, arrivals_fit, start, end, holidays)
    return Impact(event, source, arrivals, did, did_note, first_response, series, categories)


def _fit_window(
    con: duckdb.DuckDBPyConnection, source: str, event: dict, tz: str
) -> tuple[date, date, date, date]:
    """Return the event's first and last day measured and the first and last day of data
    fitted around it (whole local days only).

    Raises
    ------
    ImpactError
        When the source is empty, or the event starts too near either end of its data.
    """
    span = metrics.current_span(con, source)
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
    return start, end, lo, hi


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
            ids.append(_save_effect(cur, impact, eff))
        access.record(
            cur, actor, "save_effects", ev["name"], {"source": impact.source, "effects": len(ids)}
        )
    return ids


def _save_effect(cur: duckdb.DuckDBPyConnection, impact: Impact, eff: Effect) -> int:
    """Return the id of ``eff`` saved with its profile, replacing an earlier estimate of the
    same event, metric and method."""
    ev = impact.event
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
    effect_id = store.next_id(cur, "effect")
    cur.execute(
        store.load_sql("event_effect_insert"),
        {
            **key,
            "effect_id": effect_id,
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
    )
    if not eff.profile.empty:
        profile = eff.profile.assign(effect_id=effect_id)[
            ["effect_id", "day_offset", "effect", "low", "high"]
        ]
        cur.register("_profile", profile)
        cur.execute("insert into event_effect_profile select * from _profile")
        cur.unregister("_profile")
    return effect_id


def saved_effects(con: duckdb.DuckDBPyConnection, kind: str | None = None) -> pd.DataFrame:
    """Return the saved effects (all, or of one event ``kind``), newest first."""
    with store.cursor(con) as cur:
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


def event_row(row: pd.Series) -> dict:
    """Return a calendar row as the event dict of :class:`Impact` (dates as ``date``)."""
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
