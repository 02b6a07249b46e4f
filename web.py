"""The HTTP layer around the Streamlit app: guards, the sign-in pages, the session cookie.

``serve.py`` mounts these on Streamlit's own server (``st.App``); the
scripts never see a request, only what this layer let through:

- **Host guard.** Every request (pages, WebSocket, uploads) must name a host
  the app serves: loopback names in single-user mode (DNS rebinding cannot
  reach a local app through an attacker's domain), ``server.allowedHosts``
  otherwise.
- **No framing.** ``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``.
- **Sign-in.** Local users sign in on a plain form that sets a signed,
  HttpOnly, SameSite cookie (:mod:`analytics.sessions`); a page request
  without one is sent there. The cookie's session id is also handed to
  Streamlit as a trusted user header, so a WebSocket presenting someone
  else's Streamlit session id without their cookie gets a fresh session.
- **Uploads** reach only sessions whose user may import (:data:`UPLOADS`).
- **Endpoints** that need no exposure (``/_stcore/metrics``, the agent API)
  answer 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import ipaddress
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import quote, urlparse

import streamlit as st
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from analytics import access, sessions, store
from analytics.settings import Settings, load_settings

SESSION_HEADER = "x-backlog-radar-session"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SIGN_IN_PATH = "/auth/sign-in"
# Streamlit's own st.logout() sends the browser here: a local user's cookie
# is revoked by this layer, a provider's session passes on to Streamlit.
SIGN_OUT_PATH = "/auth/logout"
# Paths the browser loads without a page of its own: scripts, styles, the
# WebSocket, media. A request for anything else is a page.
ASSET_PREFIXES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/auth/")
HIDDEN_PREFIXES = ("/_stcore/metrics", "/_stcore/agent/")
UPLOAD_PREFIX = "/_stcore/upload_file/"
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


@functools.cache
def settings() -> Settings:
    """Return the process's settings (read once, like the app's)."""
    return load_settings()


@functools.cache
def _store():
    return store.connect(settings().db_path)


def secret() -> bytes:
    """Return the key that signs session cookies."""
    cfg = settings().access
    return sessions.load_secret(cfg.secret_file, cfg.session_secret)


def oidc_configured() -> bool:
    """Return True when ``.streamlit/secrets.toml`` configures an OpenID Connect provider."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - Streamlit raises its own error for a missing or bad file
        return False


def local_users_configured() -> bool:
    """Return True when a local users file exists (everybody then signs in)."""
    return settings().access.users_file.exists()


def single_user() -> bool:
    """Return True in single-user mode: no identity provider and no users file."""
    return not oidc_configured() and not local_users_configured()


def host_name(host: str | None) -> str | None:
    """Return the lower-case name of a Host header without its port, or None if malformed."""
    if not host:
        return None
    try:
        parsed = urlparse(f"//{host}")
        parsed.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parsed.hostname is None or parsed.username or parsed.password or parsed.path:
        return None
    return parsed.hostname.lower().rstrip(".")


def is_loopback_name(name: str) -> bool:
    """Return True for a host name that can only mean this machine."""
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(host: str | None) -> bool:
    """Return True when the app may answer a request naming ``host``.

    Single-user mode (unless ``BACKLOG_RADAR_ALLOW_OPEN`` opens it) answers
    loopback names only; otherwise the names in ``server.allowedHosts``
    (``*`` for any, ``*.example.org`` for subdomains).
    """
    name = host_name(host)
    if name is None:
        return False
    if single_user() and not settings().access.allow_open:
        return is_loopback_name(name)
    allowed = st.get_option("server.allowedHosts") or ["*"]
    for pattern in (p.strip().lower().rstrip(".") for p in allowed):
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


