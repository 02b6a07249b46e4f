"""The managers' metrics: one function per question, each one SQL query.

Definitions live in ``docs/metrics.md`` and the SQL in ``analytics/sql``;
this package binds a :class:`Selection` (the sidebar's filters) to the
queries and returns small frames or dataclasses. Every query starts from the
``selected_tickets`` table macro, defined per cursor in its calendar-hours or
business-hours variant, so the filters and the duration clock are written
once.
"""

from analytics.metrics.agents import (
    agents,
    agents_recorded,
    agents_trend,
    agents_workload,
    workload_of,
)
from analytics.metrics.drill import DRILL_KINDS, TicketsBehind, ticket_links, tickets_behind
from analytics.metrics.engine import current_span, queries, query, zone_changes, zone_offset_macro
from analytics.metrics.pages import (
    BacklogPage,
    OverviewPage,
    ResponseTimesPage,
    backlog_page,
    overview_page,
    response_times_page,
)
from analytics.metrics.quality import QualityFigures, csat_by_response_bucket, quality
from analytics.metrics.questions import (
    BUCKETS,
    BacklogNow,
    OverviewFigures,
    backlog_age,
    backlog_now,
    backlog_series,
    buckets_of,
    daily_flow,
    days_to_clear,
    movers,
    overview,
    overview_with_previous,
    response_time_breakdown,
    response_time_buckets,
    response_time_trend,
    sla_of,
    sla_weekly,
    slowest_tickets,
    weekday_hour_heatmap,
)
from analytics.metrics.risk import AtRisk, tickets_at_risk
from analytics.metrics.selection import (
    DIMENSIONS,
    GRAINS,
    Selection,
    SourceSpan,
    dense_span,
    filter_values,
    last_complete_day,
    period,
    source_span,
)

__all__ = [
    "AtRisk",
    "BUCKETS",
    "BacklogNow",
    "BacklogPage",
    "DIMENSIONS",
    "DRILL_KINDS",
    "GRAINS",
    "OverviewFigures",
    "OverviewPage",
    "QualityFigures",
    "ResponseTimesPage",
    "Selection",
    "SourceSpan",
    "TicketsBehind",
    "agents",
    "agents_recorded",
    "agents_trend",
    "agents_workload",
    "backlog_age",
    "backlog_now",
    "backlog_page",
    "backlog_series",
    "buckets_of",
    "csat_by_response_bucket",
    "current_span",
    "daily_flow",
    "days_to_clear",
    "filter_values",
    "movers",
    "overview",
    "overview_page",
    "overview_with_previous",
    "period",
    "quality",
    "queries",
    "query",
    "response_time_breakdown",
    "response_time_buckets",
    "response_time_trend",
    "response_times_page",
    "sla_of",
    "sla_weekly",
    "ticket_links",
    "tickets_at_risk",
    "tickets_behind",
    "slowest_tickets",
    "source_span",
    "dense_span",
    "last_complete_day",
    "weekday_hour_heatmap",
    "workload_of",
    "zone_changes",
    "zone_offset_macro",
]
