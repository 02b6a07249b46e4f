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


# Plotly reads a few HTML tags (<b>, <i>, <a href>, <br>...) inside any label,
# so a category a customer named "<b>VIP</b>" would turn bold. Labels from
# data are escaped; Plotly turns the entities back into the characters typed.
_TEXT_FIELDS = ("x", "y", "text", "name", "hovertext", "labels", "customdata", "legendgroup")


def _escape(value):
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def _escape_all(values):
    if isinstance(values, str):
        return _escape(values)
    if isinstance(values, (tuple, list)):
        return [_escape_all(v) for v in values]
    if hasattr(values, "dtype"):
        # Arrays of numbers or dates hold no text; only object arrays are walked.
        return [_escape_all(v) for v in values] if values.dtype.kind == "O" else values
    return values


def plain_text(fig: go.Figure) -> go.Figure:
    """Return ``fig`` with every label shown as the text it holds, never as markup.

    Escapes trace data and names, annotation texts, and the titles of the
    figure, its axes and its legend (which carry series, team and event
    names). Hover templates are left alone: they are code.
    """
    for trace in fig.data:
        for field in _TEXT_FIELDS:
            value = getattr(trace, field, None)
            if value is not None:
                trace[field] = _escape_all(value)
    for annotation in fig.layout.annotations or ():
        annotation.text = _escape(annotation.text)
        annotation.hovertext = _escape(annotation.hovertext)
    titled = [fig.layout, fig.layout.legend]
    titled += [fig.layout[name] for name in fig.layout if name.startswith(("xaxis", "yaxis"))]
    for part in titled:
        if part.title and part.title.text:
            part.title.text = _escape(part.title.text)
    return fig


def _layout(fig: go.Figure, title: str, y_title: str, x_title: str | None = None) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        yaxis_title=y_title,
        xaxis_title=x_title,
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        height=380,
    )
    # No template here: in the app, Streamlit's (its theme, light or dark);
    # the report sets its own. Naming one costs each figure about 25 ms.
    return fig


def add_event_bands(fig: go.Figure, events: pd.DataFrame | None) -> go.Figure:
    """Draw each event (``name``, ``region``, ``starts_on``, ``ends_on``) as a labelled band."""
    if events is None or events.empty:
        return fig
    # Bands are clipped to the data drawn, so an event that began before the
    # period does not stretch the time axis back to its start.
    xs = [
        pd.Timestamp(x).tz_localize(None)
        for trace in fig.data
        for x in (trace.x if trace.x is not None else ())
    ]
    low, high = (min(xs), max(xs) + pd.Timedelta(days=1)) if xs else (None, None)
    drawn = 0
    for row in events.itertuples():
        label = row.name if row.region in (None, "all") else f"{row.name} ({row.region})"
        x0 = pd.Timestamp(row.starts_on)
        x1 = pd.Timestamp(row.ends_on) + pd.Timedelta(days=1)
        if low is not None:
            x0, x1 = max(x0, low), min(x1, high)
            if x0 >= x1:
                continue
        fig.add_vrect(
            x0=x0,
            x1=x1,
            fillcolor=COLORS["event"],
            line_width=0,
            layer="below",
            annotation_text=label if len(label) <= 28 else label[:27] + "…",
            annotation_hovertext=label,
            annotation_position="top left",
            annotation_font_size=10,
            # Labels step down in three rows so that neighbouring events stay readable.
            annotation_yshift=-12 * (drawn % 3),
        )
        drawn += 1
    return fig


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
            x=flow["day"], y=flow["created"], name="Created", line={"color": COLORS["created"]}
        )
        fig.add_scatter(
            x=flow["day"], y=flow["resolved"], name="Resolved", line={"color": COLORS["resolved"]}
        )
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
    if len(trend) == 1:
        # A line needs two points, and a date axis around one instant zooms in
        # to milliseconds (23:59:59.999): one marker on a week's axis instead.
        fig.update_traces(mode="markers")
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
    # Without the column (a source with no first responses) the line is left out.
    if "awaiting_first_response" in series:
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
    _layout(fig, f"Open backlog by age ({EVENT_DATE})", "Open tickets", "Age")
    fig.update_layout(barmode="stack")
    return fig


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
YEAR_COLORS = ("#b7c9e2", "#7fa3cc", "#4a7db5", "#1f5f99", "#0b3d6b", "#cc4125")


