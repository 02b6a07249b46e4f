"""Seasons and events: year over year, profiles, decompositions, measured impact."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go

from analytics import i18n
from analytics.charts.base import COHORT, COLORS, add_event_bands, count_axis, layout
from analytics.i18n import N_

# The months in English; a chart names them in its language (:func:`analytics.i18n.month_names`).
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The panels of a decomposition, named on the chart.
COMPONENTS = {
    "observed": N_("Observed"),
    "trend": N_("Trend"),
    "weekly": N_("Weekly"),
    "annual": N_("Annual"),
    "daily": N_("Daily"),
    "residual": N_("Residual"),
}
YEAR_COLORS = ("#b7c9e2", "#7fa3cc", "#4a7db5", "#1f5f99", "#0b3d6b", "#cc4125")


def year_over_year(
    frame: pd.DataFrame, period: str, value: str, title: str, y_title: str, lang: str = "en"
) -> go.Figure:
    """One line per year over ``period`` (``month`` or ``week``): September against September.

    Months are named in ``lang``; ``title`` and ``y_title`` are given in it.

    Each point carries, as customdata, the local date its period starts on
    (the month's first day, the ISO week's Monday): what a click lists the
    tickets of (drill kinds ``created_month``, ``created_week``).
    """
    _ = i18n.translator(lang)
    months = i18n.month_names(lang, short=True)
    fig = go.Figure()
    years = sorted(frame["year"].unique())
    for i, year in enumerate(years):
        part = frame[frame["year"] == year].sort_values(period)
        x = [months[m - 1] for m in part[period]] if period == "month" else part[period]
        fig.add_scatter(
            x=x,
            y=part[value],
            customdata=[period_start(int(year), int(p), period) for p in part[period]],
            name=str(year),
            mode="lines+markers",
            line={"color": YEAR_COLORS[-min(len(years), len(YEAR_COLORS)) + i]},
        )
    layout(fig, title, y_title, _("Month") if period == "month" else _("ISO week"), lang=lang)
    if period == "month":
        fig.update_layout(xaxis={"categoryorder": "array", "categoryarray": months})
    return fig


def period_start(year: int, number: int, period: str) -> str:
    """Return the ISO date a ``month`` or ISO ``week`` numbered ``number`` of ``year`` starts on."""
    if period == "month":
        return date(year, number, 1).isoformat()
    return date.fromisocalendar(year, number, 1).isoformat()


def profile_spread(
    profile: pd.DataFrame,
    x: str,
    prefix: str,
    title: str,
    y_title: str,
    labels=None,
    suffix: str = "",
    lang: str = "en",
) -> go.Figure:
    """A median line with the spread across weeks as shaded bands (10-90%, and 25-75% if given).

    ``labels`` name the ``x`` values 1, 2... (the weekdays, in ``lang``);
    ``title`` and ``y_title`` are given in ``lang``.

    ``profile`` has ``<prefix>_p10<suffix>``, ``_median``, ``_p90`` and
    optionally ``_p25``, ``_p75`` and ``<prefix>_mean``, one row per ``x``.
    """
    xs = [labels[int(v) - 1] for v in profile[x]] if labels else profile[x]

    def col(q: str) -> str:
        return f"{prefix}_{q}{suffix}"

    _ = i18n.translator(lang)
    wide = _("{low}-{high} of weeks").format(low=10, high=i18n.percent(90, lang))
    fig = go.Figure()
    for lo, hi, name, alpha in (
        ("p10", "p90", wide, 0.15),
        ("p25", "p75", "25-" + i18n.percent(75, lang), 0.3),
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
    fig.add_scatter(
        x=xs, y=profile[col("median")], name=_("Median"), line={"color": COLORS["median"]}
    )
    if f"{prefix}_mean" in profile:
        fig.add_scatter(
            x=xs, y=profile[f"{prefix}_mean"], name=_("Mean"), line={"color": "#666", "dash": "dot"}
        )
    layout(fig, title, y_title, lang=lang)
    return fig


def decomposition(
    parts: pd.DataFrame,
    x: str,
    components: tuple[str, ...],
    title: str,
    unit: str,
    events: pd.DataFrame | None = None,
    lang: str = "en",
) -> go.Figure:
    """Observed series and its components stacked in panels sharing the time axis.

    Events are drawn as labelled bands on the observed panel; ``title`` and
    ``unit`` are given in ``lang``, the panels named in it.
    """
    from plotly.subplots import make_subplots

    def named(part: str) -> str:
        return i18n.gettext(lang, COMPONENTS[part]) if part in COMPONENTS else part.capitalize()

    names = ("observed", *components)
    fig = make_subplots(
        rows=len(names),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.03,
        subplot_titles=[named(n) for n in names],
    )
    for row, name in enumerate(names, start=1):
        fig.add_scatter(
            x=parts[x],
            y=parts[name],
            name=named(name),
            mode="markers" if name == "residual" else "lines",
            marker={"size": 3, "color": COLORS["p90"]},
            line={"color": COLORS["median"], "width": 1.2},
            row=row,
            col=1,
        )
    layout(fig, title, unit, lang=lang)
    fig.update_layout(height=140 * len(names) + 80, showlegend=False, hovermode="x")
    return add_event_bands(fig, events)


def impact_counterfactual(
    series: pd.DataFrame,
    event: dict,
    first_day,
    last_day,
    events: pd.DataFrame | None = None,
    lang: str = "en",
) -> go.Figure:
    """Actual tickets per day against the no-event counterfactual and its 95% band.

    Shows 26 weeks before the event to the end of the series: the model is
    fitted on more, but the event is what a reader looks at.
    """
    _ = i18n.translator(lang)
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
        name=_("Counterfactual {level} band").format(level=i18n.percent(95, lang)),
    )
    fig.add_scatter(
        x=series["day"],
        y=series["counterfactual"],
        name=_("Without the event (model)"),
        line={"color": COLORS["resolved"], "width": 2},
    )
    fig.add_scatter(
        x=series["day"],
        y=series["actual"],
        name=_("Actual"),
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
    title = _("Tickets per day ({cohort}): actual against no {event}").format(
        cohort=_(COHORT), event=event["name"]
    )
    layout(fig, title, _("Tickets per day"), lang=lang)
    count_axis(fig, float(pd.concat([series["high"], series["actual"]]).max() or 0))
    add_event_bands(fig, band)
    return add_event_bands(fig, events)


def effect_estimates(estimates: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Point estimates with 95% intervals, one bar per method, side by side."""
    _ = i18n.translator(lang)
    sign = i18n.percent_sign(lang)
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
            text=[i18n.signed(v, lang, unit=sign) for v in estimates["effect_pct"]],
            textposition="inside",
            insidetextanchor="start",
            marker_color=[COLORS["created"], COLORS["p90"]][: len(estimates)],
        )
    )
    title = _("Mean uplift on tickets per day over the window, {level} interval").format(
        level=i18n.percent(95, lang)
    )
    layout(fig, title, _("Uplift (%)"), lang=lang)
    fig.update_layout(hovermode="closest", height=320)
    return fig
