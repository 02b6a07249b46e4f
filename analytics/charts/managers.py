"""The managers' pages: flow, response times, SLA, backlog, heatmaps, movers.

Every builder takes ``lang``: its titles, axes, legends and hover labels are in
that language, its numbers in that locale's format.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import i18n
from analytics.charts.base import (
    COHORT,
    COLORS,
    EVENT_DATE,
    add_event_bands,
    count_axis,
    layout,
)
from analytics.i18n import N_
from analytics.metrics.drill import AGE_LABELS

# Plotly selects no point of a trace drawn as lines only: invisible markers make
# a line's points clickable (the tickets behind them open below the chart).
CLICKABLE = {"mode": "lines+markers", "marker": {"size": 8, "opacity": 0}}
# The first-response buckets as shown; the others ("0-1 h") read the same everywhere.
BUCKET_LABELS = {"not answered": N_("not answered")}
# A dimension as shown, translated where it is shown.
DIMENSION_LABELS = {
    "region": N_("Region"),
    "team": N_("Team"),
    "channel": N_("Channel"),
    "category": N_("Category"),
    "priority": N_("Priority"),
}
# dimension -> the breakdown's title
BY_DIMENSION = {
    "region": N_("First response by region ({cohort})"),
    "team": N_("First response by team ({cohort})"),
    "channel": N_("First response by channel ({cohort})"),
    "category": N_("First response by category ({cohort})"),
    "priority": N_("First response by priority ({cohort})"),
}


def _top(*columns: pd.Series) -> float | None:
    """Return the largest value of ``columns`` (for :func:`count_axis`), None when all empty."""
    tops = [column.max() for column in columns if len(column) and pd.notna(column.max())]
    return float(max(tops)) if tops else None


def bucket_label(bucket: str, lang: str = "en") -> str:
    """Return a first-response bucket (``0-1 h``, ``not answered``) as shown in ``lang``."""
    return i18n.gettext(lang, BUCKET_LABELS[bucket]) if bucket in BUCKET_LABELS else bucket


def created_vs_resolved(
    flow: pd.DataFrame, events: pd.DataFrame | None = None, lang: str = "en"
) -> go.Figure:
    """Daily created (cohort) and resolved (event date) bars with the backlog line."""
    _ = i18n.translator(lang)
    fig = go.Figure()
    created, resolved = _("Created"), _("Resolved")
    # Bars read well for a few weeks; over months they blur, and lines do not.
    if len(flow) <= 92:
        fig.add_bar(x=flow["day"], y=flow["created"], name=created, marker_color=COLORS["created"])
        fig.add_bar(
            x=flow["day"], y=flow["resolved"], name=resolved, marker_color=COLORS["resolved"]
        )
    else:
        for column, name in (("created", created), ("resolved", resolved)):
            fig.add_scatter(
                x=flow["day"],
                y=flow[column],
                name=name,
                line={"color": COLORS[column]},
                **CLICKABLE,
            )
    fig.add_scatter(
        x=flow["day"],
        y=flow["backlog"],
        name=_("Open backlog (end of day)"),
        yaxis="y2",
        line={"color": COLORS["backlog"], "width": 2},
        **CLICKABLE,
    )
    fig.update_layout(
        barmode="group",
        yaxis2={
            "title": _("Open tickets"),
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
        },
    )
    title = _("Tickets created ({cohort}) and resolved ({event_date}) per day").format(
        cohort=_(COHORT), event_date=_(EVENT_DATE)
    )
    layout(fig, title, _("Tickets per day"), lang=lang)
    count_axis(fig, _top(flow["created"], flow["resolved"]))
    count_axis(fig, _top(flow["backlog"]), "yaxis2")
    return add_event_bands(fig, events)


def response_time_trend(
    trend: pd.DataFrame, metric: str = "frt", events: pd.DataFrame | None = None, lang: str = "en"
) -> go.Figure:
    """Median and p90 of first response (``metric="frt"``) or resolution, per period."""
    _ = i18n.translator(lang)
    column = "frt" if metric == "frt" else "resolution"
    fig = go.Figure()
    fig.add_scatter(
        x=trend["period"],
        y=trend[f"{column}_median_h"],
        name=_("Median"),
        line={"color": COLORS["median"]},
        **CLICKABLE,
    )
    fig.add_scatter(
        x=trend["period"],
        y=trend[f"{column}_p90_h"],
        name="p90",
        line={"color": COLORS["p90"], "dash": "dot"},
        **CLICKABLE,
    )
    if metric == "frt":
        title = _("First response time, median and p90 ({cohort})")
    else:
        title = _("Resolution time, median and p90 ({cohort})")
    layout(fig, title.format(cohort=_(COHORT)), _("Hours"), lang=lang)
    if len(trend) == 1:
        # A line needs two points, and a date axis around one instant zooms in
        # to milliseconds (23:59:59.999): one marker on a week's axis instead.
        fig.update_traces(mode="markers", marker_opacity=1)
        middle = pd.Timestamp(trend["period"].iloc[0])
        fig.update_xaxes(range=[middle - pd.Timedelta(days=4), middle + pd.Timedelta(days=4)])
    return add_event_bands(fig, events)


def buckets_bar(buckets: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Share of tickets per first-response bucket.

    Each bar carries its bucket as typed (``not answered``) and its tickets as
    customdata: a click lists the bucket's tickets whatever the language shown.
    """
    _ = i18n.translator(lang)
    shares = buckets["share_pct"].fillna(0)
    fig = go.Figure(
        go.Bar(
            x=[bucket_label(b, lang) for b in buckets["bucket"]],
            y=buckets["share_pct"],
            text=[i18n.percent(v, lang) for v in shares],
            customdata=list(zip(buckets["bucket"], buckets["tickets"], strict=True)),
            hovertemplate=_("%{x}: %{y:.1f}% (%{customdata[1]:,} tickets)") + "<extra></extra>",
            marker_color=COLORS["created"],
        )
    )
    layout(
        fig,
        _("First response time distribution ({cohort})").format(cohort=_(COHORT)),
        _("Share of tickets (%)"),
        _("First response"),
        lang=lang,
    )
    fig.update_layout(hovermode="closest")
    return fig


