"""Commands about people: local users, unlocking, the audit log."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from analytics import access, store
from analytics.cli.parser import open_store


def cli_actor() -> access.User:
    """Return who acts from the command line: whoever may write the database file is its admin."""
    return access.User(f"cli:{getpass.getuser()}", "admin", "cli")


def _read_password(args: argparse.Namespace) -> str | None:
    if args.keep_password:
        return None
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != first:
        raise access.AccessError("the two passwords differ")
    return first


def _open_for_users(args: argparse.Namespace):
    try:
        return open_store(args)
    except store.StoreLockedError as exc:
        raise store.StoreError(
            f"{exc}; an admin can also manage users on the app's Access page"
        ) from exc


def cmd_add_user(args: argparse.Namespace) -> int:
    password = _read_password(args)
    con = _open_for_users(args)
    try:
        entry = access.set_user(
            args.users_file, args.name, args.role, password, cur=con, actor=cli_actor()
        )
    finally:
        con.close()
    print(f"saved user {entry.name} ({entry.role}) in {args.users_file}")
    return 0


def cmd_remove_user(args: argparse.Namespace) -> int:
    con = _open_for_users(args)
    try:
        access.remove_user(args.users_file, args.name, cur=con, actor=cli_actor())
    finally:
        con.close()
    print(f"removed user {args.name} from {args.users_file}")
    return 0


def cmd_unlock_user(args: argparse.Namespace) -> int:
    con = _open_for_users(args)
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
    con = open_store(args)
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
