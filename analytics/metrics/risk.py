"""Tickets at risk: open tickets whose first-response or resolution target falls due soon.

"Now" is the export's latest event (:func:`analytics.metrics.current_span`)
unless the caller names another instant: an export is a picture of one
moment. Definitions in ``docs/metrics.md`` ("Tickets at risk"); the SQL in
``sql/tickets_at_risk_calendar.sql`` and ``sql/tickets_at_risk_business.sql``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from analytics import people
from analytics.i18n import N_
from analytics.metrics.engine import current_span, query
from analytics.metrics.selection import Selection
from analytics.settings import Settings, load_settings

HORIZONS = (1, 4, 8, 24)
TICKET_COLUMNS = (
    "ticket_id",
    "team",
    "priority",
    "channel",
    "assignee",
    "clock",
    "created_at",
    "due_at",
    "hours_left",
)
# Each clock as shown, translated where it is shown; ``clock`` holds the key.
CLOCK_LABELS = {"first_response": N_("First response"), "resolution": N_("Resolution")}
# The team of tickets without one, in ``by_team``.
NO_TEAM = "(none)"
# Public holidays can close a schedule for days on end: the business-hours
# calendar reaches this far past the horizon's calendar length.
_HOLIDAY_MARGIN = timedelta(days=21)


@dataclass(frozen=True)
class AtRisk:
    """The open tickets whose target falls due within ``within_hours`` of ``now``.

    ``tickets``: one row per ticket at risk, its soonest clock, soonest first
    (:data:`TICKET_COLUMNS`; ``clock`` is ``first_response`` or
    ``resolution``; times in the selection's zone; ``hours_left`` in the
    selection's hours, calendar or business; ``assignee`` as the caller's
    view of agents allows, absent for teams only). ``breached``: the open
    tickets already past a target, counted apart. ``by_team``: ``team,
    at_risk, breached``, most at risk first. ``watched``: the clocks that
    have a target.
    """

    now: datetime | None
    within_hours: float
    tickets: pd.DataFrame
    breached: int
    by_team: pd.DataFrame
    watched: tuple[str, ...]

    @property
    def count(self) -> int:
        """Return the number of tickets at risk."""
        return len(self.tickets)


def watched_clocks(settings: Settings) -> tuple[str, ...]:
    """Return the clocks that have a target: first response always, resolution when ``[sla]`` sets one."""
    resolution = settings.resolution_target_hours is not None or settings.resolution_by_priority
    return ("first_response", "resolution") if resolution else ("first_response",)


def tickets_at_risk(
    con: duckdb.DuckDBPyConnection,
    selection: Selection,
    within_hours: float,
    settings: Settings | None = None,
    *,
    now: datetime | None = None,
    view: str = people.NAMES,
    key: bytes | None = None,
) -> AtRisk:
    """Return the selection's open tickets at risk of missing a target within ``within_hours``.

    A ticket is at risk when a clock still running at ``now`` (first
    response while unanswered, resolution while open) passes its target
    after ``now`` and at most ``within_hours`` later; a clock already past
    its target makes the ticket breached instead. A ticket late on first
    response whose resolution target is still ahead counts in both. The
    sidebar's filters apply, its period does not: open now is open now.
    With ``selection.business_hours`` clocks and the horizon count business
    hours of the team's schedule. ``now`` defaults to the source's latest
    event. Assignees pass through :func:`analytics.people.shown` with
    ``view`` and ``key``.

    Example: ``tickets_at_risk(con, selection, 4).count``.
    """
    if within_hours <= 0:
        raise ValueError("within_hours must be positive")
    settings = settings or load_settings()
    now = now or current_span(con, selection.source).as_of
    watched = watched_clocks(settings)
    if now is None:  # an empty source
        empty = pd.DataFrame({column: pd.Series(dtype=object) for column in TICKET_COLUMNS})
        return AtRisk(
            None, within_hours, people.shown(empty, view, key), 0, _by_team(None), watched
        )
    # The period plays no part, but the business-hours calendar reaches to its end.
    asked = replace(selection, end=max(selection.end, now + _reach(settings, within_hours)))
    name = "tickets_at_risk_business" if selection.business_hours else "tickets_at_risk_calendar"
    rows = query(
        con,
        name,
        asked,
        settings,
        now=now,
        within_s=3600.0 * within_hours,
        **_targets("fr", settings.sla_target_hours, settings.sla_by_priority),
        **_targets("res", settings.resolution_target_hours, settings.resolution_by_priority),
    )
    for column in ("created_at", "due_at"):
        rows[column] = pd.to_datetime(rows[column], utc=True).dt.tz_convert(selection.tz)
    at_risk = rows[rows["state"] == "at_risk"].reset_index(drop=True)
    tickets = people.shown(at_risk[list(TICKET_COLUMNS)], view, key)
    breached = int((rows["state"] == "breached").sum())
    return AtRisk(now, within_hours, tickets, breached, _by_team(rows), watched)


def _targets(prefix: str, default_h: float | None, by_priority: Mapping[str, float]) -> dict:
    return {
        f"{prefix}_priorities": list(by_priority),
        f"{prefix}_targets_s": [3600.0 * h for h in by_priority.values()],
        f"{prefix}_default_s": None if default_h is None else 3600.0 * default_h,
    }


def _reach(settings: Settings, within_hours: float) -> timedelta:
    """Return how far past ``now`` ``within_hours`` business hours can reach, holidays aside."""
    weekly_h = [
        sum(end - start for day in schedule.week for start, end in day) / 60
        for schedule in settings.schedules.values()
    ]
    thinnest = min((h for h in weekly_h if h > 0), default=0)
    if not thinnest:  # no schedule ever opens: no business clock ever runs
        return _HOLIDAY_MARGIN
    return timedelta(weeks=math.ceil(within_hours / thinnest)) + _HOLIDAY_MARGIN


def _by_team(rows: pd.DataFrame | None) -> pd.DataFrame:
    """Return ``team, at_risk, breached`` from the query's rows, most at risk first."""
    if rows is None or rows.empty:
        return pd.DataFrame({"team": pd.Series(dtype=object), "at_risk": 0, "breached": 0})
    counts = (
        rows.assign(team=rows["team"].fillna(NO_TEAM))
        .pivot_table(index="team", columns="state", values="ticket_id", aggfunc="count")
        .reindex(columns=["at_risk", "breached"])
        .fillna(0)
        .astype(int)
        .reset_index()
    )
    counts.columns.name = None
    return counts.sort_values(
        ["at_risk", "breached", "team"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)
