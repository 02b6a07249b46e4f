"""The app served for a load benchmark, alone or as replicas behind nginx, and the CPU it uses.

:func:`serve` starts ``streamlit run serve.py`` on a store ``replicas`` times,
each on a free loopback port with the environment ``make run`` gives it. A
DuckLake store with a SQLite catalog may be shared by several processes on
one host, as ``tests/test_browser_shared_store.py`` shares it. With two
servers or more, Debian's nginx goes in front (``tests/nginx.py``, the
config of docs/deploy.md: a sticky cookie, and the least busy server for a
new browser), and the sessions go to nginx.

:class:`CpuMeter` counts each process named with all its descendants: an app
server's fit workers (spawned by multiprocessing, at nice 10) and the
resource tracker, nginx's worker beside its master.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from common import OUT, ROOT

if TYPE_CHECKING:
    from nginx import Proxy  # tests/nginx.py, imported when replicas are served

SERVER_LOG = OUT / "bench_load_server.log"
STREAM_PATH = "/_stcore/stream"


def free_port() -> int:
    """Return a TCP port free on the loopback interface just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Return the pids of ``pid``'s children, of theirs and so on, as ``/proc`` lists them now."""
    found, parents = [], [pid]
    while parents:
        # Each thread lists the children it started: the fit workers are
        # started by one of the web server's threads, not its main one.
        for listing in Path(f"/proc/{parents.pop()}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                children = [int(child) for child in listing.read_text().split()]
                found += children
                parents += children
    return found


def tree_cpu_seconds(pid: int) -> float:
    """Return the CPU seconds ``pid`` and its descendants have used, every thread, user and system.

    Children that ended and were reaped count in their parent's children
    times, so a worker that exits mid-run is still counted, once. Raises
    OSError when ``pid`` itself has gone.
    """

    def ticks(process: int) -> int:
        # Fields after the command name, which may hold spaces: utime, stime,
        # cutime and cstime are fields 14 to 17 of proc(5), so 11 to 14 here.
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(field) for field in fields[11:15])

    total = ticks(pid)
    for child in descendants(pid):
        with contextlib.suppress(OSError):  # gone since listed: its parent's times hold it
            total += ticks(child)
    return total / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """The CPU time of groups of processes while it is entered: cores on average and at most.

    ``groups`` names lists of pids (``{"app": [...], "proxy": [...]}``);
    each pid counts with its descendants (:func:`tree_cpu_seconds`). The
    maximum is of all groups together, over the sampling intervals.
    ``seconds`` maps each group to its CPU seconds over the run; it is None
    when a pid named exited before the end (a server that died is no
    measurement).
    """

    def __init__(self, groups: Mapping[str, Sequence[int]], interval: float = 1.0) -> None:
        self.groups, self.interval = {k: list(v) for k, v in groups.items()}, interval
        self.seconds: dict[str, float] | None = None
        self.wall_seconds = self.max_cores = 0.0

    def read(self) -> dict[str, float]:
        """Return each group's CPU seconds since its processes started."""
        return {
            name: sum(tree_cpu_seconds(pid) for pid in pids) for name, pids in self.groups.items()
        }

    @property
    def cpu_seconds(self) -> float | None:
        """Return the CPU seconds of all groups over the run, None if a process named died."""
        return None if self.seconds is None else sum(self.seconds.values())

    async def _sample(self) -> None:
        last = (time.perf_counter(), sum(self.read().values()))
        with contextlib.suppress(OSError):
            while True:
                await asyncio.sleep(self.interval)
                now = (time.perf_counter(), sum(self.read().values()))
                self.max_cores = max(self.max_cores, (now[1] - last[1]) / (now[0] - last[0]))
                last = now

    async def __aenter__(self) -> CpuMeter:
        self._began = (time.perf_counter(), self.read())
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self.wall_seconds = time.perf_counter() - self._began[0]
        with contextlib.suppress(OSError):
            ended = self.read()
            self.seconds = {name: ended[name] - self._began[1][name] for name in ended}


