"""The quality pages: satisfaction against the wait for a first response."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics.charts.base import COLORS, EVENT_DATE, layout


def csat_by_response_bar(csat: pd.DataFrame) -> go.Figure:
    """CSAT % per first-response bucket, the ratings behind each bar in its hover.

    ``csat`` is :func:`analytics.metrics.csat_by_response_bucket`: ``bucket,
    rated, good, csat_pct``. A bucket without a rating has no bar, not a bar at 0.
    """
    shown = csat["csat_pct"].astype(float)
    fig = go.Figure(
        go.Bar(
            x=csat["bucket"],
            y=shown,
            text=["" if pd.isna(v) else f"{v:.0f}%" for v in shown],
            customdata=csat["rated"],
            hovertemplate="%{x}: %{y:.1f}% good (%{customdata:,} ratings)<extra></extra>",
            marker_color=COLORS["median"],
        )
    )
    layout(
        fig,
        f"Satisfaction by first response (tickets resolved, {EVENT_DATE})",
        "Good ratings (%)",
        "First response",
    )
    fig.update_layout(hovermode="closest", yaxis_range=[0, 105])
    return fig
