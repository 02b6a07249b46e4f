"""Importing a helpdesk export into the store: one function, one transaction.

:func:`import_file` is the only way tickets enter the store; the command line
and the Data page both call it. The pipeline is SQL in DuckDB from end to end
(DuckDB's CSV reader, or an Arrow table for XLSX): stage the mapped columns
as text, read the dates, validate, normalise, diff against the store, upsert.
Reading and checking write temporary tables only; everything written to the
store is written in one transaction, so a failure at any point leaves the
store exactly as it was.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import re
import shutil
import tempfile
import threading
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from analytics import access, store
from analytics.canonical import (
    INTEGER_FIELDS,
    MINUTES_FIELDS,
    TEXT_FIELDS,
    TIMESTAMP_FIELDS,
    value_map_rows,
)
from analytics.ingest import dates, files
from analytics.ingest.presets import (
    ALL_PRESETS,
    GENERIC,
    MappingError,
    Preset,
    detect_preset,
    guess_mapping,
    resolve_mapping,
)
from analytics.settings import Settings, load_settings

NULL_MARKERS = ["", "?", "NA", "N/A", "n/a", "-", "NULL", "null"]
MAX_REJECTS_IN_REPORT = 1000
MAX_MINUTES = 100 * 366 * 24 * 60
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

Progress = Callable[[float, str], None]


class ImportFailed(Exception):
    """Nothing was imported; the message says why in one line."""


@dataclass(frozen=True)
class Reject:
    """One rejected input row."""

    line: int | None
    reason: str
    raw: str | None


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    source: str
    file_name: str
    sha256: str
    preset: str
    preset_label: str
    mapping: dict[str, str]
    tz: str
    date_formats: dict[str, str]
    rows_read: int = 0
    tickets: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    rows_flagged: int = 0
    preview: list[dict] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    import_id: int | None = None
    dry_run: bool = False
    started_at: str = ""
    finished_at: str = ""
    outcome: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return the report as plain JSON-ready data with stable keys."""
        data = asdict(self)
        data["rejects"] = [asdict(r) for r in self.rejects]
        return data


@dataclass
class FilePreview:
    """What the importer sees in a file before anything is written."""

    file_name: str
    kind: str
    columns: list[str]
    preset: Preset
    detected: bool
    mapping: dict[str, str]
    encoding: str | None
    delimiter: str | None
    rows: list[list[str | None]]
    mapping_error: str | None


def default_source_name(file_name: str) -> str:
    """Return a source name derived from a file name (``Tickets 2024.csv.gz`` -> ``tickets-2024``)."""
    stem = Path(file_name).name
    stem = re.sub(r"(\.(csv|tsv|txt|gz|zip|xlsx))+$", "", stem, flags=re.IGNORECASE)
    name = re.sub(r"[^\w.-]+", "-", stem).strip("-").lower()
    return name or "tickets"


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _hash_in_background(path: Path) -> Callable[[], str]:
    """Start hashing ``path`` on a thread; return a function that waits for the hex digest.

    hashlib releases the GIL on large buffers, so the hash of a large file
    costs no wall time while DuckDB stages it.
    """
    outcome: dict[str, str | OSError] = {}

    def work() -> None:
        try:
            outcome["sha"] = sha256_of(path)
        except OSError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="sha256", daemon=True)
    thread.start()

    def wait() -> str:
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["sha"]

    return wait


