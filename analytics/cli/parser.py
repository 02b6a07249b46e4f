"""The command line's arguments: one function per group of commands."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from analytics import access
from analytics.i18n import DEFAULT_LANG, LANGS
from analytics.ingest import ALL_PRESETS
from analytics.settings import SAMPLE_DIR, Settings, load_settings
from analytics.snapshots import FILE_GRACE


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every command."""
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="python -m analytics", description="Backlog Radar")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="the settings file (default: BACKLOG_RADAR_CONFIG, else backlog_radar.toml)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_data_commands(commands, settings)
    add_analysis_commands(commands, settings)
    add_risk_command(commands, settings)
    add_people_command(commands, settings)
    add_user_commands(commands, settings)
    add_snapshot_commands(commands, settings)
    add_sql_command(commands, settings)
    add_convert_command(commands, settings)
    add_backup_commands(commands, settings)
    add_job_commands(commands, settings)
    return parser


def add_store_arguments(parser: argparse.ArgumentParser, settings: Settings) -> None:
    """Add --db, --catalog and --data-path: which store a command works on."""
    group = parser.add_argument_group("store")
    group.add_argument(
        "--db",
        type=Path,
        default=settings.db_path,
        help=f"the embedded store's catalog file (default: {settings.db_path})",
    )
    group.add_argument(
        "--catalog",
        default=settings.catalog,
        metavar="URL",
        help="a shared store's PostgreSQL catalog, postgresql://USER@HOST/DB "
        "(default: BACKLOG_RADAR_CATALOG or [store] catalog)",
    )
    group.add_argument(
        "--data-path",
        type=Path,
        default=settings.data_path,
        metavar="DIR",
        help="the folder of the store's files (default: beside --db, or BACKLOG_RADAR_DATA_PATH)",
    )


def add_lang_argument(parser: argparse.ArgumentParser, settings: Settings) -> None:
    """Add --lang: the language of the prose a command prints (JSON stays English)."""
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default=settings.desk_lang if settings.desk_lang in LANGS else DEFAULT_LANG,
        help=f"language of the text printed; JSON keys and values stay English "
        f"(default: [desk] lang, here {settings.desk_lang})",
    )


def open_store(args: argparse.Namespace, *, read_only: bool = False):
    """Return a connection to the store the command's --db, --catalog and --data-path name."""
    from analytics import store

    return store.connect(
        args.db, catalog=args.catalog, data_path=args.data_path, read_only=read_only
    )


def add_data_commands(commands, settings: Settings) -> None:
    """Add import, sources, delete-source, import-events and sample."""
    imp = commands.add_parser("import", help="import a helpdesk export into the store")
    imp.add_argument(
        "file", type=Path, help="CSV or TSV (plain, .gz or .zip) or XLSX; any size, read streamed"
    )
    add_store_arguments(imp, settings)
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
    add_store_arguments(src, settings)
    src.add_argument("--json", action="store_true")

    dele = commands.add_parser("delete-source", help="delete a source and everything it holds")
    dele.add_argument("name")
    add_store_arguments(dele, settings)

    ev = commands.add_parser("import-events", help="add or replace events from a CSV file")
    ev.add_argument("file", type=Path)
    add_store_arguments(ev, settings)
    ev.add_argument(
        "--source",
        metavar="NAME",
        help="the source the events belong to, or 'all' (the default) for every source; "
        "a row's own source cell wins",
    )

    sample = commands.add_parser("sample", help="simulate the built-in sample desk")
    sample.add_argument("--out", type=Path, default=SAMPLE_DIR)
    sample.add_argument("--start", type=date.fromisoformat, default=date(2023, 1, 2))
    sample.add_argument("--years", type=float, default=3.0)
    sample.add_argument("--scale", type=float, default=1.0)
    sample.add_argument("--seed", type=int, default=42)


