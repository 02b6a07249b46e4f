"""Below a chart, the tickets behind the point or bar clicked: a table, its count, its CSV.

A page draws a chart with ``ui.chart(..., select=True)`` and hands what it
returns to :func:`tickets_below` with the chart's drill kind
(:data:`analytics.metrics.DRILL_KINDS`): the same condition the chart counts
with, so the list holds as many tickets as the point showed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from analytics import metrics, people
from analytics.charts import WEEKDAYS
from ui.auth import current_user
from ui.cache import cached, settings
from ui.text import md_escape
from ui.widgets import download_csv, grid

# The table shows this many; the CSV holds them all.
TABLE_ROWS = 500
# kind -> what its list is, for the caption ({v}: the point's value)
LABELS = {
    "created_day": "created on {v}",
    "created_week": "created in the week of {v}",
    "created_month": "created in the month of {v}",
    "sla_week": "created in the week of {v} and held to the first-response target",
    "assignee_week": "created in the week of {v}",
    "team_week": "created in the week of {v}",
    "rated_in_bucket": "resolved with a rating and a first response in {v}",
    "resolved_day": "resolved on {v}",
    "frt_bucket": "created with a first response in {v}",
    "weekday_hour": "created on {v}",
    "open_at": "open at {v}",
    "awaiting_at": "awaiting a first response at {v}",
    "open_aged": "open at the period's end, aged {v}",
    "answered_aged": "open at the period's end, aged {v}, answered",
    "awaiting_aged": "open at the period's end, aged {v}, awaiting a first response",
}
CHOICES = {
    "created_day": "Created",
    "created_week": "Created",
    "resolved_day": "Resolved",
    "open_at": "Open at the end",
    "awaiting_at": "Awaiting a first response",
    "answered_aged": "Answered, not resolved",
    "awaiting_aged": "Awaiting a first response",
}
TIMES = ("created_at", "first_response_at", "resolved_at")


def tickets_below(
    state,
    selection: metrics.Selection,
    kinds: str | Sequence[str | None],
    key: str,
    *,
    grain: str = "day",
) -> None:
    """Draw the tickets behind the point selected in ``state``, if any.

    ``state`` is what :func:`ui.chart` returned with ``select=True``;
    ``kinds`` the drill kind of every trace of the chart, or one per trace
    (None for a trace without tickets behind it). ``grain`` ("day" or "hour") says which
    instant a backlog point stands for: the end of its local day or of its
    hour. A chart of several kinds offers a choice between their lists for
    the point's period.
    """
    point = clicked(state)
    if point is None:
        return
    curve = int(point.get("curve_number") or 0)
    # one kind for a chart of many like traces (years, agents), or one per trace
    kinds = (kinds,) * (curve + 1) if isinstance(kinds, str) else tuple(kinds)
    kind = kinds[curve] if curve < len(kinds) else None
    if kind is None:
        return
    choices = list(dict.fromkeys(k for k in kinds if k))
    if len(choices) > 1:
        # Keyed on the point: a new click starts from the trace clicked.
        kind = (
            st.segmented_control(
                "Tickets",
                choices,
                default=kind,
                format_func=lambda k: CHOICES.get(k, k),
                key=f"drill_kind_{key}_{curve}_{point.get('point_index')}",
            )
            or kind
        )
    value = value_of(point, kind, selection, grain)
    if value is None:
        return
    current = settings()
    view = people.view_for(current, current_user().role)
    secret = people.key_for(current, view)
    behind = cached(
        metrics.tickets_behind,
        selection,
        kind,
        value,
        settings=current,
        view=view,
        key=secret,
    )
    show_list(behind, selection, caption(kind, value, behind.total, selection), key)


def clicked(state) -> dict | None:
    """Return the first point selected in a chart's selection ``state``, or None."""
    if not state:
        return None
    points = state.get("selection", {}).get("points") or []
    return dict(points[0]) if points else None