def preview_file(
    path: Path,
    *,
    file_name: str | None = None,
    preset: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    rows: int = 10,
    settings: Settings | None = None,
) -> FilePreview:
    """Return the detected preset, guessed mapping and first raw rows of a file.

    Raises
    ------
    ImportFailed
        When the file cannot be read at all.
    """
    settings = settings or load_settings()
    workdir = Path(tempfile.mkdtemp(prefix="backlog-radar-"))
    try:
        try:
            source = _open(path, workdir, file_name, encoding, delimiter, None, header, settings)
        except files.InputFileError as exc:
            raise ImportFailed(str(exc)) from exc
        chosen, detected = _choose_preset(source.columns, preset)
        mapping_error = None
        try:
            positions = resolve_mapping(chosen, source.columns)
            mapping = {f: source.columns[i] for f, i in positions.items()}
        except MappingError as exc:
            mapping = guess_mapping(source.columns, chosen.kind)
            mapping_error = str(exc)
        sample = _sample_rows(source, rows)
        dialect = source.dialect
        return FilePreview(
            file_name=source.file_name,
            kind=source.kind,
            columns=source.columns,
            preset=chosen,
            detected=detected,
            mapping=mapping,
            encoding=dialect.encoding if dialect else None,
            delimiter=dialect.delimiter if dialect else None,
            rows=[list(r) for r in sample],
            mapping_error=mapping_error,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def import_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    source: str | None = None,
    preset: str | None = None,
    tz: str | None = None,
    mapping: Mapping[str, str] | None = None,
    first_response_activities: Sequence[str] | None = None,
    resolved_activities: Sequence[str] | None = None,
    date_order: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    quote: str | None = None,
    header: bool | None = None,
    file_name: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    settings: Settings | None = None,
    lock_timeout: float | None = None,
    actor: access.User | None = None,
) -> ImportReport:
    """Import one export file into the store behind ``con``; return what happened.

    Parameters
    ----------
    source
        Dataset name; defaults to one derived from the file name.
    preset
        Preset name (see :data:`analytics.ingest.presets.ALL_PRESETS`); detected from
        the header when omitted.
    tz
        IANA zone of timestamps written without an offset; defaults to the
        preset's zone, then to the settings' ``default_tz``.
    mapping
        Canonical field -> column name, overriding the preset.
    first_response_activities, resolved_activities
        Event logs: which activity values mean first response and resolution.
    date_order
        ``"dmy"`` or ``"mdy"`` for numeric dates that fit both readings.
    dry_run
        Validate and count, write nothing.
    lock_timeout
        Seconds to wait for another import or deletion writing to the same
        store (default :data:`analytics.store.WRITE_LOCK_TIMEOUT_S`); imports
        run one at a time, the later one queueing behind the earlier.
    actor
        Who imports (default :data:`analytics.access.SYSTEM`): an analyst or
        admin; the import is recorded in the audit log in its transaction.

    Raises
    ------
    ImportFailed
        When nothing could be imported (including a store still busy after
        ``lock_timeout``); the store is unchanged.
    analytics.access.PermissionDenied
        When ``actor`` may not import; nothing is read.
    """
    actor = actor or access.SYSTEM
    access.require(actor, "import")
    settings = settings or load_settings()
    path = Path(path)
    started = datetime.now(UTC)
    report_progress = progress or (lambda fraction, message: None)
    file_name = file_name or path.name
    if not path.exists():
        raise ImportFailed(f"{file_name}: no such file")
    if date_order not in (None, "dmy", "mdy"):
        raise ImportFailed(f"date order must be dmy or mdy, not {date_order!r}")
    workdir = Path(tempfile.mkdtemp(prefix="backlog-radar-"))
    try:
        report_progress(0.02, "reading the file")
        # Refuse an oversized file before the hash thread starts reading it.
        files.check_size(path, file_name, settings.max_upload_mb * 1024**2)
        sha = _hash_in_background(path)
        tabular = _open(path, workdir, file_name, encoding, delimiter, quote, header, settings)
        chosen, _ = _choose_preset(tabular.columns, preset)
        if chosen.name == GENERIC.name and not mapping:
            guesses = guess_mapping(tabular.columns)
            hint = " ".join(f"{f}={c!r}" for f, c in guesses.items())
            raise ImportFailed(
                f"{file_name}: no preset recognises this header; map the columns "
                f"(--preset generic --map ticket_id=COLUMN created_at=COLUMN ...)"
                + (f"; a guess: --map {hint}" if hint else "")
            )
        try:
            positions = resolve_mapping(chosen, tabular.columns, mapping)
        except MappingError as exc:
            raise ImportFailed(f"{file_name}: {exc}") from exc
        zone = _check_zone(tz or chosen.tz or settings.default_tz)
        fr_mode, fr_list, resolved_list = _activity_rules(
            chosen, first_response_activities, resolved_activities
        )
        report = ImportReport(
            source=source or default_source_name(file_name),
            file_name=file_name,
            sha256="",
            preset=chosen.name,
            preset_label=chosen.label,
            mapping={f: tabular.columns[i] for f, i in positions.items()},
            tz=zone,
            date_formats={},
            dry_run=dry_run,
            started_at=started.isoformat(),
            notes=list(chosen.notes) + tabular.notes,
        )
        cur = con.cursor()
        try:
            # A dry run writes nothing, so it need not queue behind a real import.
            lock = (
                contextlib.nullcontext()
                if dry_run
                else store.write_lock(
                    cur,
                    f"importing {file_name!r} into source {report.source!r}",
                    timeout=store.WRITE_LOCK_TIMEOUT_S if lock_timeout is None else lock_timeout,
                    on_wait=lambda holder: report_progress(0.05, f"waiting: {holder}"),
                )
            )
            with lock:
                try:
                    cur.execute("set TimeZone = 'UTC'")
                    report_progress(0.1, "staging the mapped columns")
                    # Staged before the transaction: a temporary table
                    # committed at once numbers its rows from 0 (rows written
                    # in an open transaction get provisional row ids).
                    _stage_or_retry_serial(cur, tabular, positions)
                    cur.execute("begin transaction")
                    report.sha256 = sha()
                    _run(
                        cur,
                        tabular,
                        chosen,
                        positions,
                        report,
                        date_order,
                        fr_mode,
                        fr_list,
                        resolved_list,
                        report_progress,
                    )
                    _release_staging(cur, event_log=chosen.kind == "event_log")
                    if dry_run:
                        cur.execute("rollback")
                        report.outcome = "dry run"
                    else:
                        report_progress(0.85, "writing")
                        report.finished_at = datetime.now(UTC).isoformat()
                        report.outcome = (
                            "imported with rejects" if report.rows_rejected else "imported"
                        )
                        _write(
                            cur,
                            report,
                            options={
                                "date_order": date_order,
                                "encoding": tabular.dialect.encoding if tabular.dialect else None,
                                "delimiter": tabular.dialect.delimiter if tabular.dialect else None,
                                "first_response_activities": fr_list,
                                "resolved_activities": resolved_list,
                            },
                        )
                        access.record(
                            cur,
                            actor,
                            "import",
                            report.source,
                            {
                                "import_id": report.import_id,
                                "file": report.file_name,
                                "inserted": report.rows_inserted,
                                "updated": report.rows_updated,
                                "rejected": report.rows_rejected,
                            },
                        )
                        cur.execute("commit")
                except BaseException:
                    _rollback(cur)
                    raise
        finally:
            cur.close()
        report.finished_at = report.finished_at or datetime.now(UTC).isoformat()
        report_progress(1.0, "done")
        return report
    except (files.InputFileError, store.StoreBusyError) as exc:
        raise ImportFailed(str(exc)) from exc
    except dates.DateFormatError as exc:
        raise ImportFailed(f"{file_name}: {exc}") from exc
    except duckdb.Error as exc:
        raise ImportFailed(f"{file_name}: {_duckdb_message(exc)}") from exc
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _release_staging(cur: duckdb.DuckDBPyConnection, *, event_log: bool) -> None:
    """End the reading transaction, drop what _actions and _rejects no longer need, begin the write.

    Until now the import has written temporary tables only, so committing
    changes nothing in the store, and the write lock still keeps other writers
    out. DuckDB frees a dropped table only once its transaction ends: dropped
    inside one transaction, the staged text and parsed rows (about 400 MB for
    a million tickets) would stay in memory while the insert sorts.
    """
    cur.execute("commit")
    cur.execute("drop view _incoming")
    cur.execute("drop table _tickets" if event_log else "drop view _tickets")
    cur.execute("drop table _parsed")
    cur.execute("drop view _raw")
    cur.execute("drop table _raw_rows")
    cur.execute("begin transaction")


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction open: nothing to undo
        cur.execute("rollback")


