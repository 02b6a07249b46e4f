"""Importing a helpdesk export into the store: one function, one transaction.

:func:`import_file` is the only way tickets enter the store; the command line
and the Data page both call it. The pipeline is SQL in DuckDB from end to end,
in five stages: read (open the file, stage the mapped columns as text), map
(preset and columns), parse (dates and types), validate (reject, normalise,
diff against the store) and write. Every stage before the write writes
temporary tables only; the write is one transaction, so a failure at any
point leaves the store exactly as it was.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from analytics import access, store
from analytics.canonical import CSAT_NUMBER_SCALES
from analytics.i18n import N_
from analytics.ingest import dates, files, limits, parse, ratings, read, validate, write
from analytics.ingest.mapping import Plan, choose_preset, map_columns
from analytics.ingest.model import (
    FilePreview,
    ImportFailed,
    ImportOptions,
    ImportReport,
    InputFileError,
    Progress,
    default_source_name,
)
from analytics.ingest.presets import MappingError, guess_mapping, resolve_mapping
from analytics.settings import Settings


@dataclass(frozen=True)
class _Request:
    """One call of :func:`import_file`, checked, as the stages need it."""

    path: Path
    file_name: str
    options: ImportOptions
    settings: Settings
    limits: limits.Limits
    actor: access.User
    progress: Progress
    lock_timeout: float
    workdir: Path
    started: datetime


def preview_file(
    path: Path,
    *,
    file_name: str | None = None,
    preset: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    rows: int = 10,
    settings: Settings,
    max_mb: limits.MaxMB = limits.UPLOAD,
) -> FilePreview:
    """Return the detected preset, guessed mapping and first raw rows of a file.

    ``max_mb`` is the size limit, as for :func:`import_file`.

    Raises
    ------
    ImportFailed
        When the file cannot be read at all.
    """
    workdir = Path(tempfile.mkdtemp(prefix="backlog-radar-"))
    try:
        try:
            source = read.open_file(
                path,
                workdir,
                limits.for_import(settings, max_mb),
                file_name=file_name,
                encoding=encoding,
                delimiter=delimiter,
                header=header,
            )
        except InputFileError as exc:
            raise ImportFailed.because(exc) from exc
        chosen, detected = choose_preset(source.columns, preset)
        mapping_error = None
        try:
            positions = resolve_mapping(chosen, source.columns)
            mapping = {f: source.columns[i] for f, i in positions.items()}
        except MappingError as exc:
            mapping = guess_mapping(source.columns, chosen.kind)
            mapping_error = str(exc)
        sample = read.sample_rows(source, rows)
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
    options: ImportOptions | None = None,
    *,
    settings: Settings,
    actor: access.User | None = None,
    progress: Progress | None = None,
    lock_timeout: float | None = None,
    max_mb: limits.MaxMB = limits.UPLOAD,
    **fields: Any,
) -> ImportReport:
    """Import one export file into the store behind ``con``; return what happened.

    Parameters
    ----------
    settings
        The size limits and the default time zone.
    options
        How to read the file (see :class:`ImportOptions`); keyword arguments
        named after its fields (``source="emea"``, ``dry_run=True``) override it.
    actor
        Who imports (default :data:`analytics.access.SYSTEM`): an analyst or
        admin; the import is recorded in the audit log in its transaction.
    progress
        Called with the fraction done and the stage's name.
    lock_timeout
        Seconds to wait for another import or deletion writing to the same
        store (default :data:`analytics.store.WRITE_LOCK_TIMEOUT_S`); imports
        run one at a time, the later one queueing behind the earlier.
    max_mb
        The largest file accepted, in MB: ``"upload"`` (the default), the
        browser upload's ``max_upload_mb``; None, any size, for a file on this
        machine (the command line, a drop folder: :mod:`analytics.ingest.limits`).
        Either way the file is streamed, never held in memory whole.

    Raises
    ------
    ImportFailed
        When nothing could be imported (including a store still busy after
        ``lock_timeout``); the store is unchanged.
    analytics.access.PermissionDenied
        When ``actor`` may not import; nothing is read.
    """
    options = replace(options or ImportOptions(), **fields)
    actor = actor or access.SYSTEM
    access.require(actor, "import")
    request = _request(Path(path), options, settings, actor, progress, lock_timeout, max_mb)
    try:
        return _import(con, request)
    except (InputFileError, store.StoreBusyError) as exc:
        raise ImportFailed.because(exc) from exc
    except dates.DateFormatError as exc:
        raise ImportFailed.because(exc, where=request.file_name) from exc
    except duckdb.Error as exc:
        raise ImportFailed(
            N_("{reason}"), where=request.file_name, reason=read.duckdb_message(exc)
        ) from exc
    finally:
        shutil.rmtree(request.workdir, ignore_errors=True)


def _request(
    path: Path,
    options: ImportOptions,
    settings: Settings,
    actor: access.User,
    progress: Progress | None,
    lock_timeout: float | None,
    max_mb: limits.MaxMB,
) -> _Request:
    """Return the checked request, with a fresh scratch folder the caller removes.

    Raises
    ------
    ImportFailed
        When the file does not exist or the date order is neither dmy nor mdy.
    """
    started = datetime.now(UTC)
    file_name = options.file_name or path.name
    if not path.exists():
        raise ImportFailed(N_("{name}: no such file"), name=file_name)
    if options.date_order not in (None, "dmy", "mdy"):
        raise ImportFailed(
            N_("date order must be dmy or mdy, not {order!r}"), order=options.date_order
        )
    if options.csat_scale is not None and options.csat_scale not in CSAT_NUMBER_SCALES:
        raise ImportFailed(
            N_("the rating scale must be 5, 10 or 100, not {scale}"),
            scale=repr(options.csat_scale),
        )
    return _Request(
        path=path,
        file_name=file_name,
        options=options,
        settings=settings,
        limits=limits.for_import(settings, max_mb),
        actor=actor,
        progress=progress or (lambda fraction, message: None),
        lock_timeout=store.WRITE_LOCK_TIMEOUT_S if lock_timeout is None else lock_timeout,
        workdir=Path(tempfile.mkdtemp(prefix="backlog-radar-")),
        started=started,
    )


def _import(con: duckdb.DuckDBPyConnection, request: _Request) -> ImportReport:
    """Run the stages in order under the store's write lock; return the report."""
    options, progress = request.options, request.progress
    progress(0.02, N_("reading the file"))
    # Refuse an oversized file before the hash thread starts reading it.
    limits.check_size(request.path, request.file_name, request.limits.file)
    sha = read.hash_in_background(request.path)
    tabular = read.open_file(
        request.path,
        request.workdir,
        request.limits,
        file_name=request.file_name,
        encoding=options.encoding,
        delimiter=options.delimiter,
        quote=options.quote,
        header=options.header,
    )
    plan = map_columns(tabular, options, request.settings.default_tz)
    report = _new_report(request, tabular, plan)
    cur = store.cursor(con)
    try:
        with _write_lock(cur, request, report.source):
            cur.execute("set TimeZone = 'UTC'")
            progress(0.1, N_("staging the mapped columns"))
            # Staged before any transaction: a temporary table committed at
            # once numbers its rows from 0, which the record numbers rely on.
            read.stage(cur, tabular, plan.positions)
            # Temporary tables only, each statement committed on its own: on
            # DuckDB 1.5 a transaction's own new rows are two to three times
            # slower to write and read again than committed ones, and nothing
            # here needs undoing (the cursor's temporary tables die with it).
            report.sha256 = sha()
            _parse_and_validate(cur, tabular, plan, report, request)
            write.release_staging(cur, event_log=plan.event_log)
            if options.dry_run:
                report.outcome = "dry run"
            else:
                progress(0.85, N_("writing"))
                report.finished_at = datetime.now(UTC).isoformat()
                report.outcome = "imported with rejects" if report.rows_rejected else "imported"
                write.write(
                    cur,
                    report,
                    _recorded_options(tabular, plan, options),
                    request.actor,
                    tickets=not plan.ratings_only,
                )
    finally:
        cur.close()
    report.finished_at = report.finished_at or datetime.now(UTC).isoformat()
    progress(1.0, N_("done"))
    return report


