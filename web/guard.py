"""The middleware every request passes: host guard, framing headers, hidden endpoints, uploads.

It also keeps a page's address across sign-in: a page asked for without a
sign-in goes to the form with ``next=``, and the identity provider's round
trip (Streamlit's ``/auth/login`` then ``/oauth2callback``, which lands on
the app's home) leads back to the page the sign-in started from.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from web.context import (
    ASSET_PREFIXES,
    HIDDEN_PREFIXES,
    SECURITY_HEADERS,
    SESSION_HEADER,
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    UPLOAD_PREFIX,
    local_users_configured,
    oidc_configured,
    session_from_cookie,
    settings,
)
from web.hosts import host_allowed
from web.sign_in import came_from, safe_next, sign_out
from web.uploads import UPLOADS

# Streamlit's own addresses of the identity provider's round trip.
OIDC_LOGIN_PATH, OIDC_CALLBACK_PATH = "/auth/login", "/oauth2callback"
# Where that round trip started, for the ten minutes it may take.
RETURN_COOKIE, RETURN_MAX_AGE = "backlog_radar_return", 600


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
        session = session_from_cookie(headers.get("cookie"))
        refusal = self._refusal(scope, headers, path, session)
        if refusal is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await refusal(scope, receive, _with_security_headers(send))
            return
        if path == SIGN_OUT_PATH and scope["type"] == "http" and _signs_out_here(session):
            response = await sign_out(Request(scope, receive))
            await response(scope, receive, _with_security_headers(send))
            return
        if scope["type"] == "http" and path in (OIDC_LOGIN_PATH, OIDC_CALLBACK_PATH):
            send = _returning(Request(scope), path, headers, send)
        raw = [(k, v) for k, v in scope["headers"] if k.lower() != SESSION_HEADER.encode()]
        if session is not None:
            raw.append((SESSION_HEADER.encode(), session.sid.encode()))
        scope = {**scope, "headers": raw}
        await self.app(scope, receive, _with_security_headers(send))

    def _refusal(self, scope, headers: dict[str, str], path: str, session) -> Response | None:
        if not host_allowed(headers.get("host")):
            return PlainTextResponse("This host name is not served here.", status_code=421)
        if path.startswith(HIDDEN_PREFIXES):
            return PlainTextResponse("Not found.", status_code=404)
        if path.startswith(UPLOAD_PREFIX) and scope.get("method") in ("PUT", "POST"):
            return self._upload_refusal(headers, path, session)
        if path.startswith(UPLOAD_PREFIX) and scope.get("method") == "DELETE":
            UPLOADS.release(*_upload_ids(path))
        if scope["type"] == "http" and session is None and _wants_sign_in(scope, headers, path):
            target = path + (f"?{scope['query_string'].decode()}" if scope["query_string"] else "")
            return RedirectResponse(f"{SIGN_IN_PATH}?next={quote(target)}", status_code=303)
        return None

    def _upload_refusal(self, headers: dict[str, str], path: str, session) -> Response | None:
        session_id, file_id = _upload_ids(path)
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
    """Return True for a page request without a sign-in that must sign in first (local users)."""
    if scope.get("method") != "GET" or path.startswith(ASSET_PREFIXES):
        return False
    if "text/html" not in headers.get("accept", "") or not local_users_configured():
        return False
    # With an identity provider too, the app's own sign-in screen offers both.
    return not oidc_configured()


def _signs_out_here(session) -> bool:
    """Return True when this layer answers the sign-out address: a local user's cookie, or
    local users only (an ended session's page then leads to the form, and back)."""
    return session is not None or (local_users_configured() and not oidc_configured())


def _returning(request: Request, path: str, headers: dict[str, str], send):
    """Return ``send`` keeping the page a provider's sign-in started from.

    ``/auth/login`` gets a short-lived cookie holding the page's address (its
    Referer); ``/oauth2callback``'s redirect to the home page goes to that
    address instead, and the cookie is dropped.
    """
    if path == OIDC_LOGIN_PATH:
        target = came_from(request)
        if target == "/":
            return send
        cookie = (
            f"{RETURN_COOKIE}={quote(target, safe='')}; Max-Age={RETURN_MAX_AGE}; Path=/; "
            "HttpOnly; SameSite=Lax"
        )
        return _with_header(send, b"set-cookie", cookie.encode("latin-1"))
    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed Cookie header keeps Streamlit's redirect
        return send
    if RETURN_COOKIE not in jar:
        return send
    target = safe_next(unquote(jar[RETURN_COOKIE].value))
    if not target.isascii():  # a Referer's path is percent-encoded: this was not one
        return send

    async def wrapped(message) -> None:
        if message["type"] == "http.response.start" and message.get("status") in (302, 303, 307):
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"location"]
            home = [v for k, v in message.get("headers", []) if k.lower() == b"location"]
            if home and home[0].decode("latin-1") in ("/", ""):
                gone = f"{RETURN_COOKIE}=; Max-Age=0; Path=/".encode("latin-1")
                kept += [(b"location", target.encode("latin-1")), (b"set-cookie", gone)]
                message = {**message, "headers": kept}
        await send(message)

    return wrapped


def _with_header(send, name: bytes, value: bytes):
    async def wrapped(message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (name, value)]}
        await send(message)

    return wrapped


def _with_security_headers(send):
    async def wrapped(message) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped
