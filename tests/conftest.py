"""Shared fixtures: paths to real data, and the real app served for the browser tests."""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from loopback import stop_process

from analytics.sample import SampleFiles, write_sample

# Real PostgreSQL: pg_server, pg_catalog and store_location (tests/pg.py).
pytest_plugins = ["pg"]

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium as root in a sandboxed machine with no network: no sandbox,
# no GPU, and none of its own background connections.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# The app under AppTest fits its models in the test's own process, where a
# test can see them; the served app (AppServer) keeps its default, worker processes.
os.environ.setdefault("BACKLOG_RADAR_FORECAST_WORKERS", "0")
NYC311 = REALDATA / "nyc311_sample" / "nyc311_2023-02-28.csv"
SERVICENOW_LOG = REALDATA / "uci_servicenow_incidents" / "incident_event_log.zip"


# test id -> times its worker crashed under it
_CRASHED: dict[str, int] = {}


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem: str, report, sched) -> None:
    """Run a test whose worker process died once more, on a new worker; a second death fails it.

    DuckDB 1.5.5 with DuckLake very rarely aborts the process inside
    snapshot maintenance under load (a C++ abort, no Python error), taking
    the test and its worker with it. The run says so ("1 rerun") rather
    than failing on the engine, and a test that really kills its worker
    still fails. Needs a scheduler that can requeue one test (``--dist
    worksteal``, as ``make test`` runs).
    """
    _CRASHED[crashitem] = _CRASHED.get(crashitem, 0) + 1
    if _CRASHED[crashitem] == 1:
        sched.mark_test_pending(crashitem)
        report.outcome = "rerun"


def pytest_collection_modifyitems(items) -> None:
    """Mark every browser test slow too: ``make test-fast`` leaves them out."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def sample_desk(tmp_path_factory) -> Callable[..., SampleFiles]:
    """Return a function writing the simulated desk's export for given parameters, once per run.

    Tests that need the same desk (``start``, ``years``, ``scale``, ``seed``,
    as :func:`analytics.sample.write_sample` takes them) share one copy: it is
    built by the first worker that asks and read by the others. Treat its
    files as read-only.
    """
    shared = tmp_path_factory.getbasetemp().parent / "sample-desks"
    shared.mkdir(exist_ok=True)

    def desk(**params) -> SampleFiles:
        key = "-".join(f"{k}={params[k]}" for k in sorted(params)) or "default"
        key = f"{key}-{_simulator_version()}"  # the folder outlives the run
        folder = shared / key
        with (shared / f"{key}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one worker writes, the others wait for it
            done = folder / "done"
            if not done.exists():
                write_sample(folder, **params)
                done.write_text("ok")
        return SampleFiles(folder / "tickets.csv", folder / "events.csv")

    return desk


def _simulator_version() -> str:
    """Return a short hash of the simulator's code: a desk written by other code is not reused."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "analytics" / "sample").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """``streamlit run serve.py`` on a loopback port, against its own database file.

    The app is isolated from the developer's machine: its own users file
    (none unless ``env`` names one) and its own secrets (``secrets``, a
    function of the app's port returning ``secrets.toml`` text, or nothing).
    """

    def __init__(
        self,
        db_path: Path,
        script: Path = ROOT / "serve.py",
        *,
        env: dict[str, str] | None = None,
        secrets: Callable[[int], str] | None = None,
        address: str = "127.0.0.1",
    ) -> None:
        self.db_path = db_path
        self.script = script
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = db_path.with_suffix(".log")
        self.extra_env = env or {}
        self.address = address
        self.secrets_file = db_path.with_name(f"{db_path.stem}-secrets.toml")
        self.secrets_file.write_text(secrets(self.port) if secrets else "", encoding="utf-8")

    def start(self) -> AppServer:
        env = {
            **{k: v for k, v in os.environ.items() if k != "BACKLOG_RADAR_FORECAST_WORKERS"},
            "BACKLOG_RADAR_DB": str(self.db_path),
            "BACKLOG_RADAR_USERS": str(self.db_path.with_name(f"{self.db_path.stem}-users.json")),
            **self.extra_env,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(self.script),
                "--server.port",
                str(self.port),
                "--server.address",
                self.address,
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--secrets.files",
                str(self.secrets_file),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture
def app_server_factory(tmp_path: Path) -> Iterator:
    """Return a function that starts the app on a given database file; stops them all after."""
    servers: list[AppServer] = []

    def start(db_path: Path | None = None, **options) -> AppServer:
        server = AppServer(db_path or tmp_path / "app.sqlite", **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `apt-get install chromium` (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(CHROMIUM_ARGS),
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser page at a desktop size; closed after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)  # a loaded 2-core CI machine is slow to render
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def choose(page, combobox, option: str) -> None:
    """Pick ``option`` in a select box or multiselect by typing it, as a person would.

    Typing opens the list and focuses the match, and Enter picks it even when
    the list opens below the fold, where a click on the option cannot reach
    it (``fill`` then a click failed twice in full runs of the browser tests).
    """
    combobox.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).wait_for()
    page.keyboard.press("Enter")


def wait_until_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait until the app has no script run in flight (its running indicator is gone).

    A click that lands while a run is still drawing can be swallowed by the
    rerun that follows; interacting only when idle keeps browser tests honest
    on a loaded machine.
    """
    page.wait_for_function(
        "!document.querySelector('[data-testid=stStatusWidgetRunningIcon],"
        " [data-testid=stStatusWidgetRunningManIcon]')",
        timeout=timeout_ms,
    )
