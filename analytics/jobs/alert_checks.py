"""What the alert jobs watch: the next surges, tickets about to breach a target, a growing backlog.

Each check (:data:`CHECKS`) reads the store, and the surge check the
forecast, as of the run's time, and returns a :class:`Finding`: the *waves*
worth telling (a surge, a breach window, a growth spell), each with the key
that makes it the same wave from run to run and a severity;
:mod:`analytics.jobs.alerts` decides which are news and sends them. All
clocks here run in calendar hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from analytics import coverage, metrics, store
from analytics.jobs.config import Job
from analytics.settings import Settings

SURGE_HORIZON_DAYS = 28
# How far back the start of a growth spell is looked for.
GROWTH_LOOKBACK_DAYS = 56
CLOCKS = ("first_response", "resolution")
TOP_TICKETS = 10


class AlertError(Exception):
    """The alert cannot be checked as configured; the one-line message says why."""


@dataclass(frozen=True)
class Wave:
    """One thing worth telling: its ``key`` (what makes it the same wave from run to
    run), its ``severity`` (it is told again when that grows), a ``label`` for the
    run's message, and the check's figures in ``facts``."""

    key: str
    severity: float
    label: str
    facts: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Finding:
    """What a check of ``kind`` found in ``source``: its ``waves``, or none and
    ``quiet`` saying all is quiet."""

    kind: str
    source: str
    waves: list[Wave]
    quiet: str = ""


@dataclass(frozen=True)
class SlaTargets:
    """The targets of the two clocks, in hours: a default, and some priorities' own.

    A clock with neither a default nor a priority's target is not watched.
    """

    first_response_h: float | None = None
    first_response_by_priority: Mapping[str, float] = field(default_factory=dict)
    resolution_h: float | None = None
    resolution_by_priority: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> SlaTargets:
        """Return the targets ``[sla]`` sets (resolution only when it sets one)."""
        return cls(
            settings.sla_target_hours,
            dict(settings.sla_by_priority),
            settings.resolution_target_hours,
            dict(settings.resolution_by_priority),
        )

    def without(self, clock: str) -> SlaTargets:
        """Return these targets with ``clock`` (see CLOCKS) not watched."""
        if clock == "first_response":
            return SlaTargets(None, {}, self.resolution_h, self.resolution_by_priority)
        return SlaTargets(self.first_response_h, self.first_response_by_priority, None, {})

    def watched(self) -> tuple[str, ...]:
        """Return the clocks that have a target."""
        return tuple(
            clock
            for clock, default, own in (
                ("first_response", self.first_response_h, self.first_response_by_priority),
                ("resolution", self.resolution_h, self.resolution_by_priority),
            )
            if default is not None or own
        )


@dataclass(frozen=True)
class BacklogGrowth:
    """How the open backlog moved over a window ending ``at``.

    ``before`` tickets were open at ``window_start``, ``now`` at ``at``;
    ``growth_pct`` is None when the backlog was empty at the window's start.
    ``spell_start`` is the first local day of the unbroken run of days, up to
    ``at``, on which the growth over the window was above the threshold (None
    when it is not above it now).
    """

    window_start: datetime
    at: datetime
    before: int
    now: int
    growth_pct: float | None
    spell_start: date | None


def first_source(con: duckdb.DuckDBPyConnection) -> str | None:
    """Return the store's first source by name, None when it holds none."""
    sources = store.list_sources(con)
    return sources[0].source if sources else None


