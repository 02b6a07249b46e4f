"""The quality of the work done: reopens, one-touch and first-contact resolution, CSAT.

Each rate counts the tickets resolved in the period (by resolution date) and
leaves out the tickets whose input the export lacks (``quality_macros.sql``):
a rate with no known input is None, "not in this export", never 0.
Definitions in ``docs/metrics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import duckdb
import pandas as pd

from analytics.metrics.engine import query
from analytics.metrics.selection import Selection
from analytics.settings import Settings

# rate -> the QualityFigures counts it is made of: (part, known)
RATES = {
    "reopen_rate_pct": ("reopened", "reopens_known"),
    "one_touch_pct": ("one_touch", "replies_known"),
    "first_contact_pct": ("first_contact", "first_contact_known"),
    "csat_pct": ("good", "rated"),
    "csat_response_pct": ("rated", "resolved"),
}


@dataclass(frozen=True)
class QualityFigures:
    """The quality figures of the tickets resolved in one period, with the counts behind them.

    Each ``*_known`` count is of the resolved tickets whose input the export
    records; a rate is None when that count is 0. ``previous`` holds the
    same figures for the period before (None when not asked for).
    """

    resolved: int
    reopens_known: int
    reopened: int
    reopen_rate_pct: float | None
    replies_known: int
    one_touch: int
    one_touch_pct: float | None
    first_contact_known: int
    first_contact: int
    first_contact_pct: float | None
    rated: int
    good: int
    csat_pct: float | None
    csat_response_pct: float | None
    """Rated / resolved; None when no selected ticket has a rating at any time."""
    previous: QualityFigures | None = None

    def to_dict(self) -> dict:
        """Return the figures as plain JSON-ready data (``previous`` nested, or None)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "previous"}
        out["previous"] = None if self.previous is None else self.previous.to_dict()
        return out


def figures_of(row: pd.Series, previous: QualityFigures | None = None) -> QualityFigures:
    """Return the :class:`QualityFigures` of one row of ``quality_figures.sql``."""
    values = {}
    for f in fields(QualityFigures):
        if f.name == "previous":
            continue
        value = row[f.name]
        if f.name in RATES:
            values[f.name] = None if pd.isna(value) else float(value)
        else:
            values[f.name] = int(value)
    return QualityFigures(**values, previous=previous)


def quality(
    con: duckdb.DuckDBPyConnection, selection: Selection, settings: Settings | None = None
) -> QualityFigures:
    """Return the quality figures of ``selection``'s period, and its previous period's.

    One query for both periods; ``previous`` equals ``quality(selection.previous())``
    without its own ``previous``. The business-hours clock changes none of
    these figures: they count tickets, not hours.

    Example: ``quality(con, sel).reopen_rate_pct`` is 4.2 when 42 of the 1,000
    tickets resolved in the period with a known reopen count were reopened.
    """
    frame = query(
        con, "quality_figures", selection, settings, previous_start=selection.previous().start
    )
    rows = frame.set_index("period")
    return figures_of(rows.loc["current"], figures_of(rows.loc["previous"]))


def csat_by_response_bucket(
    con: duckdb.DuckDBPyConnection, selection: Selection, settings: Settings | None = None
) -> pd.DataFrame:
    """Return ``bucket, rated, good, csat_pct`` per first-response bucket of the period.

    Over the tickets resolved in the period that have a rating; the buckets
    are those of :data:`analytics.metrics.BUCKETS`, in that order, measured
    on the selection's clock, every one present (``csat_pct`` None when the
    bucket has no rating). What slow first replies cost in satisfaction.
    """
    return query(con, "csat_by_response_bucket", selection, settings)
