"""The built-in sample: a queue simulation of a multi-region support desk.

:func:`write_sample` writes it as a Zendesk export plus the events it
injected; :func:`simulate` runs it for "what if" reruns.
"""

from analytics.sample.story import (
    REGIONS,
    TIMEZONES,
    ZENDESK_COLUMNS,
    Budget,
    Event,
    SampleFiles,
    SimConfig,
    SimInputError,
    SimResult,
    Stopped,
    TeamStaffing,
    calendar_events,
    default_staffing,
    simulate,
    story_events,
    write_result,
    write_sample,
    zendesk_export,
)

__all__ = [
    "REGIONS",
    "TIMEZONES",
    "ZENDESK_COLUMNS",
    "Budget",
    "Event",
    "SampleFiles",
    "SimConfig",
    "SimInputError",
    "SimResult",
    "Stopped",
    "TeamStaffing",
    "calendar_events",
    "default_staffing",
    "simulate",
    "story_events",
    "write_result",
    "write_sample",
    "zendesk_export",
]