def sla_at_risk(
    con: duckdb.DuckDBPyConnection,
    source: str,
    now: datetime,
    within_hours: float,
    targets: SlaTargets,
) -> pd.DataFrame:
    """Return the open tickets of ``source`` whose target falls due after ``now`` and
    within ``within_hours`` of it, soonest first.

    Tickets already past a target are breached, not at risk, and are left
    out. Clocks run in calendar hours from creation. One row per ticket, its
    soonest clock: ``ticket_id, team, priority, clock`` (see CLOCKS),
    ``created_at, due_at``.
    """

    def lists(by_priority: Mapping[str, float]) -> tuple[list[str], list[float]]:
        return list(by_priority), [3600.0 * h for h in by_priority.values()]

    fr_priorities, fr_targets = lists(targets.first_response_by_priority)
    res_priorities, res_targets = lists(targets.resolution_by_priority)
    params = {
        "source": source,
        "now": now,
        "until": now + timedelta(hours=within_hours),
        "fr_priorities": fr_priorities,
        "fr_targets_s": fr_targets,
        "fr_default_s": _seconds(targets.first_response_h),
        "res_priorities": res_priorities,
        "res_targets_s": res_targets,
        "res_default_s": _seconds(targets.resolution_h),
    }
    with store.cursor(con) as cur:
        cur.execute(store.load_sql("ticket_state_macros"))
        return cur.execute(store.load_sql("alert_sla_risk"), params).df()


def _seconds(hours: float | None) -> float | None:
    return None if hours is None else 3600.0 * hours


def backlog_levels(
    con: duckdb.DuckDBPyConnection, source: str, now: datetime, days: int
) -> pd.DataFrame:
    """Return the open backlog of ``source`` at ``now`` and at each of the ``days``
    instants 24 hours apart before it: ``days_before, level_at, open``, ``now`` first."""
    params = {"source": source, "now": now, "days": int(days)}
    with store.cursor(con) as cur:
        cur.execute(store.load_sql("ticket_state_macros"))
        return cur.execute(store.load_sql("alert_backlog_levels"), params).df()


def backlog_growth(
    con: duckdb.DuckDBPyConnection,
    source: str,
    now: datetime,
    over_days: int,
    growth_pct: float,
    tz: str,
) -> BacklogGrowth:
    """Return how the open backlog of ``source`` grew over the ``over_days`` days up to
    ``now``, and since when it has grown more than ``growth_pct`` % over such a window.

    Growth is measured against a non-empty backlog: from none, it is None.
    """
    levels = backlog_levels(con, source, now, over_days + GROWTH_LOOKBACK_DAYS)
    open_ = levels["open"].to_numpy()
    at = pd.DatetimeIndex(levels["level_at"])

    def growth(k: int) -> float | None:
        before = int(open_[k + over_days])
        return 100.0 * (int(open_[k]) / before - 1) if before else None

    spell = None
    for k in range(len(open_) - over_days):
        pct = growth(k)
        if pct is None or pct <= growth_pct:
            break
        spell = k
    return BacklogGrowth(
        window_start=at[over_days].to_pydatetime(),
        at=now,
        before=int(open_[over_days]),
        now=int(open_[0]),
        growth_pct=growth(0),
        spell_start=None if spell is None else at[spell].tz_convert(ZoneInfo(tz)).date(),
    )


def surge_selection(source: str, now: datetime, tz: str) -> metrics.Selection:
    """Return the selection a surge forecast reads: ``source`` up to ``now``, in ``tz``.

    The forecast widens it to its own history window (see
    :func:`analytics.forecast.history_selection`).
    """
    return metrics.Selection(source, now - timedelta(days=SURGE_HORIZON_DAYS), now, tz=tz)


