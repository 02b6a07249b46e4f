"""Satisfaction ratings in an import: reading the answers, diffing them, writing them.

A ticket export with a satisfaction column (Zendesk's "Satisfaction Score")
writes a rating beside each rated ticket; a file mapped with ``ticket_id``
and ``csat_score`` but no ``created_at`` is a ratings import, which rates the
tickets already stored in its source. Either way the ratings are written in
the import's one transaction. What an answer means (Good, Happy, 4 of 5) is
decided in :mod:`analytics.canonical`; this module reads a file's answers to
pick its scales once, and binds them to the parse stage's SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from analytics import canonical, store
from analytics.ingest.model import ImportReport

PREVIEW_COLUMNS = ("ticket_id", "csat_score", "csat_raw", "csat_at", "action")

# The rated rows of a ratings import, and of a ticket import.
_RATED_FROM_PARSED = """
    create or replace temp view _rated as
    select _rec, ticket_id, csat_score, csat_raw, csat_at from _parsed
    where _reason is null and csat_score is not null
"""
_RATED_FROM_TICKETS = """
    create or replace temp view _rated as
    select _rec, ticket_id, csat_score, csat_raw, csat_at from _actions
    where csat_score is not null
"""


@dataclass(frozen=True)
class Scales:
    """How one file's satisfaction answers read: its words and its numeric range.

    ``numeric``: whether the file writes any answer as a number.
    """

    words: dict[str, float]
    lowest: float
    highest: float
    numeric: bool

    def describe(self) -> str:
        """Return the numeric scale as a person writes it (``1-5``, ``0-100``)."""
        return f"{self.lowest:g}-{self.highest:g}"

    def params(self) -> dict:
        """Return the bound parameters of :func:`typed_sql` and :func:`reason_sql`."""
        return {
            "csat_words": list(self.words),
            "csat_word_scores": list(self.words.values()),
            "csat_none": list(canonical.CSAT_NO_RATING),
            "csat_low": self.lowest,
            "csat_high": self.highest,
            "csat_range": self.describe(),
        }


def scales(cur: duckdb.DuckDBPyConnection, named: int | None) -> Scales:
    """Return the scales of the staged file's answers (``_raw.csat_score``), decided once for the file.

    ``named`` is the numeric scale the person named (5, 10 or 100), if any.
    """
    lowest, highest, labels = cur.execute(
        store.load_sql("import_ratings_profile"), {"labels": canonical.csat_label_words()}
    ).fetchone()
    low, high = canonical.csat_number_scale(lowest, highest, named)
    return Scales(canonical.csat_words(set(labels)), low, high, lowest is not None)


def typed_sql(mapped: bool) -> list[str]:
    """Return the parse stage's select items for ``csat_score`` (0-100) and ``csat_raw``.

    They read the trimmed text column ``csat_score``; an answer that means
    no rating, or that cannot be read, gives a null score.
    """
    if not mapped:
        return ["null::double as csat_score", "null::varchar as csat_raw"]
    key = 'lower("csat_score")'
    number = "try_cast(replace(\"csat_score\", ',', '.') as double)"
    return [
        f"case when list_contains($csat_words, {key}) "
        f"then $csat_word_scores[list_position($csat_words, {key})] "
        f"when {number} between $csat_low and $csat_high "
        f"then ({number} - $csat_low) / ($csat_high - $csat_low) * 100 end as csat_score",
        "nullif(\"csat_score\", '') as csat_raw",
    ]


def reason_sql() -> str:
    """Return the parse stage's reason for an answer that is neither a rating nor 'no rating'."""
    text = '"_text_csat_score"'
    return (
        f"case when nullif({text}, '') is not null "
        f"and not list_contains($csat_none, lower({text})) and csat_score is null then "
        f"case when try_cast(replace({text}, ',', '.') as double) is not null "
        f"then 'csat_score outside ' || $csat_range || ': ' || {text} "
        f"else 'unreadable csat_score: ' || {text} end end"
    )


def reject_unknown_tickets(cur: duckdb.DuckDBPyConnection, source: str) -> int:
    """Give every valid row of _parsed whose ticket is not stored in ``source`` its reject reason.

    Returns
    -------
    int
        How many rows of _parsed remain valid.
    """
    cur.execute(store.load_sql("import_ratings_unknown"), {"source": source})
    return cur.execute("select count(*) from _parsed where _reason is null").fetchone()[0]


def diff(cur: duckdb.DuckDBPyConnection, report: ImportReport, *, ratings_only: bool) -> None:
    """Create temp table _rating_actions: each incoming rating with what the write does to it.

    Reads the valid rows of _parsed for a ratings import, else the tickets of
    _actions; sets ``report.ratings_written`` (the new and changed ratings).
    """
    cur.execute(_RATED_FROM_PARSED if ratings_only else _RATED_FROM_TICKETS)
    cur.execute(
        f"create temp table _rating_actions as {store.load_sql('import_ratings_actions')}",
        {"source": report.source},
    )
    cur.execute("drop view _rated")
    report.ratings_written = cur.execute(
        "select count(*) from _rating_actions where action <> 'unchanged'"
    ).fetchone()[0]


def preview(cur: duckdb.DuckDBPyConnection, rows: int) -> list[dict]:
    """Return the first ``rows`` ratings of _rating_actions as they will be stored."""
    return [
        dict(zip(PREVIEW_COLUMNS, row, strict=True))
        for row in cur.execute(
            f"select {', '.join(PREVIEW_COLUMNS)} from _rating_actions order by _rec limit ?",  # noqa: S608
            [rows],
        ).fetchall()
    ]


def write(cur: duckdb.DuckDBPyConnection, report: ImportReport) -> None:
    """Replace the stored ratings that _rating_actions changes, inside the caller's transaction."""
    if not report.ratings_written:
        return
    params = {"source": report.source}
    cur.execute(store.load_sql("import_ratings_delete_changed"), params)
    cur.execute(store.load_sql("import_ratings_insert"), {**params, "import_id": report.import_id})


def note(
    cur: duckdb.DuckDBPyConnection, report: ImportReport, found: Scales, *, dry_run: bool
) -> str:
    """Return the report's line about the ratings of _rating_actions the import writes."""
    unchanged = cur.execute(
        "select count(*) from _rating_actions where action = 'unchanged'"
    ).fetchone()[0]
    verb = "would write" if dry_run else "wrote"
    scale = f"; numbers read on a {found.describe()} scale" if found.numeric else ""
    return (
        f"Satisfaction ratings: {verb} {report.ratings_written:,} new or changed, "
        f"{unchanged:,} unchanged{scale}."
    )