def breakdown_bar(breakdown: pd.DataFrame, dimension: str, lang: str = "en") -> go.Figure:
    """Median and p90 first response per value of a dimension, largest volume first."""
    _ = i18n.translator(lang)
    top = breakdown.head(20)
    fig = go.Figure()
    # customdata names the bar's value for a click (the axis may read "123" as a number)
    for column, name, color in (
        ("frt_median_h", _("Median"), COLORS["median"]),
        ("frt_p90_h", "p90", COLORS["p90"]),
    ):
        fig.add_bar(
            y=top["value"],
            x=top[column],
            customdata=top["value"],
            name=name,
            orientation="h",
            marker_color=color,
        )
    title = _(BY_DIMENSION[dimension]).format(cohort=_(COHORT))
    layout(fig, title, _(DIMENSION_LABELS[dimension]), _("Hours"), lang=lang)
    fig.update_layout(
        barmode="group",
        hovermode="y unified",
        yaxis={"autorange": "reversed", "dtick": 1},
        height=max(380, 120 + 36 * len(top)),
    )
    return fig


def sla_weekly(sla: pd.DataFrame, target_hours: float, lang: str = "en") -> go.Figure:
    """SLA attainment per week."""
    _ = i18n.translator(lang)
    target = i18n.hours(target_hours, lang, 0 if float(target_hours).is_integer() else 1)
    fig = go.Figure(
        go.Scatter(
            x=sla["week"],
            y=sla["sla_pct"],
            mode="lines+markers",
            name=_("SLA %"),
            customdata=sla[["met", "evaluated"]],
            hovertemplate=_("%{x}: %{y:.1f}% (%{customdata[0]:,} of %{customdata[1]:,})")
            + "<extra></extra>",
            line={"color": COLORS["median"]},
        )
    )
    title = _("First responses within the {target} target, per week ({cohort})")
    layout(
        fig,
        title.format(target=target, cohort=_(COHORT)),
        _("Within target (%)"),
        lang=lang,
    )
    fig.update_layout(yaxis={"range": [0, 100]}, hovermode="closest")
    return fig


def backlog_lines(
    series: pd.DataFrame, events: pd.DataFrame | None = None, lang: str = "en"
) -> go.Figure:
    """Open backlog and tickets awaiting a first response over time."""
    _ = i18n.translator(lang)
    fig = go.Figure()
    fig.add_scatter(
        x=series["bucket"],
        y=series["open"],
        name=_("Open"),
        line={"color": COLORS["backlog"]},
        **CLICKABLE,
    )
    # Without the column (a source with no first responses) the line is left out.
    if "awaiting_first_response" in series:
        fig.add_scatter(
            x=series["bucket"],
            y=series["awaiting_first_response"],
            name=_("Awaiting first response"),
            line={"color": COLORS["awaiting"]},
            **CLICKABLE,
        )
    layout(
        fig,
        _("Backlog ({event_date})").format(event_date=_(EVENT_DATE)),
        _("Open tickets"),
        lang=lang,
    )
    count_axis(fig, _top(series["open"]))
    return add_event_bands(fig, events)


