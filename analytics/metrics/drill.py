"""The tickets behind a point or bar of a managers' chart: the same tickets the chart counted.

Each chart counts tickets under one condition (created on a local day, with
a region, open at an instant...); :data:`DRILL_KINDS` names those conditions
and ``sql/drill_tickets.sql`` writes each one as its chart's query does, so
the list a click opens has as many tickets as the bar or point clicked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

import duckdb
import pandas as pd

from analytics import people
from analytics.i18n import N_
from analytics.metrics.agents import UNASSIGNED
from analytics.metrics.engine import query
from analytics.metrics.questions import BUCKETS, check_choice, now_at
from analytics.metrics.selection import DIMENSIONS, Selection
from analytics.settings import Settings

# The ages of the backlog-by-age bars (sql/backlog_now.sql), youngest first.
BACKLOG_AGES = ("< 1 day", "1-2 days", "2-3 days", "3-7 days", "7-14 days", "14 days+")
# Each age as shown, translated where it is shown; the ages above stay the values asked for.
AGE_LABELS = {
    "< 1 day": N_("< 1 day"),
    "1-2 days": N_("1-2 days"),
    "2-3 days": N_("2-3 days"),
    "3-7 days": N_("3-7 days"),
    "7-14 days": N_("7-14 days"),
    "14 days+": N_("14 days+"),
}
# kind -> what its value is (see tickets_behind)
DRILL_KINDS = {
    "created_day": "date",
    "created_week": "date",
    "created_month": "date",
    "sla_week": "date",
    "resolved_day": "date",
    **dict.fromkeys(DIMENSIONS, "text"),
    "frt_bucket": "text",
    "rated_in_bucket": "text",
    "assignee_week": "name and week",
    "team_week": "name and week",
    "weekday_hour": "weekday and hour",
    "open_at": "instant",
    "awaiting_at": "instant",
    **dict.fromkeys(("open_aged", "answered_aged", "awaiting_aged"), "age"),
}
TIMES = ("created_at", "first_response_at", "resolved_at")


@dataclass(frozen=True)
class TicketsBehind:
    """The tickets behind a chart's point: the first ``limit`` of them, and how many there are."""

    tickets: pd.DataFrame
    """``ticket_id``, ``created_at``, ``first_response_at``, ``resolved_at`` (aware, in the
    selection's zone), ``region``, ``team``, ``channel``, ``category``, ``priority``,
    ``assignee``, first created first."""
    total: int
    """All the tickets behind the point, however many ``tickets`` holds."""


def tickets_behind(
    con: duckdb.DuckDBPyConnection,
    selection: Selection,
    kind: str,
    value: date | datetime | str | tuple,
    settings: Settings | None = None,
    limit: int | None = None,
    view: str = people.NAMES,
    key: bytes | None = None,
) -> TicketsBehind:
    """Return the tickets a chart of ``selection`` counted at ``value`` of ``kind``.

    ``kind`` is one of :data:`DRILL_KINDS`: ``created_day`` / ``created_week``
    / ``created_month`` (a local date: the day, the week's Monday, the
    month's first day), ``sla_week`` (a week's Monday: the tickets its SLA
    figure evaluated), ``resolved_day`` (a local date), a dimension of
    :data:`~analytics.metrics.DIMENSIONS` (its value, ``"(none)"`` for none),
    ``frt_bucket`` (a label of :data:`~analytics.metrics.BUCKETS`: tickets
    created in the period), ``rated_in_bucket`` (a bucket label: rated
    tickets resolved in the period), ``weekday_hour`` (``(weekday, hour)``,
    1 = Monday, local hour of the zone), ``assignee_week`` / ``team_week``
    (``(name, Monday)``, the name as :func:`~analytics.metrics.agents_trend`
    shows it under ``view`` and ``key``: a pseudonym stands for the stored
    names it hides), ``open_at`` and ``awaiting_at`` (an aware instant: the
    backlog then), ``open_aged`` / ``answered_aged`` / ``awaiting_aged`` (a label of
    :data:`BACKLOG_AGES`: the backlog at the period's end by age). ``limit`` None returns every ticket.

    Example: ``tickets_behind(con, selection, "region", "Europe").total`` equals
    the ``created`` of Europe in :func:`~analytics.metrics.response_time_breakdown`.

    Raises
    ------
    ValueError
        An unknown kind or bucket, or an instant without its zone.
    analytics.people.PeopleHidden
        ``assignee_week`` under the ``"teams"`` view.
    """
    check_choice("kind", kind, tuple(DRILL_KINDS))
    params = _value_params(con, selection, kind, value, settings, view, key)
    frame = query(
        con,
        "drill_tickets",
        selection,
        settings,
        kind=kind,
        limit=None if limit is None else int(limit),
        **params,
    )
    total = int(frame["total"].iloc[0]) if len(frame) else 0
    tickets = frame.drop(columns="total")
    for column in TIMES:
        tickets[column] = pd.to_datetime(tickets[column], utc=True).dt.tz_convert(selection.tz)
    return TicketsBehind(tickets, total)


def _value_params(con, selection, kind, value, settings, view, key) -> dict:
    """Return ``drill_tickets.sql``'s parameters saying which ``value`` of ``kind`` was clicked."""
    params = {
        "day": None,
        "value": None,
        "weekday": None,
        "hour": None,
        "at": None,
        "names": [],
        "unassigned": False,
    }
    what = DRILL_KINDS[kind]
    if what == "date":
        params["day"] = pd.Timestamp(value).date()
    elif what == "text":
        if kind in ("frt_bucket", "rated_in_bucket"):
            check_choice("bucket", str(value), tuple(BUCKETS))
        params["value"] = str(value)
    elif what == "age":
        check_choice("age", str(value), BACKLOG_AGES)
        params["value"], params["at"] = str(value), now_at(con, selection)
    elif what == "weekday and hour":
        params["weekday"], params["hour"] = (int(v) for v in value)
    elif what == "name and week":
        name, week = value
        params["day"] = pd.Timestamp(week).date()
        params["unassigned"] = name == UNASSIGNED
        params["names"] = stored_names(con, selection, kind, str(name), settings, view, key)
    else:
        at = pd.Timestamp(value)
        if at.tzinfo is None:
            raise ValueError("an instant needs its time zone")
        params["at"] = at.to_pydatetime()
    return params


def stored_names(
    con: duckdb.DuckDBPyConnection,
    selection: Selection,
    kind: str,
    shown_name: str,
    settings: Settings | None,
    view: str,
    key: bytes | None,
) -> list[str]:
    """Return the stored names an agent or team shown as ``shown_name`` under ``view`` stands for.

    Teams and agents under their names stand for themselves; a pseudonym
    stands for every assignee of the source whose :func:`~analytics.people.pseudonym`
    it is (several spellings of one person share one), so the browser never
    needs a real name to ask for someone's tickets.
    """
    if kind == "assignee_week":
        people.require_people(view)
    if kind == "team_week" or view == people.NAMES:
        return [shown_name]
    if key is None:
        raise ValueError("pseudonyms need their key")
    assignees = query(con, "drill_assignees", selection, settings)["assignee"]
    return [name for name in assignees if people.pseudonym(name, key) == shown_name]


def ticket_links(ticket_ids: pd.Series, template: str) -> pd.Series:
    """Return each ticket's address: ``template`` with ``{ticket_id}`` replaced by the quoted id.

    The id is URL-quoted whole (``/``, ``?``, ``#`` and spaces included), so
    it can only ever name one ticket on the helpdesk's own host.
    """
    return ticket_ids.map(lambda t: template.replace("{ticket_id}", quote(str(t), safe="")))