class UploadPermits:
    """Which Streamlit sessions may receive uploads, and for which sign-in session.

    The app grants a permit on every run of a session whose user may import
    and withdraws it otherwise, so the sign-in page and viewers never hold
    one. With local users the upload must also carry the cookie of the
    sign-in that was granted, so a leaked Streamlit session id is not enough.
    """

    def __init__(self, max_files: int = 5) -> None:
        self.max_files = max_files
        self._permits: dict[str, str | None] = {}
        self._files: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def grant(self, session_id: str, sid: str | None) -> None:
        """Let ``session_id`` receive uploads, from the sign-in ``sid`` (None: any)."""
        with self._lock:
            self._permits[session_id] = sid

    def withdraw(self, session_id: str) -> None:
        """Refuse uploads to ``session_id`` from now on."""
        with self._lock:
            self._permits.pop(session_id, None)
            self._files.pop(session_id, None)

    def take(self, session_id: str, file_id: str) -> bool:
        """Count one more file held by ``session_id``; return False past ``max_files``."""
        with self._lock:
            held = self._files.setdefault(session_id, set())
            if file_id not in held and len(held) >= self.max_files:
                return False
            held.add(file_id)
            return True

    def release(self, session_id: str, file_id: str) -> None:
        """Forget a file the session removed from its uploader."""
        with self._lock:
            self._files.get(session_id, set()).discard(file_id)

    def allows(self, session_id: str, sid: str | None) -> bool:
        """Return True when an upload to ``session_id`` from sign-in ``sid`` is allowed."""
        with self._lock:
            if session_id not in self._permits:
                return False
            granted = self._permits[session_id]
        return granted is None or granted == sid


UPLOADS = UploadPermits()
# A session gone this long has missed Streamlit's window to reconnect
# (two minutes): its uploads can never be read again.
UPLOAD_GRACE_S = 150.0
SWEEP_EVERY_S = 30.0


class UploadSweeper:
    """Frees the uploads of sessions that are gone.

    Streamlit keeps a closed tab's session for two minutes in case it
    reconnects, then forgets it without releasing the files uploaded to it,
    so a closed tab's uploads would stay in memory for the server's life.
    """

    def __init__(self, grace_s: float = UPLOAD_GRACE_S) -> None:
        self.grace_s = grace_s
        self._gone_since: dict[str, float] = {}

    def sweep(self, runtime, now: float) -> list[str]:
        """Free the uploads of sessions inactive for over ``grace_s``; return their ids."""
        manager = runtime.uploaded_file_mgr
        freed = []
        for session_id in list(getattr(manager, "file_storage", {})):
            if runtime.is_active_session(session_id):
                self._gone_since.pop(session_id, None)
                continue
            since = self._gone_since.setdefault(session_id, now)
            if now - since >= self.grace_s:
                manager.remove_session_files(session_id)
                UPLOADS.withdraw(session_id)
                self._gone_since.pop(session_id, None)
                freed.append(session_id)
        return freed


@contextlib.asynccontextmanager
async def lifespan(app):
    """Run the upload sweeper for as long as the server runs (``st.App``'s lifespan)."""
    from streamlit.runtime import Runtime

    sweeper = UploadSweeper()

    async def loop() -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            if Runtime.exists():
                sweeper.sweep(Runtime.instance(), time.monotonic())

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()


