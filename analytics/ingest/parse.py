"""The parse stage: read the staged text as typed canonical columns, with a reject reason per record.

Every identifier in the SQL built here is a canonical field name from code;
the user's column names never reach SQL (staging replaced them by positions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from analytics.canonical import INTEGER_FIELDS, MINUTES_FIELDS, TEXT_FIELDS, TIMESTAMP_FIELDS
from analytics.i18n import N_
from analytics.ingest import dates, ratings
from analytics.ingest.mapping import Plan
from analytics.ingest.model import ImportReport

# Beyond a century (or inf, nan) the sum with created_at overflows DuckDB's
# interval and would fail the whole import; such a row is rejected instead.
MAX_MINUTES = 100 * 366 * 24 * 60


@dataclass
class _Columns:
    """The select list of the ``typed`` step and the reasons of the ``final`` one."""

    typed: list[str] = field(
        default_factory=lambda: ["_rec", "nullif(\"ticket_id\", '') as ticket_id"]
    )
    reasons: list[str] = field(
        default_factory=lambda: ["case when ticket_id is null then 'missing ticket id' end"]
    )
    checked: list[str] = field(
        default_factory=list
    )  # fields whose text is kept to name it in a reason
    derived: dict[str, str] = field(default_factory=dict)  # target field -> expression


def parse(
    cur: duckdb.DuckDBPyConnection, plan: Plan, report: ImportReport, date_order: str | None
) -> ratings.Scales | None:
    """Read how the staged _raw writes its dates and ratings, then create temp table _parsed from it.

    Fills ``report.date_formats``; returns the scales the file's satisfaction
    answers are read on (None when no column holds them).

    Raises
    ------
    analytics.ingest.dates.DateFormatError
        When a date column holds no date in a known format, or its numeric
        dates can be read day-first and month-first.
    """
    date_fields = [f for f in (*TIMESTAMP_FIELDS, "csat_at", "timestamp") if f in plan.positions]
    # A file of ratings may have no date at all.
    profiles = dates.profile_columns(cur, "_raw", date_fields) if date_fields else {}
    for fld, profile in profiles.items():
        if profile.values and profile.recognised == 0:
            raise dates.DateFormatError(
                N_("column {column!r} ({field}) holds no date in a known format"),
                column=report.mapping[fld],
                field=fld,
            )
    order = dates.decide_order(profiles, date_order)
    report.date_formats = {
        report.mapping[f]: dates.describe(p, order) for f, p in profiles.items() if p.values
    }
    sql = parsed_sql(
        plan.positions, profiles, order, event_log=plan.event_log, ratings_only=plan.ratings_only
    )
    params = {"tz": plan.tz} if "$tz" in sql else {}
    found = ratings.scales(cur, plan.csat_scale) if "csat_score" in plan.positions else None
    if found:
        params |= found.params()
    cur.execute(f"create temp table _parsed as {sql}", params or None)
    return found


def parsed_sql(
    positions: Mapping[str, int],
    profiles: Mapping[str, dates.ColumnDates],
    order: str | None,
    *,
    event_log: bool,
    ratings_only: bool = False,
) -> str:
    """Return the query of typed canonical columns plus ``_reason`` (NULL for a valid record).

    ``ratings_only``: the file rates stored tickets, so it needs no
    ``created_at``. A mapped ``csat_score`` binds the parameters of
    :meth:`analytics.ingest.ratings.Scales.params`.

    Three steps, each value trimmed once and parsed once: ``trimmed`` (the
    staged text), ``typed`` (canonical columns, plus the text of each field a
    row can be rejected for), ``final`` (reasons, durations in minutes
    applied).
    """
    columns = _Columns()
    required = "timestamp" if event_log else None if ratings_only else "created_at"
    _timestamps(columns, positions, profiles, order, required=required)
    _minutes(columns, positions)
    _text_and_integers(columns, positions, event_log=event_log)
    columns.typed += ratings.typed_sql("csat_score" in positions)
    if "csat_score" in positions:
        columns.checked.append("csat_score")
        columns.reasons.append(ratings.reason_sql())
    columns.typed += [f'"{fld}" as "_text_{fld}"' for fld in columns.checked]
    trimmed = ["_rec"] + [f'{_trimmed(fld)} as "{fld}"' for fld in positions]
    return (
        f"with trimmed as (select {', '.join(trimmed)} from _raw), "  # noqa: S608
        f"typed as (select {', '.join(columns.typed)} from trimmed), "
        f"final as ({_final(columns)}) select * from final"
    )


def _trimmed(field: str) -> str:
    """Return SQL for ``trim("field")`` that skips the copy when nothing is to trim.

    DuckDB's trim copies every value, a large share of the parsing time; an
    ASCII value (as many bytes as characters) has only the space to trim,
    which ``prefix``/``suffix`` check without copying.
    """
    v = f'"{field}"'
    return (
        f"case when strlen({v}) = length({v}) and not prefix({v}, ' ') "
        f"and not suffix({v}, ' ') then {v} else trim({v}) end"
    )


def _timestamps(columns: _Columns, positions, profiles, order, *, required: str | None) -> None:
    """Add the timestamp columns, and the reasons a record's timestamps reject it.

    ``required`` is the timestamp a record cannot lack (``created_at``, an
    event log's ``timestamp``), None for a file of ratings.
    """
    event_log = required == "timestamp"
    for fld in (*TIMESTAMP_FIELDS, "csat_at", *(("timestamp",) if event_log else ())):
        if fld not in positions:
            columns.typed.append(f'null::timestamptz as "{fld}"')
            continue
        columns.typed.append(f'{dates.parse_expression(fld, profiles[fld], order)} as "{fld}"')
        columns.checked.append(fld)
        columns.reasons.append(
            f'case when nullif("_text_{fld}", \'\') is not null and "{fld}" is null '
            f"then 'unparseable {fld}: ' || \"_text_{fld}\" end"
        )
        if profiles[fld].iso_offset:
            columns.reasons.append(
                f"case when regexp_full_match(\"_text_{fld}\", '{dates.IMPOSSIBLE_OFFSET}') "
                f"then 'impossible UTC offset in {fld}: ' || \"_text_{fld}\" end"
            )
        columns.reasons.append(
            f"case when year(\"{fld}\" at time zone 'UTC') "
            f"not between {dates.FIRST_YEAR} and {dates.LAST_YEAR} "
            f"then '{fld} outside {dates.FIRST_YEAR}-{dates.LAST_YEAR}: ' "
            f'|| "_text_{fld}" end'
        )
    if required is None:
        return
    columns.reasons.append(
        f"case when nullif(\"_text_{required}\", '') is null then 'missing {required}' end"
        if required in positions
        else f"'missing {required}'"
    )


def _minutes(columns: _Columns, positions) -> None:
    """Add durations in minutes after creation, for the timestamps the file lacks."""
    for fld, target in MINUTES_FIELDS.items():
        if fld in positions and target not in positions:
            number = f"try_cast(replace(\"{fld}\", ',', '.') as double)"
            columns.typed.append(
                f'(case when abs({number}) <= {MAX_MINUTES} then {number} end) as "_{fld}"'
            )
            columns.checked.append(fld)
            columns.reasons.append(
                f'case when nullif("_text_{fld}", \'\') is not null and "_{fld}" is null '
                f"then 'unparseable {fld}: ' || \"_text_{fld}\" end"
            )
            columns.derived[target] = f'created_at + to_seconds("_{fld}" * 60)'


def _text_and_integers(columns: _Columns, positions, *, event_log: bool) -> None:
    """Add the text and integer columns (NULL when unmapped); a bad integer reads as NULL."""
    text_fields = (*TEXT_FIELDS, "activity", "actor") if event_log else TEXT_FIELDS
    for fld in text_fields:
        columns.typed.append(
            f'nullif("{fld}", \'\') as "{fld}"' if fld in positions else f'null::varchar as "{fld}"'
        )
    for fld in (*INTEGER_FIELDS, "sequence") if event_log else INTEGER_FIELDS:
        kind = "bigint" if fld == "sequence" else "integer"
        columns.typed.append(
            f'try_cast("{fld}" as {kind}) as "{fld}"'
            if fld in positions
            else f'null::{kind} as "{fld}"'
        )


def _final(columns: _Columns) -> str:
    """Return the last step: helper columns dropped, durations applied, reasons joined."""
    helpers = [f'"_text_{fld}"' for fld in columns.checked] + [
        f'"_{f}"' for f, t in MINUTES_FIELDS.items() if t in columns.derived
    ]
    # Minutes-after-creation fields need the parsed created_at, hence the last step.
    replaced = ", ".join(f'{expr} as "{target}"' for target, expr in columns.derived.items())
    return (
        "select *"  # noqa: S608
        + (f" exclude ({', '.join(helpers)})" if helpers else "")
        + (f" replace ({replaced})" if columns.derived else "")
        + f", nullif(concat_ws('; ', {', '.join(columns.reasons)}), '') as _reason from typed"
    )
