"""The forecast and staffing: fans, accuracy by horizon, staffing gaps, the what-if."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics import i18n
from analytics.charts.base import COHORT, COLORS, add_event_bands, count_axis, layout
from analytics.forecast.series import model_name


def forecast_fan(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    with_events: pd.DataFrame | None = None,
    title: str = "Arrivals",
    events: pd.DataFrame | None = None,
    lang: str = "en",
) -> go.Figure:
    """History (``period, created``), the forecast's 80%/95% bands and point forecast,
    and the forecast with planned events when given. ``title`` names the series, in ``lang``."""
    _ = i18n.translator(lang)
    fig = go.Figure()
    band = forecast if with_events is None else with_events
    x = list(band["period"]) + list(band["period"])[::-1]
    for lo, hi, opacity, level in (("lo95", "hi95", 0.12, 95), ("lo80", "hi80", 0.25, 80)):
        fig.add_scatter(
            x=x,
            y=list(band[hi]) + list(band[lo])[::-1],
            fill="toself",
            fillcolor=f"rgba(31, 95, 153, {opacity})",
            line={"width": 0},
            name=_("{level} interval").format(level=i18n.percent(level, lang)),
            hoverinfo="skip",
        )
    fig.add_scatter(
        x=history["period"],
        y=history["created"],
        name=_("Actual"),
        line={"color": "#444444", "width": 1.5},
    )
    fig.add_scatter(
        x=forecast["period"],
        y=forecast["mean"],
        name=_("Forecast without planned events") if with_events is not None else _("Forecast"),
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
            name=_("Forecast with planned events"),
            line={"color": COLORS["backlog"], "width": 2},
        )
    heading = _("{title} ({cohort}): actual and forecast").format(title=title, cohort=_(COHORT))
    layout(fig, heading, _("Tickets created"), lang=lang)
    fig.update_layout(yaxis={"rangemode": "tozero"})
    top = pd.concat([history["created"], band["hi95"]]).max()
    count_axis(fig, None if pd.isna(top) else float(top))
    return add_event_bands(fig, events)


def accuracy_by_horizon(by_horizon: pd.DataFrame, unit: str = "day", lang: str = "en") -> go.Figure:
    """Backtest MASE per model and step ahead (lower is better; 1 = naive's in-sample error).

    ``unit`` is ``day`` or ``hour``: the steps ahead.
    """
    _ = i18n.translator(lang)
    fig = go.Figure()
    for model, rows in by_horizon.groupby("model", sort=False):
        dash = "dash" if model == "seasonal_naive" else None
        fig.add_scatter(
            x=rows["step"], y=rows["mase"], name=model_name(model, lang), line={"dash": dash}
        )
    ahead = _("hours ahead") if unit == "hour" else _("days ahead")
    title = _("Backtest error by horizon (MASE, lower is better)")
    layout(fig, title, "MASE", ahead, lang=lang)
    return fig


def accuracy_by_hour(by_hour: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Backtest MASE per model and hour of day, on the scored (open) hours."""
    _ = i18n.translator(lang)
    fig = go.Figure()
    for model, rows in by_hour.groupby("model", sort=False):
        dash = "dash" if model == "seasonal_naive" else None
        fig.add_scatter(
            x=rows["hour"], y=rows["mase"], name=model_name(model, lang), line={"dash": dash}
        )
    title = _("Backtest error by hour of day (MASE, lower is better)")
    layout(fig, title, "MASE", _("hour of day"), lang=lang)
    return fig


def today_update(update, lang: str = "en") -> go.Figure:
    """Today's hours: the morning forecast, and the rest of the day updated (a
    :class:`~analytics.forecast.DayUpdate`)."""
    _ = i18n.translator(lang)
    fig = go.Figure()
    fig.add_scatter(
        x=update.morning["period"], y=update.morning["mean"], name=_("morning forecast"),
        line={"dash": "dash"},
    )  # fmt: skip
    fig.add_scatter(
        x=update.forecast["period"], y=update.forecast["mean"],
        name=_("updated at {time}").format(time=f"{update.at:%H:%M}"),
    )  # fmt: skip
    layout(fig, _("Today: the morning forecast and its update"), _("Tickets per hour"), lang=lang)
    return fig


def staffing_gap(frame: pd.DataFrame, x: str, title: str, lang: str = "en") -> go.Figure:
    """Agents needed against planned, with the gap (``needed``, ``planned``) highlighted.

    ``title`` is given in ``lang``.
    """
    _ = i18n.translator(lang)
    fig = go.Figure()
    fig.add_bar(x=frame[x], y=frame["planned"], name=_("Planned"), marker_color=COLORS["resolved"])
    short = (frame["needed"] - frame["planned"]).clip(lower=0)
    fig.add_bar(
        x=frame[x],
        y=short,
        base=frame["planned"],
        name=_("Short (gap)"),
        marker_color=COLORS["backlog"],
    )
    fig.add_scatter(
        x=frame[x], y=frame["needed"], name=_("Needed"), mode="lines+markers",
        line={"color": "#222222"},
    )  # fmt: skip
    fig.update_layout(barmode="overlay")
    layout(fig, title, _("Agents"), lang=lang)
    top = pd.concat([frame["needed"], frame["planned"]]).max() if len(frame) else None
    return count_axis(fig, None if top is None or pd.isna(top) else float(top))


def whatif_lines(
    baseline: pd.DataFrame,
    scenario: pd.DataFrame,
    column: str,
    title: str,
    y: str,
    lang: str = "en",
    counts: bool = False,
) -> go.Figure:
    """One what-if measure per day, baseline plan against the scenario.

    ``title`` and ``y`` are given in ``lang``; ``counts`` ticks the axis in
    whole numbers (tickets, not hours).
    """
    _ = i18n.translator(lang)
    fig = go.Figure()
    fig.add_scatter(x=baseline["date"], y=baseline[column], name=_("Baseline plan"),
                    line={"color": "#888888", "dash": "dot"})  # fmt: skip
    fig.add_scatter(x=scenario["date"], y=scenario[column], name=_("Scenario"),
                    line={"color": COLORS["backlog"]})  # fmt: skip
    layout(fig, title, y, lang=lang)
    if counts:
        top = pd.concat([baseline[column], scenario[column]]).max()
        count_axis(fig, None if pd.isna(top) else float(top))
    return fig
