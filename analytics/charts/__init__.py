"""Plotly figure builders: a small frame in, a figure out, nothing else.

Every builder is a pure function of its inputs, titles its axes with units,
and states in its title whether tickets are counted by creation date
(cohort) or by the date the event happened. Events are drawn as labelled
bands by :func:`add_event_bands`.
"""

from analytics.charts.base import (
    COHORT,
    COLORS,
    EVENT_DATE,
    WEEKDAYS,
    add_event_bands,
    plain_text,
)
from analytics.charts.forecast import (
    accuracy_by_horizon,
    accuracy_by_hour,
    forecast_fan,
    staffing_gap,
    today_update,
    whatif_lines,
)
from analytics.charts.managers import (
    backlog_age_bar,
    backlog_lines,
    breakdown_bar,
    buckets_bar,
    created_vs_resolved,
    movers_bar,
    response_time_trend,
    sla_weekly,
    volume_against_forecast,
    weekday_hour_heatmap,
)
from analytics.charts.people import TREND_VALUES, agents_trend_lines
from analytics.charts.quality import csat_by_response_bar
from analytics.charts.seasons import (
    MONTHS,
    YEAR_COLORS,
    decomposition,
    effect_estimates,
    impact_counterfactual,
    profile_spread,
    year_over_year,
)

__all__ = [
    "COHORT",
    "COLORS",
    "EVENT_DATE",
    "MONTHS",
    "TREND_VALUES",
    "WEEKDAYS",
    "YEAR_COLORS",
    "accuracy_by_horizon",
    "accuracy_by_hour",
    "add_event_bands",
    "agents_trend_lines",
    "backlog_age_bar",
    "backlog_lines",
    "breakdown_bar",
    "buckets_bar",
    "created_vs_resolved",
    "csat_by_response_bar",
    "decomposition",
    "effect_estimates",
    "forecast_fan",
    "impact_counterfactual",
    "movers_bar",
    "plain_text",
    "profile_spread",
    "response_time_trend",
    "sla_weekly",
    "staffing_gap",
    "today_update",
    "volume_against_forecast",
    "weekday_hour_heatmap",
    "whatif_lines",
    "year_over_year",
]