def _sample_rows(tabular: files.TabularInput, rows: int) -> list[tuple]:
    """Return the first ``rows`` records of a file as text, every column."""
    if tabular.kind == "xlsx":
        return [tuple(r.values()) for r in tabular.table.slice(0, rows).to_pylist()]
    con = duckdb.connect()
    try:
        cols = ", ".join(f"c{i}" for i in range(len(tabular.columns)))
        for attempt in (1, 2):
            relation = _relation_sql(tabular, keep_rejects=False)
            try:
                return con.execute(
                    f"select {cols} from {relation} limit {int(rows)}",  # noqa: S608
                    _relation_params(tabular),
                ).fetchall()
            except duckdb.Error as exc:
                if attempt == 2 or not _needs_serial_scan(exc):
                    raise
                tabular.parallel = False
    except duckdb.Error as exc:
        raise ImportFailed(f"{tabular.file_name}: {_duckdb_message(exc)}") from exc
    finally:
        con.close()


# DuckDB messages a person cannot act on, and what they mean in an export.
_DUCKDB_MESSAGES = {
    "state machine reached an invalid state": (
        "a line holds a lone carriage return (CR) outside quotes, so its line endings are "
        "mixed; save the file again as CSV"
    ),
}


def _duckdb_message(exc: duckdb.Error) -> str:
    """Return the first line of a DuckDB error without its type, or its plain meaning if known."""
    text = str(exc).strip().splitlines()[0]
    for fragment, meaning in _DUCKDB_MESSAGES.items():
        if fragment in text:
            return meaning
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