def add_analysis_commands(commands, settings: Settings) -> None:
    """Add metrics, impact, forecast and report."""
    met = commands.add_parser(
        "metrics", help="print the overview and quality figures of a selection"
    )
    add_store_arguments(met, settings)
    met.add_argument("--source", help="default: the only source, or 'sample'")
    met.add_argument("--from", dest="first_day", type=date.fromisoformat, metavar="DATE")
    met.add_argument("--to", dest="last_day", type=date.fromisoformat, metavar="DATE")
    met.add_argument("--tz", default="UTC", help="display time zone: day boundaries")
    met.add_argument("--business-hours", action="store_true", help="durations in business hours")
    met.add_argument("--json", action="store_true", help="one JSON object (the default output)")

    imp_ = commands.add_parser("impact", help="measure the impact of a calendar event")
    imp_.add_argument("--event", required=True, help="the event's name in the calendar")
    imp_.add_argument("--region", help="when several events share the name")
    add_store_arguments(imp_, settings)
    imp_.add_argument("--source", help="default: the only source, or 'sample'")
    imp_.add_argument("--tz", default=settings.default_tz, help="time zone of the days")
    imp_.add_argument("--save", action="store_true", help="save the effect for the forecast")
    imp_.add_argument("--json", action="store_true", help="one JSON object (the default output)")

    fc = commands.add_parser("forecast", help="forecast arrivals, backtested per series")
    add_store_arguments(fc, settings)
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
    add_lang_argument(fc, settings)

    rep = commands.add_parser("report", help="write the weekly executive report (HTML or PDF)")
    add_store_arguments(rep, settings)
    rep.add_argument("--source", help="default: the only source, or 'sample'")
    rep.add_argument("--week", help="ISO week such as 2026-W47 (default: the last complete one)")
    rep.add_argument("--region", help="one region (default: all)")
    add_lang_argument(rep, settings)
    rep.add_argument("--format", dest="fmt", choices=["html", "pdf"], default="html")
    rep.add_argument("--tz", default=settings.default_tz, help="time zone of the days")
    rep.add_argument("--out", type=Path, required=True, help="folder to write the file in")


def add_people_command(commands, settings: Settings) -> None:
    """Add agents: figures per agent or team, shown as [people] show allows."""
    ag = commands.add_parser(
        "agents", help="print figures per agent or team ([people] show: names, pseudonyms, teams)"
    )
    add_store_arguments(ag, settings)
    ag.add_argument("--by", choices=["agent", "team"], default="agent", help="default: agent")
    ag.add_argument("--source", help="default: the only source, or 'sample'")
    ag.add_argument("--from", dest="first_day", type=date.fromisoformat, metavar="DATE")
    ag.add_argument("--to", dest="last_day", type=date.fromisoformat, metavar="DATE")
    ag.add_argument("--tz", default="UTC", help="display time zone: day boundaries")
    ag.add_argument("--business-hours", action="store_true", help="durations in business hours")
    ag.add_argument("--json", action="store_true", help="one JSON object (default: a table)")


def add_risk_command(commands, settings: Settings) -> None:
    """Add at-risk: the open tickets whose target falls due within some hours."""
    risk = commands.add_parser(
        "at-risk", help="list the open tickets whose target falls due within some hours"
    )
    add_store_arguments(risk, settings)
    risk.add_argument(
        "--within", type=float, required=True, metavar="HOURS", help="the horizon, in hours"
    )
    risk.add_argument("--source", help="default: the only source, or 'sample'")
    risk.add_argument(
        "--business-hours",
        action="store_true",
        help="clocks and the horizon in the teams' business hours",
    )
    risk.add_argument(
        "--now",
        metavar="ISO",
        help="the instant to look from (default: the source's latest event); "
        "without an offset, a time of --tz",
    )
    risk.add_argument("--tz", default="UTC", help="time zone of the times shown")
    risk.add_argument("--team", action="append", default=[], help="only this team (repeatable)")
    risk.add_argument(
        "--json", action="store_true", help="print a JSON array of objects, times in ISO 8601"
    )
    add_lang_argument(risk, settings)


def add_user_commands(commands, settings: Settings) -> None:
    """Add add-user, remove-user, unlock-user, users and audit."""
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
    add_store_arguments(add, settings)

    rm = commands.add_parser("remove-user", help="remove a local user")
    rm.add_argument("name")
    rm.add_argument("--users-file", type=Path, default=settings.access.users_file, help=users_help)
    add_store_arguments(rm, settings)

    un = commands.add_parser("unlock-user", help="forgive a user's failed sign-ins")
    un.add_argument("name")
    add_store_arguments(un, settings)

    us = commands.add_parser("users", help="list the local users and their roles")
    us.add_argument("--users-file", type=Path, default=settings.access.users_file, help=users_help)
    us.add_argument("--json", action="store_true")

    au = commands.add_parser("audit", help="print the audit log, newest first")
    add_store_arguments(au, settings)
    au.add_argument("--limit", type=int, default=50)
    au.add_argument("--action", help="only this action (e.g. import, delete_source, sign_in)")
    au.add_argument("--json", action="store_true")


