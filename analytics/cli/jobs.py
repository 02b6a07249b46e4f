"""Commands of the scheduled jobs: worker, run-job, jobs."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from datetime import UTC, datetime

from analytics.cli.parser import open_store
from analytics.cli.users import cli_actor
from analytics.jobs import config, runs, worker
from analytics.settings import load_settings

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def cmd_worker(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    config.load_jobs(args.config)  # a bad settings file stops the start, in one line
    stop = threading.Event()
    # systemd stops the worker with SIGTERM, a terminal with Ctrl-C: both end
    # the current wake-up cleanly.
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
    con = open_store(args)
    try:
        worker.serve(
            con, settings=load_settings(), config_file=args.config, stop=stop,
            poll_seconds=args.poll,
        )  # fmt: skip
    except worker.WorkerBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def cmd_run_job(args: argparse.Namespace) -> int:
    jobs = config.load_jobs(args.config)
    con = open_store(args)
    try:
        result = worker.run_now(
            con, args.name, settings=load_settings(), config=jobs, actor=cli_actor()
        )
    finally:
        con.close()
    if args.json:
        print(json.dumps({"job": args.name, **vars(result)}, default=str))
    else:
        print(f"{args.name}: {result.outcome}: {result.message}")
    return 0 if result.outcome in ("ok", "nothing to do") else 1


def cmd_jobs(args: argparse.Namespace) -> int:
    jobs = config.load_jobs(args.config)
    con = open_store(args, read_only=True)
    try:
        table = worker.schedule_table(con, jobs, datetime.now(UTC))
        recent = runs.recent_runs(con, args.runs) if args.runs else None
    finally:
        con.close()
    if args.json:
        print(table.to_json(orient="records", date_format="iso"))
        return 0
    if table.empty:
        print(f"no jobs in {jobs.path}")
    for row in table.itertuples():
        last = (
            f"{row.last_started:%Y-%m-%d %H:%M} {row.last_outcome}" if row.last_outcome else "never"
        )
        print(f"{row.job}: {row.what}; cron '{row.cron}' ({row.tz}); last {last}; "
              f"next {row.next_run:%Y-%m-%d %H:%M} UTC")  # fmt: skip
    for run in [] if recent is None else recent.itertuples():
        print(f"  run {run.run_id} {run.job} {run.trigger} {run.started_at:%Y-%m-%d %H:%M:%S} "
              f"{run.outcome}: {run.message or ''}")  # fmt: skip
    return 0