def _open(
    path, workdir, file_name, encoding, delimiter, quote, header, settings
) -> files.TabularInput:
    if delimiter == "\\t":
        delimiter = "\t"
    return files.open_input(
        path,
        workdir,
        file_name=file_name,
        encoding=encoding,
        delimiter=delimiter,
        quote=quote,
        header=header,
        max_bytes=settings.max_upload_mb * 1024**2,
        max_unpacked_bytes=settings.max_unpacked_mb * 1024**2,
    )


def _choose_preset(columns: Sequence[str], name: str | None) -> tuple[Preset, bool]:
    if name:
        if name not in ALL_PRESETS:
            raise ImportFailed(f"unknown preset {name!r}; presets: {', '.join(ALL_PRESETS)}")
        return ALL_PRESETS[name], False
    found = detect_preset(columns)
    return (found, True) if found else (GENERIC, False)


def _check_zone(zone: str) -> str:
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ImportFailed(
            f"unknown time zone {zone!r} (use an IANA name such as Europe/Paris)"
        ) from exc
    return zone


def _activity_rules(preset, first_response, resolved) -> tuple[str, list[str], list[str]]:
    if preset.kind != "event_log":
        return "none", [], []
    if first_response:
        fr_mode, fr_values = "in", list(first_response)
    elif preset.first_response:
        fr_mode, fr_values = preset.first_response[0], list(preset.first_response[1])
    else:
        raise ImportFailed(
            "an event log needs the activities that mean first response "
            "(--first-response-activity) and resolution (--resolved-activity)"
        )
    resolved_values = list(resolved or (preset.resolved[1] if preset.resolved else []))
    if not resolved_values and preset.name == "event-log":
        raise ImportFailed(
            "an event log needs the activities that mean resolution (--resolved-activity)"
        )
    return (
        fr_mode,
        [v.strip().lower() for v in fr_values],
        [v.strip().lower() for v in resolved_values],
    )


