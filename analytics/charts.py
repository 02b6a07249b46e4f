"""Plotly figure builders: a small frame in, a figure out, nothing else.

Every builder is a pure function of its inputs, titles its axes with units,
and states in its title whether tickets are counted by creation date
(cohort) or by the date the event happened. Events are drawn as labelled
bands by :func:`add_event_bands`.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

COHORT = "by creation date"
EVENT_DATE = "by event date"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
COLORS = {
    "created": "#1f5f99",
    "resolved": "#6aa84f",
    "backlog": "#cc4125",
    "awaiting": "#e69138",
    "median": "#1f5f99",
    "p90": "#a64d79",
    "event": "rgba(241, 194, 50, 0.18)",
}


def _layout(fig: go.Figure, title: str, y_title: str, x_title: str | None = None) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        yaxis_title=y_title,
        xaxis_title=x_title,
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        height=380,
        template="plotly_white",
    )
    return fig


def add_event_bands(fig: go.Figure, events: pd.DataFrame | None) -> go.Figure:
    """Draw each event (``name``, ``region``, ``starts_on``, ``ends_on``) as a labelled band."""
    if events is None or events.empty:
        return fig
    for row in events.itertuples():
        label = row.name if row.region in (None, "all") else f"{row.name} ({row.region})"
        fig.add_vrect(
            x0=pd.Timestamp(row.starts_on),
            x1=pd.Timestamp(row.ends_on) + pd.Timedelta(days=1),
            fillcolor=COLORS["event"],
            line_width=0,
            layer="below",
            annotation_text=label,
            annotation_position="top left",
            annotation_font_size=10,
        )
    return fig


def created_vs_resolved(flow: pd.DataFrame, events: pd.DataFrame | None = None) -> go.Figure:
    """Daily created (cohort) and resolved (event date) bars with the backlog line."""
    fig = go.Figure()
    fig.add_bar(x=flow["day"], y=flow["created"], name="Created", marker_color=COLORS["created"])
    fig.add_bar(x=flow["day"], y=flow["resolved"], name="Resolved", marker_color=COLORS["resolved"])
    fig.add_scatter(
        x=flow["day"],
        y=flow["backlog"],
        name="Open backlog (end of day)",
        yaxis="y2",
        line={"color": COLORS["backlog"], "width": 2},
    )
    fig.update_layout(
        barmode="group",
        yaxis2={"title": "Open tickets", "overlaying": "y", "side": "right", "rangemode": "tozero"},
    )
    _layout(
        fig, f"Tickets created ({COHORT}) and resolved ({EVENT_DATE}) per day", "Tickets per day"
    )
    return add_event_bands(fig, events)


def response_time_trend(
    trend: pd.DataFrame, metric: str = "frt", events: pd.DataFrame | None = None
) -> go.Figure:
    """Median and p90 of first response (``metric="frt"``) or resolution, per period."""
    label = "First response" if metric == "frt" else "Resolution"
    fig = go.Figure()
    fig.add_scatter(
        x=trend["period"],
        y=trend[f"{metric if metric == 'frt' else 'resolution'}_median_h"],
        name="Median",
        line={"color": COLORS["median"]},
    )
    fig.add_scatter(
        x=trend["period"],
        y=trend[f"{metric if metric == 'frt' else 'resolution'}_p90_h"],
        name="p90",
        line={"color": COLORS["p90"], "dash": "dot"},
    )
    _layout(fig, f"{label} time, median and p90 ({COHORT})", "Hours")
    return add_event_bands(fig, events)


def buckets_bar(buckets: pd.DataFrame) -> go.Figure:
    """Share of tickets per first-response bucket."""
    fig = go.Figure(
        go.Bar(
            x=buckets["bucket"],
            y=buckets["share_pct"],
            text=[f"{v:.0f}%" for v in buckets["share_pct"].fillna(0)],
            customdata=buckets["tickets"],
            hovertemplate="%{x}: %{y:.1f}% (%{customdata:,} tickets)<extra></extra>",
            marker_color=COLORS["created"],
        )
    )
    _layout(
        fig,
        f"First response time distribution ({COHORT})",
        "Share of tickets (%)",
        "First response",
    )
    fig.update_layout(hovermode="closest")
    return fig


def breakdown_bar(breakdown: pd.DataFrame, dimension: str) -> go.Figure:
    """Median and p90 first response per value of a dimension, largest volume first."""
    top = breakdown.head(20)
    fig = go.Figure()
    fig.add_bar(
        y=top["value"],
        x=top["frt_median_h"],
        name="Median",
        orientation="h",
        marker_color=COLORS["median"],
    )
    fig.add_bar(
        y=top["value"],
        x=top["frt_p90_h"],
        name="p90",
        orientation="h",
        marker_color=COLORS["p90"],
    )
    _layout(fig, f"First response by {dimension} ({COHORT})", dimension.capitalize(), "Hours")
    fig.update_layout(
        barmode="group",
        hovermode="y unified",
        yaxis={"autorange": "reversed", "dtick": 1},
        height=max(380, 120 + 36 * len(top)),
    )
    return fig


def sla_weekly(sla: pd.DataFrame, target_hours: float) -> go.Figure:
    """SLA attainment per week."""
    fig = go.Figure(
        go.Scatter(
            x=sla["week"],
            y=sla["sla_pct"],
            mode="lines+markers",
            name="SLA %",
            customdata=sla[["met", "evaluated"]],
            hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>",
            line={"color": COLORS["median"]},
        )
    )
    _layout(
        fig,
        f"First responses within the {target_hours:g} h target, per week ({COHORT})",
        "Within target (%)",
    )
    fig.update_layout(yaxis={"range": [0, 100]}, hovermode="closest")
    return fig


def backlog_lines(series: pd.DataFrame, events: pd.DataFrame | None = None) -> go.Figure:
    """Open backlog and tickets awaiting a first response over time."""
    fig = go.Figure()
    fig.add_scatter(
        x=series["bucket"], y=series["open"], name="Open", line={"color": COLORS["backlog"]}
    )
    fig.add_scatter(
        x=series["bucket"],
        y=series["awaiting_first_response"],
        name="Awaiting first response",
        line={"color": COLORS["awaiting"]},
    )
    _layout(fig, f"Backlog ({EVENT_DATE})", "Open tickets")
    return add_event_bands(fig, events)


def weekday_hour_heatmap(heatmap: pd.DataFrame, value: str, title: str, unit: str) -> go.Figure:
    """A weekday x hour heatmap of one column of :func:`analytics.metrics.weekday_hour_heatmap`."""
    grid = heatmap.pivot(index="weekday", columns="hour", values=value).reindex(
        index=range(1, 8), columns=range(24)
    )
    fig = go.Figure(
        go.Heatmap(
            z=grid.values,
            x=[f"{h:02d}:00" for h in grid.columns],
            y=list(WEEKDAYS),
            colorscale="YlOrRd",
            colorbar={"title": unit},
            hovertemplate="%{y} %{x}: %{z:.1f} " + unit + "<extra></extra>",
        )
    )
    _layout(fig, title, "Weekday", "Hour of day")
    fig.update_layout(yaxis={"autorange": "reversed"}, hovermode="closest")
    return fig


def backlog_age_bar(age: pd.DataFrame) -> go.Figure:
    """Open tickets by age, split by whether they still await a first response."""
    fig = go.Figure()
    fig.add_bar(
        x=age["age"],
        y=age["open"] - age["awaiting_first_response"],
        name="Answered, not resolved",
        marker_color=COLORS["backlog"],
    )
    fig.add_bar(
        x=age["age"],
        y=age["awaiting_first_response"],
        name="Awaiting first response",
        marker_color=COLORS["awaiting"],
    )
    _layout(fig, f"Open backlog by age ({EVENT_DATE})", "Open tickets", "Age")
    fig.update_layout(barmode="stack")
    return fig
