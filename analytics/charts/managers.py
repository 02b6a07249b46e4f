"""The managers' pages: flow, response times, SLA, backlog, heatmaps, movers."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics.charts.base import COHORT, COLORS, EVENT_DATE, WEEKDAYS, add_event_bands, layout

# Plotly selects no point of a trace drawn as lines only: invisible markers make
# a line's points clickable (the tickets behind them open below the chart).
CLICKABLE = {"mode": "lines+markers", "marker": {"size": 8, "opacity": 0}}


def created_vs_resolved(flow: pd.DataFrame, events: pd.DataFrame | None = None) -> go.Figure:
    """Daily created (cohort) and resolved (event date) bars with the backlog line."""
    fig = go.Figure()
    # Bars read well for a few weeks; over months they blur, and lines do not.
    if len(flow) <= 92:
        fig.add_bar(
            x=flow["day"], y=flow["created"], name="Created", marker_color=COLORS["created"]
        )
        fig.add_bar(
            x=flow["day"], y=flow["resolved"], name="Resolved", marker_color=COLORS["resolved"]
        )
    else:
        fig.add_scatter(
            x=flow["day"],
            y=flow["created"],
            name="Created",
            line={"color": COLORS["created"]},
            **CLICKABLE,
        )
        fig.add_scatter(
            x=flow["day"],
            y=flow["resolved"],
            name="Resolved",
            line={"color": COLORS["resolved"]},
            **CLICKABLE,
        )
    fig.add_scatter(
        x=flow["day"],
        y=flow["backlog"],
        name="Open backlog (end of day)",
        yaxis="y2",
        line={"color": COLORS["backlog"], "width": 2},
        **CLICKABLE,
    )
    fig.update_layout(
        barmode="group",
        yaxis2={"title": "Open tickets", "overlaying": "y", "side": "right", "rangemode": "tozero"},
    )
    layout(
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
        **CLICKABLE,
    )
    fig.add_scatter(
        x=trend["period"],
        y=trend[f"{metric if metric == 'frt' else 'resolution'}_p90_h"],
        name="p90",
        line={"color": COLORS["p90"], "dash": "dot"},
        **CLICKABLE,
    )
    layout(fig, f"{label} time, median and p90 ({COHORT})", "Hours")
    if len(trend) == 1:
        # A line needs two points, and a date axis around one instant zooms in
        # to milliseconds (23:59:59.999): one marker on a week's axis instead.
        fig.update_traces(mode="markers", marker_opacity=1)
        middle = pd.Timestamp(trend["period"].iloc[0])
        fig.update_xaxes(range=[middle - pd.Timedelta(days=4), middle + pd.Timedelta(days=4)])
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
    layout(
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
    # customdata names the bar's value for a click (the axis may read "123" as a number)
    fig.add_bar(
        y=top["value"],
        x=top["frt_median_h"],
        customdata=top["value"],
        name="Median",
        orientation="h",
        marker_color=COLORS["median"],
    )
    fig.add_bar(
        y=top["value"],
        x=top["frt_p90_h"],
        customdata=top["value"],
        name="p90",
        orientation="h",
        marker_color=COLORS["p90"],
    )
    layout(fig, f"First response by {dimension} ({COHORT})", dimension.capitalize(), "Hours")
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
    layout(
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
        x=series["bucket"],
        y=series["open"],
        name="Open",
        line={"color": COLORS["backlog"]},
        **CLICKABLE,
    )
    # Without the column (a source with no first responses) the line is left out.
    if "awaiting_first_response" in series:
        fig.add_scatter(
            x=series["bucket"],
            y=series["awaiting_first_response"],
            name="Awaiting first response",
            line={"color": COLORS["awaiting"]},
            **CLICKABLE,
        )
    layout(fig, f"Backlog ({EVENT_DATE})", "Open tickets")
    return add_event_bands(fig, events)


def weekday_hour_heatmap(heatmap: pd.DataFrame, value: str, title: str, unit: str) -> go.Figure:
    """A weekday x hour heatmap of one column of :func:`analytics.metrics.weekday_hour_heatmap`."""
    grid = heatmap.pivot(index="weekday", columns="hour", values=value).reindex(
        index=range(1, 8), columns=range(24)
    )
    hours = [f"{h:02d}:00" for h in grid.columns]
    fig = go.Figure(
        go.Heatmap(
            z=grid.values,
            x=hours,
            y=list(WEEKDAYS),
            colorscale="YlOrRd",
            colorbar={"title": unit},
            hoverinfo="skip",
        )
    )
    # Plotly selects no cell of a heatmap: an invisible marker on each cell,
    # drawn over it, takes the hover and the click (the cell's tickets open below).
    cells = grid.stack(future_stack=True)
    fig.add_scatter(
        x=[hours[h] for h in cells.index.get_level_values(1)],
        y=[WEEKDAYS[d - 1] for d in cells.index.get_level_values(0)],
        customdata=cells.values,
        mode="markers",
        marker={"size": 18, "symbol": "square", "opacity": 0},
        hovertemplate="%{y} %{x}: %{customdata:.1f} " + unit + "<extra></extra>",
        showlegend=False,
    )
    layout(fig, title, "Weekday", "Hour of day")
    fig.update_layout(yaxis={"autorange": "reversed"}, hovermode="closest")
    return fig


def backlog_age_bar(age: pd.DataFrame) -> go.Figure:
    """Open tickets by age, split by whether they still await a first response.

    Without ``awaiting_first_response`` (a source with no first responses),
    one bar of open tickets per age.
    """
    fig = go.Figure()
    awaiting = age.get("awaiting_first_response")
    fig.add_bar(
        x=age["age"],
        y=age["open"] if awaiting is None else age["open"] - awaiting,
        name="Open" if awaiting is None else "Answered, not resolved",
        marker_color=COLORS["backlog"],
    )
    if awaiting is not None:
        fig.add_bar(
            x=age["age"],
            y=awaiting,
            name="Awaiting first response",
            marker_color=COLORS["awaiting"],
        )
    layout(fig, f"Open backlog by age ({EVENT_DATE})", "Open tickets", "Age")
    fig.update_layout(barmode="stack")
    return fig


def volume_against_forecast(flow: pd.DataFrame, forecast: pd.DataFrame | None) -> go.Figure:
    """Tickets created per day (bars) against a forecast's mean and 80% interval.

    ``flow`` has ``day, created``; ``forecast`` (optional) ``day, mean, lo80, hi80``.
    """
    fig = go.Figure()
    fig.add_bar(x=flow["day"], y=flow["created"], name="Created", marker_color=COLORS["created"])
    if forecast is not None and not forecast.empty:
        fig.add_scatter(
            x=forecast["day"], y=forecast["hi80"], mode="lines", line={"width": 0}, showlegend=False
        )
        fig.add_scatter(
            x=forecast["day"],
            y=forecast["lo80"],
            fill="tonexty",
            fillcolor="rgba(166, 77, 121, 0.15)",
            mode="lines",
            line={"width": 0},
            name="Forecast 80% interval",
        )
        fig.add_scatter(
            x=forecast["day"],
            y=forecast["mean"],
            name="Forecast",
            mode="lines+markers",
            line={"color": COLORS["p90"], "dash": "dash"},
        )
    layout(fig, f"Tickets created per day ({COHORT}) against the forecast", "Tickets per day")
    return fig


def movers_bar(movers: pd.DataFrame) -> go.Figure:
    """Change in tickets created per value (``dimension, value, change``), largest on top."""
    labels = [
        f"{d.capitalize()}: {v}" for d, v in zip(movers["dimension"], movers["value"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=movers["change"],
            orientation="h",
            text=[f"{c:+,}" for c in movers["change"]],
            marker_color=[
                COLORS["backlog"] if c > 0 else COLORS["resolved"] for c in movers["change"]
            ],
        )
    )
    layout(fig, f"Largest changes in tickets created ({COHORT})", "", "Change in tickets")
    fig.update_layout(
        hovermode="closest",
        yaxis={"autorange": "reversed", "dtick": 1},
        height=max(260, 90 + 32 * len(movers)),
        showlegend=False,
    )
    return fig


# --- forecast, staffing and what-if (issue 6) -----------------------------------------------
