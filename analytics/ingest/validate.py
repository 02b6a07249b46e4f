"""The validate stage: turn parsed records into tickets, diff them against the store, collect rejects.

Leaves temp tables ``_actions`` (one row per incoming ticket: insert, update
or unchanged, with its flags; not for a ratings import), ``_rating_actions``
(the same for satisfaction ratings) and ``_rejects`` (line, reason, raw), and
fills the report's counts.
"""

from __future__ import annotations

import csv
import io

import duckdb
import pyarrow as pa

from analytics import store
from analytics.canonical import value_map_rows
from analytics.i18n import N_
from analytics.ingest import files, ratings
from analytics.ingest.mapping import Plan
from analytics.ingest.model import ImportFailed, ImportReport, Progress, Reject, one_line

MAX_REJECTS_IN_REPORT = 1000
PREVIEW_ROWS = 10
# The first rows as they will be stored, for the Data page's check before importing.
PREVIEW_COLUMNS = (
    "ticket_id",
    "created_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "status",
    "channel",
    "team",
    "region",
    "category",
    "priority",
    "assignee",
    "flags",
    "action",
)


def count_rows(
    cur: duckdb.DuckDBPyConnection, tabular: files.TabularInput, report: ImportReport
) -> int:
    """Set ``report.rows_read`` from the staged _raw; return how many lines the CSV reader refused.

    Raises
    ------
    ImportFailed
        When the file has a header and nothing else.
    """
    report.rows_read = cur.execute("select count(*) from _raw").fetchone()[0]
    if tabular.kind != "csv" or not _table_exists(cur, "_csv_reject_errors"):
        csv_rejects = 0
    else:
        csv_rejects = cur.execute("select count(*) from _csv_reject_errors").fetchone()[0]
    if report.rows_read == 0 and not csv_rejects:
        raise ImportFailed(N_("{name} has a header but no rows"), name=tabular.file_name)
    return csv_rejects


def validate(
    cur: duckdb.DuckDBPyConnection,
    tabular: files.TabularInput,
    plan: Plan,
    report: ImportReport,
    csv_rejects: int,
    progress: Progress,
) -> None:
    """Create temp tables _actions, _rating_actions and _rejects from _parsed; fill the report.

    A ratings import (:attr:`Plan.ratings_only`) has no _actions: its rows
    rate tickets already stored, and a row naming a ticket the source lacks
    is rejected.

    Raises
    ------
    ImportFailed
        When no record makes a valid ticket (a valid rating, for a ratings import).
    """
    if plan.ratings_only:
        valid = ratings.reject_unknown_tickets(cur, report.source)
    else:
        _diff_against_store(cur, plan, report.source)
        progress(0.7, N_("counting"))
        _count(cur, report)
        valid = report.tickets
    ratings.diff(cur, report, ratings_only=plan.ratings_only)
    _collect_rejects(cur, tabular, plan.positions, csv_rejects)
    report.rows_rejected = cur.execute("select count(*) from _rejects").fetchone()[0]
    report.preview = (
        ratings.preview(cur, PREVIEW_ROWS) if plan.ratings_only else _preview(cur, PREVIEW_ROWS)
    )
    report.rejects = [
        Reject(*row)
        for row in cur.execute(
            "select line, reason, raw from _rejects order by line nulls last limit ?",
            [MAX_REJECTS_IN_REPORT],
        ).fetchall()
    ]
    if valid == 0:
        raise _nothing_valid(tabular.file_name, report)


def _nothing_valid(file_name: str, report: ImportReport) -> ImportFailed:
    """Return the refusal of a file whose every row was rejected, quoting the first reason."""
    if not report.rejects:
        return ImportFailed(
            N_("no valid rows ({rejected} rejected)"),
            where=file_name,
            rejected=report.rows_rejected,
        )
    first = report.rejects[0]
    return ImportFailed(
        N_("no valid rows ({rejected} rejected; line {line}: {reason})"),
        where=file_name,
        rejected=report.rows_rejected,
        line=str(first.line),  # as the file numbers it: 12345, not 12,345
        # a reason quotes the value it refused, which may hold a line break
        reason=one_line(first.reason),
    )


def _preview(cur, rows: int) -> list[dict]:
    """Return the first ``rows`` tickets of _actions as they will be stored."""
    return [
        dict(zip(PREVIEW_COLUMNS, row, strict=True))
        for row in cur.execute(
            f"select {', '.join(PREVIEW_COLUMNS)} from _actions order by _rec limit ?",  # noqa: S608
            [rows],
        ).fetchall()
    ]


