"""What every job run leaves in the store: its row in ``job_runs``, its claimed slot, its alerts.

A scheduled run first *claims* its slot: one transaction moves the job's
``last_slot`` forward and inserts the run as ``running``. A worker that
restarts therefore runs a missed slot once and a claimed slot never again,
and two workers claiming the same slot conflict at commit, so one gives way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

from analytics import db
from analytics.jobs.config import Job

OUTCOMES = ("running", "ok", "nothing to do", "retrying", "failed")
TRIGGERS = ("schedule", "manual", "retry")


@dataclass
class Outcome:
    """How a run ended: ``outcome`` (see OUTCOMES), a one-line ``message`` with no
    secret in it, and what was ``delivered``: ``{"channel", "to", "status"}`` each."""

    outcome: str
    message: str
    delivered: list[dict] = field(default_factory=list)


def last_slot(con: duckdb.DuckDBPyConnection, job: str) -> datetime | None:
    """Return the last slot ``job`` was claimed for, None if never."""
    row = db.cursor(con).execute(db.load_sql("jobs_last_slot"), {"job": job}).fetchone()
    return row[0] if row else None


def set_baseline(con: duckdb.DuckDBPyConnection, job: str, slot: datetime) -> None:
    """Record ``slot`` as claimed without running it: a new job starts at its next slot."""

    def write() -> None:
        with db.transaction(con) as cur:
            if _last_slot(cur, job) is None:
                cur.execute(db.load_sql("jobs_state_insert"), {"job": job, "slot": slot})
                db.commit_message(cur, "job_baseline", job, actor="worker")

    db.retrying(write)


def claim(
    con: duckdb.DuckDBPyConnection, job: Job, slot: datetime | None, trigger: str
) -> int | None:
    """Insert a ``running`` run of ``job`` and return its id; None when ``slot`` is taken.

    A scheduled run (``slot`` given) moves the job's last slot to ``slot`` in
    the same transaction, and is refused when another run already claimed it
    or a later one. A manual run (``slot`` None) claims nothing.
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger must be one of {', '.join(TRIGGERS)}")

    def write() -> int | None:
        with db.transaction(con) as cur:
            if slot is not None:
                last = _last_slot(cur, job.name)
                if last is not None and last >= slot:
                    return None
                state = "jobs_state_insert" if last is None else "jobs_state_update"
                cur.execute(db.load_sql(state), {"job": job.name, "slot": slot})
            run_id = db.next_id(cur, "run")
            cur.execute(
                db.load_sql("jobs_run_insert"),
                {"run_id": run_id, "job": job.name, "kind": job.kind, "slot": slot,
                 "trigger": trigger},
            )  # fmt: skip
            db.commit_message(cur, "job_run", job.name, actor="worker")
            return run_id

    try:
        return db.retrying(write)
    except duckdb.Error as exc:
        if db.is_conflict(exc):  # another worker kept winning: it runs the slot
            return None
        raise


def finish(con: duckdb.DuckDBPyConnection, run_id: int, result: Outcome) -> None:
    """Record how run ``run_id`` ended."""
    if result.outcome not in OUTCOMES[1:]:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES[1:])}")

    def write() -> None:
        with db.transaction(con) as cur:
            cur.execute(
                db.load_sql("jobs_run_finish"),
                {"run_id": run_id, "outcome": result.outcome, "message": result.message[:2000],
                 "delivered": json.dumps(result.delivered)},
            )  # fmt: skip
            db.commit_message(cur, "job_run", str(run_id), actor="worker")

    db.retrying(write)


def recent_runs(
    con: duckdb.DuckDBPyConnection, limit: int = 50, job: str | None = None
) -> pd.DataFrame:
    """Return the latest ``limit`` runs (of ``job`` only, if given), newest first.

    Columns: run_id, job, kind, slot, trigger, started_at, finished_at,
    outcome, message, delivered (JSON text).
    """
    return (
        db.cursor(con)
        .execute(db.load_sql("jobs_runs_recent"), {"job": job, "limit": int(limit)})
        .df()
    )


def last_runs(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Return job name -> its latest run (run_id, started_at, finished_at, outcome, message)."""
    cur = db.cursor(con).execute(db.load_sql("jobs_last_runs"))
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names[1:], row[1:], strict=True)) for row in cur.fetchall()}


def alert_severity(con: duckdb.DuckDBPyConnection, job: str, wave: str) -> float | None:
    """Return the severity ``job`` last sent for ``wave``, None if it never did."""
    row = (
        db.cursor(con)
        .execute(db.load_sql("alerts_sent_last"), {"job": job, "wave": wave})
        .fetchone()
    )
    return row[0] if row else None


def record_alert(
    con: duckdb.DuckDBPyConnection, job: str, wave: str, severity: float, run_id: int | None
) -> None:
    """Record that ``job`` sent ``wave`` at ``severity``."""

    def write() -> None:
        with db.transaction(con) as cur:
            cur.execute(
                db.load_sql("alerts_sent_insert"),
                {"job": job, "wave": wave, "severity": float(severity), "run_id": run_id},
            )
            db.commit_message(cur, "alert_sent", job, actor="worker")

    db.retrying(write)


def _last_slot(cur: duckdb.DuckDBPyConnection, job: str) -> datetime | None:
    row = cur.execute(db.load_sql("jobs_last_slot"), {"job": job}).fetchone()
    return row[0] if row else None
