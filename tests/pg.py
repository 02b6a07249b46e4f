"""Real PostgreSQL for the tests: a throwaway server per test worker, a fresh database per test.

Each pytest process (each xdist worker) starts its own PostgreSQL server the
first time a test asks for one: a new cluster made by ``initdb`` in a
temporary folder, listening on 127.0.0.1 only, on a port no other worker
holds. It is stopped and its folder removed at the end of the session; a
system cluster is never touched. Every test gets a new empty database
(:func:`pg_catalog`), dropped after it.

pytest-postgresql's :class:`PostgreSQLExecutor` runs ``pg_ctl`` (``initdb``,
``start -w``, ``status``, ``stop -m fast``); its executable is
``tests/pg_ctl.sh``, which finds Debian's newest PostgreSQL and, when the
tests run as root, runs it as the ``postgres`` user (PostgreSQL's server
refuses to run as root). Its ``postgresql_proc`` fixture factory is not
used: it puts the cluster under pytest's base temporary folder
(``/tmp/pytest-of-root/...``), which pytest makes, and narrows again on
every run, mode 0700 for root, so the ``postgres`` user cannot reach it and
``initdb`` fails with "Permission denied". Here the cluster lives in a
folder of its own under the system's temporary folder, given to ``postgres``.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import port_for
import pytest
from pytest_postgresql.executors import PostgreSQLExecutor
from pytest_postgresql.janitor import DatabaseJanitor

PG_CTL = Path(__file__).resolve().with_name("pg_ctl.sh")
HOST = "127.0.0.1"
USER = "postgres"
# A throwaway cluster: nothing needs to survive a crash of the machine.
SERVER_OPTIONS = (
    f"-c listen_addresses={HOST} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
)
MISSING = "PostgreSQL is missing: `apt-get install postgresql` (make test does it)"


def postgres_bindir() -> Path | None:
    """Return the folder of the newest of Debian's PostgreSQL servers, else of pg_ctl on PATH.

    This is the ``pg_ctl`` that ``tests/pg_ctl.sh`` runs; None when there is none.
    """
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)],
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).resolve().parent if on_path else None


class PgServer:
    """A PostgreSQL server of the tests' own, in ``folder``, on ``127.0.0.1:port``.

    ``stop()`` and ``start()`` take it down and bring it back on the same
    port with the same data, as an outage would; ``url(dbname)`` is what the
    store's ``catalog`` takes.
    """

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.host = HOST
        self.port = port
        self.user = USER
        self.logfile = folder / "postgresql.log"
        self._names = itertools.count(1)
        self._executor = PostgreSQLExecutor(
            executable=str(PG_CTL),
            host=HOST,
            port=port,
            datadir=str(folder / "data"),
            unixsocketdir=str(folder),
            logfile=str(self.logfile),
            startparams="-w",
            dbname="postgres",
            user=USER,
            postgres_options=SERVER_OPTIONS,
        )

    def start(self) -> PgServer:
        """Start the server (creating its cluster the first time); return once it accepts connections."""
        self._executor.start()
        return self

    def stop(self) -> PgServer:
        """Stop the server at once, ending every connection to it (``pg_ctl stop -m fast``)."""
        if self.running():
            self._executor.stop()
        return self

    def running(self) -> bool:
        """Return True while the server runs."""
        return self._executor.running()

    def url(self, dbname: str = "postgres") -> str:
        """Return the libpq URL of database ``dbname`` on this server."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (named ``name`` or ``store_<n>``); return its URL."""
        name = name or f"store_{next(self._names)}"
        self._janitor(name).init()
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` (a name or a URL of this server), ending its connections first."""
        self._janitor(name.rsplit("/", 1)[-1]).drop()

    def log(self) -> str:
        """Return the server's log so far (for a failing test's message)."""
        try:
            return self.logfile.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _janitor(self, dbname: str) -> DatabaseJanitor:
        return DatabaseJanitor(
            user=self.user, host=self.host, port=self.port, dbname=dbname, connection_timeout=20
        )


def _server_folder() -> Path:
    """Return a new temporary folder for one cluster, owned by the user its server runs as."""
    folder = Path(tempfile.mkdtemp(prefix="backlog-radar-postgres-"))
    if os.getuid() == 0:
        try:
            shutil.chown(folder, USER, USER)
        except LookupError:
            shutil.rmtree(folder, ignore_errors=True)
            pytest.fail(f"there is no {USER} user to run PostgreSQL as root: {MISSING}")
    return folder


def _claim_port(claims: Path, taken: set[int]) -> int:
    """Return a free port no other worker of this run has claimed (a file in ``claims`` each)."""
    for _ in range(50):
        port = port_for.select_random(exclude_ports=taken)
        taken.add(port)
        try:
            (claims / f"postgresql-{port}.port").open("x").close()
        except FileExistsError:
            continue
        return port
    raise RuntimeError(f"no free port for PostgreSQL after 50 tries (claims in {claims})")


def start_server(claims: Path, attempts: int = 3) -> PgServer:
    """Start a new server on a free port; the port's claim is a file in ``claims``."""
    if postgres_bindir() is None:
        pytest.fail(MISSING)
    taken: set[int] = set()
    for attempt in range(attempts):
        server = PgServer(_server_folder(), _claim_port(claims, taken))
        try:
            return server.start()
        except Exception as exc:
            # Another program may have taken the port since: try another.
            log = server.log()
            stop_server(server)
            if attempt == attempts - 1:
                raise RuntimeError(f"PostgreSQL did not start: {exc}\n{log}") from exc
    raise AssertionError("unreachable")


def stop_server(server: PgServer) -> None:
    """Stop ``server`` and remove its cluster."""
    try:
        server.stop()
    finally:
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_process(tmp_path_factory) -> Iterator[PgServer]:
    """This test process's PostgreSQL server, started on first use and removed at the end."""
    claims = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        claims = claims.parent  # shared by every worker of the run
    server = start_server(claims)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def pg_server(pg_process: PgServer) -> Iterator[PgServer]:
    """The PostgreSQL server, to stop and start in a test; it runs again after the test."""
    yield pg_process
    if not pg_process.running():
        pg_process.start()


@pytest.fixture
def pg_catalog(pg_server: PgServer) -> Iterator[str]:
    """The URL of a new empty PostgreSQL database (``postgresql://postgres@127.0.0.1:PORT/DB``)."""
    url = pg_server.create_database()
    yield url
    if not pg_server.running():
        pg_server.start()
    pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def store_location(request, tmp_path) -> dict:
    """Keyword arguments of ``store.connect`` for a new store, once per catalog kind.

    ``store.connect(**store_location)`` opens an embedded store (a SQLite
    catalog file) in one run of the test and a shared one (a PostgreSQL
    catalog and a data folder) in the other; the server starts only for the
    second.
    """
    if request.param == "sqlite":
        return {"path": tmp_path / "store.sqlite"}
    return {
        "path": None,
        "catalog": request.getfixturevalue("pg_catalog"),
        "data_path": tmp_path / "files",
    }
