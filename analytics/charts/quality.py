"""The quality pages: satisfaction against the wait for a first response."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics import i18n
from analytics.charts.base import COLORS, EVENT_DATE, layout
from analytics.charts.managers import bucket_label


def csat_by_response_bar(csat: pd.DataFrame, lang: str = "en") -> go.Figure:
    """CSAT % per first-response bucket, the ratings behind each bar in its hover.

    ``csat`` is :func:`analytics.metrics.csat_by_response_bucket`: ``bucket,
    rated, good, csat_pct``. A bucket without a rating has no bar, not a bar at 0.
    Each bar carries ``[bucket, ratings]`` as customdata, the bucket as typed
    (``not answered``), for a click in any language.
    """
    _ = i18n.translator(lang)
    shown = csat["csat_pct"].astype(float)
    fig = go.Figure(
        go.Bar(
            x=[bucket_label(b, lang) for b in csat["bucket"]],
            y=shown,
            text=["" if pd.isna(v) else i18n.percent(v, lang) for v in shown],
            customdata=list(zip(csat["bucket"], csat["rated"], strict=True)),
            hovertemplate=_("%{x}: %{y:.1f}% good (%{customdata[1]:,} ratings)")
            + "<extra></extra>",
            marker_color=COLORS["median"],
        )
    )
    title = _("Satisfaction by first response (tickets resolved, {event_date})")
    layout(
        fig,
        title.format(event_date=_(EVENT_DATE)),
        _("Good ratings (%)"),
        _("First response"),
        lang=lang,
    )
    fig.update_layout(hovermode="closest", yaxis_range=[0, 105])
    return fig