@dataclass(frozen=True)
class Target:
    """What a load run reaches: ``url`` for the sessions, each app server's own URL and pid.

    ``replicas`` is the number of app servers started (None for a server
    started elsewhere); ``proxy`` is the nginx in front of them (a
    ``tests/nginx.py`` ``Proxy``), if any.
    """

    url: str
    servers: tuple[str, ...]
    pids: tuple[int, ...] = ()
    replicas: int | None = None
    proxy: Proxy | None = None

    def cpu_groups(self) -> dict[str, list[int]]:
        """Return the processes to meter: ``app`` (the servers' pids) and ``proxy`` (nginx's)."""
        groups = {"app": list(self.pids)} if self.pids else {}
        if self.proxy is not None:
            groups["proxy"] = [self.proxy.process.pid]
        return groups

    def sessions_per_server(self, expected: int, timeout: float = 5.0) -> list[int] | None:
        """Return how many websockets nginx sent to each server, in order; None without nginx.

        nginx logs a websocket once it has closed: this waits up to ``timeout``
        seconds for ``expected`` of them.
        """
        if self.proxy is None:
            return None
        deadline = time.monotonic() + timeout
        while True:
            streams = [r for r in self.proxy.requests() if r.path == STREAM_PATH]
            if len(streams) >= expected or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        # A websocket nginx retried on another server names both: the last answered.
        counts = Counter(r.upstream.split(", ")[-1] for r in streams if r.status == 101)
        return [counts[url.removeprefix("http://")] for url in self.servers]


@contextlib.contextmanager
def serve(db: Path, replicas: int = 1) -> Iterator[Target]:
    """Serve the app on ``db`` with ``replicas`` servers, nginx in front of two or more; yield the target.

    Each server's output goes to ``benchmarks/out/bench_load_server.log``
    (the second's to ``bench_load_server.2.log``, and so on). The sample
    store's servers run in single-user mode, which answers loopback names
    only: the sessions reach nginx as ``127.0.0.1``, a name every server
    allows (``server.allowedHosts`` of ``.streamlit/config.toml``).
    """
    with contextlib.ExitStack() as stack:
        logs = [SERVER_LOG] + [
            SERVER_LOG.with_name(f"{SERVER_LOG.stem}.{i}.log") for i in range(2, replicas + 1)
        ]
        started = [stack.enter_context(_app_server(db, log)) for log in logs]
        servers = tuple(f"http://127.0.0.1:{port}" for port, _ in started)
        pids = tuple(pid for _, pid in started)
        if replicas == 1:
            yield Target(servers[0], servers, pids, replicas)
            return
        proxy = stack.enter_context(_nginx([port for port, _ in started]))
        yield Target(proxy.url, servers, pids, replicas, proxy)


def _nginx(ports: list[int]) -> contextlib.AbstractContextManager:
    """Return tests/nginx.py's proxy to the app servers on ``ports``; RuntimeError without nginx."""
    # Only replicas need nginx, and its module needs the test tools (pytest):
    # a single server's bench runs without them.
    if str(ROOT / "tests") not in sys.path:
        sys.path.append(str(ROOT / "tests"))
    from nginx import MISSING, nginx_binary, nginx_proxy

    if nginx_binary() is None:
        raise RuntimeError(MISSING)
    return nginx_proxy(ports)


@contextlib.contextmanager
def _app_server(db: Path, log_path: Path) -> Iterator[tuple[int, int]]:
    """Serve the app (``streamlit run serve.py``) on ``db`` on a free port; yield the port and pid."""
    port = free_port()
    # As make run serves it; statsmodels' BLAS threads only fight each other.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "BACKLOG_RADAR_DB": str(db)}
    command = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false"]
    OUT.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", process, log_path)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early: see {log}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not answer within {timeout:g} s: see {log}")
