"""The sign-in form for local users, and signing out."""

from __future__ import annotations

import html
import time
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from analytics import access, sessions, store
from web import context
from web.context import (
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    local_users_configured,
    secret,
    session_from_cookie,
    settings,
)

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
<input id="name" name="name" value="{name}" autocomplete="username" maxlength="64" required
       autofocus>
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


def sign_in_page(
    next_path: str, note: str = "", kind: str = "error", status: int = 200, name: str = ""
):
    """Return the sign-in form as HTML, with an optional note (``error`` or ``info``)."""
    text = f'<p class="note {kind}" role="alert">{html.escape(note)}</p>' if note else ""
    form = SIGN_IN_FORM.format(
        name=html.escape(name, quote=True),
        action=SIGN_IN_PATH,
        next=html.escape(safe_next(next_path), quote=True),
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
    con = context.store_connection()
    refusal = access.sign_in_refusal(
        con, name, address, max_failures=cfg.max_failures, window_s=cfg.lockout_minutes * 60
    )
    if refusal:
        return None, f"Not signed in: {refusal}."
    user = access.authenticate(access.load_users(cfg.users_file), name, password)
    attempt = user or access.User(name or "(empty)", "-", "local")
    with store.transaction(con) as cur:
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
        return sign_in_page(next_path, error or "Not signed in.", status=401, name=name)
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
    sessions.revoke(store.cursor(context.store_connection()), session, user)


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
