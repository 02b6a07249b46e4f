"""Running the jobs: when each is due, one run now, and the worker's loop.

The worker wakes every ``POLL_SECONDS``, reads the settings file again (so
edits on the Schedules page apply without a restart), and runs each job whose
latest cron slot is newer than the slot it last claimed. A job seen for the
first time starts at its next slot; a slot missed while the worker was down
runs once when it comes back; a claimed slot never runs twice (see
:mod:`analytics.jobs.runs`). Between jobs it retries undelivered messages.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from analytics import access
from analytics.jobs import runs
from analytics.jobs.config import Job, JobsConfig, load_jobs
from analytics.jobs.context import WORKER, RunContext, state_dir
from analytics.jobs.deliver import url_host
from analytics.jobs.views import recipients, visible_message
from analytics.settings import Settings

POLL_SECONDS = 30.0
log = logging.getLogger("analytics.jobs")


class WorkerBusy(Exception):
    """Another worker already runs on this state folder."""


def handler(kind: str) -> Callable[[duckdb.DuckDBPyConnection, Job, RunContext], runs.Outcome]:
    """Return the function that runs jobs of ``kind``."""
    # Imported here: each pulls in its own heavy parts (the importer, the
    # report's renderer, the forecast) only when a job of its kind runs.
    if kind == "import":
        from analytics.jobs.imports import run_import_job

        return run_import_job
    if kind == "report":
        from analytics.jobs.report_mail import run_report_job

        return run_report_job
    if kind == "alert":
        from analytics.jobs.alerts import run_alert_job

        return run_alert_job
    raise ValueError(f"unknown kind of job {kind!r}")


def execute(
    con: duckdb.DuckDBPyConnection,
    job: Job,
    run_id: int,
    *,
    settings: Settings,
    config: JobsConfig,
    now: datetime,
    folder: Path,
    actor: access.User = WORKER,
) -> runs.Outcome:
    """Run ``job`` as run ``run_id``, record how it ended, and return that."""
    ctx = RunContext(settings, config, run_id, now, folder, actor)
    try:
        result = handler(job.kind)(con, job, ctx)
    except Exception as exc:  # a bug must not stop the other jobs: record it, log it
        result = runs.Outcome("failed", f"{type(exc).__name__}: {_first_line(exc)}")
        # Where, but not the traceback's text: an exception's message may
        # quote a URL with its token, which the one line above cuts to its host.
        where = traceback.extract_tb(exc.__traceback__)[-1]
        log.error(
            "job %s failed at %s:%s: %s",
            job.name, Path(where.filename).name, where.lineno, result.message,
        )  # fmt: skip
    runs.finish(con, run_id, result)
    log.info("job %s (run %s): %s: %s", job.name, run_id, result.outcome, result.message)
    return result


def run_now(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    settings: Settings,
    config: JobsConfig,
    actor: access.User,
    now: datetime | None = None,
    folder: Path | None = None,
) -> runs.Outcome:
    """Run the job called ``name`` now, outside its schedule; return how it ended.

    Raises PermissionDenied unless ``actor`` may run jobs, and JobsConfigError
    when there is no such job.
    """
    access.require(actor, "run_job")
    job = config.job(name)
    run_id = runs.claim(con, job, None, "manual")
    return execute(
        con, job, run_id, settings=settings, config=config, now=now or datetime.now(UTC),
        folder=folder or state_dir(), actor=actor,
    )  # fmt: skip


def run_due(
    con: duckdb.DuckDBPyConnection,
    *,
    settings: Settings,
    config: JobsConfig,
    now: datetime,
    folder: Path,
) -> list[tuple[str, runs.Outcome]]:
    """Run every job whose latest slot is due and unclaimed; return (job, outcome) of each run."""
    done = []
    for job in config.jobs:
        slot = job.latest_slot(now)
        last = runs.last_slot(con, job.name)
        if last is None:  # new job: its first run is its next slot, not a past one
            runs.set_baseline(con, job.name, slot)
            continue
        if slot <= last:
            continue
        if job.repeats(slot, last):  # the clocks went back: that local time already ran
            runs.claim(con, job, slot, "schedule")
            continue
        run_id = runs.claim(con, job, slot, "schedule")
        if run_id is None:  # another worker claimed it
            continue
        result = execute(con, job, run_id, settings=settings, config=config, now=now, folder=folder)
        done.append((job.name, result))
    return done


def retry_deliveries(
    con: duckdb.DuckDBPyConnection, config: JobsConfig, *, now: datetime, folder: Path
) -> list[dict]:
    """Try again the messages whose delivery failed; record each outcome as a "retry" run."""
    from analytics.jobs.deliver import Outbox

    tried = Outbox(folder).retry_due(config.smtp, now)
    known = {job.name: job for job in config.jobs}
    for item in tried:
        # A job removed since its run: its retries are still recorded under its name.
        job = known.get(item["job"]) or Job(item["job"], _kind_of(con, item["job"]), "0 0 * * *")
        run_id = runs.claim(con, job, None, "retry")
        outcome = {"sent": "ok", "queued": "retrying", "failed": "failed"}[item["status"]]
        # no address in the message: the page shows messages to every role
        message = f"{item['channel']} of run {item['run_id']}: {item['status']}"
        delivered = [{k: item[k] for k in ("channel", "to", "status")}]
        runs.finish(con, run_id, runs.Outcome(outcome, message, delivered))
    return tried


def schedule_table(
    con: duckdb.DuckDBPyConnection, config: JobsConfig, now: datetime
) -> pd.DataFrame:
    """Return one row per job: job, kind, what, cron, tz, next_run, last_started, last_outcome, last_message."""
    last = runs.last_runs(con)
    rows = []
    for job in config.jobs:
        run = last.get(job.name, {})
        rows.append({
            "job": job.name, "kind": job.kind, "what": describe(job), "cron": job.cron,
            "tz": job.tz, "next_run": job.next_after(now),
            "last_started": run.get("started_at"), "last_outcome": run.get("outcome"),
            "last_message": run.get("message"),
        })  # fmt: skip
    columns = ["job", "kind", "what", "cron", "tz", "next_run", "last_started", "last_outcome",
               "last_message"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def describe(job: Job) -> str:
    """Return what ``job`` does in a few plain words, with no address or URL path in them."""
    # what a job naming no source works on (report_mail.report_source, alerts' first_source)
    source = job.source or ("the only source" if job.kind == "report" else "the first source")
    if job.kind == "import":
        where = str(job.folder) if job.folder else f"a download from {url_host(job.url or '')}"
        return f"imports {where} into {source} ({job.preset})"
    if job.kind == "report":
        to = recipients(job, admin=False)
        return f"e-mails the weekly report of {source} ({job.region}, {job.lang}) to {to}"
    targets = [t for t in (recipients(job, admin=False), job.webhook and "a webhook") if t]
    return f"{job.alert} alert on {source} to {' and '.join(targets)}"


def serve(
    con: duckdb.DuckDBPyConnection,
    *,
    settings: Settings,
    config_file: str | Path | None = None,
    folder: Path | None = None,
    stop: threading.Event | None = None,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Run due jobs and retry deliveries every ``poll_seconds`` until ``stop`` is set.

    Raises WorkerBusy when another worker holds this state folder.
    """
    folder = folder or state_dir()
    stop = stop or threading.Event()
    with _single_worker(folder):
        log.info("worker started; state in %s", folder)
        while not stop.is_set():
            _tick(con, settings, config_file, folder, clock())
            stop.wait(poll_seconds)
    log.info("worker stopped")


