"""Model fits in worker processes, and the overview's surge line drawn when it is ready."""

from __future__ import annotations

import os
import sys
import time
import types
from datetime import date

import numpy as np
import pandas as pd
import pytest
from apptest import page_on

from analytics import ingest, store
from analytics.forecast import fit_series, workers
from analytics.settings import load_settings


@pytest.fixture
def pool():
    """One worker process for the test; fits run in the caller's thread again after it."""
    workers.start(1)
    yield
    workers.stop()


def daily_counts() -> pd.Series:
    days = pd.date_range("2024-01-01", periods=200, freq="D")
    rng = np.random.default_rng(3)
    weekly = np.tile([120, 110, 100, 100, 90, 30, 20], 30)[: len(days)]
    return pd.Series(rng.poisson(weekly).astype(float), index=days)


def test_a_fit_in_a_worker_equals_the_fit_in_the_callers_thread(pool):
    y = daily_counts()
    here = fit_series(y, "D", 14, 2, models=("seasonal_naive", "ets"))
    there = workers.run(fit_series, y, "D", 14, 2, models=("seasonal_naive", "ets"))
    assert there.chosen == here.chosen
    pd.testing.assert_frame_equal(there.forecast, here.forecast)
    assert workers.run(os.getpid) != os.getpid()


def test_a_worker_that_dies_is_replaced_and_the_fit_still_answers(pool):
    victim = workers.run(os.getpid)
    os.kill(victim, 9)
    # The call that finds the pool broken computes here; the next one has a new worker.
    assert workers.run(sum, [1, 2, 3]) == 6
    deadline = time.monotonic() + 60
    while (pid := workers.run(os.getpid)) == os.getpid() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pid not in (victim, os.getpid())
    assert workers.size() == 1


def test_workers_do_not_run_the_script_streamlit_installed_as_main(tmp_path, monkeypatch):
    # Streamlit makes each page run's script the __main__ module; a spawned
    # process runs its parent's __main__ again, so every worker would run app.py.
    marker = tmp_path / "ran"
    script = tmp_path / "script.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    workers.start(1)
    try:
        assert workers.run(sum, [2, 2]) == 4
    finally:
        workers.stop()
    assert not marker.exists()
    assert sys.modules["__main__"] is main


def test_the_overview_draws_before_its_surge_line_then_with_it(tmp_path, sample_desk, monkeypatch):
    files = sample_desk(start=date(2024, 1, 1), years=1.2, scale=0.05)
    db = tmp_path / "store.sqlite"
    with store.connect(db) as con:
        ingest.import_file(con, files.tickets_csv, source="desk", settings=load_settings())
    monkeypatch.setenv("BACKLOG_RADAR_USERS", str(tmp_path / "no-users.json"))
    monkeypatch.setenv("BACKLOG_RADAR_FORECAST_WORKERS", "1")
    at = page_on(db, "pages/overview.py", monkeypatch)
    try:
        captions = [c.value for c in at.caption]
        assert "Forecasting the next 28 days for surges..." in captions
        assert at.metric[0].label == "Tickets created"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            at.run()
            surge = [c.value for c in at.caption if "surge expected" in c.value]
            surge += [w.value for w in at.warning if w.value.startswith("Next surge")]
            if surge:
                break
            time.sleep(0.5)
        assert surge, "the surge line never came"
        assert not at.exception
    finally:
        workers.stop()


def test_workers_end_when_the_app_process_is_killed(tmp_path):
    # A server killed outright has no chance to stop its pool.
    import signal
    import subprocess

    code = (
        "from analytics.forecast import workers; import os, sys, time\n"
        "workers.start(1)\n"
        "print(workers.run(os.getpid), flush=True)\n"
        "time.sleep(600)\n"
    )
    app = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    worker = int(app.stdout.readline())
    app.send_signal(signal.SIGKILL)
    app.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and os.path.exists(f"/proc/{worker}"):
        time.sleep(0.2)
    assert not os.path.exists(f"/proc/{worker}")
