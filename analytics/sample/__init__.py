"""The built-in sample: a queue simulation of a multi-region support desk.

Tickets arrive as a non-homogeneous Poisson process per region, category and
channel; agents on shifts in their team's local time pick them up. Response
times and backlog are never drawn from a distribution: they come out of the
queue. ``docs/simulator.md`` tells the story and its calibration.

- :mod:`~analytics.sample.desk`: the desk as data (regions, categories,
  channels, handling times, profiles) and each ticket's drawn work;
- :mod:`~analytics.sample.story`: the run's parameters, head count and events;
- :mod:`~analytics.sample.arrivals` and :mod:`~analytics.sample.roster`: when
  tickets arrive and when agents work;
- :mod:`~analytics.sample.queue`: the engine, also run by the what-if;
- :mod:`~analytics.sample.run`: :func:`simulate`;
- :mod:`~analytics.sample.export`: :func:`write_sample`, the Zendesk export.

Example
-------
>>> files = write_sample(Path("data/sample"), years=1.0, scale=0.2)  # doctest: +SKIP
"""

from analytics.sample.desk import REGIONS, TIMEZONES
from analytics.sample.export import (
    ZENDESK_COLUMNS,
    SampleFiles,
    write_result,
    write_sample,
    zendesk_export,
)
from analytics.sample.queue import Budget, Stopped
from analytics.sample.run import SimResult, simulate
from analytics.sample.story import (
    Event,
    SimConfig,
    SimInputError,
    TeamStaffing,
    calendar_events,
    default_staffing,
    story_events,
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