def session_from_cookie(cookie_header: str | None) -> sessions.Session | None:
    """Return the verified sign-in session a Cookie header carries, or None."""
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:  # noqa: BLE001 - a malformed Cookie header proves nothing
        return None
    morsel = jar.get(sessions.COOKIE_NAME)
    if morsel is None:
        return None
    max_age = settings().access.session_hours * 3600
    return sessions.verify(secret(), morsel.value, time.time(), max_age)


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class Guard:
    """ASGI middleware: the host guard, framing headers, hidden endpoints and upload permits.

    It also replaces any client-sent session header with the session id of
    a verified cookie, so Streamlit binds each session to its sign-in.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        path = scope.get("path", "")
        refusal = self._refusal(scope, headers, path)
        if refusal is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await refusal(scope, receive, _with_security_headers(send))
            return
        session = session_from_cookie(headers.get("cookie"))
        if path == SIGN_OUT_PATH and scope["type"] == "http" and session is not None:
            response = await sign_out(Request(scope, receive))
            await response(scope, receive, _with_security_headers(send))
            return
        raw = [(k, v) for k, v in scope["headers"] if k.lower() != SESSION_HEADER.encode()]
        if session is not None:
            raw.append((SESSION_HEADER.encode(), session.sid.encode()))
        scope = {**scope, "headers": raw}
        await self.app(scope, receive, _with_security_headers(send))

    def _refusal(self, scope, headers: dict[str, str], path: str) -> Response | None:
        if not host_allowed(headers.get("host")):
            return PlainTextResponse("This host name is not served here.", status_code=421)
        if path.startswith(HIDDEN_PREFIXES):
            return PlainTextResponse("Not found.", status_code=404)
        if path.startswith(UPLOAD_PREFIX) and scope.get("method") in ("PUT", "POST"):
            return self._upload_refusal(headers, path)
        if path.startswith(UPLOAD_PREFIX) and scope.get("method") == "DELETE":
            UPLOADS.release(*_upload_ids(path))
        if scope["type"] == "http" and _wants_sign_in(scope, headers, path):
            target = path + (f"?{scope['query_string'].decode()}" if scope["query_string"] else "")
            return RedirectResponse(f"{SIGN_IN_PATH}?next={quote(target)}", status_code=303)
        return None

    def _upload_refusal(self, headers: dict[str, str], path: str) -> Response | None:
        session_id, file_id = _upload_ids(path)
        session = session_from_cookie(headers.get("cookie"))
        if not UPLOADS.allows(session_id, session.sid if session else None):
            return PlainTextResponse("Uploads need the analyst role.", status_code=403)
        limit = settings().max_upload_mb * 1024**2
        try:
            length = int(headers.get("content-length", ""))
        except ValueError:
            return PlainTextResponse("An upload states its length.", status_code=411)
        if length > limit + 64 * 1024:  # the multipart framing around the file
            return PlainTextResponse(
                f"Files up to {settings().max_upload_mb} MB are accepted.", status_code=413
            )
        if not UPLOADS.take(session_id, file_id):
            return PlainTextResponse(
                f"At most {UPLOADS.max_files} files at once: remove one first.", status_code=429
            )
        return None


def _upload_ids(path: str) -> tuple[str, str]:
    """Return (session id, file id) of an upload URL's path."""
    session_id, _, file_id = path[len(UPLOAD_PREFIX) :].partition("/")
    return session_id, file_id


def _wants_sign_in(scope, headers: dict[str, str], path: str) -> bool:
    """Return True for a page request that must sign in first (local users only)."""
    if scope.get("method") != "GET" or path.startswith(ASSET_PREFIXES):
        return False
    if "text/html" not in headers.get("accept", "") or not local_users_configured():
        return False
    # With an identity provider too, the app's own sign-in screen offers both.
    return not oidc_configured() and session_from_cookie(headers.get("cookie")) is None


def _with_security_headers(send):
    async def wrapped(message) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


# --- the sign-in pages ------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Backlog Radar</title>
<style>
body {{ font-family: "Source Sans Pro", system-ui, sans-serif; background: #f7f8fa; color: #262730;
       display: flex; justify-content: center; padding-top: 12vh; margin: 0; }}
main {{ background: #fff; border: 1px solid #e6e9ef; border-radius: 8px; padding: 2rem 2.5rem;
       width: 22rem; }}
