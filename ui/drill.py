"""Below a chart, the tickets behind the point or bar clicked: a table, its count, its CSV.

A page draws a chart with ``ui.chart(..., select=True)`` and hands what it
returns to :func:`tickets_below` with the chart's drill kind
(:data:`analytics.metrics.DRILL_KINDS`): the same condition the chart counts
with, so the list holds as many tickets as the point showed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from analytics import metrics, people
from analytics.charts.managers import DIMENSION_LABELS, bucket_label
from analytics.charts.people import UNASSIGNED_LABEL, shown_name
from analytics.metrics.drill import AGE_LABELS
from ui.auth import current_user
from ui.cache import cached, settings
from ui.i18n import N_, _, lang, long_date, month_names, n_, number, weekday_names
from ui.text import md_escape
from ui.widgets import choice, download_csv, grid

# The table shows this many; the CSV holds them all.
TABLE_ROWS = 500
# kind -> how many tickets and what its list is, for the caption ({v}: the point's value)
LABELS: dict[str, Callable[[int], str]] = {
    "created_day": lambda k: n_("{n} ticket created on {v}", "{n} tickets created on {v}", k),
    "created_week": lambda k: n_(
        "{n} ticket created in the week of {v}", "{n} tickets created in the week of {v}", k
    ),
    "created_month": lambda k: n_("{n} ticket created in {v}", "{n} tickets created in {v}", k),
    "sla_week": lambda k: n_(
        "{n} ticket created in the week of {v} and held to the first-response target",
        "{n} tickets created in the week of {v} and held to the first-response target",
        k,
    ),
    "assignee_week": lambda k: n_(
        "{n} ticket created in the week of {v}", "{n} tickets created in the week of {v}", k
    ),
    "team_week": lambda k: n_(
        "{n} ticket created in the week of {v}", "{n} tickets created in the week of {v}", k
    ),
    "rated_in_bucket": lambda k: n_(
        "{n} ticket resolved with a rating and a first response in {v}",
        "{n} tickets resolved with a rating and a first response in {v}",
        k,
    ),
    "resolved_day": lambda k: n_("{n} ticket resolved on {v}", "{n} tickets resolved on {v}", k),
    "frt_bucket": lambda k: n_(
        "{n} ticket created with a first response in {v}",
        "{n} tickets created with a first response in {v}",
        k,
    ),
    "weekday_hour": lambda k: n_("{n} ticket created on {v}", "{n} tickets created on {v}", k),
    "open_at": lambda k: n_("{n} ticket open at {v}", "{n} tickets open at {v}", k),
    "awaiting_at": lambda k: n_(
        "{n} ticket awaiting a first response at {v}",
        "{n} tickets awaiting a first response at {v}",
        k,
    ),
    "open_aged": lambda k: n_(
        "{n} ticket open at the period's end, aged {v}",
        "{n} tickets open at the period's end, aged {v}",
        k,
    ),
    "answered_aged": lambda k: n_(
        "{n} ticket open at the period's end, aged {v}, answered",
        "{n} tickets open at the period's end, aged {v}, answered",
        k,
    ),
    "awaiting_aged": lambda k: n_(
        "{n} ticket open at the period's end, aged {v}, awaiting a first response",
        "{n} tickets open at the period's end, aged {v}, awaiting a first response",
        k,
    ),
}
CHOICES = {
    "created_day": N_("Created"),
    "created_week": N_("Created"),
    "resolved_day": N_("Resolved"),
    "open_at": N_("Open at the end"),
    "awaiting_at": N_("Awaiting a first response"),
    "answered_aged": N_("Answered, not resolved"),
    "awaiting_aged": N_("Awaiting a first response"),
}
TIMES = ("created_at", "first_response_at", "resolved_at")
LINK = N_("Link")
# The list's columns, under the names a manager reads.
COLUMNS = {
    "ticket_id": N_("Ticket"),
    "created_at": N_("Created"),
    "first_response_at": N_("First response"),
    "resolved_at": N_("Resolved"),
    "priority": N_("Priority"),
    "assignee": N_("Assignee"),
    "team": N_("Team"),
    "region": N_("Region"),
    "channel": N_("Channel"),
    "category": N_("Category"),
    "link": LINK,
}


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
        labels = {k: CHOICES.get(k, k) for k in choices}
        kind = choice(
            _("Tickets"), labels, kind, f"drill_kind_{key}_{curve}_{point.get('point_index')}"
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


def customdata(point: dict):
    """Return a point's customdata: a string, a number, a list (of a row), or None.

    A row of customdata may come back from the browser as an object keyed
    ``"0"``, ``"1"``...: it is read as the list it was.
    """
    custom = point.get("customdata")
    if isinstance(custom, dict):
        return [value for _key, value in sorted(custom.items(), key=lambda item: int(item[0]))]
    return custom


def value_of(point: dict, kind: str, selection: metrics.Selection, grain: str):
    """Return the drill value of ``point`` for ``kind`` (see :func:`metrics.tickets_behind`)."""
    what = metrics.DRILL_KINDS[kind]
    custom = customdata(point)
    if what in ("text", "age"):
        # the builder's customdata (first) when it names the bar as typed, whatever the
        # language of the axis; else its category axis
        first = custom[0] if isinstance(custom, list) and custom else custom
        labels = [first, point.get("y"), point.get("x")]
        label = next((v for v in labels if isinstance(v, str)), None)
        return None if label is None else unescaped(label)
    if what == "weekday and hour":
        # the cell's marker carries [value, weekday]: its axis names the day in a language
        return int(custom[1]), int(str(point["x"]).partition(":")[0])
    if what == "name and week":
        # the trace's name as shown (a pseudonym stays one), and its week's Monday
        if not isinstance(custom, str):
            return None
        return unescaped(custom), pd.Timestamp(point["x"]).date()
    if what == "date":
        # a chart whose axis is not a date (ISO week numbers) carries the date as customdata
        return pd.Timestamp(custom if isinstance(custom, str) else point["x"]).date()
    day = pd.Timestamp(point["x"]).date()
    if grain == "hour":
        # Hours are real hours from the period's start: a DST day has 23 or 25.
        index = int(point.get("point_index") or 0)
        return selection.start.astimezone(UTC) + timedelta(hours=index + 1)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(selection.tz))


def shown_value(kind: str, value, selection: metrics.Selection) -> str:
    """Return the point's ``value`` as the caption reads it, in the session's language."""
    if isinstance(value, datetime):
        moment = value.astimezone(ZoneInfo(selection.tz))
        return f"{long_date(moment.date(), weekday=False)}, {moment:%H:%M}"
    if kind in ("assignee_week", "team_week"):
        week = long_date(pd.Timestamp(value[1]).date(), weekday=False)
        return f"{week}, {shown_name(value[0], lang())}"
    if isinstance(value, tuple):
        return _("{weekday} at {hour}").format(
            weekday=weekday_names()[value[0] - 1], hour=f"{value[1]:02d}:00"
        )
    if kind == "created_month":
        return f"{month_names()[value.month - 1]} {value.year}"
    if isinstance(value, date):
        return long_date(value, weekday=kind.endswith("_day"))
    if kind in metrics.DIMENSIONS:
        return str(value)
    if value in AGE_LABELS:
        return _(AGE_LABELS[value])
    return bucket_label(str(value), lang())


def caption(kind: str, value, total: int, selection: metrics.Selection) -> str:
    """Return the line above the list: how many tickets, and what they are (Markdown-safe)."""
    shown = shown_value(kind, value, selection)
    if kind in metrics.DIMENSIONS:
        what = n_(
            "{n} ticket created with {dimension} {v}",
            "{n} tickets created with {dimension} {v}",
            total,
        ).format(dimension=_(DIMENSION_LABELS[kind]).lower(), v=shown)
    elif (kind, value) == ("frt_bucket", "not answered"):
        what = n_(
            "{n} ticket created and not answered", "{n} tickets created and not answered", total
        )
    elif (kind, value) == ("rated_in_bucket", "not answered"):
        what = n_(
            "{n} ticket resolved with a rating and not answered",
            "{n} tickets resolved with a rating and not answered",
            total,
        )
    else:
        what = LABELS[kind](total).format(v=shown)
    if total > TABLE_ROWS:
        what = _("{tickets}; the first {rows} shown, the CSV holds them all").format(
            tickets=what, rows=number(TABLE_ROWS)
        )
    return md_escape(_("{tickets}. Times in {tz}.").format(tickets=what, tz=selection.tz))


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
    table = tickets.head(TABLE_ROWS)
    if "assignee" in table:
        table = table.assign(assignee=table["assignee"].fillna(_(UNASSIGNED_LABEL)))
    config = {}
    if template:
        config[_(LINK)] = st.column_config.LinkColumn(display_text=_("Open"))
    grid(
        table,
        labels=COLUMNS,
        tz=selection.tz,
        column_config=config,
        key=f"drill_table_{key}",
    )
    # ISO 8601 with the zone's offset: a spreadsheet or a script reads them unambiguously.
    iso = {c: tickets[c].map(lambda t: "" if pd.isna(t) else t.isoformat()) for c in TIMES}
    download_csv(tickets.assign(**iso), f"tickets_{key}", _("Download these tickets (CSV)"))
