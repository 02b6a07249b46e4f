"""Figures of the Agents and teams page: each agent's or team's week, one line each."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics import i18n
from analytics.charts.base import COHORT, count_axis, layout
from analytics.i18n import N_
from analytics.metrics.agents import UNASSIGNED

# column of analytics.metrics.agents_trend -> (title, y axis), translated where shown
TREND_VALUES = {
    "handled": (N_("Tickets handled per week"), N_("Tickets")),
    "frt_median_h": (N_("Median first response per week"), N_("Hours")),
}
# How tickets without an assignee or a team are named on screen.
UNASSIGNED_LABEL = N_("Unassigned")


def shown_name(name: object, lang: str = "en") -> str:
    """Return an agent's or team's name as shown: ``Unassigned`` in ``lang`` for none."""
    return i18n.gettext(lang, UNASSIGNED_LABEL) if name == UNASSIGNED else str(name)


def agents_trend_lines(
    trend: pd.DataFrame, name_column: str, value: str, lang: str = "en"
) -> go.Figure:
    """One line per agent or team of ``value`` (a key of :data:`TREND_VALUES`) per ISO week.

    ``trend`` is :func:`analytics.metrics.agents_trend`'s frame (or some of
    its names); ``name_column`` its ``assignee`` or ``team`` column. Each
    point carries the name as stored or pseudonymised (customdata), for a
    click to list that agent's or team's tickets of the week (drill kinds
    ``assignee_week``, ``team_week``); the legend names the unassigned in ``lang``.
    """
    _ = i18n.translator(lang)
    title, y_title = TREND_VALUES[value]
    fig = go.Figure()
    for name, rows in trend.groupby(name_column, sort=False):
        fig.add_scatter(
            x=rows["week"],
            y=rows[value],
            customdata=[str(name)] * len(rows),
            name=shown_name(name, lang),
            mode="lines+markers",
        )
    full_title = _("{title} ({cohort})").format(title=_(title), cohort=_(COHORT))
    layout(fig, full_title, _(y_title), _("Week"), lang=lang)
    fig.update_layout(hovermode="closest")
    if value == "handled":
        count_axis(fig, float(trend[value].max()) if len(trend) else None)
    return fig