def _relation_sql(tabular: files.TabularInput, *, keep_rejects: bool = True) -> str:
    """Return the SQL relation reading the staged file, every column as text ``c0..cN``."""
    if tabular.kind == "xlsx":
        return "_xlsx"
    rejects = (
        "store_rejects = true, rejects_table = '_csv_reject_errors', "
        "rejects_scan = '_csv_reject_scans'"
        if keep_rejects
        else "ignore_errors = true"
    )
    serial = "" if tabular.parallel else "parallel = false, "
    return (
        "read_csv($path, delim = $delim, quote = $quote, escape = $quote, header = $header, "
        "columns = $columns, nullstr = $nulls, null_padding = true, auto_detect = false, "
        f"max_line_size = 16777216, {serial}{rejects})"
    )


def _needs_serial_scan(exc: duckdb.Error) -> bool:
    return "parallel=false" in str(exc)


def _stage(cur, tabular, positions) -> None:
    """Create temp view _raw: record number plus the mapped columns, as text.

    A file read serially has quoted line breaks; then temp table
    _line_offsets also counts, per record, the extra physical lines of the
    records before it, so rejects name the line an editor shows.
    """
    if tabular.kind == "xlsx":
        cur.register("_xlsx", tabular.table)
    select = ", ".join(f'c{pos} as "{fld}"' for fld, pos in positions.items())
    newlines = " + ".join(
        f"(length(coalesce(c{i}, '')) - length(replace(coalesce(c{i}, ''), chr(10), '')))"
        for i in range(len(tabular.columns))
    )
    counting = tabular.kind == "csv" and not tabular.parallel
    cur.execute(
        f"create temp table _raw_rows as select {select}"  # noqa: S608
        + (f", {newlines} as _newlines" if counting else "")
        + f" from {_relation_sql(tabular)}",
        _relation_params(tabular),
    )
    # DuckDB keeps the reader's order on insert (preserve_insertion_order), so
    # the rowid numbers the records (the table is committed, see import_file);
    # row_number() over () would number them on one thread, 40% of staging.
    cur.execute("create temp view _raw as select rowid + 1 as _rec, * from _raw_rows")
    if counting:
        cur.execute(
            """
            create temp table _line_offsets as
            select
                _rec,
                coalesce(
                    sum(_newlines) over (
                        order by _rec rows between unbounded preceding and 1 preceding
                    ),
                    0
                ) as extra_lines
            from _raw
            """
        )


def _stage_or_retry_serial(cur, tabular, positions) -> None:
    """Stage the file; read it again serially if it has quoted line breaks and short rows.

    Staging runs outside a transaction, so the failed read left nothing behind.
    """
    try:
        _stage(cur, tabular, positions)
    except duckdb.Error as exc:
        if not tabular.parallel or not _needs_serial_scan(exc):
            raise
        tabular.parallel = False
        _stage(cur, tabular, positions)


def _relation_params(tabular: files.TabularInput) -> dict:
    if tabular.kind == "xlsx":
        return {}
    d = tabular.dialect
    return {
        "path": str(tabular.csv_path),
        "delim": d.delimiter,
        "quote": d.quote,
        "header": d.header,
        "columns": {f"c{i}": "VARCHAR" for i in range(len(tabular.columns))},
        "nulls": NULL_MARKERS,
    }


