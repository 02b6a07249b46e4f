"""The command line: ``python -m analytics COMMAND ...``.

Every command is a thin client of the library, like the app. Errors are one
line on stderr and a non-zero exit status; ``--json`` prints one JSON object
on stdout with stable keys.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from analytics import access, events, exports, ingest, metrics, report, store
from analytics.forecast import impact
from analytics.ingest import ALL_PRESETS
from analytics.settings import SAMPLE_DIR, SAMPLE_SOURCE, load_settings


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every command."""
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="python -m analytics", description="Backlog Radar")
    commands = parser.add_subparsers(dest="command", required=True)
    db_help = f"DuckDB database file (default: {settings.db_path})"

    imp = commands.add_parser("import", help="import a helpdesk export into the store")
    imp.add_argument("file", type=Path)
    imp.add_argument("--db", type=Path, default=settings.db_path, help=db_help)
    imp.add_argument("--source", help="dataset name (default: from the file name)")
    imp.add_argument("--preset", choices=sorted(ALL_PRESETS), help="default: detected")
    imp.add_argument("--tz", help="IANA time zone of timestamps without an offset")
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="map a canonical field to a column (repeatable); column names may hold spaces",
    )
    imp.add_argument("--first-response-activity", action="append", default=[], metavar="A")
    imp.add_argument("--resolved-activity", action="append", default=[], metavar="A")
    imp.add_argument("--date-order", choices=["dmy", "mdy"])
    imp.add_argument("--encoding", help="default: detected (utf-8, cp1252, latin-1, utf-16)")
    imp.add_argument("--delimiter", help="default: detected among , ; tab |")
    imp.add_argument("--no-header", action="store_true", help="the first row is data")
    imp.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    imp.add_argument("--json", action="store_true", help="print the report as one JSON object")

    src = commands.add_parser("sources", help="list the sources in the store")
    src.add_argument("--db", type=Path, default=settings.db_path, help=db_help)
    src.add_argument("--json", action="store_true")

    dele = commands.add_parser("delete-source", help="delete a source and everything it holds")
    dele.add_argument("name")
    dele.add_argument("--db", type=Path, default=settings.db_path, help=db_help)

    ev = commands.add_parser("import-events", help="add or replace events from a CSV file")
    ev.add_argument("file", type=Path)
    ev.add_argument("--db", type=Path, default=settings.db_path, help=db_help)
    ev.add_argument(
        "--source",
        metavar="NAME",
        help="the source the events belong to, or 'all' (the default) for every source; "
        "a row's own source cell wins",
    )

    met = commands.add_parser("metrics", help="print the overview figures of a selection")
    met.add_argument("--db", type=Path, default=settings.db_path, help=db_help)
    met.add_argument("--source", help="default: the only source, or 'sample'")
    met.add_argument("--from", dest="first_day", type=date.fromisoformat, metavar="DATE")
    met.add_argument("--to", dest="last_day", type=date.fromisoformat, metavar="DATE")
    met.add_argument("--tz", default="UTC", help="display time zone: day boundaries")
    met.add_argument("--business-hours", action="store_true", help="durations in business hours")
    met.add_argument("--json", action="store_true", help="one JSON object (the default output)")

    imp_ = commands.add_parser("impact", help="measure the impact of a calendar event")
    imp_.add_argument("--event", required=True, help="the event's name in the calendar")
    imp_.add_argument("--region", help="when several events share the name")
    imp_.add_argument("--db", type=Path, default=settings.db_path, help=db_help)
    imp_.add_argument("--source", help="default: the only source, or 'sample'")
    imp_.add_argument("--tz", default=settings.default_tz, help="time zone of the days")
    imp_.add_argument("--save", action="store_true", help="save the effect for the forecast")
    imp_.add_argument("--json", action="store_true", help="one JSON object (the default output)")

    fc = commands.add_parser("forecast", help="forecast arrivals, backtested per series")
    fc.add_argument("--db", type=Path, default=settings.db_path, help=db_help)
    fc.add_argument("--source", help="default: the only source, or 'sample'")
    fc.add_argument("--from", dest="first_day", type=date.fromisoformat, metavar="DATE",
                    help="first day of history used")  # fmt: skip
    fc.add_argument("--to", dest="last_day", type=date.fromisoformat, metavar="DATE",
                    help="last day of history used: forecast as of then")  # fmt: skip
    fc.add_argument("--freq", choices=["D", "H"], default="D", help="daily or hourly")
    fc.add_argument("--horizon", type=int, help="periods ahead (default 28 days or 48 hours)")
    fc.add_argument("--by", choices=["region", "channel", "category"], help="one series per value")
    fc.add_argument("--backtest", type=int, default=8, metavar="K",
                    help="rolling origins (0: no backtest, default model)")  # fmt: skip
    fc.add_argument("--tz", default="UTC", help="time zone of days and hours")
    fc.add_argument("--json", action="store_true", help="print one JSON object")
    fc.add_argument("--out", type=Path, metavar="FILE.csv", help="write the forecasts as CSV")

    rep = commands.add_parser("report", help="write the weekly executive report (HTML or PDF)")
    rep.add_argument("--db", type=Path, default=settings.db_path, help=db_help)
    rep.add_argument("--source", help="default: the only source, or 'sample'")
    rep.add_argument("--week", help="ISO week such as 2026-W47 (default: the last complete one)")
    rep.add_argument("--region", help="one region (default: all)")
    rep.add_argument("--lang", choices=["en", "fr"], default="en")
    rep.add_argument("--format", dest="fmt", choices=["html", "pdf"], default="html")
    rep.add_argument("--tz", default=settings.default_tz, help="time zone of the days")
    rep.add_argument("--out", type=Path, required=True, help="folder to write the file in")

    users_help = f"local users file (default: {settings.access.users_file})"
    add = commands.add_parser("add-user", help="add a local user, or change one's role/password")
    add.add_argument("name")
    add.add_argument("--role", choices=access.ROLES, required=True)
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin instead of prompting",
    )
    add.add_argument(
        "--keep-password", action="store_true", help="change only the role of an existing user"
    )
    add.add_argument("--users-file", type=Path, default=settings.access.users_file, help=users_help)
    add.add_argument("--db", type=Path, default=settings.db_path, help=db_help)

    rm = commands.add_parser("remove-user", help="remove a local user")
    rm.add_argument("name")
    rm.add_argument("--users-file", type=Path, default=settings.access.users_file, help=users_help)
    rm.add_argument("--db", type=Path, default=settings.db_path, help=db_help)

    un = commands.add_parser("unlock-user", help="forgive a user's failed sign-ins")
    un.add_argument("name")
    un.add_argument("--db", type=Path, default=settings.db_path, help=db_help)

    us = commands.add_parser("users", help="list the local users and their roles")
    us.add_argument("--users-file", type=Path, default=settings.access.users_file, help=users_help)
    us.add_argument("--json", action="store_true")

    au = commands.add_parser("audit", help="print the audit log, newest first")
    au.add_argument("--db", type=Path, default=settings.db_path, help=db_help)
    au.add_argument("--limit", type=int, default=50)
    au.add_argument("--action", help="only this action (e.g. import, delete_source, sign_in)")
    au.add_argument("--json", action="store_true")

    sample = commands.add_parser("sample", help="simulate the built-in sample desk")
    sample.add_argument("--out", type=Path, default=SAMPLE_DIR)
    sample.add_argument("--start", type=date.fromisoformat, default=date(2023, 1, 2))
    sample.add_argument("--years", type=float, default=3.0)
    sample.add_argument("--scale", type=float, default=1.0)
    sample.add_argument("--seed", type=int, default=42)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (
        ingest.ImportFailed,
        store.StoreError,
        events.EventsError,
        impact.ImpactError,
        report.ReportError,
        access.AccessError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def cli_actor() -> access.User:
    """Return who acts from the command line: whoever may write the database file is its admin."""
    return access.User(f"cli:{getpass.getuser()}", "admin", "cli")


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
    con = store.connect(args.db)
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
    con = store.connect(args.db)
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
    con = store.connect(args.db)
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
    con = store.connect(args.db)
    try:
        count = events.import_events_csv(con, args.file, source=args.source, actor=cli_actor())
    finally:
        con.close()
    owner = events.scope(args.source)
    scope = "every source" if owner is None else f"source {owner!r}"
    print(f"imported {count} events from {args.file} (rows without a source: {scope})")
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    con = store.connect(args.db)
    try:
        source = _default_source(con, args.source)
        span = metrics.source_span(con, source)
        first = args.first_day or span.first_created_at.astimezone(ZoneInfo(args.tz)).date()
        last = args.last_day or span.as_of.astimezone(ZoneInfo(args.tz)).date()
        start, end = metrics.period(first, last, args.tz)
        selection = metrics.Selection(
            source=source, start=start, end=end, tz=args.tz, business_hours=args.business_hours
        )
        figures = metrics.overview(con, selection).to_dict()
    finally:
        con.close()
    print(
        json.dumps(
            {"source": source, "from": first.isoformat(), "to": last.isoformat(), **figures},
            default=float,
        )
    )
    return 0


def _default_source(con, requested: str | None) -> str:
    """Return the source a command works on: the one named, the only one, or the sample."""
    names = [s.source for s in store.list_sources(con)]
    source = requested or (
        names[0] if len(names) == 1 else SAMPLE_SOURCE if SAMPLE_SOURCE in names else None
    )
    if source is None:
        raise store.StoreError(
            "name a source with --source" + (f" ({', '.join(names)})" if names else "")
        )
    if source not in names:
        raise store.StoreError(f"no source named {source!r}")
    return source


def cmd_impact(args: argparse.Namespace) -> int:
    con = store.connect(args.db)
    try:
        source = _default_source(con, args.source)
        event = impact.find_event(con, args.event, args.region, source)
        result = impact.estimate(con, source, event["event_id"], tz=args.tz)
        if args.save:
            impact.save_effects(con, result)
    finally:
        con.close()
    arr, did, frt = result.arrivals, result.did, result.first_response
    print(
        json.dumps(
            {
                "event": event["name"],
                "region": event["region"],
                "source": source,
                "method": f"intervention: {arr.model}",
                "effect_pct": arr.effect_pct,
                "low_pct": arr.low_pct,
                "high_pct": arr.high_pct,
                "duration_days": arr.duration_days,
                "first_response_h": None if frt is None else frt.effect_abs,
                "first_response_low_h": None if frt is None else frt.low_abs,
                "first_response_high_h": None if frt is None else frt.high_abs,
                "did": None if did is None else did.to_dict(),
                "sentence": result.sentence(),
            },
            default=str,
        )
    )
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    from analytics import forecast

    con = store.connect(args.db)
    try:
        source = _default_source(con, args.source)
        span = metrics.source_span(con, source)
        zone = ZoneInfo(args.tz)
        first = args.first_day or span.first_created_at.astimezone(zone).date()
        last = args.last_day or span.as_of.astimezone(zone).date()
        start, end = metrics.period(first, last, args.tz)
        selection = metrics.Selection(source=source, start=start, end=end, tz=args.tz)
        by = args.by or "total"
        horizon = args.horizon or (28 if args.freq == "D" else 48)
        low, high = forecast.HORIZONS[args.freq]
        if not low <= horizon <= high:
            raise store.StoreError(f"--horizon must be {low} to {high} for --freq {args.freq}")
        settings = load_settings()
        names = forecast.series_names(con, selection, args.freq, by, settings)
        results = []
        for name in names:
            fit = forecast.forecast_series(
                con, selection, args.freq, horizon, by, name, args.backtest, settings
            )
            if fit is not None:
                results.append(fit)
                if not args.json:
                    print(f"{name}: {fit.chosen}", file=sys.stderr)
        short = None if results else forecast.history_shortfall(con, selection, args.freq, settings)
    finally:
        con.close()
    if not results:
        raise store.StoreError(short or "no series of this selection can be forecast")
    if args.out:
        frames = [r.forecast.assign(series=r.name, model=r.chosen) for r in results]
        table = pd.concat(frames)[
            ["series", "model", "period", "mean", "lo80", "hi80", "lo95", "hi95"]
        ]
        args.out.write_text(exports.csv_text(table), encoding="utf-8")
    payload = {"series": [r.to_dict() for r in results]}
    if args.json:
        print(json.dumps(payload))
    elif not args.out:
        for r in results:
            print(f"{r.name} ({r.chosen}):")
            if r.note:
                print(f"note: {r.note}")
            numbers = r.forecast.select_dtypes("number").columns
            print(r.forecast.round(dict.fromkeys(numbers, 1)).to_string(index=False))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    con = store.connect(args.db)
    try:
        source = _default_source(con, args.source)
        data = report.collect(con, source, args.week, args.region, args.tz, load_settings())
    finally:
        con.close()
    path = report.write(report.compose(data, args.lang), args.out, args.fmt)
    print(path)
    return 0


def _read_password(args: argparse.Namespace) -> str | None:
    if args.keep_password:
        return None
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != first:
        raise access.AccessError("the two passwords differ")
    return first


def _open_for_users(db: Path):
    try:
        return store.connect(db)
    except store.StoreLockedError as exc:
        raise store.StoreError(
            f"{exc}; an admin can also manage users on the app's Access page"
        ) from exc


def cmd_add_user(args: argparse.Namespace) -> int:
    password = _read_password(args)
    con = _open_for_users(args.db)
    try:
        entry = access.set_user(
            args.users_file, args.name, args.role, password, cur=con, actor=cli_actor()
        )
    finally:
        con.close()
    print(f"saved user {entry.name} ({entry.role}) in {args.users_file}")
    return 0


def cmd_remove_user(args: argparse.Namespace) -> int:
    con = _open_for_users(args.db)
    try:
        access.remove_user(args.users_file, args.name, cur=con, actor=cli_actor())
    finally:
        con.close()
    print(f"removed user {args.name} from {args.users_file}")
    return 0


def cmd_unlock_user(args: argparse.Namespace) -> int:
    con = _open_for_users(args.db)
    try:
        access.unlock_account(con, args.name, actor=cli_actor())
    finally:
        con.close()
    print(f"{args.name} may sign in again")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    users = access.load_users(args.users_file)
    rows = [{"name": u.name, "role": u.role, "created_at": u.created_at} for u in users.values()]
    if args.json:
        print(json.dumps({"users": rows}))
    elif not rows:
        print(f"no local users in {args.users_file}")
    for row in [] if args.json else rows:
        print(f"{row['name']}: {row['role']} (since {row['created_at']})")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    con = store.connect(args.db)
    try:
        log = access.audit_log(con, args.limit, args.action)
    finally:
        con.close()
    if args.json:
        print(json.dumps({"audit": log.to_dict(orient="records")}, default=str))
        return 0
    for row in log.itertuples():
        target = f" {row.target}" if row.target else ""
        print(
            f"{row.occurred_at:%Y-%m-%d %H:%M:%S} {row.actor} ({row.role}, {row.via}) {row.action}{target}"
        )
    return 0


COMMANDS = {
    "add-user": cmd_add_user,
    "remove-user": cmd_remove_user,
    "unlock-user": cmd_unlock_user,
    "users": cmd_users,
    "audit": cmd_audit,
    "import": cmd_import,
    "sources": cmd_sources,
    "delete-source": cmd_delete_source,
    "sample": cmd_sample,
    "import-events": cmd_import_events,
    "metrics": cmd_metrics,
    "impact": cmd_impact,
    "report": cmd_report,
    "forecast": cmd_forecast,
}
