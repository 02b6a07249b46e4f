"""The command line: ``python -m analytics COMMAND ...``.

Every command is a thin client of the library, like the app. Errors are one
line on stderr and a non-zero exit status; ``--json`` prints one JSON object
on stdout with stable keys.
"""

from __future__ import annotations

import argparse
import os
import sys

import duckdb

from analytics import access, events, i18n, ingest, lake, report, store
from analytics.cli import analysis, convert, data, jobs, people, risk, snapshots, sql, users
from analytics.cli.backup import cmd_backup, cmd_restore
from analytics.cli.parser import build_parser
from analytics.forecast import impact
from analytics.settings import SettingsError

COMMANDS = {
    "add-user": users.cmd_add_user,
    "remove-user": users.cmd_remove_user,
    "unlock-user": users.cmd_unlock_user,
    "users": users.cmd_users,
    "audit": users.cmd_audit,
    "import": data.cmd_import,
    "sources": data.cmd_sources,
    "delete-source": data.cmd_delete_source,
    "sample": data.cmd_sample,
    "import-events": data.cmd_import_events,
    "snapshots": snapshots.cmd_snapshots,
    "undo-import": snapshots.cmd_undo_import,
    "maintain": snapshots.cmd_maintain,
    "metrics": analysis.cmd_metrics,
    "impact": analysis.cmd_impact,
    "report": analysis.cmd_report,
    "forecast": analysis.cmd_forecast,
    "at-risk": risk.cmd_at_risk,
    "agents": people.cmd_agents,
    "sql": sql.cmd_sql,
    "convert-store": convert.cmd_convert_store,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "worker": jobs.cmd_worker,
    "run-job": jobs.cmd_run_job,
    "jobs": jobs.cmd_jobs,
}


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the process exit status."""
    _use_config(sys.argv[1:] if argv is None else argv)
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
        lake.CatalogError,
        SettingsError,
    ) as exc:
        # A command that speaks a language (--lang) says its errors in it too.
        print(
            f"error: {i18n.describe(exc, getattr(args, 'lang', i18n.DEFAULT_LANG))}",
            file=sys.stderr,
        )
        return 1
    except duckdb.Error as exc:
        # The store failing under a command (its catalog gone, a data file
        # removed) is said in one line; anything else is a bug, with its traceback.
        if (line := lake.describe_failure(exc)) is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 1


def _use_config(argv: list[str]) -> None:
    """Make ``--config FILE`` the settings file of this process, before defaults are read from it."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    known, _ = pre.parse_known_args(argv)
    if known.config:
        os.environ["BACKLOG_RADAR_CONFIG"] = known.config


__all__ = ["COMMANDS", "build_parser", "main"]
