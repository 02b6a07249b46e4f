"""Figures of the Agents and teams page: each agent's or team's week, one line each."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics.charts.base import COHORT, layout

# column of analytics.metrics.agents_trend -> (title, y axis)
TREND_VALUES = {
    "handled": ("Tickets handled per week", "Tickets"),
    "frt_median_h": ("Median first response per week", "Hours"),
}


def agents_trend_lines(trend: pd.DataFrame, name_column: str, value: str) -> go.Figure:
    """One line per agent or team of ``value`` (a key of :data:`TREND_VALUES`) per ISO week.

    ``trend`` is :func:`analytics.metrics.agents_trend`'s frame (or some of
    its names); ``name_column`` its ``assignee`` or ``team`` column. Each
    point carries the name as shown (customdata), for a click to list that
    agent's or team's tickets of the week (drill kinds ``assignee_week``,
    ``team_week``).
    """
    title, y_title = TREND_VALUES[value]
    fig = go.Figure()
    for name, rows in trend.groupby(name_column, sort=False):
        fig.add_scatter(
            x=rows["week"],
            y=rows[value],
            customdata=[str(name)] * len(rows),
            name=str(name),
            mode="lines+markers",
        )
    layout(fig, f"{title} ({COHORT})", y_title, "Week")
    fig.update_layout(hovermode="closest")
    return fig
