"""Commands that write or list data: import, sources, delete-source, import-events, sample."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from analytics import events, ingest, store
from analytics.cli.parser import open_store
from analytics.cli.users import cli_actor
from analytics.settings import load_settings


def _parse_map(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip():
            raise ingest.ImportFailed(f"--map takes FIELD=COLUMN, not {pair!r}")
        mapping[field.strip()] = column
    return mapping


def _terminal_progress(fraction: float, message: str) -> None:
    width = 30
    done = int(fraction * width)
    sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {message:<40}")
    if fraction >= 1:
        sys.stderr.write("\n")
    sys.stderr.flush()


def cmd_import(args: argparse.Namespace) -> int:
    mapping = _parse_map(args.map)
    con = open_store(args)
    try:
        report = ingest.import_file(
            con,
            args.file,
            actor=cli_actor(),
            source=args.source,
            preset=args.preset,
            tz=args.tz,
            mapping=mapping or None,
            first_response_activities=args.first_response_activity or None,
            resolved_activities=args.resolved_activity or None,
            date_order=args.date_order,
            encoding=args.encoding,
            delimiter=args.delimiter,
            header=False if args.no_header else None,
            dry_run=args.dry_run,
            progress=_terminal_progress if sys.stderr.isatty() and not args.json else None,
            settings=load_settings(),
            # The upload limit is the browser's: a file on this machine's disk
            # is streamed, whatever its size.
            max_mb=None,
        )
    finally:
        con.close()
    if args.json:
        print(json.dumps(report.to_dict(), default=str))
    else:
        print(format_report(report))
    return 0


def format_report(report: ingest.ImportReport) -> str:
    """Return the report as a few lines of text for a terminal."""
    verb = "would import" if report.dry_run else "imported"
    lines = [
        f"{report.file_name}: {report.preset_label} -> source {report.source!r}"
        + (f" (import #{report.import_id})" if report.import_id else ""),
        f"  {verb} {report.tickets:,} tickets from {report.rows_read:,} rows: "
        f"{report.rows_inserted:,} new, {report.rows_updated:,} updated, "
        f"{report.rows_unchanged:,} unchanged",
        f"  rejected {report.rows_rejected:,} rows; flagged {report.rows_flagged:,} tickets"
        + (
            " (" + ", ".join(f"{k} {v:,}" for k, v in report.flags.items()) + ")"
            if report.flags
            else ""
        ),
        f"  times read in {report.tz}: "
        + "; ".join(f"{col}: {fmt}" for col, fmt in report.date_formats.items()),
    ]
    for reject in report.rejects[:5]:
        lines.append(f"  line {reject.line}: {reject.reason}")
    if report.rows_rejected > 5:
        lines.append(f"  ... {report.rows_rejected - 5:,} more rejects")
    lines += [f"  note: {note}" for note in report.notes]
    return "\n".join(lines)


def cmd_sources(args: argparse.Namespace) -> int:
    con = open_store(args)
    try:
        sources = store.list_sources(con)
    finally:
        con.close()
    if args.json:
        print(json.dumps({"sources": [asdict(s) for s in sources]}, default=str))
        return 0
    if not sources:
        print("no sources yet: import a file with `python -m analytics import FILE`")
    for s in sources:
        span = f"{s.first_created_at:%Y-%m-%d} to {s.last_created_at:%Y-%m-%d}"
        print(f"{s.source}: {s.tickets:,} tickets ({s.open_tickets:,} open), created {span}")
    return 0


def cmd_delete_source(args: argparse.Namespace) -> int:
    con = open_store(args)
    try:
        deleted = store.delete_source(con, args.name, actor=cli_actor())
    finally:
        con.close()
    print(f"deleted source {args.name!r} ({deleted:,} tickets)")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from analytics.sample import SimInputError, write_sample

    try:
        files = write_sample(
            args.out, start=args.start, years=args.years, scale=args.scale, seed=args.seed
        )
    except SimInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {files.tickets_csv} and {files.events_csv}")
    return 0


def cmd_import_events(args: argparse.Namespace) -> int:
    con = open_store(args)
    try:
        count = events.import_events_csv(con, args.file, source=args.source, actor=cli_actor())
    finally:
        con.close()
    owner = events.scope(args.source)
    scope = "every source" if owner is None else f"source {owner!r}"
    print(f"imported {count} events from {args.file} (rows without a source: {scope})")
    return 0
