"""Agents and teams: who handled the work, how fast, how well, and when it arrived.

Every function here groups the selected tickets by agent (the ``assignee``)
or by team, on the names as the store holds them, and only then shows them
as the viewer may see them (:func:`analytics.people.shown`): a pseudonym
stands for one stored name, and a teams-only view never gets a per-agent
frame (:class:`analytics.people.PeopleHidden`). Definitions are in
``docs/metrics.md`` ("Agents and teams").
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import people
from analytics.metrics.engine import query
from analytics.metrics.selection import Selection
from analytics.settings import Settings

# by -> the ticket column grouped on, which is also the frames' name column
BY = {"agent": "assignee", "team": "team"}
# What a ticket without an agent (or team) is listed as, after pseudonyms:
# it names nobody, so it stays readable under every view.
UNASSIGNED = "(unassigned)"

# The figures' columns after the name column, in the order of the page's table.
FIGURES = (
    "handled",
    "frt_median_h",
    "frt_p90_h",
    "resolution_median_h",
    "sla_pct",
    "backlog_open",
    "resolved",
    "reopen_pct",
    "one_touch_pct",
    "csat_pct",
    "ratings",
)


def name_column(by: str) -> str:
    """Return the column that names the agent or team in frames grouped ``by``."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    return BY[by]


def _grouped(
    con: duckdb.DuckDBPyConnection,
    name: str,
    selection: Selection,
    by: str,
    view: str,
    key: bytes | None,
    settings: Settings | None,
) -> pd.DataFrame:
    """Run ``sql/<name>.sql`` grouped ``by``, then show its names as ``view`` allows."""
    column = name_column(by)
    if by == "agent":
        people.require_people(view)
    frame = query(con, name, selection, settings, by=column)
    frame = frame.rename(columns={"name": column})
    if by == "agent":
        # After grouping on the stored names, and before the unassigned row
        # gets its label, which names nobody and must not become a pseudonym.
        frame = people.shown(frame, view, key, column=column)
    return frame.assign(**{column: frame[column].fillna(UNASSIGNED)})


def agents(
    con: duckdb.DuckDBPyConnection,
    selection: Selection,
    by: str = "agent",
    view: str = people.NAMES,
    key: bytes | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return one row of figures per agent (``by="agent"``) or team (``by="team"``).

    Columns: ``assignee`` or ``team`` (:data:`UNASSIGNED` for tickets with
    none), then :data:`FIGURES`: ``handled`` (created in the period),
    ``frt_median_h``, ``frt_p90_h``, ``resolution_median_h``, ``sla_pct`` (of
    those tickets), ``backlog_open`` (open at the period's end, or at the
    export's last event if sooner), ``resolved`` (in the period) and, over
    those, ``reopen_pct``, ``one_touch_pct``, ``csat_pct`` (NaN when the
    export does not say) and ``ratings``. Sorted by tickets handled.

    ``view`` is :func:`analytics.people.view_for`'s answer and ``key``
    :func:`analytics.people.pseudonym_key`'s (needed for pseudonyms).

    Raises
    ------
    analytics.people.PeopleHidden
        ``by="agent"`` under the ``"teams"`` view.
    """
    return _grouped(con, "agents_figures", selection, by, view, key, settings)


def agents_workload(
    con: duckdb.DuckDBPyConnection,
    selection: Selection,
    by: str = "agent",
    view: str = people.NAMES,
    key: bytes | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return the tickets created per agent or team, local weekday (1 = Monday) and hour.

    Columns: ``assignee`` or ``team``, ``weekday``, ``hour``, ``tickets``;
    only slots with tickets, in ``selection``'s time zone. ``view`` and
    ``key`` as in :func:`agents`, which raises the same way.
    """
    return _grouped(con, "agents_workload", selection, by, view, key, settings)


def agents_trend(
    con: duckdb.DuckDBPyConnection,
    selection: Selection,
    by: str = "agent",
    view: str = people.NAMES,
    key: bytes | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return tickets handled and median first response per agent or team and ISO week.

    Columns: ``assignee`` or ``team``, ``week`` (its Monday, in
    ``selection``'s time zone), ``handled``, ``frt_median_h``. ``view`` and
    ``key`` as in :func:`agents`, which raises the same way.
    """
    return _grouped(con, "agents_trend", selection, by, view, key, settings)


def workload_of(workload: pd.DataFrame, names: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return ``weekday, hour, tickets`` for all 7 x 24 slots, summed over ``names`` (all if empty).

    ``workload`` is an :func:`agents_workload` frame; ``names`` are values of
    its name column, as shown.
    """
    column = next(c for c in workload.columns if c in BY.values())
    chosen = workload[workload[column].isin(names)] if names else workload
    slots = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["weekday", "hour"])
    summed = chosen.groupby(["weekday", "hour"])["tickets"].sum().reindex(slots, fill_value=0)
    return summed.astype("int64").reset_index()


def agents_recorded(
    con: duckdb.DuckDBPyConnection, selection: Selection, settings: Settings | None = None
) -> dict[str, bool]:
    """Return whether ``selection``'s source names an agent or a team on any ticket at all.

    ``{"agent": ..., "team": ...}``; an export without an assignee column
    has no agent figures, which is not the same as every ticket unassigned.
    """
    row = query(con, "agents_recorded", selection, settings).iloc[0]
    return {"agent": bool(row["with_agent"]), "team": bool(row["with_team"])}