def _run(
    cur, tabular, preset, positions, report, date_order, fr_mode, fr_list, resolved_list, progress
):
    """Parse, validate and diff the staged _raw; leaves temp table _actions and fills ``report``."""
    report.rows_read = cur.execute("select count(*) from _raw").fetchone()[0]
    csv_rejects = _csv_rejects(cur, tabular)
    if report.rows_read == 0 and not csv_rejects:
        raise ImportFailed(f"{tabular.file_name} has a header but no rows")

    progress(0.3, "reading dates")
    is_log = preset.kind == "event_log"
    date_fields = [f for f in (*TIMESTAMP_FIELDS, "timestamp") if f in positions]
    profiles = dates.profile_columns(cur, "_raw", date_fields)
    for fld, profile in profiles.items():
        unknown = profile.values - profile.recognised
        if profile.values and profile.recognised == 0:
            raise dates.DateFormatError(
                f"column {report.mapping[fld]!r} ({fld}) holds no date in a known format"
            )
        del unknown
    order = dates.decide_order(profiles, date_order)
    report.date_formats = {
        report.mapping[f]: dates.describe(p, order) for f, p in profiles.items() if p.values
    }
    _parse(cur, positions, profiles, order, is_log, report.tz)

    progress(0.5, "validating")
    if is_log:
        cur.execute(
            f"create temp table _tickets as {store.load_sql('import_event_log_tickets')}",
            {"fr_mode": fr_mode, "fr_activities": fr_list, "resolved_activities": resolved_list},
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
        f"create temp table _actions as {store.load_sql('import_actions')}",
        {"source": report.source},
    )

    progress(0.7, "counting")
    counts = cur.execute(
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
    (
        report.tickets,
        report.rows_inserted,
        report.rows_updated,
        report.rows_unchanged,
        report.rows_flagged,
    ) = counts
    report.flags = dict(
        cur.execute(
            "select flag, count(*) from (select unnest(flags) as flag from _actions) "
            "group by flag order by flag"
        ).fetchall()
    )
    _collect_rejects(cur, tabular, positions, csv_rejects)
    report.rows_rejected = cur.execute("select count(*) from _rejects").fetchone()[0]
    report.preview = [
        dict(zip(PREVIEW_COLUMNS, row, strict=True))
        for row in cur.execute(
            f"select {', '.join(PREVIEW_COLUMNS)} from _actions order by _rec limit ?",  # noqa: S608
            [PREVIEW_ROWS],
        ).fetchall()
    ]
    report.rejects = [
        Reject(*row)
        for row in cur.execute(
            "select line, reason, raw from _rejects order by line nulls last limit ?",
            [MAX_REJECTS_IN_REPORT],
        ).fetchall()
    ]
    if report.tickets == 0:
        first = report.rejects[0] if report.rejects else None
        # a reason quotes the value it refused, which may hold a line break
        detail = f"; line {first.line}: {_one_line(first.reason)}" if first else ""
        raise ImportFailed(
            f"{tabular.file_name}: no valid rows ({report.rows_rejected:,} rejected{detail})"
        )


def _one_line(text: str) -> str:
    """Return ``text`` with its control characters written as escapes (``\\n``, ``\\x00``)."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], text)


def _trimmed(field: str) -> str:
    """Return SQL for ``trim("field")`` that skips the copy when nothing is to trim.

    DuckDB's trim copies every value (a third of the parsing time on a
    million rows); an ASCII value (as many bytes as characters) has only the
    space to trim, which ``prefix``/``suffix`` check without copying.
    """
    v = f'"{field}"'
    return (
        f"case when strlen({v}) = length({v}) and not prefix({v}, ' ') "
        f"and not suffix({v}, ' ') then {v} else trim({v}) end"
    )


def _parse(cur, positions, profiles, order, is_log, tz: str) -> None:
    """Create temp table _parsed: typed canonical columns plus a reject reason per record.

    Three steps, each value trimmed once and parsed once: ``trimmed`` (the
    staged text), ``typed`` (canonical columns, plus the text of each field a
    row can be rejected for), ``final`` (reasons, durations in minutes
    applied). Every identifier below is a canonical field name from code; the
    user's column names never reach SQL (they were replaced by positions in
    staging).
    """
    trimmed = ["_rec"] + [f'{_trimmed(fld)} as "{fld}"' for fld in positions]
    typed = ["_rec", "nullif(\"ticket_id\", '') as ticket_id"]
    reasons = ["case when ticket_id is null then 'missing ticket id' end"]
    checked = []  # fields whose text is kept to name it in a reason
    required = "timestamp" if is_log else "created_at"
    for fld in TIMESTAMP_FIELDS + (("timestamp",) if is_log else ()):
        if fld not in positions:
            typed.append(f'null::timestamptz as "{fld}"')
            continue
        typed.append(f'{dates.parse_expression(fld, profiles[fld], order)} as "{fld}"')
        checked.append(fld)
        reasons.append(
            f'case when nullif("_text_{fld}", \'\') is not null and "{fld}" is null '
            f"then 'unparseable {fld}: ' || \"_text_{fld}\" end"
        )
        if profiles[fld].iso_offset:
            reasons.append(
                f"case when regexp_full_match(\"_text_{fld}\", '{dates.IMPOSSIBLE_OFFSET}') "
                f"then 'impossible UTC offset in {fld}: ' || \"_text_{fld}\" end"
            )
        reasons.append(
            f"case when year(\"{fld}\" at time zone 'UTC') "
            f"not between {dates.FIRST_YEAR} and {dates.LAST_YEAR} "
            f"then '{fld} outside {dates.FIRST_YEAR}-{dates.LAST_YEAR}: ' "
            f'|| "_text_{fld}" end'
        )
    reasons.append(
        f"case when nullif(\"_text_{required}\", '') is null then 'missing {required}' end"
        if required in positions
        else f"'missing {required}'"
    )
    derived = {}
    for fld, target in MINUTES_FIELDS.items():
        if fld in positions and target not in positions:
            number = f"try_cast(replace(\"{fld}\", ',', '.') as double)"
            # Beyond a century (or inf, nan) the sum with created_at overflows
            # DuckDB's interval and would fail the whole import; reject the row instead.
            typed.append(
                f'(case when abs({number}) <= {MAX_MINUTES} then {number} end) as "_{fld}"'
            )
            checked.append(fld)
            reasons.append(
                f'case when nullif("_text_{fld}", \'\') is not null and "_{fld}" is null '
                f"then 'unparseable {fld}: ' || \"_text_{fld}\" end"
            )
            derived[target] = f'created_at + to_seconds("_{fld}" * 60)'
    text_fields = (*TEXT_FIELDS, "activity", "actor") if is_log else TEXT_FIELDS
    for fld in text_fields:
        typed.append(
            f'nullif("{fld}", \'\') as "{fld}"' if fld in positions else f'null::varchar as "{fld}"'
        )
    for fld in (*INTEGER_FIELDS, "sequence") if is_log else INTEGER_FIELDS:
        kind = "bigint" if fld == "sequence" else "integer"
        typed.append(
            f'try_cast("{fld}" as {kind}) as "{fld}"'
            if fld in positions
            else f'null::{kind} as "{fld}"'
        )
    typed += [f'"{fld}" as "_text_{fld}"' for fld in checked]
    helpers = [f'"_text_{fld}"' for fld in checked] + [
        f'"_{f}"' for f, t in MINUTES_FIELDS.items() if t in derived
    ]
    # Minutes-after-creation fields need the parsed created_at, hence the last step.
    replaced = ", ".join(f'{expr} as "{target}"' for target, expr in derived.items())
    final = (
        "select *"  # noqa: S608
        + (f" exclude ({', '.join(helpers)})" if helpers else "")
        + (f" replace ({replaced})" if derived else "")
        + f", nullif(concat_ws('; ', {', '.join(reasons)}), '') as _reason from typed"
    )
    sql = (
        f"with trimmed as (select {', '.join(trimmed)} from _raw), "  # noqa: S608
        f"typed as (select {', '.join(typed)} from trimmed), "
        f"final as ({final}) select * from final"
    )
    cur.execute(f"create temp table _parsed as {sql}", {"tz": tz} if "$tz" in sql else None)


def _csv_rejects(cur, tabular) -> int:
    if tabular.kind != "csv":
        return 0
    exists = cur.execute(
        "select count(*) from duckdb_tables() where table_name = '_csv_reject_errors'"
    ).fetchone()[0]
    if not exists:
        return 0
    return cur.execute("select count(*) from _csv_reject_errors").fetchone()[0]


def _collect_rejects(cur, tabular, positions: dict[str, int], csv_rejects: int) -> None:
    """Create temp table _rejects (line, reason, raw) from the reader's and the validator's rejects.

    ``raw`` holds only the columns the import maps, in file order: the rest of
    a row (requester names, e-mails, subjects) is personal data the store
    never keeps, rejected or not.
    """
    header = tabular.header_lines
    mapped = sorted(set(positions.items()), key=lambda item: item[1])
    cells = ", ".join(f"coalesce(p.\"{fld}\", '')" for fld, _ in dict(mapped).items())
    if csv_rejects:
        # The reader skips the lines it rejects, so record numbers drift from
        # line numbers after each one; shift them back.
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
        line_expr = "p._rec + $header + (select count(*) from _reader_rejects r where r.good_before < p._rec)"
    else:
        line_expr = "p._rec + $header"
    if _table_exists(cur, "_line_offsets"):
        line_expr += " + coalesce(o.extra_lines, 0)"
        join = "left join _line_offsets o using (_rec)"
    else:
        join = ""
    cur.execute(
        f"""
        create temp table _rejects as
        select {line_expr} as line, p._reason as reason, concat_ws($sep, {cells}) as raw
        from _parsed p
        join _raw as r using (_rec)
        {join}
        where p._reason is not null
        """.replace("coalesce(p.", "coalesce(r."),  # noqa: S608
        {"header": header, "sep": tabular.dialect.delimiter if tabular.dialect else ","},
    )
    if csv_rejects:
        rows = cur.execute("select line, reason, csv_line from _reader_rejects").fetchall()
        kept = [
            (line, reason, _mapped_fields(text, tabular, [pos for _, pos in mapped]))
            for line, reason, text in rows
        ]
        cur.executemany("insert into _rejects values (?, ?, ?)", kept)


def _mapped_fields(text: str | None, tabular, positions: list[int]) -> str | None:
    """Return the mapped fields of a raw CSV line the reader refused (few such lines)."""
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


def _write(cur, report: ImportReport, options: dict) -> None:
    report.import_id = cur.execute(
        """
        insert into imports (
            source, file_name, sha256, preset, mapping, options,
            rows_read, rows_inserted, rows_updated, rows_unchanged, rows_rejected, rows_flagged,
            started_at, finished_at, outcome
        ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        returning import_id
        """,
        [
            report.source,
            report.file_name,
            report.sha256,
            report.preset,
            json.dumps(report.mapping),
            json.dumps(options),
            report.rows_read,
            report.rows_inserted,
            report.rows_updated,
            report.rows_unchanged,
            report.rows_rejected,
            report.rows_flagged,
            report.started_at,
            report.finished_at,
            report.outcome,
        ],
    ).fetchone()[0]
    cur.execute("insert into rejects select ?, line, reason, raw from _rejects", [report.import_id])
    # Changed tickets are deleted and written again with the new ones: a plain
    # insert skips the conflict checks (a third less time and memory than an
    # upsert on a million-ticket import) and keeps its creation order.
    if report.rows_updated:
        cur.execute(store.load_sql("import_delete_changed"), {"source": report.source})
    cur.execute(
        store.load_sql("import_insert"),
        {"source": report.source, "import_id": report.import_id},
    )
    store.bump_data_version(cur)
