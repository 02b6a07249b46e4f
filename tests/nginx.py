"""Real nginx in front of several app servers, for the tests: sticky sessions, WebSockets.

:func:`nginx_proxy` writes a config of its own in a temporary folder, starts
Debian's nginx binary on it (``-p`` the folder, ``-c`` its config, ``-e`` its
error log; pid, logs and temporary files inside it too) listening on a free
127.0.0.1 port, waits until it answers, and stops it on exit. The system's
nginx service and its config are never used. The config is the one
``docs/deploy.md`` gives an operator, without TLS, and with a response
header and an access log naming the server that answered each request.

Sticky sessions
---------------
A Streamlit session lives in one server's memory: its WebSocket
(``/_stcore/stream``), its uploads (``/_stcore/upload_file/...``) and its
downloads (``/media/...``) must all reach that server. Open-source nginx has
no ``sticky`` directive, and ``ip_hash`` sends every client behind one
address (here all of them, on 127.0.0.1) to one server. So every response
sets a cookie, ``radar_server``, naming the server that answered (``s1``,
``s2``...), and a request holding it goes to an upstream group of its own:
that server first, the others as ``backup``. A new browser goes to the
least busy server (``least_conn``: open WebSockets count).

A browser whose server is taken out (``down``) reaches a backup, and the
cookie follows it there; when the server comes back the browser stays where
it is, so nothing open moves twice. (A cookie hashed onto the servers with
``hash ... consistent`` would move those browsers back, away from the server
that holds their WebSocket, and break their uploads and downloads.)

Each response names the server that answered in ``X-Radar-Upstream``, and
the access log records the browser (as its ``X-Test-Browser`` header names
it), its cookie, the server, the status and the path of every request
(:meth:`Proxy.requests`), WebSockets included once closed.

Example
-------
>>> with nginx_proxy([first.port, second.port], name="radar.localhost") as proxy:  # doctest: +SKIP
...     page.goto(proxy.url)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Set
from dataclasses import dataclass
from pathlib import Path
from string import Template

import pytest
from loopback import HOST, free_port, stop_process

MISSING = "nginx is missing: `apt-get install nginx` (make test does it)"
STICKY_COOKIE = "radar_server"
UPSTREAM_HEADER = "X-Radar-Upstream"
# A test names its browsers in this request header; the access log records it.
BROWSER_HEADER = "X-Test-Browser"
MAX_BODY = "500m"  # the app's own upload limit (BACKLOG_RADAR_MAX_UPLOAD_MB) decides


class _Config(Template):
    delimiter = "@"  # nginx's own variables start with $


CONFIG = _Config("""\
daemon off;
worker_processes 1;
pid @folder/nginx.pid;
lock_file @folder/nginx.lock;
error_log @folder/error.log info;

events {
    worker_connections 256;
}