def _diff_against_store(cur, plan: Plan, source: str) -> None:
    """Create temp table _actions: each incoming ticket, normalised, with what the write does to it."""
    if plan.event_log:
        cur.execute(
            f"create temp table _tickets as {store.load_sql('import_event_log_tickets')}",
            {
                "fr_mode": plan.first_response_mode,
                "fr_activities": list(plan.first_response),
                "resolved_activities": list(plan.resolved),
            },
        )
    else:
        # Views, not tables: _actions below reads them once, and each
        # materialised copy of a million rows would add to the import's peak memory.
        cur.execute(
            "create temp view _tickets as select * exclude (_reason) from _parsed where _reason is null"
        )
    value_map = pa.table(
        dict(
            zip(
                ("field", "raw_key", "normalised"),
                map(list, zip(*value_map_rows(), strict=True)),
                strict=True,
            )
        )
    )
    cur.register("_value_map", value_map)
    cur.execute(f"create temp view _incoming as {store.load_sql('import_incoming')}")
    cur.execute(
        f"create temp table _actions as {store.load_sql('import_actions')}", {"source": source}
    )


def _count(cur, report: ImportReport) -> None:
    """Fill the report's ticket counts by action, and its flags."""
    (
        report.tickets,
        report.rows_inserted,
        report.rows_updated,
        report.rows_unchanged,
        report.rows_flagged,
    ) = cur.execute(
        """
        select
            count(*),
            count(*) filter (where action = 'insert'),
            count(*) filter (where action = 'update'),
            count(*) filter (where action = 'unchanged'),
            count(*) filter (where len(flags) > 0)
        from _actions
        """
    ).fetchone()
    report.flags = dict(
        cur.execute(
            "select flag, count(*) from (select unnest(flags) as flag from _actions) "
            "group by flag order by flag"
        ).fetchall()
    )


def _collect_rejects(cur, tabular, positions: dict[str, int], csv_rejects: int) -> None:
    """Create temp table _rejects (line, reason, raw) from the reader's and the validator's rejects.

    ``raw`` holds only the columns the import maps, in file order: the rest of
    a row (requester names, e-mails, subjects) is personal data the store
    never keeps, rejected or not.
    """
    header = tabular.header_lines
    mapped = sorted(set(positions.items()), key=lambda item: item[1])
    cells = ", ".join(f"coalesce(r.\"{fld}\", '')" for fld, _ in dict(mapped).items())
    line_expr = "p._rec + $header"
    if csv_rejects:
        _number_reader_rejects(cur, header)
        line_expr += " + (select count(*) from _reader_rejects r where r.good_before < p._rec)"
    join = ""
    if _table_exists(cur, "_line_offsets"):
        line_expr += " + coalesce(o.extra_lines, 0)"
        join = "left join _line_offsets o using (_rec)"
    cur.execute(
        f"""
        create temp table _rejects as
        select {line_expr} as line, p._reason as reason, concat_ws($sep, {cells}) as raw
        from _parsed p
        join _raw as r using (_rec)
        {join}
        where p._reason is not null
        """,  # noqa: S608
        {"header": header, "sep": tabular.dialect.delimiter if tabular.dialect else ","},
    )
    if csv_rejects:
        _add_reader_rejects(cur, tabular, [pos for _, pos in mapped])


def _add_reader_rejects(cur, tabular, positions: list[int]) -> None:
    """Insert the lines the CSV reader refused into _rejects, keeping their mapped fields only.

    The lines pass through Python inside the insert, a vector of rows at a
    time: a damaged file can have millions of them, which fetching would
    hold in memory at once.
    """
    cur.create_function(
        "_mapped_fields",
        lambda text: _mapped_fields(text, tabular, positions),
        ["VARCHAR"],
        "VARCHAR",
    )
    try:
        cur.execute(
            "insert into _rejects select line, reason, _mapped_fields(csv_line) "
            "from _reader_rejects"
        )
    finally:
        cur.remove_function("_mapped_fields")


def _number_reader_rejects(cur, header: int) -> None:
    """Create temp table _reader_rejects: the lines the CSV reader refused, one row each.

    The reader skips the lines it rejects, so record numbers drift from line
    numbers after each one; ``good_before`` counts the records read before
    it, to shift them back.
    """
    cur.execute(
        """
        create temp table _reader_rejects as
        select
            line,
            error_type || ': ' || error_message as reason,
            csv_line,
            line - $header - row_number() over (order by line) as good_before
        from (select distinct on (line) * from _csv_reject_errors order by line)
        """,
        {"header": header},
    )


def _mapped_fields(text: str | None, tabular, positions: list[int]) -> str | None:
    """Return the mapped fields of a raw CSV line the reader refused."""
    if text is None:
        return None
    dialect = tabular.dialect
    reader = csv.reader(
        # newline="": a lone CR inside the refused line is data, not a reader error.
        io.StringIO(text, newline=""),
        delimiter=dialect.delimiter,
        quotechar=dialect.quote or None,
    )
    try:
        cells = next(reader, [])
    except csv.Error:
        # Unsplittable: keep nothing rather than unmapped (personal) fields.
        return None
    return dialect.delimiter.join(cells[i] if i < len(cells) else "" for i in positions)


def _table_exists(cur, name: str) -> bool:
    return bool(
        cur.execute("select count(*) from duckdb_tables() where table_name = ?", [name]).fetchone()[
            0
        ]
    )