def year_over_year(
    frame: pd.DataFrame, period: str, value: str, title: str, y_title: str
) -> go.Figure:
    """One line per year over ``period`` (``month`` or ``week``): September against September."""
    fig = go.Figure()
    years = sorted(frame["year"].unique())
    for i, year in enumerate(years):
        part = frame[frame["year"] == year].sort_values(period)
        x = [MONTHS[m - 1] for m in part[period]] if period == "month" else part[period]
        fig.add_scatter(
            x=x,
            y=part[value],
            name=str(year),
            mode="lines+markers",
            line={"color": YEAR_COLORS[-min(len(years), len(YEAR_COLORS)) + i]},
        )
    _layout(fig, title, y_title, "Month" if period == "month" else "ISO week")
    if period == "month":
        fig.update_layout(xaxis={"categoryorder": "array", "categoryarray": list(MONTHS)})
    return fig


def profile_spread(
    profile: pd.DataFrame,
    x: str,
    prefix: str,
    title: str,
    y_title: str,
    labels=None,
    suffix: str = "",
) -> go.Figure:
    """A median line with the spread across weeks as shaded bands (10-90%, and 25-75% if given).

    ``profile`` has ``<prefix>_p10<suffix>``, ``_median``, ``_p90`` and
    optionally ``_p25``, ``_p75`` and ``<prefix>_mean``, one row per ``x``.
    """
    xs = [labels[int(v) - 1] for v in profile[x]] if labels else profile[x]

    def col(q: str) -> str:
        return f"{prefix}_{q}{suffix}"

    fig = go.Figure()
    for lo, hi, name, alpha in (
        ("p10", "p90", "10-90% of weeks", 0.15),
        ("p25", "p75", "25-75%", 0.3),
    ):
        if col(lo) not in profile or col(hi) not in profile:
            continue
        fig.add_scatter(x=xs, y=profile[col(hi)], line={"width": 0}, showlegend=False)
        fig.add_scatter(
            x=xs,
            y=profile[col(lo)],
            fill="tonexty",
            fillcolor=f"rgba(31, 95, 153, {alpha})",
            line={"width": 0},
            name=name,
        )
    fig.add_scatter(x=xs, y=profile[col("median")], name="Median", line={"color": COLORS["median"]})
    if f"{prefix}_mean" in profile:
        fig.add_scatter(
            x=xs, y=profile[f"{prefix}_mean"], name="Mean", line={"color": "#666", "dash": "dot"}
        )
    _layout(fig, title, y_title)
    return fig


def decomposition(
    parts: pd.DataFrame,
    x: str,
    components: tuple[str, ...],
    title: str,
    unit: str,
    events: pd.DataFrame | None = None,
) -> go.Figure:
    """Observed series and its components stacked in panels sharing the time axis.

    Events are drawn as labelled bands on the observed panel.
    """
    from plotly.subplots import make_subplots

    names = ("observed", *components)
    fig = make_subplots(
        rows=len(names),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.03,
        subplot_titles=[n.capitalize() for n in names],
    )
    for row, name in enumerate(names, start=1):
        fig.add_scatter(
            x=parts[x],
            y=parts[name],
            name=name.capitalize(),
            mode="markers" if name == "residual" else "lines",
            marker={"size": 3, "color": COLORS["p90"]},
            line={"color": COLORS["median"], "width": 1.2},
            row=row,
            col=1,
        )
    _layout(fig, title, unit)
    fig.update_layout(height=140 * len(names) + 80, showlegend=False, hovermode="x")
    return add_event_bands(fig, events)