def add_snapshot_commands(commands, settings: Settings) -> None:
    """Add snapshots, undo-import and maintain."""
    snap = commands.add_parser("snapshots", help="list the store's recent changes, newest first")
    add_store_arguments(snap, settings)
    snap.add_argument("--limit", type=int, default=50)
    snap.add_argument("--all", action="store_true", help="sign-ins and sign-outs too")
    snap.add_argument("--json", action="store_true")

    undo = commands.add_parser(
        "undo-import", help="put a source's tickets back as they were before an import"
    )
    undo.add_argument("import_id", type=int, metavar="ID", help="the import's id (see snapshots)")
    add_store_arguments(undo, settings)

    keep, grace = settings.snapshot_retention_days, FILE_GRACE.total_seconds() / 60
    maint = commands.add_parser(
        "maintain", help="expire old snapshots, merge small files, remove unneeded ones"
    )
    add_store_arguments(maint, settings)
    maint.add_argument(
        "--retention-days",
        type=float,
        default=keep,
        metavar="DAYS",
        help=f"expire snapshots older than this; imports before them can no longer be undone "
        f"(default: {keep:g}, [store] snapshot_retention_days)",
    )
    maint.add_argument(
        "--grace-minutes",
        type=float,
        default=grace,
        metavar="MIN",
        help="remove a file only once unneeded this long, so that queries in flight still "
        f"find it (default: {grace:g}; 0 when nothing else uses the store)",
    )
    maint.add_argument("--json", action="store_true", help="print the report as one JSON object")


def add_sql_command(commands, settings: Settings) -> None:
    """Add sql: one read-only query on the store."""
    sql = commands.add_parser(
        "sql", help="run one read-only query (a SELECT) on the store and print its rows"
    )
    sql.add_argument(
        "query",
        help='one SELECT statement, e.g. "select source, count(*) from tickets group by all"',
    )
    add_store_arguments(sql, settings)
    fmt = sql.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="print CSV (default: an aligned table)")
    fmt.add_argument(
        "--json", action="store_true", help="print a JSON array of objects, times in ISO 8601"
    )


def add_convert_command(commands, settings: Settings) -> None:
    """Add convert-store: an old store's rows into the store, once."""
    conv = commands.add_parser(
        "convert-store",
        help="copy a store of the format before DuckLake (a .duckdb file) into the store, once",
    )
    conv.add_argument("old", type=Path, metavar="OLD.duckdb", help="the old store; left unchanged")
    add_store_arguments(conv, settings)


def add_backup_commands(commands, settings: Settings) -> None:
    """Add backup and restore."""
    bak = commands.add_parser("backup", help="copy the store (catalog and files) to a new folder")
    bak.add_argument("folder", type=Path, metavar="DIR", help="a new (or empty) folder")
    add_store_arguments(bak, settings)
    bak.add_argument("--json", action="store_true", help="print the manifest as one JSON object")

    res = commands.add_parser("restore", help="put a backup back as the store")
    res.add_argument("folder", type=Path, metavar="DIR", help="a folder written by backup")
    add_store_arguments(res, settings)
    res.add_argument("--force", action="store_true", help="replace a store that already holds data")
    res.add_argument("--json", action="store_true", help="print the manifest as one JSON object")


def add_job_commands(commands, settings: Settings) -> None:
    """Add worker, run-job and jobs: the scheduled jobs of the settings file."""
    work = commands.add_parser(
        "worker", help="run the scheduled jobs when they are due, until stopped"
    )
    add_store_arguments(work, settings)
    work.add_argument(
        "--poll", type=float, default=30.0, metavar="SECONDS", help="how often to wake (default 30)"
    )

    run = commands.add_parser("run-job", help="run one scheduled job now")
    run.add_argument("name", help="the job's name in the settings file")
    add_store_arguments(run, settings)
    run.add_argument("--json", action="store_true", help="print the outcome as one JSON object")

    jobs = commands.add_parser("jobs", help="list the scheduled jobs with their last and next run")
    add_store_arguments(jobs, settings)
    jobs.add_argument(
        "--runs", type=int, default=0, metavar="N", help="also list the latest N runs"
    )
    jobs.add_argument("--json", action="store_true", help="print the jobs as a JSON array")
