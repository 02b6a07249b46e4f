"""Commands that keep the store safe: backup and restore."""

from __future__ import annotations

import argparse
import json

from analytics import backup, lake
from analytics.cli.parser import open_store


def cmd_backup(args: argparse.Namespace) -> int:
    con = open_store(args, read_only=True)
    try:
        manifest = backup.take(con, args.folder)
    finally:
        con.close()
    if args.json:
        print(json.dumps(manifest.to_dict()))
    else:
        print(
            f"backed up {manifest.store} at snapshot {manifest.snapshot_id} "
            f"({_files(manifest.files)}, {_size(manifest.bytes)}) to {args.folder}"
        )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    where = lake.locate(args.db, catalog=args.catalog, data_path=args.data_path)
    manifest = backup.restore(args.folder, where, force=args.force)
    if args.json:
        print(json.dumps(manifest.to_dict()))
    else:
        print(
            f"restored {where.name} to snapshot {manifest.snapshot_id} of {manifest.store}, "
            f"backed up {manifest.created_at} ({_files(manifest.files)})"
        )
    return 0


def _size(count: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:,} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def _files(count: int) -> str:
    return f"{count:,} file" + ("" if count == 1 else "s")
