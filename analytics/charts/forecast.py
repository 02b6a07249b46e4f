"""The forecast and staffing: fans, accuracy by horizon, staffing gaps, the what-if."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics.charts.base import COHORT, COLORS, add_event_bands, layout


def forecast_fan(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    with_events: pd.DataFrame | None = None,
    title: str = "Arrivals",
    events: pd.DataFrame | None = None,
) -> go.Figure:
    """History (``period, created``), the forecast's 80%/95% bands and point forecast,
    and the forecast with planned events when given."""
    fig = go.Figure()
    band = forecast if with_events is None else with_events
    x = list(band["period"]) + list(band["period"])[::-1]
    for lo, hi, opacity, label in (("lo95", "hi95", 0.12, "95%"), ("lo80", "hi80", 0.25, "80%")):
        fig.add_scatter(
            x=x,
            y=list(band[hi]) + list(band[lo])[::-1],
            fill="toself",
            fillcolor=f"rgba(31, 95, 153, {opacity})",
            line={"width": 0},
            name=f"{label} interval",
            hoverinfo="skip",
        )
    fig.add_scatter(
        x=history["period"],
        y=history["created"],
        name="Actual",
        line={"color": "#444444", "width": 1.5},
    )
    fig.add_scatter(
        x=forecast["period"],
        y=forecast["mean"],
        name="Forecast without planned events" if with_events is not None else "Forecast",
        line={
            "color": COLORS["created"],
            "width": 2,
            "dash": "dot" if with_events is not None else None,
        },
    )
    if with_events is not None:
        fig.add_scatter(
            x=with_events["period"],
            y=with_events["mean"],
            name="Forecast with planned events",
            line={"color": COLORS["backlog"], "width": 2},
        )
    layout(fig, f"{title} ({COHORT}): actual and forecast", "Tickets created")
    fig.update_layout(yaxis={"rangemode": "tozero"})
    return add_event_bands(fig, events)


def accuracy_by_horizon(by_horizon: pd.DataFrame, unit: str = "day") -> go.Figure:
    """Backtest MASE per model and step ahead (lower is better; 1 = naive's in-sample error)."""
    fig = go.Figure()
    for model, rows in by_horizon.groupby("model", sort=False):
        dash = "dash" if model == "seasonal_naive" else None
        fig.add_scatter(x=rows["step"], y=rows["mase"], name=model, line={"dash": dash})
    layout(fig, "Backtest error by horizon (MASE, lower is better)", "MASE", f"{unit}s ahead")
    return fig


def accuracy_by_hour(by_hour: pd.DataFrame) -> go.Figure:
    """Backtest MASE per model and hour of day, on the scored (open) hours."""
    fig = go.Figure()
    for model, rows in by_hour.groupby("model", sort=False):
        dash = "dash" if model == "seasonal_naive" else None
        fig.add_scatter(x=rows["hour"], y=rows["mase"], name=model, line={"dash": dash})
    layout(fig, "Backtest error by hour of day (MASE, lower is better)", "MASE", "hour of day")
    return fig


def today_update(update) -> go.Figure:
    """Today's hours: the morning forecast, and the rest of the day updated (a
    :class:`~analytics.forecast.DayUpdate`)."""
    fig = go.Figure()
    fig.add_scatter(
        x=update.morning["period"], y=update.morning["mean"], name="morning forecast",
        line={"dash": "dash"},
    )  # fmt: skip
    fig.add_scatter(
        x=update.forecast["period"], y=update.forecast["mean"],
        name=f"updated at {update.at:%H:%M}",
    )  # fmt: skip
    layout(fig, "Today: the morning forecast and its update", "Tickets per hour")
    return fig


def staffing_gap(frame: pd.DataFrame, x: str, title: str) -> go.Figure:
    """Agents needed against planned, with the gap (``needed``, ``planned``) highlighted."""
    fig = go.Figure()
    fig.add_bar(x=frame[x], y=frame["planned"], name="Planned", marker_color=COLORS["resolved"])
    short = (frame["needed"] - frame["planned"]).clip(lower=0)
    fig.add_bar(
        x=frame[x],
        y=short,
        base=frame["planned"],
        name="Short (gap)",
        marker_color=COLORS["backlog"],
    )
    fig.add_scatter(
        x=frame[x], y=frame["needed"], name="Needed", mode="lines+markers",
        line={"color": "#222222"},
    )  # fmt: skip
    fig.update_layout(barmode="overlay")
    return layout(fig, title, "Agents")


def whatif_lines(
    baseline: pd.DataFrame, scenario: pd.DataFrame, column: str, title: str, y: str
) -> go.Figure:
    """One what-if measure per day, baseline plan against the scenario."""
    fig = go.Figure()
    fig.add_scatter(x=baseline["date"], y=baseline[column], name="Baseline plan",
                    line={"color": "#888888", "dash": "dot"})  # fmt: skip
    fig.add_scatter(x=scenario["date"], y=scenario[column], name="Scenario",
                    line={"color": COLORS["backlog"]})  # fmt: skip
    return layout(fig, title, y)