http {
    # Tabs apart: $upstream_addr holds ", " when a request was retried on another server.
    log_format sticky '$http_x_test_browser\\t$cookie_@cookie\\t$upstream_addr\\t$status\\t$request_method\\t$uri';
    access_log @folder/access.log sticky;
    client_body_temp_path @folder/client_body;
    proxy_temp_path @folder/proxy;
    fastcgi_temp_path @folder/fastcgi;
    uwsgi_temp_path @folder/uwsgi;
    scgi_temp_path @folder/scgi;

    # The server that answered, named in a cookie that brings the browser back to it.
    map $upstream_addr $radar_set_cookie {
        default "";
@cookies
    }
    # A browser's own server first, the others as backups; a new browser, the least busy.
    map $cookie_@cookie $radar_group {
        default radar;
@groups
    }
    map $http_upgrade $connection_upgrade {
        default upgrade;
        ""      close;
    }

    upstream radar {
        least_conn;
@servers
    }

@upstreams

    server {
        listen @listen;
        # Uploads go on to the app, which enforces its own limit.
        client_max_body_size @max_body;
        add_header Set-Cookie $radar_set_cookie always;
        add_header @upstream_header $upstream_addr always;

        # Here only: a location with a proxy_set_header of its own inherits none of these.
        proxy_http_version 1.1;
        # With its port: Streamlit accepts a WebSocket whose Origin names the Host it was sent.
        proxy_set_header Host $http_host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $http_host;

        location / {
            proxy_pass http://$radar_group;
        }

        # A session's WebSocket stays open as long as its tab.
        location = /_stcore/stream {
            proxy_pass http://$radar_group;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
    }
}
""")


def nginx_binary() -> Path | None:
    """Return Debian's nginx (``/usr/sbin/nginx``), else the one on PATH; None when there is none."""
    debian = Path("/usr/sbin/nginx")
    if debian.exists():
        return debian
    on_path = shutil.which("nginx")
    return Path(on_path) if on_path else None


def server_name(upstreams: list[int], port: int) -> str:
    """Return the name the sticky cookie gives the app server on ``port`` (``s1``, ``s2``...)."""
    return f"s{upstreams.index(port) + 1}"


def config(folder: Path, port: int, upstreams: list[int], down: Set[int] = frozenset()) -> str:
    """Return the nginx config proxying ``HOST:port`` to the app servers on ``upstreams``.

    The servers on ports in ``down`` are marked ``down`` (taken out). Everything
    nginx writes goes under ``folder``. No ``user`` directive: run as root,
    nginx's workers become ``nobody``; run as anyone else, they stay that user.
    """

    def server(p: int, flags: str = "") -> str:
        return f"        server {HOST}:{p}{flags}{' down' if p in down else ''};"

    names = {p: server_name(upstreams, p) for p in upstreams}
    cookie = "{}={}; Path=/; HttpOnly; SameSite=Lax"
    groups = [
        [f"    upstream radar_{names[p]} {{", server(p)]
        + [server(other, " backup") for other in upstreams if other != p]
        + ["    }"]
        for p in upstreams
    ]
    return CONFIG.substitute(
        folder=folder,
        listen=f"{HOST}:{port}",
        cookies="\n".join(
            f'        "{HOST}:{p}" "{cookie.format(STICKY_COOKIE, n)}";' for p, n in names.items()
        ),
        groups="\n".join(f"        {n} radar_{n};" for n in names.values()),
        servers="\n".join(server(p) for p in upstreams),
        upstreams="\n\n".join("\n".join(group) for group in groups),
        cookie=STICKY_COOKIE,
        upstream_header=UPSTREAM_HEADER,
        max_body=MAX_BODY,
    )


@dataclass(frozen=True)
class ProxiedRequest:
    """One line of the proxy's access log: which browser, its cookie, the server, and what."""

    browser: str
    cookie: str
    upstream: str
    status: int
    method: str
    path: str


@dataclass
class Proxy:
    """nginx on ``HOST:port`` in front of ``upstreams``, reached by the browser as ``name``."""

    folder: Path
    port: int
    upstreams: list[int]
    name: str = HOST
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Return the proxy's address as a browser uses it (``http://name:port``)."""
        return f"http://{self.name}:{self.port}"

    def cookie_for(self, upstream: str) -> str:
        """Return the sticky cookie's value that names ``upstream`` (``127.0.0.1:PORT``)."""
        return server_name(self.upstreams, int(upstream.rsplit(":", 1)[1]))

    def upstream_for(self, cookie: str | None) -> str:
        """Return the server (``127.0.0.1:PORT``) a browser holding ``cookie`` reaches now."""
        headers = {"Host": f"{self.name}:{self.port}"}
        if cookie:
            headers["Cookie"] = f"{STICKY_COOKIE}={cookie}"
        request = urllib.request.Request(
            f"http://{HOST}:{self.port}/_stcore/health", headers=headers
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers[UPSTREAM_HEADER]

    def requests(self) -> list[ProxiedRequest]:
        """Return the requests nginx has finished so far, oldest first (a WebSocket when closed)."""
        try:
            lines = (self.folder / "access.log").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        parsed = []
        for line in lines:
            browser, cookie, upstream, status, method, path = line.split("\t", 5)
            parsed.append(ProxiedRequest(browser, cookie, upstream, int(status), method, path))
        return parsed

    def log(self) -> str:
        """Return nginx's error log so far (for a failing test's message)."""
        try:
            return (self.folder / "error.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def take_out(self, upstream: str) -> None:
        """Mark ``upstream`` (``127.0.0.1:PORT``) ``down`` and reload, as an operator drains it.

        Returns once the old worker stops taking requests: open WebSockets
        stay with it until they close, every new request goes to the others.
        """
        self._reload(down={int(upstream.rsplit(":", 1)[1])})

    def put_back(self) -> None:
        """Put every server back (no ``down`` left) and reload, as after an upgrade."""
        self._reload(down=set())

    def _reload(self, down: Set[int], timeout_s: float = 15) -> None:
        quitting = self.log().count("gracefully shutting down")
        conf = config(self.folder, self.port, self.upstreams, down=down)
        (self.folder / "nginx.conf").write_text(conf, encoding="utf-8")
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout_s
        while self.log().count("gracefully shutting down") <= quitting:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not reload:\n{self.log()}")
            time.sleep(0.1)

    def start(self, binary: Path, timeout_s: float = 15) -> Proxy:
        """Start nginx; return once it answers HTTP. Raises RuntimeError if it exits first."""
        conf = self.folder / "nginx.conf"
        conf.write_text(config(self.folder, self.port, self.upstreams), encoding="utf-8")
        self.process = subprocess.Popen(
            [str(binary), "-p", str(self.folder), "-c", str(conf), "-e", "error.log"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode}:\n{self.log()}")
            if self._answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not answer on port {self.port}:\n{self.log()}")

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(f"http://{HOST}:{self.port}/", timeout=2).close()
        except urllib.error.HTTPError:
            return True  # an answer all the same (a 502 while no server is up)
        except OSError:
            return False
        return True

    def stop(self) -> None:
        """Stop nginx at once (its fast shutdown, which closes open WebSockets too)."""
        stop_process(self.process)


def _proxy_folder() -> Path:
    """Return a new temporary folder for one nginx, reachable by its workers."""
    folder = Path(tempfile.mkdtemp(prefix="backlog-radar-nginx-"))
    if os.getuid() == 0:
        # Started as root, nginx runs its workers as nobody, and they buffer
        # uploads in folders under this one (which nginx creates for them).
        folder.chmod(0o711)
    return folder


@contextlib.contextmanager
def nginx_proxy(upstreams: list[int], name: str = HOST, attempts: int = 3) -> Iterator[Proxy]:
    """Yield a running :class:`Proxy` to the app servers on ``upstreams``; stop and remove it on exit.

    ``name`` is the host name the browser uses (the app must allow it in
    ``server.allowedHosts``). Fails the test, as a missing PostgreSQL does,
    when there is no nginx to run.
    """
    binary = nginx_binary()
    if binary is None:
        pytest.fail(MISSING)
    folder = _proxy_folder()
    try:
        for attempt in range(attempts):
            proxy = Proxy(folder, free_port(), list(upstreams), name)
            try:
                proxy.start(binary)
                break
            except RuntimeError:
                # Another program may have taken the port since: try another.
                if attempt == attempts - 1:
                    raise
        try:
            yield proxy
        finally:
            proxy.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
