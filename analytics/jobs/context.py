"""What a job's handler is given: the settings, its run, the time, and where it keeps files."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from analytics import access
from analytics.jobs.config import JobsConfig
from analytics.settings import PROJECT_ROOT, Settings

# Who the worker's writes are recorded as: imports need the analyst role.
WORKER = access.User("worker", "analyst", "worker")


@dataclass(frozen=True)
class RunContext:
    """One run of one job.

    ``run_id`` is its row in ``job_runs``; ``now`` the time it started (UTC);
    ``state_dir`` the worker's folder (outbox of undelivered messages, the
    drop folders' previous polls); ``actor`` whom its writes are recorded as.
    """

    settings: Settings
    config: JobsConfig
    run_id: int
    now: datetime
    state_dir: Path
    actor: access.User = WORKER


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Return the worker's folder (``BACKLOG_RADAR_JOBS_DIR``, default ``data/jobs``), created 0700."""
    env = os.environ if env is None else env
    folder = Path(env.get("BACKLOG_RADAR_JOBS_DIR") or PROJECT_ROOT / "data" / "jobs")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder
