"""Commands about the store's history: snapshots, undo-import, maintain."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import timedelta

from analytics import snapshots
from analytics.cli.parser import open_store
from analytics.cli.users import cli_actor


def cmd_snapshots(args: argparse.Namespace) -> int:
    con = open_store(args)
    try:
        shown = snapshots.list_snapshots(con, args.limit, include_sessions=args.all)
    finally:
        con.close()
    if args.json:
        print(json.dumps({"snapshots": [asdict(s) for s in shown]}, default=str))
        return 0
    for s in shown:
        print(format_snapshot(s))
    return 0


def format_snapshot(snapshot: snapshots.Snapshot) -> str:
    """Return one line for a terminal: id, when, who, what, on what, the changes."""
    what = snapshot.what or "(unlabelled)"
    target = f" {snapshot.target}" if snapshot.target else ""
    changes = f": {snapshot.changes}" if snapshot.changes else ""
    undo = " (undo-import possible)" if snapshot.undoable else ""
    return (
        f"{snapshot.id:>6} {snapshot.at:%Y-%m-%d %H:%M:%S} {snapshot.author or '-'} "
        f"{what}{target}{changes}{undo}"
    )


def cmd_undo_import(args: argparse.Namespace) -> int:
    con = open_store(args)
    try:
        report = snapshots.undo_import(con, args.import_id, actor=cli_actor())
    finally:
        con.close()
    print(
        f"undid import #{report.import_id} ({report.file_name}) of source {report.source!r}: "
        f"{report.tickets_removed:,} tickets removed, {report.tickets_restored:,} restored"
    )
    return 0


def cmd_maintain(args: argparse.Namespace) -> int:
    con = open_store(args)
    try:
        report = snapshots.maintain(
            con,
            retention_days=args.retention_days,
            actor=cli_actor(),
            file_grace=timedelta(minutes=args.grace_minutes),
        )
    finally:
        con.close()
    if args.json:
        print(json.dumps(asdict(report)))
        return 0
    freed = "" if report.bytes_freed is None else f" ({report.bytes_freed / 1024**2:,.1f} MiB)"
    print(
        f"moved {report.rows_flushed:,} rows of small writes to files\n"
        f"expired {report.snapshots_expired:,} snapshots older than {args.retention_days:g} days\n"
        f"merged {report.files_merged:,} small files into {report.files_written:,}\n"
        f"removed {report.files_removed:,} files no snapshot needs{freed}"
    )
    return 0