def unescaped(text: str) -> str:
    """Return a chart label as typed: :func:`analytics.charts.plain_text` escaped it."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def value_of(point: dict, kind: str, selection: metrics.Selection, grain: str):
    """Return the drill value of ``point`` for ``kind`` (see :func:`metrics.tickets_behind`)."""
    what = metrics.DRILL_KINDS[kind]
    if what in ("text", "age"):
        # the builder's customdata when it names the bar, else its category axis
        labels = [point.get("customdata"), point.get("y"), point.get("x")]
        label = next((v for v in labels if isinstance(v, str)), None)
        return None if label is None else unescaped(label)
    if what == "weekday and hour":
        weekday = WEEKDAYS.index(unescaped(str(point["y"]))) + 1
        return weekday, int(str(point["x"]).partition(":")[0])
    if what == "name and week":
        # the trace's name as shown (a pseudonym stays one), and its week's Monday
        name = point.get("customdata")
        if not isinstance(name, str):
            return None
        return unescaped(name), pd.Timestamp(point["x"]).date()
    if what == "date":
        # a chart whose axis is not a date (ISO week numbers) carries the date as customdata
        shown = point.get("customdata")
        return pd.Timestamp(shown if isinstance(shown, str) else point["x"]).date()
    day = pd.Timestamp(point["x"]).date()
    if grain == "hour":
        # Hours are real hours from the period's start: a DST day has 23 or 25.
        index = int(point.get("point_index") or 0)
        return selection.start.astimezone(UTC) + timedelta(hours=index + 1)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(selection.tz))


def caption(kind: str, value, total: int, selection: metrics.Selection) -> str:
    """Return the line above the list: how many tickets, and what they are (Markdown-safe)."""
    if isinstance(value, datetime):
        shown = f"{value.astimezone(ZoneInfo(selection.tz)):%Y-%m-%d %H:%M}"
    elif kind in ("assignee_week", "team_week"):
        shown = f"{value[1]}, {value[0]}"
    elif isinstance(value, tuple):
        shown = f"{WEEKDAYS[value[0] - 1]} at {value[1]:02d}:00"
    else:
        shown = str(value)
    if kind in metrics.DIMENSIONS:
        what = f"created with {kind} {shown}"
    elif (kind, value) == ("frt_bucket", "not answered"):
        what = "created and not answered"
    elif (kind, value) == ("rated_in_bucket", "not answered"):
        what = "resolved with a rating and not answered"
    else:
        what = LABELS[kind].format(v=shown)
    cut = f"; the first {TABLE_ROWS:,} shown, the CSV holds them all" if total > TABLE_ROWS else ""
    return md_escape(f"{total:,} tickets {what}{cut}. Times in {selection.tz}.")


def show_list(behind, selection: metrics.Selection, text: str, key: str) -> None:
    """Draw the caption, the first :data:`TABLE_ROWS` tickets and the CSV of them all."""
    current = settings()
    view = people.view_for(current, current_user().role)
    secret = people.key_for(current, view)
    tickets = people.shown(behind.tickets, view, secret)
    template = current.people.url_template(selection.source)
    if template:
        tickets = tickets.assign(link=metrics.ticket_links(tickets["ticket_id"], template))
    st.caption(text)
    if tickets.empty:
        return
    table = tickets.head(TABLE_ROWS).assign(
        **{column: tickets[column].head(TABLE_ROWS).dt.tz_localize(None) for column in TIMES}
    )
    config = {
        "ticket_id": "Ticket",
        "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
        "first_response_at": st.column_config.DatetimeColumn(
            "First response", format="YYYY-MM-DD HH:mm"
        ),
        "resolved_at": st.column_config.DatetimeColumn("Resolved", format="YYYY-MM-DD HH:mm"),
    }
    if template:
        config["link"] = st.column_config.LinkColumn("Link", display_text="Open")
    grid(table, column_config=config, key=f"drill_table_{key}")
    # ISO 8601 with the zone's offset: a spreadsheet or a script reads them unambiguously.
    iso = {c: tickets[c].map(lambda t: "" if pd.isna(t) else t.isoformat()) for c in TIMES}
    download_csv(tickets.assign(**iso), f"tickets_{key}", "Download these tickets (CSV)")