def impact_counterfactual(
    series: pd.DataFrame, event: dict, first_day, last_day, events: pd.DataFrame | None = None
) -> go.Figure:
    """Actual tickets per day against the no-event counterfactual and its 95% band.

    Shows 26 weeks before the event to the end of the series: the model is
    fitted on more, but the event is what a reader looks at.
    """
    since = pd.Timestamp(first_day) - pd.Timedelta(weeks=26)
    series = series[pd.to_datetime(series["day"]) >= since]
    fig = go.Figure()
    fig.add_scatter(x=series["day"], y=series["high"], line={"width": 0}, showlegend=False)
    fig.add_scatter(
        x=series["day"],
        y=series["low"],
        fill="tonexty",
        fillcolor="rgba(106, 168, 79, 0.2)",
        line={"width": 0},
        name="Counterfactual 95% band",
    )
    fig.add_scatter(
        x=series["day"],
        y=series["counterfactual"],
        name="Without the event (model)",
        line={"color": COLORS["resolved"], "width": 2},
    )
    fig.add_scatter(
        x=series["day"],
        y=series["actual"],
        name="Actual",
        mode="lines",
        line={"color": COLORS["created"], "width": 1},
    )
    band = pd.DataFrame(
        [
            {
                "name": event["name"],
                "region": event["region"],
                "starts_on": first_day,
                "ends_on": last_day,
            }
        ]
    )
    _layout(
        fig, f"Tickets per day ({COHORT}): actual against no {event['name']}", "Tickets per day"
    )
    add_event_bands(fig, band)
    return add_event_bands(fig, events)


def effect_estimates(estimates: pd.DataFrame) -> go.Figure:
    """Point estimates with 95% intervals, one bar per method, side by side."""
    fig = go.Figure(
        go.Bar(
            x=estimates["method"],
            y=estimates["effect_pct"],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": estimates["high_pct"] - estimates["effect_pct"],
                "arrayminus": estimates["effect_pct"] - estimates["low_pct"],
            },
            text=[f"{v:+.0f}%" for v in estimates["effect_pct"]],
            textposition="inside",
            insidetextanchor="start",
            marker_color=[COLORS["created"], COLORS["p90"]][: len(estimates)],
        )
    )
    _layout(fig, "Mean uplift on tickets per day over the window, 95% interval", "Uplift (%)")
    fig.update_layout(hovermode="closest", height=320)
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
    _layout(fig, f"Tickets created per day ({COHORT}) against the forecast", "Tickets per day")
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
    _layout(fig, f"Largest changes in tickets created ({COHORT})", "", "Change in tickets")
    fig.update_layout(
        hovermode="closest",
        yaxis={"autorange": "reversed", "dtick": 1},
        height=max(260, 90 + 32 * len(movers)),
        showlegend=False,
    )
    return fig


# --- forecast, staffing and what-if (issue 6) -----------------------------------------------


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
    _layout(fig, f"{title} ({COHORT}): actual and forecast", "Tickets created")
    fig.update_layout(yaxis={"rangemode": "tozero"})
    return add_event_bands(fig, events)


def accuracy_by_horizon(by_horizon: pd.DataFrame, unit: str = "day") -> go.Figure:
    """Backtest MASE per model and step ahead (lower is better; 1 = naive's in-sample error)."""
    fig = go.Figure()
    for model, rows in by_horizon.groupby("model", sort=False):
        dash = "dash" if model == "seasonal_naive" else None
        fig.add_scatter(x=rows["step"], y=rows["mase"], name=model, line={"dash": dash})
    _layout(fig, "Backtest error by horizon (MASE, lower is better)", "MASE", f"{unit}s ahead")
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
    return _layout(fig, title, "Agents")


def whatif_lines(
    baseline: pd.DataFrame, scenario: pd.DataFrame, column: str, title: str, y: str
) -> go.Figure:
    """One what-if measure per day, baseline plan against the scenario."""
    fig = go.Figure()
    fig.add_scatter(x=baseline["date"], y=baseline[column], name="Baseline plan",
                    line={"color": "#888888", "dash": "dot"})  # fmt: skip
    fig.add_scatter(x=scenario["date"], y=scenario[column], name="Scenario",
                    line={"color": COLORS["backlog"]})  # fmt: skip
    return _layout(fig, title, y)
