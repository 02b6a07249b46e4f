"""Planned events: future events multiplied into a forecast, with the effects measured on past ones.

An event enters with the profile saved by the measured impact of a past event
of the same kind (:mod:`analytics.forecast.impact`), else with a typed uplift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics import store
from analytics.forecast.features import RECURRING_KINDS
from analytics.forecast.series import FORECAST_COLUMNS, SeriesForecast


@dataclass(frozen=True)
class PlannedEvent:
    """A future event the forecast should include.

    ``profile`` is the measured effect: the factor on arrivals for each day
    since ``start`` (1.0 = no effect), from a past event of the same kind.
    Without it, ``uplift`` (0.3 = +30%) applies from ``start`` to ``end``.
    ``region`` is a region name or ``"all"``.
    """

    name: str
    kind: str
    region: str
    start: date
    end: date
    uplift: float = 0.0
    profile: tuple[float, ...] = ()

    def factors(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Return the multiplicative effect on each of ``days`` (1 outside the event)."""
        since = (days.normalize() - pd.Timestamp(self.start)).days.to_numpy()
        if self.profile:
            prof = np.asarray(self.profile, dtype=float)
            inside = (since >= 0) & (since < len(prof))
            return np.where(inside, prof[np.clip(since, 0, len(prof) - 1)], 1.0)
        last = (pd.Timestamp(self.end) - pd.Timestamp(self.start)).days
        return np.where((since >= 0) & (since <= last), 1.0 + self.uplift, 1.0)


def with_events(
    fc: SeriesForecast,
    planned: Iterable[PlannedEvent],
    region_shares: Mapping[str, float] | None = None,
    split: str = "total",
) -> pd.DataFrame:
    """Return ``fc.forecast`` with the planned events' effects multiplied in.

    An event of one region moves that region's series fully, and any other
    series (the total, a channel, a category) by the region's share of it.
    """
    out = fc.forecast.copy()
    factor = np.ones(len(out))
    days = pd.DatetimeIndex(out["period"])
    for event in planned:
        if event.region in ("all", "", None):
            share = 1.0
        elif split == "region":
            share = 1.0 if fc.name == event.region else 0.0
        else:
            share = (region_shares or {}).get(event.region, 0.0)
        factor *= 1.0 + share * (event.factors(days) - 1.0)
    for column in FORECAST_COLUMNS:
        out[column] = out[column] * factor
    return out


def event_profiles(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[float, ...]]:
    """Return saved arrival-effect profiles of past events, keyed on ``(kind, region)``.

    Each profile is the factor on arrivals for each day since the event's start,
    as the event-impact analysis saved it (``event_effects`` and
    ``event_effect_profile``, latest estimate, intervention model first).
    Empty when nothing was saved or the store predates those tables.
    """
    with store.cursor(con) as cur:
        tables = {
            r[0]
            for r in cur.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        if not {"event_effects", "event_effect_profile"} <= tables:
            return {}
        rows = cur.execute(store.load_sql("event_effect_profiles")).fetchall()
    profiles: dict[tuple[str, str], list[float]] = {}
    for kind, region, offset, factor in rows:
        profile = profiles.setdefault((kind, region or "all"), [])
        # Days missing from a saved profile carry no effect.
        while len(profile) < int(offset):
            profile.append(1.0)
        profile.append(max(0.0, float(factor)))
    return {k: tuple(v) for k, v in profiles.items()}


def profile_for(
    profiles: Mapping[tuple[str, str], tuple[float, ...]], kind: str, region: str
) -> tuple[float, ...]:
    """Return the saved profile for an event of ``kind`` in ``region`` (or any region)."""
    if (kind, region) in profiles:
        return profiles[(kind, region)]
    for (k, _r), profile in profiles.items():
        if k == kind:
            return profile
    return ()


def calendar_planned(
    calendar: pd.DataFrame, profiles: Mapping[tuple[str, str], tuple[float, ...]]
) -> list[PlannedEvent]:
    """Return the calendar's future events as planned events, each with the saved profile of
    its kind and region (:func:`profile_for`), without a typed uplift.

    Holidays and seasons are left out: the forecast's regressors already
    repeat them every year.
    """
    return [
        PlannedEvent(
            name=row.name,
            kind=row.kind,
            region=row.region,
            start=row.starts_on,
            end=row.ends_on,
            uplift=0.0,
            profile=profile_for(profiles, row.kind, row.region),
        )
        for row in calendar.itertuples()
        if row.kind not in RECURRING_KINDS
    ]
