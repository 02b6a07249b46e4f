"""The convert-store command: an old store's rows into the store, once."""

from __future__ import annotations

import argparse

from analytics import convert
from analytics.cli.parser import open_store
from analytics.cli.users import cli_actor


def cmd_convert_store(args: argparse.Namespace) -> int:
    con = open_store(args)
    try:
        report = convert.convert_store(args.old, con, actor=cli_actor())
    finally:
        con.close()
    print(format_report(report))
    return 0


def format_report(report: convert.ConvertReport) -> str:
    """Return what a conversion copied as a few lines of text for a terminal."""
    lines = [
        f"converted {report.old_path} (schema version {report.schema_version}, "
        f"read with DuckDB {report.read_with}) into {report.store}:"
    ]
    lines += [
        f"  {table}: {rows:,} row{'' if rows == 1 else 's'}" for table, rows in report.rows.items()
    ]
    lines.append(f"{report.old_path} is unchanged: keep it until the app shows the converted data")
    return "\n".join(lines)