def _tick(con, settings: Settings, config_file, folder: Path, now: datetime) -> None:
    """One wake-up of the worker: read the jobs again, run the due ones, retry deliveries."""
    try:
        config = load_jobs(config_file)
    except Exception as exc:  # a bad edit must not stop the worker: say so and keep going
        log.error("jobs not read: %s", _first_line(exc))
        return
    try:
        run_due(con, settings=settings, config=config, now=now, folder=folder)
        retry_deliveries(con, config, now=now, folder=folder)
    except duckdb.Error as exc:  # the store is unreachable: try again at the next tick
        log.error("store: %s", _first_line(exc))


@contextlib.contextmanager
def _single_worker(folder: Path) -> Iterator[None]:
    with open(folder / "worker.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkerBusy(f"another worker is running on {folder}") from None
        yield


def _kind_of(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """Return the kind of job ``name`` ran as, from its latest run (a removed job's)."""
    recent = runs.recent_runs(con, 1, name)
    return str(recent["kind"].iloc[0]) if not recent.empty else "report"


def _first_line(exc: BaseException) -> str:
    """Return one line on ``exc`` with every URL cut to its host."""
    from analytics import lake

    if described := lake.describe_failure(exc):
        return described
    return visible_message((str(exc).strip().splitlines() or [""])[0][:300], admin=True)