def weekday_hour_heatmap(
    heatmap: pd.DataFrame, value: str, title: str, unit: str, lang: str = "en"
) -> go.Figure:
    """A weekday x hour heatmap of one column of :func:`analytics.metrics.weekday_hour_heatmap`.

    ``title`` and ``unit`` are given in ``lang``; weekdays are named in it. Each
    cell's marker carries ``[value, weekday]`` (1 = Monday) as customdata, so a
    click names its weekday whatever the language shown.
    """
    _ = i18n.translator(lang)
    days = i18n.weekday_names(lang, short=True)
    grid = heatmap.pivot(index="weekday", columns="hour", values=value).reindex(
        index=range(1, 8), columns=range(24)
    )
    hours = [f"{h:02d}:00" for h in grid.columns]
    fig = go.Figure(
        go.Heatmap(
            z=grid.values,
            x=hours,
            y=days,
            colorscale="YlOrRd",
            colorbar={"title": unit},
            hoverinfo="skip",
        )
    )
    # Plotly selects no cell of a heatmap: an invisible marker on each cell,
    # drawn over it, takes the hover and the click (the cell's tickets open below).
    cells = grid.stack(future_stack=True)
    weekdays = cells.index.get_level_values(0)
    fig.add_scatter(
        x=[hours[h] for h in cells.index.get_level_values(1)],
        y=[days[d - 1] for d in weekdays],
        customdata=np.column_stack([cells.to_numpy(dtype=float), weekdays]),
        mode="markers",
        marker={"size": 18, "symbol": "square", "opacity": 0},
        hovertemplate="%{y} %{x}: %{customdata[0]:.1f} " + unit + "<extra></extra>",
        showlegend=False,
    )
    layout(fig, title, _("Weekday"), _("Hour of day"), lang=lang)
    fig.update_layout(yaxis={"autorange": "reversed"}, hovermode="closest")
    return fig


def backlog_age_bar(age: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Open tickets by age, split by whether they still await a first response.

    Without ``awaiting_first_response`` (a source with no first responses),
    one bar of open tickets per age. Each bar carries its age as typed
    (``< 1 day``) as customdata, for a click in any language.
    """
    _ = i18n.translator(lang)
    ages = [_(AGE_LABELS[a]) if a in AGE_LABELS else a for a in age["age"]]
    fig = go.Figure()
    awaiting = age.get("awaiting_first_response")
    fig.add_bar(
        x=ages,
        y=age["open"] if awaiting is None else age["open"] - awaiting,
        customdata=age["age"],
        name=_("Open") if awaiting is None else _("Answered, not resolved"),
        marker_color=COLORS["backlog"],
    )
    if awaiting is not None:
        fig.add_bar(
            x=ages,
            y=awaiting,
            customdata=age["age"],
            name=_("Awaiting first response"),
            marker_color=COLORS["awaiting"],
        )
    title = _("Open backlog by age ({event_date})").format(event_date=_(EVENT_DATE))
    layout(fig, title, _("Open tickets"), _("Age"), lang=lang)
    fig.update_layout(barmode="stack")
    return count_axis(fig, _top(age["open"]))


def volume_against_forecast(
    flow: pd.DataFrame, forecast: pd.DataFrame | None, lang: str = "en"
) -> go.Figure:
    """Tickets created per day (bars) against a forecast's mean and 80% interval.

    ``flow`` has ``day, created``; ``forecast`` (optional) ``day, mean, lo80, hi80``.
    """
    _ = i18n.translator(lang)
    fig = go.Figure()
    fig.add_bar(x=flow["day"], y=flow["created"], name=_("Created"), marker_color=COLORS["created"])
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
            name=_("Forecast 80% interval"),
        )
        fig.add_scatter(
            x=forecast["day"],
            y=forecast["mean"],
            name=_("Forecast"),
            mode="lines+markers",
            line={"color": COLORS["p90"], "dash": "dash"},
        )
    title = _("Tickets created per day ({cohort}) against the forecast").format(cohort=_(COHORT))
    layout(fig, title, _("Tickets per day"), lang=lang)
    return fig


def movers_bar(movers: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Change in tickets created per value (``dimension, value, change``), largest on top.

    ``dimension`` is shown as given (the caller names it in its language).
    """
    _ = i18n.translator(lang)
    labels = [
        _("{dimension}: {value}").format(dimension=d.capitalize(), value=v)
        for d, v in zip(movers["dimension"], movers["value"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=movers["change"],
            orientation="h",
            text=[i18n.signed(c, lang) for c in movers["change"]],
            marker_color=[
                COLORS["backlog"] if c > 0 else COLORS["resolved"] for c in movers["change"]
            ],
        )
    )
    title = _("Largest changes in tickets created ({cohort})").format(cohort=_(COHORT))
    layout(fig, title, "", _("Change in tickets"), lang=lang)
    fig.update_layout(
        hovermode="closest",
        yaxis={"autorange": "reversed", "dtick": 1},
        height=max(260, 90 + 32 * len(movers)),
        showlegend=False,
    )
    return fig