def next_surges(
    con: duckdb.DuckDBPyConnection,
    selection: metrics.Selection,
    region: str,
    settings: Settings,
    horizon: int = SURGE_HORIZON_DAYS,
) -> tuple[pd.DataFrame, str | None]:
    """Return the next surge of each series watched, and why nothing could be forecast.

    ``region`` "all" watches the total and each region, else that region
    alone. A surge is what :func:`analytics.forecast.surges` finds with
    arrivals above capacity, in the daily forecast of the next ``horizon``
    days with the calendar's planned events (as the Forecast page shows
    them). The frame has the surges' columns plus ``first_period`` (the
    forecast's first day), earliest first; the reason is None unless the
    history is too short to forecast at all.
    """
    # Imported here: the forecast loads statsmodels, which only this check needs.
    from analytics import forecast

    if region == "all":
        names = forecast.series_names(con, selection, "D", "region", settings)
        if not names:
            return _no_surges(), forecast.history_shortfall(con, selection, "D", settings) or (
                "no tickets to forecast"
            )
        # "(none)": tickets with no region, not a region to watch
        series = [("total", "total"), *(("region", n) for n in names[1:] if n != "(none)")]
    else:
        series = [("region", region)]
    found, planned, shares = [], None, {}
    for by, name in series:
        fc = forecast.forecast_series(con, selection, "D", horizon, by, name, 0, settings)
        if fc is None:
            continue
        if planned is None:
            planned = _planned_events(con, selection, fc, horizon)
            shares = forecast.region_shares(con, selection, settings) if planned else {}
        adjusted = forecast.with_events(fc, planned, shares, by) if planned else fc.forecast
        rows = forecast.surges(
            fc,
            adjusted,
            margin=settings.forecast.surge_margin,
            target_hours=settings.sla_target_hours * 4,
        )
        rows = rows[rows["reason"] == "arrivals above capacity"].head(1)
        found.append(rows.assign(first_period=pd.Timestamp(adjusted["period"].iloc[0])))
    if planned is None:  # not one series had history enough
        return _no_surges(), forecast.history_shortfall(con, selection, "D", settings) or (
            f"not enough history to forecast {region}"
        )
    if not any(len(rows) for rows in found):
        return _no_surges(), None
    out = pd.concat([rows for rows in found if len(rows)], ignore_index=True)
    return out.sort_values("start", kind="stable").reset_index(drop=True), None


def _no_surges() -> pd.DataFrame:
    from analytics.forecast.surges import SURGE_COLUMNS

    return pd.DataFrame(columns=[*SURGE_COLUMNS, "first_period"])


def _planned_events(con, selection: metrics.Selection, fc, horizon: int) -> list:
    """Return the calendar's events in the forecast's days, with their measured profiles."""
    from analytics import events, forecast

    first_day = (pd.Timestamp(fc.history["period"].max()) + pd.Timedelta(days=1)).date()
    calendar = events.events_in_range(
        con, first_day, first_day + timedelta(days=horizon), (), source=selection.source
    )
    return forecast.calendar_planned(calendar, forecast.event_profiles(con))


# --- the checks: what each kind of alert job finds as of ``now`` ---------------------------


def check_surge(
    con: duckdb.DuckDBPyConnection, job: Job, source: str, now: datetime, settings: Settings
) -> Finding:
    """Return the next surge of the total and of each region (or of ``job.region`` alone).

    A wave per series: ``"<series> <first day>"``, severity the excess over
    capacity in %; ``facts["row"]`` is the surge (see :func:`next_surges`).
    """
    if job.region != "all" and job.region not in metrics.filter_values(con, source)["region"]:
        raise AlertError(f"region {job.region!r} is not in source {source!r}")
    selection = surge_selection(source, now, job.tz)
    found, why = next_surges(con, selection, job.region, settings)
    if why:
        return Finding("surge", source, [], why)
    if found.empty:
        where = "" if job.region == "all" else f" in {job.region}"
        return Finding(
            "surge", source, [], f"no surge in the next {SURGE_HORIZON_DAYS} days{where}"
        )
    waves = [
        Wave(
            f"{row.series} {row.start:%Y-%m-%d}",
            float(row.excess_pct),
            f"surge in {row.series} from {row.start:%Y-%m-%d} ({row.excess_pct:+.0f}%)",
            {"row": row},
        )
        for row in found.itertuples(index=False)
    ]
    return Finding("surge", source, waves)


