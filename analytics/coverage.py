"""What a source records at all: a metric whose input it lacks is "not in this source".

An NYC 311 export records when a request was closed, never when it was first
answered. Its first-response metrics are not failures (an SLA of 0 %, every
ticket "not answered"): they do not exist. Pages and the report ask
:func:`missing_inputs` and show :data:`NOT_IN_SOURCE` with the reason instead.
The quality metrics' inputs (reopens, agent replies, satisfaction ratings),
which most exports lack, are asked for apart, by :func:`missing_quality_inputs`,
so that a page without a quality metric says nothing of them.
"""

from __future__ import annotations

import duckdb

from analytics import i18n, replica, store
from analytics.i18n import N_
from analytics.ingest import ALL_PRESETS

NOT_IN_SOURCE = N_("not in this source")

# input -> (canonical columns it comes from, what it is called in a sentence). A
# ticket is done when resolved, else when closed: the backlog needs either.
INPUTS = {
    "first_response": (("first_response_at",), N_("first-response times")),
    "resolution": (("resolved_at",), N_("resolution times")),
    "done": (("resolved_at", "closed_at"), N_("resolution or closing times")),
}

# The quality metrics' inputs, as INPUTS. Ratings come from a survey: no
# export format's ticket columns hold them.
QUALITY_INPUTS = {
    "reopens": (("reopens",), N_("reopen counts")),
    "replies": (("replies",), N_("agent reply counts")),
    "satisfaction": (("csat_score",), N_("satisfaction ratings")),
}


def missing_inputs(con: duckdb.DuckDBPyConnection, source: str, lang: str = "en") -> dict[str, str]:
    """Return the inputs no ticket of ``source`` has, each with a one-line reason to show
    in ``lang``.

    Keys are those of :data:`INPUTS`; an empty dict when the source has
    them all, or has no ticket. For example, on an NYC 311 export:
    ``{"first_response": "This source has no first-response times: its export
    format (NYC 311-style open-data service requests) does not record them."}``
    """
    tickets, has_first_response, has_resolution, has_done, presets = _recorded(
        con, "source_inputs", source
    )
    if not tickets:
        return {}
    present = {"first_response": has_first_response, "resolution": has_resolution, "done": has_done}
    return {name: _reason(INPUTS[name], presets, lang) for name, has in present.items() if not has}


def missing_quality_inputs(
    con: duckdb.DuckDBPyConnection, source: str, lang: str = "en"
) -> dict[str, str]:
    """Return the quality inputs no ticket of ``source`` has, each with a one-line reason to
    show in ``lang``.

    Keys are those of :data:`QUALITY_INPUTS` (``reopens``, ``replies``,
    ``satisfaction``); an empty dict when the source has them all, or has no
    ticket. For example, on a Jira export: ``{"reopens": "This source has no
    reopen counts: its export format (Jira / Jira Service Management issue
    export) does not record them.", ...}``
    """
    tickets, has_reopens, has_replies, has_satisfaction, presets = _recorded(
        con, "quality_inputs", source
    )
    if not tickets:
        return {}
    present = {"reopens": has_reopens, "replies": has_replies, "satisfaction": has_satisfaction}
    return {
        name: _reason(QUALITY_INPUTS[name], presets, lang)
        for name, has in present.items()
        if not has
    }


def _reason(needed: tuple[tuple[str, ...], str], presets: list[str], lang: str) -> str:
    _ = i18n.translator(lang)
    columns, what = needed
    known = [ALL_PRESETS[p] for p in presets if p in ALL_PRESETS]
    # A named vendor format without the columns says why; a hand mapping may have skipped them.
    if known and all(
        p.kind == "tickets" and p.columns and not set(columns) & set(p.columns) for p in known
    ):
        labels = ", ".join(p.label for p in known)
        return _(
            "This source has no {what}: its export format ({labels}) does not record them."
        ).format(what=_(what), labels=labels)
    return _("This source has no {what}: none of its imported tickets has one.").format(
        what=_(what)
    )


def _recorded(con: duckdb.DuckDBPyConnection, query: str, source: str) -> tuple:
    """Return the row of ``sql/<query>.sql`` for ``source``, read once per store snapshot:
    every manager's page asks, and at ten million tickets it is a scan of the source."""

    def read() -> tuple:
        with store.cursor(con) as cur:
            return cur.execute(store.load_sql(query), {"source": source}).fetchone()

    return replica.remembered(con, (query, source), read)
