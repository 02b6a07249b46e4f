"""Real mail and web servers on 127.0.0.1, for the delivery and import tests.

Each is a context manager that stops its server on exit, so a failing test
leaves nothing listening. Nothing leaves the machine.

Example
-------
>>> with smtp_server() as mail:  # doctest: +SKIP
...     send_mail(Smtp(host=mail.host, port=mail.port), message)
...     assert mail.messages[0]["Subject"] == "Hello"
>>> with http_server(lambda m, p, h, b: (200, {}, b"ok", 0.0)) as web:  # doctest: +SKIP
...     urllib.request.urlopen(web.url("/export.csv")).read()
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"

# (method, path, headers, body) -> (status, headers, body, delay before answering in seconds)
Handler = Callable[[str, str, dict, bytes], tuple[int, dict, "bytes | Iterable[bytes]", float]]


def stop_process(process: subprocess.Popen | None, timeout: float = 15.0) -> None:
    """Stop a server the tests started: terminate it, then kill it if it lingers."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class SmtpServer:
    """An aiosmtpd server on ``host``:``port`` that keeps what it receives.

    ``messages`` holds each message parsed with ``email.policy.default``,
    ``envelopes`` the matching ``(mail_from, rcpt_tos)``. With ``credentials``
    (user, password) the server requires AUTH (LOGIN or PLAIN, no TLS) and
    refuses any other pair (aiosmtpd warns that AUTH without TLS is unsafe:
    tests using it filter ``ignore:Requiring AUTH``). Setting ``reply``
    (e.g. ``"451 4.3.0 try later"``) makes it refuse each message with that
    reply instead of accepting it; the addresses in ``refuse`` are refused
    one by one at ``RCPT TO`` (450, mailbox busy), the others accepted.
    """

    host: str = HOST
    port: int = field(default_factory=free_port)
    credentials: tuple[str, str] | None = None
    reply: str | None = None
    refuse: set[str] = field(default_factory=set)
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    _controller: Controller | None = field(default=None, repr=False)

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # noqa: N802
        if address in self.refuse:
            return "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.reply is not None:
            return self.reply
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(parsed)
        return "250 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and self.credentials == (
            auth_data.login.decode(),
            auth_data.password.decode(),
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        """Listen on ``port`` (the same one after a :meth:`stop`)."""
        if self._controller is not None:
            return
        auth = (
            {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False}
            if self.credentials
            else {}
        )
        self._controller = Controller(self, hostname=self.host, port=self.port, **auth)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until :meth:`start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextlib.contextmanager
def smtp_server(credentials: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    """Yield a running :class:`SmtpServer` on a free loopback port; stop it on exit."""
    server = SmtpServer(credentials=credentials)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class HttpServer:
    """A threaded HTTP server answering every request with ``handler``.

    ``requests`` holds ``{"method", "path", "headers", "body"}`` per request,
    in arrival order (headers as a dict, body as bytes).
    """

    handler: Handler
    requests: list[dict] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def url(self, path: str = "/") -> str:
        """Return the address of ``path`` on this server."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def start(self) -> None:
        self._server = ThreadingHTTPServer((HOST, 0), _request_handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()  # cuts short the delays of slow answers still in flight
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@contextlib.contextmanager
def http_server(handler: Handler) -> Iterator[HttpServer]:
    """Yield a running :class:`HttpServer` on a free loopback port; stop it on exit."""
    server = HttpServer(handler)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _request_handler(owner: HttpServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = dict(self.headers.items())
            owner.requests.append(
                {"method": self.command, "path": self.path, "headers": headers, "body": body}
            )
            status, out_headers, out_body, delay_s = owner.handler(
                self.command, self.path, headers, body
            )
            if delay_s and owner._stopping.wait(delay_s):
                return
            # the client may give up (a timeout, a size limit): that is what such tests check
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(status, out_headers, out_body)

        def _send(self, status: int, headers: dict, body: bytes | Iterable[bytes]) -> None:
            self.send_response(status)
            if isinstance(body, bytes) and "Content-Length" not in headers:
                headers = {**headers, "Content-Length": str(len(body))}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            # HTTP/1.0: without a Content-Length, the body ends when the connection closes
            for chunk in [body] if isinstance(body, bytes) else body:
                if owner._stopping.is_set():
                    return
                self.wfile.write(chunk)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _answer  # noqa: N815

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
            pass

    return _Handler