def _new_report(request: _Request, tabular: files.TabularInput, plan: Plan) -> ImportReport:
    """Return the report of an import about to read ``tabular``, nothing counted yet."""
    return ImportReport(
        source=request.options.source or default_source_name(request.file_name),
        file_name=request.file_name,
        sha256="",
        preset=plan.preset.name,
        preset_label=plan.preset.label,
        mapping={f: tabular.columns[i] for f, i in plan.positions.items()},
        tz=plan.tz,
        date_formats={},
        dry_run=request.options.dry_run,
        started_at=request.started.isoformat(),
        notes=list(plan.preset.notes) + tabular.notes,
    )


def _write_lock(cur: duckdb.DuckDBPyConnection, request: _Request, source: str):
    """Return the store's write lock for this import; a dry run writes nothing, so it need not queue."""
    if request.options.dry_run:
        return contextlib.nullcontext()
    return store.write_lock(
        cur,
        f"importing {request.file_name!r} into source {source!r}",
        timeout=request.lock_timeout,
        on_wait=lambda holder: request.progress(0.05, f"waiting: {holder}"),
    )


def _parse_and_validate(
    cur: duckdb.DuckDBPyConnection,
    tabular: files.TabularInput,
    plan: Plan,
    report: ImportReport,
    request: _Request,
) -> None:
    """Run the parse and validate stages on the staged file; leaves _actions, _rating_actions and _rejects."""
    csv_rejects = validate.count_rows(cur, tabular, report)
    request.progress(0.3, N_("reading dates"))
    scales = parse.parse(cur, plan, report, request.options.date_order)
    request.progress(0.5, N_("validating"))
    validate.validate(cur, tabular, plan, report, csv_rejects, request.progress)
    if scales:
        report.notes.append(ratings.note(cur, report, scales, dry_run=request.options.dry_run))


def _recorded_options(tabular: files.TabularInput, plan: Plan, options: ImportOptions) -> dict:
    """Return how the file was read, as recorded with the import."""
    return {
        "date_order": options.date_order,
        "encoding": tabular.dialect.encoding if tabular.dialect else None,
        "delimiter": tabular.dialect.delimiter if tabular.dialect else None,
        "first_response_activities": list(plan.first_response),
        "resolved_activities": list(plan.resolved),
    }
