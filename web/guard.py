"""The middleware every request passes: host guard, framing headers, hidden endpoints, uploads."""

from __future__ import annotations

from urllib.parse import quote

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
from web.sign_in import sign_out
from web.uploads import UPLOADS


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
        if path == SIGN_OUT_PATH and scope["type"] == "http" and session is not None:
            response = await sign_out(Request(scope, receive))
            await response(scope, receive, _with_security_headers(send))
            return
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


def _with_security_headers(send):
    async def wrapped(message) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped
