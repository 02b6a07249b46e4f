"""The sign-in form for local users, and signing out.

The form speaks the reader's language: ``?lang=fr`` on its own address or on
the page it leads to, else the browser's (Accept-Language), else the desk's.
"""

from __future__ import annotations

import html
import time
from urllib.parse import parse_qs, quote, urlparse, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from analytics import access, i18n, sessions, store
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
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
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
<label for="name">{user_label}</label>
<input id="name" name="name" value="{name}" autocomplete="username" maxlength="64" required
       autofocus>
<label for="password">{password_label}</label>
<input id="password" name="password" type="password" autocomplete="current-password"
       maxlength="256" required>
<button type="submit">{submit}</button>
</form>"""
SIGN_OUT_FORM = """<form method="post" action="{action}">
<button type="submit">{submit}</button></form>"""


def safe_next(target: str | None) -> str:
    """Return ``target`` when it is a path on this site, else ``/`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def page_lang(request: Request, next_path: str) -> str:
    """Return the language of the sign-in form: ``?lang=`` of its own address or of the page
    it leads to, else the browser's, else the desk's, else English."""
    asked = (
        request.query_params.get("lang")
        or parse_qs(urlsplit(next_path).query).get("lang", [None])[0]
    )
    return (
        i18n.lang_of(asked)
        or i18n.lang_of(request.headers.get("accept-language"))
        or i18n.lang_of(settings().desk_lang)
        or i18n.DEFAULT_LANG
    )


def _page(lang: str, note: str, form: str) -> str:
    """Return the whole HTML page around ``note`` and ``form`` (both already HTML)."""
    _ = i18n.translator(lang)
    return PAGE.format(
        lang=html.escape(lang, quote=True),
        title=html.escape(_("Sign in · Backlog Radar")),
        note=note,
        form=form,
    )


def sign_in_page(
    next_path: str,
    note: str = "",
    kind: str = "error",
    status: int = 200,
    name: str = "",
    lang: str = i18n.DEFAULT_LANG,
):
    """Return the sign-in form as HTML in ``lang``, with an optional note (``error`` or ``info``,
    already in ``lang``)."""
    _ = i18n.translator(lang)
    text = f'<p class="note {kind}" role="alert">{html.escape(note)}</p>' if note else ""
    form = SIGN_IN_FORM.format(
        name=html.escape(name, quote=True),
        action=SIGN_IN_PATH,
        next=html.escape(safe_next(next_path), quote=True),
        user_label=html.escape(_("User name")),
        password_label=html.escape(_("Password")),
        submit=html.escape(_("Sign in")),
    )
    body = _page(lang, text, form)
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})


def _same_origin(request: Request) -> bool:
    # Browsers send Origin on every POST; a form posted from another site names that site.
    origin = request.headers.get("origin")
    return origin is None or urlparse(origin).netloc == request.headers.get("host")


def _authenticate(
    name: str, password: str, address: str | None, lang: str = i18n.DEFAULT_LANG
) -> tuple[str | None, str | None]:
    """Return (token, None) for a right password, (None, why not in ``lang``) otherwise; audited."""
    _ = i18n.translator(lang)
    cfg = settings().access
    con = context.store_connection()
    refusal = access.sign_in_refusal(
        con,
        name,
        address,
        max_failures=cfg.max_failures,
        window_s=cfg.lockout_minutes * 60,
        lang=lang,
    )
    if refusal:
        return None, _("Not signed in: {why}.").format(why=refusal)
    user = access.authenticate(access.load_users(cfg.users_file), name, password)
    attempt = user or access.User(name or "(empty)", "-", "local")
    with store.transaction(con) as cur:
        access.record(cur, attempt, "sign_in" if user else "sign_in_failed", address)
    if user is None:
        return None, _("Not signed in: wrong user name or password.")
    return sessions.issue(secret(), user.name, time.time()), None


async def sign_in(request: Request) -> Response:
    """``GET``: the sign-in form. ``POST``: check the password, set the cookie, go on."""
    from starlette.concurrency import run_in_threadpool

    if not local_users_configured():
        return RedirectResponse("/", status_code=303)
    if request.method == "GET":
        next_path = request.query_params.get("next", "/")
        lang = page_lang(request, next_path)
        _ = i18n.translator(lang)
        ended = request.query_params.get("ended")
        note = _("Your session ended: sign in again.") if ended else ""
        return sign_in_page(next_path, note, "info", lang=lang)
    form = await request.form()
    next_path = safe_next(str(form.get("next", "/")))
    lang = page_lang(request, next_path)
    _ = i18n.translator(lang)
    if not _same_origin(request):
        return sign_in_page(
            next_path, _("Sign in from this site's own page."), status=403, lang=lang
        )
    name, password = str(form.get("name", "")).strip()[:64], str(form.get("password", ""))[:256]
    address = request.client.host if request.client else None
    token, error = await run_in_threadpool(_authenticate, name, password, address, lang)
    if token is None:
        note = error or _("Not signed in.")
        return sign_in_page(next_path, note, status=401, name=name, lang=lang)
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


def came_from(request: Request) -> str:
    """Return the path and query of the page of this site that sent the browser here, else ``/``.

    The guard's ``Referrer-Policy: same-origin`` gives a page's full address
    to its own site only.
    """
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.headers.get("host") or referer.path.startswith("/auth/"):
        return "/"
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))


def _revoke(session: sessions.Session) -> None:
    user = access.User(session.name, "-", "local")
    sessions.revoke(store.cursor(context.store_connection()), session, user)


async def sign_out(request: Request) -> Response:
    """Revoke the cookie's session, delete the cookie and show the sign-in form.

    The app's "Sign out" button gets here through ``st.logout()``, and so
    does its "Sign in with a user name and password" once a session ended:
    the form then leads back to the page the app showed (the Referer, a
    path of this site). A link followed from another site only asks for
    confirmation, so no other site can sign a person out.
    """
    from starlette.concurrency import run_in_threadpool

    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if (request.method == "GET" and cross_site) or not _same_origin(request):
        _ = i18n.translator(page_lang(request, "/"))
        form = SIGN_OUT_FORM.format(action=SIGN_OUT_PATH, submit=html.escape(_("Sign out")))
        return HTMLResponse(_page(page_lang(request, "/"), "", form))
    session = session_from_cookie(request.headers.get("cookie"))
    if session is not None:
        await run_in_threadpool(_revoke, session)
    target = "/"
    if local_users_configured():
        back = came_from(request)
        target = SIGN_IN_PATH + (f"?next={quote(back)}" if back != "/" else "")
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(sessions.COOKIE_NAME, path="/")
    return response


def routes() -> list[Route]:
    """Return the sign-in route ``serve.py`` mounts beside Streamlit's (sign-out is the Guard's)."""
    return [Route(SIGN_IN_PATH, sign_in, methods=["GET", "POST"])]