h1 {{ font-size: 1.6rem; margin: 0 0 1.2rem; }}
label {{ display: block; font-size: .9rem; margin: .8rem 0 .3rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem;
        border: 1px solid #d5d8de; border-radius: 4px; }}
button {{ margin-top: 1.3rem; width: 100%; padding: .6rem; font-size: 1rem; color: #fff;
         background: #1f5f99; border: 0; border-radius: 4px; cursor: pointer; }}
p.note {{ padding: .6rem .8rem; border-radius: 4px; font-size: .95rem; }}
p.error {{ background: #fdecea; color: #7d1a12; }}
p.info {{ background: #e8f1fb; color: #0b3a66; }}
</style></head>
<body><main><h1>Backlog Radar</h1>{note}{form}</main></body></html>
"""
SIGN_IN_FORM = """<form method="post" action="{action}">
<input type="hidden" name="next" value="{next}">
<label for="name">User name</label>
<input id="name" name="name" autocomplete="username" maxlength="64" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"
       maxlength="256" required>
<button type="submit">Sign in</button>
</form>"""
SIGN_OUT_FORM = f"""<form method="post" action="{SIGN_OUT_PATH}">
<button type="submit">Sign out</button></form>"""


def safe_next(target: str | None) -> str:
    """Return ``target`` when it is a path on this site, else ``/`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def sign_in_page(next_path: str, note: str = "", kind: str = "error", status: int = 200):
    """Return the sign-in form as HTML, with an optional note (``error`` or ``info``)."""
    text = f'<p class="note {kind}" role="alert">{html.escape(note)}</p>' if note else ""
    form = SIGN_IN_FORM.format(
        action=SIGN_IN_PATH, next=html.escape(safe_next(next_path), quote=True)
    )
    body = PAGE.format(note=text, form=form)
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})


def _same_origin(request: Request) -> bool:
    # Browsers send Origin on every POST; a form posted from another site names that site.
    origin = request.headers.get("origin")
    return origin is None or urlparse(origin).netloc == request.headers.get("host")


def _authenticate(name: str, password: str, address: str | None) -> tuple[str | None, str | None]:
    """Return (token, None) for a right password, (None, why not) otherwise; audited."""
    cfg = settings().access
    con = _store()
    refusal = access.sign_in_refusal(
        con, name, address, max_failures=cfg.max_failures, window_s=cfg.lockout_minutes * 60
    )
    if refusal:
        return None, f"Not signed in: {refusal}."
    user = access.authenticate(access.load_users(cfg.users_file), name, password)
    attempt = user or access.User(name or "(empty)", "-", "local")
    with store.transaction(con, changes_data=False) as cur:
        access.record(cur, attempt, "sign_in" if user else "sign_in_failed", address)
    if user is None:
        return None, "Not signed in: wrong user name or password."
    return sessions.issue(secret(), user.name, time.time()), None


async def sign_in(request: Request) -> Response:
    """``GET``: the sign-in form. ``POST``: check the password, set the cookie, go on."""
    from starlette.concurrency import run_in_threadpool

    if not local_users_configured():
        return RedirectResponse("/", status_code=303)
    if request.method == "GET":
        note = "Your session ended: sign in again." if request.query_params.get("ended") else ""
        return sign_in_page(request.query_params.get("next", "/"), note, "info")
    form = await request.form()
    next_path = safe_next(str(form.get("next", "/")))
    if not _same_origin(request):
        return sign_in_page(next_path, "Sign in from this site's own page.", status=403)
    name, password = str(form.get("name", "")).strip()[:64], str(form.get("password", ""))[:256]
    address = request.client.host if request.client else None
    token, error = await run_in_threadpool(_authenticate, name, password, address)
    if token is None:
        return sign_in_page(next_path, error or "Not signed in.", status=401)
    response = RedirectResponse(next_path, status_code=303)
    cfg = settings().access
    response.set_cookie(
        sessions.COOKIE_NAME,
        token,
        max_age=int(cfg.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="lax",
        secure=cfg.secure_cookie,
    )
    return response


def _revoke(session: sessions.Session) -> None:
    user = access.User(session.name, "-", "local")
    sessions.revoke(_store().cursor(), session, user)


async def sign_out(request: Request) -> Response:
    """Revoke the cookie's session, delete the cookie and show the sign-in form.

    The app's "Sign out" button gets here through ``st.logout()``. A link
    followed from another site only asks for confirmation, so no other site
    can sign a person out.
    """
    from starlette.concurrency import run_in_threadpool

    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if (request.method == "GET" and cross_site) or not _same_origin(request):
        return HTMLResponse(PAGE.format(note="", form=SIGN_OUT_FORM))
    session = session_from_cookie(request.headers.get("cookie"))
    if session is not None:
        await run_in_threadpool(_revoke, session)
    target = SIGN_IN_PATH if local_users_configured() else "/"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(sessions.COOKIE_NAME, path="/")
    return response


def routes() -> list[Route]:
    """Return the sign-in route ``serve.py`` mounts beside Streamlit's (sign-out is the Guard's)."""
    return [Route(SIGN_IN_PATH, sign_in, methods=["GET", "POST"])]