def check_sla_risk(
    con: duckdb.DuckDBPyConnection, job: Job, source: str, now: datetime, settings: Settings
) -> Finding:
    """Return the open tickets whose target falls due within ``job.within_hours`` of ``now``.

    Already breached tickets are left out (see :func:`sla_at_risk`); clocks
    the source cannot measure (no first responses, no resolutions) are not
    watched. One wave, the hour the window starts in ``job.tz``
    (``2024-03-12T13:00+01:00``); severity the tickets at risk. Facts:
    ``start, end`` (local), ``count``, ``per_team`` (team -> tickets, most
    first, "" for none) and ``soonest`` (at most :data:`TOP_TICKETS` dicts:
    ``ticket_id, team, priority, clock, due_at`` local, ``link``).
    """
    missing = coverage.missing_inputs(con, source)
    targets = SlaTargets.from_settings(settings)
    if "first_response" in missing:
        targets = targets.without("first_response")
    if "done" in missing:
        targets = targets.without("resolution")
    if not targets.watched():
        raise AlertError(missing.get("first_response") or "no target is set")
    found = sla_at_risk(con, source, now, job.within_hours, targets)
    if found.empty:
        return Finding(
            "sla-risk",
            source,
            [],
            f"no open ticket reaches a target in the next {job.within_hours:g} h",
        )
    zone = ZoneInfo(job.tz)
    soonest = [
        {
            "ticket_id": str(row.ticket_id),
            "team": row.team if isinstance(row.team, str) else "",
            "priority": row.priority if isinstance(row.priority, str) else "",
            "clock": row.clock,
            "due_at": pd.Timestamp(row.due_at).tz_convert(zone).to_pydatetime(),
            "link": ticket_link(job.ticket_url, str(row.ticket_id)),
        }
        for row in found.head(TOP_TICKETS).itertuples(index=False)
    ]
    start = now.astimezone(zone)
    facts = {
        "start": start,
        "end": (now + timedelta(hours=job.within_hours)).astimezone(zone),
        "count": len(found),
        "per_team": _per_team(found["team"]),
        "soonest": soonest,
    }
    # with its UTC offset: the hour the clocks go back comes twice, as two waves
    key = start.replace(minute=0, second=0, microsecond=0).isoformat(timespec="minutes")
    label = f"{len(found)} ticket(s) reach a target within {job.within_hours:g} h of {key}"
    return Finding("sla-risk", source, [Wave(key, float(len(found)), label, facts)])


def _per_team(teams: pd.Series) -> dict[str, int]:
    """Return team -> tickets, most first, then by name ("" for tickets of no team)."""
    counts = teams.fillna("").value_counts()
    return dict(
        sorted(((str(k), int(v)) for k, v in counts.items()), key=lambda kv: (-kv[1], kv[0]))
    )


def ticket_link(template: str | None, ticket_id: str) -> str | None:
    """Return the ticket's address from ``template`` (its ``{ticket_id}`` URL-quoted), or None."""
    if not template:
        return None
    try:
        return template.format(ticket_id=quote(ticket_id, safe=""))
    except (KeyError, IndexError, ValueError):
        raise AlertError("ticket_url holds braces other than {ticket_id}") from None


def check_backlog_growth(
    con: duckdb.DuckDBPyConnection, job: Job, source: str, now: datetime, settings: Settings
) -> Finding:
    """Return the open backlog's growth over ``job.over_days`` days, when above
    ``job.growth_pct`` %: one wave, the spell's first day; severity the growth in %.
    Facts: ``growth`` (a :class:`BacklogGrowth`), ``over_days``, ``threshold`` (%), ``tz``."""
    missing = coverage.missing_inputs(con, source)
    if "done" in missing:
        raise AlertError(missing["done"])
    growth = backlog_growth(con, source, now, job.over_days, job.growth_pct, job.tz)
    if growth.spell_start is None:
        moved = "" if growth.growth_pct is None else f" ({growth.growth_pct:+.0f}%)"
        quiet = (
            f"the open backlog went from {growth.before} to {growth.now} tickets over "
            f"{job.over_days} days{moved}, not above +{job.growth_pct:g}%"
        )
        return Finding("backlog-growth", source, [], quiet)
    label = (
        f"open backlog {growth.before} -> {growth.now} over {job.over_days} days "
        f"({growth.growth_pct:+.0f}%), above +{job.growth_pct:g}% since {growth.spell_start}"
    )
    facts = {
        "growth": growth,
        "over_days": job.over_days,
        "threshold": job.growth_pct,
        "tz": job.tz,
    }
    wave = Wave(growth.spell_start.isoformat(), growth.growth_pct, label, facts)
    return Finding("backlog-growth", source, [wave])


CHECKS = {"surge": check_surge, "sla-risk": check_sla_risk, "backlog-growth": check_backlog_growth}
